/* Siamese networks (Koch, Zemel, Salakhutdinov 2015): twin embeddings with
 * shared weights; score(x1, x2) = sigmoid(w . |f(x1) - f(x2)| + b), trained
 * with binary cross-entropy on the (query, support) pairs of an episode,
 * target 1 for a pair of the same class.  A query takes the class of the
 * support example with the highest score. */
#include "meta/learner.h"

#include <string.h>

/* The head: one dense unit on |f(x1) - f(x2)|. */
static ml_status siamese_head(const ml_model *embedding, ml_model **out)
{
    size_t d = ml_nn_output_size(embedding);
    ml_model *h;
    ml_status st = ml_nn_model_new(&h, 1, &d);
    const size_t one[4] = {1, 0, 0, 0};
    if (st == ML_OK && (st = ml_nn_add_layer(h, ML_LAYER_DENSE, one)) != ML_OK)
        ml_nn_model_free(h);
    if (st == ML_OK)
        *out = h;
    return st;
}

static ml_episode_out siamese_episode(ml_learner *l, ml_ad_tape *t,
                                      ml_ad_node *const *params, const ml_task *task,
                                      const float *x, size_t n, const int *labels)
{
    ml_episode_out out = {NULL, NULL};
    ml_ad_node *es, *ex;
    ml_metric_embed(l, t, params, task, x, n, &es, &ex);
    if (!es || !ex)
        return out;
    int ns = (int)task->n[0], d = es->shape[1], ni = (int)n;
    int q3[3] = {ni, 1, d}, all[3] = {ni, ns, d}, s3[3] = {1, ns, d};
    int pairs[2] = {ni * ns, d}, grid[2] = {ni, ns};
    /* |f(x_i) - f(s_j)| for every pair, then the dense head: [n * Ns, 1] */
    ml_ad_node *diff = ml_ad_sub(t, ml_ad_expand(t, ml_ad_reshape(t, ex, 3, q3), 3, all),
                                 ml_ad_reshape(t, es, 3, s3));
    ml_ad_node *logit = ml_nn_forward(t, l->head, params + l->model->ntensors,
                                      ml_ad_reshape(t, ml_ad_abs(t, diff), 2, pairs));
    logit = ml_ad_reshape(t, logit, 2, grid);
    if (!logit)
        return out;
    /* Class score: the best pair logit among the class's support examples
     * (a plain maximum: scores are for ranking, not differentiated). */
    int cs[2] = {ni, (int)task->ways};
    out.scores = ml_ad_fill(t, 2, cs, -1e30f);
    for (int i = 0; out.scores && i < ni; i++)
        for (int j = 0; j < ns; j++) {
            float *best = &out.scores->val[(size_t)i * task->ways + (size_t)task->labels[0][j]];
            float v = logit->val[(size_t)i * (size_t)ns + (size_t)j];
            if (v > *best)
                *best = v;
        }
    if (labels) {
        ml_ad_node *target = ml_ad_zeros(t, 2, grid);
        for (int i = 0; target && i < ni; i++)
            for (int j = 0; j < ns; j++)
                target->val[(size_t)i * (size_t)ns + (size_t)j] =
                    labels[i] == task->labels[0][j] ? 1.0f : 0.0f;
        out.loss = ml_ad_bce_logits(t, logit, target);
    }
    return out;
}

const ml_strategy_ops ml_strategy_siamese = {
    .name = "siamese", .needs_query = 1, .task_gradient = ml_metric_task_gradient,
    .make_head = siamese_head, .episode = siamese_episode,
};
