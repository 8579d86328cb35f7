/* Public data set functions: argument checks and handles around the shared
 * storage of lib/data. */
#include "data/dataset.h"

#include "core/alloc.h"

#include <math.h>
#include <string.h>

/* A handle around d, taking over the caller's reference. */
static ml_status wrap(ml_dataset **out, ml_data *d, const char *fn)
{
    ml_dataset *ds = ml_calloc(1, sizeof *ds);
    if (!ds) {
        ml_data_unref(d);
        return ml_error(NULL, ML_ERR_NOMEM, "%s: out of memory", fn);
    }
    ds->data = d;
    *out = ds;
    return ML_OK;
}

ml_status ml_dataset_create(ml_dataset **out, size_t n, size_t ndim, const size_t *shape,
                            const float *x, const int *labels)
{
    static const char fn[] = "ml_dataset_create";
    if (!out)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "%s: NULL out", fn);
    *out = NULL;
    if (!shape || !x || !labels)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "%s: NULL shape, x or labels", fn);
    if (n == 0 || n > ML_DATA_MAX_N)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "%s: %zu examples (1 to 2^31-1)", fn, n);
    if (ndim < 1 || ndim > 3)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "%s: rank %zu (1 to 3)", fn, ndim);
    size_t in = 1;
    for (size_t k = 0; k < ndim; k++) {
        if (shape[k] == 0 || shape[k] > ((size_t)1 << 31) / in)
            return ml_error(NULL, ML_ERR_INVALID_ARG,
                            "%s: shape size %zu is 0 or the example is too large", fn,
                            shape[k]);
        in *= shape[k];
    }
    if (in > (SIZE_MAX / sizeof(float)) / n)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "%s: %zu examples of %zu floats overflow",
                        fn, n, in);
    for (size_t i = 0; i < n; i++)
        if (labels[i] < 0)
            return ml_error(NULL, ML_ERR_INVALID_ARG, "%s: label %d of example %zu is negative",
                            fn, labels[i], i);
    for (size_t i = 0; i < n * in; i++)
        if (!isfinite(x[i]))
            return ml_error(NULL, ML_ERR_NUMERIC, "%s: value %zu of example %zu is not finite",
                            fn, i % in, i / in);
    ml_data *d;
    ml_status st = ml_data_new_numeric(&d, n, ndim, shape, labels);
    if (st != ML_OK)
        return st;
    memcpy(d->x, x, n * in * sizeof(float));
    return wrap(out, d, fn);
}

ml_status ml_dataset_load_images(ml_dataset **out, const char *dir, size_t size, int invert)
{
    static const char fn[] = "ml_dataset_load_images";
    if (!out)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "%s: NULL out", fn);
    *out = NULL;
    if (!dir)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "%s: NULL dir", fn);
    if (size < 1 || size > 1024)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "%s: size %zu (1 to 1024)", fn, size);
    ml_data *d;
    ml_status st = ml_data_load_images(&d, dir, size, invert);
    return st == ML_OK ? wrap(out, d, fn) : st;
}

ml_status ml_dataset_load_idx(ml_dataset **out, const char *images_path,
                              const char *labels_path)
{
    static const char fn[] = "ml_dataset_load_idx";
    if (!out)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "%s: NULL out", fn);
    *out = NULL;
    if (!images_path || !labels_path)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "%s: NULL path", fn);
    ml_data *d;
    ml_status st = ml_data_load_idx(&d, images_path, labels_path);
    return st == ML_OK ? wrap(out, d, fn) : st;
}

void ml_dataset_free(ml_dataset *dataset)
{
    if (!dataset)
        return;
    ml_data_unref(dataset->data);
    ml_free(dataset);
}

size_t ml_dataset_size(const ml_dataset *dataset)
{
    return dataset ? dataset->data->n : 0;
}

size_t ml_dataset_num_classes(const ml_dataset *dataset)
{
    return dataset ? dataset->data->n_classes : 0;
}

size_t ml_dataset_input_size(const ml_dataset *dataset)
{
    return dataset ? dataset->data->input_size : 0;
}

ml_status ml_dataset_shape(const ml_dataset *dataset, size_t *out_ndim, size_t *shape)
{
    if (!dataset)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_dataset_shape: NULL dataset");
    if (!out_ndim || !shape)
        return ml_error((char *)dataset->err, ML_ERR_INVALID_ARG,
                        "ml_dataset_shape: NULL out_ndim or shape");
    const ml_data *d = dataset->data;
    *out_ndim = d->ndim;
    for (size_t k = 0; k < d->ndim; k++)
        shape[k] = d->shape[k];
    return ML_OK;
}

const char *ml_dataset_class_name(const ml_dataset *dataset, size_t i)
{
    return dataset && i < dataset->data->n_classes ? dataset->data->names[i] : NULL;
}

const char *ml_dataset_class_group(const ml_dataset *dataset, size_t i)
{
    return dataset && i < dataset->data->n_classes ? dataset->data->groups[i] : NULL;
}

ml_status ml_dataset_get(const ml_dataset *dataset, size_t i, float *x, size_t count,
                         int *label)
{
    if (!dataset)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_dataset_get: NULL dataset");
    char *err = (char *)dataset->err;
    const ml_data *d = dataset->data;
    if (!x)
        return ml_error(err, ML_ERR_INVALID_ARG, "ml_dataset_get: NULL x");
    if (i >= d->n)
        return ml_error(err, ML_ERR_RANGE, "ml_dataset_get: example %zu of %zu", i, d->n);
    if (count != d->input_size)
        return ml_error(err, ML_ERR_SHAPE, "ml_dataset_get: count %zu, examples have %zu floats",
                        count, d->input_size);
    memcpy(x, d->x + i * d->input_size, count * sizeof *x);
    if (label)
        *label = d->labels[i];
    return ML_OK;
}

ml_status ml_dataset_split(const ml_dataset *dataset, ml_split_rule rule, const char *spec,
                           uint64_t seed, ml_dataset **out_selected, ml_dataset **out_rest)
{
    static const char fn[] = "ml_dataset_split";
    if (out_selected)
        *out_selected = NULL;
    if (out_rest)
        *out_rest = NULL;
    if (!dataset)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "%s: NULL dataset", fn);
    char *err = (char *)dataset->err;
    if (!spec)
        return ml_error(err, ML_ERR_INVALID_ARG, "%s: NULL spec", fn);
    ml_data *sel = NULL, *rest = NULL;
    ml_status st = ml_data_split(dataset->data, rule, spec, seed,
                                 out_selected ? &sel : NULL, out_rest ? &rest : NULL);
    if (st != ML_OK) {
        memcpy(err, ml_last_error(), ML_ERRMSG_MAX);
        return st;
    }
    ml_dataset *a = NULL, *b = NULL;
    if (sel && (st = wrap(&a, sel, fn)) != ML_OK) {
        ml_data_unref(rest);
        memcpy(err, ml_last_error(), ML_ERRMSG_MAX);
        return st;
    }
    if (rest && (st = wrap(&b, rest, fn)) != ML_OK) {
        ml_dataset_free(a);
        memcpy(err, ml_last_error(), ML_ERRMSG_MAX);
        return st;
    }
    if (out_selected)
        *out_selected = a;
    if (out_rest)
        *out_rest = b;
    return ML_OK;
}

const char *ml_dataset_last_error(const ml_dataset *dataset)
{
    return dataset ? dataset->err : "";
}
