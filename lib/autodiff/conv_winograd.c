/* 3x3 stride-1 convolution by Winograd's minimal filtering F(2x2, 3x3)
 * (Lavin and Gray 2016), for the shapes where it pays: 2.25 times fewer
 * multiplications than im2col + GEMM.  conv2d, conv2d_dx (through
 * ops_conv.c's dx_by_conv, a convolution too) and conv2d_dw take it where
 * ml_conv_winograd_fits() says so: Conv-4's second block on 28x28 images.
 *
 * The output is cut into 2x2 tiles, each read from a 4x4 input tile d
 * (rows 2i - p .. 2i - p + 3, zero off the image).  With
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],
 *   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1],
 *   A^T = [1 1 1 0; 0 1 -1 -1],
 * a tile of y = conv2d(x, w) is
 *   Y = A^T [ sum_c (G w_fc G^T) .* (B^T d_c B) ] A,
 * exact in real arithmetic (the 1-D case: y0 = m1 + m2 + m3,
 * y1 = m2 - m3 - m4 with m1 = (d0 - d2) g0, m2 = (d1 + d2)(g0 + g1 + g2)/2,
 * m3 = (d2 - d1)(g0 - g1 + g2)/2, m4 = (d1 - d3) g2).  The sum over c is,
 * for each of the 16 positions xi of the 4x4 transformed tiles, one GEMM
 *   M_xi [F, T] = U_xi [F, C] V_xi [C, T]
 * over a group of T tiles (whole images, about WINO_TILES tiles, so that
 * U, V and M stay in the cache).  In floating point the result differs
 * from the direct sum by a few units in the last place of the inputs'
 * scale, as any reordering of the sum does; it is deterministic.
 *
 * The filter gradient is the same formula differentiated in w:
 *   dW_fc = G^T [ sum over tiles and images of (A G_f A^T) .* (B^T d_c B) ] G
 * with G_f the output gradient's 2x2 tile (0 past the output), again one
 * GEMM per xi, S_xi [F, C] = Z_xi [F, T] V_xi^T, summed over the groups. */
#include "conv_winograd.h"

#include "core/blas.h"
#include "ops_internal.h"

#include <stddef.h>
#include <string.h>

/* Tiles per group: GEMMs of [F, C] x [C, 128] run as fast as larger ones
 * (measured with OpenBLAS for F = C = 64), and the group's V and M
 * (16 C T and 16 F T floats) then fit in a 1 MiB L2 cache. */
#define WINO_TILES 128
/* Below this many channels the GEMMs are too thin to gain. */
#define WINO_MIN_C 8
/* Fewest tiles per tile row (output width 2 WINO_MIN_TW - 1 and up). */
#define WINO_MIN_TW 6

int ml_conv_winograd_fits(int c, int f, int k, int s, int p, int ho, int wo)
{
    if (k != 3 || s != 1 || p < 0 || p > 2 || c < WINO_MIN_C || f < WINO_MIN_C)
        return 0;
    /* The transforms run WT tiles of a tile row at a time: rows of fewer
     * than WINO_MIN_TW tiles leave most lanes idle, and a 7x7 output (4
     * tiles a row) was slower than im2col + GEMM in all three products
     * once OpenBLAS used its AVX-512 kernels. */
    return (wo + 1) / 2 >= WINO_MIN_TW && ho >= 2;
}

/* Tiles of a tile row handled together: a loop of a fixed WT iterations
 * is one vector of 16 lanes for the compiler, where a loop over a row's
 * 7 or 4 tiles would run entirely in its scalar tail (as in ops_norm.c). */
#define WT 16

typedef struct wino {
    int n, c, h, w, f, p, ho, wo;
    int th, tw;  /* tiles per column and per row of an image */
    size_t tpi;  /* tiles per image */
    int nb;      /* images per group */
    int twp;     /* tw rounded up to a multiple of WT */
    size_t lh;   /* row length of a split plane's even and odd columns */
    size_t hp;   /* their rows: 2 th + 2 */
} wino;

