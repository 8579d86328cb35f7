/* Running a learner over tasks: meta-gradients, updates, evaluation and
 * prediction.  Tasks run on the worker pool; results are written per task
 * and combined in task order, so they do not depend on the thread count. */
#include "meta/batch.h"

#include "core/alloc.h"
#include "core/vmath.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

typedef struct run_ctx {
    ml_learner *l;
    ml_task *const *tasks;
    int steps;            /* evaluation: inner steps */
    const size_t *groups; /* item g: tasks groups[g] .. groups[g + 1] - 1; NULL: item i is task i */
    ml_status *status;    /* per item */
    char (*msg)[ML_ERRMSG_MAX];
} run_ctx;

/* Largest group of tasks in one graph.  Its tape (about 130 kB a task for
 * the sine MLP) should stay in the L2 cache; a meta-batch of 25 splits
 * into two groups, one per core. */
enum { GROUP_MAX = 16 };

/* Groups of consecutive tasks of the same sizes, each run of them split
 * evenly into groups of at most GROUP_MAX: bounds into groups[0..count],
 * returns count.  They depend on the tasks only, never on the threads, so
 * neither does any sum. */
static size_t plan_groups(ml_task *const *tasks, size_t n, size_t *groups)
{
    size_t count = 0;
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && ml_batch_same_sizes(tasks[i], tasks[j]); j++)
            ;
        size_t run = j - i, parts = (run + GROUP_MAX - 1) / GROUP_MAX;
        for (size_t p = 0; p < parts; p++)
            groups[count++] = i + run * p / parts;
    }
    groups[count] = n;
    return count;
}

static ml_status ensure_task_buffers(ml_learner *l, size_t n_tasks)
{
    if (n_tasks <= l->task_cap)
        return ML_OK;
    if (l->n_meta && n_tasks > SIZE_MAX / sizeof(float) / l->n_meta)
        return ml_error(l->err, ML_ERR_NOMEM, "learner: %zu tasks of %zu floats overflow",
                        n_tasks, l->n_meta);
    float *g = ml_malloc(n_tasks * l->n_meta * sizeof(float));
    double *v = ml_malloc(n_tasks * 2 * sizeof(double));
    if (!g || !v) {
        ml_free(g);
        ml_free(v);
        return ml_error(l->err, ML_ERR_NOMEM, "learner: out of memory for %zu tasks",
                        n_tasks);
    }
    ml_free(l->task_grads);
    ml_free(l->task_vals);
    l->task_grads = g;
    l->task_vals = v;
    l->task_cap = n_tasks;
    return ML_OK;
}

static void note(run_ctx *c, size_t i, ml_status st)
{
    c->status[i] = st;
    if (st != ML_OK)
        memcpy(c->msg[i], ml_last_error(), ML_ERRMSG_MAX);
}

/* Part g of a meta-batch (c->groups are its bounds, shifted so that item 0
 * is the first part asked for): the summed meta-gradient of its tasks into
 * slot g, one graph for a group of tasks, the task's own computation for
 * a part of one task where the learner does not group. */
static void gradient_part_item(void *ctx, size_t g, int worker)
{
    run_ctx *c = ctx;
    ml_learner *l = c->l;
    size_t first = c->groups[g], count = c->groups[g + 1] - first;
    float *out = l->task_grads + g * l->n_meta;
    double *vals = &l->task_vals[2 * first];
    note(c, g, ml_batch_applies(l)
                   ? l->ops->batch_gradient(l, &l->workers[worker], count,
                                            c->tasks + first, out, vals)
                   : l->ops->task_gradient(l, &l->workers[worker], c->tasks[first], out,
                                           vals));
}

/* Per-item work (a task, or a group of tasks) with status and message
 * slots; the first failure in task order is reported. */
