#include "op_cases.h"

#include <stdlib.h>
#include <string.h>

#define C(ctx) ((const op_case *)(ctx))

/* ---- loss builders: gc_loss(op(inputs)) ---- */

static ml_ad_node *f_matmul(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_matmul(t, x[0], x[1], C(c)->arg[0], C(c)->arg[1]));
}

#define BINARY(name)                                                        \
    static ml_ad_node *f_##name(ml_ad_tape *t, ml_ad_node **x, void *c)     \
    {                                                                       \
        return gc_loss(t, ml_ad_##name(t, x[0], x[1]));                     \
    }
BINARY(add)
BINARY(sub)
BINARY(mul)
BINARY(div)
BINARY(bce_logits)
BINARY(mse)
BINARY(sqdist)

#define UNARY(name)                                                         \
    static ml_ad_node *f_##name(ml_ad_tape *t, ml_ad_node **x, void *c)     \
    {                                                                       \
        return gc_loss(t, ml_ad_##name(t, x[0]));                           \
    }
UNARY(neg)
UNARY(relu)
UNARY(tanh)
UNARY(sigmoid)
UNARY(exp)
UNARY(log)
UNARY(abs)
UNARY(square)
UNARY(sqrt)
UNARY(sum)
UNARY(mean)
UNARY(softmax)

static ml_ad_node *f_linear(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_linear(t, x[0], x[1], x[2]));
}

/* mask(g, a): g where a > 0; the gradient flows to g only. */
static ml_ad_node *f_mask(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_mask(t, x[0], x[1]));
}

static ml_ad_node *f_axpy(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_axpy(t, x[0], -0.7f, x[1]));
}

static ml_ad_node *f_scale(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_scale(t, x[0], -1.75f));
}

/* step and sign are constants: x * step(x) = relu(x), x * sign(x) = |x|,
 * so their (zero) gradient shows up as the right derivative. */
static ml_ad_node *f_step(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_mul(t, x[0], ml_ad_step(t, x[0])));
}

static ml_ad_node *f_sign(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_mul(t, x[0], ml_ad_sign(t, x[0])));
}

static ml_ad_node *f_sum_axis(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_sum_axis(t, x[0], C(c)->arg[0]));
}

static ml_ad_node *f_mean_axis(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_mean_axis(t, x[0], C(c)->arg[0]));
}

static ml_ad_node *f_sum_to(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_sum_to(t, x[0], C(c)->tndim, C(c)->tshape));
}

static ml_ad_node *f_expand(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_expand(t, x[0], C(c)->tndim, C(c)->tshape));
}

static ml_ad_node *f_reshape(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    /* Through another op so the reshaped view is used as an input. */
    return gc_loss(t, ml_ad_tanh(t, ml_ad_reshape(t, x[0], C(c)->tndim,
                                                  C(c)->tshape)));
}

static ml_ad_node *f_concat(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_concat(t, x[0], x[1], C(c)->arg[0]));
}

static ml_ad_node *f_slice(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_slice(t, x[0], C(c)->arg[0], C(c)->arg[1],
                                  C(c)->arg[2]));
}

static ml_ad_node *f_pad(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_pad(t, x[0], C(c)->arg[0], C(c)->arg[1],
                                C(c)->arg[2]));
}

static ml_ad_node *f_softmax_ce(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_softmax_ce(t, x[0], C(c)->labels));
}

/* A small network through several ops: mse(tanh(X W1 + b1) W2, Y). */
static ml_ad_node *f_mlp(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    static const float yv[5 * 2] = {0.5f, -0.3f, 0.1f, 0.9f, -0.7f,
                                    0.2f, 0.0f, -0.4f, 0.3f, 0.6f};
    int ys[2] = {5, 2};
    ml_ad_node *h = ml_ad_tanh(t, ml_ad_add(t, ml_ad_matmul(t, x[0], x[1], 0, 0),
                                            x[2]));
    ml_ad_node *p = ml_ad_matmul(t, h, x[3], 0, 0);
    return gc_loss(t, ml_ad_mse(t, p, ml_ad_const(t, 2, ys, yv)));
}

/* ---- convolution, pooling, batch normalisation ---- */