/* U [16, F, C] = G w G^T per filter and channel. */
static void filter_transform(const wino *g, const float *restrict wt,
                             float *restrict u)
{
    const size_t fc = (size_t)g->f * (size_t)g->c;
    for (int f = 0; f < g->f; f++)
        for (int c = 0; c < g->c; c++) {
            const float *k = wt + ((size_t)f * g->c + c) * 9;
            float r[4][3]; /* G w */
            for (int j = 0; j < 3; j++) {
                r[0][j] = k[j];
                r[1][j] = 0.5f * (k[j] + k[3 + j] + k[6 + j]);
                r[2][j] = 0.5f * (k[j] - k[3 + j] + k[6 + j]);
                r[3][j] = k[6 + j];
            }
            float *o = u + (size_t)f * g->c + c;
            for (int i = 0; i < 4; i++) { /* (G w) G^T */
                o[(size_t)(4 * i + 0) * fc] = r[i][0];
                o[(size_t)(4 * i + 1) * fc] = 0.5f * (r[i][0] + r[i][1] + r[i][2]);
                o[(size_t)(4 * i + 2) * fc] = 0.5f * (r[i][0] - r[i][1] + r[i][2]);
                o[(size_t)(4 * i + 3) * fc] = r[i][2];
            }
        }
}

/* Plane x (h x w) into the even and odd columns of its zero-padded rows:
 * pe[r][k] is padded column 2 k, po[r][k] column 2 k + 1, where padded
 * row r, column j is input (r - p, j - p).  Input columns 2 k and 2 k + 1
 * go to padded columns 2 k + p and 2 k + 1 + p, so per row the pairs
 * land at the pointers da, db below.  WT pairs at a time, reading up to
 * 2 WT floats past the row where that stays before xend (the values are
 * not used) and writing zeros past the row (into the border and the
 * rows' slack, which are 0 already). */
ML_AD_VECTOR static void split_plane(const wino *g, const float *x,
                                     const float *xend, float *restrict pe,
                                     float *restrict po)
{
    const size_t lh = g->lh;
    const int na = (g->w + 1) / 2, nb = g->w / 2, h2 = g->p / 2;
    for (int ih = 0; ih < g->h; ih++) {
        const float *src = x + (size_t)ih * g->w;
        float *e = pe + (size_t)(ih + g->p) * lh, *o = po + (size_t)(ih + g->p) * lh;
        float *restrict da = g->p & 1 ? o + h2 : e + h2;
        float *restrict db = g->p & 1 ? e + h2 + 1 : o + h2;
        if (xend - src < 2 * (ptrdiff_t)(na + WT)) {
            for (int k = 0; k < na; k++)
                da[k] = src[2 * k];
            for (int k = 0; k < nb; k++)
                db[k] = src[2 * k + 1];
            continue;
        }
        for (int k0 = 0; k0 < na; k0 += WT)
            for (int j = 0; j < WT; j++) {
                const int k = k0 + j;
                const float a = src[2 * k], b = src[2 * k + 1];
                da[k] = ml_ad_pick(k < na, a, 0.0f);
                db[k] = ml_ad_pick(k < nb, b, 0.0f);
            }
    }
}

/* The split buffers of plane pi (of planes, hw floats apart from src):
 * plane 0 is split by the caller, plane pi + 1 here, into the other of
 * the two buffers of 2 pl floats at pad, before plane pi is read: reading
 * just-written floats at other offsets would wait for the stores to
 * commit. */
static const float *next_split(const wino *g, const float *src,
                               const float *end, size_t hw, float *pad,
                               size_t pl, size_t pi, size_t planes)
{
    if (pi + 1 < planes) {
        float *ne = pad + ((pi + 1) & 1) * 2 * pl;
        split_plane(g, src + (pi + 1) * hw, end, ne, ne + pl);
    }
    return pad + (pi & 1) * 2 * pl;
}

