/* Elementwise binary ops with b broadcast into a: add, sub, mul, div. */
#include "ops_internal.h"

#include <string.h>

int ml_ad_broadcast_strides(int andim, const int *ashape, int bndim,
                            const int *bshape, int dims[4], size_t bstride[4])
{
    if (bndim > andim)
        return 0;
    int bd[4] = {1, 1, 1, 1};
    for (int i = 0; i < 4; i++)
        dims[i] = 1;
    for (int i = 0; i < andim; i++)
        dims[4 - andim + i] = ashape[i];
    for (int i = 0; i < bndim; i++)
        bd[4 - bndim + i] = bshape[i];
    size_t s = 1;
    for (int i = 3; i >= 0; i--) {
        if (bd[i] != dims[i] && bd[i] != 1)
            return 0;
        bstride[i] = bd[i] == 1 ? 0 : s;
        s *= (size_t)bd[i];
    }
    /* Merge neighbouring dims that b walks the same way (both broadcast,
     * or both contiguous), so the innermost loop is as long as possible:
     * [N, C, H, W] against [1, C, 1, 1] becomes N*C runs of H*W. */
    int od[4] = {1, 1, 1, 1};
    size_t os[4] = {0, 0, 0, 0};
    int k = 3;
    od[3] = dims[3];
    os[3] = bstride[3];
    for (int i = 2; i >= 0; i--) {
        if (dims[i] == 1)
            continue;
        if (bstride[i] == os[k] * (size_t)od[k] || od[k] == 1) {
            if (od[k] == 1)
                os[k] = bstride[i];
            od[k] *= dims[i];
        } else {
            k--;
            od[k] = dims[i];
            os[k] = bstride[i];
        }
    }
    for (int i = 0; i < 4; i++) {
        dims[i] = od[i];
        bstride[i] = os[i];
    }
    return 1;
}

typedef enum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV } bin_kind;

static inline float apply(bin_kind k, float x, float y)
{
    switch (k) {
    case BIN_ADD: return x + y;
    case BIN_SUB: return x - y;
    case BIN_MUL: return x * y;
    default: return x / y;
    }
}

/* out[i] = a[i] (op) b[i] over n elements; b_step 0 repeats one value. */
ML_AD_VECTOR static void run(bin_kind k, float *restrict out, const float *restrict a,
                const float *restrict b, size_t n, size_t b_step)
{
    if (b_step == 0) {
        float y = b[0];
        switch (k) {
        case BIN_ADD: for (size_t i = 0; i < n; i++) out[i] = a[i] + y; break;
        case BIN_SUB: for (size_t i = 0; i < n; i++) out[i] = a[i] - y; break;
        case BIN_MUL: for (size_t i = 0; i < n; i++) out[i] = a[i] * y; break;
        case BIN_DIV: for (size_t i = 0; i < n; i++) out[i] = a[i] / y; break;
        }
        return;
    }
    switch (k) {
    case BIN_ADD: for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i]; break;
    case BIN_SUB: for (size_t i = 0; i < n; i++) out[i] = a[i] - b[i]; break;
    case BIN_MUL: for (size_t i = 0; i < n; i++) out[i] = a[i] * b[i]; break;
    case BIN_DIV: for (size_t i = 0; i < n; i++) out[i] = a[i] / b[i]; break;
    }
}

static ml_ad_node *binary(ml_ad_tape *t, int op, bin_kind k, ml_ad_node *a,
                          ml_ad_node *b)
{
    if (!a || !b)
        return NULL;
    int dims[4];
    size_t bs[4];
    /* Same shapes or a scalar b (the common cases) need no strides. */
    int plain = ml_ad_same_shape(a, b) || (b->size == 1 && b->ndim <= a->ndim);
    if (!plain && !ml_ad_broadcast_strides(a->ndim, a->shape, b->ndim, b->shape, dims,
                                           bs)) {
        char sa[64], sb[64];
        return ml_ad_fail(t, ML_ERR_SHAPE, "%s: %s does not broadcast into %s",
                          ml_ad_op_name(op), ml_ad_shape_str(b, sb, sizeof sb),
                          ml_ad_shape_str(a, sa, sizeof sa));
    }
    ml_ad_node *y = ml_ad_node_new(t, op, a->ndim, a->shape, a, b);
    if (!y)
        return NULL;
    if (plain && b->size == a->size) {
        run(k, y->val, a->val, b->val, a->size, 1);
    } else if (plain) {
        run(k, y->val, a->val, b->val, a->size, 0);
    } else {
        /* Innermost run: contiguous when b varies along the last dim,
         * a repeated value when b is broadcast along it. */
        size_t inner = (size_t)dims[3];
        size_t off = 0;
        for (int i0 = 0; i0 < dims[0]; i0++)
            for (int i1 = 0; i1 < dims[1]; i1++)
                for (int i2 = 0; i2 < dims[2]; i2++) {
                    const float *bp = b->val + i0 * bs[0] + i1 * bs[1] +
                                      i2 * bs[2];
                    run(k, y->val + off, a->val + off, bp, inner, bs[3]);
                    off += inner;
                }
    }
    return y;
}