/* conv2d(x, w[, b], stride = arg[0], pad = arg[1]): bias when nin is 3. */
static ml_ad_node *f_conv2d(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_conv2d(t, x[0], x[1], C(c)->nin > 2 ? x[2] : NULL,
                                   C(c)->arg[0], C(c)->arg[1]));
}

/* conv2d_dx(g, w, H = arg[2], W = arg[3], stride, pad) */
static ml_ad_node *f_conv2d_dx(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_conv2d_dx(t, x[0], x[1], C(c)->arg[2], C(c)->arg[3],
                                      C(c)->arg[0], C(c)->arg[1]));
}

/* conv2d_dw(x, g, K = arg[2], stride, pad) */
static ml_ad_node *f_conv2d_dw(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_conv2d_dw(t, x[0], x[1], C(c)->arg[2], C(c)->arg[0],
                                      C(c)->arg[1]));
}

static ml_ad_node *f_maxpool(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_maxpool(t, x[0], C(c)->arg[0]));
}

static ml_ad_node *f_pool_gather(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_pool_gather(t, x[0], x[1], C(c)->arg[0]));
}

static ml_ad_node *f_pool_scatter(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_pool_scatter(t, x[0], x[1], C(c)->arg[0]));
}

/* maxpool(tanh(x)) * y: curvature through the pool pattern and a cross
 * term between x and y (tanh keeps the argmax of x). */
static ml_ad_node *f_pool_composed(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_mul(t, ml_ad_maxpool(t, ml_ad_tanh(t, x[0]),
                                                 C(c)->arg[0]), x[1]));
}

static ml_ad_node *f_batchnorm(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_batchnorm(t, x[0], x[1], x[2], 1e-3f));
}

static ml_ad_node *f_batchnorm_relu(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_batchnorm_relu(t, x[0], x[1], x[2], 1e-3f));
}

static ml_ad_node *f_batchnorm_relu_pool(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_batchnorm_relu_pool(t, x[0], x[1], x[2], 1e-3f));
}

/* Two normalisations in a row: the second one's input depends on every
 * input of the first, so mixed second-order terms show. */
static ml_ad_node *f_batchnorm_chain(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    ml_ad_node *h = ml_ad_batchnorm_relu(t, x[0], x[1], x[2], 1e-3f);
    return gc_loss(t, ml_ad_batchnorm(t, ml_ad_tanh(t, h), x[2], x[1], 1e-3f));
}

/* A Conv-4 block: maxpool(relu(batchnorm(conv2d(x, w)))), 2x2. */
static ml_ad_node *f_conv_block(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    ml_ad_node *h = ml_ad_conv2d(t, x[0], x[1], NULL, 1, 1);
    h = ml_ad_relu(t, ml_ad_batchnorm(t, h, x[2], x[3], 1e-5f));
    return gc_loss(t, ml_ad_maxpool(t, h, 2));
}

static ml_ad_node *f_lstm_cell(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    return gc_loss(t, ml_ad_lstm_cell(t, x[0], x[1]));
}

/* Two chained cells, the second fed the first's h': the path the learned
 * optimiser's network takes. */
static ml_ad_node *f_lstm_chain(ml_ad_tape *t, ml_ad_node **x, void *c)
{
    ml_ad_node *y = ml_ad_lstm_cell(t, x[0], x[1]);
    ml_ad_node *h = ml_ad_slice(t, y, 0, 0, 2), *cn = ml_ad_slice(t, y, 0, 2, 2);
    ml_ad_node *z2 = ml_ad_matmul(t, x[2], h, 0, 0);
    return gc_loss(t, ml_ad_lstm_cell(t, z2, cn));
}

/* ---- the table ---- */

