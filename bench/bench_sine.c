/* One meta-iteration of the MAML paper's sine setup: MLP 1-40-40-1 ReLU,
 * K = 10 support and 10 query points, alpha 0.01, meta-batch 25, Adam
 * 0.001; 1 inner step (Reptile: 5 inner SGD steps).  Tasks are drawn in
 * advance so sampling is not timed. */
#include "bench.h"

#include <metalearn.h>
#include <stdlib.h>

enum { META_BATCH = 25, POOL = 40 };

typedef struct sine_state {
    ml_learner *learner;
    ml_task *tasks[POOL * META_BATCH];
    int next;
} sine_state;

static void sine_teardown(void *p)
{
    sine_state *s = p;
    for (int i = 0; i < POOL * META_BATCH; i++)
        ml_task_free(s->tasks[i]);
    ml_learner_free(s->learner);
    free(s);
}

static void *sine_setup(ml_strategy strategy, int threads)
{
    sine_state *s = calloc(1, sizeof *s);
    ml_model *m = NULL;
    ml_sampler *sp = NULL;
    const size_t sizes[3] = {40, 40, 1};
    int ok = s && ml_model_create_mlp(&m, 1, 3, sizes, ML_LAYER_RELU) == ML_OK &&
             ml_learner_create(&s->learner, m, strategy, 1) == ML_OK &&
             ml_learner_set(s->learner, ML_LEARNER_THREADS, threads) == ML_OK &&
             ml_sampler_create_sine(&sp, 7) == ML_OK;
    if (ok && strategy == ML_STRATEGY_REPTILE)
        ok = ml_learner_set(s->learner, ML_LEARNER_INNER_STEPS, 5) == ML_OK &&
             ml_learner_set(s->learner, ML_LEARNER_INNER_LR, 0.02) == ML_OK;
    for (int i = 0; ok && i < POOL * META_BATCH; i++)
        ok = ml_sampler_sample(sp, &s->tasks[i]) == ML_OK;
    ml_sampler_free(sp);
    ml_model_free(m);
    if (!ok && s) {
        sine_teardown(s);
        return NULL;
    }
    return s;
}

static int sine_run(void *p)
{
    sine_state *s = p;
    ml_task *const *batch = s->tasks + s->next * META_BATCH;
    s->next = (s->next + 1) % POOL;
    return ml_learner_meta_step(s->learner, META_BATCH, batch, NULL) != ML_OK;
}

static void *maml_setup(int t) { return sine_setup(ML_STRATEGY_MAML, t); }
static void *fomaml_setup(int t) { return sine_setup(ML_STRATEGY_FOMAML, t); }
static void *metasgd_setup(int t) { return sine_setup(ML_STRATEGY_METASGD, t); }
static void *reptile_setup(int t) { return sine_setup(ML_STRATEGY_REPTILE, t); }

#define WHAT "one meta-iteration: 25 sine tasks, K=10, MLP 1-40-40-1"
const bench_workload bench_maml_sine = {
    "maml-sine", WHAT ", 1 inner step, exact second order", 2000,
    maml_setup, sine_run, sine_teardown};
const bench_workload bench_fomaml_sine = {
    "fomaml-sine", WHAT ", 1 inner step, first order", 2000,
    fomaml_setup, sine_run, sine_teardown};
const bench_workload bench_metasgd_sine = {
    "metasgd-sine", WHAT ", 1 inner step, learned step sizes", 2000,
    metasgd_setup, sine_run, sine_teardown};
const bench_workload bench_reptile_sine = {
    "reptile-sine", WHAT ", 5 inner SGD steps", 2000,
    reptile_setup, sine_run, sine_teardown};
