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
 * from x by ops), so gradients of any order exist, as in ops_lstm.c.
 *
 * With a 2x2 max-pool after the relu (the whole tail of a Conv-4 block)
 * the op writes only the pooled output: y = a (x - mu) + beta is monotone
 * in x in floating point too (each rounding is), so the maximum of the
 * window's relu(y) is found from y computed in registers and the full-size
 * y never reaches memory.  The window's argmax is the first maximum of
 * relu(y) in row-major order, exactly as maxpool(relu(.)) picks it; the
 * backward recomputes it (cheaper than storing it) and g is the pooled
 * gradient at the argmax where y > 0 there, 0 elsewhere, including a
 * dropped last row or column.  Under create_graph it is
 * pool_scatter(G, relu(batchnorm(x))) through the graph above. */
#include "ops_internal.h"

#include <math.h>

/* Partial sums for the vector units without reassociation flags: GCC
 * vectorises a loop over a fixed array of accumulators. */
#define LANES 16

/* The m values of one channel: n runs (planes) of p = h w floats, stride
 * apart. */
typedef struct bn_chan {
    size_t n, p, stride;
    size_t h, w;
} bn_chan;



static inline double fold(const float acc[LANES], float tail)
{
    double s = tail;
    for (int k = 0; k < LANES; k++)
        s += acc[k];
    return s;
}

/* Ask for the next image's run of the channel (n floats at p) while this
 * one is worked on: runs of a few kB, a whole image apart, are too short
 * for the hardware prefetchers to pick up before they end.  A hint only:
 * nothing is read. */
static inline void prefetch_run(const float *p, size_t n)
{
    for (size_t i = 0; i < n; i += 16)
        __builtin_prefetch(p + i);
}

/* The same for a run about to be written. */
static inline void prefetch_run_write(float *p, size_t n)
{
    for (size_t i = 0; i < n; i += 16)
        __builtin_prefetch(p + i, 1);
}

/* sum(x) and then sum((x - mu)^2) for the channel at x; each run summed in
 * float lanes, the runs in double. */
