/* Max-pooling as a pair of ops that are each other's adjoint.  For
 * size x size windows with stride size over x [N, C, H, W] (a trailing row
 * or column that does not fill a window is dropped), let a(o) be the index
 * of the first maximum of x, in row-major order, in the window of output
 * o.  Then
 *   pool_gather(h, x)[o]  = h[a(o)]                  [N, C, H/s, W/s]
 *   pool_scatter(g, x)[i] = sum over o with a(o) = i of g[o]   [N, C, H, W]
 * are linear in h and g with the pattern a() piecewise constant in x, so
 *   y = pool_gather(h, x):  dh = pool_scatter(G, x)
 *   z = pool_scatter(g, x): dg = pool_gather(H, x)
 * and x gets no gradient.  maxpool(x) = pool_gather(x, x). */
#include "ops_internal.h"

#include <string.h>

/* Offset of the first maximum of the size x size window at p (row
 * stride w), in row-major order. */
static inline size_t window_argmax(const float *p, size_t w, int size)
{
    size_t a = 0;
    float m = p[0];
    for (int i = 0; i < size; i++)
        for (int j = 0; j < size; j++) {
            size_t o = (size_t)i * w + (size_t)j;
            if (p[o] > m) {
                m = p[o];
                a = o;
            }
        }
    return a;
}

/* 2x2 windows, the common case, a pair of rows x0, x1 at a time: the
 * first maximum of window j is the first maximum of each row's pair (top_:
 * the right one in the top row, bot_: in the bottom row), then of those
 * two, ties to the top row (low_: the bottom row's). */
#define POOL2_LOAD(x0, x1, j)                                               \
    const float a_ = (x0)[2 * (j)], b_ = (x0)[2 * (j) + 1];                 \
    const float c_ = (x1)[2 * (j)], d_ = (x1)[2 * (j) + 1];                 \
    const int top_ = b_ > a_, bot_ = d_ > c_;                               \
    const int low_ = ml_ad_pick(bot_, d_, c_) > ml_ad_pick(top_, b_, a_)

/* Checks x and size; the pooled height and width into ho, wo. */
static int pool_check(ml_ad_tape *t, const char *what, const ml_ad_node *x,
                      int size, int *ho, int *wo)
{
    char sx[64];
    if (size < 1) {
        ml_ad_fail(t, ML_ERR_INVALID_ARG, "%s: window size %d (>= 1)", what,
                   size);
        return 0;
    }
    if (x->ndim != 4 || x->shape[2] < size || x->shape[3] < size) {
        ml_ad_fail(t, ML_ERR_SHAPE, "%s: need x [N, C, H, W] with H, W >= %d, "
                   "got %s", what, size, ml_ad_shape_str(x, sx, sizeof sx));
        return 0;
    }
    *ho = x->shape[2] / size;
    *wo = x->shape[3] / size;
    return 1;
}

/* Any window size: for every output, with its flat index o and the flat
 * input index i of its window's argmax, runs BODY. */
#define FOR_WINDOWS(x, size, ho, wo, BODY)                                   \
    do {                                                                     \
        const size_t w_ = (size_t)(x)->shape[3];                             \
        const size_t hw_ = (size_t)(x)->shape[2] * w_;                       \
        const size_t planes_ = (size_t)(x)->shape[0] * (size_t)(x)->shape[1]; \
        size_t o = 0;                                                        \
        for (size_t q_ = 0; q_ < planes_; q_++)                              \
            for (int oh_ = 0; oh_ < (ho); oh_++)                             \
                for (int ow_ = 0; ow_ < (wo); ow_++, o++) {                  \
                    size_t base_ = q_ * hw_ + (size_t)oh_ * (size_t)(size) * w_ + \
                                   (size_t)ow_ * (size_t)(size);             \
                    size_t i = base_ + window_argmax((x)->val + base_, w_,   \
                                                     (size));                \
                    BODY;                                                    \
                }                                                            \
    } while (0)

/* pool_gather, named `what` in messages (maxpool is one). */
static ml_ad_node *gather(ml_ad_tape *t, const char *what, ml_ad_node *h,
                          ml_ad_node *x, int size)
{
    if (!h || !x)
        return NULL;
    int ho, wo;
    if (!pool_check(t, what, x, size, &ho, &wo))
        return NULL;
    if (!ml_ad_same_shape(h, x)) {
        char sh[64], sx[64];
        return ml_ad_fail(t, ML_ERR_SHAPE, "%s: h %s and x %s differ", what,
                          ml_ad_shape_str(h, sh, sizeof sh),
                          ml_ad_shape_str(x, sx, sizeof sx));
    }
    int shape[4] = {x->shape[0], x->shape[1], ho, wo};
    ml_ad_node *y = ml_ad_node_new(t, ML_AD_POOL_GATHER, 4, shape, h, x);
    if (!y)
        return NULL;
    y->attr.i[0] = size;
    float *restrict out = y->val;
    const float *restrict hv = h->val;
    if (size != 2) {
        FOR_WINDOWS(x, size, ho, wo, out[o] = hv[i]); /* y[o] = h[a(o)] */
        return y;
    }
    const size_t w = (size_t)x->shape[3], rows = (size_t)x->shape[0] *
                                                  (size_t)x->shape[1] * (size_t)ho;
    const size_t skip = (size_t)x->shape[2] - 2 * (size_t)ho; /* dropped rows */
    const float *x0 = x->val, *h0 = hv;
    for (size_t r = 0; r < rows; r++, out += wo) {
        const float *x1 = x0 + w, *h1 = h0 + w;
        for (int j = 0; j < wo; j++) {
            POOL2_LOAD(x0, x1, j);
            const float ha = h0[2 * j], hb = h0[2 * j + 1];
            const float hc = h1[2 * j], hd = h1[2 * j + 1];
            out[j] = ml_ad_pick(low_, ml_ad_pick(bot_, hd, hc), ml_ad_pick(top_, hb, ha));
            /* y[o] = h[a(o)] */
        }
        x0 += 2 * w;
        h0 += 2 * w;
        if ((r + 1) % (size_t)ho == 0) { /* next plane */
            x0 += skip * w;
            h0 += skip * w;
        }
    }
    return y;
}

