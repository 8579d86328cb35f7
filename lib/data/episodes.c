/* N-way K-shot episodes drawn from a data set.  The sampler holds a
 * reference to the data set's storage, so it shares the examples without
 * copying them and outlives the data set handle. */
#include "data/dataset.h"
#include "data/sampler.h"
#include "data/task.h"

#include "core/alloc.h"

#include <math.h>
#include <string.h>

typedef struct episode_state {
    ml_data *data;          /* one reference */
    int rotations;          /* 1: each class also appears rotated 90/180/270 degrees */
    int shift;              /* examples moved by up to this many pixels each way */
    size_t channels, side;  /* square images: channels x side x side; side 0 if not */
    size_t *classes;        /* scratch: candidate classes, base * 4 + rotation */
    size_t *pool;           /* scratch: positions within one class */
    float *plane;           /* scratch: one channel (side x side), with shift */
} episode_state;

/* Uniform in [0, n); the library's generator draws 32-bit bounds, which
 * every real data set fits; beyond that a modulo's tiny bias is harmless. */
static size_t draw_below(ml_rng *rng, size_t n)
{
    if (n <= UINT32_MAX)
        return ml_rng_below(rng, (uint32_t)n);
    return (size_t)(ml_rng_next(rng) % n);
}

/* Copies one example, rotated counter-clockwise by rot * 90 degrees (each
 * channel of a square side x side image).  Counter-clockwise by 90:
 * out[i][j] = in[j][S-1-i], so the input's right column becomes the top row. */
static void copy_rotated(float *dst, const float *src, size_t channels, size_t side,
                         size_t input_size, int rot)
{
    if (rot == 0) {
        memcpy(dst, src, input_size * sizeof *dst);
        return;
    }
    size_t s = side, area = side * side;
    for (size_t c = 0; c < channels; c++) {
        const float *in = src + c * area;
        float *o = dst + c * area;
        for (size_t i = 0; i < s; i++)
            for (size_t j = 0; j < s; j++) {
                size_t y, x;
                switch (rot) {
                case 1: y = j; x = s - 1 - i; break;            /* 90 */
                case 2: y = s - 1 - i; x = s - 1 - j; break;    /* 180 */
                default: y = s - 1 - j; x = i; break;           /* 270 */
                }
                o[i * s + j] = in[y * s + x];
            }
    }
}

/* Moves each channel of the square example x by dy rows and dx columns
 * (down and right when positive): out[i][j] = in[i - dy][j - dx], 0 where
 * that is off the image.  plane: side x side floats of scratch. */
static void shift_example(float *x, size_t channels, size_t side, int dy, int dx,
                          float *plane)
{
    const long n = (long)side;
    const size_t area = side * side;
    for (size_t c = 0; c < channels; c++) {
        float *o = x + c * area;
        memcpy(plane, o, area * sizeof *plane);
        for (long i = 0; i < n; i++)
            for (long j = 0; j < n; j++) {
                const long y = i - dy, xx = j - dx;
                o[i * n + j] = y >= 0 && y < n && xx >= 0 && xx < n ? plane[y * n + xx]
                                                                      : 0.0f;
            }
    }
}

static ml_status set_shift(ml_sampler *sp, episode_state *s, double value)
{
    if (s->side == 0)
        return ml_error(sp->err, ML_ERR_INVALID_ARG,
                        "episode sampler: shifts need square images (channels x side "
                        "x side); the data set's examples are not");
    if (!(value >= 0.0) || value >= (double)s->side || value != floor(value))
        return ml_error(sp->err, ML_ERR_INVALID_ARG,
                        "episode sampler: shift must be a whole number of pixels from 0 "
                        "to %zu (the images' side less 1), not %g", s->side - 1, value);
    if (value > 0.0 && !s->plane) {
        s->plane = ml_malloc(s->side * s->side * sizeof *s->plane);
        if (!s->plane)
            return ml_error(sp->err, ML_ERR_NOMEM, "episode sampler: out of memory");
    }
    s->shift = (int)value;
    return ML_OK;
}

static ml_status episodes_set(ml_sampler *sp, int key, double value)
{
    episode_state *s = sp->impl;
    if (key == ML_SAMPLER_SHIFT)
        return set_shift(sp, s, value);
    if (key != ML_SAMPLER_ROTATIONS)
        return ml_error(sp->err, ML_ERR_INVALID_ARG, "episode sampler: no parameter %d",
                        key);
    if (value != 0.0 && value != 1.0)
        return ml_error(sp->err, ML_ERR_INVALID_ARG,
                        "episode sampler: rotations must be 0 or 1, not %g", value);
    if (value == 1.0 && s->side == 0)
        return ml_error(sp->err, ML_ERR_INVALID_ARG,
                        "episode sampler: rotations need square images (channels x side "
                        "x side); the data set's examples are not");
    s->rotations = value == 1.0;
    return ML_OK;
}

static ml_status episodes_get(const ml_sampler *sp, int key, double *out)
{
    const episode_state *s = sp->impl;
    if (key != ML_SAMPLER_ROTATIONS && key != ML_SAMPLER_SHIFT)
        return ml_error((char *)sp->err, ML_ERR_INVALID_ARG,
                        "episode sampler: no parameter %d", key);
    *out = key == ML_SAMPLER_SHIFT ? s->shift : s->rotations;
    return ML_OK;
}

