/* metalearn eval on image tasks: the mean query accuracy over N-way K-shot
 * test episodes, with a 95% interval, as the few-shot papers report it.
 *
 * The library gives the accuracy of a set of tasks as one mean, so each
 * episode is evaluated on its own to get the spread.  Episodes then run on
 * the tool's own threads, each with its own copy of the learner (a handle
 * is for one thread at a time); the episodes come from one sampler in
 * order, so episode i is the same whatever the thread count. */
#include "commands.h"

#include "cli.h"
#include "json.h"
#include "progress.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The work shared by the threads, under `mu`. */
typedef struct episode_pool {
    pthread_mutex_t mu;
    ml_sampler *sampler;
    size_t n, next, done;
    int steps;
    double *acc, *loss;      /* per episode; NaN for a diverged adaptation */
    int failed;
    char msg[512];
    progress pg;
} episode_pool;

typedef struct worker {
    episode_pool *pool;
    ml_learner *learner;
    pthread_t thread;
} worker;

static void fail_locked(episode_pool *p, const char *msg)
{
    if (!p->failed) {
        p->failed = 1;
        snprintf(p->msg, sizeof p->msg, "%s", msg[0] ? msg : "unknown library error");
    }
}

static void run_episodes(episode_pool *p, ml_learner *l)
{
    for (;;) {
        pthread_mutex_lock(&p->mu);
        if (p->failed || p->next >= p->n) {
            pthread_mutex_unlock(&p->mu);
            return;
        }
        size_t i = p->next++;
        ml_task *t = NULL;
        if (ml_sampler_sample(p->sampler, &t) != ML_OK) {
            fail_locked(p, ml_sampler_last_error(p->sampler));
            pthread_mutex_unlock(&p->mu);
            return;
        }
        pthread_mutex_unlock(&p->mu);

        double acc = NAN, loss = NAN;
        ml_status st = ml_learner_evaluate(l, 1, &t, p->steps, &loss, &acc, NULL);
        ml_task_free(t);

        pthread_mutex_lock(&p->mu);
        if (st == ML_ERR_NUMERIC) {
            acc = loss = NAN;
        } else if (st != ML_OK) {
            fail_locked(p, ml_learner_last_error(l));
            pthread_mutex_unlock(&p->mu);
            return;
        }
        p->acc[i] = acc;
        p->loss[i] = loss;
        progress_update(&p->pg, ++p->done, loss);
        pthread_mutex_unlock(&p->mu);
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    run_episodes(w->pool, w->learner);
    return NULL;
}

/* Runs the pool on `threads` threads: this one with `l`, the others with
 * copies loaded from `path`. */
static int run_pool(episode_pool *p, ml_learner *l, const char *path, size_t threads)
{
    if (threads > p->n)
        threads = p->n;
    worker *w = calloc(threads, sizeof *w);
    if (!w)
        return cli_fail("out of memory");
    int rc = EXIT_OK;
    size_t started = 0;
    for (size_t i = 1; i < threads && rc == EXIT_OK; i++) {
        w[i].pool = p;
        if (ml_learner_load(&w[i].learner, path) != ML_OK) {
            rc = cli_lib_error(NULL);
            break;
        }
        if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]) != 0) {
            ml_learner_free(w[i].learner);
            w[i].learner = NULL;
            break;      /* fewer threads: slower, same result */
        }
        started = i;
    }
    if (rc != EXIT_OK) {
        pthread_mutex_lock(&p->mu);
        fail_locked(p, "");
        pthread_mutex_unlock(&p->mu);
    } else {
        run_episodes(p, l);
    }
    for (size_t i = 1; i <= started; i++) {
        pthread_join(w[i].thread, NULL);
        ml_learner_free(w[i].learner);
    }
    free(w);
    progress_finish(&p->pg);
    if (rc == EXIT_OK && p->failed)
        rc = cli_fail("%s", p->msg);
    return rc;
}

typedef struct summary {
    double accuracy, ci95, loss;
    size_t diverged;
} summary;

/* Mean and 1.96 sample standard deviations over sqrt(n) of the episodes
 * that did not diverge. */
static summary summarise(const double *acc, const double *loss, size_t n)
{
    double sum = 0, ss = 0, lsum = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(acc[i])) {
            sum += acc[i];
            lsum += loss[i];
            k++;
        }
    double mean = k ? sum / (double)k : NAN;
    for (size_t i = 0; i < n; i++)
        if (isfinite(acc[i]))
            ss += (acc[i] - mean) * (acc[i] - mean);
    double sd = k > 1 ? sqrt(ss / (double)(k - 1)) : NAN;
    return (summary){mean, 1.96 * sd / sqrt((double)k), k ? lsum / (double)k : NAN, n - k};
}

