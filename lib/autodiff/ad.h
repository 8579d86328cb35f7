/* The autodiff engine: a define-by-run tape of float32 tensors (up to 4-D)
 * with reverse-mode gradients of any order.
 *
 * Ops append nodes to the tape as they run, so the tape is in topological
 * order.  A node that depends on a leaf created with requires_grad is
 * recorded (it remembers its inputs); any other node is a constant.
 * ml_ad_grad() walks the tape backwards and builds each gradient out of the
 * same ops: with create_graph the backward pass is itself recorded and can
 * be differentiated again (exact second-order MAML); without it, recording
 * is switched off and the same kernels compute plain values.
 *
 * Errors are sticky: an op that fails (shape mismatch, out of memory) sets
 * the tape's status and returns NULL, every op given a NULL input returns
 * NULL, so a computation is written straight through and checked once with
 * ml_ad_tape_status().
 *
 * Memory: nodes and values live in the tape's arena, released together by
 * ml_ad_tape_reset().  Leaves may borrow caller memory (parameters), which
 * must stay alive and unchanged until the reset. */
#ifndef ML_AUTODIFF_AD_H
#define ML_AUTODIFF_AD_H

#include "core/arena.h"
#include "core/error.h"

#include <stddef.h>
#include <stdint.h>

#define ML_AD_MAXDIM 4
#define ML_AD_MAXIN 3

typedef enum ml_ad_op {
    ML_AD_LEAF,
    ML_AD_MATMUL,     /* 2-D, or batched 3-D */
    ML_AD_ADD,
    ML_AD_SUB,
    ML_AD_MUL,
    ML_AD_DIV,
    ML_AD_SCALE,
    ML_AD_NEG,
    ML_AD_RELU,
    ML_AD_TANH,
    ML_AD_SIGMOID,
    ML_AD_EXP,
    ML_AD_LOG,
    ML_AD_ABS,
    ML_AD_SQUARE,
    ML_AD_SQRT,
    ML_AD_STEP,       /* x > 0 ? 1 : 0; constant (zero gradient) */
    ML_AD_SIGN,       /* sign(x); constant (zero gradient) */
    ML_AD_SUM_TO,     /* reduce by summing to a broadcast-compatible shape */
    ML_AD_EXPAND,     /* broadcast to a larger shape */
    ML_AD_RESHAPE,
    ML_AD_CONCAT,
    ML_AD_SLICE,
    ML_AD_PAD,        /* place into zeros along an axis (slice's adjoint) */
    ML_AD_SOFTMAX,
    ML_AD_SOFTMAX_CE,
    ML_AD_BCE_LOGITS,
    ML_AD_MSE,
    ML_AD_SQDIST,
    ML_AD_LINEAR,     /* x W + b in one GEMM */
    ML_AD_MASK,       /* g where a > 0, else 0: relu's backward */
    ML_AD_AXPY,       /* a + s b */
    ML_AD_CONV2D,     /* 2-D convolution (cross-correlation), NCHW */
    ML_AD_CONV2D_DX,  /* its adjoint in the input */
    ML_AD_CONV2D_DW,  /* its adjoint in the filters */
    ML_AD_POOL_GATHER, /* h at the argmax of each window of x */
    ML_AD_POOL_SCATTER, /* g placed at the argmax of each window of x */
    ML_AD_LSTM_CELL,  /* an LSTM cell's gates: (z, c) -> (h', c'), columns are cells */
    ML_AD_BATCHNORM,  /* batch normalisation (batch statistics), optionally + relu (+ 2x2 max-pool) */
    ML_AD_OP_COUNT
} ml_ad_op;

/* Name of an op ("matmul", ...); a table checked against the enum length
 * at compile time. */
const char *ml_ad_op_name(int op);

typedef struct ml_ad_node ml_ad_node;
struct ml_ad_node {
    float *val;                /* value, `size` floats, contiguous row-major */
    size_t size;
    int ndim;                  /* 1..ML_AD_MAXDIM */
    int shape[ML_AD_MAXDIM];
    int id;                    /* position on the tape; -1 for a constant */
    uint8_t op;                /* ml_ad_op */
    uint8_t nin;               /* inputs used (recorded nodes only) */
    ml_ad_node *in[ML_AD_MAXIN];
    union {                    /* per-op attributes */
        float f;               /* SCALE, AXPY: the factor */
        int i[4];              /* MATMUL: ta, tb; SLICE/PAD/CONCAT: axis, start, len */
    } attr;
    const int *labels;         /* SOFTMAX_CE: class labels (in the arena) */
    float *aux;                /* BATCHNORM: per-channel mean, 1/sd, then eps
                                  (in the arena), kept for the backward;
                                  attr.i: relu, pool size (0: none) */
};

