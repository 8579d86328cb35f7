/* Problem families: the common handle, the quadratic constructor, and
 * running any optimiser on one problem (ml_problems_run). */
#include "optim/problems.h"

#include "core/alloc.h"
#include "optim/optimizer.h"

#include <math.h>

ml_status ml_problems_new(ml_problems **out, const ml_problems_ops *ops, size_t dim,
                          void *impl)
{
    ml_problems *p = ml_malloc(sizeof *p);
    if (!p)
        return ml_error(NULL, ML_ERR_NOMEM, "problems: out of memory");
    atomic_init(&p->refs, 1);
    p->ops = ops;
    p->dim = dim;
    p->impl = impl;
    *out = p;
    return ML_OK;
}

ml_status ml_problems_sample_all(const ml_problems *p, size_t count, const uint64_t *seeds,
                                 float *theta0, void **inst, char *msg)
{
    for (size_t i = 0; i < count; i++) {
        ml_status st = p->ops->sample(p, seeds[i], theta0 + i * p->dim, &inst[i], msg);
        if (st != ML_OK) {
            ml_problems_release_all(p, i, inst);
            return st;
        }
    }
    return ML_OK;
}

void ml_problems_release_all(const ml_problems *p, size_t count, void **inst)
{
    for (size_t i = 0; i < count; i++) {
        p->ops->release(p, inst[i]);
        inst[i] = NULL;
    }
}

ml_status ml_problems_create_quadratic(ml_problems **out, size_t dim)
{
    if (!out)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_problems_create_quadratic: NULL out");
    *out = NULL;
    if (dim == 0 || dim > 4096)
        return ml_error(NULL, ML_ERR_INVALID_ARG,
                        "ml_problems_create_quadratic: dim %zu outside 1..4096", dim);
    return ml_problems_new(out, &ml_problems_quadratic_ops, dim, NULL);
}

size_t ml_problems_dim(const ml_problems *problems)
{
    return problems ? problems->dim : 0;
}

const ml_problems *ml_problems_ref(const ml_problems *p)
{
    atomic_fetch_add(&((ml_problems *)p)->refs, 1);
    return p;
}

void ml_problems_unref(const ml_problems *p)
{
    ml_problems *q = (ml_problems *)p;
    if (!q || atomic_fetch_sub(&q->refs, 1) != 1)
        return;
    q->ops->destroy(q);
    ml_free(q);
}

void ml_problems_free(ml_problems *problems)
{
    ml_problems_unref(problems);
}

/* The first non-finite entry of v, or n. */
static size_t first_nonfinite(const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return i;
    return n;
}

ml_status ml_problems_run(const ml_problems *problems, ml_optimizer *opt, uint64_t seed,
                          size_t steps, double *losses)
{
    if (!problems || !opt || !losses || steps == 0)
        return ml_error(opt ? opt->err : NULL, ML_ERR_INVALID_ARG,
                        "ml_problems_run: NULL argument or steps 0");
    /* steps + 1 doubles must be an array that can exist: a larger count is
     * wrong, and writing the losses would run off the caller's buffer. */
    if (steps >= SIZE_MAX / sizeof *losses)
        return ml_error(opt->err, ML_ERR_INVALID_ARG, "ml_problems_run: too many steps");
    for (size_t s = 0; s <= steps; s++)
        losses[s] = NAN;
    const size_t d = problems->dim;
    float *theta = ml_malloc(2 * d * sizeof(float));
    if (!theta)
        return ml_error(opt->err, ML_ERR_NOMEM, "ml_problems_run: out of memory");
    float *grad = theta + d;
    void *inst = NULL;
    ml_opt_clear_state(opt);
    ml_status st = problems->ops->sample(problems, seed, theta, &inst, opt->err);
    if (st != ML_OK) {
        ml_free(theta);
        return st;
    }
    for (size_t s = 0; s <= steps && st == ML_OK; s++) {
        double f;
        st = problems->ops->eval(problems, inst, theta, grad, &f, opt->err);
        if (st != ML_OK)
            break;
        size_t bad = first_nonfinite(grad, d);
        if (!isfinite(f) || bad < d) {
            st = ml_error(opt->err, ML_ERR_NUMERIC,
                          "ml_problems_run: the %s at step %zu is not finite",
                          isfinite(f) ? "gradient" : "objective", s);
            break;
        }
        losses[s] = f;
        if (s < steps)
            st = ml_opt_step(opt, d, theta, grad);
    }
    problems->ops->release(problems, inst);
    ml_free(theta);
    return st;
}
