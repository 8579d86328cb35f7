/* A meta-batch's gradient over MPI ranks, added in the library's own
 * part order (see mpi_meta.h for why not MPI_Allreduce).
 *
 * Each rank's record, 8-byte aligned: its status (a double), its tasks'
 * meta-losses (doubles), then its parts' sums (n_meta floats each, padded
 * to 8 bytes).  A rank fills its own and one MPI_Allgatherv of bytes hands
 * every rank all of them, failures included: one collective a step, which
 * matters when the ranks share their cores with other work and each
 * collective waits for the slowest to be scheduled. */
#include "mpi_meta.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t pad8(size_t bytes)
{
    return (bytes + 7) / 8 * 8;
}

/* Bytes of a record of `parts` parts and `tasks` tasks. */
static size_t rec_bytes(const mpi_meta *m, size_t parts, size_t tasks)
{
    return sizeof(double) * (1 + tasks) + pad8(parts * m->n_meta * sizeof(float));
}

/* The most all records of n tasks can take, whatever the parts. */
static size_t buf_bytes(const mpi_meta *m, size_t n)
{
    return (size_t)m->size * 2 * sizeof(double) + n * sizeof(double) +
           n * m->n_meta * sizeof(float);
}

ml_status mpi_meta_init(mpi_meta *m, MPI_Comm comm, size_t n_meta)
{
    memset(m, 0, sizeof *m);
    m->comm = comm;
    MPI_Comm_rank(comm, &m->rank);
    MPI_Comm_size(comm, &m->size);
    m->n_meta = n_meta;
    m->counts = calloc((size_t)m->size, sizeof *m->counts);
    m->displs = calloc((size_t)m->size, sizeof *m->displs);
    if (!m->counts || !m->displs) {
        mpi_meta_free(m);
        return ML_ERR_NOMEM;
    }
    return ML_OK;
}

void mpi_meta_free(mpi_meta *m)
{
    free(m->buf);
    free(m->bounds);
    free(m->counts);
    free(m->displs);
    m->buf = NULL;
    m->bounds = NULL;
    m->counts = m->displs = NULL;
    m->cap = 0;
}

void mpi_meta_slice(const mpi_meta *m, int rank, size_t parts, size_t *first, size_t *end)
{
    size_t r = (size_t)rank, s = (size_t)m->size;
    *first = parts * r / s;
    *end = parts * (r + 1) / s;
}

/* Room for a meta-batch of n tasks.  Only a larger meta-batch than before
 * allocates, and that is the same on every rank, so only then do they need
 * to agree that all of them could. */
static ml_status reserve(mpi_meta *m, size_t n)
{
    if (n <= m->cap)
        return ML_OK;
    unsigned char *b = realloc(m->buf, buf_bytes(m, n));
    if (b)
        m->buf = b;
    size_t *bounds = realloc(m->bounds, (n + 1) * sizeof *bounds);
    if (bounds)
        m->bounds = bounds;
    int ok = b && bounds, all_ok;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_LAND, m->comm);
    if (!all_ok) {
        snprintf(m->err, sizeof m->err, "out of memory for %zu task gradients on a rank", n);
        return ML_ERR_NOMEM;
    }
    m->cap = n;
    return ML_OK;
}

/* Every rank's record's place in m->buf, from the plan alone. */
static void layout(mpi_meta *m, size_t parts)
{
    size_t at = 0;
    for (int r = 0; r < m->size; r++) {
        size_t pf, pe;
        mpi_meta_slice(m, r, parts, &pf, &pe);
        size_t bytes = rec_bytes(m, pe - pf, m->bounds[pe] - m->bounds[pf]);
        m->counts[r] = (int)bytes;
        m->displs[r] = (int)at;
        at += bytes;
    }
}

/* This rank's parts, in one call (on the learner's threads).  A failed
 * record holds its status and zeros. */
static void local_sums(mpi_meta *m, ml_learner *l, size_t n, ml_task *const *tasks,
                       size_t parts)
{
    size_t pf, pe;
    mpi_meta_slice(m, m->rank, parts, &pf, &pe);
    unsigned char *rec = m->buf + m->displs[m->rank];
    size_t nt = m->bounds[pe] - m->bounds[pf];
    double *losses = (double *)(void *)(rec + sizeof(double));
    float *sums = (float *)(void *)(losses + nt);
    ml_status st = ML_OK;
    if (pe > pf)
        st = ml_learner_meta_gradient_partial(l, n, tasks, pf, pe, sums,
                                              (pe - pf) * m->n_meta, losses, nt);
    if (st != ML_OK) {
        snprintf(m->err, sizeof m->err, "%s", ml_learner_last_error(l));
        memset(rec, 0, (size_t)m->counts[m->rank]);
    }
    const double status = (double)st;
    memcpy(rec, &status, sizeof status);
}

