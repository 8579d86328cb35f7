/* Batch normalisation with batch statistics as one op, optionally followed
 * by relu.  Per channel c, over the m = N H W values of x [N, C, H, W] (or
 * the m = N rows of x [N, C]):
 *   mu = sum(x) / m,  var = sum((x - mu)^2) / m  (biased),
 *   r  = 1 / sqrt(var + eps),  a = gamma r,
 *   y  = (x - mu) a + beta                       (then max(y, 0) with relu)
 * Composed from elementwise ops this made about 16 passes over x-sized
 * tensors forward and backward, and these are memory-bound.  Fused, each
 * channel (contiguous runs of H W floats, one per image) is read twice for
 * its statistics and once more to write y, while it sits in the cache.
 *
 * Backward, with g = G (or G [y > 0] with relu), xhat = (x - mu) r,
 * sb = sum(g) and sg = sum(g (x - mu)) per channel:
 *   dbeta  = sb,   dgamma = r sg,
 *   dx     = a (g - sb / m - xhat dgamma / m)
 *          = a g - a r^2 sg / m (x - mu) - a sb / m
 * one pass for the two sums and one for dx.  Under create_graph the same
 * formulas are built from the elementwise ops (the statistics recomputed
 * from x by ops), so gradients of any order exist, as in ops_lstm.c. */
#include "ops_internal.h"

#include <math.h>

/* Partial sums for the vector units without reassociation flags: GCC
 * vectorises a loop over a fixed array of accumulators. */
#define LANES 16

/* The m values of one channel: n runs of p floats, stride apart. */
typedef struct bn_chan {
    size_t n, p, stride;
} bn_chan;

static inline double fold(const float acc[LANES], float tail)
{
    double s = tail;
    for (int k = 0; k < LANES; k++)
        s += acc[k];
    return s;
}

/* sum(x) and then sum((x - mu)^2) for the channel at x; each run summed in
 * float lanes, the runs in double. */
ML_AD_VECTOR static void channel_stats(const bn_chan *ch, const float *x,
                                       double m, float *mu_out, float *var_out)
{
    double s = 0.0;
    for (size_t b = 0; b < ch->n; b++) {
        const float *restrict xr = x + b * ch->stride;
        float acc[LANES] = {0}, tail = 0.0f;
        size_t i = 0;
        for (; i + LANES <= ch->p; i += LANES)
            for (int k = 0; k < LANES; k++)
                acc[k] += xr[i + (size_t)k];
        for (; i < ch->p; i++)
            tail += xr[i];
        s += fold(acc, tail);
    }
    const float mu = (float)(s / m);
    double q = 0.0;
    for (size_t b = 0; b < ch->n; b++) {
        const float *restrict xr = x + b * ch->stride;
        float acc[LANES] = {0}, tail = 0.0f;
        size_t i = 0;
        for (; i + LANES <= ch->p; i += LANES)
            for (int k = 0; k < LANES; k++) {
                const float d = xr[i + (size_t)k] - mu;
                acc[k] += d * d;
            }
        for (; i < ch->p; i++) {
            const float d = xr[i] - mu;
            tail += d * d;
        }
        q += fold(acc, tail);
    }
    *mu_out = mu;
    *var_out = (float)(q / m);
}

/* y = (x - mu) a + beta, then relu. */
ML_AD_VECTOR static void channel_affine(const bn_chan *ch, const float *x,
                                        float *y, float mu, float a,
                                        float beta, int relu)
{
    for (size_t b = 0; b < ch->n; b++) {
        const float *restrict xr = x + b * ch->stride;
        float *restrict yr = y + b * ch->stride;
        if (relu)
            for (size_t i = 0; i < ch->p; i++) {
                const float v = (xr[i] - mu) * a + beta;
                yr[i] = v > 0.0f ? v : 0.0f;
            }
        else
            for (size_t i = 0; i < ch->p; i++)
                yr[i] = (xr[i] - mu) * a + beta;
    }
}

/* sb = sum(g), sg = sum(g (x - mu)).  With relu, g = G where the forward's
 * (x - mu) a + beta is > 0: recomputed by the same float operations as
 * the forward, so exactly the forward's mask, without reading y. */
