/* Elementwise unary ops. */
#include "ops_internal.h"

#include <math.h>

static ml_ad_node *unary_new(ml_ad_tape *t, int op, ml_ad_node *a)
{
    if (!a)
        return NULL;
    return ml_ad_node_new(t, op, a->ndim, a->shape, a, NULL);
}

/* Ops whose value is constant in a (step, sign) never record inputs. */
static ml_ad_node *const_new(ml_ad_tape *t, int op, ml_ad_node *a)
{
    if (!a)
        return NULL;
    return ml_ad_node_new(t, op, a->ndim, a->shape, NULL, NULL);
}

#define UNARY_LOOP(y, a, expr)                                           \
    do {                                                                 \
        float *restrict o_ = (y)->val;                                   \
        const float *restrict x_ = (a)->val;                             \
        for (size_t i_ = 0; i_ < (y)->size; i_++) {                      \
            float x = x_[i_];                                            \
            o_[i_] = (expr);                                             \
        }                                                                \
    } while (0)

/* The ops the backward passes of dense networks make in bulk, in vector
 * clones: o = s x, -x or relu(x). */
ML_AD_VECTOR static void simple_map(int op, float *restrict o, const float *restrict x,
                                    size_t n, float s)
{
    switch (op) {
    case ML_AD_SCALE: for (size_t i = 0; i < n; i++) o[i] = x[i] * s; break;
    case ML_AD_NEG: for (size_t i = 0; i < n; i++) o[i] = -x[i]; break;
    default: for (size_t i = 0; i < n; i++) o[i] = x[i] > 0.0f ? x[i] : 0.0f; break;
    }
}

ml_ad_node *ml_ad_scale(ml_ad_tape *t, ml_ad_node *a, float s)
{
    ml_ad_node *y = unary_new(t, ML_AD_SCALE, a);
    if (!y)
        return NULL;
    y->attr.f = s;
    simple_map(ML_AD_SCALE, y->val, a->val, y->size, s);
    return y;
}

ml_ad_node *ml_ad_neg(ml_ad_tape *t, ml_ad_node *a)
{
    ml_ad_node *y = unary_new(t, ML_AD_NEG, a);
    if (y)
        simple_map(ML_AD_NEG, y->val, a->val, y->size, 0.0f);
    return y;
}

ml_ad_node *ml_ad_relu(ml_ad_tape *t, ml_ad_node *a)
{
    ml_ad_node *y = unary_new(t, ML_AD_RELU, a);
    if (y)
        simple_map(ML_AD_RELU, y->val, a->val, y->size, 0.0f);
    return y;
}

ml_ad_node *ml_ad_tanh(ml_ad_tape *t, ml_ad_node *a)
{
    ml_ad_node *y = unary_new(t, ML_AD_TANH, a);
    if (y)
        UNARY_LOOP(y, a, tanhf(x));
    return y;
}

ml_ad_node *ml_ad_sigmoid(ml_ad_tape *t, ml_ad_node *a)
{
    ml_ad_node *y = unary_new(t, ML_AD_SIGMOID, a);
    /* Two branches so exp never overflows. */
    if (y)
        UNARY_LOOP(y, a, x >= 0.0f ? 1.0f / (1.0f + expf(-x))
                                   : expf(x) / (1.0f + expf(x)));
    return y;
}

ml_ad_node *ml_ad_exp(ml_ad_tape *t, ml_ad_node *a)
{
    ml_ad_node *y = unary_new(t, ML_AD_EXP, a);
    if (y)
        UNARY_LOOP(y, a, expf(x));
    return y;
}

ml_ad_node *ml_ad_log(ml_ad_tape *t, ml_ad_node *a)
{
    ml_ad_node *y = unary_new(t, ML_AD_LOG, a);
    if (y)
        UNARY_LOOP(y, a, logf(x));
    return y;
}

ml_ad_node *ml_ad_abs(ml_ad_tape *t, ml_ad_node *a)
{
    ml_ad_node *y = unary_new(t, ML_AD_ABS, a);
    if (y)
        UNARY_LOOP(y, a, fabsf(x));
    return y;
}

