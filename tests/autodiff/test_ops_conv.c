/* Forward values of convolution, its adjoints, pooling and batchnorm
 * against direct double-precision loops, and the adjoint identity
 *   <conv2d(x, w), g> = <x, conv2d_dx(g, w)> = <w, conv2d_dw(x, g)>. */
#include "autodiff/ad.h"
#include "core/rng.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static ml_ad_tape T;
static ml_rng R;

static void setup(void)
{
    ml_ad_tape_init(&T);
    ml_rng_seed(&R, 8081);
}

static void teardown(void)
{
    ml_ad_tape_release(&T);
}

/* A random leaf with gradients (values in [lo, hi)), in the arena. */
static ml_ad_node *rnd(int ndim, const int *shape, float lo, float hi)
{
    ml_ad_node *x = ml_ad_zeros(&T, ndim, shape);
    ck_assert_ptr_nonnull(x);
    for (size_t i = 0; i < x->size; i++)
        x->val[i] = ml_rng_range(&R, lo, hi);
    return ml_ad_leaf(&T, ndim, shape, x->val, 1);
}

/* y has the given shape and |y - e| <= tol max(1, |e|) elementwise. */
static void expect(const ml_ad_node *y, int ndim, const int *shape,
                   const double *e, double tol)
{
    ck_assert_ptr_nonnull(y);
    ck_assert_msg(ml_ad_tape_status(&T) == ML_OK, "tape: %s", T.msg);
    ck_assert_int_eq(y->ndim, ndim);
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        ck_assert_int_eq(y->shape[i], shape[i]);
        n *= (size_t)shape[i];
    }
    ck_assert_uint_eq(y->size, n);
    for (size_t i = 0; i < y->size; i++)
        ck_assert_msg(fabs(y->val[i] - e[i]) <= tol * fmax(1.0, fabs(e[i])),
                      "%s element %zu: %.8g, expected %.8g",
                      ml_ad_op_name(y->op), i, (double)y->val[i], e[i]);
}

typedef struct conv_cfg {
    int n, c, h, w, f, k, s, p, bias;
} conv_cfg;

/* Small shapes of every kind, then batches that take several GEMMs:
 * small outputs share a GEMM (up to 256 columns: 28 images of 3x3, 5 of
 * 7x7) with a short last group, larger ones take a GEMM per image. */
static const conv_cfg CONV[] = {
    {2, 2, 5, 5, 3, 3, 1, 1, 1}, {2, 2, 5, 5, 3, 3, 1, 0, 0},
    {2, 2, 5, 5, 3, 3, 2, 1, 1}, {1, 2, 6, 6, 2, 3, 2, 0, 0},
    {3, 3, 4, 4, 2, 1, 1, 0, 1}, {1, 2, 5, 5, 3, 1, 2, 1, 0},
    {2, 2, 6, 4, 3, 3, 1, 1, 1}, {1, 2, 5, 7, 2, 2, 3, 2, 1},
    {2, 1, 3, 3, 4, 3, 1, 0, 1}, {1, 1, 1, 1, 2, 3, 1, 1, 1},
    /* stride 1 off the "same" shape; pad > K - 1 (dx by col2im) */
    {2, 3, 5, 4, 2, 2, 1, 1, 1}, {1, 2, 4, 5, 2, 2, 1, 0, 1},
    {2, 2, 3, 4, 3, 1, 1, 1, 0}, {2, 2, 4, 3, 3, 3, 1, 3, 1},
    {30, 3, 3, 3, 4, 3, 1, 1, 1}, {7, 5, 7, 7, 6, 3, 1, 1, 1},
    {40, 2, 5, 5, 3, 3, 2, 1, 1}, {3, 4, 12, 12, 3, 3, 1, 1, 0},
    {3, 16, 24, 24, 4, 5, 1, 2, 1},
    /* 3x3 stride 1 with C, F >= 8 and outputs 11 or more wide: Winograd
     * F(2x2, 3x3) (conv_winograd.c) for conv2d, conv2d_dx and conv2d_dw:
     * odd and even outputs, pads 0-2, a single tile row, tiles in groups
     * of whole images with a short last group, tile rows of more than 16
     * tiles; then a 7x7 output, which stays im2col */
    {2, 8, 12, 12, 8, 3, 1, 1, 1}, {3, 9, 13, 11, 10, 3, 1, 1, 0},
    {2, 8, 14, 14, 8, 3, 1, 0, 1}, {1, 8, 9, 13, 8, 3, 1, 2, 1},
    {2, 8, 2, 12, 8, 3, 1, 1, 1}, {6, 16, 14, 14, 16, 3, 1, 1, 1},
    {2, 8, 40, 36, 8, 3, 1, 1, 0}, {11, 8, 11, 11, 9, 3, 1, 1, 1},
    {2, 8, 7, 7, 8, 3, 1, 1, 1},
};

