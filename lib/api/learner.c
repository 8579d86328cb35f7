/* Public learner functions: argument checks and status reporting. */
#include "meta/learner.h"

#include "core/alloc.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define CHECK_LEARNER(l, fn)                                                   \
    do {                                                                       \
        if (!(l))                                                              \
            return ml_error(NULL, ML_ERR_INVALID_ARG, fn ": NULL learner");   \
    } while (0)

ml_status ml_learner_create(ml_learner **out, const ml_model *model,
                            ml_strategy strategy, uint64_t seed)
{
    if (out)
        *out = NULL;
    if (!out || !model)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_learner_create: NULL argument");
    if (!ml_strategy_lookup((int)strategy))
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_learner_create: unknown strategy %d",
                        (int)strategy);
    char msg[ML_ERRMSG_MAX];
    if (!ml_strategy_model_ok((int)strategy, model, msg))
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_learner_create: %s", msg);
    ml_learner *l;
    ml_status st = ml_learner_new(&l, model, (int)strategy);
    if (st != ML_OK)
        return st;
    ml_learner_init_params(l, seed);
    *out = l;
    return ML_OK;
}

void ml_learner_free(ml_learner *learner)
{
    ml_learner_destroy(learner);
}

const char *ml_learner_last_error(const ml_learner *learner)
{
    return learner ? learner->err : "";
}

int ml_learner_strategy(const ml_learner *learner)
{
    return learner ? learner->strategy : 0;
}

const ml_model *ml_learner_model(const ml_learner *learner)
{
    return learner ? learner->model : NULL;
}

static int whole(double v, double lo, double hi)
{
    return isfinite(v) && v >= lo && v <= hi && v == floor(v);
}

ml_status ml_learner_set(ml_learner *l, ml_learner_param key, double v)
{
    CHECK_LEARNER(l, "ml_learner_set");
    int reptile = l->strategy == ML_STRATEGY_REPTILE;
    int ok;
    switch (key) {
    case ML_LEARNER_INNER_LR:
        if ((ok = isfinite(v) && v > 0))
            l->inner_lr = v;
        break;
    case ML_LEARNER_INNER_STEPS:
        if ((ok = whole(v, 1, 100000)))
            l->inner_steps = (int)v;
        break;
    case ML_LEARNER_THREADS:
        if (!whole(v, 1, 256))
            return ml_error(l->err, ML_ERR_INVALID_ARG,
                            "ml_learner_set: threads must be a whole number in [1, 256]");
        return (int)v == l->threads ? ML_OK : ml_learner_set_threads(l, (int)v);
    case ML_LEARNER_REPTILE_EPSILON:
    case ML_LEARNER_REPTILE_EPSILON_FINAL:
        if ((ok = reptile && isfinite(v) && v >= 0 && v <= 1)) {
            if (key == ML_LEARNER_REPTILE_EPSILON)
                l->rep_eps = v;
            else
                l->rep_eps_final = v;
        }
        break;
    case ML_LEARNER_REPTILE_ANNEAL_ITERS:
        if ((ok = reptile && whole(v, 0, 1e15)))
            l->rep_anneal = (uint64_t)v;
        break;
    case ML_LEARNER_REPTILE_INNER_ADAM:
        if ((ok = reptile && (v == 0 || v == 1)))
            l->rep_inner_adam = (int)v;
        break;
    default:
        ok = 0;
        break;
    }
    if (!ok)
        return ml_error(l->err, ML_ERR_INVALID_ARG,
                        "ml_learner_set: parameter %d cannot take %g for strategy %s",
                        (int)key, v, l->ops->name);
    return ML_OK;
}

ml_status ml_learner_get(const ml_learner *l, ml_learner_param key, double *out)
{
    CHECK_LEARNER(l, "ml_learner_get");
    if (!out)
        return ml_error((char *)l->err, ML_ERR_INVALID_ARG, "ml_learner_get: NULL out");
    int reptile = l->strategy == ML_STRATEGY_REPTILE;
    switch (key) {
    case ML_LEARNER_INNER_LR: *out = l->inner_lr; return ML_OK;
    case ML_LEARNER_INNER_STEPS: *out = l->inner_steps; return ML_OK;
    case ML_LEARNER_THREADS: *out = l->threads; return ML_OK;
    case ML_LEARNER_ITERATION: *out = (double)l->iteration; return ML_OK;
    default: break;
    }
    if (reptile) {
        switch (key) {
        case ML_LEARNER_REPTILE_EPSILON: *out = l->rep_eps; return ML_OK;
        case ML_LEARNER_REPTILE_EPSILON_FINAL: *out = l->rep_eps_final; return ML_OK;
        case ML_LEARNER_REPTILE_ANNEAL_ITERS: *out = (double)l->rep_anneal; return ML_OK;
        case ML_LEARNER_REPTILE_INNER_ADAM: *out = l->rep_inner_adam; return ML_OK;
        default: break;
        }
    }
    return ml_error((char *)l->err, ML_ERR_INVALID_ARG,
                    "ml_learner_get: no parameter %d for strategy %s", (int)key,
                    l->ops->name);
}

