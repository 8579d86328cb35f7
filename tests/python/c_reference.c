/* The reference run of the Python binding tests: meta-trains a 1-40-40-1
 * ReLU network on sine tasks through the C API and writes the final
 * meta-parameters as raw float32 (native byte order) to OUT, and the last
 * meta-loss to stdout.  test_reference.py makes the same run through the
 * Python package and compares the bytes.
 *
 * usage: c_reference OUT ITERATIONS META_BATCH LEARNER_SEED SAMPLER_SEED
 *                    STRATEGY THREADS     (STRATEGY: an ml_strategy value) */
#include <metalearn.h>
#include <stdio.h>
#include <stdlib.h>

static int fail(const char *what)
{
    fprintf(stderr, "c_reference: %s: %s\n", what, ml_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: c_reference OUT ITERATIONS META_BATCH "
                        "LEARNER_SEED SAMPLER_SEED STRATEGY THREADS\n");
        return 2;
    }
    const char *out_path = argv[1];
    long iterations = strtol(argv[2], NULL, 10);
    long batch = strtol(argv[3], NULL, 10);
    unsigned long long learner_seed = strtoull(argv[4], NULL, 10);
    unsigned long long sampler_seed = strtoull(argv[5], NULL, 10);
    int strategy = (int)strtol(argv[6], NULL, 10);
    double threads = (double)strtol(argv[7], NULL, 10);
    if (iterations < 1 || batch < 1 || batch > 64) {
        fprintf(stderr, "c_reference: bad ITERATIONS or META_BATCH\n");
        return 2;
    }

    const size_t sizes[3] = {40, 40, 1};
    ml_model *model = NULL;
    ml_learner *learner = NULL;
    ml_sampler *sampler = NULL;
    if (ml_model_create_mlp(&model, 1, 3, sizes, ML_LAYER_RELU) != ML_OK)
        return fail("ml_model_create_mlp");
    if (ml_learner_create(&learner, model, (ml_strategy)strategy, learner_seed) != ML_OK)
        return fail("ml_learner_create");
    ml_model_free(model);
    if (ml_learner_set(learner, ML_LEARNER_THREADS, threads) != ML_OK)
        return fail("ml_learner_set");
    if (ml_sampler_create_sine(&sampler, sampler_seed) != ML_OK)
        return fail("ml_sampler_create_sine");

    ml_task *tasks[64];
    double loss = 0;
    for (long it = 0; it < iterations; it++) {
        for (long i = 0; i < batch; i++)
            if (ml_sampler_sample(sampler, &tasks[i]) != ML_OK)
                return fail("ml_sampler_sample");
        if (ml_learner_meta_step(learner, (size_t)batch, tasks, &loss) != ML_OK)
            return fail("ml_learner_meta_step");
        for (long i = 0; i < batch; i++)
            ml_task_free(tasks[i]);
    }

    size_t n = ml_learner_num_meta_params(learner);
    float *params = malloc(n * sizeof *params);
    if (!params)
        return fail("malloc");
    if (ml_learner_get_meta_params(learner, params, n) != ML_OK)
        return fail("ml_learner_get_meta_params");
    FILE *f = fopen(out_path, "wb");
    if (!f || fwrite(params, sizeof *params, n, f) != n || fclose(f) != 0) {
        perror(out_path);
        return 1;
    }
    printf("%.17g\n", loss);
    free(params);
    ml_sampler_free(sampler);
    ml_learner_free(learner);
    return 0;
}