ml_ad_node *ml_ad_add(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b)
{
    return binary(t, ML_AD_ADD, BIN_ADD, a, b);
}

ml_ad_node *ml_ad_sub(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b)
{
    return binary(t, ML_AD_SUB, BIN_SUB, a, b);
}

ml_ad_node *ml_ad_mul(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b)
{
    return binary(t, ML_AD_MUL, BIN_MUL, a, b);
}

ml_ad_node *ml_ad_div(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b)
{
    return binary(t, ML_AD_DIV, BIN_DIV, a, b);
}

ML_AD_VECTOR static void axpy_run(float *restrict o, const float *restrict a, float s,
                                  const float *restrict b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        o[i] = a[i] + s * b[i];
}

ml_ad_node *ml_ad_axpy(ml_ad_tape *t, ml_ad_node *a, float s, ml_ad_node *b)
{
    if (!a || !b)
        return NULL;
    if (a->size != b->size)
        return ml_ad_fail(t, ML_ERR_SHAPE, "axpy: %zu and %zu elements", a->size,
                          b->size);
    ml_ad_node *y = ml_ad_node_new(t, ML_AD_AXPY, a->ndim, a->shape, a, b);
    if (!y)
        return NULL;
    y->attr.f = s;
    axpy_run(y->val, a->val, s, b->val, y->size);
    return y;
}

/* Reduce a gradient of a's shape to b's shape (identity when equal). */
static ml_ad_node *to_b(ml_ad_tape *t, ml_ad_node *g, const ml_ad_node *b)
{
    if (g && g->size == b->size)
        return ml_ad_reshape(t, g, b->ndim, b->shape);
    return ml_ad_sum_to(t, g, b->ndim, b->shape);
}

void ml_ad_binary_backward(ml_ad_tape *t, ml_ad_node *y, ml_ad_node *gy,
                           const int *need, ml_ad_node **gin)
{
    ml_ad_node *a = y->in[0], *b = y->in[1];
    switch (y->op) {
    case ML_AD_AXPY:
        /* dL/da = G, dL/db = s G */
        if (need[0]) gin[0] = gy;
        if (need[1])
            gin[1] = ml_ad_reshape(t, ml_ad_scale(t, gy, y->attr.f), b->ndim, b->shape);
        break;
    case ML_AD_ADD:
        /* dL/da = G, dL/db = sum_to_b(G) */
        if (need[0]) gin[0] = gy;
        if (need[1]) gin[1] = to_b(t, gy, b);
        break;
    case ML_AD_SUB:
        /* dL/da = G, dL/db = -sum_to_b(G) */
        if (need[0]) gin[0] = gy;
        if (need[1]) gin[1] = ml_ad_neg(t, to_b(t, gy, b));
        break;
    case ML_AD_MUL:
        /* dL/da = G * b, dL/db = sum_to_b(G * a) */
        if (need[0]) gin[0] = ml_ad_mul(t, gy, b);
        if (need[1]) gin[1] = to_b(t, ml_ad_mul(t, gy, a), b);
        break;
    case ML_AD_DIV:
        /* dL/da = G / b, dL/db = -sum_to_b(G * y / b) */
        if (need[0]) gin[0] = ml_ad_div(t, gy, b);
        if (need[1])
            gin[1] = ml_ad_neg(t, to_b(t, ml_ad_div(t, ml_ad_mul(t, gy, y), b), b));
        break;
    default:
        break;
    }
}
