/* Comparing optimisers on a problem family.  Every optimiser sees the
 * same problems (ml_problems_run() makes problem, starting point and
 * mini-batches from a seed), so differences are the optimisers' own.  The
 * hand-designed ones are tuned on problems of other seeds, so the rate is
 * not chosen on the problems it is judged on.  Runs are spread over
 * threads by problem; each thread has its own copy of the optimiser (an
 * optimiser has per-run state, a family is read-only), and results do not
 * depend on the number of threads. */
#include "lstm_compare.h"

#include "cli.h"
#include "lstm_cli.h"
#include "progress.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Tuning seeds are hashed from iteration numbers past this one, the test
 * seeds from those below: cli_task_seed() is a bijection in the
 * iteration, so the two sets never share a problem. */
#define TUNE_SEED_BASE (UINT64_C(1) << 63)

/* One batch of runs: one optimiser at one rate on a set of problems. */
typedef struct job {
    const ml_problems *fam;
    const void *blob;            /* the optimiser, serialised */
    size_t blob_size;
    double lr;                   /* NaN: as saved */
    uint64_t seed, seed_base;
    size_t n, steps;
    double *losses;              /* [n][steps + 1] */
    int threads;
    atomic_size_t done;
    progress *pg;                /* thread 0 reports; NULL for none */
    uint64_t pg_base;
} job;

typedef struct worker {
    job *j;
    int id, rc;
    char msg[512];
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    job *j = w->j;
    ml_optimizer *o = NULL;
    if (ml_optimizer_load_buffer(&o, j->blob, j->blob_size) != ML_OK ||
        (isfinite(j->lr) && ml_optimizer_set(o, ML_OPT_LR, j->lr) != ML_OK)) {
        snprintf(w->msg, sizeof w->msg, "%s",
                 o ? ml_optimizer_last_error(o) : ml_last_error());
        w->rc = EXIT_LIB;
        ml_optimizer_free(o);
        return NULL;
    }
    for (size_t i = (size_t)w->id; i < j->n; i += (size_t)j->threads) {
        double *l = j->losses + i * (j->steps + 1);
        ml_status st = ml_problems_run(j->fam, o, cli_task_seed(j->seed, j->seed_base + i),
                                       j->steps, l);
        /* A diverged run keeps its losses up to there: not a failure. */
        if (st != ML_OK && st != ML_ERR_NUMERIC) {
            snprintf(w->msg, sizeof w->msg, "%s", ml_optimizer_last_error(o));
            w->rc = EXIT_LIB;
            break;
        }
        size_t done = atomic_fetch_add(&j->done, 1) + 1;
        if (w->id == 0 && j->pg)
            progress_update(j->pg, j->pg_base + done, l[j->steps]);
    }
    ml_optimizer_free(o);
    return NULL;
}

static int run_job(job *j)
{
    worker ws[256];
    pthread_t tid[256];
    int n = j->threads, started = 0;
    atomic_init(&j->done, 0);
    for (int i = 0; i < n; i++)
        ws[i] = (worker){.j = j, .id = i, .rc = EXIT_OK};
    for (int i = 1; i < n; i++, started++)
        if (pthread_create(&tid[i], NULL, work, &ws[i]) != 0)
            break;
    work(&ws[0]);
    for (int i = 1; i <= started; i++)
        pthread_join(tid[i], NULL);
    if (started < n - 1)
        return cli_fail("cannot start %d threads", n);
    for (int i = 0; i < n; i++)
        if (ws[i].rc != EXIT_OK)
            return cli_fail("%s", ws[i].msg);
    return EXIT_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Statistics of the losses after `s` steps; scratch holds n doubles. */
static cmp_stats summarise(const double *losses, size_t n, size_t stride, int s,
                           double *scratch)
{
    size_t k = 0;
    double sum = 0, ss = 0;
    for (size_t i = 0; i < n; i++) {
        double v = losses[i * stride + (size_t)s];
        if (isfinite(v))
            scratch[k++] = v, sum += v;
    }
    cmp_stats st = {.lr = NAN, .mean = NAN, .median = NAN, .ci95 = NAN, .diverged = n - k};
    if (!k)
        return st;
    st.mean = sum / (double)k;
    for (size_t i = 0; i < k; i++)
        ss += (scratch[i] - st.mean) * (scratch[i] - st.mean);
    if (k > 1)
        st.ci95 = 1.96 * sqrt(ss / (double)(k - 1)) / sqrt((double)k);
    qsort(scratch, k, sizeof *scratch, cmp_double);
    st.median = k % 2 ? scratch[k / 2] : 0.5 * (scratch[k / 2 - 1] + scratch[k / 2]);
    return st;
}

static void mean_curve(const double *losses, size_t n, int steps, double *curve)
{
    for (int s = 0; s <= steps; s++) {
        double sum = 0;
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            double v = losses[i * (size_t)(steps + 1) + (size_t)s];
            if (isfinite(v))
                sum += v, k++;
        }
        curve[s] = k ? sum / (double)k : NAN;
    }
}