ML_AD_VECTOR static void channel_sums(const bn_chan *ch, const float *x,
                                      const float *gy, float mu, float a,
                                      float beta, int relu, double *sb,
                                      double *sg)
{
    double s0 = 0.0, s1 = 0.0;
    for (size_t b = 0; b < ch->n; b++) {
        const float *restrict xr = x + b * ch->stride;
        const float *restrict gr = gy + b * ch->stride;
        float a0[LANES] = {0}, a1[LANES] = {0}, t0 = 0.0f, t1 = 0.0f;
        size_t i = 0;
        for (; i + LANES <= ch->p; i += LANES)
            for (int k = 0; k < LANES; k++) {
                const float d = xr[i + (size_t)k] - mu;
                const float gk = gr[i + (size_t)k];
                const float g = !relu || d * a + beta > 0.0f ? gk : 0.0f;
                a0[k] += g;
                a1[k] += g * d;
            }
        for (; i < ch->p; i++) {
            const float d = xr[i] - mu;
            const float g = !relu || d * a + beta > 0.0f ? gr[i] : 0.0f;
            t0 += g;
            t1 += g * d;
        }
        s0 += fold(a0, t0);
        s1 += fold(a1, t1);
    }
    *sb = s0;
    *sg = s1;
}

/* dx = a g + k1 (x - mu) + k0. */
ML_AD_VECTOR static void channel_dx(const bn_chan *ch, const float *x,
                                    const float *gy, float *dx, float mu,
                                    float a, float beta, int relu, float k1,
                                    float k0)
{
    for (size_t b = 0; b < ch->n; b++) {
        const float *restrict xr = x + b * ch->stride;
        const float *restrict gr = gy + b * ch->stride;
        float *restrict dr = dx + b * ch->stride;
        for (size_t i = 0; i < ch->p; i++) {
            const float d = xr[i] - mu;
            const float gi = gr[i];
            const float g = !relu || d * a + beta > 0.0f ? gi : 0.0f;
            dr[i] = a * g + (k1 * d + k0);
        }
    }
}

/* The layout of channel c's values in x. */
static bn_chan channel_of(const ml_ad_node *x)
{
    const size_t p = x->ndim == 4 ? (size_t)x->shape[2] * (size_t)x->shape[3] : 1;
    return (bn_chan){.n = (size_t)x->shape[0], .p = p,
                     .stride = (size_t)x->shape[1] * p};
}

static ml_ad_node *batchnorm(ml_ad_tape *t, const char *what, ml_ad_node *x,
                             ml_ad_node *gamma, ml_ad_node *beta, float eps,
                             int relu)
{
    if (!x || !gamma || !beta)
        return NULL;
    if (t->status != ML_OK)
        return NULL;
    char sx[64];
    if (x->ndim != 4 && x->ndim != 2)
        return ml_ad_fail(t, ML_ERR_SHAPE, "%s: need x [N, C, H, W] or "
                          "[N, C], got %s", what, ml_ad_shape_str(x, sx, sizeof sx));
    const int c = x->shape[1];
    if (gamma->size != (size_t)c || beta->size != (size_t)c)
        return ml_ad_fail(t, ML_ERR_SHAPE, "%s: gamma and beta need %d "
                          "values (one per channel of %s), got %zu and %zu",
                          what, c, ml_ad_shape_str(x, sx, sizeof sx),
                          gamma->size, beta->size);
    if (!(eps >= 0.0f) || !isfinite(eps))
        return ml_ad_fail(t, ML_ERR_INVALID_ARG, "%s: eps %g (finite, >= 0)",
                          what, (double)eps);
    ml_ad_node *y = ml_ad_node_new3(t, ML_AD_BATCHNORM, x->ndim, x->shape, x,
                                    gamma, beta);
    if (!y)
        return NULL;
    /* mean[c], r[c], eps */
    float *aux = ml_arena_alloc(&t->arena, (2 * (size_t)c + 1) * sizeof(float));
    if (!aux)
        return ml_ad_fail(t, ML_ERR_NOMEM, "%s: out of memory", what);
    y->aux = aux;
    y->attr.i[0] = relu;
    aux[2 * (size_t)c] = eps;
    const bn_chan ch = channel_of(x);
    const double m = (double)ch.n * (double)ch.p;
    for (int k = 0; k < c; k++) {
        const size_t off = (size_t)k * ch.p;
        float mu, var;
        channel_stats(&ch, x->val + off, m, &mu, &var);
        const float r = 1.0f / sqrtf(var + eps);
        aux[k] = mu;
        aux[c + k] = r;
        channel_affine(&ch, x->val + off, y->val + off, mu, gamma->val[k] * r,
                       beta->val[k], relu);
    }
    return y;
}

ml_ad_node *ml_ad_batchnorm(ml_ad_tape *t, ml_ad_node *x, ml_ad_node *gamma,
                            ml_ad_node *beta, float eps)
{
    return batchnorm(t, "batchnorm", x, gamma, beta, eps, 0);
}

ml_ad_node *ml_ad_batchnorm_relu(ml_ad_tape *t, ml_ad_node *x,
                                 ml_ad_node *gamma, ml_ad_node *beta, float eps)
{
    return batchnorm(t, "batchnorm_relu", x, gamma, beta, eps, 1);
}

