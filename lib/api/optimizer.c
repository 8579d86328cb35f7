/* Public optimiser functions. */
#include "optim/optimizer.h"

#include "core/alloc.h"

ml_status ml_optimizer_create(ml_optimizer **out, ml_optimizer_kind kind)
{
    if (!out)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_optimizer_create: NULL out");
    *out = NULL;
    if (!ml_opt_kind_valid((int)kind))
        return ml_error(NULL, ML_ERR_INVALID_ARG,
                        "ml_optimizer_create: unknown kind %d", (int)kind);
    ml_optimizer *o = ml_malloc(sizeof *o);
    if (!o)
        return ml_error(NULL, ML_ERR_NOMEM, "ml_optimizer_create: out of memory");
    ml_opt_init(o, (int)kind);
    *out = o;
    return ML_OK;
}

ml_status ml_optimizer_set(ml_optimizer *opt, ml_optimizer_param key, double value)
{
    if (!opt)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_optimizer_set: NULL optimizer");
    return ml_opt_set(opt, (int)key, value);
}

ml_status ml_optimizer_get(const ml_optimizer *opt, ml_optimizer_param key, double *out)
{
    if (!opt || !out)
        return ml_error(opt ? (char *)opt->err : NULL, ML_ERR_INVALID_ARG,
                        "ml_optimizer_get: NULL argument");
    return ml_opt_get(opt, (int)key, out);
}

int ml_optimizer_kind_of(const ml_optimizer *opt)
{
    return opt ? opt->kind : 0;
}

ml_status ml_optimizer_step(ml_optimizer *opt, size_t n, float *params, const float *grads)
{
    if (!opt || !params || !grads || n == 0)
        return ml_error(opt ? opt->err : NULL, ML_ERR_INVALID_ARG,
                        "ml_optimizer_step: NULL argument or no parameters");
    /* No array of that many floats fits in memory: the count is wrong, and
     * reading that far would run off the caller's buffers.  (Once a step
     * has fixed the size, any other count is a shape error.) */
    if (n > SIZE_MAX / sizeof(float) && !opt->n)
        return ml_error(opt->err, ML_ERR_INVALID_ARG, "ml_optimizer_step: %zu parameters", n);
    return ml_opt_step(opt, n, params, grads);
}

ml_status ml_optimizer_reset(ml_optimizer *opt)
{
    if (!opt)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_optimizer_reset: NULL optimizer");
    ml_opt_clear_state(opt);
    return ML_OK;
}

void ml_optimizer_free(ml_optimizer *opt)
{
    if (!opt)
        return;
    ml_opt_clear_state(opt);
    ml_free(opt);
}

const char *ml_optimizer_last_error(const ml_optimizer *opt)
{
    return opt ? opt->err : "";
}
