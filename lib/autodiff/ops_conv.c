/* 2-D convolution (cross-correlation) in NCHW by im2col and GEMM, and its
 * two adjoints, which together are closed under differentiation.
 *
 * For image n, the column matrix cols_n [C K K, Ho Wo] holds in row
 * (c, ki, kj) and column (oh, ow) the input x[n, c, oh s - p + ki,
 * ow s - p + kj] (0 outside the image).  With W the filters as [F, C K K]:
 *   conv2d:     y_n  = W cols_n (+ b)                 [F, Ho Wo]
 *   conv2d_dx:  dx_n = col2im(W^T g_n)                [C, H W]
 *   conv2d_dw:  dW   = sum_n g_n cols_n^T             [F, C K K]
 *               (as dW^T = sum_n cols_n g_n^T when C K K > F)
 * where col2im adds each column entry back onto the pixel it was read
 * from (the adjoint of im2col).  With stride 1, conv2d_dx is computed as
 * a convolution of g with the flipped filters instead (dx_by_conv).
 * Small outputs batch several images into one GEMM: their column
 * matrices sit side by side in cols [C K K, nb Ho Wo], and the
 * [F, nb Ho Wo] side is packed from / unpacked to NCHW with row copies.
 * The column buffer comes from the tape's arena, one per op call.
 * 3x3 stride-1 convolutions with enough channels (the Conv-4 blocks) go
 * to Winograd's F(2x2, 3x3) instead (conv_winograd.c): conv2d, conv2d_dx
 * (through dx_by_conv) and conv2d_dw. */
#include "ops_internal.h"

#include "conv_winograd.h"
#include "core/blas.h"

#include <limits.h>
#include <stddef.h>
#include <string.h>

/* Columns per GEMM: from about 200 on, OpenBLAS runs near its peak, so
 * an image of 14x14 (196) or more gets a GEMM of its own, which needs no
 * packing; smaller outputs (7x7, 3x3) batch images up to 256 columns.
 * The column buffer stays under COLS_BUDGET floats (or one image). */
#define TARGET_COLS 256
#define COLS_BUDGET ((size_t)1 << 20)

typedef struct conv_geom {
    int n, c, h, w;   /* input */
    int f, k;         /* filters and kernel size */
    int ho, wo;       /* output */
    int s, p;         /* stride and padding */
    int ckk;          /* rows of the column matrix: C K K */
    size_t hw, howo;  /* pixels per input / output plane */
    int nb;           /* images per GEMM */
} conv_geom;

/* Fills g after checking the arguments; fails on the tape otherwise. */
static int geom_init(ml_ad_tape *t, const char *what, conv_geom *g, int n,
                     int c, int h, int w, int f, int k, int s, int p)
{
    if (s < 1 || p < 0 || k < 1) {
        ml_ad_fail(t, ML_ERR_INVALID_ARG,
                   "%s: stride %d (>= 1), padding %d (>= 0), kernel %d (>= 1)",
                   what, s, p, k);
        return 0;
    }
    if (h < 1 || w < 1) {
        ml_ad_fail(t, ML_ERR_SHAPE, "%s: input size %dx%d", what, h, w);
        return 0;
    }
    long long hp = (long long)h + 2LL * p, wp = (long long)w + 2LL * p;
    if (k > hp || k > wp) {
        ml_ad_fail(t, ML_ERR_SHAPE,
                   "%s: kernel %dx%d larger than the padded input %lldx%lld",
                   what, k, k, hp, wp);
        return 0;
    }
    long long ho = (hp - k) / s + 1, wo = (wp - k) / s + 1;
    long long ckk = (long long)c * k * k;
    /* Indices (o s - p + kk) and GEMM dimensions stay ints. */
    if (hp > INT_MAX || wp > INT_MAX || ho * wo > INT_MAX || ckk > INT_MAX) {
        ml_ad_fail(t, ML_ERR_SHAPE, "%s: convolution too large", what);
        return 0;
    }
    *g = (conv_geom){.n = n, .c = c, .h = h, .w = w, .f = f, .k = k,
                     .ho = (int)ho, .wo = (int)wo, .s = s, .p = p,
                     .ckk = (int)ckk};
    g->hw = (size_t)h * (size_t)w;
    g->howo = (size_t)ho * (size_t)wo;
    size_t per = (size_t)ckk * g->howo;
    size_t nb = TARGET_COLS / g->howo;
    if (nb > COLS_BUDGET / per)
        nb = COLS_BUDGET / per;
    if (nb > (size_t)n)
        nb = (size_t)n;
    if (nb < 1)
        nb = 1;
    /* GEMM dimensions are ints. */
    while (nb > 1 && nb * g->howo > INT_MAX)
        nb /= 2;
    g->nb = (int)nb;
    return 1;
}