#define IN1(n0) {1, {n0}, 0, 0, 0}
#define IN2(n0, n1) {2, {n0, n1}, 0, 0, 0}
#define IN3(n0, n1, n2) {3, {n0, n1, n2}, 0, 0, 0}
#define IN4(n0, n1, n2, n3) {4, {n0, n1, n2, n3}, 0, 0, 0}
/* Denominators away from 0. */
#define DEN2(n0, n1) {2, {n0, n1}, -1.5f, 1.5f, 0.5f}
#define DEN1(n0) {1, {n0}, -1.5f, 1.5f, 0.5f}
#define DEN4(n0, n1, n2, n3) {4, {n0, n1, n2, n3}, -1.5f, 1.5f, 0.5f}
#define DEN3(n0, n1, n2) {3, {n0, n1, n2}, -1.5f, 1.5f, 0.5f}
#define POS2(n0, n1) {2, {n0, n1}, 0.5f, 2.0f, 0}
#define KINK2(n0, n1) {2, {n0, n1}, -2.0f, 2.0f, 0.1f}
#define PROB2(n0, n1) {2, {n0, n1}, 0.05f, 0.95f, 0}
#define PROB1(n0) {1, {n0}, 0.05f, 0.95f, 0}
/* Convolution inputs: smaller values keep the loss, and so the rounding
 * of its finite differences, small. */
#define U4(n0, n1, n2, n3) {4, {n0, n1, n2, n3}, -1.0f, 1.0f, 0}
/* Distinct values on a shuffled grid over [-2, 2): max-pooling inputs. */
#define DIST4(n0, n1, n2, n3) {4, {n0, n1, n2, n3}, -2.0f, 2.0f, 0, 1}

/* Entry builders (designated initializers, unnamed fields zero). */
#define CASE(NAME, OP, FN, NIN, ...)                                         \
    {.name = NAME, .op = OP, .fn = FN, .nin = NIN, .in = {__VA_ARGS__}}
#define CASE_ARG(NAME, OP, FN, NIN, ARGS, ...)                               \
    {.name = NAME, .op = OP, .fn = FN, .nin = NIN, .arg = ARGS,              \
     .in = {__VA_ARGS__}}
#define CASE_SHAPE(NAME, OP, FN, TNDIM, TSHAPE, IN)                          \
    {.name = NAME, .op = OP, .fn = FN, .nin = 1, .tndim = TNDIM,             \
     .tshape = TSHAPE, .in = {IN}}
#define A(...) {__VA_ARGS__}
/* The loss is quadratic in each single input of a bilinear op, so central
 * differences are exact for any step: a large one beats the rounding.
 * Along a direction moving all inputs, the gradient is cubic: a small HVP
 * step (truncation 0.01 of the 0.02 tolerance with 1e-2, 3e-3 with 3e-3). */
#define CASE_CONV(NAME, OP, FN, NIN, ARGS, ...)                              \
    {.name = NAME, .op = OP, .fn = FN, .nin = NIN, .arg = ARGS, .eps = 0.1,  \
     .eps2 = 3e-3, .in = {__VA_ARGS__}}

/* Binary ops: same shape; row [D], column [N,1] and scalar [1] against
 * [N, D]; a 4-D and a 3-D middle broadcast. */
#define BIN_CASES(NAME, OP, fn, B2, B1, B4, B3)                              \
    CASE(NAME " same", OP, fn, 2, IN2(3, 4), B2(3, 4)),                      \
    CASE(NAME " row", OP, fn, 2, IN2(3, 4), B1(4)),                          \
    CASE(NAME " column", OP, fn, 2, IN2(3, 4), B2(3, 1)),                    \
    CASE(NAME " scalar", OP, fn, 2, IN2(3, 4), B1(1)),                       \
    CASE(NAME " 4-D", OP, fn, 2, IN4(2, 3, 2, 2), B4(1, 3, 1, 1)),           \
    CASE(NAME " 3-D middle", OP, fn, 2, IN3(2, 3, 4), B3(2, 1, 4))