/* The first failed rank's status and message, as one process would
 * report the first failed part: ranks hold parts in part order. */
static ml_status first_failure(mpi_meta *m)
{
    for (int r = 0; r < m->size; r++) {
        double status;
        memcpy(&status, m->buf + m->displs[r], sizeof status);
        if ((ml_status)status == ML_OK)
            continue;
        MPI_Bcast(m->err, (int)sizeof m->err, MPI_CHAR, r, m->comm);
        return (ml_status)status;
    }
    return ML_OK;
}

/* The mean exactly as lib/meta/run.c forms it (metalearn.h documents it
 * at ml_learner_meta_gradient_partial): part 0's sum, the others added in
 * part order, then one multiplication by 1/n; the losses summed in task
 * order in double. */
static ml_status mean(mpi_meta *m, size_t n, size_t parts, float *out, double *loss)
{
    const size_t k = m->n_meta;
    const float inv = 1.0f / (float)n;
    double total = 0.0;
    int started = 0;
    for (int r = 0; r < m->size; r++) {
        size_t pf, pe;
        mpi_meta_slice(m, r, parts, &pf, &pe);
        const unsigned char *rec = m->buf + m->displs[r];
        size_t nt = m->bounds[pe] - m->bounds[pf];
        const double *losses = (const double *)(const void *)(rec + sizeof(double));
        const float *sums = (const float *)(const void *)(losses + nt);
        for (size_t i = 0; i < nt; i++)
            total += losses[i];
        for (size_t p = 0; p < pe - pf; p++, started = 1) {
            const float *g = sums + p * k;
            if (!started)
                memcpy(out, g, k * sizeof *out);
            else
                for (size_t j = 0; j < k; j++)
                    out[j] += g[j];
        }
    }
    for (size_t j = 0; j < k; j++) {
        out[j] *= inv;
        if (!isfinite(out[j])) {
            snprintf(m->err, sizeof m->err, "meta-gradient element %zu is not finite", j);
            return ML_ERR_NUMERIC;
        }
    }
    if (!isfinite(total)) {
        snprintf(m->err, sizeof m->err, "the meta-loss is not finite");
        return ML_ERR_NUMERIC;
    }
    if (loss)
        *loss = total / (double)n;
    return ML_OK;
}

ml_status mpi_meta_gradient(mpi_meta *m, ml_learner *l, size_t n, ml_task *const *tasks,
                            float *out, double *loss)
{
    /* Decided alike on every rank (same n, same learner, same tasks): no
     * rank is left waiting in a collective the others skipped. */
    if (n == 0 || !tasks || !out) {
        snprintf(m->err, sizeof m->err, "mpi_meta_gradient: no tasks or no output");
        return ML_ERR_INVALID_ARG;
    }
    if (ml_learner_num_meta_params(l) != m->n_meta) {
        snprintf(m->err, sizeof m->err,
                 "mpi_meta_gradient: the learner has %zu meta-parameters, not %zu",
                 ml_learner_num_meta_params(l), m->n_meta);
        return ML_ERR_SHAPE;
    }
    /* buf_bytes(n) must fit MPI's int counts and displacements. */
    const size_t per_task = m->n_meta * sizeof(float) + sizeof(double),
                 fixed = (size_t)m->size * 2 * sizeof(double);
    if (m->n_meta > (size_t)INT_MAX || fixed > (size_t)INT_MAX ||
        n > ((size_t)INT_MAX - fixed) / per_task) {
        snprintf(m->err, sizeof m->err,
                 "mpi_meta_gradient: %zu tasks of %zu parameters exceed MPI's int counts",
                 n, m->n_meta);
        return ML_ERR_INVALID_ARG;
    }
    ml_status st = reserve(m, n);
    if (st != ML_OK)
        return st;
    size_t parts = 0;
    st = ml_learner_meta_gradient_parts(l, n, tasks, m->bounds, n + 1, &parts);
    if (st != ML_OK) {
        snprintf(m->err, sizeof m->err, "%s", ml_learner_last_error(l));
        return st;
    }
    layout(m, parts);
    local_sums(m, l, n, tasks, parts);
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, m->buf, m->counts, m->displs,
                   MPI_BYTE, m->comm);
    if ((st = first_failure(m)) != ML_OK)
        return st;
    return mean(m, n, parts, out, loss);
}
