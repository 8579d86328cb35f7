#include "data/task.h"

#include "core/alloc.h"
#include "core/error.h"

#include <stdalign.h>
#include <stdint.h>
#include <string.h>

ml_status ml_task_alloc(ml_task **out, size_t in_size, size_t out_size,
                        size_t ways, size_t n_support, size_t n_query)
{
    const size_t limit = (size_t)1 << 40;
    size_t n = n_support + n_query;
    if (in_size > limit || out_size > limit || n > limit ||
        (in_size && n > limit / in_size) || (out_size && n > limit / out_size))
        return ml_error(NULL, ML_ERR_INVALID_ARG, "task: sizes too large");
    size_t fx = n * in_size, fy = ways ? 0 : n * out_size, nl = ways ? n : 0;
    size_t bytes = sizeof(ml_task) + (fx + fy) * sizeof(float) + nl * sizeof(int);
    ml_task *t = ml_malloc(bytes);
    if (!t)
        return ml_error(NULL, ML_ERR_NOMEM, "task: out of memory for %zu bytes", bytes);
    memset(t, 0, sizeof *t);
    t->in_size = in_size;
    t->out_size = out_size;
    t->ways = ways;
    t->n[0] = n_support;
    t->n[1] = n_query;
    float *f = (float *)(t + 1);
    t->x[0] = f;
    t->x[1] = f + n_support * in_size;
    f += fx;
    if (!ways) {
        t->y[0] = f;
        t->y[1] = f + n_support * out_size;
    } else {
        int *l = (int *)(f);
        t->labels[0] = l;
        t->labels[1] = l + n_support;
    }
    *out = t;
    return ML_OK;
}
