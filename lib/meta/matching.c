/* Matching networks (Vinyals, Blundell, Lillicrap, Kavukcuoglu, Wierstra
 * 2016) without full-context embeddings: f = g = the model.  Cosine
 * similarity c_ij = <f(x_i), f(s_j)> / (||f(x_i)|| ||f(s_j)||), attention
 * a_ij = softmax_j(c_ij) over the support set, P(y = k | x_i) =
 * sum_j a_ij [y_j = k], that is P = a Y with Y the [Ns, ways] one-hot labels.
 * Scores: log P; loss: mean_i -log P(y_i | x_i) on the query set. */
#include "meta/learner.h"

/* Norms as sqrt(||e||^2 + eps): at e = 0 the plain norm has an infinite
 * derivative and the cosine is 0/0 (an embedding ending in a ReLU can be
 * all zeros); eps keeps the norm >= 1e-4 there, so the cosine is 0 and its
 * gradients of every order are finite.  Against a squared norm above 0.34
 * (2^-25 of it exceeds 1e-8) eps is below float resolution. */
#define MATCHING_NORM_EPS 1e-8f
/* log(P + delta): a class without support examples has P = 0 exactly.  A
 * class with one has P >= e^-2 / Ns (|c_ij| <= 1, so each a_ij >= e^-2 / Ns),
 * whose half ulp in float (at least 2^-25 P) exceeds 1e-12 for Ns up to
 * about 4,000: delta leaves those scores unchanged.  log(delta) = -27.6 is
 * finite, and 1/delta and the second-order 1/delta^2 stay finite in float
 * (1e24). */
#define MATCHING_LOG_DELTA 1e-12f

/* The rows of e [N, D] scaled to unit length: e_i / sqrt(||e_i||^2 + eps). */
static ml_ad_node *unit_rows(ml_ad_tape *t, ml_ad_node *e)
{
    if (!e)
        return NULL;
    int one = 1, col[2] = {e->shape[0], 1};
    ml_ad_node *sq = ml_ad_reshape(t, ml_ad_sum_axis(t, ml_ad_square(t, e), 1), 2, col);
    ml_ad_node *norm = ml_ad_sqrt(t, ml_ad_add(t, sq, ml_ad_fill(t, 1, &one,
                                                                 MATCHING_NORM_EPS)));
    return ml_ad_div(t, e, norm);
}

static ml_episode_out matching_episode(ml_learner *l, ml_ad_tape *t,
                                       ml_ad_node *const *params, const ml_task *task,
                                       const float *x, size_t n, const int *labels)
{
    /* Every op passes a NULL input (a failure recorded on the tape) on. */
    ml_ad_node *es, *ex;
    ml_metric_embed(l, t, params, task, x, n, &es, &ex);
    /* C = U_x U_s^T with unit rows: the cosines, [n, Ns] */
    ml_ad_node *cos = ml_ad_matmul(t, unit_rows(t, ex), unit_rows(t, es), 0, 1);
    /* P = softmax(C) Y: the class matrix is Y^T [ways, Ns] */
    ml_ad_node *p = ml_ad_matmul(t, ml_ad_softmax(t, cos),
                                 ml_metric_class_matrix(t, task, 0), 0, 1);
    int one = 1;
    ml_episode_out out = {
        ml_ad_log(t, ml_ad_add(t, p, ml_ad_fill(t, 1, &one, MATCHING_LOG_DELTA))), NULL};
    /* The rows of P sum to 1 (up to delta), so logsumexp_k log P_ik = 0 and
     * softmax_ce(log P) = mean_i -log P[i, y_i]. */
    if (labels && out.scores)
        out.loss = ml_ad_softmax_ce(t, out.scores, labels);
    return out;
}

const ml_strategy_ops ml_strategy_matching = {
    .name = "matching", .needs_query = 1, .task_gradient = ml_metric_task_gradient,
    .episode = matching_episode,
};
