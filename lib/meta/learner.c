/* Learner lifecycle: creation, workers, settings. */
#include "meta/learner.h"

#include "core/alloc.h"

#include <stdio.h>
#include <string.h>

static void workers_free(ml_worker *ws, int count)
{
    for (int i = 0; ws && i < count; i++) {
        ml_ad_tape_release(&ws[i].tape);
        ml_free(ws[i].phi);
        ml_free(ws[i].grad);
        ml_free(ws[i].lstm_state);
        ml_opt_clear_state(&ws[i].inner);
    }
    ml_free(ws);
}

static ml_worker *workers_new(size_t n, int count)
{
    ml_worker *ws = ml_calloc((size_t)count, sizeof *ws);
    int ok = ws != NULL;
    for (int i = 0; ok && i < count; i++) {
        ml_worker *w = &ws[i];
        ml_ad_tape_init(&w->tape);
        /* Reptile's inner Adam keeps no momentum (beta1 = 0, Nichol et al.). */
        ml_opt_init(&w->inner, ML_OPTIMIZER_ADAM);
        w->inner.beta1 = 0.0;
        w->phi = ml_malloc(n * sizeof(float));
        w->grad = ml_malloc(n * sizeof(float));
        w->inner.m = ml_calloc(n, sizeof(float));
        w->inner.v = ml_calloc(n, sizeof(float));
        w->inner.n = n;
        ok = w->phi && w->grad && w->inner.m && w->inner.v;
    }
    if (!ok) {
        workers_free(ws, count);
        return NULL;
    }
    return ws;
}

ml_status ml_learner_set_threads(ml_learner *l, int threads)
{
    ml_pool *pool;
    if (ml_pool_create(&pool, threads) != ML_OK)
        return ml_error(l->err, ML_ERR_NOMEM, "learner: cannot start %d threads", threads);
    ml_worker *ws = workers_new(l->n_params, threads);
    if (!ws) {
        ml_pool_free(pool);
        return ml_error(l->err, ML_ERR_NOMEM, "learner: out of memory for %d workers",
                        threads);
    }
    workers_free(l->workers, l->threads);
    ml_pool_free(l->pool);
    l->workers = ws;
    l->threads = threads;
    l->pool = pool;
    return ML_OK;
}

ml_status ml_learner_new(ml_learner **out, const ml_model *model, int strategy)
{
    ml_learner *l = ml_calloc(1, sizeof *l);
    if (!l)
        return ml_error(NULL, ML_ERR_NOMEM, "learner: out of memory");
    l->strategy = strategy;
    l->ops = ml_strategy_lookup(strategy);
    ml_opt_init(&l->opt, ML_OPTIMIZER_ADAM);
    l->inner_lr = 0.01;
    l->inner_steps = 1;
    l->rep_eps = 1.0;
    l->lstm_shape = (ml_lstm_shape){20, 1};
    l->lstm_scale = 0.1;
    ml_status st = ml_nn_model_copy(model, &l->model);
    if (st == ML_OK && l->ops->make_head)
        st = l->ops->make_head(l->model, &l->head);
    if (st == ML_OK) {
        l->n_params = l->model->nparams;
        l->n_meta = l->n_params + (l->ops->has_alpha ? l->n_params : 0) +
                    (l->head ? l->head->nparams : 0) + ml_meta_lstm_num_weights(l);
        l->meta = ml_calloc(l->n_meta, sizeof(float));
        l->step_grad = ml_malloc(l->n_meta * sizeof(float));
        st = l->meta && l->step_grad ? ml_learner_set_threads(l, 1) : ML_ERR_NOMEM;
    }
    if (st != ML_OK) {
        char msg[ML_ERRMSG_MAX];
        snprintf(msg, sizeof msg, "%s",
                 l->model && l->model->err[0] ? l->model->err : "out of memory");
        ml_learner_destroy(l);
        return ml_error(NULL, st, "learner: %s", msg);
    }
    *out = l;
    return ML_OK;
}

void ml_learner_init_params(ml_learner *l, uint64_t seed)
{
    ml_rng_seed(&l->rng, seed);
    ml_nn_init_params(l->model, l->meta, &l->rng);
    /* Meta-SGD's step sizes start uniform in [0.005, 0.1] (Li et al.). */
    for (size_t i = l->n_params; l->ops->has_alpha && i < l->n_meta; i++)
        l->meta[i] = ml_rng_range(&l->rng, 0.005f, 0.1f);
    if (l->head)
        ml_nn_init_params(l->head, l->meta + l->n_params, &l->rng);
    if (l->strategy == ML_STRATEGY_LSTM)
        ml_lstm_init_weights(l->lstm_shape, l->meta + l->n_params, &l->rng);
}

void ml_learner_destroy(ml_learner *l)
{
    if (!l)
        return;
    workers_free(l->workers, l->threads);
    ml_pool_free(l->pool);
    ml_opt_clear_state(&l->opt);
    ml_nn_model_free(l->model);
    ml_nn_model_free(l->head);
    ml_free(l->meta);
    ml_free(l->step_grad);
    ml_free(l->task_grads);
    ml_free(l->task_vals);
    ml_free(l);
}
