/* A problem family defined by the caller's callbacks. */
#include "optim/problems.h"

#include "core/alloc.h"

#include <math.h>

typedef struct callbacks {
    ml_problem_sample_fn sample;
    ml_problem_objective_fn objective;
    ml_problem_release_fn release;
    void *user;
} callbacks;

static ml_status sample(const ml_problems *p, uint64_t seed, float *theta0, void **inst,
                        char *msg)
{
    const callbacks *c = p->impl;
    void *prob = NULL;
    int rc = c->sample(c->user, seed, p->dim, theta0, &prob);
    if (rc != 0)
        return ml_error(msg, ML_ERR_CALLBACK,
                        "problem sampler callback failed (returned %d) for seed %llu", rc,
                        (unsigned long long)seed);
    for (size_t i = 0; i < p->dim; i++)
        if (!isfinite(theta0[i])) {
            if (c->release)
                c->release(c->user, prob);
            return ml_error(msg, ML_ERR_NUMERIC,
                            "problem sampler callback: starting parameter %zu is not finite",
                            i);
        }
    *inst = prob;
    return ML_OK;
}

static ml_status eval(const ml_problems *p, void *inst, const float *theta, float *grad,
                      double *value, char *msg)
{
    const callbacks *c = p->impl;
    *value = NAN;
    int rc = c->objective(c->user, inst, p->dim, theta, grad, value);
    if (rc != 0)
        return ml_error(msg, ML_ERR_CALLBACK, "objective callback failed (returned %d)",
                        rc);
    return ML_OK;
}

static void release(const ml_problems *p, void *inst)
{
    const callbacks *c = p->impl;
    if (c->release)
        c->release(c->user, inst);
}

static void destroy(ml_problems *p)
{
    ml_free(p->impl);
}

const ml_problems_ops ml_problems_callback_ops = {
    .name = "callback",
    .sample = sample,
    .eval = eval,
    .eval_graph = NULL,
    .release = release,
    .destroy = destroy,
};

ml_status ml_problems_create_callback(ml_problems **out, size_t n_params,
                                      ml_problem_sample_fn sample_fn,
                                      ml_problem_objective_fn objective,
                                      ml_problem_release_fn release_fn, void *user)
{
    if (!out)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_problems_create_callback: NULL out");
    *out = NULL;
    if (!sample_fn || !objective || n_params == 0 || n_params > (size_t)1 << 26)
        return ml_error(NULL, ML_ERR_INVALID_ARG,
                        "ml_problems_create_callback: NULL callback, or n_params outside "
                        "1..2^26");
    callbacks *c = ml_malloc(sizeof *c);
    if (!c)
        return ml_error(NULL, ML_ERR_NOMEM, "ml_problems_create_callback: out of memory");
    c->sample = sample_fn;
    c->objective = objective;
    c->release = release_fn;
    c->user = user;
    ml_status st = ml_problems_new(out, &ml_problems_callback_ops, n_params, c);
    if (st != ML_OK)
        ml_free(c);
    return st;
}
