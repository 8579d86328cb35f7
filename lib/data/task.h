/* Tasks: a support set and a query set, stored in one allocation. */
#ifndef ML_DATA_TASK_H
#define ML_DATA_TASK_H

#include "metalearn.h"

struct ml_task {
    size_t in_size;     /* floats per input */
    size_t out_size;    /* floats per target (regression) or classes */
    size_t ways;        /* classes; 0 for regression */
    size_t n[2];        /* examples in support, query */
    float *x[2];        /* inputs [n, in_size] */
    float *y[2];        /* regression targets [n, out_size]; NULL for classification */
    int *labels[2];     /* class labels [n]; NULL for regression */
};

/* A task with room for the given sizes, contents uninitialised. */
ml_status ml_task_alloc(ml_task **out, size_t in_size, size_t out_size,
                        size_t ways, size_t n_support, size_t n_query);

#endif