static void describe_adaptation(char *buf, size_t cap, const ml_learner *l, int steps)
{
    int st = ml_learner_strategy(l);
    double lr = NAN, adam = 0;
    if (cli_strategy_is_metric(st)) {
        snprintf(buf, cap, "adapted by embedding the support set");
        return;
    }
    ml_learner_get(l, ML_LEARNER_INNER_LR, &lr);
    if (st == ML_STRATEGY_REPTILE)
        ml_learner_get(l, ML_LEARNER_REPTILE_INNER_ADAM, &adam);
    if (st == ML_STRATEGY_METASGD)
        snprintf(buf, cap, "%d inner step%s (learned step sizes)", steps,
                 steps == 1 ? "" : "s");
    else
        snprintf(buf, cap, "%d inner step%s (%s %g)", steps, steps == 1 ? "" : "s",
                 adam == 1 ? "Adam, lr" : "alpha", lr);
}

static void print_json(const char *path, const ml_learner *l, const eval_opts *o,
                       const task_spec *ts, int steps, double iters, const summary *s,
                       double seconds)
{
    const task_opts *t = &ts->opts;
    json_writer w;
    json_init(&w, stdout);
    json_begin_object(&w, NULL);
    json_string(&w, "command", "eval");
    json_string(&w, "file", path);
    json_string(&w, "strategy", cli_strategy_name(ml_learner_strategy(l)));
    json_string(&w, "task", t->spec);
    json_string(&w, "test_split", ts->split);
    json_uint(&w, "classes", ts->classes);
    json_uint(&w, "ways", t->ways);
    json_uint(&w, "shots", t->shots);
    json_uint(&w, "queries", t->queries);
    json_uint(&w, "episodes", o->tasks);
    json_uint(&w, "seed", o->seed);
    if (steps < 0)
        json_null(&w, "steps");
    else
        json_uint(&w, "steps", (uint64_t)steps);
    json_number(&w, "iterations", iters);
    json_number(&w, "accuracy", s->accuracy);
    json_number(&w, "ci95", s->ci95);
    json_number(&w, "loss", s->loss);
    json_uint(&w, "diverged", s->diverged);
    json_uint(&w, "threads", o->threads);
    json_number(&w, "seconds", seconds);
    json_end_object(&w);
    json_finish(&w);
}

int eval_images_run(const char *path, const eval_opts *o, task_spec *ts)
{
    double t0 = cli_now(), iters = 0;
    episode_pool p;
    memset(&p, 0, sizeof p);
    p.n = (size_t)o->tasks;
    ml_learner *l = NULL;
    int rc = EXIT_OK;
    if (ml_learner_load(&l, path) != ML_OK)
        return cli_lib_error(NULL);
    int metric = cli_strategy_is_metric(ml_learner_strategy(l));
    /* Steps mean nothing to the metric strategies: -1 marks that. */
    int steps = metric ? -1 : o->steps_given ? o->steps.v[0] : 3;
    p.steps = steps < 0 ? 0 : steps;
    if (ml_learner_set(l, ML_LEARNER_THREADS, 1) != ML_OK ||
        ml_learner_get(l, ML_LEARNER_ITERATION, &iters) != ML_OK)
        rc = cli_lib_error(l);
    if (rc == EXIT_OK)
        rc = task_spec_load(ts, "eval", l);
    if (rc == EXIT_OK && ts->kind->make_sampler(ts, o->seed, &p.sampler) != ML_OK)
        rc = cli_lib_error(NULL);
    if (rc == EXIT_OK) {
        p.acc = malloc(p.n * sizeof *p.acc);
        p.loss = malloc(p.n * sizeof *p.loss);
        if (!p.acc || !p.loss)
            rc = cli_fail("out of memory for %zu episodes", p.n);
    }
    if (rc == EXIT_OK) {
        pthread_mutex_init(&p.mu, NULL);
        progress_start(&p.pg, "eval", 0, p.n, 0, o->quiet);
        p.pg.unit = "episode";
        rc = run_pool(&p, l, path, (size_t)o->threads);
        pthread_mutex_destroy(&p.mu);
    }
    if (rc == EXIT_OK) {
        summary s = summarise(p.acc, p.loss, p.n);
        char how[128];
        describe_adaptation(how, sizeof how, l, p.steps);
        printf("%s: %s learner, %.0f iterations; %llu queries per class, seed %llu; %s\n",
               path, cli_strategy_name(ml_learner_strategy(l)), iters,
               (unsigned long long)ts->opts.queries, (unsigned long long)o->seed, how);
        printf("%llu-way %llu-shot: accuracy %.2f%% +/- %.2f%% over %zu episodes",
               (unsigned long long)ts->opts.ways, (unsigned long long)ts->opts.shots,
               100.0 * s.accuracy, isfinite(s.ci95) ? 100.0 * s.ci95 : 0.0,
               p.n - s.diverged);
        if (s.diverged)
            printf(" (%zu more diverged: their adapted scores went to infinity)",
                   s.diverged);
        printf("\n");
        if (o->json)
            print_json(path, l, o, ts, steps, iters, &s, cli_now() - t0);
    }
    free(p.acc);
    free(p.loss);
    ml_sampler_free(p.sampler);
    ml_learner_free(l);
    task_spec_release(ts);
    return rc;
}