ml_status ml_learner_set_optimizer(ml_learner *l, const ml_optimizer *opt)
{
    CHECK_LEARNER(l, "ml_learner_set_optimizer");
    if (!opt)
        return ml_error(l->err, ML_ERR_INVALID_ARG, "ml_learner_set_optimizer: NULL optimizer");
    if (opt->kind == ML_OPTIMIZER_LSTM)
        return ml_error(l->err, ML_ERR_UNSUPPORTED,
                        "ml_learner_set_optimizer: the learned optimizer is an inner update "
                        "rule (ml_learner_set_inner_optimizer)");
    ml_opt_copy_settings(&l->opt, opt);
    return ML_OK;
}

size_t ml_learner_num_meta_params(const ml_learner *learner)
{
    return learner ? learner->n_meta : 0;
}

static ml_status check_count(ml_learner *l, const char *fn, const void *p, size_t count)
{
    if (!p)
        return ml_error(l->err, ML_ERR_INVALID_ARG, "%s: NULL buffer", fn);
    if (count != l->n_meta)
        return ml_error(l->err, ML_ERR_SHAPE, "%s: count %zu, the learner has %zu", fn,
                        count, l->n_meta);
    return ML_OK;
}

ml_status ml_learner_get_meta_params(const ml_learner *l, float *out, size_t count)
{
    CHECK_LEARNER(l, "ml_learner_get_meta_params");
    ml_status st = check_count((ml_learner *)l, "ml_learner_get_meta_params", out, count);
    if (st == ML_OK)
        memcpy(out, l->meta, count * sizeof(float));
    return st;
}

ml_status ml_learner_set_meta_params(ml_learner *l, const float *values, size_t count)
{
    CHECK_LEARNER(l, "ml_learner_set_meta_params");
    ml_status st = check_count(l, "ml_learner_set_meta_params", values, count);
    if (st != ML_OK)
        return st;
    for (size_t i = 0; i < count; i++)
        if (!isfinite(values[i]))
            return ml_error(l->err, ML_ERR_NUMERIC,
                            "ml_learner_set_meta_params: value %zu is not finite", i);
    memcpy(l->meta, values, count * sizeof(float));
    return ML_OK;
}

/* Every task must fit the model; training tasks need a query set when the
 * strategy measures one. */
static ml_status check_tasks(ml_learner *l, const char *fn, size_t n,
                             ml_task *const *tasks, int need_query)
{
    if (!tasks || n == 0)
        return ml_error(l->err, ML_ERR_INVALID_ARG, "%s: no tasks", fn);
    /* More pointers than memory can hold: a wrong count, which would read
     * past the caller's array. */
    if (n > SIZE_MAX / sizeof *tasks)
        return ml_error(l->err, ML_ERR_INVALID_ARG, "%s: %zu tasks", fn, n);
    size_t in = ml_nn_input_size(l->model), out = ml_nn_output_size(l->model);
    for (size_t i = 0; i < n; i++) {
        const ml_task *t = tasks[i];
        if (!t)
            return ml_error(l->err, ML_ERR_INVALID_ARG, "%s: task %zu is NULL", fn, i);
        if (l->ops->episode && !t->ways)
            return ml_error(l->err, ML_ERR_INVALID_ARG,
                            "%s: task %zu: strategy %s classifies, the task is a regression",
                            fn, i, l->ops->name);
        /* Metric strategies compare embeddings: any number of ways fits. */
        if (t->in_size != in || (!l->ops->episode && t->out_size != out))
            return ml_error(l->err, ML_ERR_SHAPE,
                            "%s: task %zu has %zu inputs and %zu outputs, the model %zu and %zu",
                            fn, i, t->in_size, t->out_size, in, out);
        if (need_query && t->n[1] == 0)
            return ml_error(l->err, ML_ERR_INVALID_ARG, "%s: task %zu has no query set",
                            fn, i);
    }
    return ML_OK;
}

