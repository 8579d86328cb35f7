/* The LSTM strategy: MAML whose inner update is the learned coordinatewise
 * LSTM optimiser (optim/lstm.h) instead of SGD,
 *
 *   phi_0 = theta,  phi_{s+1} = phi_s + m(grad L_support(phi_s), state_s; w),
 *
 * with every coordinate of the model's parameters a row of the network and
 * a zero hidden state at the start of each task.  The meta-parameters are
 * theta and the LSTM's weights w, both meta-learned through the adapted
 * parameters' query loss; the inner gradients are recorded on the tape
 * (create_graph), so the meta-gradient is exact to second order, as for
 * MAML.  The interchangeable alternative to MAML's fixed step and
 * Meta-SGD's learned per-parameter step sizes. */
#include "meta/learner.h"

#include "core/alloc.h"

#include <string.h>

size_t ml_meta_lstm_num_weights(const ml_learner *l)
{
    return l->strategy == ML_STRATEGY_LSTM ? ml_lstm_num_weights(l->lstm_shape) : 0;
}

/* The model's gradient tensors as one column [n_params, 1]. */
static ml_ad_node *flatten(ml_ad_tape *t, const ml_model *m, ml_ad_node *const *g)
{
    ml_ad_node *flat = NULL;
    for (size_t k = 0; k < m->ntensors; k++) {
        int col[2] = {(int)g[k]->size, 1};
        ml_ad_node *c = ml_ad_reshape(t, g[k], 2, col);
        flat = flat ? ml_ad_concat(t, flat, c, 0) : c;
    }
    return flat;
}

/* Differentiable adaptation with the learned rule, into phi. */
static ml_status adapt_graph(ml_learner *l, ml_ad_tape *t, const ml_task *task,
                             ml_ad_node *const *theta, ml_ad_node *const w[6], int steps,
                             ml_ad_node **phi)
{
    const ml_model *m = l->model;
    const size_t nt = m->ntensors;
    ml_ad_node **g = ml_arena_alloc(&t->arena, nt * sizeof *g), *state[4];
    if (!g)
        return ml_ad_fail(t, ML_ERR_NOMEM, "lstm: out of memory"), t->status;
    for (size_t k = 0; k < nt; k++)
        phi[k] = theta[k];
    ml_lstm_zero_state(t, l->lstm_shape, l->n_params, state);
    for (int s = 0; s < steps && t->status == ML_OK; s++) {
        ml_ad_node *loss = ml_meta_task_loss(t, m, phi, task, 0);
        if (ml_ad_grad(t, 1, &loss, NULL, (int)nt, phi, g, 1) != ML_OK)
            break;
        ml_ad_node *x = ml_lstm_inputs_graph(t, l->lstm_shape, flatten(t, m, g));
        ml_ad_node *u = ml_lstm_forward(t, l->lstm_shape, w, (float)l->lstm_scale, x, state);
        for (size_t k = 0; k < nt && t->status == ML_OK; k++) {
            const ml_nn_tensor *tk = &m->tensors[k];
            ml_ad_node *uk = ml_ad_slice(t, u, 0, (int)tk->offset, (int)tk->size);
            uk = ml_ad_reshape(t, uk, phi[k]->ndim, phi[k]->shape);
            phi[k] = ml_ad_add(t, phi[k], uk);
        }
    }
    return t->status;
}