/* Outputs o in [lo, hi) read an input index o s - p + kk inside [0, n). */
static void valid_range(int nout, int nin, int s, int p, int kk, int *lo,
                        int *hi)
{
    long long off = (long long)p - kk; /* off <= o s <= nin - 1 + off */
    long long l = off > 0 ? (off + s - 1) / s : 0;
    long long h = nin - 1 + off >= 0 ? (nin - 1 + off) / s + 1 : 0;
    if (h > nout)
        h = nout;
    if (l > h)
        l = h;
    *lo = (int)l;
    *hi = (int)h;
}

/* Stride 1 with Wo = W (so Ho = H: K = 2p + 1): row (c, ki, kj) of an
 * image's columns is the input plane shifted by d = (ki - p) W + (kj - p),
 * o[q] = x[q + d] for q = oh W + ow, i.e. x[ih W + iw] -- one contiguous
 * copy.  Two corrections: an entry whose input column iw is off the image
 * (ow < jlo or ow >= jhi) wraps to a neighbouring row and is set to 0
 * afterwards; one whose column is on the image but row ih is off has
 * q + d outside the plane, which the copy range leaves as 0. */
static int same_shape(const conv_geom *g)
{
    return g->s == 1 && g->wo == g->w;
}

/* The q with q + d inside the plane: [*qlo, *qhi). */
static void shift_range(const conv_geom *g, int ki, int kj, long long *d,
                        size_t *qlo, size_t *qhi)
{
    *d = (long long)(ki - g->p) * g->w + (kj - g->p);
    long long hw = (long long)g->hw, lo = *d < 0 ? -*d : 0, hi = hw - *d;
    if (hi > hw)
        hi = hw;
    if (hi < 0)
        hi = 0;
    if (lo > hi)
        lo = hi;
    *qlo = (size_t)lo;
    *qhi = (size_t)hi;
}

/* Zero the wrapped columns j < jlo and j >= jhi of every output row (a
 * column at a time: a strided loop, not a library call per row). */
static void zero_wrapped(const conv_geom *g, float *restrict o, int jlo, int jhi)
{
    const size_t wo = (size_t)g->wo;
    for (int j = 0; j < g->wo; j++) {
        if (j == jlo)
            j = jhi;
        if (j >= g->wo)
            break;
        for (size_t q = (size_t)j; q < g->howo; q += wo)
            o[q] = 0.0f;
    }
}

