/* Matrix products (optionally transposed, optionally batched) and dense
 * layers, through ml_sgemm. */
#include "ops_internal.h"

#include "core/blas.h"


ml_ad_node *ml_ad_matmul(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b, int ta,
                         int tb)
{
    if (!a || !b)
        return NULL;
    /* 2-D, or 3-D with one product per index of the leading (batch) dim */
    int nd = a->ndim;
    if (nd != b->ndim || nd < 2 || nd > 3 || (nd == 3 && a->shape[0] != b->shape[0]))
        return ml_ad_fail(t, ML_ERR_SHAPE, "matmul: operands must both be 2-D, or "
                          "both 3-D with the same batch size");
    const int *as = a->shape + nd - 2, *bs = b->shape + nd - 2;
    int batch = nd == 3 ? a->shape[0] : 1;
    int m = ta ? as[1] : as[0];
    int k = ta ? as[0] : as[1];
    int kb = tb ? bs[1] : bs[0];
    int n = tb ? bs[0] : bs[1];
    if (k != kb)
        return ml_ad_fail(t, ML_ERR_SHAPE, "matmul: inner sizes %d and %d differ",
                          k, kb);
    int shape[3] = {batch, m, n};
    ml_ad_node *y = ml_ad_node_new(t, ML_AD_MATMUL, nd, shape + 3 - nd, a, b);
    if (!y)
        return NULL;
    y->attr.i[0] = ta != 0;
    y->attr.i[1] = tb != 0;
    size_t sa = (size_t)as[0] * (size_t)as[1], sb = (size_t)bs[0] * (size_t)bs[1],
           sy = (size_t)m * (size_t)n;
    for (int i = 0; i < batch; i++)
        ml_sgemm(ta, tb, m, n, k, 1.0f, a->val + i * sa, as[1], b->val + i * sb, bs[1],
                 0.0f, y->val + i * sy, n);
    return y;
}

/* Every row of y [n, m] set to b: a loop, not n calls of memcpy (rows of
 * a few dozen floats). */
ML_AD_VECTOR static void fill_rows(float *restrict y, const float *restrict b, size_t n,
                                   size_t m)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++)
            y[i * m + j] = b[j];
}

ml_ad_node *ml_ad_linear(ml_ad_tape *t, ml_ad_node *x, ml_ad_node *w,
                         ml_ad_node *b)
{
    if (!x || !w || !b)
        return NULL;
    /* 2-D, or 3-D: one layer per index of the leading (batch) dim */
    int nd = x->ndim, batch = nd == 3 ? x->shape[0] : 1;
    if ((nd != 2 && nd != 3) || w->ndim != nd || (nd == 3 && w->shape[0] != batch) ||
        x->shape[nd - 1] != w->shape[nd - 2] ||
        b->size != (size_t)batch * (size_t)w->shape[nd - 1])
        return ml_ad_fail(t, ML_ERR_SHAPE, "linear: need x [N, K], W [K, M], b [M], "
                          "or x [B, N, K], W [B, K, M], b [B, M]");
    int n = x->shape[nd - 2], k = x->shape[nd - 1], m = w->shape[nd - 1];
    int shape[3] = {batch, n, m};
    ml_ad_node *y = ml_ad_node_new3(t, ML_AD_LINEAR, nd, shape + 3 - nd, x, w, b);
    if (!y)
        return NULL;
    for (int q = 0; q < batch; q++) {
        float *yq = y->val + (size_t)q * (size_t)n * (size_t)m;
        const float *bq = b->val + (size_t)q * (size_t)m;
        /* Rows start as b; the GEMM adds x W on top (beta = 1). */
        fill_rows(yq, bq, (size_t)n, (size_t)m);
        ml_sgemm(0, 0, n, m, k, 1.0f, x->val + (size_t)q * (size_t)n * (size_t)k, k,
                 w->val + (size_t)q * (size_t)k * (size_t)m, m, 1.0f, yq, m);
    }
    return y;
}

void ml_ad_matmul_backward(ml_ad_tape *t, ml_ad_node *y, ml_ad_node *g,
                           const int *need, ml_ad_node **gin)
{
    ml_ad_node *a = y->in[0], *b = y->in[1];
    if (y->op == ML_AD_LINEAR) { /* Y = X W + b (per batch) */
        ml_ad_node *bias = y->in[2];
        if (need[0]) gin[0] = ml_ad_matmul(t, g, b, 0, 1);  /* dX = G W^T */
        if (need[1]) gin[1] = ml_ad_matmul(t, a, g, 1, 0);  /* dW = X^T G */
        if (need[2]) { /* db = sum over (each batch's) rows of G, in b's shape */
            int nd = y->ndim, s[3] = {y->shape[0], 1, y->shape[nd - 1]};
            ml_ad_node *sum = nd == 3 ? ml_ad_sum_to(t, g, 3, s) : ml_ad_sum_to(t, g, 1, s + 2);
            gin[2] = ml_ad_reshape(t, sum, bias->ndim, bias->shape);
        }
        return;
    }
    /* The same rules hold product by product for batched operands. */
    int ta = y->attr.i[0], tb = y->attr.i[1];
    if (!ta && !tb) {        /* Y = A B */
        if (need[0]) gin[0] = ml_ad_matmul(t, g, b, 0, 1);  /* dA = G B^T */
        if (need[1]) gin[1] = ml_ad_matmul(t, a, g, 1, 0);  /* dB = A^T G */
    } else if (ta && !tb) {  /* Y = A^T B */
        if (need[0]) gin[0] = ml_ad_matmul(t, b, g, 0, 1);  /* dA = B G^T */
        if (need[1]) gin[1] = ml_ad_matmul(t, a, g, 0, 0);  /* dB = A G */
    } else if (!ta && tb) {  /* Y = A B^T */
        if (need[0]) gin[0] = ml_ad_matmul(t, g, b, 0, 0);  /* dA = G B */
        if (need[1]) gin[1] = ml_ad_matmul(t, g, a, 1, 0);  /* dB = G^T A */
    } else {                 /* Y = A^T B^T */
        if (need[0]) gin[0] = ml_ad_matmul(t, b, g, 1, 1);  /* dA = B^T G^T */
        if (need[1]) gin[1] = ml_ad_matmul(t, g, a, 1, 1);  /* dB = G^T A^T */
    }
}