/* A group's 16 transformed rows of WT tiles to dst + xi stride (out is
 * not changed; a const array parameter would need a cast at every call
 * before C23). */
static inline void store_group(float *dst, size_t stride,
                               float out[16][WT])
{
    for (int xi = 0; xi < 16; xi++)
        memcpy(dst + (size_t)xi * stride, out[xi], sizeof out[xi]);
}

/* V [16, C, ldv] of the m images at x (nt tiles, ldv >= nt + WT), with
 * each plane split by split_plane, so tile j's columns 2 j .. 2 j + 3
 * are pe[j], po[j], pe[j + 1], po[j + 1]: unit-stride loads (planes
 * double-buffered by next_split).  Tiles go WT at a time, B^T d B in
 * registers, stored as whole vectors; lanes past the tile row land in
 * the next tile row's place, written after, or in the row's WT floats of
 * slack. */
ML_AD_VECTOR static void input_transform(const wino *g, const float *x,
                                         const float *xend, int m,
                                         size_t ldv, float *restrict v,
                                         float *restrict pad)
{
    const size_t lh = g->lh, cl = (size_t)g->c * ldv, pl = g->hp * lh;
    const size_t planes = (size_t)m * (size_t)g->c, hw = (size_t)g->h * g->w;
    split_plane(g, x, xend, pad, pad + pl);
    for (size_t pi = 0; pi < planes; pi++) {
        const int b = (int)(pi / (size_t)g->c), c = (int)(pi % (size_t)g->c);
        const float *pe = next_split(g, x, xend, hw, pad, pl, pi, planes),
                    *po = pe + pl;
        float *vc = v + (size_t)c * ldv;
        for (int ti = 0; ti < g->th; ti++) {
            const size_t r0 = (size_t)(2 * ti) * lh;
            const float *restrict e0 = pe + r0, *restrict e1 = e0 + lh,
                                  *restrict e2 = e1 + lh, *restrict e3 = e2 + lh;
            const float *restrict o0 = po + r0, *restrict o1 = o0 + lh,
                                  *restrict o2 = o1 + lh, *restrict o3 = o2 + lh;
            const size_t t0 = ((size_t)b * g->th + ti) * g->tw;
            for (int j0 = 0; j0 < g->tw; j0 += WT) {
                /* out[xi][j]: the 16 streams through a local array, as
                 * stores at 16 run-time offsets of v defeat the
                 * vectoriser's alias checks */
                float out[16][WT];
#pragma GCC unroll 1
                for (int j = 0; j < WT; j++) {
                    const size_t i = (size_t)j0 + (size_t)j;
                    /* rows of d at columns 2i, 2i + 1, 2i + 2, 2i + 3 */
                    const float d[4][4] = {
                        {e0[i], o0[i], e0[i + 1], o0[i + 1]},
                        {e1[i], o1[i], e1[i + 1], o1[i + 1]},
                        {e2[i], o2[i], e2[i + 1], o2[i + 1]},
                        {e3[i], o3[i], e3[i + 1], o3[i + 1]}};
                    float q[4][4]; /* B^T d */
                    for (int k = 0; k < 4; k++) {
                        q[0][k] = d[0][k] - d[2][k];
                        q[1][k] = d[1][k] + d[2][k];
                        q[2][k] = d[2][k] - d[1][k];
                        q[3][k] = d[1][k] - d[3][k];
                    }
                    for (int k = 0; k < 4; k++) { /* (B^T d) B */
                        out[4 * k][j] = q[k][0] - q[k][2];
                        out[4 * k + 1][j] = q[k][1] + q[k][2];
                        out[4 * k + 2][j] = q[k][2] - q[k][1];
                        out[4 * k + 3][j] = q[k][1] - q[k][3];
                    }
                }
                store_group(vc + t0 + j0, cl, out);
            }
        }
    }
}

