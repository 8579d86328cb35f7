/* Task samplers: a small table of functions per kind. */
#ifndef ML_DATA_SAMPLER_H
#define ML_DATA_SAMPLER_H

#include "core/error.h"
#include "core/rng.h"
#include "metalearn.h"

typedef struct ml_sampler_ops {
    const char *name;
    int has_ways;          /* classification sampler: ML_SAMPLER_WAYS applies */
    /* Sets or gets one parameter; ML_ERR_INVALID_ARG for unknown keys. */
    ml_status (*set)(ml_sampler *s, int key, double value);
    ml_status (*get)(const ml_sampler *s, int key, double *out);
    ml_status (*sample)(ml_sampler *s, ml_task **out);
    void (*destroy)(ml_sampler *s);
} ml_sampler_ops;

struct ml_sampler {
    const ml_sampler_ops *ops;
    ml_rng rng;
    size_t shots, queries, ways;
    void *impl;            /* kind-specific state */
    char err[ML_ERRMSG_MAX];
};

ml_status ml_sampler_new(ml_sampler **out, const ml_sampler_ops *ops, uint64_t seed);

#endif
