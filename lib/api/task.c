/* Public task functions. */
#include "data/task.h"

#include "core/alloc.h"
#include "core/error.h"

#include <math.h>
#include <string.h>

static int all_finite(const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

/* Checks shared by both constructors; fy/labels as the kind needs. */
static ml_status check_half(const char *fn, const char *which, size_t n,
                            const float *x, size_t in, const float *y, size_t out,
                            const int *labels, size_t ways)
{
    if (n == 0)
        return ML_OK;
    if (!x || (ways ? !labels : !y))
        return ml_error(NULL, ML_ERR_INVALID_ARG, "%s: NULL %s array", fn, which);
    if (!all_finite(x, n * in) || (!ways && !all_finite(y, n * out)))
        return ml_error(NULL, ML_ERR_NUMERIC, "%s: non-finite value in the %s set", fn,
                        which);
    for (size_t i = 0; ways && i < n; i++)
        if (labels[i] < 0 || (size_t)labels[i] >= ways)
            return ml_error(NULL, ML_ERR_RANGE, "%s: %s label %d outside 0..%zu", fn,
                            which, labels[i], ways - 1);
    return ML_OK;
}

/* memcpy that accepts an empty half (NULL source, 0 bytes). */
static void copy_bytes(void *dst, const void *src, size_t n)
{
    if (src && n)
        memcpy(dst, src, n);
}

static ml_status create(const char *fn, ml_task **out, size_t in, size_t outsz,
                        size_t ways, size_t ns, const float *xs, const float *ys,
                        const int *ls, size_t nq, const float *xq, const float *yq,
                        const int *lq)
{
    if (!out)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "%s: NULL out", fn);
    *out = NULL;
    if (in == 0 || outsz == 0 || ns == 0)
        return ml_error(NULL, ML_ERR_INVALID_ARG,
                        "%s: sizes must be at least 1 (input %zu, output %zu, support %zu)",
                        fn, in, outsz, ns);
    if (in > (1u << 24) || outsz > (1u << 24) || ns > (1u << 24) || nq > (1u << 24))
        return ml_error(NULL, ML_ERR_INVALID_ARG, "%s: sizes too large", fn);
    ml_status st = check_half(fn, "support", ns, xs, in, ys, outsz, ls, ways);
    if (st == ML_OK)
        st = check_half(fn, "query", nq, xq, in, yq, outsz, lq, ways);
    if (st != ML_OK)
        return st;
    ml_task *t;
    if ((st = ml_task_alloc(&t, in, outsz, ways, ns, nq)) != ML_OK)
        return st;
    copy_bytes(t->x[0], xs, ns * in * sizeof(float));
    copy_bytes(t->x[1], xq, nq * in * sizeof(float));
    if (ways) {
        copy_bytes(t->labels[0], ls, ns * sizeof(int));
        copy_bytes(t->labels[1], lq, nq * sizeof(int));
    } else {
        copy_bytes(t->y[0], ys, ns * outsz * sizeof(float));
        copy_bytes(t->y[1], yq, nq * outsz * sizeof(float));
    }
    *out = t;
    return ML_OK;
}

ml_status ml_task_create_regression(ml_task **out, size_t input_size,
                                    size_t output_size, size_t n_support,
                                    const float *x_support, const float *y_support,
                                    size_t n_query, const float *x_query,
                                    const float *y_query)
{
    return create("ml_task_create_regression", out, input_size, output_size, 0,
                  n_support, x_support, y_support, NULL, n_query, x_query, y_query,
                  NULL);
}

ml_status ml_task_create_classification(ml_task **out, size_t input_size,
                                        size_t n_ways, size_t n_support,
                                        const float *x_support,
                                        const int *labels_support, size_t n_query,
                                        const float *x_query, const int *labels_query)
{
    return create("ml_task_create_classification", out, input_size, n_ways, n_ways,
                  n_support, x_support, NULL, labels_support, n_query, x_query, NULL,
                  labels_query);
}

void ml_task_free(ml_task *task)
{
    ml_free(task);
}

size_t ml_task_size(const ml_task *task, ml_set set)
{
    return task && (set == ML_SUPPORT || set == ML_QUERY) ? task->n[set] : 0;
}

size_t ml_task_input_size(const ml_task *task)
{
    return task ? task->in_size : 0;
}

size_t ml_task_output_size(const ml_task *task)
{
    return task ? task->out_size : 0;
}

size_t ml_task_num_ways(const ml_task *task)
{
    return task ? task->ways : 0;
}

static ml_status check_get(const char *fn, const ml_task *task, ml_set set,
                           const void *out, size_t count, size_t want)
{
    if (!task || !out || (set != ML_SUPPORT && set != ML_QUERY))
        return ml_error(NULL, ML_ERR_INVALID_ARG, "%s: NULL argument or bad set", fn);
    if (count != want)
        return ml_error(NULL, ML_ERR_SHAPE, "%s: count %zu, the task holds %zu", fn,
                        count, want);
    return ML_OK;
}

ml_status ml_task_get_inputs(const ml_task *task, ml_set set, float *out, size_t count)
{
    ml_status st = check_get("ml_task_get_inputs", task, set, out, count,
                             task && (set == ML_SUPPORT || set == ML_QUERY) ? task->n[set] * task->in_size : 0);
    if (st == ML_OK)
        memcpy(out, task->x[set], count * sizeof(float));
    return st;
}

ml_status ml_task_get_targets(const ml_task *task, ml_set set, float *out, size_t count)
{
    if (task && task->ways)
        return ml_error(NULL, ML_ERR_UNSUPPORTED,
                        "ml_task_get_targets: a classification task has labels");
    ml_status st = check_get("ml_task_get_targets", task, set, out, count,
                             task && (set == ML_SUPPORT || set == ML_QUERY) ? task->n[set] * task->out_size : 0);
    if (st == ML_OK)
        memcpy(out, task->y[set], count * sizeof(float));
    return st;
}

ml_status ml_task_get_labels(const ml_task *task, ml_set set, int *out, size_t count)
{
    if (task && !task->ways)
        return ml_error(NULL, ML_ERR_UNSUPPORTED,
                        "ml_task_get_labels: a regression task has no labels");
    ml_status st = check_get("ml_task_get_labels", task, set, out, count,
                             task && (set == ML_SUPPORT || set == ML_QUERY) ? task->n[set] : 0);
    if (st == ML_OK)
        memcpy(out, task->labels[set], count * sizeof(int));
    return st;
}