static int conv_out(int h, int k, int s, int p)
{
    return (h + 2 * p - k) / s + 1;
}

/* Index of x[n, c, i, j] in an [N, C, H, W] tensor. */
static size_t at4(const int d[4], int n, int c, int i, int j)
{
    return (((size_t)n * (size_t)d[1] + (size_t)c) * (size_t)d[2] + (size_t)i) *
               (size_t)d[3] + (size_t)j;
}

/* The direct loops of conv2d (into y), and of its adjoints: dx += g * w,
 * dw += g * x at every (output, kernel tap) pair inside the image. */
static void conv_ref(const conv_cfg *q, const float *x, const float *w,
                     const float *b, const float *g, double *y, double *dx,
                     double *dw)
{
    int ho = conv_out(q->h, q->k, q->s, q->p), wo = conv_out(q->w, q->k, q->s, q->p);
    int dxs[4] = {q->n, q->c, q->h, q->w}, dws[4] = {q->f, q->c, q->k, q->k};
    int dys[4] = {q->n, q->f, ho, wo};
    for (int n = 0; n < q->n; n++)
        for (int f = 0; f < q->f; f++)
            for (int oh = 0; oh < ho; oh++)
                for (int ow = 0; ow < wo; ow++) {
                    size_t o = at4(dys, n, f, oh, ow);
                    double acc = b ? b[f] : 0.0;
                    for (int c = 0; c < q->c; c++)
                        for (int ki = 0; ki < q->k; ki++)
                            for (int kj = 0; kj < q->k; kj++) {
                                int i = oh * q->s - q->p + ki, j = ow * q->s - q->p + kj;
                                if (i < 0 || i >= q->h || j < 0 || j >= q->w)
                                    continue;
                                size_t xi = at4(dxs, n, c, i, j);
                                size_t wi = at4(dws, f, c, ki, kj);
                                acc += (double)x[xi] * w[wi];
                                dx[xi] += (double)g[o] * w[wi];
                                dw[wi] += (double)g[o] * x[xi];
                            }
                    y[o] = acc;
                }
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

/* conv2d, conv2d_dx and conv2d_dw against the direct loops, and the
 * adjoint identity <conv2d(x, w), g> = <x, conv2d_dx(g, w)>
 * = <w, conv2d_dw(x, g)>. */
static void check_conv(const conv_cfg *q)
{
    int ho = conv_out(q->h, q->k, q->s, q->p), wo = conv_out(q->w, q->k, q->s, q->p);
    int xs[4] = {q->n, q->c, q->h, q->w}, ws[4] = {q->f, q->c, q->k, q->k};
    int ys[4] = {q->n, q->f, ho, wo}, bs[1] = {q->f};
    ml_ad_node *x = rnd(4, xs, -1, 1), *w = rnd(4, ws, -1, 1);
    ml_ad_node *b = q->bias ? rnd(1, bs, -1, 1) : NULL, *g = rnd(4, ys, -1, 1);
    double *ey = calloc(g->size, sizeof *ey), *edx = calloc(x->size, sizeof *edx);
    double *edw = calloc(w->size, sizeof *edw);
    ck_assert(ey && edx && edw);
    conv_ref(q, x->val, w->val, b ? b->val : NULL, g->val, ey, edx, edw);
    ml_ad_node *y = ml_ad_conv2d(&T, x, w, b, q->s, q->p);
    ml_ad_node *dx = ml_ad_conv2d_dx(&T, g, w, q->h, q->w, q->s, q->p);
    ml_ad_node *dw = ml_ad_conv2d_dw(&T, x, g, q->k, q->s, q->p);
    /* float sums of up to C K K (dw: N Ho Wo) products of values in
     * [-1, 1] */
    expect(y, 4, ys, ey, 1e-4);
    expect(dx, 4, xs, edx, 1e-4);
    expect(dw, 4, ws, edw, 2e-4);
    if (!b) {
        double a1 = dot(y->val, g->val, y->size), a2 = dot(x->val, dx->val, x->size);
        double a3 = dot(w->val, dw->val, w->size);
        double sc = fmax(1.0, fabs(a1));
        ck_assert_msg(fabs(a1 - a2) <= 1e-4 * sc && fabs(a1 - a3) <= 1e-4 * sc,
                      "adjoint identity: %.9g %.9g %.9g", a1, a2, a3);
    }
    free(ey);
    free(edx);
    free(edw);
}

START_TEST(test_conv2d)
{
    check_conv(&CONV[_i]);
}
END_TEST

/* Seeded random shapes that take the Winograd path (3x3, stride 1, 8-11
 * channels in, 8-10 out, pads 0-2, outputs 3-20 high and 11-40 wide, so
 * one to three groups of 16 tiles a row and partial tiles either way). */
START_TEST(test_conv2d_winograd_random)
{
    ml_rng r;
    ml_rng_seed(&r, 4242u + (uint64_t)_i);
    const int p = (int)ml_rng_below(&r, 3);
    const int ho = 3 + (int)ml_rng_below(&r, 18), wo = 11 + (int)ml_rng_below(&r, 30);
    const conv_cfg q = {.n = 1 + (int)ml_rng_below(&r, 3), .c = 8 + (int)ml_rng_below(&r, 4),
                        .h = ho + 2 - 2 * p, .w = wo + 2 - 2 * p,
                        .f = 8 + (int)ml_rng_below(&r, 3), .k = 3, .s = 1, .p = p,
                        .bias = (int)ml_rng_below(&r, 2)};
    check_conv(&q);
}
END_TEST

/* The adjoint identity on larger random problems, none skipped. */
START_TEST(test_conv2d_adjoint)
{
    static const conv_cfg Q[] = {
        {3, 4, 9, 7, 5, 3, 1, 1, 0}, {4, 3, 11, 10, 6, 3, 2, 1, 0},
        {2, 5, 8, 8, 3, 4, 3, 2, 0}, {6, 8, 14, 14, 8, 3, 1, 1, 0},
        {5, 16, 24, 24, 4, 5, 1, 2, 0},
    };
    for (size_t c = 0; c < sizeof Q / sizeof Q[0]; c++) {
        const conv_cfg *q = &Q[c];
        int ho = conv_out(q->h, q->k, q->s, q->p), wo = conv_out(q->w, q->k, q->s, q->p);
        int xs[4] = {q->n, q->c, q->h, q->w}, ws[4] = {q->f, q->c, q->k, q->k};
        int ys[4] = {q->n, q->f, ho, wo};
        ml_ad_node *x = rnd(4, xs, -1, 1), *w = rnd(4, ws, -1, 1);
        ml_ad_node *g = rnd(4, ys, -1, 1);
        ml_ad_node *y = ml_ad_conv2d(&T, x, w, NULL, q->s, q->p);
        ml_ad_node *dx = ml_ad_conv2d_dx(&T, g, w, q->h, q->w, q->s, q->p);
        ml_ad_node *dw = ml_ad_conv2d_dw(&T, x, g, q->k, q->s, q->p);
        ck_assert_int_eq(ml_ad_tape_status(&T), ML_OK);
        double a1 = dot(y->val, g->val, y->size), a2 = dot(x->val, dx->val, x->size);
        double a3 = dot(w->val, dw->val, w->size);
        /* 1e-4 relative to <y, g>, or to 1% of the sum of |terms| (which
         * bounds the rounding) should the sum cancel (seen: <= 5e-6) */
        double sc = 0;
        for (size_t i = 0; i < y->size; i++)
            sc += fabs((double)y->val[i] * g->val[i]);
        sc = fmax(fabs(a1), 1e-2 * sc);
        ck_assert_msg(fabs(a1 - a2) <= 1e-4 * sc && fabs(a1 - a3) <= 1e-4 * sc,
                      "case %zu: <y, g> %.9g, <x, dx> %.9g, <w, dw> %.9g", c,
                      a1, a2, a3);
        ml_ad_tape_reset(&T);
    }
}
END_TEST

/* The first maximum of each window, in row-major order. */
static size_t argmax_ref(const float *x, const int d[4], int n, int c, int oh,
                         int ow, int size)
{
    size_t best = at4(d, n, c, oh * size, ow * size);
    for (int i = 0; i < size; i++)
        for (int j = 0; j < size; j++) {
            size_t k = at4(d, n, c, oh * size + i, ow * size + j);
            if (x[k] > x[best])
                best = k;
        }
    return best;
}

START_TEST(test_maxpool)
{
    static const struct { int d[4], size; } P[] = {
        {{2, 2, 4, 4}, 2}, {{1, 2, 5, 5}, 2}, {{2, 3, 6, 7}, 3},
        {{1, 1, 3, 3}, 3}, {{2, 2, 4, 6}, 1}, {{1, 1, 7, 2}, 2},
        {{2, 1, 4, 5}, 2}, {{3, 2, 7, 9}, 2}, {{1, 2, 8, 8}, 4},
    };
    for (size_t c = 0; c < sizeof P / sizeof P[0]; c++) {
        const int *d = P[c].d, size = P[c].size;
        ml_ad_node *x = rnd(4, d, -2, 2), *h = rnd(4, d, -2, 2);
        /* Ties, including a whole window of equal values: the first one
         * in row-major order wins. */
        for (size_t i = 0; i < x->size; i += 3)
            x->val[i] = 0.5f;
        x->val[0] = x->val[1] = x->val[(size_t)d[3]] = x->val[(size_t)d[3] + 1] = 1.0f;
        int ho = d[2] / size, wo = d[3] / size;
        int ys[4] = {d[0], d[1], ho, wo};
        ml_ad_node *g = rnd(4, ys, -2, 2);
        size_t ny = (size_t)d[0] * d[1] * ho * wo;
        double *em = malloc(ny * sizeof *em), *eg = malloc(ny * sizeof *eg);
        double *es = calloc(x->size, sizeof *es);
        size_t o = 0;
        for (int n = 0; n < d[0]; n++)
            for (int ch = 0; ch < d[1]; ch++)
                for (int oh = 0; oh < ho; oh++)
                    for (int ow = 0; ow < wo; ow++, o++) {
                        size_t a = argmax_ref(x->val, d, n, ch, oh, ow, size);
                        em[o] = x->val[a];
                        eg[o] = h->val[a];
                        es[a] = g->val[o];
                    }
        expect(ml_ad_maxpool(&T, x, size), 4, ys, em, 0);
        expect(ml_ad_pool_gather(&T, h, x, size), 4, ys, eg, 0);
        expect(ml_ad_pool_scatter(&T, g, x, size), 4, d, es, 0);
        free(em);
        free(eg);
        free(es);
        ml_ad_tape_reset(&T);
    }
}
END_TEST

/* Exact ties in 2x2 windows: the first maximum in row-major order. */
START_TEST(test_maxpool_ties)
{
    /* windows [0 1; 1 0], [0 0; 1 1], [1 1; 1 1], [0 0; 0 1], [-0 0; 0 -0] */
    float x[20] = {0, 1, 0, 0, 1, 1, 0, 0, -0.0f, 0,
                   1, 0, 1, 1, 1, 1, 0, 1, 0, -0.0f};
    float h[20], g[5] = {1, 2, 3, 4, 5};
    for (int i = 0; i < 20; i++)
        h[i] = (float)i;
    int xs[4] = {1, 1, 2, 10}, ys[4] = {1, 1, 1, 5};
    ml_ad_node *xn = ml_ad_leaf(&T, 4, xs, x, 0), *hn = ml_ad_leaf(&T, 4, xs, h, 0);
    /* flat indices of the winners: 1, 12, 4, 17, 8 */
    double eg[5] = {1, 12, 4, 17, 8}, es[20] = {0};
    es[1] = 1;
    es[12] = 2;
    es[4] = 3;
    es[17] = 4;
    es[8] = 5;
    expect(ml_ad_pool_gather(&T, hn, xn, 2), 4, ys, eg, 0);
    expect(ml_ad_pool_scatter(&T, ml_ad_leaf(&T, 4, ys, g, 0), xn, 2), 4, xs, es, 0);
}
END_TEST

/* Mean and biased variance of channel k of x [n, ch, inner], in double. */
static void moments(const ml_ad_node *x, int n, int ch, int inner, int k,
                    double *mean, double *var)
{
    double m = 0, v = 0, cnt = (double)n * inner;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < inner; j++)
            m += x->val[((size_t)i * ch + k) * inner + j];
    m /= cnt;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < inner; j++) {
            double u = x->val[((size_t)i * ch + k) * inner + j] - m;
            v += u * u;
        }
    *mean = m;
    *var = v / cnt;
}

