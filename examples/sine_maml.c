/* MAML on sine waves from C: meta-train a 1-40-40-1 network on the
 * paper's task family, then adapt it to a new sine from 10 points.
 * Usage: sine_maml [ITERATIONS]  (default 2000; the paper uses 70000) */
#include <metalearn.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(call)                                                        \
    do {                                                                   \
        if ((call) != ML_OK) {                                             \
            fprintf(stderr, "sine_maml: %s\n", ml_last_error());           \
            return 1;                                                      \
        }                                                                  \
    } while (0)

int main(int argc, char **argv)
{
    int iterations = argc > 1 ? atoi(argv[1]) : 2000;
    const size_t sizes[3] = {40, 40, 1};
    ml_model *model;
    ml_learner *learner;
    ml_sampler *sampler;
    CHECK(ml_model_create_mlp(&model, 1, 3, sizes, ML_LAYER_RELU));
    CHECK(ml_learner_create(&learner, model, ML_STRATEGY_MAML, 1));
    CHECK(ml_sampler_create_sine(&sampler, 2));
    ml_model_free(model); /* the learner keeps its own copy */

    ml_task *batch[25];
    for (int it = 1; it <= iterations; it++) {
        double loss;
        for (int i = 0; i < 25; i++)
            CHECK(ml_sampler_sample(sampler, &batch[i]));
        CHECK(ml_learner_meta_step(learner, 25, batch, &loss));
        for (int i = 0; i < 25; i++)
            ml_task_free(batch[i]);
        if (it % (iterations / 5 > 0 ? iterations / 5 : 1) == 0)
            printf("iteration %5d  meta-loss %.3f\n", it, loss);
    }

    ml_task *fresh;
    CHECK(ml_sampler_set(sampler, ML_SAMPLER_QUERIES, 100));
    CHECK(ml_sampler_sample(sampler, &fresh));
    for (int steps = 0; steps <= 10; steps += 5) {
        double mse;
        CHECK(ml_learner_evaluate(learner, 1, &fresh, steps, &mse, NULL, NULL));
        printf("new task, %2d steps on 10 points: query MSE %.3f\n", steps, mse);
    }
    ml_task_free(fresh);
    ml_sampler_free(sampler);
    ml_learner_free(learner);
    return 0;
}
