/* Batch normalisation with batch statistics, composed from differentiable
 * ops (so it has gradients of any order and no backward rule of its own).
 * Per channel c, over the m = N H W values of x [N, C, H, W] (or the
 * m = N rows of x [N, C]):
 *   mu    = sum(x) / m
 *   var   = sum((x - mu)^2) / m             (biased)
 *   y     = (x - mu) / sqrt(var + eps) * gamma + beta
 * computed as y = (x - mu) a + beta with the per-channel a = gamma / sd:
 * the normalised x is never formed, which saves two passes over x-sized
 * tensors forward and more backward (these are memory-bound). */
#include "ops_internal.h"

#include <math.h>

ml_ad_node *ml_ad_batchnorm(ml_ad_tape *t, ml_ad_node *x, ml_ad_node *gamma,
                            ml_ad_node *beta, float eps)
{
    if (!x || !gamma || !beta)
        return NULL;
    if (t->status != ML_OK)
        return NULL;
    char sx[64];
    if (x->ndim != 4 && x->ndim != 2)
        return ml_ad_fail(t, ML_ERR_SHAPE, "batchnorm: need x [N, C, H, W] or "
                          "[N, C], got %s", ml_ad_shape_str(x, sx, sizeof sx));
    const int c = x->shape[1];
    if (gamma->size != (size_t)c || beta->size != (size_t)c)
        return ml_ad_fail(t, ML_ERR_SHAPE, "batchnorm: gamma and beta need %d "
                          "values (one per channel of %s), got %zu and %zu", c,
                          ml_ad_shape_str(x, sx, sizeof sx), gamma->size,
                          beta->size);
    if (!(eps >= 0.0f) || !isfinite(eps))
        return ml_ad_fail(t, ML_ERR_INVALID_ARG, "batchnorm: eps %g (finite, "
                          ">= 0)", (double)eps);
    /* Per-channel statistics live in [1, C, 1, 1] (or [1, C]), which
     * broadcasts against x. */
    const int nd = x->ndim;
    int cs[4] = {1, c, 1, 1};
    const float inv_m = (float)((double)c / (double)x->size);
    ml_ad_node *mu = ml_ad_scale(t, ml_ad_sum_to(t, x, nd, cs), inv_m);
    ml_ad_node *xc = ml_ad_sub(t, x, mu);                   /* x - mu */
    ml_ad_node *var = ml_ad_scale(t, ml_ad_sum_to(t, ml_ad_square(t, xc), nd, cs),
                                  inv_m);
    ml_ad_node *sd = ml_ad_sqrt(t, ml_ad_add(t, var, ml_ad_fill(t, nd, cs, eps)));
    ml_ad_node *a = ml_ad_div(t, ml_ad_reshape(t, gamma, nd, cs), sd);
    return ml_ad_add(t, ml_ad_mul(t, xc, a),                /* (x - mu) a */
                     ml_ad_reshape(t, beta, nd, cs));       /* + beta */
}