/* cols [C K K, m Ho Wo] from the m images starting at x. */
static void im2col(const conv_geom *g, const float *restrict x, int m,
                   float *restrict cols)
{
    const size_t ld = (size_t)m * g->howo;
    const int s = g->s, wo = g->wo, same = same_shape(g);
    for (int c = 0; c < g->c; c++)
        for (int ki = 0; ki < g->k; ki++)
            for (int kj = 0; kj < g->k; kj++) {
                float *row = cols + ((size_t)(c * g->k + ki) * g->k + kj) * ld;
                int ilo, ihi, jlo, jhi;
                valid_range(g->ho, g->h, s, g->p, ki, &ilo, &ihi);
                valid_range(wo, g->w, s, g->p, kj, &jlo, &jhi);
                const int dj = kj - g->p; /* input column of output 0 */
                for (int b = 0; b < m; b++) {
                    const float *xc = x + ((size_t)b * g->c + c) * g->hw;
                    float *o = row + (size_t)b * g->howo;
                    if (same) {
                        long long d;
                        size_t qlo, qhi;
                        shift_range(g, ki, kj, &d, &qlo, &qhi);
                        for (size_t q = 0; q < qlo; q++)
                            o[q] = 0.0f;
                        if (qlo < qhi) {
                            const float *xs = xc + (ptrdiff_t)((long long)qlo + d);
                            for (size_t q = qlo; q < qhi; q++)
                                o[q] = xs[q - qlo]; /* x[q + d] */
                        }
                        for (size_t q = qhi; q < g->howo; q++)
                            o[q] = 0.0f;
                        zero_wrapped(g, o, jlo, jhi);
                        continue;
                    }
                    for (int oh = 0; oh < g->ho; oh++, o += wo) {
                        if (oh < ilo || oh >= ihi) {
                            memset(o, 0, (size_t)wo * sizeof(float));
                            continue;
                        }
                        const float *xr =
                            xc + (size_t)(oh * s - g->p + ki) * (size_t)g->w;
                        for (int j = 0; j < jlo; j++)
                            o[j] = 0.0f;
                        for (int j = jlo; j < jhi; j++)
                            o[j] = xr[j * s + dj];
                        for (int j = jhi; j < wo; j++)
                            o[j] = 0.0f;
                    }
                }
            }
}

/* dx += col2im(cols): the adjoint of im2col, for m images at dx. */
static void col2im(const conv_geom *g, const float *restrict cols, int m,
                   float *restrict dx)
{
    const size_t ld = (size_t)m * g->howo;
    const int s = g->s, wo = g->wo;
    for (int c = 0; c < g->c; c++)
        for (int ki = 0; ki < g->k; ki++)
            for (int kj = 0; kj < g->k; kj++) {
                const float *row =
                    cols + ((size_t)(c * g->k + ki) * g->k + kj) * ld;
                int ilo, ihi, jlo, jhi;
                valid_range(g->ho, g->h, s, g->p, ki, &ilo, &ihi);
                valid_range(wo, g->w, s, g->p, kj, &jlo, &jhi);
                const int dj = kj - g->p;
                for (int b = 0; b < m; b++) {
                    float *dc = dx + ((size_t)b * g->c + c) * g->hw;
                    const float *o = row + (size_t)b * g->howo;
                    for (int oh = ilo; oh < ihi; oh++) {
                        float *dr = dc + (size_t)(oh * s - g->p + ki) * (size_t)g->w;
                        const float *orow = o + (size_t)oh * (size_t)wo;
                        for (int j = jlo; j < jhi; j++)
                            dr[j * s + dj] += orow[j];
                    }
                }
            }
}

/* dst [F, m Ho Wo] from the m images [m, F, Ho Wo] at src. */
static void pack(const conv_geom *g, const float *src, int m, float *dst)
{
    const size_t ld = (size_t)m * g->howo;
    for (int f = 0; f < g->f; f++)
        for (int b = 0; b < m; b++)
            memcpy(dst + (size_t)f * ld + (size_t)b * g->howo,
                   src + ((size_t)b * g->f + f) * g->howo,
                   g->howo * sizeof(float));
}

/* dst [m Ho Wo, F] from the m images [m, F, Ho Wo] at src: pack's
 * transpose. */
static void pack_transposed(const conv_geom *g, const float *src, int m, float *dst)
{
    const size_t f = (size_t)g->f;
    for (int b = 0; b < m; b++)
        for (size_t fi = 0; fi < f; fi++) {
            const float *s = src + ((size_t)b * f + fi) * g->howo;
            float *d = dst + (size_t)b * g->howo * f + fi;
            for (size_t q = 0; q < g->howo; q++)
                d[q * f] = s[q];
        }
}

