/* The inner loops shared by the gradient-based strategies. */
#include "meta/learner.h"

#include <math.h>
#include <string.h>

/* Loss of one half of a task: MSE for regression, softmax cross-entropy
 * for classification. */
static ml_ad_node *half_loss(ml_ad_tape *t, const ml_model *m,
                             ml_ad_node *const *params, const ml_task *task, int h)
{
    int xs[2] = {(int)task->n[h], (int)task->in_size};
    ml_ad_node *x = ml_ad_leaf(t, 2, xs, task->x[h], 0);
    ml_ad_node *out = ml_nn_forward(t, m, params, x);
    if (task->ways)
        return ml_ad_softmax_ce(t, out, task->labels[h]);
    int ys[2] = {(int)task->n[h], (int)task->out_size};
    return ml_ad_mse(t, out, ml_ad_leaf(t, 2, ys, task->y[h], 0));
}

ml_ad_node *ml_meta_task_loss(ml_ad_tape *t, const ml_model *m,
                              ml_ad_node *const *params, const ml_task *task, int set)
{
    if (set < 2)
        return half_loss(t, m, params, task, set);
    /* Both halves, weighted by their sizes: the loss over all examples. */
    double ns = (double)task->n[0], nq = (double)task->n[1];
    ml_ad_node *ls = half_loss(t, m, params, task, 0);
    if (nq == 0)
        return ls;
    ml_ad_node *lq = half_loss(t, m, params, task, 1);
    return ml_ad_add(t, ml_ad_scale(t, ls, (float)(ns / (ns + nq))),
                     ml_ad_scale(t, lq, (float)(nq / (ns + nq))));
}

ml_status ml_meta_adapt_graph(ml_learner *l, ml_ad_tape *t, const ml_task *task,
                              ml_ad_node *const *theta, ml_ad_node *const *alpha,
                              int steps, int create_graph, ml_ad_node **phi)
{
    size_t nt = l->model->ntensors;
    ml_ad_node **g = ml_arena_alloc(&t->arena, nt * sizeof *g);
    if (!g)
        return ml_ad_fail(t, ML_ERR_NOMEM, "adapt: out of memory"), t->status;
    for (size_t k = 0; k < nt; k++)
        phi[k] = theta[k];
    for (int s = 0; s < steps && t->status == ML_OK; s++) {
        ml_ad_node *loss = ml_meta_task_loss(t, l->model, phi, task, 0);
        if (ml_ad_grad(t, 1, &loss, NULL, (int)nt, phi, g, create_graph) != ML_OK)
            break;
        /* phi <- phi - alpha g (alpha a scalar, or per parameter) */
        for (size_t k = 0; k < nt; k++) {
            phi[k] = alpha ? ml_ad_sub(t, phi[k], ml_ad_mul(t, g[k], alpha[k]))
                           : ml_ad_axpy(t, phi[k], -(float)l->inner_lr, g[k]);
        }
    }
    return t->status;
}

ml_status ml_meta_plain_grad(ml_learner *l, ml_worker *w, const ml_task *task, int set,
                             float *params, float *grad, double *loss)
{
    ml_ad_tape *t = &w->tape;
    const ml_model *m = l->model;
    size_t nt = m->ntensors;
    ml_ad_tape_reset(t);
    ml_ad_node **p = ml_arena_alloc(&t->arena, 2 * nt * sizeof *p);
    if (!p)
        return ml_error(NULL, ML_ERR_NOMEM, "adapt: out of memory");
    ml_ad_node **g = p + nt;
    ml_nn_param_leaves(t, m, params, 1, p);
    ml_ad_node *L = ml_meta_task_loss(t, m, p, task, set);
    if (ml_ad_grad(t, 1, &L, NULL, (int)nt, p, g, 0) != ML_OK)
        return ml_error(NULL, t->status, "%s", t->msg);
    for (size_t k = 0; k < nt; k++)
        memcpy(grad + m->tensors[k].offset, g[k]->val, g[k]->size * sizeof(float));
    *loss = L->val[0];
    return ML_OK;
}

ml_status ml_meta_adapt_plain(ml_learner *l, ml_worker *w, const ml_task *task,
                              int steps, double *last_loss)
{
    size_t n = l->n_params;
    memcpy(w->phi, l->meta, n * sizeof(float));
    int adam = l->strategy == ML_STRATEGY_REPTILE && l->rep_inner_adam;
    if (adam) {
        /* Reptile's inner Adam: beta1 = 0, fresh moments per task. */
        memset(w->inner.v, 0, n * sizeof(float));
        memset(w->inner.m, 0, n * sizeof(float));
        w->inner.t = 0;
        w->inner.lr = l->inner_lr;
    }
    const float *alpha = l->ops->has_alpha ? l->meta + n : NULL;
    const float lr = (float)l->inner_lr;
    double loss = NAN;
    for (int s = 0; s < steps; s++) {
        ml_status st = ml_meta_plain_grad(l, w, task, 0, w->phi, w->grad, &loss);
        if (st != ML_OK)
            return st;
        if (adam) {
            if ((st = ml_opt_step(&w->inner, n, w->phi, w->grad)) != ML_OK)
                return ml_error(NULL, st, "%s", w->inner.err);
        } else if (l->strategy == ML_STRATEGY_LSTM) {
            if ((st = ml_meta_lstm_plain_update(l, w, s == 0)) != ML_OK)
                return st;
        } else if (alpha) {
            for (size_t i = 0; i < n; i++)
                w->phi[i] -= alpha[i] * w->grad[i];
        } else {
            for (size_t i = 0; i < n; i++)
                w->phi[i] -= lr * w->grad[i];
        }
    }
    if (last_loss)
        *last_loss = loss;
    return ML_OK;
}