static ml_status task_gradient(ml_learner *l, ml_worker *wk, const ml_task *task,
                               float *grad, double *loss)
{
    ml_ad_tape *t = &wk->tape;
    const ml_model *m = l->model;
    const size_t nt = m->ntensors;
    ml_ad_tape_reset(t);
    /* theta's tensors, then the LSTM's six: one list to differentiate */
    ml_ad_node **in = ml_arena_alloc(&t->arena, 2 * (nt + 6) * sizeof *in);
    if (!in)
        return ml_error(NULL, ML_ERR_NOMEM, "lstm: out of memory");
    ml_ad_node **g = in + nt + 6;
    ml_nn_param_leaves(t, m, l->meta, 1, in);
    ml_lstm_weight_leaves(t, l->lstm_shape, l->meta + l->n_params, 1, in + nt);
    ml_ad_node **phis = ml_arena_alloc(&t->arena, nt * sizeof *phis);
    if (!phis)
        return ml_error(NULL, ML_ERR_NOMEM, "lstm: out of memory");
    adapt_graph(l, t, task, in, in + nt, l->inner_steps, phis);
    ml_ad_node *lq = ml_meta_task_loss(t, m, phis, task, 1);
    if (ml_ad_grad(t, 1, &lq, NULL, (int)(nt + 6), in, g, 0) != ML_OK)
        return ml_error(NULL, t->status, "%s", t->msg);
    for (size_t k = 0; k < nt; k++)
        memcpy(grad + m->tensors[k].offset, g[k]->val, g[k]->size * sizeof(float));
    float *gw = grad + l->n_params;
    for (size_t k = 0; k < 6; k++) {
        memcpy(gw, g[nt + k]->val, g[nt + k]->size * sizeof(float));
        gw += g[nt + k]->size;
    }
    *loss = lq->val[0];
    return ML_OK;
}

ml_status ml_meta_lstm_plain_update(ml_learner *l, ml_worker *w, int first)
{
    const size_t n = l->n_params, h = (size_t)l->lstm_shape.hidden;
    if (!w->lstm_state) {
        w->lstm_state = ml_malloc(4 * n * h * sizeof(float));
        if (!w->lstm_state)
            return ml_error(NULL, ML_ERR_NOMEM, "lstm: out of memory");
    }
    if (first)
        memset(w->lstm_state, 0, 4 * n * h * sizeof(float));
    ml_ad_tape *t = &w->tape;
    ml_ad_tape_reset(t);
    ml_ad_node *wt[6], *s[4];
    ml_lstm_weight_leaves(t, l->lstm_shape, l->meta + n, 0, wt);
    int shape[2] = {(int)h, (int)n};
    for (int k = 0; k < 4; k++)
        s[k] = ml_ad_leaf(t, 2, shape, w->lstm_state + (size_t)k * n * h, 0);
    ml_ad_node *u = ml_lstm_forward(t, l->lstm_shape, wt, (float)l->lstm_scale,
                                    ml_lstm_inputs(t, l->lstm_shape, w->grad, n), s);
    if (ml_ad_tape_status(t) != ML_OK)
        return ml_error(NULL, t->status, "%s", t->msg);
    for (int k = 0; k < 4; k++)
        memcpy(w->lstm_state + (size_t)k * n * h, s[k]->val, n * h * sizeof(float));
    for (size_t i = 0; i < n; i++)
        w->phi[i] += u->val[i];
    return ML_OK;
}

ml_status ml_meta_lstm_adopt(ml_learner *l, const ml_lstm *src)
{
    const size_t n_meta = l->n_params + src->n_w;
    float *meta = ml_malloc(n_meta * sizeof(float));
    float *step = ml_malloc(n_meta * sizeof(float));
    if (!meta || !step) {
        ml_free(meta);
        ml_free(step);
        return ML_ERR_NOMEM;
    }
    memcpy(meta, l->meta, l->n_params * sizeof(float));
    memcpy(meta + l->n_params, src->w, src->n_w * sizeof(float));
    ml_free(l->meta);
    ml_free(l->step_grad);
    l->meta = meta;
    l->step_grad = step;
    l->n_meta = n_meta;
    l->lstm_shape = src->shape;
    l->lstm_scale = src->scale;
    /* per-task buffers and the workers' states follow the new sizes */
    ml_free(l->task_grads);
    l->task_grads = NULL;
    l->task_cap = 0;
    for (int i = 0; i < l->threads; i++) {
        ml_free(l->workers[i].lstm_state);
        l->workers[i].lstm_state = NULL;
    }
    ml_opt_clear_state(&l->opt);
    return ML_OK;
}

const ml_strategy_ops ml_strategy_lstm = {.name = "lstm", .needs_query = 1,
                                          .task_gradient = task_gradient};