static int serialise(const ml_optimizer *o, void **blob, size_t *size)
{
    *blob = NULL;
    if (ml_optimizer_save_buffer(o, NULL, 0, size) != ML_OK || !(*blob = malloc(*size)))
        return cli_fail("cannot copy the optimizer: %s", ml_optimizer_last_error(o));
    if (ml_optimizer_save_buffer(o, *blob, *size, size) != ML_OK) {
        free(*blob);
        *blob = NULL;
        return cli_fail("cannot copy the optimizer: %s", ml_optimizer_last_error(o));
    }
    return EXIT_OK;
}

static int add_baseline(cmp_run *r, const char *name, ml_optimizer_kind kind,
                        double momentum)
{
    cmp_entry *e = &r->e[r->n_entries];
    if (ml_optimizer_create(&e->proto, kind) != ML_OK)
        return cli_lib_error(NULL);
    r->n_entries++;
    e->name = name;
    e->tuned = 1;
    if (momentum > 0 && (ml_optimizer_set(e->proto, ML_OPT_MOMENTUM, momentum) != ML_OK ||
                         ml_optimizer_set(e->proto, ML_OPT_NESTEROV, 1) != ML_OK))
        return cli_fail("%s", ml_optimizer_last_error(e->proto));
    size_t g = (size_t)r->s.lr_points * (size_t)r->s.n_report;
    e->tune_mean = malloc(g * sizeof *e->tune_mean);
    e->tune_diverged = malloc(g * sizeof *e->tune_diverged);
    return e->tune_mean && e->tune_diverged ? EXIT_OK : cli_fail("out of memory");
}

int cmp_prepare(cmp_run *r, const cmp_settings *s, ml_optimizer *learned)
{
    memset(r, 0, sizeof *r);
    r->s = *s;
    for (int i = 0; i < s->n_report; i++)
        if (s->report[i] > r->steps)
            r->steps = s->report[i];
    for (int k = 0; k < s->lr_points; k++)
        r->grid[k] = s->lr_points == 1 ? s->lr_lo
                                       : s->lr_lo * pow(s->lr_hi / s->lr_lo,
                                                        (double)k / (s->lr_points - 1));
    cmp_entry *e = &r->e[r->n_entries++];
    int kind = ml_optimizer_kind_of(learned);
    /* A saved hand-designed optimiser is told apart from the tuned one. */
    e->name = kind == ML_OPTIMIZER_LSTM ? opt_kind_name(kind)
              : kind == ML_OPTIMIZER_ADAM ? "adam (file)"
              : kind == ML_OPTIMIZER_RMSPROP ? "rmsprop (file)"
                                             : "sgd (file)";
    e->proto = learned;
    int rc = EXIT_OK;
    /* Nesterov momentum is SGD with momentum 0.9 and the look-ahead. */
    if (rc == EXIT_OK)
        rc = add_baseline(r, "adam", ML_OPTIMIZER_ADAM, 0);
    if (rc == EXIT_OK)
        rc = add_baseline(r, "rmsprop", ML_OPTIMIZER_RMSPROP, 0);
    if (rc == EXIT_OK)
        rc = add_baseline(r, "nesterov", ML_OPTIMIZER_SGD, 0.9);
    if (rc == EXIT_OK)
        rc = add_baseline(r, "sgd", ML_OPTIMIZER_SGD, 0);
    for (int i = 0; i < r->n_entries && rc == EXIT_OK; i++)
        if (!(r->e[i].curve = malloc((size_t)(r->steps + 1) * sizeof(double))))
            rc = cli_fail("out of memory");
    return rc;
}

void cmp_free(cmp_run *r)
{
    for (int i = 0; i < r->n_entries; i++) {
        ml_optimizer_free(r->e[i].proto);
        free(r->e[i].tune_mean);
        free(r->e[i].tune_diverged);
        free(r->e[i].curve);
    }
    memset(r, 0, sizeof *r);
}

int cmp_at_grid_edge(const cmp_run *r, const cmp_entry *e, int report)
{
    return e->tuned && r->s.lr_points > 2 &&
           (e->choice[report] == 0 || e->choice[report] == r->s.lr_points - 1);
}

/* State of one cmp_execute(): buffers and progress. */
typedef struct exec_ctx {
    cmp_run *r;
    double *losses, *scratch;
    progress pg;
    uint64_t runs_done;
} exec_ctx;

static int run_set(exec_ctx *x, const cmp_entry *e, double lr, int tuning)
{
    cmp_run *r = x->r;
    void *blob;
    size_t size;
    int rc = serialise(e->proto, &blob, &size);
    if (rc != EXIT_OK)
        return rc;
    job j = {
        .fam = r->s.fam, .blob = blob, .blob_size = size, .lr = lr, .seed = r->s.seed,
        .seed_base = tuning ? TUNE_SEED_BASE : 0,
        .n = tuning ? r->s.n_tune : r->s.n_test, .steps = (size_t)r->steps,
        .losses = x->losses, .threads = r->s.threads,
        .pg = r->s.quiet ? NULL : &x->pg, .pg_base = x->runs_done,
    };
    rc = run_job(&j);
    x->runs_done += j.n;
    free(blob);
    return rc;
}