static ml_status run_items(ml_learner *l, size_t n, ml_task *const *tasks, int steps,
                           const size_t *groups, ml_pool_fn fn)
{
    ml_status *status = ml_malloc(n * sizeof *status);
    char (*msg)[ML_ERRMSG_MAX] = ml_malloc(n * sizeof *msg);
    if (!status || !msg) {
        ml_free(status);
        ml_free(msg);
        return ml_error(l->err, ML_ERR_NOMEM, "learner: out of memory");
    }
    run_ctx c = {l, tasks, steps, groups, status, msg};
    ml_pool_run(l->pool, n, fn, &c);
    ml_status st = ML_OK;
    for (size_t i = 0; i < n && st == ML_OK; i++)
        if (status[i] != ML_OK)
            st = groups && groups[i + 1] - groups[i] > 1
                     ? ml_error(l->err, status[i], "tasks %zu to %zu: %s", groups[i],
                                groups[i + 1] - 1, msg[i])
                     : ml_error(l->err, status[i], "task %zu: %s", groups ? groups[i] : i,
                                msg[i]);
    ml_free(status);
    ml_free(msg);
    return st;
}

size_t ml_meta_plan(const ml_learner *l, size_t n, ml_task *const *tasks, size_t *bounds)
{
    if (ml_batch_applies(l))
        return plan_groups(tasks, n, bounds);
    for (size_t i = 0; i <= n; i++)
        bounds[i] = i;
    return n;
}

ml_status ml_meta_parts_run(ml_learner *l, size_t n, ml_task *const *tasks,
                            const size_t *bounds, size_t first, size_t end)
{
    ml_status st = ensure_task_buffers(l, n);
    if (st != ML_OK || first == end)
        return st;
    /* Items 0 .. end - first - 1; bounds stay absolute task indices. */
    return run_items(l, end - first, tasks, 0, bounds + first, gradient_part_item);
}

ml_status ml_meta_gradient_run(ml_learner *l, size_t n, ml_task *const *tasks,
                               float *out, double *loss)
{
    size_t *bounds = ml_malloc((n + 1) * sizeof *bounds);
    if (!bounds)
        return ml_error(l->err, ML_ERR_NOMEM, "learner: out of memory");
    size_t items = ml_meta_plan(l, n, tasks, bounds);
    ml_status st = ml_meta_parts_run(l, n, tasks, bounds, 0, items);
    ml_free(bounds);
    if (st != ML_OK)
        return st;
    /* Mean over tasks: the parts' sums added in part order, then one
     * multiplication by 1/n (the order include/metalearn.h documents for
     * ml_learner_meta_gradient_partial's callers). */
    const float inv = 1.0f / (float)n;
    memcpy(out, l->task_grads, l->n_meta * sizeof(float));
    for (size_t i = 1; i < items; i++) {
        const float *g = l->task_grads + i * l->n_meta;
        for (size_t j = 0; j < l->n_meta; j++)
            out[j] += g[j];
    }
    double total = 0.0;
    for (size_t i = 0; i < n; i++)
        total += l->task_vals[2 * i];
    for (size_t j = 0; j < l->n_meta; j++)
        out[j] *= inv;
    size_t bad = ml_vfirst_nonfinite(out, l->n_meta);
    if (bad < l->n_meta)
        return ml_error(l->err, ML_ERR_NUMERIC, "meta-gradient element %zu is not finite",
                        bad);
    if (!isfinite(total))
        return ml_error(l->err, ML_ERR_NUMERIC, "the meta-loss is not finite");
    if (loss)
        *loss = total / (double)n;
    return ML_OK;
}

