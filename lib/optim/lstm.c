/* The learned LSTM optimiser as an ml_optimizer kind: its settings, its
 * weights, and ml_optimizer_step with a hidden state per coordinate. */
#include "optim/lstm.h"

#include "core/alloc.h"
#include "optim/problems.h"

#include <math.h>
#include <string.h>

static ml_status alloc_weights(ml_lstm *l, ml_lstm_shape s)
{
    size_t n = ml_lstm_num_weights(s);
    float *w = ml_malloc(n * sizeof(float));
    float *g = ml_malloc(n * sizeof(float));
    if (!w || !g) {
        ml_free(w);
        ml_free(g);
        return ML_ERR_NOMEM;
    }
    ml_free(l->w);
    ml_free(l->meta_grad);
    l->w = w;
    l->meta_grad = g;
    l->n_w = n;
    l->shape = s;
    return ML_OK;
}

/* Weights from the seed, fresh meta-training state. */
static void redraw(ml_lstm *l)
{
    ml_rng_seed(&l->rng, l->seed);
    ml_lstm_init_weights(l->shape, l->w, &l->rng);
    ml_opt_clear_state(&l->adam);
    l->meta_steps = 0;
    ml_lstm_clear_state(l);
    ml_lstm_clear_traj(l);
}

ml_status ml_lstm_new(ml_lstm **out)
{
    ml_lstm *l = ml_calloc(1, sizeof *l);
    if (!l)
        return ML_ERR_NOMEM;
    l->scale = 0.1;
    l->horizon = 100;
    l->unroll = 20;
    l->problems = 128;
    l->meta_lr = 0.003;
    l->seed = 1;
    ml_opt_init(&l->adam, ML_OPTIMIZER_ADAM);
    l->adam.lr = l->meta_lr;
    ml_ad_tape_init(&l->tape);
    if (alloc_weights(l, (ml_lstm_shape){20, 1}) != ML_OK) {
        ml_lstm_free(l);
        return ML_ERR_NOMEM;
    }
    redraw(l);
    *out = l;
    return ML_OK;
}

void ml_lstm_free(ml_lstm *l)
{
    if (!l)
        return;
    ml_lstm_clear_state(l);
    ml_lstm_clear_traj(l);
    ml_opt_clear_state(&l->adam);
    ml_ad_tape_release(&l->tape);
    ml_free(l->w);
    ml_free(l->meta_grad);
    ml_free(l);
}

ml_status ml_lstm_reshape(ml_lstm *l, ml_lstm_shape s)
{
    if (alloc_weights(l, s) != ML_OK)
        return ML_ERR_NOMEM;
    redraw(l);
    return ML_OK;
}

void ml_lstm_clear_state(ml_lstm *l)
{
    ml_free(l->state);
    l->state = NULL;
    l->n = 0;
}

void ml_lstm_clear_traj(ml_lstm *l)
{
    ml_lstm_traj *tr = &l->traj;
    if (tr->fam && tr->inst)
        ml_problems_release_all(tr->fam, tr->count, tr->inst);
    ml_problems_unref(tr->fam);
    ml_free(tr->inst);
    ml_free(tr->seeds);
    ml_free(tr->theta);
    ml_free(tr->state);
    ml_free(tr->grad);
    ml_free(tr->value);
    memset(tr, 0, sizeof *tr);
}

static int whole(double v, double lo, double hi)
{
    return isfinite(v) && v == floor(v) && v >= lo && v <= hi;
}