/* y for the m images from M [16, F, nt] (read up to WT - 1 floats past
 * its end): per tile row, A^T M A plus the bias into the row pair's
 * values (rows, 2 twp wide), stored 2 WT floats at a time.  What a store
 * puts past an output row's end lands where a later store writes (the
 * next row, tile row or plane); only a store that would pass yend, the
 * end of the whole output, is cut to the row's length. */
ML_AD_VECTOR static void output_transform(const wino *g, const float *mm,
                                          int m, size_t nt, const float *bias,
                                          float *y, const float *yend,
                                          float *restrict rows)
{
    const size_t ft = (size_t)g->f * nt, w2 = 2 * (size_t)g->twp;
    float *restrict y0 = rows, *restrict y1 = rows + w2;
    for (int b = 0; b < m; b++)
        for (int f = 0; f < g->f; f++) {
            const float bf = bias ? bias[f] : 0.0f;
            float *plane = y + ((size_t)b * g->f + f) * g->ho * g->wo;
            for (int ti = 0; ti < g->th; ti++) {
                const float *mt =
                    mm + (size_t)f * nt + ((size_t)b * g->th + ti) * g->tw;
                for (int j0 = 0; j0 < g->tw; j0 += WT) {
                    float in[16][WT]; /* M_xi at the group's tiles */
                    for (int xi = 0; xi < 16; xi++)
                        memcpy(in[xi], mt + (size_t)xi * ft + j0, sizeof in[xi]);
                    float *restrict r0 = y0 + 2 * j0, *restrict r1 = y1 + 2 * j0;
#pragma GCC unroll 1
                    for (int j = 0; j < WT; j++) {
                        float s0[4], s1[4];
                        for (int l = 0; l < 4; l++) { /* A^T M */
                            s0[l] = in[l][j] + in[4 + l][j] + in[8 + l][j];
                            s1[l] = in[4 + l][j] - in[8 + l][j] - in[12 + l][j];
                        }
                        r0[2 * j] = (s0[0] + s0[1] + s0[2]) + bf; /* (A^T M) A */
                        r0[2 * j + 1] = (s0[1] - s0[2] - s0[3]) + bf;
                        r1[2 * j] = (s1[0] + s1[1] + s1[2]) + bf;
                        r1[2 * j + 1] = (s1[1] - s1[2] - s1[3]) + bf;
                    }
                }
                for (int r = 0; r < 2 && 2 * ti + r < g->ho; r++) {
                    float *dst = plane + (size_t)(2 * ti + r) * g->wo;
                    const float *src = r ? y1 : y0;
                    if ((size_t)(yend - dst) < w2) {
                        memcpy(dst, src, (size_t)g->wo * sizeof(float));
                        continue;
                    }
                    for (size_t i = 0; i < w2; i += 2 * WT)
                        memcpy(dst + i, src + i, 2 * WT * sizeof(float));
                }
            }
        }
}

/* The tiling of an n x c x h x w input padded by p. */
static void wino_init(wino *g, int n, int c, int h, int w, int f, int p)
{
    *g = (wino){.n = n, .c = c, .h = h, .w = w, .f = f, .p = p,
                .ho = h + 2 * p - 2, .wo = w + 2 * p - 2};
    g->th = (g->ho + 1) / 2;
    g->tw = (g->wo + 1) / 2;
    g->tpi = (size_t)g->th * (size_t)g->tw;
    g->twp = (g->tw + WT - 1) / WT * WT;
    /* the last tile group reads even and odd columns up to twp */
    g->lh = (size_t)g->twp + WT;
    g->hp = 2 * (size_t)g->th + 2;
    size_t nb = WINO_TILES / g->tpi;
    if (nb < 1)
        nb = 1;
    if (nb > (size_t)n)
        nb = (size_t)n;
    g->nb = (int)nb;
}