static ml_status episodes_sample(ml_sampler *sp, ml_task **out)
{
    episode_state *s = sp->impl;
    const ml_data *d = s->data;
    size_t ways = sp->ways, shots = sp->shots, queries = sp->queries;
    size_t need = shots + queries;
    if (s->rotations && s->side == 0)       /* refused by set(); kept as a guard */
        return ml_error(sp->err, ML_ERR_INVALID_ARG,
                        "episode sampler: rotations need square images");
    /* The candidates: classes with enough examples, four times over with
     * rotations (each rotation a class of its own). */
    size_t n_rot = s->rotations ? 4 : 1, v = 0;
    for (size_t c = 0; c < d->n_classes; c++)
        if (d->class_start[c + 1] - d->class_start[c] >= need)
            for (size_t r = 0; r < n_rot; r++)
                s->classes[v++] = c * 4 + r;
    if (ways > v)
        return ml_error(sp->err, ML_ERR_INVALID_ARG,
                        "episode sampler: %zu-way episodes need %zu classes with at least "
                        "%zu examples (shots %zu + queries %zu), the data set has %zu%s",
                        ways, ways, need, shots, queries, v,
                        s->rotations ? " counting rotations" : "");
    ml_task *t;
    ml_status st = ml_task_alloc(&t, d->input_size, ways, ways, ways * shots, ways * queries);
    if (st != ML_OK)
        return st;      /* ml_sampler_sample() copies the message to the handle */
    /* Partial Fisher-Yates: the first `ways` candidates become the
     * episode's classes, in the order drawn (labels 0..ways-1). */
    for (size_t w = 0; w < ways; w++) {
        size_t j = w + draw_below(&sp->rng, v - w), tmp = s->classes[w];
        s->classes[w] = s->classes[j];
        s->classes[j] = tmp;
    }
    for (size_t w = 0; w < ways; w++) {
        size_t base = s->classes[w] / 4, cnt = d->class_start[base + 1] - d->class_start[base];
        int rot = (int)(s->classes[w] % 4);
        const size_t *members = d->by_class + d->class_start[base];
        /* Again partial Fisher-Yates, from the identity each time so that
         * an episode depends only on the generator's state. */
        for (size_t i = 0; i < cnt; i++)
            s->pool[i] = i;
        for (size_t i = 0; i < need; i++) {
            size_t j = i + draw_below(&sp->rng, cnt - i), tmp = s->pool[i];
            s->pool[i] = s->pool[j];
            s->pool[j] = tmp;
            int half = i < shots ? 0 : 1;
            size_t slot = half == 0 ? w * shots + i : w * queries + (i - shots);
            const float *src = d->x + members[s->pool[i]] * d->input_size;
            float *dst = t->x[half] + slot * d->input_size;
            copy_rotated(dst, src, s->channels, s->side, d->input_size, rot);
            if (s->shift > 0) {
                /* Only with a shift does the stream advance here, so
                 * episodes without one are those of earlier versions. */
                const uint32_t span = 2u * (uint32_t)s->shift + 1u;
                const int dy = (int)ml_rng_below(&sp->rng, span) - s->shift;
                const int dx = (int)ml_rng_below(&sp->rng, span) - s->shift;
                shift_example(dst, s->channels, s->side, dy, dx, s->plane);
            }
            t->labels[half][slot] = (int)w;
        }
    }
    *out = t;
    return ML_OK;
}

static void episodes_destroy(ml_sampler *sp)
{
    episode_state *s = sp->impl;
    if (!s)
        return;
    ml_data_unref(s->data);
    ml_free(s->classes);
    ml_free(s->pool);
    ml_free(s->plane);
    ml_free(s);
}

static const ml_sampler_ops episodes_ops = {
    "episodes", 1, episodes_set, episodes_get, episodes_sample, episodes_destroy,
};

ml_status ml_sampler_create_episodes(ml_sampler **out, const ml_dataset *dataset,
                                     uint64_t seed)
{
    if (!out)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_sampler_create_episodes: NULL out");
    *out = NULL;
    if (!dataset)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_sampler_create_episodes: NULL dataset");
    const ml_data *d = dataset->data;
    episode_state *s = ml_calloc(1, sizeof *s);
    size_t largest = 0;
    for (size_t c = 0; c < d->n_classes; c++) {
        size_t cnt = d->class_start[c + 1] - d->class_start[c];
        largest = cnt > largest ? cnt : largest;
    }
    if (s) {
        s->classes = ml_malloc(4 * d->n_classes * sizeof *s->classes);
        s->pool = ml_malloc(largest * sizeof *s->pool);
    }
    ml_sampler *sp = NULL;
    ml_status st = ML_OK;
    if (!s || !s->classes || !s->pool)
        st = ml_error(NULL, ML_ERR_NOMEM, "ml_sampler_create_episodes: out of memory");
    else
        st = ml_sampler_new(&sp, &episodes_ops, seed);
    if (st != ML_OK) {
        if (s) {
            ml_free(s->classes);
            ml_free(s->pool);
        }
        ml_free(s);
        return st;
    }
    /* Rank 2 is height x width, rank 3 channels x height x width. */
    if (d->ndim >= 2 && d->shape[d->ndim - 1] == d->shape[d->ndim - 2]) {
        s->side = d->shape[d->ndim - 1];
        s->channels = d->ndim == 3 ? d->shape[0] : 1;
    }
    s->data = ml_data_ref((ml_data *)d);
    sp->impl = s;
    sp->ways = 5;
    sp->shots = 1;
    sp->queries = 15;
    *out = sp;
    return ML_OK;
}