/* (x - mean) / sqrt(var + eps) * gamma + beta per channel, in double. */
START_TEST(test_batchnorm)
{
    static const struct { int nd, d[4]; } B[] = {
        {4, {3, 4, 5, 2}}, {2, {6, 5}}, {4, {1, 2, 1, 1}}, {2, {1, 3}},
    };
    const float eps = 1e-3f;
    for (size_t c = 0; c < sizeof B / sizeof B[0]; c++) {
        int nd = B[c].nd, n = B[c].d[0], ch = B[c].d[1];
        int inner = nd == 4 ? B[c].d[2] * B[c].d[3] : 1, cs[1] = {ch};
        ml_ad_node *x = rnd(nd, B[c].d, -3, 5);
        ml_ad_node *ga = rnd(1, cs, 0.5f, 2), *be = rnd(1, cs, -1, 1);
        double *e = malloc(x->size * sizeof *e);
        for (int k = 0; k < ch; k++) {
            double m, v;
            moments(x, n, ch, inner, k, &m, &v);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < inner; j++) {
                    size_t a = ((size_t)i * ch + k) * inner + j;
                    e[a] = (x->val[a] - m) / sqrt(v + eps) * ga->val[k] + be->val[k];
                }
        }
        /* A single value per channel normalises to 0: y = beta. */
        expect(ml_ad_batchnorm(&T, x, ga, be, eps), nd, B[c].d, e, 2e-5);
        for (size_t a = 0; a < x->size; a++)
            e[a] = e[a] > 0 ? e[a] : 0;
        expect(ml_ad_batchnorm_relu(&T, x, ga, be, eps), nd, B[c].d, e, 2e-5);
        free(e);
        ml_ad_tape_reset(&T);
    }
}
END_TEST

