/* The baseline without meta-learning: one model trained on the examples of
 * all tasks jointly (support and query alike); at test time it is
 * fine-tuned on the support set with plain SGD like the others. */
#include "meta/learner.h"

static ml_status joint_gradient(ml_learner *l, ml_worker *w, const ml_task *task,
                                float *grad, double *loss)
{
    return ml_meta_plain_grad(l, w, task, 2, l->meta, grad, loss);
}

const ml_strategy_ops ml_strategy_joint = {.name = "joint", .task_gradient = joint_gradient};