ml_status ml_learner_meta_gradient(ml_learner *l, size_t n_tasks, ml_task *const *tasks,
                                   float *out, size_t count, double *out_loss)
{
    CHECK_LEARNER(l, "ml_learner_meta_gradient");
    ml_status st = check_tasks(l, "ml_learner_meta_gradient", n_tasks, tasks,
                               l->ops->needs_query);
    if (st == ML_OK)
        st = check_count(l, "ml_learner_meta_gradient", out, count);
    if (st == ML_OK)
        st = ml_meta_gradient_run(l, n_tasks, tasks, out, out_loss);
    return st;
}

ml_status ml_learner_meta_gradient_parts(const ml_learner *cl, size_t n_tasks,
                                         ml_task *const *tasks, size_t *bounds,
                                         size_t bounds_count, size_t *out_parts)
{
    static const char fn[] = "ml_learner_meta_gradient_parts";
    CHECK_LEARNER(cl, "ml_learner_meta_gradient_parts");
    ml_learner *l = (ml_learner *)cl; /* for its error message only */
    ml_status st = check_tasks(l, fn, n_tasks, tasks, l->ops->needs_query);
    if (st != ML_OK)
        return st;
    if (!bounds || !out_parts)
        return ml_error(l->err, ML_ERR_INVALID_ARG, "%s: NULL output", fn);
    if (bounds_count <= n_tasks)
        return ml_error(l->err, ML_ERR_SHAPE, "%s: room for %zu bounds, %zu tasks need %zu",
                        fn, bounds_count, n_tasks, n_tasks + 1);
    *out_parts = ml_meta_plan(l, n_tasks, tasks, bounds);
    return ML_OK;
}

ml_status ml_learner_meta_gradient_partial(ml_learner *l, size_t n_tasks,
                                           ml_task *const *tasks, size_t first_part,
                                           size_t end_part, float *out_sums, size_t count,
                                           double *out_losses, size_t losses_count)
{
    static const char fn[] = "ml_learner_meta_gradient_partial";
    CHECK_LEARNER(l, "ml_learner_meta_gradient_partial");
    ml_status st = check_tasks(l, fn, n_tasks, tasks, l->ops->needs_query);
    if (st != ML_OK)
        return st;
    size_t *bounds = ml_malloc((n_tasks + 1) * sizeof *bounds);
    if (!bounds)
        return ml_error(l->err, ML_ERR_NOMEM, "%s: out of memory", fn);
    size_t parts = ml_meta_plan(l, n_tasks, tasks, bounds);
    size_t k = end_part - first_part, t0 = 0, nt = 0;
    if (first_part > end_part || end_part > parts) {
        st = ml_error(l->err, ML_ERR_INVALID_ARG,
                      "%s: parts %zu to %zu, the meta-batch has %zu", fn, first_part,
                      end_part, parts);
    } else {
        t0 = bounds[first_part];
        nt = bounds[end_part] - t0;
        /* k <= parts <= n_tasks, so k n_meta floats fit when the task
         * buffers do; the count is compared before anything is run. */
        if (count != k * l->n_meta || (k && !out_sums))
            st = ml_error(l->err, !out_sums && k ? ML_ERR_INVALID_ARG : ML_ERR_SHAPE,
                          "%s: room for %zu floats, %zu parts of %zu need %zu", fn, count, k,
                          l->n_meta, k * l->n_meta);
        else if (out_losses && losses_count != nt)
            st = ml_error(l->err, ML_ERR_SHAPE, "%s: room for %zu losses, the parts have %zu tasks",
                          fn, losses_count, nt);
    }
    if (st == ML_OK)
        st = ml_meta_parts_run(l, n_tasks, tasks, bounds, first_part, end_part);
    ml_free(bounds);
    if (st != ML_OK)
        return st;
    for (size_t i = 0; i < k * l->n_meta; i++)
        if (!isfinite(l->task_grads[i]))
            return ml_error(l->err, ML_ERR_NUMERIC, "%s: part %zu's sum is not finite", fn,
                            first_part + i / l->n_meta);
    for (size_t j = 0; j < nt; j++)
        if (!isfinite(l->task_vals[2 * (t0 + j)]))
            return ml_error(l->err, ML_ERR_NUMERIC, "%s: task %zu's loss is not finite", fn,
                            t0 + j);
    if (k)
        memcpy(out_sums, l->task_grads, k * l->n_meta * sizeof(float));
    for (size_t j = 0; out_losses && j < nt; j++)
        out_losses[j] = l->task_vals[2 * (t0 + j)];
    return ML_OK;
}