/* The gradients of sum(G y) for y = batchnorm(x) (and relu of it) from the
 * textbook formulas in double, with xhat = (x - mean) / sd, g = G (times
 * [y > 0] with relu):
 *   dbeta = sum g,  dgamma = sum g xhat,
 *   dx = gamma / sd (g - dbeta / m - xhat dgamma / m),
 * against the fused backward (plain values) and the one built from ops
 * (create_graph). */
START_TEST(test_batchnorm_grad)
{
    static const struct { int nd, d[4]; } B[] = {
        {4, {3, 4, 5, 7}}, {4, {2, 3, 4, 4}}, {2, {6, 5}}, {4, {5, 2, 3, 3}},
    };
    const float eps = 1e-3f;
    for (int relu = 0; relu < 2; relu++)
        for (size_t c = 0; c < sizeof B / sizeof B[0]; c++) {
            int nd = B[c].nd, n = B[c].d[0], ch = B[c].d[1];
            int inner = nd == 4 ? B[c].d[2] * B[c].d[3] : 1, cs[1] = {ch};
            ml_ad_node *x = rnd(nd, B[c].d, -3, 5);
            ml_ad_node *ga = rnd(1, cs, -2, 2), *be = rnd(1, cs, -1, 1);
            ml_ad_node *gy = rnd(nd, B[c].d, -1, 1);
            double *ex = malloc(x->size * sizeof *ex), eg[8], eb[8];
            double cnt = (double)n * inner;
            for (int k = 0; k < ch; k++) {
                double m, v, sb = 0, sg = 0;
                moments(x, n, ch, inner, k, &m, &v);
                double sd = sqrt(v + eps);
                /* g at each position, then the sums */
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < inner; j++) {
                        size_t a = ((size_t)i * ch + k) * inner + j;
                        double xh = (x->val[a] - m) / sd;
                        double y = xh * ga->val[k] + be->val[k];
                        double g = relu && y <= 0 ? 0 : gy->val[a];
                        ex[a] = g;
                        sb += g;
                        sg += g * xh;
                    }
                eb[k] = sb;
                eg[k] = sg;
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < inner; j++) {
                        size_t a = ((size_t)i * ch + k) * inner + j;
                        double xh = (x->val[a] - m) / sd;
                        ex[a] = ga->val[k] / sd * (ex[a] - sb / cnt - xh * sg / cnt);
                    }
            }
            for (int graph = 0; graph < 2; graph++) {
                ml_ad_node *y = relu ? ml_ad_batchnorm_relu(&T, x, ga, be, eps)
                                     : ml_ad_batchnorm(&T, x, ga, be, eps);
                ml_ad_node *ins[3] = {x, ga, be}, *gr[3];
                ck_assert_int_eq(ml_ad_grad(&T, 1, &y, &gy, 3, ins, gr, graph), ML_OK);
                ck_assert_int_eq(ml_ad_requires_grad(gr[0]), graph);
                expect(gr[0], nd, B[c].d, ex, 2e-5);
                expect(gr[1], 1, cs, eg, 2e-5);
                expect(gr[2], 1, cs, eb, 2e-5);
            }
            free(ex);
            ml_ad_tape_reset(&T);
        }
}
END_TEST

