/* Sine-wave meta-training with evaluations along the way: how the query
 * MSE after 1 and 10 SGD steps moves between checkpoints of one run (the
 * last iterate's noise), for docs/results.md.  The paper's setup: MLP
 * 1-40-40-1 ReLU, K = 10 support and 10 query points, meta-batch 25,
 * Adam 0.001; training tasks from one sine sampler (seed 100 + SEED),
 * 1,000 fixed test tasks with 100 query points from another (seed 1000).
 *
 *   sine-checkpoints STRATEGY SEED ITERATIONS EVERY [INNER_STEPS INNER_LR
 *                    [DROP_AT OUTER_LR]]
 *
 * STRATEGY is maml, fomaml, reptile or metasgd.  Reptile: epsilon 1.0
 * annealed linearly to 0 over ITERATIONS.  With DROP_AT, the outer Adam is
 * replaced before iteration DROP_AT by a fresh one with step size OUTER_LR
 * (an experiment on the last iterate's noise).  Prints one line per
 * checkpoint: the iteration, then steps:mean+-95% interval. */
#include <metalearn.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { META_BATCH = 25, TEST_TASKS = 1000 };

static int fail(const char *what, const char *msg)
{
    fprintf(stderr, "sine-checkpoints: %s: %s\n", what, msg);
    return 1;
}

static int parse_long(const char *s, long lo, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo)
        return 0;
    *out = v;
    return 1;
}

static void print_eval(ml_learner *l, ml_task **test, double *per)
{
    const int steps[2] = {1, 10};
    for (int k = 0; k < 2; k++) {
        double mean;
        if (ml_learner_evaluate(l, TEST_TASKS, test, steps[k], &mean, NULL, per) != ML_OK) {
            printf(" %d:diverged", steps[k]);
            continue;
        }
        double ss = 0.0;
        for (int i = 0; i < TEST_TASKS; i++)
            ss += (per[i] - mean) * (per[i] - mean);
        printf(" %d:%.4f+-%.4f", steps[k], mean,
               1.96 * sqrt(ss / (TEST_TASKS - 1) / TEST_TASKS));
    }
    printf("\n");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        ml_strategy s;
    } names[] = {{"maml", ML_STRATEGY_MAML},
                 {"fomaml", ML_STRATEGY_FOMAML},
                 {"reptile", ML_STRATEGY_REPTILE},
                 {"metasgd", ML_STRATEGY_METASGD}};
    long seed, iters, every, steps = 0, drop_at = 0;
    double inner_lr = 0.0, outer_lr = 0.0;
    int si = -1;
    for (int i = 0; argc > 1 && i < 4; i++)
        if (!strcmp(argv[1], names[i].name))
            si = i;
    if (argc != 5 && argc != 7 && argc != 9)
        return fail("usage", "STRATEGY SEED ITERATIONS EVERY [INNER_STEPS INNER_LR "
                             "[DROP_AT OUTER_LR]]");
    if (si < 0)
        return fail(argv[1], "not maml, fomaml, reptile or metasgd");
    if (!parse_long(argv[2], 0, &seed) || !parse_long(argv[3], 1, &iters) ||
        !parse_long(argv[4], 1, &every))
        return fail("arguments", "SEED must be a whole number >= 0, ITERATIONS and "
                                 "EVERY >= 1");
    if (argc >= 7 && (!parse_long(argv[5], 1, &steps) ||
                      !((inner_lr = strtod(argv[6], NULL)) > 0.0)))
        return fail("arguments", "INNER_STEPS must be >= 1 and INNER_LR > 0");
    if (argc == 9 && (!parse_long(argv[7], 1, &drop_at) ||
                      !((outer_lr = strtod(argv[8], NULL)) > 0.0)))
        return fail("arguments", "DROP_AT must be >= 1 and OUTER_LR > 0");

    const size_t sizes[3] = {40, 40, 1};
    ml_model *m = NULL;
    ml_learner *l = NULL;
    ml_sampler *train = NULL, *testing = NULL;
    ml_task *test[TEST_TASKS] = {NULL};
    static double per[TEST_TASKS];
    int rc = 1;
    if (ml_model_create_mlp(&m, 1, 3, sizes, ML_LAYER_RELU) != ML_OK ||
        ml_learner_create(&l, m, names[si].s, (uint64_t)seed) != ML_OK ||
        ml_sampler_create_sine(&train, 100 + (uint64_t)seed) != ML_OK ||
        ml_sampler_create_sine(&testing, 1000) != ML_OK ||
        ml_sampler_set(train, ML_SAMPLER_SHOTS, 10) != ML_OK ||
        ml_sampler_set(train, ML_SAMPLER_QUERIES, 10) != ML_OK ||
        ml_sampler_set(testing, ML_SAMPLER_SHOTS, 10) != ML_OK ||
        ml_sampler_set(testing, ML_SAMPLER_QUERIES, 100) != ML_OK) {
        fail("setup", ml_last_error());
        goto out;
    }
    if (steps && (ml_learner_set(l, ML_LEARNER_INNER_STEPS, (double)steps) != ML_OK ||
                  ml_learner_set(l, ML_LEARNER_INNER_LR, inner_lr) != ML_OK)) {
        fail("inner loop", ml_learner_last_error(l));
        goto out;
    }
    if (names[si].s == ML_STRATEGY_REPTILE &&
        ml_learner_set(l, ML_LEARNER_REPTILE_ANNEAL_ITERS, (double)iters) != ML_OK) {
        fail("reptile", ml_learner_last_error(l));
        goto out;
    }
    for (int i = 0; i < TEST_TASKS; i++)
        if (ml_sampler_sample(testing, &test[i]) != ML_OK) {
            fail("test tasks", ml_last_error());
            goto out;
        }
    for (long it = 1; it <= iters; it++) {
        ml_task *batch[META_BATCH] = {NULL};
        ml_status st = ML_OK;
        if (it == drop_at) {
            ml_optimizer *o = NULL;
            st = ml_optimizer_create(&o, ML_OPTIMIZER_ADAM);
            if (st == ML_OK)
                st = ml_optimizer_set(o, ML_OPT_LR, outer_lr);
            if (st == ML_OK)
                st = ml_learner_set_optimizer(l, o);
            ml_optimizer_free(o);
        }
        for (int i = 0; i < META_BATCH && st == ML_OK; i++)
            st = ml_sampler_sample(train, &batch[i]);
        if (st == ML_OK)
            st = ml_learner_meta_step(l, META_BATCH, batch, NULL);
        for (int i = 0; i < META_BATCH; i++)
            ml_task_free(batch[i]);
        if (st != ML_OK) {
            fprintf(stderr, "sine-checkpoints: iteration %ld: %s\n", it,
                    ml_learner_last_error(l));
            goto out;
        }
        if (it % every == 0 || it == iters) {
            printf("%s seed %ld iteration %ld", names[si].name, seed, it);
            print_eval(l, test, per);
        }
    }
    rc = 0;
out:
    for (int i = 0; i < TEST_TASKS; i++)
        ml_task_free(test[i]);
    ml_sampler_free(train);
    ml_sampler_free(testing);
    ml_learner_free(l);
    ml_model_free(m);
    return rc;
}
