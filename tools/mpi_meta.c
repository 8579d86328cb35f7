/* A meta-batch's gradient over MPI ranks, summed in task order (see
 * mpi_meta.h for why not MPI_Allreduce).
 *
 * Each task has a record: its gradient (n_meta floats), then its meta-loss
 * and status as two doubles, copied in bytewise.  A rank fills the records
 * of its slice and one MPI_Allgatherv of bytes hands every rank all of
 * them, failures included: one collective a step, which matters when the
 * ranks share their cores with other work and each collective waits for
 * the slowest to be scheduled. */
#include "mpi_meta.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TAIL = 2 * sizeof(double) / sizeof(float) };   /* floats after a gradient */

static size_t rec_floats(const mpi_meta *m)
{
    return m->n_meta + TAIL;
}

static float *record(const mpi_meta *m, size_t task)
{
    return m->recs + task * rec_floats(m);
}

static void set_tail(const mpi_meta *m, size_t task, double loss, ml_status st)
{
    const double v[2] = {loss, (double)st};
    memcpy(record(m, task) + m->n_meta, v, sizeof v);
}

static double tail(const mpi_meta *m, size_t task, int which)
{
    double v[2];
    memcpy(v, record(m, task) + m->n_meta, sizeof v);
    return v[which];
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
    free(m->recs);
    free(m->counts);
    free(m->displs);
    m->recs = NULL;
    m->counts = m->displs = NULL;
    m->cap = 0;
}

void mpi_meta_slice(const mpi_meta *m, size_t n, size_t *first, size_t *end)
{
    size_t r = (size_t)m->rank, s = (size_t)m->size;
    *first = n * r / s;
    *end = n * (r + 1) / s;
}

/* Room for n records.  Only a larger meta-batch than before allocates,
 * and that is the same on every rank, so only then do they need to agree
 * that all of them could. */
static ml_status reserve(mpi_meta *m, size_t n)
{
    if (n <= m->cap)
        return ML_OK;
    float *r = realloc(m->recs, n * rec_floats(m) * sizeof *r);
    if (r)
        m->recs = r;
    int ok = r != NULL, all_ok;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_LAND, m->comm);
    if (!all_ok) {
        snprintf(m->err, sizeof m->err, "out of memory for %zu task gradients on a rank", n);
        return ML_ERR_NOMEM;
    }
    m->cap = n;
    return ML_OK;
}

/* The library's message for a one-task call starts "task 0: "; the task's
 * place in the whole meta-batch says more. */
static void note_failure(mpi_meta *m, size_t task, const char *msg)
{
    static const char local[] = "task 0: ";
    if (strncmp(msg, local, sizeof local - 1) == 0)
        msg += sizeof local - 1;
    snprintf(m->err, sizeof m->err, "task %zu: %s", task, msg);
}

/* This rank's tasks, one call each: a one-task "mean" is that task's
 * gradient, bit for bit (the library scales it by 1.0f).  After a
 * failure the rest of the slice is marked failed too, uncomputed. */
static void local_gradients(mpi_meta *m, ml_learner *l, size_t n, ml_task *const *tasks)
{
    size_t first, end;
    mpi_meta_slice(m, n, &first, &end);
    ml_status st = ML_OK;
    for (size_t i = first; i < end; i++) {
        double loss = NAN;
        if (st == ML_OK) {
            st = ml_learner_meta_gradient(l, 1, &tasks[i], record(m, i), m->n_meta, &loss);
            if (st != ML_OK)
                note_failure(m, i, ml_learner_last_error(l));
        }
        set_tail(m, i, loss, st);
    }
}

/* Every rank's records to every rank. */
static void gather(mpi_meta *m, size_t n)
{
    const size_t bytes = rec_floats(m) * sizeof(float);
    for (int r = 0; r < m->size; r++) {
        size_t s = n * (size_t)r / (size_t)m->size, e = n * ((size_t)r + 1) / (size_t)m->size;
        m->counts[r] = (int)((e - s) * bytes);
        m->displs[r] = (int)(s * bytes);
    }
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, m->recs, m->counts, m->displs,
                   MPI_BYTE, m->comm);
}

/* The first failed task in task order, as one process would report it:
 * every rank sees the statuses, its owner sends the message. */
static ml_status first_failure(mpi_meta *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ml_status st = (ml_status)tail(m, i, 1);
        if (st == ML_OK)
            continue;
        int owner = 0;
        while (i >= n * ((size_t)owner + 1) / (size_t)m->size)
            owner++;
        MPI_Bcast(m->err, (int)sizeof m->err, MPI_CHAR, owner, m->comm);
        return st;
    }
    return ML_OK;
}

/* The mean exactly as lib/meta/run.c forms it: the first task's gradient,
 * the others added in task order, then one multiplication by 1/n; the
 * loss summed in task order in double. */
static ml_status mean(mpi_meta *m, size_t n, float *out, double *loss)
{
    const size_t k = m->n_meta;
    const float inv = 1.0f / (float)n;
    memcpy(out, record(m, 0), k * sizeof *out);
    for (size_t i = 1; i < n; i++) {
        const float *g = record(m, i);
        for (size_t j = 0; j < k; j++)
            out[j] += g[j];
    }
    double total = 0.0;
    for (size_t i = 0; i < n; i++)
        total += tail(m, i, 0);
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
    /* Decided alike on every rank (same n, same learner): no rank is left
     * waiting in a collective the others skipped. */
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
    if (n > (size_t)INT_MAX / (rec_floats(m) * sizeof(float))) {
        snprintf(m->err, sizeof m->err,
                 "mpi_meta_gradient: %zu tasks of %zu parameters exceed MPI's int counts",
                 n, m->n_meta);
        return ML_ERR_INVALID_ARG;
    }
    ml_status st = reserve(m, n);
    if (st != ML_OK)
        return st;
    local_gradients(m, l, n, tasks);
    gather(m, n);
    if ((st = first_failure(m, n)) != ML_OK)
        return st;
    return mean(m, n, out, loss);
}
