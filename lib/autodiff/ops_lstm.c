/* The LSTM cell's gate arithmetic as one op: a large share of the learned
 * optimiser's time went to a dozen elementwise nodes per cell.
 *
 *   y = lstm_cell(z, c):  z [4H, N] pre-activations of the input, forget,
 *   cell and output gates (gate-major: each gate a contiguous [H, N]
 *   block), c [H, N] the cell state; y [2H, N] holds h' = o tanh(c') in
 *   rows 0..H-1 and c' = f c + i g in rows H..2H-1, with
 *   (i, f, g, o) = (sig, sig, tanh, sig)(z).
 *
 * Columns are the N independent cells (the optimiser's coordinates), so
 * every gate is one long contiguous run and the kernels vectorise without
 * tails or shuffles.
 *
 * Backward, with G = (Gh, Gc) the gradient of y:
 *   D  = Gc + Gh o (1 - tanh^2 c')
 *   dz = (D g i (1 - i), D c f (1 - f), D i (1 - g^2), Gh tanh(c') o (1 - o))
 *   dc = D f
 * Computed by one fused loop when the gradient is a plain value, and built
 * from the elementwise ops when it must itself be differentiable
 * (create_graph), so gradients of any order exist. */
#include "ops_internal.h"

#include "core/vmath.h"

/* The row kernels stay out of line (inlined into the row loop, GCC no
 * longer vectorises the loop over a row's units), and are compiled for
 * AVX-512 and AVX2 too, picked at load time: they are most of the learned
 * optimiser's time and the baseline x86-64 build has only 4-wide SSE. */
/* (Not with clang, which refuses target_clones together with noinline:
 * scripts/test's ThreadSanitizer build uses it.) */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__ELF__) && \
    !defined(__SANITIZE_THREAD__) && !defined(__clang__)
#define ML_NOINLINE __attribute__((noinline, target_clones("avx512f", "avx2", "default")))
#elif defined(__GNUC__)
#define ML_NOINLINE __attribute__((noinline))
#else
#define ML_NOINLINE
#endif

/* n units.  Every stream is a restrict parameter (GCC honours
 * restrict on parameters): then the loop vectorises without alias checks. */
ML_NOINLINE static void cell_kernel(size_t n, const float *restrict zi, const float *restrict zf,
                                 const float *restrict zg, const float *restrict zo,
                                 const float *restrict c, float *restrict hn,
                                 float *restrict cn)
{
    for (size_t j = 0; j < n; j++) {
        const float i = ml_vsigmoid(zi[j]), f = ml_vsigmoid(zf[j]);
        const float g = ml_vtanh(zg[j]), o = ml_vsigmoid(zo[j]);
        const float cj = f * c[j] + i * g;
        cn[j] = cj;
        hn[j] = o * ml_vtanh(cj);
    }
}

/* The gate activations again (cheaper than storing them), then dz, dc. */
ML_NOINLINE static void cell_kernel_backward(
    size_t n, const float *restrict zi, const float *restrict zf, const float *restrict zg,
    const float *restrict zo, const float *restrict c, const float *restrict cn,
    const float *restrict gh, const float *restrict gc, float *restrict di,
    float *restrict df, float *restrict dg, float *restrict dout, float *restrict dc)
{
    for (size_t j = 0; j < n; j++) {
        const float i = ml_vsigmoid(zi[j]), f = ml_vsigmoid(zf[j]);
        const float g = ml_vtanh(zg[j]), o = ml_vsigmoid(zo[j]);
        const float tc = ml_vtanh(cn[j]);
        const float d = gc[j] + gh[j] * o * (1.0f - tc * tc);
        di[j] = d * g * i * (1.0f - i);
        df[j] = d * c[j] * f * (1.0f - f);
        dg[j] = d * i * (1.0f - g * g);
        dout[j] = gh[j] * tc * o * (1.0f - o);
        dc[j] = d * f;
    }
}

ml_ad_node *ml_ad_lstm_cell(ml_ad_tape *t, ml_ad_node *z, ml_ad_node *c)
{
    if (!z || !c)
        return NULL;
    if (z->ndim != 2 || c->ndim != 2 || z->shape[1] != c->shape[1] ||
        z->shape[0] != 4 * c->shape[0]) {
        char sz[64], sc[64];
        return ml_ad_fail(t, ML_ERR_SHAPE, "lstm_cell: gates %s and cell %s do not agree",
                          ml_ad_shape_str(z, sz, sizeof sz), ml_ad_shape_str(c, sc, sizeof sc));
    }
    const int h = c->shape[0], n = c->shape[1];
    int shape[2] = {2 * h, n};
    ml_ad_node *y = ml_ad_node_new(t, ML_AD_LSTM_CELL, 2, shape, z, c);
    if (!y)
        return NULL;
    const size_t hn = (size_t)h * n;
    cell_kernel(hn, z->val, z->val + hn, z->val + 2 * hn, z->val + 3 * hn, c->val, y->val,
                y->val + hn);
    return y;
}