/* dst [m, F, Ho Wo] from src [F, m Ho Wo], plus bias[f] when given. */
static void unpack(const conv_geom *g, const float *src, int m,
                   const float *bias, float *dst)
{
    const size_t ld = (size_t)m * g->howo;
    for (int b = 0; b < m; b++)
        for (int f = 0; f < g->f; f++) {
            float *restrict d = dst + ((size_t)b * g->f + f) * g->howo;
            const float *restrict s = src + (size_t)f * ld + (size_t)b * g->howo;
            if (bias) {
                const float bf = bias[f];
                for (size_t i = 0; i < g->howo; i++)
                    d[i] = s[i] + bf;
            } else {
                memcpy(d, s, g->howo * sizeof(float));
            }
        }
}

float *ml_ad_scratch(ml_ad_tape *t, const char *what, size_t floats)
{
    float *p = ml_arena_alloc(&t->arena, floats * sizeof(float));
    if (!p)
        ml_ad_fail(t, ML_ERR_NOMEM, "%s: out of memory for scratch space",
                   what);
    return p;
}

/* y = conv2d(x, w) + bias on raw arrays: per group of images,
 * Y = W cols [F, m Ho Wo], unpacked to NCHW unless m is 1. */
static int forward(ml_ad_tape *t, const char *what, const conv_geom *g,
                   const float *x, const float *w, const float *bias,
                   float *y)
{
    if (ml_conv_winograd_fits(g->c, g->f, g->k, g->s, g->p, g->ho, g->wo))
        return ml_conv_winograd(t, what, g->n, g->c, g->h, g->w, g->f, g->p,
                                x, w, bias, y);
    float *cols = ml_ad_scratch(t, what, (size_t)g->ckk * g->nb * g->howo);
    float *out = g->nb > 1 ? ml_ad_scratch(t, what, (size_t)g->f * g->nb * g->howo)
                           : NULL;
    if (!cols || (g->nb > 1 && !out))
        return 0;
    for (int n0 = 0; n0 < g->n; n0 += g->nb) {
        int m = g->n - n0 < g->nb ? g->n - n0 : g->nb;
        int cols_n = m * (int)g->howo;
        float *yn = y + (size_t)n0 * g->f * g->howo;
        im2col(g, x + (size_t)n0 * g->c * g->hw, m, cols);
        /* Y = W cols */
        ml_sgemm(0, 0, g->f, cols_n, g->ckk, 1.0f, w, g->ckk, cols, cols_n,
                 0.0f, m > 1 ? out : yn, cols_n);
        if (m > 1) {
            unpack(g, out, m, bias, yn);
        } else if (bias) {
            for (int f = 0; f < g->f; f++)
                for (size_t i = 0; i < g->howo; i++)
                    yn[(size_t)f * g->howo + i] += bias[f];
        }
    }
    return 1;
}

/* With stride 1 and pad <= K - 1, dx is itself a convolution:
 *   dx[n, c, i, j] = sum g[n, f, i + p - ki, j + p - kj] w[f, c, ki, kj]
 *                  = conv2d(g, w', pad K - 1 - p)
 * with w'[c, f, a, b] = w[f, c, K - 1 - a, K - 1 - b] (filters swapped
 * and turned by 180 degrees).  Cheaper than col2im: the GEMM writes the
 * small side and the column buffer is only written. */
static int dx_by_conv(ml_ad_tape *t, const conv_geom *g, const float *gy,
                      const float *w, float *dx)
{
    conv_geom f;
    if (!geom_init(t, "conv2d_dx", &f, g->n, g->f, g->ho, g->wo, g->c, g->k,
                   1, g->k - 1 - g->p))
        return 0;
    const size_t kk = (size_t)g->k * (size_t)g->k;
    float *wf = ml_ad_scratch(t, "conv2d_dx", (size_t)g->f * g->c * kk);
    if (!wf)
        return 0;
    for (int fi = 0; fi < g->f; fi++)
        for (int c = 0; c < g->c; c++) {
            const float *src = w + ((size_t)fi * g->c + c) * kk;
            float *dst = wf + ((size_t)c * g->f + fi) * kk;
            for (size_t q = 0; q < kk; q++)
                dst[q] = src[kk - 1 - q]; /* (a, b) <- (K-1-a, K-1-b) */
        }
    return forward(t, "conv2d_dx", &f, gy, wf, NULL, dx);
}