/* Runs e on the tuning problems at every rate and picks, per report, the
 * rate with the fewest diverged runs and then the lowest mean loss. */
static int tune(exec_ctx *x, cmp_entry *e)
{
    cmp_run *r = x->r;
    const int nr = r->s.n_report;
    const size_t stride = (size_t)r->steps + 1;
    for (int g = 0; g < r->s.lr_points; g++) {
        int rc = run_set(x, e, r->grid[g], 1);
        if (rc != EXIT_OK)
            return rc;
        for (int k = 0; k < nr; k++) {
            cmp_stats st = summarise(x->losses, r->s.n_tune, stride, r->s.report[k],
                                     x->scratch);
            e->tune_mean[g * nr + k] = st.mean;
            e->tune_diverged[g * nr + k] = st.diverged;
        }
    }
    for (int k = 0; k < nr; k++) {
        int best = 0;
        for (int g = 1; g < r->s.lr_points; g++) {
            size_t db = e->tune_diverged[best * nr + k], dg = e->tune_diverged[g * nr + k];
            double mb = e->tune_mean[best * nr + k], mg = e->tune_mean[g * nr + k];
            if (dg < db || (dg == db && isfinite(mg) && !(mb <= mg)))
                best = g;
        }
        e->choice[k] = best;
    }
    return EXIT_OK;
}

/* The test runs of e: once for the loaded optimiser, once per distinct
 * chosen rate for a tuned one. */
static int test(exec_ctx *x, cmp_entry *e)
{
    cmp_run *r = x->r;
    const size_t stride = (size_t)r->steps + 1;
    int longest = 0;
    for (int k = 1; k < r->s.n_report; k++)
        if (r->s.report[k] > r->s.report[longest])
            longest = k;
    int done[CMP_MAX_GRID] = {0};
    for (int k = 0; k < r->s.n_report; k++) {
        int g = e->tuned ? e->choice[k] : 0;
        if (done[g])
            continue;
        done[g] = 1;
        double lr = e->tuned ? r->grid[g] : NAN;
        int rc = run_set(x, e, lr, 0);
        if (rc != EXIT_OK)
            return rc;
        double own;
        if (!e->tuned && ml_optimizer_get(e->proto, ML_OPT_LR, &own) == ML_OK)
            lr = own;
        for (int m = 0; m < r->s.n_report; m++) {
            if ((e->tuned ? e->choice[m] : 0) != g)
                continue;
            e->stats[m] = summarise(x->losses, r->s.n_test, stride, r->s.report[m],
                                    x->scratch);
            e->stats[m].lr = lr;
            if (m == longest)
                mean_curve(x->losses, r->s.n_test, r->steps, e->curve);
        }
    }
    return EXIT_OK;
}

int cmp_execute(cmp_run *r)
{
    exec_ctx x = {.r = r};
    size_t n = r->s.n_test > r->s.n_tune ? r->s.n_test : r->s.n_tune;
    x.losses = malloc(n * ((size_t)r->steps + 1) * sizeof(double));
    x.scratch = malloc(n * sizeof(double));
    if (!x.losses || !x.scratch) {
        free(x.losses);
        free(x.scratch);
        return cli_fail("out of memory for %zu runs of %d steps", n, r->steps);
    }
    /* The most runs there can be: tuning, and a test set per distinct
     * rate chosen (one, unless the reports chose different rates). */
    uint64_t sets = (uint64_t)(r->s.n_report < r->s.lr_points ? r->s.n_report
                                                              : r->s.lr_points);
    uint64_t total = (uint64_t)r->s.n_test;
    for (int i = 1; i < r->n_entries; i++)
        total += (uint64_t)r->s.lr_points * r->s.n_tune + sets * r->s.n_test;
    progress_start(&x.pg, "eval", 0, total, 0, r->s.quiet);
    /* Losses of different optimisers and problems: no meaningful mean. */
    x.pg.unit = "run";
    x.pg.show_loss = 0;
    double t0 = cli_now();
    int rc = EXIT_OK;
    for (int i = 0; i < r->n_entries && rc == EXIT_OK; i++) {
        if (r->e[i].tuned)
            rc = tune(&x, &r->e[i]);
        if (rc == EXIT_OK)
            rc = test(&x, &r->e[i]);
    }
    if (rc == EXIT_OK && !r->s.quiet && x.runs_done < total)
        progress_update(&x.pg, total, NAN);
    progress_finish(&x.pg);
    r->seconds = cli_now() - t0;
    free(x.losses);
    free(x.scratch);
    return rc;
}
