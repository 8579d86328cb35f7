/* The training loop.  Tasks are drawn afresh every iteration, with the
 * sampler reseeded from (seed, iteration): the tasks of an iteration then
 * depend on nothing else, so a run resumed from a save continues exactly
 * as the uninterrupted run would have. */
#include "trainer.h"

#include "cli.h"
#include "progress.h"

#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* The one piece of process-wide state: a signal handler can reach
 * nothing else. */
static volatile sig_atomic_t interrupted;

/* A second Ctrl-C kills as usual: the handler puts the default back
 * (signal() is async-signal-safe; SA_RESETHAND is an XSI extension). */
static void on_sigint(int sig)
{
    interrupted = 1;
    signal(sig, SIG_DFL);
}

static int sample_batch(ml_sampler *s, uint64_t seed, uint64_t it, ml_task **tasks,
                        uint64_t n)
{
    if (ml_sampler_reseed(s, cli_task_seed(seed, it)) != ML_OK)
        return cli_fail("%s", ml_sampler_last_error(s)[0] ? ml_sampler_last_error(s)
                                                         : ml_last_error());
    for (uint64_t i = 0; i < n; i++)
        if (ml_sampler_sample(s, &tasks[i]) != ML_OK)
            return cli_fail("%s", ml_sampler_last_error(s));
    return EXIT_OK;
}

static void free_batch(ml_task **tasks, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        ml_task_free(tasks[i]);
        tasks[i] = NULL;
    }
}

static int step(ml_learner *l, const trainer_cfg *c, ml_task **tasks, double *loss,
                progress *pg)
{
    const char *msg = NULL;
    ml_status st = c->hooks
                       ? c->hooks->step(c->hooks->ctx, l, c->meta_batch, tasks, loss, &msg)
                       : ml_learner_meta_step(l, c->meta_batch, tasks, loss);
    if (st == ML_OK)
        return EXIT_OK;
    progress_finish(pg);
    if (!c->hooks)
        return cli_lib_error(l);
    return msg ? cli_fail("%s", msg) : EXIT_LIB;
}

static int checkpoint(ml_learner *l, const trainer_cfg *c, progress *pg)
{
    int rc = EXIT_OK;
    if (c->checkpoint_path && ml_learner_save(l, c->checkpoint_path) != ML_OK) {
        progress_finish(pg);
        rc = cli_lib_error(l);
    }
    /* One process writes; the others learn here whether it could. */
    return c->hooks ? c->hooks->agree(c->hooks->ctx, rc) : rc;
}

int trainer_set_outer_adam(ml_learner *l, double lr)
{
    ml_optimizer *opt;
    if (ml_optimizer_create(&opt, ML_OPTIMIZER_ADAM) != ML_OK)
        return cli_lib_error(NULL);
    int rc = EXIT_OK;
    if (ml_optimizer_set(opt, ML_OPT_LR, lr) != ML_OK)
        rc = cli_fail("%s", ml_optimizer_last_error(opt));
    else if (ml_learner_set_optimizer(l, opt) != ML_OK)
        rc = cli_lib_error(l);
    ml_optimizer_free(opt);
    return rc;
}

/* The schedule's rate at iteration it. */
static double lr_at(const trainer_cfg *c, uint64_t it)
{
    if (!c->lr_decay_every)
        return c->lr_base;
    double lr = c->lr_base * pow(c->lr_decay, (double)(it / c->lr_decay_every));
    /* The library refuses a rate of 0, where a long schedule underflows. */
    return lr > DBL_MIN ? lr : DBL_MIN;
}

/* The schedule depends on the learner's own iteration count, so a resumed
 * run decays at the same iterations as the uninterrupted one. */
static int decay_lr(ml_learner *l, const trainer_cfg *c, uint64_t it, progress *pg)
{
    if (!c->lr_decay_every || it == 0 || it % c->lr_decay_every != 0)
        return EXIT_OK;
    int rc = trainer_set_outer_adam(l, lr_at(c, it));
    if (rc != EXIT_OK)
        progress_finish(pg);
    return rc;
}

int trainer_run(ml_learner *l, ml_sampler *s, const trainer_cfg *c, trainer_result *r)
{
    double it0;
    if (ml_learner_get(l, ML_LEARNER_ITERATION, &it0) != ML_OK)
        return cli_lib_error(l);
    uint64_t first = (uint64_t)it0, end = first + c->iterations;
    ml_task **tasks = calloc(c->meta_batch, sizeof *tasks);
    if (!tasks)
        return cli_fail("out of memory for a meta-batch of %llu tasks",
                        (unsigned long long)c->meta_batch);

    /* Ctrl-C stops after the current iteration so the work done so far
     * can be saved. */
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    interrupted = 0;
    sigaction(SIGINT, &sa, &old);

    progress pg;
    progress_start(&pg, c->label, first, end, c->log_every, c->quiet);
    int rc = EXIT_OK;
    uint64_t it = first;
    while (it < end) {
        rc = interrupted ? EXIT_INTERRUPTED : sample_batch(s, c->seed, it, tasks, c->meta_batch);
        if (c->hooks)
            rc = c->hooks->agree(c->hooks->ctx, rc);
        double loss = 0.0;
        if (rc == EXIT_OK)
            rc = decay_lr(l, c, it, &pg);
        if (rc == EXIT_OK)
            rc = step(l, c, tasks, &loss, &pg);
        free_batch(tasks, c->meta_batch);
        if (rc != EXIT_OK)
            break;
        it++;
        progress_update(&pg, it, loss);
        if (c->checkpoint_every && it % c->checkpoint_every == 0 && it < end &&
            (rc = checkpoint(l, c, &pg)) != EXIT_OK)
            break;
    }
    progress_finish(&pg);
    sigaction(SIGINT, &old, NULL);
    free(tasks);
    r->first = first;
    r->last = it;
    r->seconds = cli_now() - pg.t0;
    r->loss = progress_loss(&pg);
    return rc;
}