ml_ad_node *ml_ad_square(ml_ad_tape *t, ml_ad_node *a)
{
    ml_ad_node *y = unary_new(t, ML_AD_SQUARE, a);
    if (y)
        UNARY_LOOP(y, a, x * x);
    return y;
}

ml_ad_node *ml_ad_sqrt(ml_ad_tape *t, ml_ad_node *a)
{
    ml_ad_node *y = unary_new(t, ML_AD_SQRT, a);
    if (y)
        UNARY_LOOP(y, a, sqrtf(x));
    return y;
}

ml_ad_node *ml_ad_step(ml_ad_tape *t, ml_ad_node *a)
{
    ml_ad_node *y = const_new(t, ML_AD_STEP, a);
    if (y)
        UNARY_LOOP(y, a, x > 0.0f ? 1.0f : 0.0f);
    return y;
}

ml_ad_node *ml_ad_sign(ml_ad_tape *t, ml_ad_node *a)
{
    ml_ad_node *y = const_new(t, ML_AD_SIGN, a);
    if (y)
        UNARY_LOOP(y, a, x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f));
    return y;
}

ML_AD_VECTOR static void mask_run(float *restrict o, const float *restrict g,
                                  const float *restrict a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float gi = g[i]; /* loaded unconditionally so the loop vectorises */
        o[i] = a[i] > 0.0f ? gi : 0.0f;
    }
}

ml_ad_node *ml_ad_mask(ml_ad_tape *t, ml_ad_node *g, ml_ad_node *a)
{
    if (!g || !a)
        return NULL;
    if (g->size != a->size)
        return ml_ad_fail(t, ML_ERR_SHAPE, "mask: %zu values, %zu in the mask",
                          g->size, a->size);
    ml_ad_node *y = ml_ad_node_new(t, ML_AD_MASK, g->ndim, g->shape, g, a);
    if (y)
        mask_run(y->val, g->val, a->val, y->size);
    return y;
}

void ml_ad_unary_backward(ml_ad_tape *t, ml_ad_node *y, ml_ad_node *gy,
                          const int *need, ml_ad_node **gin)
{
    ml_ad_node *a = y->in[0];
    if (y->op == ML_AD_MASK) {
        /* dg = G [a > 0]; nothing flows to a (piecewise constant) */
        if (need[0])
            gin[0] = ml_ad_mask(t, gy, y->in[1]);
        return;
    }
    if (!need[0])
        return;
    ml_ad_node *g = NULL;
    switch (y->op) {
    case ML_AD_SCALE: /* da = s G */
        g = ml_ad_scale(t, gy, y->attr.f);
        break;
    case ML_AD_NEG: /* da = -G */
        g = ml_ad_neg(t, gy);
        break;
    case ML_AD_RELU: /* da = G [a > 0] */
        g = ml_ad_mask(t, gy, a);
        break;
    case ML_AD_TANH: /* da = G (1 - y^2) = G - G y^2 */
        g = ml_ad_sub(t, gy, ml_ad_mul(t, gy, ml_ad_square(t, y)));
        break;
    case ML_AD_SIGMOID: /* da = G y (1 - y) = G (y - y^2) */
        g = ml_ad_mul(t, gy, ml_ad_sub(t, y, ml_ad_square(t, y)));
        break;
    case ML_AD_EXP: /* da = G y */
        g = ml_ad_mul(t, gy, y);
        break;
    case ML_AD_LOG: /* da = G / a */
        g = ml_ad_div(t, gy, a);
        break;
    case ML_AD_ABS: /* da = G sign(a) */
        g = ml_ad_mul(t, gy, ml_ad_sign(t, a));
        break;
    case ML_AD_SQUARE: /* da = 2 G a */
        g = ml_ad_scale(t, ml_ad_mul(t, gy, a), 2.0f);
        break;
    case ML_AD_SQRT: /* da = G / (2 y) */
        g = ml_ad_scale(t, ml_ad_div(t, gy, y), 0.5f);
        break;
    default:
        break;
    }
    gin[0] = g;
}