ML_AD_VECTOR static void channel_stats(const bn_chan *ch, const float *x,
                                       double m, float *mu_out, float *var_out)
{
    double s = 0.0;
    for (size_t b = 0; b < ch->n; b++) {
        const float *restrict xr = x + b * ch->stride;
        if (b + 1 < ch->n)
            prefetch_run(xr + ch->stride, ch->p);
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

/* The 2x2 window at column pair j of rows x0, x1: its four y values
 * before relu (v..), after relu (r..), and the first maximum of the r in
 * row-major order as in ops_pool.c (top_: the right one of the top pair,
 * bot_: of the bottom pair, low_: the bottom pair's). */
#define BN_WINDOW(x0, x1, j, mu, a, beta)                                     \
    const float v00_ = ((x0)[2 * (j)] - (mu)) * (a) + (beta);                 \
    const float v01_ = ((x0)[2 * (j) + 1] - (mu)) * (a) + (beta);             \
    const float v10_ = ((x1)[2 * (j)] - (mu)) * (a) + (beta);                 \
    const float v11_ = ((x1)[2 * (j) + 1] - (mu)) * (a) + (beta);             \
    const float r00_ = v00_ > 0.0f ? v00_ : 0.0f;                             \
    const float r01_ = v01_ > 0.0f ? v01_ : 0.0f;                             \
    const float r10_ = v10_ > 0.0f ? v10_ : 0.0f;                             \
    const float r11_ = v11_ > 0.0f ? v11_ : 0.0f;                             \
    const int top_ = r01_ > r00_, bot_ = r11_ > r10_;                         \
    const int low_ = ml_ad_pick(bot_, r11_, r10_) > ml_ad_pick(top_, r01_, r00_)

/* The pooling kernels work on tiles of TILE windows of a row pair: a loop
 * of a fixed TILE iterations is one vector of 16 lanes for the compiler,
 * where a loop over the row's 14, 7 or 3 windows would run entirely in its
 * scalar tail.  A tile reads 2 TILE floats of each row, past the row's
 * end into the next row (those lanes' results are dropped); only where
 * that would leave the tensor is it copied to the stack, zero-padded. */
#define TILE 16

typedef struct bn_tile {
    const float *x0, *x1;             /* the tile's rows */
    size_t len;                        /* windows used, <= TILE */
    float b0[2 * TILE], b1[2 * TILE]; /* the padded copy */
} bn_tile;

/* Windows j0.. of the row pair at r0 (row length w); x ends at end. */
static inline void tile_load(bn_tile *t, const float *r0, size_t w, size_t j0,
                             size_t wo, const float *end)
{
    t->len = wo - j0 < TILE ? wo - j0 : TILE;
    t->x0 = r0 + 2 * j0;
    t->x1 = t->x0 + w;
    if ((size_t)(end - t->x1) >= 2 * TILE)
        return;
    const size_t n = 2 * t->len;
    for (size_t q = 0; q < 2 * TILE; q++) {
        t->b0[q] = q < n ? t->x0[q] : 0.0f;
        t->b1[q] = q < n ? t->x1[q] : 0.0f;
    }
    t->x0 = t->b0;
    t->x1 = t->b1;
}

/* dst[0..n) = src[0..n) for n <= 2 TILE: written as a fixed loop of
 * conditional stores, which becomes masked vector stores (a plain loop
 * becomes a call to memcpy, slow for a few dozen bytes). */
static inline void copy_out(float *restrict dst, const float *restrict src, size_t n)
{
    for (size_t q = 0; q < 2 * TILE; q++)
        if (q < n)
            dst[q] = src[q];
}

/* The pooled gradients of a tile's windows: read in place, lanes past the
 * row included (their results are dropped or masked), unless a full tile
 * would leave the tensor at end; then a zero-padded copy in buf.  A stack
 * copy for every tile, filled by narrower stores, made the vector load
 * that reads it back wait (store forwarding fails): the hottest
 * instruction in perf's profile of the ProtoNet episode. */
static inline const float *g_tile(const float *g, const float *end, size_t len,
                                  float buf[TILE])
{
    if ((size_t)(end - g) >= TILE)
        return g;
    for (size_t q = 0; q < TILE; q++)
        buf[q] = q < len ? g[q] : 0.0f;
    return buf;
}

/* y [n, ho, wo] = maxpool2(relu((x - mu) a + beta)) for one channel. */
ML_AD_VECTOR static void channel_affine_pool(const bn_chan *ch, const float *x,
                                             const float *end, float *y,
                                             size_t ystride, float mu, float a,
                                             float beta)
{
    const size_t ho = ch->h / 2, wo = ch->w / 2;
    bn_tile t;
    float out[TILE];
    for (size_t b = 0; b < ch->n; b++) {
        if (b + 1 < ch->n)
            prefetch_run_write(y + (b + 1) * ystride, ho * wo);
        for (size_t oh = 0; oh < ho; oh++)
            for (size_t j0 = 0; j0 < wo; j0 += TILE) {
                tile_load(&t, x + b * ch->stride + 2 * oh * ch->w, ch->w, j0, wo, end);
                const float *restrict x0 = t.x0, *restrict x1 = t.x1;
                for (int j = 0; j < TILE; j++) {
                    BN_WINDOW(x0, x1, j, mu, a, beta);
                    out[j] = ml_ad_pick(low_, ml_ad_pick(bot_, r11_, r10_),
                                        ml_ad_pick(top_, r01_, r00_));
                }
                copy_out(y + b * ystride + oh * wo + j0, out, t.len);
            }
    }
}

/* sb = sum(g), sg = sum(g (x - mu)) with g the pooled gradient G at each
 * window's argmax where y > 0 there: only those positions contribute.
 * Per tile lane in float over a plane, then in double. */
ML_AD_VECTOR static void channel_sums_pool(const bn_chan *ch, const float *x,
                                           const float *end, const float *gy,
                                           const float *gend, size_t gstride,
                                           float mu, float a, float beta,
                                           double *sb, double *sg)
{
    const size_t ho = ch->h / 2, wo = ch->w / 2;
    double s0 = 0.0, s1 = 0.0;
    bn_tile t;
    for (size_t b = 0; b < ch->n; b++) {
        if (b + 1 < ch->n) {
            prefetch_run(x + (b + 1) * ch->stride, ch->p);
            prefetch_run(gy + (b + 1) * gstride, ho * wo);
        }
        float a0[TILE] = {0}, a1[TILE] = {0}, gt[TILE];
        for (size_t oh = 0; oh < ho; oh++)
            for (size_t j0 = 0; j0 < wo; j0 += TILE) {
                tile_load(&t, x + b * ch->stride + 2 * oh * ch->w, ch->w, j0, wo, end);
                const float *restrict x0 = t.x0, *restrict x1 = t.x1;
                const float *restrict gr = g_tile(gy + b * gstride + oh * wo + j0,
                                                  gend, t.len, gt);
                const size_t len = t.len;
                for (size_t j = 0; j < TILE; j++) {
                    BN_WINDOW(x0, x1, j, mu, a, beta);
                    const float vs = ml_ad_pick(low_, ml_ad_pick(bot_, v11_, v10_),
                                                ml_ad_pick(top_, v01_, v00_));
                    const float xs = ml_ad_pick(low_, ml_ad_pick(bot_, x1[2 * j + 1], x1[2 * j]),
                                                ml_ad_pick(top_, x0[2 * j + 1], x0[2 * j]));
                    /* lanes past the row add 0 */
                    const float g = ml_ad_pick(vs > 0.0f && j < len, gr[j], 0.0f);
                    a0[j] += g;
                    a1[j] += g * (xs - mu);
                }
            }
        s0 += fold(a0, 0.0f);
        s1 += fold(a1, 0.0f);
    }
    *sb = s0;
    *sg = s1;
}

/* dx = a g + k1 (x - mu) + k0 with g as above (0 off the argmax and in a
 * dropped last row or column). */
ML_AD_VECTOR static void channel_dx_pool(const bn_chan *ch, const float *x,
                                         const float *end, const float *gy,
                                         const float *gend, size_t gstride,
                                         float *dx, float mu, float a,
                                         float beta, float k1, float k0)
{
    const size_t ho = ch->h / 2, wo = ch->w / 2, w = ch->w;
    bn_tile t;
    float gt[TILE], d0[2 * TILE], d1[2 * TILE];
    for (size_t b = 0; b < ch->n; b++) {
        const float *xp = x + b * ch->stride;
        float *dp = dx + b * ch->stride;
        if (b + 1 < ch->n) {
            prefetch_run(xp + ch->stride, ch->p);
            prefetch_run(gy + (b + 1) * gstride, ho * wo);
            prefetch_run_write(dp + ch->stride, ch->p);
        }
        for (size_t oh = 0; oh < ho; oh++) {
            for (size_t j0 = 0; j0 < wo; j0 += TILE) {
                tile_load(&t, xp + 2 * oh * w, w, j0, wo, end);
                const float *restrict x0 = t.x0, *restrict x1 = t.x1;
                const float *restrict gr = g_tile(gy + b * gstride + oh * wo + j0,
                                                  gend, t.len, gt);
                for (int j = 0; j < TILE; j++) {
                    BN_WINDOW(x0, x1, j, mu, a, beta);
                    const float vs = ml_ad_pick(low_, ml_ad_pick(bot_, v11_, v10_),
                                                ml_ad_pick(top_, v01_, v00_));
                    const float g = ml_ad_pick(vs > 0.0f, gr[j], 0.0f);
                    const float gtop = ml_ad_pick(low_, 0.0f, g), gbot = ml_ad_pick(low_, g, 0.0f);
                    d0[2 * j] = a * ml_ad_pick(top_, 0.0f, gtop) + (k1 * (x0[2 * j] - mu) + k0);
                    d0[2 * j + 1] = a * ml_ad_pick(top_, gtop, 0.0f) +
                                    (k1 * (x0[2 * j + 1] - mu) + k0);
                    d1[2 * j] = a * ml_ad_pick(bot_, 0.0f, gbot) + (k1 * (x1[2 * j] - mu) + k0);
                    d1[2 * j + 1] = a * ml_ad_pick(bot_, gbot, 0.0f) +
                                    (k1 * (x1[2 * j + 1] - mu) + k0);
                }
                copy_out(dp + 2 * oh * w + 2 * j0, d0, 2 * t.len);
                copy_out(dp + (2 * oh + 1) * w + 2 * j0, d1, 2 * t.len);
            }
            const float *restrict x0 = xp + 2 * oh * w, *restrict x1 = x0 + w;
            float *restrict e0 = dp + 2 * oh * w, *restrict e1 = e0 + w;
            for (size_t q = 2 * wo; q < w; q++) { /* a dropped last column */
                e0[q] = k1 * (x0[q] - mu) + k0;
                e1[q] = k1 * (x1[q] - mu) + k0;
            }
        }
        for (size_t q = 2 * ho * w; q < ch->p; q++) /* a dropped last row */
            dp[q] = k1 * (xp[q] - mu) + k0;
    }
}

/* The layout of channel c's values in x. */
static bn_chan channel_of(const ml_ad_node *x)
{
    const size_t h = x->ndim == 4 ? (size_t)x->shape[2] : 1;
    const size_t w = x->ndim == 4 ? (size_t)x->shape[3] : 1;
    return (bn_chan){.n = (size_t)x->shape[0], .p = h * w,
                     .stride = (size_t)x->shape[1] * h * w, .h = h, .w = w};
}

/* pool: 0, or 2 for the 2x2 max-pool after the relu. */
static ml_ad_node *batchnorm(ml_ad_tape *t, const char *what, ml_ad_node *x,
                             ml_ad_node *gamma, ml_ad_node *beta, float eps,
                             int relu, int pool)
{
    if (!x || !gamma || !beta)
        return NULL;
    if (t->status != ML_OK)
        return NULL;
    char sx[64];
    if ((x->ndim != 4 && x->ndim != 2) || (pool && x->ndim != 4))
        return ml_ad_fail(t, ML_ERR_SHAPE, "%s: need x [N, C, H, W]%s, got %s",
                          what, pool ? "" : " or [N, C]",
                          ml_ad_shape_str(x, sx, sizeof sx));
    if (pool && (x->shape[2] < 2 || x->shape[3] < 2))
        return ml_ad_fail(t, ML_ERR_SHAPE, "%s: need H, W >= 2 for 2x2 pooling, "
                          "got %s", what, ml_ad_shape_str(x, sx, sizeof sx));
    const int c = x->shape[1];
    if (gamma->size != (size_t)c || beta->size != (size_t)c)
        return ml_ad_fail(t, ML_ERR_SHAPE, "%s: gamma and beta need %d "
                          "values (one per channel of %s), got %zu and %zu",
                          what, c, ml_ad_shape_str(x, sx, sizeof sx),
                          gamma->size, beta->size);
    if (!(eps >= 0.0f) || !isfinite(eps))
        return ml_ad_fail(t, ML_ERR_INVALID_ARG, "%s: eps %g (finite, >= 0)",
                          what, (double)eps);
    int shape[4] = {x->shape[0], c, x->shape[2], x->shape[3]};
    if (pool) {
        shape[2] /= 2;
        shape[3] /= 2;
    }
    ml_ad_node *y = ml_ad_node_new3(t, ML_AD_BATCHNORM, x->ndim, shape, x,
                                    gamma, beta);
    if (!y)
        return NULL;
    /* mean[c], r[c], eps */
    float *aux = ml_arena_alloc(&t->arena, (2 * (size_t)c + 1) * sizeof(float));
    if (!aux)
        return ml_ad_fail(t, ML_ERR_NOMEM, "%s: out of memory", what);
    y->aux = aux;
    y->attr.i[0] = relu;
    y->attr.i[1] = pool;
    aux[2 * (size_t)c] = eps;
    const bn_chan ch = channel_of(x);
    const size_t yp = y->size / ((size_t)x->shape[0] * (size_t)c); /* per plane */
    const double m = (double)ch.n * (double)ch.p;
    for (int k = 0; k < c; k++) {
        const size_t off = (size_t)k * ch.p;
        float mu, var;
        channel_stats(&ch, x->val + off, m, &mu, &var);
        const float r = 1.0f / sqrtf(var + eps);
        aux[k] = mu;
        aux[c + k] = r;
        if (pool)
            channel_affine_pool(&ch, x->val + off, x->val + x->size, y->val + (size_t)k * yp,
                                (size_t)c * yp, mu, gamma->val[k] * r, beta->val[k]);
        else
            channel_affine(&ch, x->val + off, y->val + off, mu, gamma->val[k] * r,
                           beta->val[k], relu);
    }
    return y;
}

ml_ad_node *ml_ad_batchnorm(ml_ad_tape *t, ml_ad_node *x, ml_ad_node *gamma,
                            ml_ad_node *beta, float eps)
{
    return batchnorm(t, "batchnorm", x, gamma, beta, eps, 0, 0);
}

ml_ad_node *ml_ad_batchnorm_relu(ml_ad_tape *t, ml_ad_node *x,
                                 ml_ad_node *gamma, ml_ad_node *beta, float eps)
{
    return batchnorm(t, "batchnorm_relu", x, gamma, beta, eps, 1, 0);
}

ml_ad_node *ml_ad_batchnorm_relu_pool(ml_ad_tape *t, ml_ad_node *x,
                                      ml_ad_node *gamma, ml_ad_node *beta,
                                      float eps)
{
    return batchnorm(t, "batchnorm_relu_pool", x, gamma, beta, eps, 1, 2);
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
    const int pool = y->attr.i[1];
    const size_t yp = y->size / ((size_t)x->shape[0] * (size_t)c); /* per plane */
    for (int k = 0; k < c; k++) {
        const size_t off = (size_t)k * ch.p;
        const float *g = gy->val + (size_t)k * yp;
        const float mu = y->aux[k], r = y->aux[c + k];
        const float a = gamma->val[k] * r, be = beta->val[k];
        double sb, sg;
        if (pool)
            channel_sums_pool(&ch, x->val + off, x->val + x->size, g,
                              gy->val + gy->size, (size_t)c * yp, mu, a, be, &sb, &sg);
        else
            channel_sums(&ch, x->val + off, g, mu, a, be, relu, &sb, &sg);
        if (db)
            db->val[k] = (float)sb;
        if (dg)
            dg->val[k] = (float)((double)r * sg);
        if (!dx)
            continue;
        const float k1 = (float)(-(double)a * r * r * sg / m);
        const float k0 = (float)(-(double)a * sb / m);
        if (pool)
            channel_dx_pool(&ch, x->val + off, x->val + x->size, g,
                            gy->val + gy->size, (size_t)c * yp,
                            dx->val + off, mu, a, be, k1, k0);
        else
            channel_dx(&ch, x->val + off, g, dx->val + off, mu, a, be, relu, k1, k0);
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
    if (t->recording && y->attr.i[1]) {
        /* G back through the pooling onto relu(batchnorm(x)), recorded */
        ml_ad_node *x = y->in[0];
        ml_ad_node *full = batchnorm(t, "batchnorm_relu", x, y->in[1], y->in[2],
                                     y->aux[2 * x->shape[1]], 1, 0);
        ml_ad_node *g = ml_ad_pool_scatter(t, gy, full, y->attr.i[1]);
        if (g)
            backward_graph(t, full, g, need, gin);
    } else if (t->recording) {
        backward_graph(t, y, gy, need, gin);
    } else {
        backward_values(t, y, gy, need, gin);
    }
}
