/* train --mpi.  Every rank builds the same learner from the same options
 * and draws the same whole meta-batch each iteration (the sampler is
 * reseeded from the seed and the iteration, see trainer.c); mpi_meta
 * gives each rank a slice of the library's parts of the meta-batch and
 * combines their sums in part order.  So every rank applies the same
 * meta-gradient, the ranks' learners stay identical, and the file rank 0
 * saves is the one-process file whatever the number of ranks
 * (docs/scaling.md). */
#include "train_mpi.h"

#include "cli.h"
#include "mpi_meta.h"
#include "trainer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct mpi_train {
    int rank, size;
    int ready;               /* meta set up and the learners found alike */
    mpi_meta meta;
    float *grad;             /* the combined meta-gradient */
    char msg[512];
} mpi_train;

static int agree(void *ctx, int rc)
{
    (void)ctx;
    int worst;
    MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return worst;
}

static int all(int ok)
{
    int every;
    MPI_Allreduce(&ok, &every, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    return every;
}

/* Ranks started from different seeds, options or --resume files would
 * each apply the common gradient to parameters of their own and train
 * nonsense in silence: compare every rank's learner with rank 0's once. */
static ml_status same_learners(mpi_train *t, ml_learner *l)
{
    size_t n = ml_learner_num_meta_params(l);
    unsigned long long n0 = n;
    MPI_Bcast(&n0, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
    int same = n0 == n;
    if (all(same)) {
        float *mine = malloc(n * sizeof *mine), *first = malloc(n * sizeof *first);
        int ok = all(mine && first);
        if (ok) {
            ml_learner_get_meta_params(l, mine, n);
            memcpy(first, mine, n * sizeof *mine);
            MPI_Bcast(first, (int)n, MPI_FLOAT, 0, MPI_COMM_WORLD);
            same = memcmp(first, mine, n * sizeof *mine) == 0;
        }
        free(mine);
        free(first);
        if (!ok) {
            snprintf(t->msg, sizeof t->msg, "out of memory comparing the ranks' learners");
            return ML_ERR_NOMEM;
        }
    }
    int key = same ? t->size : t->rank, first_bad;
    MPI_Allreduce(&key, &first_bad, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (first_bad == t->size)
        return ML_OK;
    snprintf(t->msg, sizeof t->msg,
             "rank %d's learner differs from rank 0's: give every rank the same --seed, "
             "options and --resume file", first_bad);
    return ML_ERR_STATE;
}

static ml_status start(mpi_train *t, ml_learner *l)
{
    size_t n = ml_learner_num_meta_params(l);
    int ok = mpi_meta_init(&t->meta, MPI_COMM_WORLD, n) == ML_OK &&
             (t->grad = malloc(n * sizeof *t->grad)) != NULL;
    if (!all(ok)) {
        snprintf(t->msg, sizeof t->msg, "out of memory for the meta-gradient");
        return ML_ERR_NOMEM;
    }
    ml_status st = same_learners(t, l);
    t->ready = st == ML_OK;
    return st;
}

static ml_status step(void *ctx, ml_learner *l, uint64_t n, ml_task *const *tasks,
                      double *loss, const char **msg)
{
    mpi_train *t = ctx;
    ml_status st = t->ready ? ML_OK : start(t, l);
    const char *why = t->msg;
    if (st == ML_OK) {
        st = mpi_meta_gradient(&t->meta, l, (size_t)n, tasks, t->grad, loss);
        why = t->meta.err;
    }
    /* The same gradient on the same learner: it fails alike everywhere. */
    if (st == ML_OK) {
        st = ml_learner_apply_gradient(l, t->grad, t->meta.n_meta);
        why = ml_learner_last_error(l);
    }
    *msg = t->rank == 0 ? why : NULL;
    return st;
}

int train_mpi_run(const train_opts *o, task_spec *ts)
{
    if (o->threads > 1) {
        task_spec_release(ts);
        return cli_usage_error("train: --mpi computes a rank's tasks one at a time, so "
                               "--threads does not apply: start more ranks instead");
    }
    MPI_Init(NULL, NULL);
    mpi_train t;
    memset(&t, 0, sizeof t);
    MPI_Comm_rank(MPI_COMM_WORLD, &t.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &t.size);
    /* Rank 0 speaks for the run: the others would print the same lines
     * again.  Their errors (stderr) stay, since a failure can be theirs
     * alone. */
    if (t.rank != 0 && !freopen("/dev/null", "w", stdout)) {
        cli_fail("rank %d: cannot send its output to /dev/null", t.rank);
        MPI_Abort(MPI_COMM_WORLD, EXIT_LIB);
    }
    trainer_hooks h = {.step = step, .agree = agree, .ctx = &t};
    train_dist d = {.root = t.rank == 0, .hooks = &h};
    int rc = train_run_dist(o, ts, &d);
    mpi_meta_free(&t.meta);
    free(t.grad);
    MPI_Finalize();
    return rc;
}
