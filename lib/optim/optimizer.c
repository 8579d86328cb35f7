#include "optim/optimizer.h"

#include "core/alloc.h"

#include <math.h>
#include <string.h>

int ml_opt_kind_valid(int kind)
{
    return kind == ML_OPTIMIZER_SGD || kind == ML_OPTIMIZER_ADAM ||
           kind == ML_OPTIMIZER_RMSPROP;
}

void ml_opt_init(ml_optimizer *o, int kind)
{
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->lr = kind == ML_OPTIMIZER_ADAM ? 0.001 : 0.01;
    o->beta1 = 0.9;
    o->beta2 = 0.999;
    o->eps = 1e-8;
    o->rms_decay = 0.99;
}

void ml_opt_clear_state(ml_optimizer *o)
{
    ml_free(o->m);
    ml_free(o->v);
    o->m = o->v = NULL;
    o->n = 0;
    o->t = 0;
}

void ml_opt_copy_settings(ml_optimizer *dst, const ml_optimizer *src)
{
    ml_opt_clear_state(dst);
    dst->kind = src->kind;
    dst->lr = src->lr;
    dst->momentum = src->momentum;
    dst->nesterov = src->nesterov;
    dst->beta1 = src->beta1;
    dst->beta2 = src->beta2;
    dst->eps = src->eps;
    dst->weight_decay = src->weight_decay;
    dst->rms_decay = src->rms_decay;
}

/* The field a key names, and whether the optimiser's kind uses it. */
static double *field(ml_optimizer *o, int key, int *used)
{
    int k = o->kind;
    switch (key) {
    case ML_OPT_LR: *used = 1; return &o->lr;
    case ML_OPT_MOMENTUM: *used = k == ML_OPTIMIZER_SGD; return &o->momentum;
    case ML_OPT_NESTEROV: *used = k == ML_OPTIMIZER_SGD; return &o->nesterov;
    case ML_OPT_BETA1: *used = k == ML_OPTIMIZER_ADAM; return &o->beta1;
    case ML_OPT_BETA2: *used = k == ML_OPTIMIZER_ADAM; return &o->beta2;
    case ML_OPT_EPS: *used = k != ML_OPTIMIZER_SGD; return &o->eps;
    case ML_OPT_WEIGHT_DECAY: *used = 1; return &o->weight_decay;
    case ML_OPT_RMS_DECAY: *used = k == ML_OPTIMIZER_RMSPROP; return &o->rms_decay;
    default: *used = 0; return NULL;
    }
}

ml_status ml_opt_set(ml_optimizer *o, int key, double v)
{
    int used;
    double *f = field(o, key, &used);
    if (!f || !used)
        return ml_error(o->err, ML_ERR_INVALID_ARG,
                        "optimizer: parameter %d does not apply to this kind", key);
    int ok = isfinite(v);
    switch (key) {
    case ML_OPT_LR: ok = ok && v > 0; break;
    case ML_OPT_NESTEROV: ok = ok && (v == 0 || v == 1); break;
    case ML_OPT_EPS: ok = ok && v > 0; break;
    case ML_OPT_WEIGHT_DECAY: ok = ok && v >= 0; break;
    default: ok = ok && v >= 0 && v < 1; break; /* momentum, betas, decay */
    }
    if (!ok)
        return ml_error(o->err, ML_ERR_INVALID_ARG,
                        "optimizer: value %g out of range for parameter %d", v, key);
    *f = v;
    return ML_OK;
}

ml_status ml_opt_get(const ml_optimizer *o, int key, double *out)
{
    int used;
    double *f = field((ml_optimizer *)o, key, &used);
    if (!f || !used)
        return ml_error(NULL, ML_ERR_INVALID_ARG,
                        "optimizer: parameter %d does not apply to this kind", key);
    *out = *f;
    return ML_OK;
}

ml_status ml_opt_step(ml_optimizer *o, size_t n, float *restrict p,
                      const float *restrict g)
{
    if (o->n && o->n != n)
        return ml_error(o->err, ML_ERR_SHAPE,
                        "optimizer: %zu parameters, the state holds %zu", n, o->n);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(g[i]))
            return ml_error(o->err, ML_ERR_NUMERIC,
                            "optimizer: gradient %zu is not finite", i);
    if (!o->n) {
        /* Both buffers for every kind: one layout to save and load. */
        o->m = ml_calloc(n, sizeof(float));
        o->v = ml_calloc(n, sizeof(float));
        if (!o->m || !o->v) {
            ml_opt_clear_state(o);
            return ml_error(o->err, ML_ERR_NOMEM, "optimizer: out of memory");
        }
        o->n = n;
    }
    o->t++;
    const float lr = (float)o->lr, wd = (float)o->weight_decay;
    switch (o->kind) {
    case ML_OPTIMIZER_SGD: {
        const float mom = (float)o->momentum;
        for (size_t i = 0; i < n; i++) {
            float gi = g[i] + wd * p[i];
            if (mom > 0) {
                /* buf = mu buf + g; Nesterov steps along g + mu buf */
                o->m[i] = mom * o->m[i] + gi;
                gi = o->nesterov ? gi + mom * o->m[i] : o->m[i];
            }
            p[i] -= lr * gi;
        }
        break;
    }
    case ML_OPTIMIZER_ADAM: {
        const float b1 = (float)o->beta1, b2 = (float)o->beta2, eps = (float)o->eps;
        /* Bias corrections folded into the step size. */
        const double c1 = 1.0 - pow(o->beta1, (double)o->t);
        const double c2 = 1.0 - pow(o->beta2, (double)o->t);
        const float step = (float)(o->lr / c1);
        const float inv_c2 = (float)(1.0 / sqrt(c2));
        float *restrict m = o->m, *restrict v = o->v;
        for (size_t i = 0; i < n; i++) {
            float gi = g[i] + wd * p[i];
            m[i] = b1 * m[i] + (1.0f - b1) * gi;
            v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
            p[i] -= step * m[i] / (sqrtf(v[i]) * inv_c2 + eps);
        }
        break;
    }
    default: { /* RMSprop */
        const float a = (float)o->rms_decay, eps = (float)o->eps;
        for (size_t i = 0; i < n; i++) {
            float gi = g[i] + wd * p[i];
            o->v[i] = a * o->v[i] + (1.0f - a) * gi * gi;
            p[i] -= lr * gi / (sqrtf(o->v[i]) + eps);
        }
        break;
    }
    }
    return ML_OK;
}