/* batchnorm written out in elementwise ops: the independent reference. */
static ml_ad_node *bn_composed(ml_ad_node *x, ml_ad_node *ga, ml_ad_node *be,
                               float eps)
{
    int c = x->shape[1], cs[4] = {1, c, 1, 1};
    float inv_m = (float)c / (float)x->size;
    ml_ad_node *mu = ml_ad_scale(&T, ml_ad_sum_to(&T, x, 4, cs), inv_m);
    ml_ad_node *xc = ml_ad_sub(&T, x, mu);
    ml_ad_node *var = ml_ad_scale(&T, ml_ad_sum_to(&T, ml_ad_square(&T, xc), 4, cs), inv_m);
    ml_ad_node *sd = ml_ad_sqrt(&T, ml_ad_add(&T, var, ml_ad_fill(&T, 4, cs, eps)));
    return ml_ad_add(&T, ml_ad_mul(&T, ml_ad_div(&T, xc, sd), ml_ad_reshape(&T, ga, 4, cs)),
                     ml_ad_reshape(&T, be, 4, cs));
}

/* A Conv-4 block, L = sum(u * maxpool(relu(bn(conv2d(x, w))))^2), three
 * ways: with the composition above, with the fused batchnorm_relu then
 * maxpool, and with batchnorm_relu_pool: the same values, gradient and
 * Hessian-vector product in all four inputs.  An odd size drops a row
 * and a column in the pooling. */