ml_status ml_meta_apply(ml_learner *l, const float *grad)
{
    size_t bad = ml_vfirst_nonfinite(grad, l->n_meta);
    if (bad < l->n_meta)
        return ml_error(l->err, ML_ERR_NUMERIC, "gradient element %zu is not finite", bad);
    if (l->strategy == ML_STRATEGY_REPTILE) {
        /* theta <- theta - eps_t (theta - mean phi), eps annealed linearly */
        double frac = l->rep_anneal ? (double)l->iteration / (double)l->rep_anneal : 0.0;
        if (frac > 1.0)
            frac = 1.0;
        float eps = (float)(l->rep_eps + (l->rep_eps_final - l->rep_eps) * frac);
        /* Checked before anything is written, so an overflowing step keeps
         * the last finite parameters. */
        for (size_t j = 0; j < l->n_meta; j++)
            if (!isfinite(l->meta[j] - eps * grad[j]))
                return ml_error(l->err, ML_ERR_NUMERIC,
                                "the Reptile step would make parameter %zu non-finite", j);
        for (size_t j = 0; j < l->n_meta; j++)
            l->meta[j] -= eps * grad[j];
    } else if (l->n_meta) {
        /* (A prototypical network over an embedding without parameters
         * has nothing to update; the optimiser's state is sized by its
         * first non-empty step.) */
        ml_status st = ml_opt_step(&l->opt, l->n_meta, l->meta, grad);
        if (st != ML_OK)
            return ml_error(l->err, st, "%s", l->opt.err);
    }
    l->iteration++;
    return ML_OK;
}

/* Accuracy of class scores [n, ways] against labels. */
static double accuracy(const float *scores, const int *labels, size_t n, size_t c)
{
    size_t right = 0;
    for (size_t i = 0; i < n; i++) {
        const float *row = scores + i * c;
        size_t best = 0;
        for (size_t j = 1; j < c; j++)
            if (row[j] > row[best])
                best = j;
        right += (int)best == labels[i];
    }
    return (double)right / (double)n;
}

/* Query loss and accuracy of the adapted parameters w->phi. */
static ml_status query_measure(ml_learner *l, ml_worker *w, const ml_task *task,
                               double *loss, double *acc)
{
    ml_ad_tape *t = &w->tape;
    const ml_model *m = l->model;
    ml_ad_tape_reset(t);
    ml_ad_node **p = ml_arena_alloc(&t->arena, m->ntensors * sizeof *p);
    if (!p)
        return ml_error(NULL, ML_ERR_NOMEM, "evaluate: out of memory");
    ml_nn_param_leaves(t, m, w->phi, 0, p);
    int xs[2] = {(int)task->n[1], (int)task->in_size};
    ml_ad_node *out = ml_nn_forward(t, m, p, ml_ad_leaf(t, 2, xs, task->x[1], 0));
    ml_ad_node *L;
    if (task->ways) {
        L = ml_ad_softmax_ce(t, out, task->labels[1]);
    } else {
        int ys[2] = {(int)task->n[1], (int)task->out_size};
        L = ml_ad_mse(t, out, ml_ad_leaf(t, 2, ys, task->y[1], 0));
    }
    if (t->status != ML_OK)
        return ml_error(NULL, t->status, "%s", t->msg);
    if (!isfinite(L->val[0]))
        return ml_error(NULL, ML_ERR_NUMERIC,
                        "the adapted model's query loss is not finite (adaptation diverged)");
    *loss = L->val[0];
    *acc = task->ways ? accuracy(out->val, task->labels[1], task->n[1], task->ways) : NAN;
    return ML_OK;
}

/* Metric strategies: the episode on the query set, no adaptation. */
static ml_status metric_measure(ml_learner *l, ml_worker *w, const ml_task *task,
                                double *loss, double *acc)
{
    ml_ad_tape *t = &w->tape;
    ml_ad_tape_reset(t);
    ml_ad_node **p = ml_metric_params(l, t, 0);
    ml_episode_out e = {NULL, NULL};
    if (p)
        e = l->ops->episode(l, t, p, task, task->x[1], task->n[1], task->labels[1]);
    if (t->status != ML_OK)
        return ml_error(NULL, t->status, "%s", t->msg);
    if (!isfinite(e.loss->val[0]))
        return ml_error(NULL, ML_ERR_NUMERIC, "the episode's query loss is not finite");
    *loss = e.loss->val[0];
    *acc = accuracy(e.scores->val, task->labels[1], task->n[1], task->ways);
    return ML_OK;
}