ml_status ml_lstm_set(ml_lstm *l, int key, double v, char *msg)
{
    int ok;
    switch (key) {
    case ML_OPT_LSTM_HIDDEN: ok = whole(v, 1, ML_LSTM_MAX_HIDDEN); break;
    case ML_OPT_LSTM_PREPROCESS: ok = v == 0 || v == 1; break;
    case ML_OPT_LSTM_OUTPUT_SCALE:
    case ML_OPT_LSTM_META_LR: ok = isfinite(v) && v > 0; break;
    /* Independent bounds, so they can be set in any order: an unroll longer
     * than the horizon is cut at the horizon when it runs. */
    case ML_OPT_LSTM_HORIZON: ok = whole(v, 1, 1e7); break;
    case ML_OPT_LSTM_UNROLL: ok = whole(v, 1, 1e7); break;
    case ML_OPT_LSTM_PROBLEMS: ok = whole(v, 1, 65536); break;
    case ML_OPT_LSTM_EXACT: ok = v == 0 || v == 1; break;
    case ML_OPT_LSTM_LOSS_POWER: ok = isfinite(v) && v >= 0 && v <= 100; break;
    case ML_OPT_LSTM_SEED: ok = whole(v, 0, 9007199254740992.0); break;
    default:
        return ml_error(msg, ML_ERR_INVALID_ARG,
                        "optimizer: parameter %d does not apply to the LSTM optimizer "
                        "(or is read-only)", key);
    }
    if (!ok)
        return ml_error(msg, ML_ERR_INVALID_ARG,
                        "optimizer: value %g out of range for parameter %d", v, key);
    switch (key) {
    case ML_OPT_LSTM_HIDDEN:
    case ML_OPT_LSTM_PREPROCESS: {
        ml_lstm_shape s = l->shape;
        if (key == ML_OPT_LSTM_HIDDEN)
            s.hidden = (int)v;
        else
            s.preprocess = (int)v;
        if (ml_lstm_reshape(l, s) != ML_OK)
            return ml_error(msg, ML_ERR_NOMEM, "optimizer: out of memory");
        break;
    }
    case ML_OPT_LSTM_OUTPUT_SCALE: l->scale = v; break;
    case ML_OPT_LSTM_META_LR: l->meta_lr = v, l->adam.lr = v; break;
    case ML_OPT_LSTM_HORIZON: l->horizon = (int)v, ml_lstm_clear_traj(l); break;
    case ML_OPT_LSTM_UNROLL: l->unroll = (int)v; break;
    case ML_OPT_LSTM_PROBLEMS: l->problems = (int)v, ml_lstm_clear_traj(l); break;
    case ML_OPT_LSTM_EXACT: l->exact = (int)v; break;
    case ML_OPT_LSTM_LOSS_POWER: l->loss_power = v; break;
    default: l->seed = (uint64_t)v, redraw(l); break;
    }
    return ML_OK;
}

int ml_lstm_get(const ml_lstm *l, int key, double *out)
{
    switch (key) {
    case ML_OPT_LSTM_HIDDEN: *out = l->shape.hidden; return 1;
    case ML_OPT_LSTM_PREPROCESS: *out = l->shape.preprocess; return 1;
    case ML_OPT_LSTM_OUTPUT_SCALE: *out = l->scale; return 1;
    case ML_OPT_LSTM_HORIZON: *out = l->horizon; return 1;
    case ML_OPT_LSTM_UNROLL: *out = l->unroll; return 1;
    case ML_OPT_LSTM_META_LR: *out = l->meta_lr; return 1;
    case ML_OPT_LSTM_PROBLEMS: *out = l->problems; return 1;
    case ML_OPT_LSTM_EXACT: *out = l->exact; return 1;
    case ML_OPT_LSTM_LOSS_POWER: *out = l->loss_power; return 1;
    case ML_OPT_LSTM_SEED: *out = (double)l->seed; return 1;
    case ML_OPT_LSTM_META_STEPS: *out = (double)l->meta_steps; return 1;
    default: return 0;
    }
}

ml_status ml_lstm_step(ml_lstm *l, size_t n, float *params, const float *grads, char *msg)
{
    const size_t h = (size_t)l->shape.hidden;
    if (l->n && l->n != n)
        return ml_error(msg, ML_ERR_SHAPE,
                        "optimizer: %zu parameters, the state holds %zu", n, l->n);
    if (n > (size_t)INT32_MAX / (4 * h))
        return ml_error(msg, ML_ERR_INVALID_ARG, "optimizer: %zu parameters is too many",
                        n);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(grads[i]))
            return ml_error(msg, ML_ERR_NUMERIC, "optimizer: gradient %zu is not finite", i);
    if (!l->state) {
        l->state = ml_calloc(4 * n * h, sizeof(float));
        if (!l->state)
            return ml_error(msg, ML_ERR_NOMEM, "optimizer: out of memory");
        l->n = n;
    }
    ml_ad_tape *t = &l->tape;
    ml_ad_tape_reset(t);
    ml_ad_node *w[6], *s[4];
    ml_lstm_weight_leaves(t, l->shape, l->w, 0, w);
    int shape[2] = {(int)h, (int)n};
    for (int k = 0; k < 4; k++)
        s[k] = ml_ad_leaf(t, 2, shape, l->state + (size_t)k * n * h, 0);
    ml_ad_node *u = ml_lstm_forward(t, l->shape, w, (float)l->scale,
                                    ml_lstm_inputs(t, l->shape, grads, n), s);
    if (ml_ad_tape_status(t) != ML_OK)
        return ml_error(msg, ml_ad_tape_status(t), "optimizer: %s", t->msg);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(u->val[i]))
            return ml_error(msg, ML_ERR_NUMERIC, "optimizer: update %zu is not finite", i);
    for (int k = 0; k < 4; k++)
        memcpy(l->state + (size_t)k * n * h, s[k]->val, n * h * sizeof(float));
    for (size_t i = 0; i < n; i++)
        params[i] += u->val[i];
    return ML_OK;
}