ml_ad_node *ml_ad_conv2d(ml_ad_tape *t, ml_ad_node *x, ml_ad_node *w,
                         ml_ad_node *b, int stride, int pad)
{
    if (!x || !w)
        return NULL;
    if (t->status != ML_OK)
        return NULL;
    char sx[64], sw[64];
    if (x->ndim != 4 || w->ndim != 4 || w->shape[2] != w->shape[3])
        return ml_ad_fail(t, ML_ERR_SHAPE,
                          "conv2d: need x [N, C, H, W] and w [F, C, K, K], "
                          "got %s and %s", ml_ad_shape_str(x, sx, sizeof sx),
                          ml_ad_shape_str(w, sw, sizeof sw));
    if (x->shape[1] != w->shape[1])
        return ml_ad_fail(t, ML_ERR_SHAPE, "conv2d: x %s has %d channels, the "
                          "filters w %s take %d", ml_ad_shape_str(x, sx, sizeof sx),
                          x->shape[1], ml_ad_shape_str(w, sw, sizeof sw),
                          w->shape[1]);
    if (b && b->size != (size_t)w->shape[0])
        return ml_ad_fail(t, ML_ERR_SHAPE, "conv2d: bias of %zu values for %d "
                          "filters", b->size, w->shape[0]);
    conv_geom g;
    if (!geom_init(t, "conv2d", &g, x->shape[0], x->shape[1], x->shape[2],
                   x->shape[3], w->shape[0], w->shape[2], stride, pad))
        return NULL;
    int shape[4] = {g.n, g.f, g.ho, g.wo};
    ml_ad_node *y = ml_ad_node_new3(t, ML_AD_CONV2D, 4, shape, x, w, b);
    if (!y)
        return NULL;
    y->attr.i[0] = stride;
    y->attr.i[1] = pad;
    y->attr.i[2] = g.k;
    return forward(t, "conv2d", &g, x->val, w->val, b ? b->val : NULL,
                   y->val) ? y : NULL;
}