const op_case oc_cases[] = {
    CASE_ARG("matmul nn", ML_AD_MATMUL, f_matmul, 2, A(0, 0), IN2(3, 4), IN2(4, 2)),
    CASE_ARG("matmul tn", ML_AD_MATMUL, f_matmul, 2, A(1, 0), IN2(4, 3), IN2(4, 2)),
    CASE_ARG("matmul nt", ML_AD_MATMUL, f_matmul, 2, A(0, 1), IN2(3, 4), IN2(2, 4)),
    CASE_ARG("matmul tt", ML_AD_MATMUL, f_matmul, 2, A(1, 1), IN2(4, 3), IN2(2, 4)),
    CASE_ARG("matmul vector", ML_AD_MATMUL, f_matmul, 2, A(0, 0), IN2(1, 5), IN2(5, 1)),
    CASE_ARG("matmul batched nn", ML_AD_MATMUL, f_matmul, 2, A(0, 0), IN3(2, 3, 4),
             IN3(2, 4, 2)),
    CASE_ARG("matmul batched tn", ML_AD_MATMUL, f_matmul, 2, A(1, 0), IN3(3, 4, 2),
             IN3(3, 4, 2)),
    CASE_ARG("matmul batched nt", ML_AD_MATMUL, f_matmul, 2, A(0, 1), IN3(2, 3, 4),
             IN3(2, 2, 4)),
    CASE_ARG("matmul batched tt", ML_AD_MATMUL, f_matmul, 2, A(1, 1), IN3(2, 4, 3),
             IN3(2, 2, 4)),
    CASE("linear", ML_AD_LINEAR, f_linear, 3, IN2(4, 3), IN2(3, 2), IN1(2)),
    CASE("linear bias [1,M]", ML_AD_LINEAR, f_linear, 3, IN2(4, 3), IN2(3, 2),
         IN2(1, 2)),
    CASE("linear bias [M,1]", ML_AD_LINEAR, f_linear, 3, IN2(2, 3), IN2(3, 2),
         IN2(2, 1)),
    CASE("linear batched", ML_AD_LINEAR, f_linear, 3, IN3(2, 4, 3), IN3(2, 3, 2),
         IN2(2, 2)),

    BIN_CASES("add", ML_AD_ADD, f_add, IN2, IN1, IN4, IN3),
    CASE("axpy", ML_AD_AXPY, f_axpy, 2, IN2(3, 4), IN2(3, 4)),
    CASE("axpy reshaped b", ML_AD_AXPY, f_axpy, 2, IN2(3, 4), IN1(12)),
    BIN_CASES("sub", ML_AD_SUB, f_sub, IN2, IN1, IN4, IN3),
    BIN_CASES("mul", ML_AD_MUL, f_mul, IN2, IN1, IN4, IN3),
    BIN_CASES("div", ML_AD_DIV, f_div, DEN2, DEN1, DEN4, DEN3),

    CASE("scale", ML_AD_SCALE, f_scale, 1, IN2(3, 4)),
    CASE("neg", ML_AD_NEG, f_neg, 1, IN2(3, 4)),
    CASE("relu", ML_AD_RELU, f_relu, 1, KINK2(3, 4)),
    CASE("tanh", ML_AD_TANH, f_tanh, 1, IN2(3, 4)),
    CASE("sigmoid", ML_AD_SIGMOID, f_sigmoid, 1, {2, {3, 4}, -4.0f, 4.0f, 0}),
    CASE("exp", ML_AD_EXP, f_exp, 1, {2, {3, 4}, -1.0f, 1.0f, 0}),
    CASE("log", ML_AD_LOG, f_log, 1, POS2(3, 4)),
    CASE("abs", ML_AD_ABS, f_abs, 1, KINK2(3, 4)),
    CASE("square", ML_AD_SQUARE, f_square, 1, IN2(3, 4)),
    CASE("sqrt", ML_AD_SQRT, f_sqrt, 1, POS2(3, 4)),
    CASE("mask", ML_AD_MASK, f_mask, 2, IN2(3, 4), KINK2(3, 4)),
    CASE("step", ML_AD_STEP, f_step, 1, KINK2(3, 4)),
    CASE("sign", ML_AD_SIGN, f_sign, 1, KINK2(3, 4)),

    CASE("sum", ML_AD_SUM_TO, f_sum, 1, IN2(3, 4)),
    CASE("mean", ML_AD_SUM_TO, f_mean, 1, IN3(2, 3, 2)),
    CASE_ARG("sum_axis 0", ML_AD_SUM_TO, f_sum_axis, 1, A(0), IN3(2, 3, 4)),
    CASE_ARG("sum_axis 1", ML_AD_SUM_TO, f_sum_axis, 1, A(1), IN3(2, 3, 4)),
    CASE_ARG("sum_axis 2", ML_AD_SUM_TO, f_sum_axis, 1, A(2), IN3(2, 3, 4)),
    CASE_ARG("sum_axis 1-D", ML_AD_SUM_TO, f_sum_axis, 1, A(0), IN1(5)),
    CASE_ARG("sum_axis 4-D", ML_AD_SUM_TO, f_sum_axis, 1, A(2), IN4(2, 2, 3, 2)),
    CASE_ARG("mean_axis 0", ML_AD_SUM_TO, f_mean_axis, 1, A(0), IN3(2, 3, 4)),
    CASE_ARG("mean_axis 1", ML_AD_SUM_TO, f_mean_axis, 1, A(1), IN3(2, 3, 4)),
    CASE_ARG("mean_axis 2", ML_AD_SUM_TO, f_mean_axis, 1, A(2), IN3(2, 3, 4)),
    CASE_SHAPE("sum_to [3,1]", ML_AD_SUM_TO, f_sum_to, 2, A(3, 1), IN3(2, 3, 4)),
    CASE_SHAPE("sum_to [4]", ML_AD_SUM_TO, f_sum_to, 1, A(4), IN3(2, 3, 4)),
    CASE_SHAPE("sum_to [2,1,4]", ML_AD_SUM_TO, f_sum_to, 3, A(2, 1, 4), IN3(2, 3, 4)),
    CASE_SHAPE("sum_to [1]", ML_AD_SUM_TO, f_sum_to, 1, A(1), IN3(2, 3, 4)),
    CASE_SHAPE("sum_to same", ML_AD_SUM_TO, f_sum_to, 2, A(3, 4), IN2(3, 4)),
    CASE_SHAPE("expand [3,1]", ML_AD_EXPAND, f_expand, 3, A(2, 3, 4), IN2(3, 1)),
    CASE_SHAPE("expand [4]", ML_AD_EXPAND, f_expand, 2, A(3, 4), IN1(4)),
    CASE_SHAPE("expand [1]", ML_AD_EXPAND, f_expand, 2, A(2, 3), IN1(1)),
    CASE_SHAPE("expand [2,1,4]", ML_AD_EXPAND, f_expand, 3, A(2, 3, 4), IN3(2, 1, 4)),
    CASE_SHAPE("expand 4-D", ML_AD_EXPAND, f_expand, 4, A(2, 3, 2, 2), IN4(1, 3, 1, 1)),

    CASE_SHAPE("reshape 2-D", ML_AD_RESHAPE, f_reshape, 2, A(2, 6), IN2(3, 4)),
    CASE_SHAPE("reshape 1-D", ML_AD_RESHAPE, f_reshape, 1, A(12), IN2(3, 4)),
    CASE_SHAPE("reshape 3-D", ML_AD_RESHAPE, f_reshape, 3, A(2, 2, 3), IN2(3, 4)),
    CASE_SHAPE("reshape 4-D", ML_AD_RESHAPE, f_reshape, 4, A(1, 2, 3, 2), IN1(12)),
    CASE_ARG("concat axis 0", ML_AD_CONCAT, f_concat, 2, A(0), IN3(2, 3, 2), IN3(1, 3, 2)),
    CASE_ARG("concat axis 1", ML_AD_CONCAT, f_concat, 2, A(1), IN3(2, 3, 2), IN3(2, 2, 2)),
    CASE_ARG("concat axis 2", ML_AD_CONCAT, f_concat, 2, A(2), IN3(2, 3, 2), IN3(2, 3, 3)),
    CASE_ARG("concat 1-D", ML_AD_CONCAT, f_concat, 2, A(0), IN1(3), IN1(4)),
    CASE_ARG("slice axis 0", ML_AD_SLICE, f_slice, 1, A(0, 1, 2), IN3(3, 3, 4)),
    CASE_ARG("slice axis 1", ML_AD_SLICE, f_slice, 1, A(1, 1, 1), IN3(2, 3, 4)),
    CASE_ARG("slice axis 2", ML_AD_SLICE, f_slice, 1, A(2, 0, 3), IN3(2, 3, 4)),
    CASE_ARG("slice 1-D", ML_AD_SLICE, f_slice, 1, A(0, 2, 3), IN1(6)),
    CASE_ARG("pad axis 0", ML_AD_PAD, f_pad, 1, A(0, 1, 4), IN3(2, 3, 2)),
    CASE_ARG("pad axis 1", ML_AD_PAD, f_pad, 1, A(1, 0, 5), IN3(2, 3, 2)),
    CASE_ARG("pad axis 2", ML_AD_PAD, f_pad, 1, A(2, 2, 4), IN3(2, 3, 2)),

    CASE("softmax 2-D", ML_AD_SOFTMAX, f_softmax, 1, IN2(3, 5)),
    CASE("softmax 1-D", ML_AD_SOFTMAX, f_softmax, 1, IN1(5)),
    CASE("softmax 3-D", ML_AD_SOFTMAX, f_softmax, 1, IN3(2, 2, 3)),
    {.name = "softmax_ce", .op = ML_AD_SOFTMAX_CE, .fn = f_softmax_ce,
     .nin = 1, .in = {IN2(4, 5)}, .labels = {0, 3, 4, 1}},
    {.name = "softmax_ce one row", .op = ML_AD_SOFTMAX_CE,
     .fn = f_softmax_ce, .nin = 1, .in = {IN2(1, 3)}, .labels = {2}},
    CASE("bce_logits", ML_AD_BCE_LOGITS, f_bce_logits, 2, IN2(3, 4), PROB2(3, 4)),
    CASE("bce_logits 1-D", ML_AD_BCE_LOGITS, f_bce_logits, 2, IN1(6), PROB1(6)),
    CASE("mse", ML_AD_MSE, f_mse, 2, IN2(3, 4), IN2(3, 4)),
    CASE("mse reshaped target", ML_AD_MSE, f_mse, 2, IN1(6), IN2(2, 3)),
    CASE("sqdist", ML_AD_SQDIST, f_sqdist, 2, IN2(3, 4), IN2(5, 4)),
    CASE("sqdist single rows", ML_AD_SQDIST, f_sqdist, 2, IN2(1, 3), IN2(2, 3)),

    /* conv2d(x, w[, b]) with A(stride, pad); every size > 1 so that a
     * swapped index shows. */
    CASE_CONV("conv2d", ML_AD_CONV2D, f_conv2d, 3, A(1, 1), U4(2, 2, 5, 5),
              U4(3, 2, 3, 3), IN1(3)),
    CASE_CONV("conv2d no bias pad 0", ML_AD_CONV2D, f_conv2d, 2, A(1, 0),
              U4(2, 2, 5, 5), U4(3, 2, 3, 3)),
    CASE_CONV("conv2d stride 2", ML_AD_CONV2D, f_conv2d, 3, A(2, 1),
              U4(2, 2, 5, 5), U4(3, 2, 3, 3), IN1(3)),
    CASE_CONV("conv2d stride 2 uneven", ML_AD_CONV2D, f_conv2d, 2, A(2, 0),
              U4(1, 2, 6, 6), U4(2, 2, 3, 3)),
    CASE_CONV("conv2d K 1", ML_AD_CONV2D, f_conv2d, 3, A(1, 0), U4(2, 3, 4, 4),
              U4(2, 3, 1, 1), IN1(2)),
    CASE_CONV("conv2d K 1 stride 2 pad 1", ML_AD_CONV2D, f_conv2d, 2, A(2, 1),
              U4(1, 2, 5, 5), U4(3, 2, 1, 1)),
    CASE_CONV("conv2d rectangular", ML_AD_CONV2D, f_conv2d, 3, A(1, 1),
              U4(2, 2, 6, 4), U4(3, 2, 3, 3), IN2(3, 1)),
    CASE_CONV("conv2d K 2 stride 3 pad 2", ML_AD_CONV2D, f_conv2d, 2, A(3, 2),
              U4(1, 2, 5, 7), U4(2, 2, 2, 2)),
    CASE_CONV("conv2d K 2 pad 0", ML_AD_CONV2D, f_conv2d, 2, A(1, 0),
              U4(2, 2, 4, 5), U4(3, 2, 2, 2)),
    CASE_CONV("conv2d K 1 pad 1", ML_AD_CONV2D, f_conv2d, 3, A(1, 1),
              U4(2, 2, 3, 4), U4(3, 2, 1, 1), IN1(3)),
    /* conv2d_dx(g, w) with A(stride, pad, H, W); conv2d_dw(x, g) with
     * A(stride, pad, K). */
    CASE_CONV("conv2d_dx", ML_AD_CONV2D_DX, f_conv2d_dx, 2, A(1, 1, 5, 5),
              U4(2, 3, 5, 5), U4(3, 2, 3, 3)),
    CASE_CONV("conv2d_dx stride 2 uneven", ML_AD_CONV2D_DX, f_conv2d_dx, 2,
              A(2, 0, 6, 5), U4(2, 3, 2, 2), U4(3, 2, 3, 3)),
    CASE_CONV("conv2d_dx pad 3", ML_AD_CONV2D_DX, f_conv2d_dx, 2, A(1, 3, 3, 4),
              U4(2, 3, 7, 8), U4(3, 2, 3, 3)),
    CASE_CONV("conv2d_dw", ML_AD_CONV2D_DW, f_conv2d_dw, 2, A(1, 1, 3),
              U4(2, 2, 5, 5), U4(2, 3, 5, 5)),
    CASE_CONV("conv2d_dw stride 2", ML_AD_CONV2D_DW, f_conv2d_dw, 2, A(2, 1, 3),
              U4(2, 2, 6, 5), U4(2, 3, 3, 3)),
    /* The three on the smallest shapes that take Winograd's F(2x2, 3x3)
     * (8 channels, outputs 11 wide: conv_winograd.c), with partial last
     * tiles in both directions; larger ones make the float finite
     * differences too coarse (the loss grows with the output). */
    CASE_CONV("conv2d Winograd", ML_AD_CONV2D, f_conv2d, 3, A(1, 1),
              U4(1, 8, 3, 11), U4(8, 8, 3, 3), IN1(8)),
    CASE_CONV("conv2d_dx Winograd", ML_AD_CONV2D_DX, f_conv2d_dx, 2,
              A(1, 1, 3, 11), U4(1, 8, 3, 11), U4(8, 8, 3, 3)),
    CASE_CONV("conv2d_dw Winograd", ML_AD_CONV2D_DW, f_conv2d_dw, 2,
              A(1, 1, 3), U4(1, 8, 3, 11), U4(1, 8, 3, 11)),
    /* Pooling with A(size) on inputs without near ties. */
    CASE_ARG("maxpool 2x2", ML_AD_POOL_GATHER, f_maxpool, 1, A(2),
             DIST4(2, 2, 4, 4)),
    CASE_ARG("maxpool 5x5 by 2", ML_AD_POOL_GATHER, f_maxpool, 1, A(2),
             DIST4(1, 2, 5, 5)),
    CASE_ARG("maxpool 3x3", ML_AD_POOL_GATHER, f_maxpool, 1, A(3),
             DIST4(1, 2, 6, 7)),
    CASE_ARG("pool_gather", ML_AD_POOL_GATHER, f_pool_gather, 2, A(2),
             IN4(2, 2, 4, 4), DIST4(2, 2, 4, 4)),
    CASE_ARG("pool_scatter", ML_AD_POOL_SCATTER, f_pool_scatter, 2, A(2),
             IN4(2, 2, 2, 2), DIST4(2, 2, 4, 4)),
    CASE_ARG("pool_scatter 5x5 by 2", ML_AD_POOL_SCATTER, f_pool_scatter, 2,
             A(2), IN4(1, 2, 2, 2), DIST4(1, 2, 5, 5)),
    CASE_ARG("maxpool composed", ML_AD_POOL_GATHER, f_pool_composed, 2, A(2),
             DIST4(2, 2, 4, 4), IN4(2, 2, 2, 2)),
    /* LSTM cell gates: H = 2, cells in columns (z [8, N], c [2, N]). */
    CASE("lstm_cell", ML_AD_LSTM_CELL, f_lstm_cell, 2, IN2(8, 3), IN2(2, 3)),
    CASE("lstm_cell chained", ML_AD_LSTM_CELL, f_lstm_chain, 3, IN2(8, 2), IN2(2, 2),
         IN2(8, 2)),
    /* Batch normalisation, one fused op (plain or with relu); 20 values per
     * channel so the 16-lane sums and their tails both run. */
    CASE("batchnorm 4-D", ML_AD_BATCHNORM, f_batchnorm, 3, IN4(2, 3, 2, 2), IN1(3),
         IN1(3)),
    CASE("batchnorm 4-D long runs", ML_AD_BATCHNORM, f_batchnorm, 3,
         IN4(2, 2, 4, 5), IN1(2), IN1(2)),
    CASE("batchnorm 2-D", ML_AD_BATCHNORM, f_batchnorm, 3, IN2(5, 3), IN1(3),
         IN1(3)),
    /* relu's kink moves with every input: steps of 2e-3 stay off it. */
    {.name = "batchnorm_relu 4-D", .op = ML_AD_BATCHNORM, .fn = f_batchnorm_relu,
     .nin = 3, .in = {IN4(2, 2, 4, 5), IN1(2), IN1(2)}, .eps = 2e-3, .eps2 = 2e-3},
    CASE("batchnorm_relu 2-D", ML_AD_BATCHNORM, f_batchnorm_relu, 3, IN2(5, 3),
         IN1(3), IN1(3)),
    /* With the 2x2 pooling; an odd size drops a row and a column.  x on an
     * even grid: no near ties in a window. */
    {.name = "batchnorm_relu_pool", .op = ML_AD_BATCHNORM, .fn = f_batchnorm_relu_pool,
     .nin = 3, .in = {DIST4(2, 2, 4, 4), IN1(2), IN1(2)}, .eps = 2e-3, .eps2 = 2e-3},
    {.name = "batchnorm_relu_pool 5x5", .op = ML_AD_BATCHNORM, .fn = f_batchnorm_relu_pool,
     .nin = 3, .in = {DIST4(2, 2, 5, 5), IN1(2), IN1(2)}, .eps = 2e-3, .eps2 = 2e-3},
    CASE("batchnorm chained", ML_AD_BATCHNORM, f_batchnorm_chain, 3,
         IN4(2, 2, 3, 3), IN1(2), IN1(2)),
    CASE("conv block", ML_AD_LEAF, f_conv_block, 4, IN4(2, 2, 4, 4),
         IN4(3, 2, 3, 3), IN1(3), IN1(3)),

    /* Larger curvature: a smaller HVP step keeps the truncation error down
     * (0.012 of the 0.02 tolerance with 1e-2, 1e-4 with 3e-3). */
    {.name = "mlp", .op = ML_AD_LEAF, .fn = f_mlp, .nin = 4,
     .in = {IN2(5, 3), IN2(3, 4), IN1(4), IN2(4, 2)}, .eps2 = 3e-3},
};