START_TEST(test_batchnorm_block)
{
    const int side = _i ? 7 : 6;
    int xs[4] = {4, 2, side, side}, ws[4] = {3, 2, 3, 3}, cs[1] = {3};
    int us[4] = {4, 3, side / 2, side / 2};
    ml_ad_node *in[4] = {rnd(4, xs, -2, 2), rnd(4, ws, -1, 1), rnd(1, cs, -2, 2),
                         rnd(1, cs, -1, 1)};
    ml_ad_node *u = rnd(4, us, -1, 1), *v[4];
    for (int k = 0; k < 4; k++)
        v[k] = rnd(in[k]->ndim, in[k]->shape, -1, 1);
    ml_ad_node *out[3], *hv[3][4], *gr[3][4];
    for (int way = 0; way < 3; way++) {
        ml_ad_node *h = ml_ad_conv2d(&T, in[0], in[1], NULL, 1, 1);
        if (way == 0)
            h = ml_ad_maxpool(&T, ml_ad_relu(&T, bn_composed(h, in[2], in[3], 1e-5f)), 2);
        else if (way == 1)
            h = ml_ad_maxpool(&T, ml_ad_batchnorm_relu(&T, h, in[2], in[3], 1e-5f), 2);
        else
            h = ml_ad_batchnorm_relu_pool(&T, h, in[2], in[3], 1e-5f);
        out[way] = h;
        ml_ad_node *L = ml_ad_sum(&T, ml_ad_mul(&T, u, ml_ad_square(&T, h)));
        ck_assert_int_eq(ml_ad_grad(&T, 1, &L, NULL, 4, in, gr[way], 1), ML_OK);
        ck_assert_int_eq(ml_ad_grad(&T, 4, gr[way], v, 4, in, hv[way], 0), ML_OK);
    }
    double *e = malloc(in[0]->size * sizeof *e);
    for (int way = 1; way < 3; way++) {
        for (size_t i = 0; i < out[0]->size; i++)
            e[i] = out[0]->val[i];
        expect(out[way], 4, us, e, 1e-5);
        for (int k = 0; k < 4; k++) {
            for (size_t i = 0; i < in[k]->size; i++)
                e[i] = gr[0][k]->val[i];
            expect(gr[way][k], in[k]->ndim, in[k]->shape, e, 1e-4);
            for (size_t i = 0; i < in[k]->size; i++)
                e[i] = hv[0][k]->val[i];
            expect(hv[way][k], in[k]->ndim, in[k]->shape, e, 1e-4);
        }
    }
    free(e);
}
END_TEST

