/* Pieces shared by the metric strategies (prototypical, siamese, relation
 * and matching networks): no inner loop, adaptation is embedding the support
 * set. */
#include "meta/learner.h"

#include <string.h>

ml_ad_node **ml_metric_params(ml_learner *l, ml_ad_tape *t, int requires_grad)
{
    size_t nm = l->model->ntensors, nh = l->head ? l->head->ntensors : 0;
    ml_ad_node **p = ml_arena_alloc(&t->arena, (nm + nh + 1) * sizeof *p);
    if (!p) {
        ml_ad_fail(t, ML_ERR_NOMEM, "metric: out of memory");
        return NULL;
    }
    ml_nn_param_leaves(t, l->model, l->meta, requires_grad, p);
    if (l->head)
        ml_nn_param_leaves(t, l->head, l->meta + l->n_params, requires_grad, p + nm);
    return p;
}

void ml_metric_embed(ml_learner *l, ml_ad_tape *t, ml_ad_node *const *params,
                     const ml_task *task, const float *x, size_t n,
                     ml_ad_node **support, ml_ad_node **inputs)
{
    int ns = (int)task->n[0], in = (int)task->in_size;
    int s_shape[2] = {ns, in}, x_shape[2] = {(int)n, in};
    ml_ad_node *xs = ml_ad_leaf(t, 2, s_shape, task->x[0], 0);
    ml_ad_node *xq = ml_ad_leaf(t, 2, x_shape, (float *)x, 0);
    ml_ad_node *e = ml_nn_forward(t, l->model, params, ml_ad_concat(t, xs, xq, 0));
    *support = ml_ad_slice(t, e, 0, 0, ns);
    *inputs = ml_ad_slice(t, e, 0, ns, (int)n);
}

ml_ad_node *ml_metric_class_matrix(ml_ad_tape *t, const ml_task *task, int mean)
{
    int shape[2] = {(int)task->ways, (int)task->n[0]};
    ml_ad_node *a = ml_ad_zeros(t, 2, shape);
    if (!a)
        return NULL;
    size_t ns = task->n[0];
    for (size_t k = 0; k < task->ways; k++) {
        size_t count = 0;
        for (size_t j = 0; j < ns; j++)
            count += (size_t)task->labels[0][j] == k;
        float v = mean && count ? 1.0f / (float)count : 1.0f;
        for (size_t j = 0; j < ns; j++)
            if ((size_t)task->labels[0][j] == k)
                a->val[k * ns + j] = v;
    }
    return a;
}

ml_status ml_metric_task_gradient(ml_learner *l, ml_worker *w, const ml_task *task,
                                  float *grad, double *loss)
{
    ml_ad_tape *t = &w->tape;
    ml_ad_tape_reset(t);
    ml_ad_node **p = ml_metric_params(l, t, 1);
    size_t nm = l->model->ntensors, nh = l->head ? l->head->ntensors : 0;
    ml_ad_node **g = p ? ml_arena_alloc(&t->arena, (nm + nh + 1) * sizeof *g) : NULL;
    if (!g)
        return ml_error(NULL, ML_ERR_NOMEM, "metric: out of memory");
    ml_episode_out e = l->ops->episode(l, t, p, task, task->x[1], task->n[1],
                                       task->labels[1]);
    if (ml_ad_grad(t, 1, &e.loss, NULL, (int)(nm + nh), p, g, 0) != ML_OK)
        return ml_error(NULL, t->status, "%s", t->msg);
    for (size_t k = 0; k < nm; k++)
        memcpy(grad + l->model->tensors[k].offset, g[k]->val, g[k]->size * sizeof(float));
    for (size_t k = 0; k < nh; k++)
        memcpy(grad + l->n_params + l->head->tensors[k].offset, g[nm + k]->val,
               g[nm + k]->size * sizeof(float));
    *loss = e.loss->val[0];
    return ML_OK;
}
