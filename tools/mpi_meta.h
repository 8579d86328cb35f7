/* ml_learner_meta_gradient() spread over MPI ranks, with the same bits
 * for any number of ranks.
 *
 * Summing per-rank partial sums with MPI_Allreduce would add the tasks'
 * gradients in an order that depends on the rank count, and float
 * addition is not associative: results would differ in the last bits, and
 * training carries such differences on and magnifies them.  So each rank
 * computes the gradients of its own tasks one task at a time,
 * MPI_Allgatherv hands every rank every task's gradient, and every rank
 * sums them in task order and scales them as the library does.  Where the
 * library itself sums task by task (convolutional networks, among others)
 * that is its one-process result bit for bit; where it sums groups of
 * tasks inside one graph (dense networks) it agrees up to the order of
 * additions (docs/scaling.md).  The price is bandwidth: a rank receives
 * the gradients of the whole meta-batch, not the ~2 gradients of a ring
 * allreduce.
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
    size_t cap;              /* tasks `recs` holds */
    float *recs;             /* cap task records (mpi_meta.c): every task's result */
    int *counts, *displs;    /* MPI_Allgatherv's, per rank, in bytes */
    char err[512];           /* the last failure's message, alike on every rank */
} mpi_meta;

/* For gradients of `n_meta` floats (ml_learner_num_meta_params()).  Not
 * collective.  ML_OK or ML_ERR_NOMEM. */
ml_status mpi_meta_init(mpi_meta *m, MPI_Comm comm, size_t n_meta);

void mpi_meta_free(mpi_meta *m);

/* The tasks [*first, *end) of a meta-batch of n are this rank's: ranks
 * take contiguous slices in rank order, as even as n allows (some are
 * empty when n is below the number of ranks). */
void mpi_meta_slice(const mpi_meta *m, size_t n, size_t *first, size_t *end);

/* Collective: every rank passes the whole meta-batch, the same n tasks,
 * and computes the gradients of its slice only.  Writes the mean
 * meta-gradient (n_meta floats) and the mean meta-loss (may be NULL),
 * identical on every rank for any number of ranks, and to
 * ml_learner_meta_gradient(l, n, tasks) in one process wherever the
 * library sums task by task.  On failure every rank returns the same status, with
 * the message in m->err (the first failing task's, in task order). */
ml_status mpi_meta_gradient(mpi_meta *m, ml_learner *l, size_t n, ml_task *const *tasks,
                            float *out, double *loss);

#endif
