#include "ops_internal.h"

#include "core/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const op_names[] = {
    "leaf", "matmul", "add", "sub", "mul", "div", "scale", "neg", "relu",
    "tanh", "sigmoid", "exp", "log", "abs", "square", "sqrt", "step", "sign",
    "sum_to", "expand", "reshape", "concat", "slice", "pad", "softmax",
    "softmax_ce", "bce_logits", "mse", "sqdist", "linear", "mask", "axpy",
    "conv2d", "conv2d_dx", "conv2d_dw", "pool_gather", "pool_scatter",
    "lstm_cell", "batchnorm",
};
_Static_assert(sizeof op_names / sizeof op_names[0] == ML_AD_OP_COUNT,
               "every op needs a name");

/* Backward rule of each op; NULL for leaves and constant-valued ops. */
static const ml_ad_backward_fn backward_of[] = {
    [ML_AD_LEAF] = NULL,
    [ML_AD_MATMUL] = ml_ad_matmul_backward,
    [ML_AD_ADD] = ml_ad_binary_backward,
    [ML_AD_SUB] = ml_ad_binary_backward,
    [ML_AD_MUL] = ml_ad_binary_backward,
    [ML_AD_DIV] = ml_ad_binary_backward,
    [ML_AD_SCALE] = ml_ad_unary_backward,
    [ML_AD_NEG] = ml_ad_unary_backward,
    [ML_AD_RELU] = ml_ad_unary_backward,
    [ML_AD_TANH] = ml_ad_unary_backward,
    [ML_AD_SIGMOID] = ml_ad_unary_backward,
    [ML_AD_EXP] = ml_ad_unary_backward,
    [ML_AD_LOG] = ml_ad_unary_backward,
    [ML_AD_ABS] = ml_ad_unary_backward,
    [ML_AD_SQUARE] = ml_ad_unary_backward,
    [ML_AD_SQRT] = ml_ad_unary_backward,
    [ML_AD_STEP] = NULL,
    [ML_AD_SIGN] = NULL,
    [ML_AD_SUM_TO] = ml_ad_reduce_backward,
    [ML_AD_EXPAND] = ml_ad_reduce_backward,
    [ML_AD_RESHAPE] = ml_ad_shape_backward,
    [ML_AD_CONCAT] = ml_ad_shape_backward,
    [ML_AD_SLICE] = ml_ad_shape_backward,
    [ML_AD_PAD] = ml_ad_shape_backward,
    [ML_AD_SOFTMAX] = ml_ad_loss_backward,
    [ML_AD_SOFTMAX_CE] = ml_ad_loss_backward,
    [ML_AD_BCE_LOGITS] = ml_ad_loss_backward,
    [ML_AD_MSE] = ml_ad_loss_backward,
    [ML_AD_SQDIST] = ml_ad_distance_backward,
    [ML_AD_LINEAR] = ml_ad_matmul_backward,
    [ML_AD_MASK] = ml_ad_unary_backward,
    [ML_AD_AXPY] = ml_ad_binary_backward,
    [ML_AD_CONV2D] = ml_ad_conv_backward,
    [ML_AD_CONV2D_DX] = ml_ad_conv_backward,
    [ML_AD_CONV2D_DW] = ml_ad_conv_backward,
    [ML_AD_POOL_GATHER] = ml_ad_pool_backward,
    [ML_AD_POOL_SCATTER] = ml_ad_pool_backward,
    [ML_AD_LSTM_CELL] = ml_ad_lstm_backward,
    [ML_AD_BATCHNORM] = ml_ad_norm_backward,
};
_Static_assert(sizeof backward_of / sizeof backward_of[0] == ML_AD_OP_COUNT,
               "every op needs a backward entry");

const char *ml_ad_op_name(int op)
{
    if (op < 0 || op >= ML_AD_OP_COUNT)
        return "unknown";
    return op_names[op];
}

void ml_ad_tape_init(ml_ad_tape *t)
{
    memset(t, 0, sizeof *t);
    ml_arena_init(&t->arena);
    t->recording = 1;
}

void ml_ad_tape_reset(ml_ad_tape *t)
{
    ml_arena_reset(&t->arena);
    t->n = 0;
    t->recording = 1;
    t->status = ML_OK;
    t->msg[0] = '\0';
}

void ml_ad_tape_release(ml_ad_tape *t)
{
    ml_arena_release(&t->arena);
    ml_free(t->nodes);
    t->nodes = NULL;
    t->n = t->cap = 0;
}

ml_status ml_ad_tape_status(const ml_ad_tape *t)
{
    return t->status;
}

ml_ad_node *ml_ad_fail(ml_ad_tape *t, ml_status st, const char *fmt, ...)
{
    if (t->status == ML_OK) {
        t->status = st;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t->msg, sizeof t->msg, fmt, ap);
        va_end(ap);
    }
    return NULL;
}

const char *ml_ad_shape_str(const ml_ad_node *x, char *buf, size_t n)
{
    size_t off = 0;
    off += (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < x->ndim && off < n; i++)
        off += (size_t)snprintf(buf + off, n - off, i ? ", %d" : "%d",
                                x->shape[i]);
    if (off < n)
        snprintf(buf + off, n - off, "]");
    return buf;
}