/* The fused backward into two constants. */
static void backward_values(ml_ad_tape *t, ml_ad_node *y, ml_ad_node *gy, ml_ad_node **dz,
                            ml_ad_node **dc)
{
    ml_ad_node *z = y->in[0], *c = y->in[1];
    /* Constants, every element written below: no zero fill. */
    *dz = ml_ad_node_new(t, ML_AD_LEAF, z->ndim, z->shape, NULL, NULL);
    *dc = ml_ad_node_new(t, ML_AD_LEAF, c->ndim, c->shape, NULL, NULL);
    if (!*dz || !*dc)
        return;
    const size_t hn = c->size;
    const float *zv = z->val, *gv = gy->val;
    float *d = (*dz)->val;
    cell_kernel_backward(hn, zv, zv + hn, zv + 2 * hn, zv + 3 * hn, c->val, y->val + hn, gv,
                         gv + hn, d, d + hn, d + 2 * hn, d + 3 * hn, (*dc)->val);
}

/* x - x^2 = x (1 - x) */
static ml_ad_node *x_one_minus_x(ml_ad_tape *t, ml_ad_node *x)
{
    return ml_ad_sub(t, x, ml_ad_square(t, x));
}

/* 1 - x^2 */
static ml_ad_node *one_minus_sq(ml_ad_tape *t, ml_ad_node *x)
{
    const int one_shape[1] = {1};
    return ml_ad_add(t, ml_ad_neg(t, ml_ad_square(t, x)), ml_ad_fill(t, 1, one_shape, 1.0f));
}

/* The same from the elementwise ops, recorded. */
static void backward_graph(ml_ad_tape *t, ml_ad_node *y, ml_ad_node *gy, ml_ad_node **dz,
                           ml_ad_node **dc)
{
    ml_ad_node *z = y->in[0], *c = y->in[1];
    const int h = c->shape[0];
    ml_ad_node *i = ml_ad_sigmoid(t, ml_ad_slice(t, z, 0, 0, h));
    ml_ad_node *f = ml_ad_sigmoid(t, ml_ad_slice(t, z, 0, h, h));
    ml_ad_node *g = ml_ad_tanh(t, ml_ad_slice(t, z, 0, 2 * h, h));
    ml_ad_node *o = ml_ad_sigmoid(t, ml_ad_slice(t, z, 0, 3 * h, h));
    ml_ad_node *tc = ml_ad_tanh(t, ml_ad_slice(t, y, 0, h, h));
    ml_ad_node *gh = ml_ad_slice(t, gy, 0, 0, h), *gc = ml_ad_slice(t, gy, 0, h, h);
    ml_ad_node *d = ml_ad_add(t, gc, ml_ad_mul(t, ml_ad_mul(t, gh, o), one_minus_sq(t, tc)));
    ml_ad_node *di = ml_ad_mul(t, ml_ad_mul(t, d, g), x_one_minus_x(t, i));
    ml_ad_node *df = ml_ad_mul(t, ml_ad_mul(t, d, c), x_one_minus_x(t, f));
    ml_ad_node *dg = ml_ad_mul(t, ml_ad_mul(t, d, i), one_minus_sq(t, g));
    ml_ad_node *dout = ml_ad_mul(t, ml_ad_mul(t, gh, tc), x_one_minus_x(t, o));
    *dz = ml_ad_concat(t, ml_ad_concat(t, di, df, 0), ml_ad_concat(t, dg, dout, 0), 0);
    *dc = ml_ad_mul(t, d, f);
}

void ml_ad_lstm_backward(ml_ad_tape *t, ml_ad_node *y, ml_ad_node *gy, const int *need,
                         ml_ad_node **gin)
{
    ml_ad_node *dz = NULL, *dc = NULL;
    if (t->recording)
        backward_graph(t, y, gy, &dz, &dc);
    else
        backward_values(t, y, gy, &dz, &dc);
    gin[0] = need[0] ? dz : NULL;
    gin[1] = need[1] ? dc : NULL;
}
