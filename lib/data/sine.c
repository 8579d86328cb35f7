/* The sine-wave regression family of the MAML paper:
 * y = A sin(x - phase), A, phase, x uniform over their ranges. */
#include "data/sampler.h"
#include "data/task.h"

#include "core/alloc.h"

#include <math.h>

typedef struct sine_state {
    double amp[2], phase[2], x[2];
} sine_state;

static double *range_of(sine_state *s, int key)
{
    switch (key) {
    case ML_SAMPLER_AMP_MIN: return &s->amp[0];
    case ML_SAMPLER_AMP_MAX: return &s->amp[1];
    case ML_SAMPLER_PHASE_MIN: return &s->phase[0];
    case ML_SAMPLER_PHASE_MAX: return &s->phase[1];
    case ML_SAMPLER_X_MIN: return &s->x[0];
    case ML_SAMPLER_X_MAX: return &s->x[1];
    default: return NULL;
    }
}

static ml_status sine_set(ml_sampler *sp, int key, double v)
{
    sine_state *s = sp->impl;
    double *p = range_of(s, key);
    if (!p)
        return ml_error(sp->err, ML_ERR_INVALID_ARG,
                        "sine sampler: no parameter %d", key);
    /* Tasks hold floats: past 1e30, A sin(x - phase) or the width of a
     * range (hi - lo, which the draws scale) would overflow to infinity. */
    if (fabs(v) > 1e30)
        return ml_error(sp->err, ML_ERR_INVALID_ARG,
                        "sine sampler: %g is outside [-1e30, 1e30]", v);
    /* Keys come in (min, max) pairs: even offsets are minimums. */
    int is_min = (key - ML_SAMPLER_AMP_MIN) % 2 == 0;
    double other = is_min ? p[1] : p[-1];
    if (is_min ? v > other : v < other)
        return ml_error(sp->err, ML_ERR_INVALID_ARG,
                        "sine sampler: range minimum would exceed its maximum");
    *p = v;
    return ML_OK;
}

static ml_status sine_get(const ml_sampler *sp, int key, double *out)
{
    double *p = range_of(sp->impl, key);
    if (!p)
        return ml_error((char *)sp->err, ML_ERR_INVALID_ARG, "sine sampler: no parameter %d",
                        key);
    *out = *p;
    return ML_OK;
}

static ml_status sine_sample(ml_sampler *sp, ml_task **out)
{
    sine_state *s = sp->impl;
    ml_task *t;
    ml_status st = ml_task_alloc(&t, 1, 1, 0, sp->shots, sp->queries);
    if (st != ML_OK)
        return st;
    float amp = ml_rng_range(&sp->rng, (float)s->amp[0], (float)s->amp[1]);
    float phase = ml_rng_range(&sp->rng, (float)s->phase[0], (float)s->phase[1]);
    for (int h = 0; h < 2; h++)
        for (size_t i = 0; i < t->n[h]; i++) {
            float x = ml_rng_range(&sp->rng, (float)s->x[0], (float)s->x[1]);
            t->x[h][i] = x;
            t->y[h][i] = amp * sinf(x - phase);
        }
    *out = t;
    return ML_OK;
}

static void sine_destroy(ml_sampler *sp)
{
    ml_free(sp->impl);
}

static const ml_sampler_ops sine_ops = {
    "sine", 0, sine_set, sine_get, sine_sample, sine_destroy,
};

ml_status ml_sampler_create_sine(ml_sampler **out, uint64_t seed)
{
    if (!out)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_sampler_create_sine: NULL out");
    *out = NULL;
    sine_state *s = ml_malloc(sizeof *s);
    if (!s)
        return ml_error(NULL, ML_ERR_NOMEM, "ml_sampler_create_sine: out of memory");
    *s = (sine_state){{0.1, 5.0}, {0.0, 3.14159265358979323846}, {-5.0, 5.0}};
    ml_sampler *sp;
    ml_status st = ml_sampler_new(&sp, &sine_ops, seed);
    if (st != ML_OK) {
        ml_free(s);
        return st;
    }
    sp->impl = s;
    sp->shots = 10;
    sp->queries = 10;
    *out = sp;
    return ML_OK;
}