int ml_conv_winograd(ml_ad_tape *t, const char *what, int n, int c, int h,
                     int w, int f, int p, const float *x, const float *wt,
                     const float *bias, float *y)
{
    wino g;
    wino_init(&g, n, c, h, w, f, p);
    const size_t tmax = (size_t)g.nb * g.tpi, mfl = 16 * (size_t)f * tmax;
    /* two planes' even and odd columns */
    const size_t padfl = 4 * g.hp * g.lh;
    float *u = ml_ad_scratch(t, what, 16 * (size_t)f * c);
    float *v = u ? ml_ad_scratch(t, what, 16 * (size_t)c * (tmax + WT)) : NULL;
    float *mm = v ? ml_ad_scratch(t, what, mfl + WT) : NULL;
    float *pad = mm ? ml_ad_scratch(t, what, padfl) : NULL;
    float *rows = pad ? ml_ad_scratch(t, what, 4 * (size_t)g.twp) : NULL;
    if (!rows)
        return 0;
    memset(mm + mfl, 0, WT * sizeof(float)); /* read, never used */
    memset(pad, 0, padfl * sizeof(float));
    filter_transform(&g, wt, u);
    const float *xend = x + (size_t)n * c * h * w;
    const float *yend = y + (size_t)n * f * g.ho * g.wo;
    for (int n0 = 0; n0 < n; n0 += g.nb) {
        const int m = n - n0 < g.nb ? n - n0 : g.nb;
        const size_t nt = (size_t)m * g.tpi, ldv = nt + WT;
        input_transform(&g, x + (size_t)n0 * c * h * w, xend, m, ldv, v, pad);
        for (int xi = 0; xi < 16; xi++) /* M_xi = U_xi V_xi */
            ml_sgemm(0, 0, f, (int)nt, c, 1.0f, u + (size_t)xi * f * c, c,
                     v + (size_t)xi * c * ldv, (int)ldv, 0.0f,
                     mm + (size_t)xi * f * nt, (int)nt);
        output_transform(&g, mm, m, nt, bias, y + (size_t)n0 * f * g.ho * g.wo,
                         yend, rows);
    }
    return 1;
}

/* Z [16, F, ldz] = A G A^T of the m images' output-gradient tiles (the
 * 2x2 at (2 ti, 2 tj), 0 past the output), with A = (A^T)^T 4 x 2; the
 * planes split into even and odd columns as the input's are, here with
 * no padding, in pad (double-buffered likewise). */
ML_AD_VECTOR static void grad_transform(const wino *g, const float *gy,
                                        const float *gend, int m, size_t ldz,
                                        float *restrict z, float *restrict pad)
{
    wino gg = *g; /* the planes are ho x wo, unpadded */
    gg.h = g->ho;
    gg.w = g->wo;
    gg.p = 0;
    const size_t lh = g->lh, fl = (size_t)g->f * ldz, pl = g->hp * lh;
    const size_t planes = (size_t)m * (size_t)g->f, hw = (size_t)g->ho * g->wo;
    split_plane(&gg, gy, gend, pad, pad + pl);
    for (size_t pi = 0; pi < planes; pi++) {
        const int b = (int)(pi / (size_t)g->f), f = (int)(pi % (size_t)g->f);
        const float *pe = next_split(&gg, gy, gend, hw, pad, pl, pi, planes),
                    *po = pe + pl;
        float *zf = z + (size_t)f * ldz;
        for (int ti = 0; ti < g->th; ti++) {
            const float *restrict e0 = pe + (size_t)(2 * ti) * lh, *restrict e1 = e0 + lh;
            const float *restrict o0 = po + (size_t)(2 * ti) * lh, *restrict o1 = o0 + lh;
            const size_t t0 = ((size_t)b * g->th + ti) * g->tw;
            for (int j0 = 0; j0 < g->tw; j0 += WT) {
                float out[16][WT];
#pragma GCC unroll 1
                for (int j = 0; j < WT; j++) {
                    const size_t i = (size_t)j0 + (size_t)j;
                    /* A G: the tile's rows g0, g1 as g0, g0 + g1, g0 - g1, -g1 */
                    const float r[4][2] = {{e0[i], o0[i]},
                                           {e0[i] + e1[i], o0[i] + o1[i]},
                                           {e0[i] - e1[i], o0[i] - o1[i]},
                                           {-e1[i], -o1[i]}};
                    for (int k = 0; k < 4; k++) { /* (A G) A^T */
                        out[4 * k][j] = r[k][0];
                        out[4 * k + 1][j] = r[k][0] + r[k][1];
                        out[4 * k + 2][j] = r[k][0] - r[k][1];
                        out[4 * k + 3][j] = -r[k][1];
                    }
                }
                store_group(zf + t0 + j0, fl, out);
            }
        }
    }
}