typedef struct ml_ad_tape {
    ml_arena arena;
    ml_ad_node **nodes;        /* recorded nodes by id (heap, kept across resets) */
    int n, cap;
    int recording;             /* record new nodes that depend on a gradient leaf */
    ml_status status;          /* first error since the last reset */
    char msg[ML_ERRMSG_MAX];
} ml_ad_tape;

void ml_ad_tape_init(ml_ad_tape *t);
/* Drop every node and value; keeps the memory for the next computation. */
void ml_ad_tape_reset(ml_ad_tape *t);
void ml_ad_tape_release(ml_ad_tape *t);
ml_status ml_ad_tape_status(const ml_ad_tape *t);
/* Records an error on the tape (first one wins) and returns NULL. */
ml_ad_node *ml_ad_fail(ml_ad_tape *t, ml_status st, const char *fmt, ...)
    ML_PRINTF(3, 4);

/* ---- leaves and constants ---- */

/* A leaf over caller memory `data` (borrowed until the next reset).  With
 * requires_grad it is recorded and gradients can be taken with respect to
 * it. */
ml_ad_node *ml_ad_leaf(ml_ad_tape *t, int ndim, const int *shape, float *data,
                       int requires_grad);
/* A new constant tensor in the arena, zero-filled. */
ml_ad_node *ml_ad_zeros(ml_ad_tape *t, int ndim, const int *shape);
/* A constant tensor in the arena filled with v. */
ml_ad_node *ml_ad_fill(ml_ad_tape *t, int ndim, const int *shape, float v);
/* A constant copy of n floats with the given shape. */
ml_ad_node *ml_ad_const(ml_ad_tape *t, int ndim, const int *shape,
                        const float *data);
int ml_ad_requires_grad(const ml_ad_node *x);

/* ---- linear algebra ---- */

/* op(a) op(b) for 2-D a, b; ta/tb transpose the operand.  For 3-D a
 * [B, ., .] and b [B, ., .], the B products op(a[i]) op(b[i]) as [B, m, n]
 * (a batch of small products in one node). */
ml_ad_node *ml_ad_matmul(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b, int ta,
                         int tb);

/* x [N, K] W [K, M] + b [M]: a dense layer in one op.  Batched: x [B, N, K],
 * W [B, K, M], b [B, M] (B layers, one per index of the leading dim). */
ml_ad_node *ml_ad_linear(ml_ad_tape *t, ml_ad_node *x, ml_ad_node *w,
                         ml_ad_node *b);

/* ---- convolution and pooling (NCHW) ----
 * conv2d: x [N, C, H, W], w [F, C, K, K], optional b [F] (NULL for none),
 * stride >= 1, zero padding pad >= 0: y [N, F, Ho, Wo] with
 * Ho = (H + 2 pad - K) / stride + 1 (the same for W).  Cross-correlation,
 * as in every deep-learning library.  Computed by im2col and ml_sgemm.
 * The three conv ops are closed under differentiation:
 *   y = conv2d(x, w):     dx = conv2d_dx(G, w),  dw = conv2d_dw(x, G)
 *   z = conv2d_dx(g, w):  dg = conv2d(H, w),     dw = conv2d_dw(H, g)
 *   z = conv2d_dw(x, g):  dx = conv2d_dx(g, H),  dg = conv2d(x, H)
 * so gradients of any order exist. */
ml_ad_node *ml_ad_conv2d(ml_ad_tape *t, ml_ad_node *x, ml_ad_node *w,
                         ml_ad_node *b, int stride, int pad);
/* The adjoint of conv2d in x: g [N, F, Ho, Wo], w [F, C, K, K] -> [N, C, H, W]
 * for the input height h and width wd given. */
ml_ad_node *ml_ad_conv2d_dx(ml_ad_tape *t, ml_ad_node *g, ml_ad_node *w, int h,
                            int wd, int stride, int pad);
/* The adjoint of conv2d in w: x [N, C, H, W], g [N, F, Ho, Wo] -> [F, C, K, K]
 * for the kernel size k given. */
ml_ad_node *ml_ad_conv2d_dw(ml_ad_tape *t, ml_ad_node *x, ml_ad_node *g, int k,
                            int stride, int pad);
/* Max-pooling with size x size windows and the same stride (floor: a
 * trailing row or column that does not fill a window is dropped):
 * [N, C, H, W] -> [N, C, H / size, W / size].  Ties go to the first
 * maximum in row-major order.  maxpool(x) is pool_gather(x, x); the argmax
 * pattern is piecewise constant, so
 *   y = pool_gather(h, x):  dh = pool_scatter(G, x)
 *   z = pool_scatter(g, x): dg = pool_gather(H, x)
 * and nothing flows to x through the pattern. */
