/* Pairwise squared Euclidean distance between two sets of rows. */
#include "ops_internal.h"


ml_ad_node *ml_ad_sqdist(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b)
{
    if (!a || !b)
        return NULL;
    if (a->ndim != 2 || b->ndim != 2 || a->shape[1] != b->shape[1])
        return ml_ad_fail(t, ML_ERR_SHAPE, "sqdist: need [N, D] and [M, D]");
    int n = a->shape[0], m = b->shape[0], d = a->shape[1];
    int shape[2] = {n, m};
    ml_ad_node *y = ml_ad_node_new(t, ML_AD_SQDIST, 2, shape, a, b);
    if (!y)
        return NULL;
    /* Direct differences rather than |a|^2 + |b|^2 - 2ab: exact zero for
     * equal rows and no cancellation. */
    for (int i = 0; i < n; i++) {
        const float *ai = a->val + (size_t)i * (size_t)d;
        for (int j = 0; j < m; j++) {
            const float *bj = b->val + (size_t)j * (size_t)d;
            float s = 0.0f;
            for (int k = 0; k < d; k++) {
                float e = ai[k] - bj[k];
                s += e * e;
            }
            y->val[(size_t)i * (size_t)m + (size_t)j] = s;
        }
    }
    return y;
}

void ml_ad_distance_backward(ml_ad_tape *t, ml_ad_node *y, ml_ad_node *g,
                             const int *need, ml_ad_node **gin)
{
    ml_ad_node *a = y->in[0], *b = y->in[1];
    int n = a->shape[0], m = b->shape[0];
    if (need[0]) {
        /* dA = 2 (rowsum(G) * A - G B) */
        int col[2] = {n, 1};
        ml_ad_node *rs = ml_ad_sum_to(t, g, 2, col);
        gin[0] = ml_ad_scale(t, ml_ad_sub(t, ml_ad_mul(t, a, rs),
                                          ml_ad_matmul(t, g, b, 0, 0)), 2.0f);
    }
    if (need[1]) {
        /* dB = 2 (colsum(G)^T * B - G^T A) */
        int row[2] = {1, m}, col[2] = {m, 1};
        ml_ad_node *cs = ml_ad_reshape(t, ml_ad_sum_to(t, g, 2, row), 2, col);
        gin[1] = ml_ad_scale(t, ml_ad_sub(t, ml_ad_mul(t, b, cs),
                                          ml_ad_matmul(t, g, a, 1, 0)), 2.0f);
    }
}
