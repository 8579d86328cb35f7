/* Public optimiser functions. */
#include "optim/optimizer.h"

#include "core/alloc.h"
#include "optim/lstm.h"
#include "optim/problems.h"

#include <math.h>
#include <string.h>

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
    if (kind == ML_OPTIMIZER_LSTM && ml_lstm_new(&o->lstm) != ML_OK) {
        ml_free(o);
        return ml_error(NULL, ML_ERR_NOMEM, "ml_optimizer_create: out of memory");
    }
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
    ml_opt_release(opt);
    ml_free(opt);
}

const char *ml_optimizer_last_error(const ml_optimizer *opt)
{
    return opt ? opt->err : "";
}

ml_status ml_optimizer_meta_step(ml_optimizer *opt, const ml_problems *problems,
                                 double *out_loss)
{
    if (!opt || !problems)
        return ml_error(opt ? opt->err : NULL, ML_ERR_INVALID_ARG,
                        "ml_optimizer_meta_step: NULL argument");
    if (!opt->lstm)
        return ml_error(opt->err, ML_ERR_UNSUPPORTED,
                        "ml_optimizer_meta_step: only the LSTM optimizer is meta-trained");
    return ml_lstm_meta_step(opt->lstm, problems, out_loss, opt->err);
}

size_t ml_optimizer_num_weights(const ml_optimizer *opt)
{
    return opt && opt->lstm ? opt->lstm->n_w : 0;
}

/* The LSTM of opt when n matches its weight count. */
static ml_status weights_ok(const ml_optimizer *opt, const void *buf, size_t n,
                            const char *fn)
{
    if (!opt || !buf)
        return ml_error(opt ? (char *)opt->err : NULL, ML_ERR_INVALID_ARG,
                        "%s: NULL argument", fn);
    if (!opt->lstm)
        return ml_error((char *)opt->err, ML_ERR_INVALID_ARG,
                        "%s: the optimizer has no learned weights", fn);
    if (n != opt->lstm->n_w)
        return ml_error((char *)opt->err, ML_ERR_SHAPE, "%s: %zu weights, expected %zu", fn,
                        n, opt->lstm->n_w);
    return ML_OK;
}

ml_status ml_optimizer_get_weights(const ml_optimizer *opt, float *out, size_t n)
{
    ml_status st = weights_ok(opt, out, n, "ml_optimizer_get_weights");
    if (st == ML_OK)
        memcpy(out, opt->lstm->w, n * sizeof(float));
    return st;
}

ml_status ml_optimizer_set_weights(ml_optimizer *opt, const float *w, size_t n)
{
    ml_status st = weights_ok(opt, w, n, "ml_optimizer_set_weights");
    if (st != ML_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(w[i]))
            return ml_error(opt->err, ML_ERR_NUMERIC,
                            "ml_optimizer_set_weights: weight %zu is not finite", i);
    ml_lstm *l = opt->lstm;
    memcpy(l->w, w, n * sizeof(float));
    ml_opt_clear_state(&l->adam);
    ml_lstm_clear_state(l);
    ml_lstm_clear_traj(l);
    return ML_OK;
}
