/* ml_learner_meta_gradient() spread over MPI ranks, with the same bits
 * as one process for any number of ranks.
 *
 * Summing per-rank partial sums with MPI_Allreduce would add the tasks'
 * gradients in an order that depends on the rank count, and float
 * addition is not associative: results would differ in the last bits, and
 * training carries such differences on and magnifies them.  So the ranks
 * follow the library's own plan (ml_learner_meta_gradient_parts(): single
 * tasks, or groups of tasks that some strategies differentiate in one
 * graph): each rank computes the undivided sums of a contiguous range of
 * parts (ml_learner_meta_gradient_partial()), MPI_Allgatherv hands every
 * rank every part's sum, and every rank adds them in part order and
 * scales them as the library does, which is its one-process result bit for
 * bit.  The prices: a rank receives the sums of all parts, not the ~2
 * gradients of a ring allreduce; and ranks beyond the number of parts
 * have nothing to do (a sine meta-batch of 25 tasks on a dense network is
 * 2 parts; a convolutional network's meta-batch is one part per task).
 *
 * Used by `metalearn train --mpi` and examples/mpi_sine.c; it needs only
 * the public header and MPI, so a host program can take it as it is. */
#ifndef METALEARN_MPI_META_H
#define METALEARN_MPI_META_H

#include <metalearn.h>
#include <mpi.h>

#include <stddef.h>

typedef struct mpi_meta {
    MPI_Comm comm;
    int rank, size;
    size_t n_meta;           /* floats per gradient */
    size_t cap;              /* tasks the buffers hold */
    unsigned char *buf;      /* every rank's records (mpi_meta.c), rank by rank */
    size_t *bounds;          /* cap + 1: the meta-batch's parts */
    int *counts, *displs;    /* MPI_Allgatherv's, per rank, in bytes */
    char err[512];           /* the last failure's message, alike on every rank */
} mpi_meta;

/* For gradients of `n_meta` floats (ml_learner_num_meta_params()).  Not
 * collective.  ML_OK or ML_ERR_NOMEM. */
ml_status mpi_meta_init(mpi_meta *m, MPI_Comm comm, size_t n_meta);

void mpi_meta_free(mpi_meta *m);

/* Rank `rank`'s parts [*first, *end) of `parts`: contiguous slices in rank
 * order, as even as the count allows (some are empty when there are fewer
 * parts than ranks). */
void mpi_meta_slice(const mpi_meta *m, int rank, size_t parts, size_t *first, size_t *end);

/* Collective: every rank passes the whole meta-batch, the same n tasks,
 * and computes the parts of its slice only.  Writes the mean
 * meta-gradient (n_meta floats) and the mean meta-loss (may be NULL),
 * identical on every rank for any number of ranks and to
 * ml_learner_meta_gradient(l, n, tasks) in one process.  On failure every
 * rank returns the same status, with the message in m->err (the first
 * failing part's, in part order). */
ml_status mpi_meta_gradient(mpi_meta *m, ml_learner *l, size_t n, ml_task *const *tasks,
                            float *out, double *loss);

#endif