int ml_ad_same_shape(const ml_ad_node *a, const ml_ad_node *b)
{
    if (a->ndim != b->ndim)
        return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i])
            return 0;
    return 1;
}

int ml_ad_requires_grad(const ml_ad_node *x)
{
    return x && x->id >= 0;
}

static int record(ml_ad_tape *t, ml_ad_node *x)
{
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 1024;
        ml_ad_node **nodes = ml_realloc(t->nodes, (size_t)cap * sizeof *nodes);
        if (!nodes)
            return 0;
        t->nodes = nodes;
        t->cap = cap;
    }
    x->id = t->n;
    t->nodes[t->n++] = x;
    return 1;
}

/* Shared by leaves and ops: header and value from the arena. */
static ml_ad_node *node_alloc(ml_ad_tape *t, int op, int ndim,
                              const int *shape, int with_value)
{
    if (t->status != ML_OK)
        return NULL;
    if (ndim < 1 || ndim > ML_AD_MAXDIM)
        return ml_ad_fail(t, ML_ERR_SHAPE, "%s: %d dimensions (1 to %d allowed)",
                          ml_ad_op_name(op), ndim, ML_AD_MAXDIM);
    /* The element count stays below 2^40.  Factors both below 2^20 cannot
     * pass it, so the division that guards the product only runs for
     * large tensors, off the hot path of small ones. */
    const size_t limit = (size_t)1 << 40, small = (size_t)1 << 20;
    size_t size = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 1)
            return ml_ad_fail(t, ML_ERR_SHAPE, "%s: dimension %d is %d",
                              ml_ad_op_name(op), i, shape[i]);
        size_t d = (size_t)shape[i];
        if ((size >= small || d >= small) && (d > limit || size > limit / d))
            return ml_ad_fail(t, ML_ERR_SHAPE, "%s: tensor too large",
                              ml_ad_op_name(op));
        size *= d;
    }
    /* Header and value in one arena block: one call, adjacent memory. */
    const size_t head = (sizeof(ml_ad_node) + ML_ARENA_ALIGN - 1) &
                        ~(size_t)(ML_ARENA_ALIGN - 1);
    unsigned char *mem = ml_arena_alloc(&t->arena, head + (with_value ? size * sizeof(float) : 0));
    if (!mem)
        return ml_ad_fail(t, ML_ERR_NOMEM, "out of memory for a %s node",
                          ml_ad_op_name(op));
    ml_ad_node *x = (ml_ad_node *)mem;
    x->val = with_value ? (float *)(mem + head) : NULL;
    x->size = size;
    x->ndim = ndim;
    for (int i = 0; i < ML_AD_MAXDIM; i++)
        x->shape[i] = i < ndim ? shape[i] : 0;
    x->id = -1;
    x->op = (uint8_t)op;
    x->nin = 0;
    x->in[0] = x->in[1] = x->in[2] = NULL;
    x->attr.i[0] = x->attr.i[1] = x->attr.i[2] = x->attr.i[3] = 0;
    x->labels = NULL;
    x->aux = NULL;
    return x;
}

ml_ad_node *ml_ad_node_new3(ml_ad_tape *t, int op, int ndim, const int *shape,
                            ml_ad_node *a, ml_ad_node *b, ml_ad_node *c)
{
    ml_ad_node *x = node_alloc(t, op, ndim, shape, op != ML_AD_RESHAPE);
    if (!x)
        return NULL;
    if (t->recording && (ml_ad_requires_grad(a) || ml_ad_requires_grad(b) ||
                         ml_ad_requires_grad(c))) {
        x->in[0] = a;
        x->in[1] = b;
        x->in[2] = c;
        x->nin = (uint8_t)(c ? 3 : b ? 2 : 1);
        if (!record(t, x))
            return ml_ad_fail(t, ML_ERR_NOMEM, "out of memory for the tape");
    }
    return x;
}

ml_ad_node *ml_ad_node_new(ml_ad_tape *t, int op, int ndim, const int *shape,
                           ml_ad_node *a, ml_ad_node *b)
{
    return ml_ad_node_new3(t, op, ndim, shape, a, b, NULL);
}

ml_ad_node *ml_ad_leaf(ml_ad_tape *t, int ndim, const int *shape, float *data,
                       int requires_grad)
{
    if (t->status == ML_OK && !data)
        return ml_ad_fail(t, ML_ERR_INVALID_ARG, "leaf: NULL data");
    ml_ad_node *x = node_alloc(t, ML_AD_LEAF, ndim, shape, 0);
    if (!x)
        return NULL;
    x->val = data;
    if (requires_grad && !record(t, x))
        return ml_ad_fail(t, ML_ERR_NOMEM, "out of memory for the tape");
    return x;
}

ml_ad_node *ml_ad_fill(ml_ad_tape *t, int ndim, const int *shape, float v)
{
    ml_ad_node *x = node_alloc(t, ML_AD_LEAF, ndim, shape, 1);
    if (!x)
        return NULL;
    for (size_t i = 0; i < x->size; i++)
        x->val[i] = v;
    return x;
}

