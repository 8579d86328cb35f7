/* Reptile: S inner steps from theta to phi_T; the task's meta-gradient is
 * theta - phi_T, applied with step epsilon (see ml_learner_apply_gradient). */
#include "meta/batch.h"

#include "core/alloc.h"

#include <math.h>
#include <string.h>

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

/* A group of tasks in one graph: every task's inner SGD steps side by
 * side, then the sum of theta - phi_T over the tasks, in task order. */
static ml_status reptile_batch(ml_learner *l, ml_worker *w, size_t n, ml_task *const *tasks,
                               float *grad, double *vals)
{
    ml_ad_tape *t = &w->tape;
    const ml_model *m = l->model;
    for (size_t i = 0; i < n; i++)
        vals[2 * i] = NAN; /* no inner step, no loss */
    ml_batch b;
    float *phi;
    void *mem = ml_batch_plain_alloc(l, &b, n, tasks, &phi);
    if (!mem)
        return ml_error(NULL, ML_ERR_NOMEM, "reptile: out of memory");
    if (ml_batch_adapt_plain(l, t, &b, l->inner_steps, phi, vals) != ML_OK) {
        ml_free(mem);
        return ml_error(NULL, t->status, "%s", t->msg);
    }
    memset(grad, 0, l->n_params * sizeof(float));
    for (size_t k = 0; k < m->ntensors; k++) {
        size_t off = m->tensors[k].offset, sz = m->tensors[k].size;
        const float *th = l->meta + off, *ph = phi + n * off;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < sz; j++)
                grad[off + j] += th[j] - ph[i * sz + j];
    }
    ml_free(mem);
    return ML_OK;
}

const ml_strategy_ops ml_strategy_reptile = {.name = "reptile", .task_gradient = reptile_gradient,
                                             .batch_gradient = reptile_batch};