ml_status ml_learner_apply_gradient(ml_learner *l, const float *grad, size_t count)
{
    CHECK_LEARNER(l, "ml_learner_apply_gradient");
    ml_status st = check_count(l, "ml_learner_apply_gradient", grad, count);
    return st == ML_OK ? ml_meta_apply(l, grad) : st;
}

ml_status ml_learner_meta_step(ml_learner *l, size_t n_tasks, ml_task *const *tasks,
                               double *out_loss)
{
    CHECK_LEARNER(l, "ml_learner_meta_step");
    ml_status st = check_tasks(l, "ml_learner_meta_step", n_tasks, tasks,
                               l->ops->needs_query);
    if (st != ML_OK)
        return st;
    /* The learner's own buffer: no allocation per step.  The loss is
     * written only once the step is taken. */
    double loss;
    st = ml_meta_gradient_run(l, n_tasks, tasks, l->step_grad, &loss);
    if (st == ML_OK)
        st = ml_meta_apply(l, l->step_grad);
    if (st == ML_OK && out_loss)
        *out_loss = loss;
    return st;
}

ml_status ml_learner_predict(ml_learner *l, const ml_task *task, int steps, size_t n,
                             const float *inputs, float *out, size_t count,
                             int *out_labels)
{
    CHECK_LEARNER(l, "ml_learner_predict");
    ml_task *const one[1] = {(ml_task *)task};
    ml_status st = check_tasks(l, "ml_learner_predict", 1, one, 0);
    if (st != ML_OK)
        return st;
    if (!inputs || !out || n == 0 || n > (1u << 24))
        return ml_error(l->err, ML_ERR_INVALID_ARG,
                        "ml_learner_predict: NULL buffer or bad count %zu", n);
    if (count != n * task->out_size)
        return ml_error(l->err, ML_ERR_SHAPE,
                        "ml_learner_predict: count %zu, need %zu", count,
                        n * task->out_size);
    if (out_labels && !task->ways)
        return ml_error(l->err, ML_ERR_INVALID_ARG,
                        "ml_learner_predict: labels asked of a regression task");
    for (size_t i = 0; i < n * task->in_size; i++)
        if (!isfinite(inputs[i]))
            return ml_error(l->err, ML_ERR_NUMERIC,
                            "ml_learner_predict: input %zu is not finite", i);
    return ml_meta_predict(l, task, steps < 0 ? l->inner_steps : steps, n, inputs, out,
                           out_labels);
}

ml_status ml_learner_evaluate(ml_learner *l, size_t n_tasks, ml_task *const *tasks,
                              int steps, double *out_loss, double *out_accuracy,
                              double *out_per_task)
{
    CHECK_LEARNER(l, "ml_learner_evaluate");
    ml_status st = check_tasks(l, "ml_learner_evaluate", n_tasks, tasks, 1);
    if (st != ML_OK)
        return st;
    return ml_meta_evaluate(l, n_tasks, tasks, steps < 0 ? l->inner_steps : steps,
                            out_loss, out_accuracy, out_per_task);
}

ml_status ml_learner_set_inner_optimizer(ml_learner *l, const ml_optimizer *opt)
{
    CHECK_LEARNER(l, "ml_learner_set_inner_optimizer");
    if (!opt || !opt->lstm)
        return ml_error(l->err, ML_ERR_INVALID_ARG,
                        "ml_learner_set_inner_optimizer: not a learned LSTM optimizer");
    if (l->strategy != ML_STRATEGY_LSTM)
        return ml_error(l->err, ML_ERR_UNSUPPORTED,
                        "ml_learner_set_inner_optimizer: only the LSTM strategy has a "
                        "learned inner update");
    if (l->iteration > 0)
        return ml_error(l->err, ML_ERR_STATE,
                        "ml_learner_set_inner_optimizer: the learner has been trained");
    if (ml_meta_lstm_adopt(l, opt->lstm) != ML_OK)
        return ml_error(l->err, ML_ERR_NOMEM, "ml_learner_set_inner_optimizer: out of memory");
    return ML_OK;
}
