/* Reductions and broadcasts: sum_to and expand (each the other's adjoint),
 * and the sums and means built from them. */
#include "ops_internal.h"

#include <string.h>

static int check_broadcast(ml_ad_tape *t, const char *what, int bigndim,
                           const int *bigshape, int smallndim,
                           const int *smallshape, int dims[4], size_t st[4])
{
    if (ml_ad_broadcast_strides(bigndim, bigshape, smallndim, smallshape,
                                dims, st))
        return 1;
    ml_ad_fail(t, ML_ERR_SHAPE, "%s: shapes are not broadcast-compatible",
               what);
    return 0;
}

/* Sum of n floats in eight interleaved partial sums: vectorisable (a
 * single running sum is not, without reassociating floats) and no less
 * accurate. */
static float sum_run(const float *restrict x, size_t n)
{
    float p[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++)
            p[k] += x[i + (size_t)k];
    float s = 0.0f;
    for (; i < n; i++)
        s += x[i];
    return s + ((p[0] + p[4]) + (p[1] + p[5])) + ((p[2] + p[6]) + (p[3] + p[7]));
}

/* o (zeroed) += x summed along the dims where o's strides st are 0, x
 * walked in order over dims. */
ML_AD_VECTOR static void sum_into(float *o, const float *x, const int dims[4],
                                  const size_t st[4])
{
    size_t off = 0;
    for (int i0 = 0; i0 < dims[0]; i0++)
        for (int i1 = 0; i1 < dims[1]; i1++)
            for (int i2 = 0; i2 < dims[2]; i2++) {
                float *restrict op = o + i0 * st[0] + i1 * st[1] + i2 * st[2];
                const float *restrict xp = x + off;
                if (st[3]) {
                    for (int i3 = 0; i3 < dims[3]; i3++)
                        op[i3] += xp[i3];
                } else {
                    op[0] += sum_run(xp, (size_t)dims[3]);
                }
                off += (size_t)dims[3];
            }
}

ml_ad_node *ml_ad_sum_to(ml_ad_tape *t, ml_ad_node *a, int ndim,
                         const int *shape)
{
    if (!a)
        return NULL;
    int dims[4];
    size_t st[4];
    if (!check_broadcast(t, "sum_to", a->ndim, a->shape, ndim, shape, dims, st))
        return NULL;
    ml_ad_node *y = ml_ad_node_new(t, ML_AD_SUM_TO, ndim, shape, a, NULL);
    if (!y)
        return NULL;
    const float *x = a->val;
    float *o = y->val;
    if (y->size == a->size) {
        memcpy(o, x, a->size * sizeof(float));
    } else if (y->size == 1) {
        /* Accumulate in double: a sum of many floats loses digits. */
        double s = 0.0;
        for (size_t i = 0; i < a->size; i++)
            s += x[i];
        o[0] = (float)s;
    } else {
        memset(o, 0, y->size * sizeof(float));
        sum_into(o, x, dims, st);
    }
    return y;
}

/* o, walked in order over dims, = x at strides st (0: repeated). */
ML_AD_VECTOR static void expand_into(float *o, const float *x, const int dims[4],
                                     const size_t st[4])
{
    size_t off = 0;
    for (int i0 = 0; i0 < dims[0]; i0++)
        for (int i1 = 0; i1 < dims[1]; i1++)
            for (int i2 = 0; i2 < dims[2]; i2++) {
                const float *restrict xp = x + i0 * st[0] + i1 * st[1] + i2 * st[2];
                float *restrict op = o + off;
                if (st[3])
                    for (int i3 = 0; i3 < dims[3]; i3++)
                        op[i3] = xp[i3];
                else
                    for (int i3 = 0; i3 < dims[3]; i3++)
                        op[i3] = xp[0];
                off += (size_t)dims[3];
            }
}

ml_ad_node *ml_ad_expand(ml_ad_tape *t, ml_ad_node *a, int ndim,
                         const int *shape)
{
    if (!a)
        return NULL;
    int dims[4];
    size_t st[4];
    if (!check_broadcast(t, "expand", ndim, shape, a->ndim, a->shape, dims, st))
        return NULL;
    ml_ad_node *y = ml_ad_node_new(t, ML_AD_EXPAND, ndim, shape, a, NULL);
    if (!y)
        return NULL;
    const float *x = a->val;
    float *o = y->val;
    if (y->size == a->size) {
        memcpy(o, x, a->size * sizeof(float));
    } else if (a->size == 1) {
        for (size_t i = 0; i < y->size; i++)
            o[i] = x[0];
    } else {
        expand_into(o, x, dims, st);
    }
    return y;
}

void ml_ad_reduce_backward(ml_ad_tape *t, ml_ad_node *y, ml_ad_node *gy,
                           const int *need, ml_ad_node **gin)
{
    ml_ad_node *a = y->in[0];
    if (!need[0])
        return;
    if (y->op == ML_AD_SUM_TO) /* da = expand(G) */
        gin[0] = ml_ad_expand(t, gy, a->ndim, a->shape);
    else /* EXPAND: da = sum_to(G) */
        gin[0] = ml_ad_sum_to(t, gy, a->ndim, a->shape);
}

ml_ad_node *ml_ad_sum(ml_ad_tape *t, ml_ad_node *a)
{
    int one = 1;
    return ml_ad_sum_to(t, a, 1, &one);
}

ml_ad_node *ml_ad_mean(ml_ad_tape *t, ml_ad_node *a)
{
    if (!a)
        return NULL;
    return ml_ad_scale(t, ml_ad_sum(t, a), 1.0f / (float)a->size);
}

ml_ad_node *ml_ad_sum_axis(ml_ad_tape *t, ml_ad_node *a, int axis)
{
    if (!a)
        return NULL;
    if (axis < 0 || axis >= a->ndim)
        return ml_ad_fail(t, ML_ERR_INVALID_ARG, "sum_axis: axis %d of a %d-D tensor",
                          axis, a->ndim);
    int kept[ML_AD_MAXDIM], out[ML_AD_MAXDIM], n = 0;
    for (int i = 0; i < a->ndim; i++) {
        kept[i] = i == axis ? 1 : a->shape[i];
        if (i != axis)
            out[n++] = a->shape[i];
    }
    if (n == 0)
        out[n++] = 1;
    return ml_ad_reshape(t, ml_ad_sum_to(t, a, a->ndim, kept), n, out);
}

ml_ad_node *ml_ad_mean_axis(ml_ad_tape *t, ml_ad_node *a, int axis)
{
    if (!a)
        return NULL;
    if (axis < 0 || axis >= a->ndim)
        return ml_ad_fail(t, ML_ERR_INVALID_ARG, "mean_axis: axis %d of a %d-D tensor",
                          axis, a->ndim);
    return ml_ad_scale(t, ml_ad_sum_axis(t, a, axis),
                       1.0f / (float)a->shape[axis]);
}
