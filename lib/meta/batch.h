/* The meta-batch in one graph: groups of tasks of the same sizes adapted
 * and differentiated together (meta/batch.c, meta/batch_plain.c). */
#ifndef ML_META_BATCH_H
#define ML_META_BATCH_H

#include "meta/learner.h"

/* A group of T tasks of the same sizes, their examples stacked row-wise
 * (in the tape's arena, or in a block of the caller's: ml_batch_layout). */
typedef struct ml_batch {
    int T;                /* tasks */
    int n[2];             /* examples per task: support, query */
    int in, out;          /* input size; outputs or classes */
    int classify;         /* softmax cross-entropy on labels, else MSE */
    float *x[2];          /* [T n, in] */
    float *y[2];          /* [T n, out] (regression) */
    int *labels[2];       /* [T n] (classification) */
} ml_batch;
/* Adapted dense weights kept implicit, as low-rank corrections of the
 * shared ones: task t's weights and bias after the inner steps s are
 *   W - lr sum_s x_s[t]^T g_s[t],   b - lr sum_s 1^T g_s[t]
 * with x_s [T n, K] the layer's support inputs and g_s [T n, M] the
 * gradients at its outputs in step s (n support rows per task).  A layer
 * computes x W' + b' as x W + b - lr sum_s (x x_s^T + 1) g_s: two products
 * of n columns per task instead of forming W'. */
typedef struct ml_batch_terms {
    int steps;            /* terms per low-rank layer so far */
    int cap;              /* room per layer */
    float coef;           /* -lr */
    ml_ad_node **x, **g;  /* layer i, step s at [i cap + s]; NULL: formed */
} ml_batch_terms;
/* Whether two tasks can share a graph (the same sizes everywhere). */
int ml_batch_same_sizes(const ml_task *a, const ml_task *b);
/* Whether the learner's meta-gradients go group by group: a strategy with
 * batch_gradient and a model of dense layers and elementwise activations
 * (Reptile's inner Adam excluded). */
int ml_batch_applies(const ml_learner *l);
/* The data of n tasks laid out in mem (64-byte aligned; NULL: nothing
 * written), b pointing into it; returns the bytes it takes. */
size_t ml_batch_layout(ml_batch *b, size_t T, ml_task *const *tasks, void *mem);
/* Starts a graph on a reset tape: 5 nt node slots (nt: the model's
 * tensors) holding theta's leaves, then alpha's (strategies with step
 * sizes), then room for phi and two more sets.  With tasks, their data is
 * laid out into b in the arena; with tasks NULL, b was laid out before
 * (in memory outside the tape).  NULL, with the error on the tape, on
 * failure. */
ml_ad_node **ml_batch_begin(ml_learner *l, ml_ad_tape *t, ml_batch *b, size_t n,
                            ml_task *const *tasks);
/* The model on set `set` (0 support, 1 query) of every task: [T n, outputs].
 * params[k] is tensor k, shared by the tasks (the model's shape) or one
 * per task (a leading T dim); lr (NULL: none) the low-rank corrections of
 * shared layers.  z[i] / zin[i] (NULL allowed) receive dense layer i's
 * output [T n, M] and input [T n, K]. */
ml_ad_node *ml_batch_forward(ml_ad_tape *t, const ml_model *m,
                             ml_ad_node *const *params, const ml_batch_terms *lr,
                             const ml_batch *b, int set, ml_ad_node **z, ml_ad_node **zin);
/* The mean loss over the rows of `out`, (1/T) sum_t L_t; vals[2 i]
 * (vals may be NULL) receives task i's own loss. */
ml_ad_node *ml_batch_loss(ml_ad_tape *t, const ml_batch *b, ml_ad_node *out, int set,
                          double *vals);
/* ml_ad_grad of sum_t L_t, given ml_batch_loss's mean. */
ml_status ml_batch_grad(ml_ad_tape *t, const ml_batch *b, ml_ad_node *loss, int nin,
                        ml_ad_node *const *ins, ml_ad_node **grads, int create_graph);
/* The model on `set` at params p, and dL/dz of its dense layers, for
 * sum_t L_t: dense layer i's output z[i], input z[nl + i] and gradient
 * z[2 nl + i] (nl: the model's layers; z holds 5 nl slots, the last 2 nl
 * scratch; other layers' slots NULL); vals as ml_batch_loss. */
ml_status ml_batch_layer_grads(ml_ad_tape *t, const ml_model *m, ml_ad_node *const *p,
                               const ml_batch_terms *lr, const ml_batch *b, int set,
                               ml_ad_node **z, double *vals, int create_graph);
/* ml_meta_adapt_graph for the whole group: from the shared theta, `steps`
 * inner steps per task into phi (per-task nodes, or theta itself) and lr
 * (the low-rank corrections of the layers where they are cheaper; none
 * with per-parameter step sizes alpha); vals[2 i] receives task i's
 * support loss before the last step. */
ml_status ml_batch_adapt(ml_learner *l, ml_ad_tape *t, const ml_batch *b,
                         ml_ad_node *const *theta, ml_ad_node *const *alpha, int steps,
                         int create_graph, ml_ad_node **phi, ml_batch_terms *lr,
                         double *vals);
/* Plain inner loops of a group, Reptile's (meta/batch_plain.c).  phi
 * holds n n_params floats: tensor k of task i at n offset_k + i size_k. */
/* Leaves over phi, tensor k as [n, tensor k's shape], into p. */
void ml_batch_phi_leaves(ml_ad_tape *t, const ml_model *m, size_t n, float *phi,
                         ml_ad_node **p);
/* One ml_malloc block (ml_free it) holding phi for n tasks (*phi) and
 * their data, laid out into b; NULL when out of memory. */
void *ml_batch_plain_alloc(const ml_learner *l, ml_batch *b, size_t n,
                           ml_task *const *tasks, float **phi);
/* `steps` SGD steps of every task of b (laid out outside the tape) from
 * theta into phi; vals[2 i] (NULL allowed) receives task i's support loss
 * before the last step. */
ml_status ml_batch_adapt_plain(ml_learner *l, ml_ad_tape *t, ml_batch *b, int steps,
                               float *phi, double *vals);

#endif