/* The fused backward into constants. */
static void backward_values(ml_ad_tape *t, ml_ad_node *y, ml_ad_node *gy,
                            const int *need, ml_ad_node **gin)
{
    ml_ad_node *x = y->in[0], *gamma = y->in[1], *beta = y->in[2];
    const int c = x->shape[1], relu = y->attr.i[0];
    /* Constants, every element written below: no zero fill. */
    ml_ad_node *dx = need[0] ? ml_ad_node_new(t, ML_AD_LEAF, x->ndim, x->shape, NULL, NULL) : NULL;
    ml_ad_node *dg = need[1] ? ml_ad_node_new(t, ML_AD_LEAF, gamma->ndim, gamma->shape, NULL, NULL) : NULL;
    ml_ad_node *db = need[2] ? ml_ad_node_new(t, ML_AD_LEAF, beta->ndim, beta->shape, NULL, NULL) : NULL;
    if (t->status != ML_OK)
        return;
    const bn_chan ch = channel_of(x);
    const double m = (double)ch.n * (double)ch.p;
    for (int k = 0; k < c; k++) {
        const size_t off = (size_t)k * ch.p;
        const float mu = y->aux[k], r = y->aux[c + k];
        const float a = gamma->val[k] * r, be = beta->val[k];
        double sb, sg;
        channel_sums(&ch, x->val + off, gy->val + off, mu, a, be, relu, &sb, &sg);
        if (db)
            db->val[k] = (float)sb;
        if (dg)
            dg->val[k] = (float)((double)r * sg);
        if (dx) {
            const float k1 = (float)(-(double)a * r * r * sg / m);
            const float k0 = (float)(-(double)a * sb / m);
            channel_dx(&ch, x->val + off, gy->val + off, dx->val + off, mu, a,
                       be, relu, k1, k0);
        }
    }
    gin[0] = dx;
    gin[1] = dg;
    gin[2] = db;
}

/* The same from the elementwise ops, recorded. */
static void backward_graph(ml_ad_tape *t, ml_ad_node *y, ml_ad_node *gy,
                           const int *need, ml_ad_node **gin)
{
    ml_ad_node *x = y->in[0], *gamma = y->in[1], *beta = y->in[2];
    const int nd = x->ndim, c = x->shape[1];
    int cs[4] = {1, c, 1, 1}; /* per-channel values broadcast against x */
    const float inv_m = (float)((double)c / (double)x->size);
    /* relu's gradient: G where y > 0, piecewise constant in y */
    ml_ad_node *g = y->attr.i[0] ? ml_ad_mask(t, gy, y) : gy;
    ml_ad_node *mu = ml_ad_scale(t, ml_ad_sum_to(t, x, nd, cs), inv_m);
    ml_ad_node *xc = ml_ad_sub(t, x, mu);
    ml_ad_node *var = ml_ad_scale(t, ml_ad_sum_to(t, ml_ad_square(t, xc), nd, cs),
                                  inv_m);
    ml_ad_node *sd = ml_ad_sqrt(t, ml_ad_add(t, var, ml_ad_fill(t, nd, cs,
                                                                 y->aux[2 * c])));
    ml_ad_node *xhat = ml_ad_div(t, xc, sd);
    ml_ad_node *sb = need[0] || need[2] ? ml_ad_sum_to(t, g, nd, cs) : NULL;
    ml_ad_node *sg = need[0] || need[1]
                         ? ml_ad_sum_to(t, ml_ad_mul(t, g, xhat), nd, cs) : NULL;
    if (need[0]) { /* dx = gamma / sd (g - sb / m - xhat sg / m) */
        ml_ad_node *inner = ml_ad_sub(t, ml_ad_sub(t, g, ml_ad_scale(t, sb, inv_m)),
                                      ml_ad_mul(t, xhat, ml_ad_scale(t, sg, inv_m)));
        gin[0] = ml_ad_mul(t, inner, ml_ad_div(t, ml_ad_reshape(t, gamma, nd, cs), sd));
    }
    if (need[1])
        gin[1] = ml_ad_reshape(t, sg, gamma->ndim, gamma->shape);
    if (need[2])
        gin[2] = ml_ad_reshape(t, sb, beta->ndim, beta->shape);
}

void ml_ad_norm_backward(ml_ad_tape *t, ml_ad_node *y, ml_ad_node *gy,
                         const int *need, ml_ad_node **gin)
{
    if (t->recording)
        backward_graph(t, y, gy, need, gin);
    else
        backward_values(t, y, gy, need, gin);
}