static void evaluate_item(void *ctx, size_t i, int worker)
{
    run_ctx *c = ctx;
    ml_learner *l = c->l;
    ml_worker *w = &l->workers[worker];
    if (l->ops->episode) {
        note(c, i, metric_measure(l, w, c->tasks[i], &l->task_vals[2 * i],
                                  &l->task_vals[2 * i + 1]));
        return;
    }
    ml_status st = ml_meta_adapt_plain(l, w, c->tasks[i], c->steps, NULL);
    if (st == ML_OK)
        st = query_measure(l, w, c->tasks[i], &l->task_vals[2 * i],
                           &l->task_vals[2 * i + 1]);
    note(c, i, st);
}

ml_status ml_meta_evaluate(ml_learner *l, size_t n, ml_task *const *tasks, int steps,
                           double *loss, double *acc, double *per_task)
{
    ml_status st = ensure_task_buffers(l, n);
    if (st == ML_OK)
        st = run_items(l, n, tasks, steps, NULL, evaluate_item);
    if (st != ML_OK)
        return st;
    double sl = 0.0, sa = 0.0;
    for (size_t i = 0; i < n; i++) {
        sl += l->task_vals[2 * i];
        sa += l->task_vals[2 * i + 1];
        if (per_task)
            per_task[i] = l->task_vals[2 * i];
    }
    if (loss)
        *loss = sl / (double)n;
    if (acc)
        *acc = sa / (double)n;
    return ML_OK;
}

/* Outputs of n inputs after adapting to the task's support set: the
 * adapted model's outputs, or a metric strategy's class scores. */
static ml_ad_node *predict_node(ml_learner *l, ml_worker *w, const ml_task *task,
                                int steps, size_t n, const float *inputs)
{
    ml_ad_tape *t = &w->tape;
    const ml_model *m = l->model;
    if (l->ops->episode) {
        ml_ad_tape_reset(t);
        ml_ad_node **p = ml_metric_params(l, t, 0);
        return p ? l->ops->episode(l, t, p, task, inputs, n, NULL).scores : NULL;
    }
    ml_status st = ml_meta_adapt_plain(l, w, task, steps, NULL);
    ml_ad_tape_reset(t);
    if (st != ML_OK) {
        /* A copy first: the thread's message cannot be formatted into
         * itself (vsnprintf's source and destination must not overlap). */
        char msg[ML_ERRMSG_MAX];
        memcpy(msg, ml_last_error(), ML_ERRMSG_MAX);
        return ml_ad_fail(t, st, "%s", msg);
    }
    ml_ad_node **p = ml_arena_alloc(&t->arena, m->ntensors * sizeof *p);
    if (!p)
        return ml_ad_fail(t, ML_ERR_NOMEM, "predict: out of memory");
    ml_nn_param_leaves(t, m, w->phi, 0, p);
    int xs[2] = {(int)n, (int)task->in_size};
    return ml_nn_forward(t, m, p, ml_ad_leaf(t, 2, xs, (float *)inputs, 0));
}

ml_status ml_meta_predict(ml_learner *l, const ml_task *task, int steps, size_t n,
                          const float *inputs, float *out, int *labels)
{
    ml_worker *w = &l->workers[0];
    ml_ad_tape *t = &w->tape;
    ml_ad_node *y = predict_node(l, w, task, steps, n, inputs);
    if (t->status != ML_OK || !y)
        return ml_error(l->err, t->status != ML_OK ? t->status : ML_ERR_INTERNAL, "%s",
                        t->msg);
    memcpy(out, y->val, y->size * sizeof(float));
    for (size_t i = 0; labels && i < n; i++) {
        size_t c = task->out_size, best = 0;
        for (size_t j = 1; j < c; j++)
            if (y->val[i * c + j] > y->val[i * c + best])
                best = j;
        labels[i] = (int)best;
    }
    for (size_t i = 0; i < y->size; i++)
        if (!isfinite(out[i]))
            return ml_error(l->err, ML_ERR_NUMERIC, "prediction %zu is not finite", i);
    return ML_OK;
}