/* dW = G^T S G per filter and channel from S [16, F, C]. */
static void filter_grad(const wino *g, const float *s, float *dw)
{
    const size_t fc = (size_t)g->f * (size_t)g->c;
    for (int f = 0; f < g->f; f++)
        for (int c = 0; c < g->c; c++) {
            const float *sp = s + (size_t)f * g->c + c;
            float r[3][4]; /* G^T S */
            for (int l = 0; l < 4; l++) {
                const float s0 = sp[(size_t)l * fc], s1 = sp[(size_t)(4 + l) * fc];
                const float s2 = sp[(size_t)(8 + l) * fc], s3 = sp[(size_t)(12 + l) * fc];
                r[0][l] = s0 + 0.5f * (s1 + s2);
                r[1][l] = 0.5f * (s1 - s2);
                r[2][l] = 0.5f * (s1 + s2) + s3;
            }
            float *k = dw + ((size_t)f * g->c + c) * 9;
            for (int i = 0; i < 3; i++) { /* (G^T S) G */
                k[3 * i] = r[i][0] + 0.5f * (r[i][1] + r[i][2]);
                k[3 * i + 1] = 0.5f * (r[i][1] - r[i][2]);
                k[3 * i + 2] = 0.5f * (r[i][1] + r[i][2]) + r[i][3];
            }
        }
}

int ml_conv_winograd_dw(ml_ad_tape *t, const char *what, int n, int c, int h,
                        int w, int f, int p, const float *x, const float *gy,
                        float *dw)
{
    wino g;
    wino_init(&g, n, c, h, w, f, p);
    const size_t tmax = (size_t)g.nb * g.tpi, padfl = 4 * g.hp * g.lh;
    float *s = ml_ad_scratch(t, what, 16 * (size_t)f * c);
    float *v = s ? ml_ad_scratch(t, what, 16 * (size_t)c * (tmax + WT)) : NULL;
    float *z = v ? ml_ad_scratch(t, what, 16 * (size_t)f * (tmax + WT)) : NULL;
    float *pad = z ? ml_ad_scratch(t, what, 2 * padfl) : NULL;
    if (!pad)
        return 0;
    memset(pad, 0, 2 * padfl * sizeof(float));
    const float *xend = x + (size_t)n * c * h * w;
    const float *gend = gy + (size_t)n * f * g.ho * g.wo;
    for (int n0 = 0; n0 < n; n0 += g.nb) {
        const int m = n - n0 < g.nb ? n - n0 : g.nb;
        const size_t nt = (size_t)m * g.tpi, ld = nt + WT;
        input_transform(&g, x + (size_t)n0 * c * h * w, xend, m, ld, v, pad);
        grad_transform(&g, gy + (size_t)n0 * f * g.ho * g.wo, gend, m, ld, z,
                       pad + padfl);
        for (int xi = 0; xi < 16; xi++) /* S_xi (+)= Z_xi V_xi^T */
            ml_sgemm(0, 1, f, c, (int)nt, 1.0f, z + (size_t)xi * f * ld, (int)ld,
                     v + (size_t)xi * c * ld, (int)ld, n0 ? 1.0f : 0.0f,
                     s + (size_t)xi * f * c, c);
    }
    filter_grad(&g, s, dw);
    return 1;
}