const int oc_ncases = (int)(sizeof oc_cases / sizeof oc_cases[0]);

void oc_setup(const op_case *c, gc_input *in)
{
    ml_rng r;
    /* A seed per case, fixed. */
    uint64_t seed = 1469598103934665603ULL;
    for (const char *p = c->name; *p; p++)
        seed = (seed ^ (unsigned char)*p) * 1099511628211ULL;
    ml_rng_seed(&r, seed);
    for (int k = 0; k < c->nin; k++) {
        const oc_in *d = &c->in[k];
        in[k].ndim = d->ndim;
        memcpy(in[k].shape, d->shape, sizeof in[k].shape);
        size_t n = gc_size(&in[k]);
        in[k].data = malloc(n * sizeof(float));
        float lo = d->lo, hi = d->hi;
        if (lo == 0.0f && hi == 0.0f) {
            lo = -2.0f;
            hi = 2.0f;
        }
        if (in[k].data && d->distinct) {
            /* lo + (i + 1/2) (hi - lo) / n, shuffled */
            for (size_t i = 0; i < n; i++)
                in[k].data[i] = lo + ((float)i + 0.5f) * (hi - lo) / (float)n;
            for (size_t i = n; i > 1; i--) {
                size_t j = ml_rng_below(&r, (uint32_t)i);
                float tmp = in[k].data[i - 1];
                in[k].data[i - 1] = in[k].data[j];
                in[k].data[j] = tmp;
            }
        } else if (in[k].data) {
            gc_fill(&r, in[k].data, n, lo, hi, d->margin);
        }
    }
}

void oc_free(const op_case *c, gc_input *in)
{
    for (int k = 0; k < c->nin; k++) {
        free(in[k].data);
        in[k].data = NULL;
    }
}
