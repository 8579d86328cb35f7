/* Softmax and the losses: softmax cross-entropy, binary cross-entropy with
 * logits, mean squared error. */
#include "ops_internal.h"

#include <math.h>
#include <string.h>

ml_ad_node *ml_ad_softmax(ml_ad_tape *t, ml_ad_node *a)
{
    if (!a)
        return NULL;
    ml_ad_node *y = ml_ad_node_new(t, ML_AD_SOFTMAX, a->ndim, a->shape, a, NULL);
    if (!y)
        return NULL;
    size_t c = (size_t)a->shape[a->ndim - 1], rows = a->size / c;
    for (size_t r = 0; r < rows; r++) {
        const float *x = a->val + r * c;
        float *o = y->val + r * c;
        float mx = x[0];
        for (size_t j = 1; j < c; j++)
            mx = x[j] > mx ? x[j] : mx;
        float s = 0.0f;
        for (size_t j = 0; j < c; j++) {
            o[j] = expf(x[j] - mx);
            s += o[j];
        }
        float inv = 1.0f / s;
        for (size_t j = 0; j < c; j++)
            o[j] *= inv;
    }
    return y;
}

ml_ad_node *ml_ad_softmax_ce(ml_ad_tape *t, ml_ad_node *z, const int *labels)
{
    if (!z)
        return NULL;
    if (z->ndim != 2)
        return ml_ad_fail(t, ML_ERR_SHAPE, "softmax_ce: logits must be [N, C]");
    if (!labels)
        return ml_ad_fail(t, ML_ERR_INVALID_ARG, "softmax_ce: NULL labels");
    int n = z->shape[0], c = z->shape[1];
    for (int i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= c)
            return ml_ad_fail(t, ML_ERR_RANGE,
                              "softmax_ce: label %d of row %d outside 0..%d",
                              labels[i], i, c - 1);
    int *lab = ml_arena_alloc(&t->arena, (size_t)n * sizeof *lab);
    if (!lab)
        return ml_ad_fail(t, ML_ERR_NOMEM, "softmax_ce: out of memory");
    memcpy(lab, labels, (size_t)n * sizeof *lab);
    int one = 1;
    ml_ad_node *y = ml_ad_node_new(t, ML_AD_SOFTMAX_CE, 1, &one, z, NULL);
    if (!y)
        return NULL;
    y->labels = lab;
    /* loss_i = logsumexp(z_i) - z_i[label_i], max-shifted */
    double total = 0.0;
    for (int i = 0; i < n; i++) {
        const float *x = z->val + (size_t)i * (size_t)c;
        float mx = x[0];
        for (int j = 1; j < c; j++)
            mx = x[j] > mx ? x[j] : mx;
        double s = 0.0;
        for (int j = 0; j < c; j++)
            s += exp((double)(x[j] - mx));
        total += log(s) + (double)mx - (double)x[lab[i]];
    }
    y->val[0] = (float)(total / n);
    return y;
}

ml_ad_node *ml_ad_bce_logits(ml_ad_tape *t, ml_ad_node *z, ml_ad_node *yt)
{
    if (!z || !yt)
        return NULL;
    if (!ml_ad_same_shape(z, yt))
        return ml_ad_fail(t, ML_ERR_SHAPE, "bce_logits: logits and targets differ in shape");
    int one = 1;
    ml_ad_node *y = ml_ad_node_new(t, ML_AD_BCE_LOGITS, 1, &one, z, yt);
    if (!y)
        return NULL;
    double total = 0.0;
    for (size_t i = 0; i < z->size; i++) {
        double x = z->val[i];
        total += (x > 0 ? x : 0) - x * yt->val[i] + log1p(exp(-fabs(x)));
    }
    y->val[0] = (float)(total / (double)z->size);
    return y;
}

ml_ad_node *ml_ad_mse(ml_ad_tape *t, ml_ad_node *p, ml_ad_node *yt)
{
    if (!p || !yt)
        return NULL;
    if (p->size != yt->size)
        return ml_ad_fail(t, ML_ERR_SHAPE, "mse: %zu predictions, %zu targets",
                          p->size, yt->size);
    int one = 1;
    ml_ad_node *y = ml_ad_node_new(t, ML_AD_MSE, 1, &one, p, yt);
    if (!y)
        return NULL;
    float s = 0.0f;
    for (size_t i = 0; i < p->size; i++) {
        float d = p->val[i] - yt->val[i];
        s += d * d;
    }
    y->val[0] = s / (float)p->size;
    return y;
}

void ml_ad_loss_backward(ml_ad_tape *t, ml_ad_node *y, ml_ad_node *g,
                         const int *need, ml_ad_node **gin)
{
    ml_ad_node *a = y->in[0], *b = y->in[1];
    switch (y->op) {
    case ML_AD_SOFTMAX: {
        /* da = y (G - rowsum(G y)) */
        if (!need[0])
            break;
        int rs[ML_AD_MAXDIM];
        memcpy(rs, y->shape, sizeof rs);
        rs[y->ndim - 1] = 1;
        ml_ad_node *dot = ml_ad_sum_to(t, ml_ad_mul(t, g, y), y->ndim, rs);
        gin[0] = ml_ad_mul(t, y, ml_ad_sub(t, g, dot));
        break;
    }
    case ML_AD_SOFTMAX_CE: {
        /* dz = G (softmax(z) - onehot(labels)) / N */
        if (!need[0])
            break;
        ml_ad_node *onehot = ml_ad_zeros(t, 2, a->shape);
        if (!onehot)
            break;
        for (int i = 0; i < a->shape[0]; i++)
            onehot->val[(size_t)i * (size_t)a->shape[1] + (size_t)y->labels[i]] = 1.0f;
        ml_ad_node *d = ml_ad_sub(t, ml_ad_softmax(t, a), onehot);
        gin[0] = ml_ad_scale(t, ml_ad_mul(t, d, g), 1.0f / (float)a->shape[0]);
        break;
    }
    case ML_AD_BCE_LOGITS: {
        /* dz = G (sigmoid(z) - y) / n,  dy = -G z / n */
        float inv = 1.0f / (float)a->size;
        if (need[0])
            gin[0] = ml_ad_scale(t, ml_ad_mul(t, ml_ad_sub(t, ml_ad_sigmoid(t, a), b), g), inv);
        if (need[1])
            gin[1] = ml_ad_scale(t, ml_ad_mul(t, a, g), -inv);
        break;
    }
    case ML_AD_MSE: {
        /* dp = 2 G (p - y) / n,  dy = -dp */
        ml_ad_node *bb = ml_ad_reshape(t, b, a->ndim, a->shape);
        ml_ad_node *dp = ml_ad_scale(t, ml_ad_mul(t, ml_ad_sub(t, a, bb), g),
                                     2.0f / (float)a->size);
        if (need[0])
            gin[0] = dp;
        if (need[1])
            gin[1] = ml_ad_reshape(t, ml_ad_neg(t, dp), b->ndim, b->shape);
        break;
    }
    default:
        break;
    }
}
