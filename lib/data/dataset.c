/* The shared storage of data sets: allocation, class index, reference
 * counting. */
#include "data/dataset.h"

#include "core/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *ml_data_strdup(const char *s)
{
    size_t len = strlen(s) + 1;
    char *c = ml_malloc(len);
    if (c)
        memcpy(c, s, len);
    return c;
}

static void data_destroy(ml_data *d)
{
    if (d->names)
        for (size_t c = 0; c < d->n_classes; c++)
            ml_free(d->names[c]);
    if (d->groups)
        for (size_t c = 0; c < d->n_classes; c++)
            ml_free(d->groups[c]);
    ml_free(d->names);
    ml_free(d->groups);
    ml_free(d->x);
    ml_free(d->labels);
    ml_free(d->by_class);
    ml_free(d->class_start);
    ml_free(d);
}

ml_status ml_data_new(ml_data **out, size_t n, size_t ndim, const size_t *shape,
                      size_t n_classes)
{
    *out = NULL;
    if (n == 0 || n > ML_DATA_MAX_N || n_classes == 0 || n_classes > n || ndim < 1 ||
        ndim > 3)
        return ml_error(NULL, ML_ERR_INVALID_ARG,
                        "data set: %zu examples of rank %zu in %zu classes is not possible",
                        n, ndim, n_classes);
    size_t in = 1;
    for (size_t k = 0; k < ndim; k++) {
        if (shape[k] == 0 || shape[k] > ((size_t)1 << 31) / in)
            return ml_error(NULL, ML_ERR_INVALID_ARG,
                            "data set: example shape is empty or too large");
        in *= shape[k];
    }
    /* The floats must be addressable: n * in * 4 bytes without overflow. */
    if (in > (SIZE_MAX / sizeof(float)) / n)
        return ml_error(NULL, ML_ERR_NOMEM, "data set: %zu x %zu floats do not fit in memory",
                        n, in);
    ml_data *d = ml_calloc(1, sizeof *d);
    if (!d)
        return ml_error(NULL, ML_ERR_NOMEM, "data set: out of memory");
    atomic_init(&d->refs, 1);
    d->n = n;
    d->input_size = in;
    d->ndim = ndim;
    for (size_t k = 0; k < ndim; k++)
        d->shape[k] = shape[k];
    d->n_classes = n_classes;
    d->x = ml_malloc(n * in * sizeof(float));
    d->labels = ml_malloc(n * sizeof(int));
    d->names = ml_calloc(n_classes, sizeof(char *));
    d->groups = ml_calloc(n_classes, sizeof(char *));
    d->by_class = ml_malloc(n * sizeof(size_t));
    d->class_start = ml_malloc((n_classes + 1) * sizeof(size_t));
    if (!d->x || !d->labels || !d->names || !d->groups || !d->by_class ||
        !d->class_start) {
        data_destroy(d);
        return ml_error(NULL, ML_ERR_NOMEM,
                        "data set: out of memory for %zu examples of %zu floats", n, in);
    }
    *out = d;
    return ML_OK;
}

ml_status ml_data_index(ml_data *d)
{
    /* Counting sort of the example indices by label: stable, so each
     * class's examples stay in ascending order. */
    size_t *start = d->class_start;
    memset(start, 0, (d->n_classes + 1) * sizeof *start);
    for (size_t i = 0; i < d->n; i++) {
        if (d->labels[i] < 0 || (size_t)d->labels[i] >= d->n_classes)
            return ml_error(NULL, ML_ERR_INTERNAL, "data set: label %d out of range",
                            d->labels[i]);
        start[d->labels[i] + 1]++;
    }
    for (size_t c = 0; c < d->n_classes; c++) {
        if (start[c + 1] == 0)
            return ml_error(NULL, ML_ERR_INTERNAL, "data set: class %zu has no examples", c);
        start[c + 1] += start[c];
    }
    for (size_t i = 0; i < d->n; i++)
        d->by_class[start[d->labels[i]]++] = i;
    /* The fill advanced each start to the next class's: shift back. */
    for (size_t c = d->n_classes; c > 0; c--)
        start[c] = start[c - 1];
    start[0] = 0;
    for (size_t c = 0; c < d->n_classes; c++) {
        if (!d->names[c])
            return ml_error(NULL, ML_ERR_INTERNAL, "data set: class %zu has no name", c);
        if (!d->groups[c] && !(d->groups[c] = ml_data_strdup("")))
            return ml_error(NULL, ML_ERR_NOMEM, "data set: out of memory");
    }
    return ML_OK;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

ml_status ml_data_new_numeric(ml_data **out, size_t n, size_t ndim, const size_t *shape,
                              const int *labels)
{
    *out = NULL;
    if (n == 0 || n > ML_DATA_MAX_N)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "data set: %zu examples", n);
    /* The distinct labels, ascending: sort a copy and drop repeats. */
    int *values = ml_malloc(n * sizeof(int));
    if (!values)
        return ml_error(NULL, ML_ERR_NOMEM, "data set: out of memory");
    memcpy(values, labels, n * sizeof(int));
    qsort(values, n, sizeof(int), cmp_int);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (values[i] != values[k - 1])
            values[k++] = values[i];
    ml_data *d;
    ml_status st = ml_data_new(&d, n, ndim, shape, k);
    if (st != ML_OK) {
        ml_free(values);
        return st;
    }
    for (size_t i = 0; i < n; i++) {
        const int *hit = bsearch(&labels[i], values, k, sizeof(int), cmp_int);
        d->labels[i] = (int)(hit - values);
    }
    for (size_t c = 0; c < k; c++) {
        char buf[16];
        snprintf(buf, sizeof buf, "%d", values[c]);
        if (!(d->names[c] = ml_data_strdup(buf))) {
            st = ml_error(NULL, ML_ERR_NOMEM, "data set: out of memory");
            break;
        }
    }
    ml_free(values);
    if (st == ML_OK)
        st = ml_data_index(d);
    if (st != ML_OK) {
        ml_data_unref(d);
        return st;
    }
    *out = d;
    return ML_OK;
}

ml_data *ml_data_ref(ml_data *d)
{
    /* Taking a reference needs no ordering: the caller already holds one. */
    atomic_fetch_add_explicit(&d->refs, 1, memory_order_relaxed);
    return d;
}

void ml_data_unref(ml_data *d)
{
    if (!d)
        return;
    /* acq_rel: the thread that frees must see every other thread's reads
     * finished (they happen before their release). */
    if (atomic_fetch_sub_explicit(&d->refs, 1, memory_order_acq_rel) == 1)
        data_destroy(d);
}
