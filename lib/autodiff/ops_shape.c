/* Shape ops: reshape, concat, slice and pad (slice's adjoint). */
#include "ops_internal.h"

#include <string.h>

ml_ad_node *ml_ad_reshape(ml_ad_tape *t, ml_ad_node *a, int ndim,
                          const int *shape)
{
    if (!a)
        return NULL;
    size_t n = 1;
    for (int i = 0; i < ndim && i < ML_AD_MAXDIM; i++)
        n *= shape[i] > 0 ? (size_t)shape[i] : 0;
    if (n != a->size)
        return ml_ad_fail(t, ML_ERR_SHAPE, "reshape: %zu elements into %zu",
                          a->size, n);
    ml_ad_node *y = ml_ad_node_new(t, ML_AD_RESHAPE, ndim, shape, a, NULL);
    if (y)
        y->val = a->val; /* values are never written after creation */
    return y;
}

/* outer x len x inner view of x along axis. */
static void split_axis(const ml_ad_node *x, int axis, size_t *outer,
                       size_t *inner)
{
    *outer = 1;
    *inner = 1;
    for (int i = 0; i < axis; i++)
        *outer *= (size_t)x->shape[i];
    for (int i = axis + 1; i < x->ndim; i++)
        *inner *= (size_t)x->shape[i];
}

ml_ad_node *ml_ad_concat(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b, int axis)
{
    if (!a || !b)
        return NULL;
    int ok = a->ndim == b->ndim && axis >= 0 && axis < a->ndim;
    for (int i = 0; ok && i < a->ndim; i++)
        ok = i == axis || a->shape[i] == b->shape[i];
    if (!ok)
        return ml_ad_fail(t, ML_ERR_SHAPE, "concat: shapes differ off axis %d",
                          axis);
    int shape[ML_AD_MAXDIM];
    memcpy(shape, a->shape, sizeof shape);
    shape[axis] = a->shape[axis] + b->shape[axis];
    ml_ad_node *y = ml_ad_node_new(t, ML_AD_CONCAT, a->ndim, shape, a, b);
    if (!y)
        return NULL;
    y->attr.i[0] = axis;
    size_t outer, inner;
    split_axis(a, axis, &outer, &inner);
    size_t ra = (size_t)a->shape[axis] * inner, rb = (size_t)b->shape[axis] * inner;
    for (size_t o = 0; o < outer; o++) {
        memcpy(y->val + o * (ra + rb), a->val + o * ra, ra * sizeof(float));
        memcpy(y->val + o * (ra + rb) + ra, b->val + o * rb, rb * sizeof(float));
    }
    return y;
}

ml_ad_node *ml_ad_slice(ml_ad_tape *t, ml_ad_node *a, int axis, int start,
                        int len)
{
    if (!a)
        return NULL;
    if (axis < 0 || axis >= a->ndim || start < 0 || len < 1 ||
        start > a->shape[axis] - len)
        return ml_ad_fail(t, ML_ERR_RANGE, "slice: [%d, %d) outside axis %d",
                          start, start + len, axis);
    int shape[ML_AD_MAXDIM];
    memcpy(shape, a->shape, sizeof shape);
    shape[axis] = len;
    ml_ad_node *y = ml_ad_node_new(t, ML_AD_SLICE, a->ndim, shape, a, NULL);
    if (!y)
        return NULL;
    y->attr.i[0] = axis;
    y->attr.i[1] = start;
    size_t outer, inner;
    split_axis(a, axis, &outer, &inner);
    size_t rin = (size_t)a->shape[axis] * inner, rout = (size_t)len * inner;
    for (size_t o = 0; o < outer; o++)
        memcpy(y->val + o * rout, a->val + o * rin + (size_t)start * inner,
               rout * sizeof(float));
    return y;
}

ml_ad_node *ml_ad_pad(ml_ad_tape *t, ml_ad_node *a, int axis, int start,
                      int total)
{
    if (!a)
        return NULL;
    if (axis < 0 || axis >= a->ndim || start < 0 ||
        start > total - a->shape[axis])
        return ml_ad_fail(t, ML_ERR_RANGE, "pad: %d elements at %d of %d",
                          a->shape[axis], start, total);
    int shape[ML_AD_MAXDIM];
    memcpy(shape, a->shape, sizeof shape);
    shape[axis] = total;
    ml_ad_node *y = ml_ad_node_new(t, ML_AD_PAD, a->ndim, shape, a, NULL);
    if (!y)
        return NULL;
    y->attr.i[0] = axis;
    y->attr.i[1] = start;
    memset(y->val, 0, y->size * sizeof(float));
    size_t outer, inner;
    split_axis(a, axis, &outer, &inner);
    size_t rin = (size_t)a->shape[axis] * inner, rout = (size_t)total * inner;
    for (size_t o = 0; o < outer; o++)
        memcpy(y->val + o * rout + (size_t)start * inner, a->val + o * rin,
               rin * sizeof(float));
    return y;
}

void ml_ad_shape_backward(ml_ad_tape *t, ml_ad_node *y, ml_ad_node *gy,
                          const int *need, ml_ad_node **gin)
{
    ml_ad_node *a = y->in[0];
    int axis = y->attr.i[0];
    switch (y->op) {
    case ML_AD_RESHAPE: /* da = reshape(G, shape(a)) */
        if (need[0]) gin[0] = ml_ad_reshape(t, gy, a->ndim, a->shape);
        break;
    case ML_AD_CONCAT: { /* da, db = the two slices of G */
        ml_ad_node *b = y->in[1];
        if (need[0]) gin[0] = ml_ad_slice(t, gy, axis, 0, a->shape[axis]);
        if (need[1])
            gin[1] = ml_ad_slice(t, gy, axis, a->shape[axis], b->shape[axis]);
        break;
    }
    case ML_AD_SLICE: /* da = G placed back into zeros */
        if (need[0]) gin[0] = ml_ad_pad(t, gy, axis, y->attr.i[1], a->shape[axis]);
        break;
    case ML_AD_PAD: /* da = the slice of G where a was placed */
        if (need[0]) gin[0] = ml_ad_slice(t, gy, axis, y->attr.i[1], a->shape[axis]);
        break;
    default:
        break;
    }
}