/* The fused pooled op's plain first-order backward (no create_graph)
 * against the three ops one after the other, on a larger input with an
 * odd size, 64 + 3 pooled columns (two column chunks), and gamma of both
 * signs. */
START_TEST(test_batchnorm_pool_grad)
{
    int xs[4] = {3, 4, 5, 134}, cs[1] = {4}, ys[4] = {3, 4, 2, 67};
    ml_ad_node *x = rnd(4, xs, -3, 3), *ga = rnd(1, cs, -2, 2), *be = rnd(1, cs, -1, 1);
    ml_ad_node *gy = rnd(4, ys, -1, 1), *ins[3] = {x, ga, be}, *g[2][3];
    ml_ad_node *y0 = ml_ad_maxpool(&T, ml_ad_relu(&T, bn_composed(x, ga, be, 1e-5f)), 2);
    ml_ad_node *y1 = ml_ad_batchnorm_relu_pool(&T, x, ga, be, 1e-5f);
    ck_assert_int_eq(ml_ad_grad(&T, 1, &y0, &gy, 3, ins, g[0], 0), ML_OK);
    ck_assert_int_eq(ml_ad_grad(&T, 1, &y1, &gy, 3, ins, g[1], 0), ML_OK);
    double *e = malloc(x->size * sizeof *e);
    for (size_t i = 0; i < y0->size; i++)
        e[i] = y0->val[i];
    expect(y1, 4, ys, e, 1e-5);
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < ins[k]->size; i++)
            e[i] = g[0][k]->val[i];
        expect(g[1][k], ins[k]->ndim, ins[k]->shape, e, 1e-4);
    }
    free(e);
}
END_TEST

static Suite *ops_conv_suite(void)
{
    Suite *s = suite_create("ops_conv");
    TCase *tc = tcase_create("forward");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_conv2d, 0, (int)(sizeof CONV / sizeof CONV[0]));
    tcase_add_loop_test(tc, test_conv2d_winograd_random, 0, 24);
    tcase_add_test(tc, test_conv2d_adjoint);
    tcase_add_test(tc, test_maxpool);
    tcase_add_test(tc, test_maxpool_ties);
    tcase_add_test(tc, test_batchnorm);
    tcase_add_test(tc, test_batchnorm_grad);
    tcase_add_loop_test(tc, test_batchnorm_block, 0, 2);
    tcase_add_test(tc, test_batchnorm_pool_grad);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ops_conv_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