ml_ad_node *ml_ad_conv2d_dx(ml_ad_tape *t, ml_ad_node *gy, ml_ad_node *w,
                            int h, int wd, int stride, int pad)
{
    if (!gy || !w)
        return NULL;
    if (t->status != ML_OK)
        return NULL;
    char sg[64], sw[64];
    if (gy->ndim != 4 || w->ndim != 4 || gy->shape[1] != w->shape[0] ||
        w->shape[2] != w->shape[3])
        return ml_ad_fail(t, ML_ERR_SHAPE,
                          "conv2d_dx: need g [N, F, Ho, Wo] and w [F, C, K, K], "
                          "got %s and %s", ml_ad_shape_str(gy, sg, sizeof sg),
                          ml_ad_shape_str(w, sw, sizeof sw));
    conv_geom g;
    if (!geom_init(t, "conv2d_dx", &g, gy->shape[0], w->shape[1], h, wd,
                   w->shape[0], w->shape[2], stride, pad))
        return NULL;
    if (gy->shape[2] != g.ho || gy->shape[3] != g.wo)
        return ml_ad_fail(t, ML_ERR_SHAPE, "conv2d_dx: g %s, but a %dx%d input "
                          "gives a %dx%d output", ml_ad_shape_str(gy, sg, sizeof sg),
                          h, wd, g.ho, g.wo);
    int shape[4] = {g.n, g.c, h, wd};
    ml_ad_node *y = ml_ad_node_new(t, ML_AD_CONV2D_DX, 4, shape, gy, w);
    if (!y)
        return NULL;
    y->attr.i[0] = stride;
    y->attr.i[1] = pad;
    y->attr.i[2] = h;
    y->attr.i[3] = wd;
    if (stride == 1 && pad <= g.k - 1)
        return dx_by_conv(t, &g, gy->val, w->val, y->val) ? y : NULL;
    float *cols = ml_ad_scratch(t, "conv2d_dx", (size_t)g.ckk * g.nb * g.howo);
    float *gp = g.nb > 1 ? ml_ad_scratch(t, "conv2d_dx", (size_t)g.f * g.nb * g.howo)
                         : NULL;
    if (!cols || (g.nb > 1 && !gp))
        return NULL;
    memset(y->val, 0, y->size * sizeof(float));
    for (int n0 = 0; n0 < g.n; n0 += g.nb) {
        int m = g.n - n0 < g.nb ? g.n - n0 : g.nb;
        int cols_n = m * (int)g.howo;
        const float *gn = gy->val + (size_t)n0 * g.f * g.howo;
        if (m > 1) {
            pack(&g, gn, m, gp);
            gn = gp;
        }
        /* cols = W^T G, [C K K, m Ho Wo] */
        ml_sgemm(1, 0, g.ckk, cols_n, g.f, 1.0f, w->val, g.ckk, gn, cols_n,
                 0.0f, cols, cols_n);
        col2im(&g, cols, m, y->val + (size_t)n0 * g.c * g.hw);
    }
    return y;
}

ml_ad_node *ml_ad_conv2d_dw(ml_ad_tape *t, ml_ad_node *x, ml_ad_node *gy,
                            int k, int stride, int pad)
{
    if (!x || !gy)
        return NULL;
    if (t->status != ML_OK)
        return NULL;
    char sx[64], sg[64];
    if (x->ndim != 4 || gy->ndim != 4 || x->shape[0] != gy->shape[0])
        return ml_ad_fail(t, ML_ERR_SHAPE,
                          "conv2d_dw: need x [N, C, H, W] and g [N, F, Ho, Wo], "
                          "got %s and %s", ml_ad_shape_str(x, sx, sizeof sx),
                          ml_ad_shape_str(gy, sg, sizeof sg));
    conv_geom g;
    if (!geom_init(t, "conv2d_dw", &g, x->shape[0], x->shape[1], x->shape[2],
                   x->shape[3], gy->shape[1], k, stride, pad))
        return NULL;
    if (gy->shape[2] != g.ho || gy->shape[3] != g.wo)
        return ml_ad_fail(t, ML_ERR_SHAPE, "conv2d_dw: g %s, but x %s gives a "
                          "%dx%d output", ml_ad_shape_str(gy, sg, sizeof sg),
                          ml_ad_shape_str(x, sx, sizeof sx), g.ho, g.wo);
    int shape[4] = {g.f, g.c, k, k};
    ml_ad_node *y = ml_ad_node_new(t, ML_AD_CONV2D_DW, 4, shape, x, gy);
    if (!y)
        return NULL;
    y->attr.i[0] = stride;
    y->attr.i[1] = pad;
    y->attr.i[2] = k;
    if (ml_conv_winograd_fits(g.c, g.f, g.k, g.s, g.p, g.ho, g.wo))
        return ml_conv_winograd_dw(t, "conv2d_dw", g.n, g.c, g.h, g.w, g.f,
                                   g.p, x->val, gy->val, y->val) ? y : NULL;
    /* dW = G cols^T: both hold the pixels along their rows, so one must
     * be transposed, best the smaller.  With C K K > F that is G:
     * dW^T = cols G^T [C K K, F] with G^T built here and dW^T transposed
     * once at the end; otherwise the product transposes cols itself. */
    const int by_gt = g.ckk > g.f;
    float *cols = ml_ad_scratch(t, "conv2d_dw", (size_t)g.ckk * g.nb * g.howo);
    /* G of a group as [F, m Ho Wo], or G^T [m Ho Wo, F] */
    float *gp = by_gt || g.nb > 1
                    ? ml_ad_scratch(t, "conv2d_dw", (size_t)g.f * g.nb * g.howo) : NULL;
    float *dwt = by_gt ? ml_ad_scratch(t, "conv2d_dw", (size_t)g.ckk * g.f) : NULL;
    if (!cols || ((by_gt || g.nb > 1) && !gp) || (by_gt && !dwt))
        return NULL;
    for (int n0 = 0; n0 < g.n; n0 += g.nb) {
        int m = g.n - n0 < g.nb ? g.n - n0 : g.nb;
        int cols_n = m * (int)g.howo;
        const float *gn = gy->val + (size_t)n0 * g.f * g.howo;
        if (by_gt) {
            pack_transposed(&g, gn, m, gp);
        } else if (m > 1) {
            pack(&g, gn, m, gp);
            gn = gp;
        }
        im2col(&g, x->val + (size_t)n0 * g.c * g.hw, m, cols);
        if (by_gt) /* dW^T (+)= cols G^T, [C K K, F] */
            ml_sgemm(0, 0, g.ckk, g.f, cols_n, 1.0f, cols, cols_n, gp, g.f,
                     n0 ? 1.0f : 0.0f, dwt, g.f);
        else /* dW (+)= G cols^T, [F, C K K] */
            ml_sgemm(0, 1, g.f, g.ckk, cols_n, 1.0f, gn, cols_n, cols, cols_n,
                     n0 ? 1.0f : 0.0f, y->val, g.ckk);
    }
    if (by_gt)
        for (size_t fi = 0; fi < (size_t)g.f; fi++)
            for (size_t q = 0; q < (size_t)g.ckk; q++)
                y->val[fi * (size_t)g.ckk + q] = dwt[q * (size_t)g.f + fi];
    return y;
}