ml_ad_node *ml_ad_pool_scatter(ml_ad_tape *t, ml_ad_node *g, ml_ad_node *x,
                               int size)
{
    if (!g || !x)
        return NULL;
    int ho, wo;
    if (!pool_check(t, "pool_scatter", x, size, &ho, &wo))
        return NULL;
    if (g->ndim != 4 || g->shape[0] != x->shape[0] ||
        g->shape[1] != x->shape[1] || g->shape[2] != ho || g->shape[3] != wo) {
        char sg[64], sx[64];
        return ml_ad_fail(t, ML_ERR_SHAPE, "pool_scatter: g %s does not match "
                          "x %s pooled by %d", ml_ad_shape_str(g, sg, sizeof sg),
                          ml_ad_shape_str(x, sx, sizeof sx), size);
    }
    ml_ad_node *y = ml_ad_node_new(t, ML_AD_POOL_SCATTER, 4, x->shape, g, x);
    if (!y)
        return NULL;
    y->attr.i[0] = size;
    float *restrict out = y->val;
    const float *restrict gv = g->val;
    if (size != 2) {
        memset(out, 0, y->size * sizeof(float));
        /* Windows do not overlap: each input gets at most one g. */
        FOR_WINDOWS(x, size, ho, wo, out[i] = gv[o]); /* z[a(o)] = g[o] */
        return y;
    }
    /* Every element written once: g at the argmax, 0 elsewhere, and 0 in
     * a dropped last column or row. */
    const size_t w = (size_t)x->shape[3], h = (size_t)x->shape[2];
    const size_t planes = (size_t)x->shape[0] * (size_t)x->shape[1];
    const float *x0 = x->val;
    for (size_t q = 0; q < planes; q++) {
        for (int oh = 0; oh < ho; oh++, gv += wo) {
            const float *x1 = x0 + w;
            float *z0 = out, *z1 = out + w;
            for (int j = 0; j < wo; j++) {
                POOL2_LOAD(x0, x1, j);
                const float gj = gv[j];
                const float gt = ml_ad_pick(low_, 0.0f, gj), gb = ml_ad_pick(low_, gj, 0.0f);
                z0[2 * j] = ml_ad_pick(top_, 0.0f, gt); /* z[a(o)] = g[o] */
                z0[2 * j + 1] = ml_ad_pick(top_, gt, 0.0f);
                z1[2 * j] = ml_ad_pick(bot_, 0.0f, gb);
                z1[2 * j + 1] = ml_ad_pick(bot_, gb, 0.0f);
            }
            for (size_t j = 2 * (size_t)wo; j < w; j++)
                z0[j] = z1[j] = 0.0f;
            x0 += 2 * w;
            out += 2 * w;
        }
        size_t rest = (h - 2 * (size_t)ho) * w;
        memset(out, 0, rest * sizeof(float));
        x0 += rest;
        out += rest;
    }
    return y;
}

ml_ad_node *ml_ad_pool_gather(ml_ad_tape *t, ml_ad_node *h, ml_ad_node *x,
                              int size)
{
    return gather(t, "pool_gather", h, x, size);
}

ml_ad_node *ml_ad_maxpool(ml_ad_tape *t, ml_ad_node *x, int size)
{
    return gather(t, "maxpool", x, x, size);
}

void ml_ad_pool_backward(ml_ad_tape *t, ml_ad_node *y, ml_ad_node *gy,
                         const int *need, ml_ad_node **gin)
{
    ml_ad_node *x = y->in[1];
    const int size = y->attr.i[0];
    if (!need[0])
        return; /* nothing flows to x (need[1]): the pattern is constant */
    if (y->op == ML_AD_POOL_GATHER) /* dh = pool_scatter(G, x) */
        gin[0] = ml_ad_pool_scatter(t, gy, x, size);
    else /* POOL_SCATTER: dg = pool_gather(H, x) */
        gin[0] = ml_ad_pool_gather(t, gy, x, size);
}
