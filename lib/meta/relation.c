/* Relation networks (Sung et al. 2018): a relation module g scores the
 * concatenation [f(x), sum of the support embeddings of class k] with a
 * sigmoid; loss: mean squared error against the one-hot target.
 *
 * The module is built from the embedding's output shape: for feature maps
 * (C, h, w) two blocks of [3x3 conv with C filters, batch norm, ReLU, 2x2
 * max-pool when the map is at least 2x2] on the 2C concatenated channels,
 * then dense 8, ReLU, dense 1 (the paper's module); for vectors of size D,
 * dense 8, ReLU, dense 1 on the 2D concatenation. */
#include "meta/learner.h"

static ml_status relation_head(const ml_model *embedding, ml_model **out)
{
    size_t shape[ML_NN_MAX_INPUT_DIMS];
    size_t nd = ml_nn_output_shape(embedding, shape);
    shape[0] *= 2;
    ml_model *h;
    ml_status st = ml_nn_model_new(&h, nd, shape);
    if (st != ML_OK)
        return st;
    for (int b = 0; nd == 3 && b < 2 && st == ML_OK; b++) {
        const size_t conv[4] = {shape[0] / 2, 3, 1, 1}, pool[4] = {2, 0, 0, 0};
        size_t cur[ML_NN_MAX_INPUT_DIMS];
        st = ml_nn_add_layer(h, ML_LAYER_CONV2D, conv);
        if (st == ML_OK)
            st = ml_nn_add_layer(h, ML_LAYER_BATCHNORM, NULL);
        if (st == ML_OK)
            st = ml_nn_add_layer(h, ML_LAYER_RELU, NULL);
        ml_nn_output_shape(h, cur);
        if (st == ML_OK && cur[1] >= 2 && cur[2] >= 2)
            st = ml_nn_add_layer(h, ML_LAYER_MAXPOOL, pool);
    }
    const size_t eight[4] = {8, 0, 0, 0}, one[4] = {1, 0, 0, 0};
    if (st == ML_OK)
        st = ml_nn_add_layer(h, ML_LAYER_DENSE, eight);
    if (st == ML_OK)
        st = ml_nn_add_layer(h, ML_LAYER_RELU, NULL);
    if (st == ML_OK)
        st = ml_nn_add_layer(h, ML_LAYER_DENSE, one);
    if (st != ML_OK) {
        ml_nn_model_free(h);
        return st;
    }
    *out = h;
    return ML_OK;
}

static ml_episode_out relation_episode(ml_learner *l, ml_ad_tape *t,
                                       ml_ad_node *const *params, const ml_task *task,
                                       const float *x, size_t n, const int *labels)
{
    ml_episode_out out = {NULL, NULL};
    ml_ad_node *es, *ex;
    ml_metric_embed(l, t, params, task, x, n, &es, &ex);
    if (!es || !ex)
        return out;
    size_t shape[ML_NN_MAX_INPUT_DIMS];
    size_t nd = ml_nn_output_shape(l->model, shape);
    int ni = (int)n, ways = (int)task->ways, f = es->shape[1];
    int c = nd == 3 ? (int)shape[0] : f, hw = f / c;
    /* S = A E_s: the summed support embeddings of each class, [ways, F] */
    ml_ad_node *classes = ml_ad_matmul(t, ml_metric_class_matrix(t, task, 0), es, 0, 0);
    int q3[3] = {ni, 1, f}, c3[3] = {1, ways, f}, all[3] = {ni, ways, f};
    int split[3] = {ni * ways, c, hw}, rows[2] = {ni * ways, 2 * f}, grid[2] = {ni, ways};
    ml_ad_node *qe = ml_ad_reshape(t, ml_ad_expand(t, ml_ad_reshape(t, ex, 3, q3), 3, all),
                                   3, split);
    ml_ad_node *ce = ml_ad_reshape(t, ml_ad_expand(t, ml_ad_reshape(t, classes, 3, c3), 3, all),
                                   3, split);
    /* Channel-major layout: concatenating along axis 1 of [pairs, C, h*w]
     * is concatenating the feature maps' channels. */
    ml_ad_node *pairs = ml_ad_reshape(t, ml_ad_concat(t, qe, ce, 1), 2, rows);
    ml_ad_node *r = ml_nn_forward(t, l->head, params + l->model->ntensors, pairs);
    out.scores = ml_ad_sigmoid(t, ml_ad_reshape(t, r, 2, grid));
    if (labels && out.scores) {
        ml_ad_node *onehot = ml_ad_zeros(t, 2, grid);
        for (int i = 0; onehot && i < ni; i++)
            onehot->val[(size_t)i * (size_t)ways + (size_t)labels[i]] = 1.0f;
        out.loss = ml_ad_mse(t, out.scores, onehot);
    }
    return out;
}

const ml_strategy_ops ml_strategy_relation = {
    .name = "relation", .needs_query = 1, .task_gradient = ml_metric_task_gradient,
    .make_head = relation_head, .episode = relation_episode,
};
