/* Prototypical networks (Snell, Swersky, Zemel 2017): prototype c_k = mean
 * of the support embeddings of class k; p(y = k | x) = softmax_k(-||f(x) -
 * c_k||^2); loss: cross-entropy on the query set. */
#include "meta/learner.h"

static ml_episode_out protonet_episode(ml_learner *l, ml_ad_tape *t,
                                       ml_ad_node *const *params, const ml_task *task,
                                       const float *x, size_t n, const int *labels)
{
    ml_ad_node *es, *ex;
    ml_metric_embed(l, t, params, task, x, n, &es, &ex);
    /* C = A E_s: the class means, [ways, D] */
    ml_ad_node *protos = ml_ad_matmul(t, ml_metric_class_matrix(t, task, 1), es, 0, 0);
    ml_episode_out out = {ml_ad_neg(t, ml_ad_sqdist(t, ex, protos)), NULL};
    if (labels)
        out.loss = ml_ad_softmax_ce(t, out.scores, labels);
    return out;
}

const ml_strategy_ops ml_strategy_protonet = {
    .name = "protonet", .needs_query = 1, .task_gradient = ml_metric_task_gradient,
    .episode = protonet_episode,
};
