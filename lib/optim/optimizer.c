#include "optim/optimizer.h"

#include "core/alloc.h"
#include "core/vmath.h"
#include "optim/lstm.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

int ml_opt_kind_valid(int kind)
{
    return kind == ML_OPTIMIZER_SGD || kind == ML_OPTIMIZER_ADAM ||
           kind == ML_OPTIMIZER_RMSPROP || kind == ML_OPTIMIZER_LSTM;
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
    if (o->lstm)
        ml_lstm_clear_state(o->lstm);
}

void ml_opt_release(ml_optimizer *o)
{
    ml_opt_clear_state(o);
    ml_lstm_free(o->lstm);
    o->lstm = NULL;
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
    if (o->lstm)
        return ml_lstm_set(o->lstm, key, v, o->err);
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
    /* -0 is kept as +0: files skip a value equal to the default (0 for
     * momentum and weight decay), so -0 would load back as +0 and a saved
     * optimiser would not save the same bytes again. */
    *f = v == 0 ? 0.0 : v;
    return ML_OK;
}

ml_status ml_opt_get(const ml_optimizer *o, int key, double *out)
{
    if (o->lstm) {
        if (ml_lstm_get(o->lstm, key, out))
            return ML_OK;
        return ml_error((char *)o->err, ML_ERR_INVALID_ARG,
                        "optimizer: parameter %d does not apply to this kind", key);
    }
    int used;
    double *f = field((ml_optimizer *)o, key, &used);
    if (!f || !used)
        return ml_error((char *)o->err, ML_ERR_INVALID_ARG,
                        "optimizer: parameter %d does not apply to this kind", key);
    *out = *f;
    return ML_OK;
}

/* A moment (momentum buffer, Adam's moments, RMSprop's mean square) below
 * FLT_MIN in magnitude is stored as 0.  A parameter whose gradient stays
 * exactly 0 (a dead ReLU unit) has moments that decay geometrically
 * through the subnormal range, where every operation on them takes a
 * microcode assist on x86 (tens of times slower; it was a tenth of a MAML
 * sine meta-iteration).  What is dropped moves a parameter by at most
 * lr FLT_MIN / eps (Adam, RMSprop; about 1e-33 with the defaults) or
 * lr FLT_MIN (SGD momentum): below half an ulp of any parameter larger
 * than about 1e-26, so the parameters nearly always come out bit for bit
 * as without the flush.  NaN and the infinities are kept (the comparison
 * is false), so the finiteness checks see them. */
static inline float flush(float x)
{
    return fabsf(x) < FLT_MIN ? 0.0f : x;
}

/* 1 for NaN and the infinities (exponent bits all set), from the bits:
 * an integer test vectorises where isfinite() does not. */
static inline int nonfinite(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return (u & 0x7f800000u) == 0x7f800000u;
}

/* The update of the n parameters from step o->t + 1 on.  With commit 0
 * nothing is stored and the result says whether every new parameter and
 * moment would be finite (a non-finite gradient makes them non-finite
 * too); with commit 1 they are stored (result 1).  Both passes compute the
 * same expressions, so the stored values are the ones checked.  Both are
 * compiled for AVX-512 and AVX2 too (ML_VCLONES). */
ML_VCLONES static int update(ml_optimizer *o, size_t n, float *restrict p,
                         const float *restrict g, int commit)
{
    const float lr = (float)o->lr, wd = (float)o->weight_decay;
    float *restrict m = o->m, *restrict v = o->v;
    int bad = 0;
    switch (o->kind) {
    case ML_OPTIMIZER_SGD: {
        const float mom = (float)o->momentum;
        const int nesterov = o->nesterov != 0;
        for (size_t i = 0; i < n; i++) {
            float gi = g[i] + wd * p[i], mi = m[i];
            if (mom > 0) {
                /* buf = mu buf + g; Nesterov steps along g + mu buf */
                mi = flush(mom * mi + gi);
                gi = nesterov ? gi + mom * mi : mi;
            }
            float pi = p[i] - lr * gi;
            if (commit) {
                m[i] = mi;
                p[i] = pi;
            } else {
                bad |= nonfinite(pi) | nonfinite(mi);
            }
        }
        break;
    }
    case ML_OPTIMIZER_ADAM: {
        const float b1 = (float)o->beta1, b2 = (float)o->beta2, eps = (float)o->eps;
        /* Bias corrections folded into the step size. */
        const double c1 = 1.0 - pow(o->beta1, (double)(o->t + 1));
        const double c2 = 1.0 - pow(o->beta2, (double)(o->t + 1));
        const float step = (float)(o->lr / c1);
        const float inv_c2 = (float)(1.0 / sqrt(c2));
        for (size_t i = 0; i < n; i++) {
            float gi = g[i] + wd * p[i];
            float mi = flush(b1 * m[i] + (1.0f - b1) * gi);
            float vi = flush(b2 * v[i] + (1.0f - b2) * gi * gi);
            float pi = p[i] - step * mi / (sqrtf(vi) * inv_c2 + eps);
            if (commit) {
                m[i] = mi;
                v[i] = vi;
                p[i] = pi;
            } else {
                bad |= nonfinite(pi) | nonfinite(vi);
            }
        }
        break;
    }
    default: { /* RMSprop */
        const float a = (float)o->rms_decay, eps = (float)o->eps;
        for (size_t i = 0; i < n; i++) {
            float gi = g[i] + wd * p[i];
            float vi = flush(a * v[i] + (1.0f - a) * gi * gi);
            float pi = p[i] - lr * gi / (sqrtf(vi) + eps);
            if (commit) {
                v[i] = vi;
                p[i] = pi;
            } else {
                bad |= nonfinite(pi) | nonfinite(vi);
            }
        }
        break;
    }
    }
    return !bad;
}

ml_status ml_opt_step(ml_optimizer *o, size_t n, float *restrict p,
                      const float *restrict g)
{
    if (o->lstm)
        return ml_lstm_step(o->lstm, n, p, g, o->err);
    if (o->n && o->n != n)
        return ml_error(o->err, ML_ERR_SHAPE,
                        "optimizer: %zu parameters, the state holds %zu", n, o->n);
    int fresh = !o->n;
    if (fresh) {
        /* Both buffers for every kind: one layout to save and load. */
        o->m = ml_calloc(n, sizeof(float));
        o->v = ml_calloc(n, sizeof(float));
        if (!o->m || !o->v) {
            ml_opt_clear_state(o);
            return ml_error(o->err, ML_ERR_NOMEM, "optimizer: out of memory");
        }
        o->n = n;
    }
    /* A first pass only checks: a step whose parameters or state would
     * overflow (a huge learning rate, a gradient whose square is past
     * FLT_MAX) is refused before anything is written, so the caller keeps
     * the last finite parameters. */
    if (!update(o, n, p, g, 0)) {
        if (fresh)
            ml_opt_clear_state(o);
        for (size_t i = 0; i < n; i++)
            if (!isfinite(g[i]))
                return ml_error(o->err, ML_ERR_NUMERIC,
                                "optimizer: gradient %zu is not finite", i);
        return ml_error(o->err, ML_ERR_NUMERIC,
                        "optimizer: the step would make a parameter or the state "
                        "non-finite (learning rate %g)", o->lr);
    }
    update(o, n, p, g, 1);
    o->t++;
    return ML_OK;
}
