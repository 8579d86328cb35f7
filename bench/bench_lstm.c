/* One meta-training step of the learned LSTM optimiser in the paper's
 * quadratic setup: 128 random 10-d quadratics side by side, 20 steps
 * unrolled, hidden 20, preprocessing on, second derivatives dropped.
 * Every fifth step (horizon 100) also draws fresh problems, as training
 * does, so the median is of the mix training sees. */
#include "bench.h"

#include <metalearn.h>
#include <stdlib.h>

typedef struct lstm_state {
    ml_optimizer *opt;
    ml_problems *quadratics;
} lstm_state;

static void lstm_teardown(void *p)
{
    lstm_state *s = p;
    ml_optimizer_free(s->opt);
    ml_problems_free(s->quadratics);
    free(s);
}

static void *lstm_setup(int threads)
{
    /* The meta-step runs on the calling thread: nothing to spread. */
    (void)threads;
    lstm_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    int ok = ml_optimizer_create(&s->opt, ML_OPTIMIZER_LSTM) == ML_OK &&
             ml_problems_create_quadratic(&s->quadratics, 10) == ML_OK &&
             ml_optimizer_set(s->opt, ML_OPT_LSTM_PROBLEMS, 128) == ML_OK &&
             ml_optimizer_set(s->opt, ML_OPT_LSTM_UNROLL, 20) == ML_OK &&
             ml_optimizer_set(s->opt, ML_OPT_LSTM_HORIZON, 100) == ML_OK &&
             ml_optimizer_set(s->opt, ML_OPT_LSTM_HIDDEN, 20) == ML_OK;
    if (!ok) {
        lstm_teardown(s);
        return NULL;
    }
    return s;
}

static int lstm_run(void *p)
{
    lstm_state *s = p;
    return ml_optimizer_meta_step(s->opt, s->quadratics, NULL) != ML_OK;
}

const bench_workload bench_lstm_quadratic = {
    "lstm-quadratic",
    "one LSTM-optimizer meta-step: 128 10-d quadratics, unroll 20, hidden 20", 100,
    lstm_setup, lstm_run, lstm_teardown};