ml_ad_node *ml_ad_maxpool(ml_ad_tape *t, ml_ad_node *x, int size);
ml_ad_node *ml_ad_pool_gather(ml_ad_tape *t, ml_ad_node *h, ml_ad_node *x,
                              int size);
ml_ad_node *ml_ad_pool_scatter(ml_ad_tape *t, ml_ad_node *g, ml_ad_node *x,
                               int size);
/* Batch normalisation with the statistics of the current batch (as MAML
 * uses it at training and test time), per channel of [N, C, H, W] (or per
 * column of [N, C]): (x - mean) / sqrt(var + eps) * gamma + beta, with the
 * biased variance; gamma, beta [C].  One fused op with a fused first-order
 * backward; under create_graph its backward is built from the ops above,
 * so it is differentiable to any order (ops_norm.c). */
ml_ad_node *ml_ad_batchnorm(ml_ad_tape *t, ml_ad_node *x, ml_ad_node *gamma,
                            ml_ad_node *beta, float eps);
/* relu(batchnorm(x, gamma, beta, eps)) as one op: the Conv-4 block's pair,
 * one pass fewer over the activations each way. */
ml_ad_node *ml_ad_batchnorm_relu(ml_ad_tape *t, ml_ad_node *x,
                                 ml_ad_node *gamma, ml_ad_node *beta,
                                 float eps);
/* maxpool(relu(batchnorm(x, gamma, beta, eps)), 2) for x [N, C, H, W]
 * (H, W >= 2) as one op, the whole tail of a Conv-4 block: the full-size
 * activations are never written, forward or backward.  The same values
 * and argmax choices as the three ops one after the other. */
ml_ad_node *ml_ad_batchnorm_relu_pool(ml_ad_tape *t, ml_ad_node *x,
                                      ml_ad_node *gamma, ml_ad_node *beta,
                                      float eps);

/* An LSTM cell's gate arithmetic, one cell per column: z [4H, N] (input,
 * forget, cell, output gate pre-activations, gate-major), c [H, N] ->
 * [2H, N] holding h' = o tanh(c') then c' = f c + i g, with
 * (i, f, g, o) = (sig, sig, tanh, sig)(z).  One fused op; differentiable to
 * any order (ops_lstm.c). */
ml_ad_node *ml_ad_lstm_cell(ml_ad_tape *t, ml_ad_node *z, ml_ad_node *c);

/* ---- elementwise binary, b broadcast into a ----
 * b's shape, aligned to the right of a's, has in each dim a's size or 1
 * (a row vector bias [D] against [N, D], a column [N, 1], a scalar [1]).
 * The result has a's shape. */
ml_ad_node *ml_ad_add(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b);
ml_ad_node *ml_ad_sub(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b);
ml_ad_node *ml_ad_mul(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b);
ml_ad_node *ml_ad_div(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b);

/* ---- elementwise unary ---- */
ml_ad_node *ml_ad_scale(ml_ad_tape *t, ml_ad_node *a, float s);
ml_ad_node *ml_ad_neg(ml_ad_tape *t, ml_ad_node *a);
ml_ad_node *ml_ad_relu(ml_ad_tape *t, ml_ad_node *a);
ml_ad_node *ml_ad_tanh(ml_ad_tape *t, ml_ad_node *a);
ml_ad_node *ml_ad_sigmoid(ml_ad_tape *t, ml_ad_node *a);
ml_ad_node *ml_ad_exp(ml_ad_tape *t, ml_ad_node *a);
ml_ad_node *ml_ad_log(ml_ad_tape *t, ml_ad_node *a);
ml_ad_node *ml_ad_abs(ml_ad_tape *t, ml_ad_node *a);
ml_ad_node *ml_ad_square(ml_ad_tape *t, ml_ad_node *a);
ml_ad_node *ml_ad_sqrt(ml_ad_tape *t, ml_ad_node *a);
ml_ad_node *ml_ad_step(ml_ad_tape *t, ml_ad_node *a);
/* g where a > 0, else 0 (same shapes): relu's backward as one op.  Its
 * gradient flows to g only (the mask is piecewise constant in a). */
ml_ad_node *ml_ad_mask(ml_ad_tape *t, ml_ad_node *g, ml_ad_node *a);
/* a + s b (same shapes): a gradient step as one op. */
ml_ad_node *ml_ad_axpy(ml_ad_tape *t, ml_ad_node *a, float s, ml_ad_node *b);
ml_ad_node *ml_ad_sign(ml_ad_tape *t, ml_ad_node *a);