void ml_ad_conv_backward(ml_ad_tape *t, ml_ad_node *y, ml_ad_node *gy,
                         const int *need, ml_ad_node **gin)
{
    ml_ad_node *a = y->in[0], *b = y->in[1];
    const int s = y->attr.i[0], p = y->attr.i[1];
    switch (y->op) {
    case ML_AD_CONV2D: { /* y = conv2d(x, w) + b */
        const int k = y->attr.i[2];
        if (need[0]) /* dx = conv2d_dx(G, w) */
            gin[0] = ml_ad_conv2d_dx(t, gy, b, a->shape[2], a->shape[3], s, p);
        if (need[1]) /* dw = conv2d_dw(x, G) */
            gin[1] = ml_ad_conv2d_dw(t, a, gy, k, s, p);
        if (y->nin > 2 && need[2]) { /* db = sum of G over N, Ho, Wo */
            ml_ad_node *bias = y->in[2];
            int fs[4] = {1, y->shape[1], 1, 1};
            gin[2] = ml_ad_reshape(t, ml_ad_sum_to(t, gy, 4, fs), bias->ndim,
                                   bias->shape);
        }
        break;
    }
    case ML_AD_CONV2D_DX: /* z = conv2d_dx(g, w) */
        if (need[0]) /* dg = conv2d(H, w) */
            gin[0] = ml_ad_conv2d(t, gy, b, NULL, s, p);
        if (need[1]) /* dw = conv2d_dw(H, g) */
            gin[1] = ml_ad_conv2d_dw(t, gy, a, b->shape[2], s, p);
        break;
    case ML_AD_CONV2D_DW: /* z = conv2d_dw(x, g) */
        if (need[0]) /* dx = conv2d_dx(g, H) */
            gin[0] = ml_ad_conv2d_dx(t, b, gy, a->shape[2], a->shape[3], s, p);
        if (need[1]) /* dg = conv2d(x, H) */
            gin[1] = ml_ad_conv2d(t, a, gy, NULL, s, p);
        break;
    default:
        break;
    }
}
