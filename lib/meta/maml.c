/* MAML (exact second order), first-order MAML and Meta-SGD. */
#include "meta/batch.h"

#include "core/alloc.h"

#include <string.h>

/* The gradient nodes of theta's tensors, then alpha's, into the flat
 * meta-gradient. */
static void copy_grads(const ml_learner *l, ml_ad_node *const *g, float *grad)
{
    const ml_model *m = l->model;
    size_t nt = m->ntensors;
    for (size_t k = 0; k < nt; k++) {
        size_t off = m->tensors[k].offset, sz = m->tensors[k].size;
        memcpy(grad + off, g[k]->val, sz * sizeof(float));
        if (l->ops->has_alpha)
            memcpy(grad + l->n_params + off, g[nt + k]->val, sz * sizeof(float));
    }
}

/* MAML and Meta-SGD: adapt on the tape with create_graph, so the query
 * loss differentiates through every inner step (Hessian-vector products
 * included); Meta-SGD's step sizes are leaves of the graph too. */
static ml_status graph_gradient(ml_learner *l, ml_worker *w, const ml_task *task,
                                float *grad, double *loss)
{
    ml_ad_tape *t = &w->tape;
    const ml_model *m = l->model;
    size_t nt = m->ntensors;
    int with_alpha = l->ops->has_alpha;
    ml_ad_tape_reset(t);
    ml_ad_node **nodes = ml_arena_alloc(&t->arena, 5 * nt * sizeof *nodes);
    if (!nodes)
        return ml_error(NULL, ML_ERR_NOMEM, "maml: out of memory");
    ml_ad_node **theta = nodes, **alpha = nodes + nt, **phi = nodes + 2 * nt,
               **g = nodes + 3 * nt;
    ml_nn_param_leaves(t, m, l->meta, 1, theta);
    if (with_alpha)
        ml_nn_param_leaves(t, m, l->meta + l->n_params, 1, alpha);
    ml_meta_adapt_graph(l, t, task, theta, with_alpha ? alpha : NULL, l->inner_steps,
                        1, phi);
    ml_ad_node *lq = ml_meta_task_loss(t, m, phi, task, 1);
    /* d Lq / d (theta, alpha): theta's tensors then alpha's, in g */
    if (ml_ad_grad(t, 1, &lq, NULL, (int)(with_alpha ? 2 * nt : nt), theta, g, 0) != ML_OK)
        return ml_error(NULL, t->status, "%s", t->msg);
    copy_grads(l, g, grad);
    *loss = lq->val[0];
    return ML_OK;
}

/* graph_gradient for a group of tasks in one graph (meta/batch.c): the
 * sum of their meta-gradients.  Without create_graph, first-order MAML:
 * the inner gradients are constants, and the gradient of the query losses
 * with respect to theta through phi = theta - lr g is the sum of their
 * gradients at phi. */
static ml_status group_gradient(ml_learner *l, ml_worker *w, size_t n,
                                ml_task *const *tasks, float *grad, double *vals,
                                int create_graph)
{
    ml_ad_tape *t = &w->tape;
    size_t nt = l->model->ntensors;
    int with_alpha = l->ops->has_alpha;
    ml_batch b;
    ml_ad_node **s = ml_batch_begin(l, t, &b, n, tasks);
    if (s) { /* theta, alpha, phi, then the gradients of theta and alpha */
        ml_ad_node **theta = s, **alpha = s + nt, **phi = s + 2 * nt, **g = s + 3 * nt;
        ml_batch_terms lr;
        ml_batch_adapt(l, t, &b, theta, with_alpha ? alpha : NULL, l->inner_steps,
                       create_graph, phi, &lr, NULL);
        ml_ad_node *out = ml_batch_forward(t, l->model, phi, &lr, &b, 1, NULL, NULL);
        if (ml_batch_grad(t, &b, ml_batch_loss(t, &b, out, 1, vals),
                          (int)(with_alpha ? 2 * nt : nt), theta, g, 0) == ML_OK)
            copy_grads(l, g, grad);
    }
    return t->status == ML_OK ? ML_OK : ml_error(NULL, t->status, "%s", t->msg);
}

static ml_status graph_batch(ml_learner *l, ml_worker *w, size_t n, ml_task *const *tasks,
                             float *grad, double *vals)
{
    return group_gradient(l, w, n, tasks, grad, vals, 1);
}

static ml_status fomaml_batch(ml_learner *l, ml_worker *w, size_t n, ml_task *const *tasks,
                              float *grad, double *vals)
{
    return group_gradient(l, w, n, tasks, grad, vals, 0);
}

/* First-order MAML: adapt with plain SGD, then the query gradient at the
 * adapted parameters is the task's meta-gradient (grad L^support treated
 * as a constant). */
static ml_status fomaml_gradient(ml_learner *l, ml_worker *w, const ml_task *task,
                                 float *grad, double *loss)
{
    ml_status st = ml_meta_adapt_plain(l, w, task, l->inner_steps, NULL);
    if (st != ML_OK)
        return st;
    return ml_meta_plain_grad(l, w, task, 1, w->phi, grad, loss);
}

const ml_strategy_ops ml_strategy_maml = {.name = "maml", .needs_query = 1,
                                          .task_gradient = graph_gradient,
                                          .batch_gradient = graph_batch};
const ml_strategy_ops ml_strategy_metasgd = {.name = "metasgd", .needs_query = 1, .has_alpha = 1,
                                             .task_gradient = graph_gradient,
                                             .batch_gradient = graph_batch};
const ml_strategy_ops ml_strategy_fomaml = {.name = "fomaml", .needs_query = 1,
                                            .task_gradient = fomaml_gradient,
                                            .batch_gradient = fomaml_batch};
