/* Reptile: S inner steps from theta to phi_T; the task's meta-gradient is
 * theta - phi_T, applied with step epsilon (see ml_learner_apply_gradient). */
#include "meta/learner.h"

static ml_status reptile_gradient(ml_learner *l, ml_worker *w, const ml_task *task,
                                  float *grad, double *loss)
{
    ml_status st = ml_meta_adapt_plain(l, w, task, l->inner_steps, loss);
    if (st != ML_OK)
        return st;
    for (size_t i = 0; i < l->n_params; i++)
        grad[i] = l->meta[i] - w->phi[i];
    return ML_OK;
}

const ml_strategy_ops ml_strategy_reptile = {.name = "reptile", .task_gradient = reptile_gradient};
