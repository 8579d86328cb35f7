/* Few-shot image classification workloads on the Conv-4 backbone (4 x [3x3
 * conv 64, batch norm, ReLU, 2x2 max-pool] on 28x28x1), 5-way 1-shot with
 * 15 queries per class: 5 support and 75 query images per episode.
 *   protonet-conv4: one episode, forward + backward + Adam step.
 *   maml-conv4: one meta-iteration, meta-batch 4, 1 inner step, exact
 *   second order, with a final dense layer to 5 outputs.
 * Pixel values are random: the time does not depend on them. */
#include "bench.h"

#include <metalearn.h>
#include <stdlib.h>

enum { WAYS = 5, SHOTS = 1, QUERIES = 15, SIDE = 28, POOL = 8 };

typedef struct conv_state {
    ml_learner *learner;
    ml_task *tasks[POOL];
    int next, batch;
} conv_state;

static void conv_teardown(void *p)
{
    conv_state *s = p;
    for (int i = 0; i < POOL; i++)
        ml_task_free(s->tasks[i]);
    ml_learner_free(s->learner);
    free(s);
}

static ml_task *random_episode(unsigned *seed)
{
    enum { NS = WAYS * SHOTS, NQ = WAYS * QUERIES, PIX = SIDE * SIDE };
    static float xs[NS * PIX], xq[NQ * PIX];
    int ls[NS], lq[NQ];
    for (int i = 0; i < NS * PIX; i++)
        xs[i] = (float)rand_r(seed) / (float)RAND_MAX;
    for (int i = 0; i < NQ * PIX; i++)
        xq[i] = (float)rand_r(seed) / (float)RAND_MAX;
    for (int i = 0; i < NS; i++)
        ls[i] = i / SHOTS;
    for (int i = 0; i < NQ; i++)
        lq[i] = i / QUERIES;
    ml_task *t = NULL;
    ml_task_create_classification(&t, PIX, WAYS, NS, xs, ls, NQ, xq, lq);
    return t;
}

static void *conv_setup(ml_strategy strategy, int threads, int batch)
{
    conv_state *s = calloc(1, sizeof *s);
    ml_model *m = NULL;
    unsigned seed = 7;
    int ok = s && ml_model_create_conv4(&m, 1, SIDE, SIDE, 64, 4,
                                        strategy == ML_STRATEGY_PROTONET ? 0 : WAYS) == ML_OK &&
             ml_learner_create(&s->learner, m, strategy, 1) == ML_OK &&
             ml_learner_set(s->learner, ML_LEARNER_THREADS, threads) == ML_OK;
    for (int i = 0; ok && i < POOL; i++)
        ok = (s->tasks[i] = random_episode(&seed)) != NULL;
    ml_model_free(m);
    if (!ok && s) {
        conv_teardown(s);
        return NULL;
    }
    s->batch = batch;
    return s;
}

static int conv_run(void *p)
{
    conv_state *s = p;
    ml_task *const *batch = s->tasks + s->next;
    s->next = (s->next + s->batch) % POOL;
    return ml_learner_meta_step(s->learner, (size_t)s->batch, batch, NULL) != ML_OK;
}

static void *protonet_setup(int t) { return conv_setup(ML_STRATEGY_PROTONET, t, 1); }
static void *maml_setup(int t) { return conv_setup(ML_STRATEGY_MAML, t, 4); }

const bench_workload bench_protonet_conv4 = {
    "protonet-conv4", "one episode: 5-way 1-shot, 15 queries, Conv-4, forward+backward+Adam",
    30, protonet_setup, conv_run, conv_teardown};
const bench_workload bench_maml_conv4 = {
    "maml-conv4", "one meta-iteration: 4 episodes 5-way 1-shot 15 queries, Conv-4, "
    "1 inner step, second order", 10, maml_setup, conv_run, conv_teardown};
