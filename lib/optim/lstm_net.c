/* The LSTM optimiser's network on the autodiff tape: weight layout,
 * initialisation, input preprocessing and one step of the two cells.
 *
 * On the tape the network works transposed, one coordinate per column:
 * inputs [in, N], states [H, N], gates W^T [x; h] + b = [4H, N].  Each
 * gate is then a contiguous [H, N] block for the fused cell op, and the
 * products are single large GEMMs. */
#include "optim/lstm.h"

#include <math.h>

enum { W1, B1, W2, B2, WO, BO };

static int n_inputs(ml_lstm_shape s)
{
    return s.preprocess ? 2 : 1;
}

void ml_lstm_layout(ml_lstm_shape s, size_t off[6], int rows[6], int cols[6])
{
    const int h = s.hidden;
    rows[W1] = n_inputs(s) + h, cols[W1] = 4 * h;
    rows[B1] = 1, cols[B1] = 4 * h;
    rows[W2] = 2 * h, cols[W2] = 4 * h;
    rows[B2] = 1, cols[B2] = 4 * h;
    rows[WO] = h, cols[WO] = 1;
    rows[BO] = 1, cols[BO] = 1;
    size_t o = 0;
    for (int k = 0; k < 6; k++) {
        off[k] = o;
        o += (size_t)rows[k] * (size_t)cols[k];
    }
}

size_t ml_lstm_num_weights(ml_lstm_shape s)
{
    size_t off[6];
    int rows[6], cols[6];
    ml_lstm_layout(s, off, rows, cols);
    return off[BO] + 1;
}

void ml_lstm_init_weights(ml_lstm_shape s, float *w, ml_rng *rng)
{
    size_t off[6];
    int rows[6], cols[6];
    ml_lstm_layout(s, off, rows, cols);
    const float r = 1.0f / sqrtf((float)s.hidden);
    for (int k = 0; k < 6; k++) {
        const float lim = k >= WO ? 0.1f * r : r;
        const size_t n = (size_t)rows[k] * (size_t)cols[k];
        for (size_t i = 0; i < n; i++)
            w[off[k] + i] = ml_rng_range(rng, -lim, lim);
    }
    /* A forget bias of 1 lets the cells keep their memory from the start. */
    for (int k = B1; k <= B2; k += 2)
        for (int j = s.hidden; j < 2 * s.hidden; j++)
            w[off[k] + (size_t)j] = 1.0f;
}

void ml_lstm_weight_leaves(ml_ad_tape *t, ml_lstm_shape s, float *w, int requires_grad,
                           ml_ad_node *out[6])
{
    size_t off[6];
    int rows[6], cols[6];
    ml_lstm_layout(s, off, rows, cols);
    for (int k = 0; k < 6; k++) {
        /* biases as columns [4H, 1] that broadcast along the coordinates */
        const int bias = k == B1 || k == B2 || k == BO;
        int shape[2] = {bias ? cols[k] : rows[k], bias ? 1 : cols[k]};
        out[k] = ml_ad_leaf(t, 2, shape, w + off[k], requires_grad);
    }
}

ml_ad_node *ml_lstm_inputs(ml_ad_tape *t, ml_lstm_shape s, const float *g, size_t n)
{
    int shape[2] = {n_inputs(s), (int)n};
    if (!s.preprocess)
        return ml_ad_const(t, 2, shape, g);
    /* a constant; every element is written below */
    ml_ad_node *x = ml_ad_node_new(t, ML_AD_LEAF, 2, shape, NULL, NULL);
    if (!x)
        return NULL;
    const float p = ML_LSTM_PRE_P, small = expf(-p), big = expf(p);
    float *first = x->val, *second = x->val + n;
    for (size_t i = 0; i < n; i++) {
        const float a = fabsf(g[i]);
        if (a >= small) {
            first[i] = logf(a) / p;
            second[i] = g[i] > 0 ? 1.0f : -1.0f;
        } else {
            first[i] = -1.0f;
            second[i] = big * g[i];
        }
    }
    return x;
}

ml_ad_node *ml_lstm_inputs_graph(ml_ad_tape *t, ml_lstm_shape s, ml_ad_node *g)
{
    if (!g)
        return NULL;
    const int n = (int)g->size;
    int shape[2] = {1, n};
    g = ml_ad_reshape(t, g, 2, shape);
    if (!s.preprocess)
        return g;
    /* Which branch each coordinate takes is piecewise constant in g, so
     * the masks are constants: A = [|g| >= e^-p], notA = 1 - A. */
    ml_ad_node *a = ml_ad_zeros(t, 2, shape), *na = ml_ad_zeros(t, 2, shape);
    ml_ad_node *sg = ml_ad_zeros(t, 2, shape), *lin = ml_ad_zeros(t, 2, shape);
    if (!a || !na || !sg || !lin)
        return NULL;
    const float p = ML_LSTM_PRE_P, small = expf(-p), big = expf(p);
    for (int i = 0; i < n; i++) {
        const float v = g->val[i];
        const int on = fabsf(v) >= small;
        a->val[i] = (float)on;
        na->val[i] = (float)!on;
        sg->val[i] = on ? (v > 0 ? 1.0f : -1.0f) : 0.0f;
        lin->val[i] = on ? 0.0f : big;
    }
    /* first = log(|g| A + notA) / p - notA: log|g| / p, or -1 */
    ml_ad_node *l = ml_ad_log(t, ml_ad_add(t, ml_ad_mul(t, ml_ad_abs(t, g), a), na));
    ml_ad_node *first = ml_ad_sub(t, ml_ad_scale(t, l, 1.0f / p), na);
    /* second = sign(g) A + e^p g notA */
    ml_ad_node *second = ml_ad_add(t, ml_ad_mul(t, g, lin), sg);
    return ml_ad_concat(t, first, second, 0);
}

void ml_lstm_zero_state(ml_ad_tape *t, ml_lstm_shape s, size_t n, ml_ad_node *state[4])
{
    int shape[2] = {s.hidden, (int)n};
    for (int k = 0; k < 4; k++)
        state[k] = ml_ad_zeros(t, 2, shape);
}

/* (h, c) <- cell(x, h, c; w, b): z = W^T [x; h] + b, then the fused gates. */
static void cell(ml_ad_tape *t, int h, ml_ad_node *x, ml_ad_node *w, ml_ad_node *b,
                 ml_ad_node **hs, ml_ad_node **cs)
{
    ml_ad_node *z = ml_ad_add(t, ml_ad_matmul(t, w, ml_ad_concat(t, x, *hs, 0), 1, 0), b);
    ml_ad_node *y = ml_ad_lstm_cell(t, z, *cs);
    *hs = ml_ad_slice(t, y, 0, 0, h);
    *cs = ml_ad_slice(t, y, 0, h, h);
}

ml_ad_node *ml_lstm_forward(ml_ad_tape *t, ml_lstm_shape s, ml_ad_node *const w[6],
                            float scale, ml_ad_node *x, ml_ad_node *state[4])
{
    cell(t, s.hidden, x, w[W1], w[B1], &state[0], &state[1]);
    cell(t, s.hidden, state[0], w[W2], w[B2], &state[2], &state[3]);
    /* update^T = Wo^T h2 + bo: [1, N], returned as a column [N, 1] */
    ml_ad_node *u = ml_ad_add(t, ml_ad_matmul(t, w[WO], state[2], 1, 0), w[BO]);
    if (!u)
        return NULL;
    int col[2] = {(int)u->size, 1};
    return ml_ad_reshape(t, ml_ad_scale(t, u, scale), 2, col);
}