ml_ad_node *ml_ad_zeros(ml_ad_tape *t, int ndim, const int *shape)
{
    return ml_ad_fill(t, ndim, shape, 0.0f);
}

ml_ad_node *ml_ad_const(ml_ad_tape *t, int ndim, const int *shape,
                        const float *data)
{
    ml_ad_node *x = node_alloc(t, ML_AD_LEAF, ndim, shape, 1);
    if (!x)
        return NULL;
    memcpy(x->val, data, x->size * sizeof(float));
    return x;
}

/* Adds contribution c into the gradient slot of node x. */
static void accumulate(ml_ad_tape *t, ml_ad_node **slot, ml_ad_node *c)
{
    if (!c)
        return;
    *slot = *slot ? ml_ad_add(t, *slot, c) : c;
}

ml_status ml_ad_grad(ml_ad_tape *t, int nout, ml_ad_node *const *outs,
                     ml_ad_node *const *seeds, int nin,
                     ml_ad_node *const *ins, ml_ad_node **grads,
                     int create_graph)
{
    for (int k = 0; k < nin; k++)
        grads[k] = NULL;
    if (t->status != ML_OK)
        return t->status;
    int hi = -1, lo = t->n;
    for (int k = 0; k < nout; k++) {
        if (!outs[k]) {
            ml_ad_fail(t, ML_ERR_INVALID_ARG, "grad: output %d is NULL", k);
            return t->status;
        }
        if (outs[k]->id > hi)
            hi = outs[k]->id;
        ml_ad_node *s = seeds ? seeds[k] : NULL;
        if (s && !ml_ad_same_shape(s, outs[k])) {
            ml_ad_fail(t, ML_ERR_SHAPE, "grad: seed %d has the wrong shape", k);
            return t->status;
        }
        if (!s && outs[k]->size != 1) {
            ml_ad_fail(t, ML_ERR_SHAPE,
                       "grad: output %d is not a scalar and has no seed", k);
            return t->status;
        }
    }
    for (int k = 0; k < nin; k++) {
        if (!ins[k]) {
            ml_ad_fail(t, ML_ERR_INVALID_ARG, "grad: input %d is NULL", k);
            return t->status;
        }
        if (ins[k]->id >= 0 && ins[k]->id < lo)
            lo = ins[k]->id;
    }
    int span = hi - lo + 1;
    ml_ad_node **g = NULL;
    uint8_t *needs = NULL;
    if (span > 0) {
        g = ml_arena_alloc(&t->arena, (size_t)span * sizeof *g);
        needs = ml_arena_alloc(&t->arena, (size_t)span);
        if (!g || !needs) {
            ml_ad_fail(t, ML_ERR_NOMEM, "grad: out of memory");
            return t->status;
        }
        memset(g, 0, (size_t)span * sizeof *g);
        memset(needs, 0, (size_t)span);
        /* needs[i]: node lo+i depends on one of the inputs. */
        for (int k = 0; k < nin; k++)
            if (ins[k]->id >= lo && ins[k]->id <= hi)
                needs[ins[k]->id - lo] = 1;
        for (int i = 0; i < span; i++) {
            ml_ad_node *x = t->nodes[lo + i];
            for (int j = 0; j < x->nin && !needs[i]; j++) {
                int id = x->in[j]->id;
                if (id >= lo && needs[id - lo])
                    needs[i] = 1;
            }
        }
    }

    int saved = t->recording;
    t->recording = create_graph;
    for (int k = 0; k < nout && span > 0; k++) {
        ml_ad_node *o = outs[k];
        if (o->id < lo || !needs[o->id - lo])
            continue;
        ml_ad_node *s = seeds ? seeds[k] : NULL;
        if (!s)
            s = ml_ad_fill(t, o->ndim, o->shape, 1.0f);
        accumulate(t, &g[o->id - lo], s);
    }
    for (int i = span - 1; i >= 0 && t->status == ML_OK; i--) {
        ml_ad_node *y = t->nodes[lo + i];
        ml_ad_backward_fn bw = backward_of[y->op];
        if (!g[i] || !needs[i] || !bw)
            continue;
        int need[ML_AD_MAXIN] = {0, 0, 0};
        for (int j = 0; j < y->nin; j++) {
            int id = y->in[j]->id;
            need[j] = id >= lo && needs[id - lo];
        }
        ml_ad_node *gin[ML_AD_MAXIN] = {NULL, NULL, NULL};
        bw(t, y, g[i], need, gin);
        for (int j = 0; j < y->nin; j++)
            if (need[j])
                accumulate(t, &g[y->in[j]->id - lo], gin[j]);
    }
    for (int k = 0; k < nin && t->status == ML_OK; k++) {
        ml_ad_node *x = ins[k];
        ml_ad_node *gx = NULL;
        if (x->id >= lo && x->id <= hi)
            gx = g[x->id - lo];
        grads[k] = gx ? gx : ml_ad_zeros(t, x->ndim, x->shape);
    }
    t->recording = saved;
    if (t->status != ML_OK)
        for (int k = 0; k < nin; k++)
            grads[k] = NULL;
    return t->status;
}
