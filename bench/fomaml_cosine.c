/* How far first-order MAML's meta-gradient is from MAML's on Omniglot
 * (docs/results.md): trains MAML (Conv-4, 64 filters, 28x28, N-way 1-shot
 * with 5 queries a class, rotations, meta-batch 4, Adam 0.001) and, every
 * EVERY iterations, takes both meta-gradients of the same meta-batch at
 * MAML's current parameters and prints their cosine and norms.
 *
 *   fomaml-cosine DIR INNER_LR WAYS ITERATIONS EVERY
 *
 * DIR is a directory in the Omniglot layout (images_background_small1).
 * First-order MAML drops the term of the meta-gradient that goes through
 * the inner step's gradient; a cosine near 0 means that term is most of
 * the meta-gradient. */
#include <metalearn.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { META_BATCH = 4 };

static int fail(const char *what)
{
    fprintf(stderr, "fomaml-cosine: %s: %s\n", what, ml_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: fomaml-cosine DIR INNER_LR WAYS ITERATIONS EVERY\n");
        return 2;
    }
    double alpha = strtod(argv[2], NULL);
    long ways = strtol(argv[3], NULL, 10), iters = strtol(argv[4], NULL, 10),
         every = strtol(argv[5], NULL, 10);
    if (!(alpha > 0.0) || ways < 2 || iters < 0 || every < 1) {
        fprintf(stderr, "fomaml-cosine: INNER_LR > 0, WAYS >= 2, ITERATIONS >= 0, EVERY >= 1\n");
        return 2;
    }
    ml_dataset *d = NULL;
    ml_sampler *s = NULL;
    ml_model *m = NULL;
    ml_learner *fo = NULL, *ma = NULL;
    float *buf = NULL;
    int rc = 1;
    if (ml_dataset_load_images(&d, argv[1], 28, 1) != ML_OK)
        return fail(argv[1]);
    if (ml_sampler_create_episodes(&s, d, 7) != ML_OK ||
        ml_sampler_set(s, ML_SAMPLER_WAYS, (double)ways) != ML_OK ||
        ml_sampler_set(s, ML_SAMPLER_QUERIES, 5) != ML_OK ||
        ml_sampler_set(s, ML_SAMPLER_ROTATIONS, 1) != ML_OK ||
        ml_model_create_conv4(&m, 1, 28, 28, 64, 4, (size_t)ways) != ML_OK ||
        ml_learner_create(&fo, m, ML_STRATEGY_FOMAML, 1) != ML_OK ||
        ml_learner_create(&ma, m, ML_STRATEGY_MAML, 1) != ML_OK ||
        ml_learner_set(fo, ML_LEARNER_INNER_LR, alpha) != ML_OK ||
        ml_learner_set(ma, ML_LEARNER_INNER_LR, alpha) != ML_OK) {
        fail("setup");
        goto out;
    }
    size_t n = ml_learner_num_meta_params(ma);
    buf = malloc(3 * n * sizeof *buf);
    if (!buf) {
        fprintf(stderr, "fomaml-cosine: out of memory\n");
        goto out;
    }
    float *theta = buf, *gfo = buf + n, *gma = buf + 2 * n;
    for (long it = 0; it <= iters; it++) {
        ml_task *batch[META_BATCH] = {NULL};
        ml_status st = ML_OK;
        for (int i = 0; i < META_BATCH && st == ML_OK; i++)
            st = ml_sampler_sample(s, &batch[i]);
        double loss = 0.0;
        if (st == ML_OK && it % every == 0) {
            st = ml_learner_get_meta_params(ma, theta, n);
            if (st == ML_OK)
                st = ml_learner_set_meta_params(fo, theta, n);
            if (st == ML_OK)
                st = ml_learner_meta_gradient(fo, META_BATCH, batch, gfo, n, NULL);
            if (st == ML_OK)
                st = ml_learner_meta_gradient(ma, META_BATCH, batch, gma, n, &loss);
            if (st == ML_OK) {
                double ff = 0.0, mm = 0.0, fm = 0.0;
                for (size_t i = 0; i < n; i++) {
                    ff += (double)gfo[i] * gfo[i];
                    mm += (double)gma[i] * gma[i];
                    fm += (double)gfo[i] * gma[i];
                }
                printf("inner_lr %g iteration %ld meta-loss %.3f cosine %.3f |fomaml| %.3g "
                       "|maml| %.3g\n",
                       alpha, it, loss, fm / sqrt(ff * mm), sqrt(ff), sqrt(mm));
                fflush(stdout);
            }
        }
        /* At a checkpoint MAML's meta-gradient of this batch is at hand:
         * applying it is the meta-step (ml_learner_meta_step's definition). */
        if (st == ML_OK && it < iters)
            st = it % every == 0 ? ml_learner_apply_gradient(ma, gma, n)
                                 : ml_learner_meta_step(ma, META_BATCH, batch, NULL);
        for (int i = 0; i < META_BATCH; i++)
            ml_task_free(batch[i]);
        if (st != ML_OK) {
            fprintf(stderr, "fomaml-cosine: iteration %ld: %s\n", it, ml_learner_last_error(ma));
            goto out;
        }
    }
    rc = 0;
out:
    free(buf);
    ml_learner_free(fo);
    ml_learner_free(ma);
    ml_model_free(m);
    ml_sampler_free(s);
    ml_dataset_free(d);
    return rc;
}
