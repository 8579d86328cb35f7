/* Public sampler functions; the common parameters live here, the
 * kind-specific ones in the sampler's ops. */
#include "data/sampler.h"

#include "core/alloc.h"

#include <math.h>
#include <string.h>

ml_status ml_sampler_new(ml_sampler **out, const ml_sampler_ops *ops, uint64_t seed)
{
    ml_sampler *s = ml_calloc(1, sizeof *s);
    if (!s)
        return ml_error(NULL, ML_ERR_NOMEM, "sampler: out of memory");
    s->ops = ops;
    ml_rng_seed(&s->rng, seed);
    s->shots = 1;
    s->queries = 1;
    s->ways = 1;
    *out = s;
    return ML_OK;
}

static size_t *count_of(ml_sampler *s, int key)
{
    switch (key) {
    case ML_SAMPLER_SHOTS: return &s->shots;
    case ML_SAMPLER_QUERIES: return &s->queries;
    case ML_SAMPLER_WAYS: return s->ops->has_ways ? &s->ways : NULL;
    default: return NULL;
    }
}

ml_status ml_sampler_set(ml_sampler *sampler, ml_sampler_param key, double value)
{
    if (!sampler)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_sampler_set: NULL sampler");
    if (!isfinite(value))
        return ml_error(sampler->err, ML_ERR_INVALID_ARG,
                        "ml_sampler_set: value is not finite");
    size_t *c = count_of(sampler, (int)key);
    if (c) {
        /* Queries may be 0 (tasks used only to adapt); the others not. */
        double lo = key == ML_SAMPLER_QUERIES ? 0 : 1;
        if (value < lo || value > (1 << 20) || value != floor(value))
            return ml_error(sampler->err, ML_ERR_INVALID_ARG,
                            "ml_sampler_set: count %g must be a whole number in [%g, 2^20]",
                            value, lo);
        *c = (size_t)value;
        return ML_OK;
    }
    return sampler->ops->set(sampler, (int)key, value);
}

ml_status ml_sampler_get(const ml_sampler *sampler, ml_sampler_param key, double *out)
{
    if (!sampler || !out)
        return ml_error(sampler ? (char *)sampler->err : NULL, ML_ERR_INVALID_ARG,
                        "ml_sampler_get: NULL argument");
    size_t *c = count_of((ml_sampler *)sampler, (int)key);
    if (c) {
        *out = (double)*c;
        return ML_OK;
    }
    return sampler->ops->get(sampler, (int)key, out);
}

ml_status ml_sampler_reseed(ml_sampler *sampler, uint64_t seed)
{
    if (!sampler)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_sampler_reseed: NULL sampler");
    ml_rng_seed(&sampler->rng, seed);
    return ML_OK;
}

ml_status ml_sampler_sample(ml_sampler *sampler, ml_task **out)
{
    if (out)
        *out = NULL;
    if (!sampler || !out)
        return ml_error(sampler ? sampler->err : NULL, ML_ERR_INVALID_ARG,
                        "ml_sampler_sample: NULL argument");
    ml_status st = sampler->ops->sample(sampler, out);
    if (st != ML_OK)
        memcpy(sampler->err, ml_last_error(), ML_ERRMSG_MAX);
    return st;
}

void ml_sampler_free(ml_sampler *sampler)
{
    if (!sampler)
        return;
    if (sampler->ops->destroy)
        sampler->ops->destroy(sampler);
    ml_free(sampler);
}

const char *ml_sampler_last_error(const ml_sampler *sampler)
{
    return sampler ? sampler->err : "";
}