/* ---- reductions and broadcasts ---- */
/* Sum of all elements, shape [1]. */
ml_ad_node *ml_ad_sum(ml_ad_tape *t, ml_ad_node *a);
ml_ad_node *ml_ad_mean(ml_ad_tape *t, ml_ad_node *a);
/* Sum / mean along one axis; the axis is removed (a 1-D input gives [1]). */
ml_ad_node *ml_ad_sum_axis(ml_ad_tape *t, ml_ad_node *a, int axis);
ml_ad_node *ml_ad_mean_axis(ml_ad_tape *t, ml_ad_node *a, int axis);
/* Sum a down to `shape`, which must broadcast into a's shape. */
ml_ad_node *ml_ad_sum_to(ml_ad_tape *t, ml_ad_node *a, int ndim,
                         const int *shape);
/* Broadcast a up to `shape` (a's shape must broadcast into it). */
ml_ad_node *ml_ad_expand(ml_ad_tape *t, ml_ad_node *a, int ndim,
                         const int *shape);

/* ---- shape ---- */
/* Same values, new shape with the same number of elements (no copy). */
ml_ad_node *ml_ad_reshape(ml_ad_tape *t, ml_ad_node *a, int ndim,
                          const int *shape);
/* a and b joined along `axis`; all other dims must agree. */
ml_ad_node *ml_ad_concat(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b,
                         int axis);
/* Elements start..start+len-1 along `axis`. */
ml_ad_node *ml_ad_slice(ml_ad_tape *t, ml_ad_node *a, int axis, int start,
                        int len);
/* a placed at offset `start` along `axis` of a zero tensor whose size along
 * that axis is `total` (the adjoint of slice). */
ml_ad_node *ml_ad_pad(ml_ad_tape *t, ml_ad_node *a, int axis, int start,
                      int total);

/* ---- losses and distances ---- */
/* Softmax along the last axis, max-shifted. */
ml_ad_node *ml_ad_softmax(ml_ad_tape *t, ml_ad_node *a);
/* Mean over rows of -log softmax(logits)[label]; logits [N, C], labels
 * (copied) in 0..C-1. */
ml_ad_node *ml_ad_softmax_ce(ml_ad_tape *t, ml_ad_node *logits,
                             const int *labels);
/* Mean of max(z,0) - z*y + log(1 + exp(-|z|)): binary cross-entropy with
 * logits z against targets y (same shape; differentiable in both). */
ml_ad_node *ml_ad_bce_logits(ml_ad_tape *t, ml_ad_node *z, ml_ad_node *y);
/* Mean of (p - y)^2 over all elements (any shapes of the same size). */
ml_ad_node *ml_ad_mse(ml_ad_tape *t, ml_ad_node *p, ml_ad_node *y);
/* D[i, j] = ||a_i - b_j||^2 for rows of a [N, D] and b [M, D]: [N, M]. */
ml_ad_node *ml_ad_sqdist(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b);

/* ---- gradients ----
 * Gradients of sum_k <seeds[k], outs[k]> with respect to ins[0..nin-1],
 * written to grads[0..nin-1] (a zero tensor for an input the outputs do
 * not depend on).  seeds may be NULL, or hold NULL entries, for scalar
 * outputs (seed 1).  With create_graph the gradients are recorded nodes
 * that can be differentiated again; otherwise they are constants.
 * Returns the tape status; on error every grads[k] is NULL. */
ml_status ml_ad_grad(ml_ad_tape *t, int nout, ml_ad_node *const *outs,
                     ml_ad_node *const *seeds, int nin,
                     ml_ad_node *const *ins, ml_ad_node **grads,
                     int create_graph);

/* ---- for op implementations ---- */
/* A new node with the given shape and op, its value allocated (not
 * initialised); recorded with inputs a, b when recording is on and one of
 * them requires grad. */
ml_ad_node *ml_ad_node_new(ml_ad_tape *t, int op, int ndim, const int *shape,
                           ml_ad_node *a, ml_ad_node *b);
/* The same with a third input. */
ml_ad_node *ml_ad_node_new3(ml_ad_tape *t, int op, int ndim, const int *shape,
                            ml_ad_node *a, ml_ad_node *b, ml_ad_node *c);
int ml_ad_same_shape(const ml_ad_node *a, const ml_ad_node *b);

/* A backward rule: given the node y and the gradient gy of the output with
 * respect to y, writes the gradient contributions for y's inputs into
 * gin[0..nin-1] (NULL for an input whose need[i] is 0). */
typedef void (*ml_ad_backward_fn)(ml_ad_tape *t, ml_ad_node *y,
                                  ml_ad_node *gy, const int *need,
                                  ml_ad_node **gin);

#endif
