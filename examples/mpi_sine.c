/* MAML on sine waves over MPI ranks.  Every rank builds the same learner
 * (same seed) and draws the same 25 tasks an iteration from a sampler with
 * the same seed; mpi_meta_gradient() has each rank compute the gradients
 * of its share of those tasks and hands every rank their mean, which each
 * applies with ml_learner_apply_gradient(), so the ranks' learners stay
 * the same.  Rank 0 reports and saves.
 *
 * The mean is not an MPI_Allreduce of the ranks' partial sums: that adds
 * the same floats in an order that depends on the number of ranks, and so
 * ends up with a different model for each; tools/mpi_meta.h explains what
 * is done instead.
 *
 *   mpirun -np R mpi_sine [ITERATIONS [OUT.mlrn]]    defaults 2000, mpi_sine.mlrn
 *   mpi_sine ITERATIONS OUT.mlrn --serial            one process, ml_learner_meta_step()
 *
 * Every R writes the same bytes, and so does --serial: the ranks follow
 * the library's own split of the meta-batch into parts (for this MLP, two
 * groups of tasks each differentiated in one graph) and add the parts'
 * sums in its order (docs/scaling.md).  tests/mpi checks both. */
#include "mpi_meta.h"

#include <metalearn.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { META_BATCH = 25 };

static int mpi_on;

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "mpi_sine: %s: %s\n", what, msg);
    if (mpi_on)
        MPI_Abort(MPI_COMM_WORLD, 1);
    exit(1);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One meta-update: the whole batch here (m NULL), or this rank's share. */
static void update(ml_learner *l, mpi_meta *m, float *grad, ml_task **batch, double *loss)
{
    if (!m) {
        if (ml_learner_meta_step(l, META_BATCH, batch, loss) != ML_OK)
            die("meta_step", ml_learner_last_error(l));
        return;
    }
    /* Fails alike on every rank, so no rank is left waiting. */
    if (mpi_meta_gradient(m, l, META_BATCH, batch, grad, loss) != ML_OK)
        die("meta-gradient", m->err);
    if (ml_learner_apply_gradient(l, grad, m->n_meta) != ML_OK)
        die("apply_gradient", ml_learner_last_error(l));
}

int main(int argc, char **argv)
{
    int iterations = argc > 1 ? atoi(argv[1]) : 2000;
    const char *out = argc > 2 ? argv[2] : "mpi_sine.mlrn";
    int serial = argc > 3 && strcmp(argv[3], "--serial") == 0, rank = 0;
    if (iterations < 1)
        die("usage", "mpi_sine [ITERATIONS [OUT.mlrn [--serial]]]");
    if (!serial) {
        MPI_Init(&argc, &argv);
        mpi_on = 1;
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    }

    const size_t sizes[3] = {40, 40, 1};
    ml_model *model;
    ml_learner *learner;
    ml_sampler *sampler;
    if (ml_model_create_mlp(&model, 1, 3, sizes, ML_LAYER_RELU) != ML_OK ||
        ml_learner_create(&learner, model, ML_STRATEGY_MAML, 1) != ML_OK ||
        ml_sampler_create_sine(&sampler, 2) != ML_OK)
        die("setup", ml_last_error());
    ml_model_free(model);

    mpi_meta meta, *m = NULL;
    size_t n = ml_learner_num_meta_params(learner);
    float *grad = malloc(n * sizeof *grad);
    if (!grad)
        die("setup", "out of memory");
    if (!serial) {
        if (mpi_meta_init(&meta, MPI_COMM_WORLD, n) != ML_OK)
            die("setup", "out of memory");
        m = &meta;
    }

    ml_task *batch[META_BATCH];
    double t0 = now(), loss = 0.0;
    for (int it = 1; it <= iterations; it++) {
        /* All of the batch on every rank: the samplers stay in step. */
        for (int i = 0; i < META_BATCH; i++)
            if (ml_sampler_sample(sampler, &batch[i]) != ML_OK)
                die("sample", ml_sampler_last_error(sampler));
        update(learner, m, grad, batch, &loss);
        for (int i = 0; i < META_BATCH; i++)
            ml_task_free(batch[i]);
        if (rank == 0 && it % (iterations / 5 > 0 ? iterations / 5 : 1) == 0)
            printf("iteration %5d  meta-loss %.3f\n", it, loss);
    }
    if (rank == 0) {
        if (ml_learner_save(learner, out) != ML_OK)
            die("save", ml_learner_last_error(learner));
        printf("%d iterations in %.2f s; saved to %s\n", iterations, now() - t0, out);
    }

    if (m)
        mpi_meta_free(m);
    free(grad);
    ml_sampler_free(sampler);
    ml_learner_free(learner);
    if (mpi_on)
        MPI_Finalize();
    return 0;
}
