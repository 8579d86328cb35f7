/* MAML (exact second order), first-order MAML and Meta-SGD. */
#include "meta/learner.h"

#include <string.h>

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
    for (size_t k = 0; k < nt; k++) {
        size_t off = m->tensors[k].offset, sz = m->tensors[k].size;
        memcpy(grad + off, g[k]->val, sz * sizeof(float));
        if (with_alpha)
            memcpy(grad + l->n_params + off, g[nt + k]->val, sz * sizeof(float));
    }
    *loss = lq->val[0];
    return ML_OK;
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

const ml_strategy_ops ml_strategy_maml = {.name = "maml", .needs_query = 1, .task_gradient = graph_gradient};
const ml_strategy_ops ml_strategy_metasgd = {.name = "metasgd", .needs_query = 1, .has_alpha = 1,
                                             .task_gradient = graph_gradient};
const ml_strategy_ops ml_strategy_fomaml = {.name = "fomaml", .needs_query = 1,
                                            .task_gradient = fomaml_gradient};
