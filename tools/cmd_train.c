/* metalearn train: meta-trains a learner and saves it. */
#include "commands.h"

#include "cli.h"
#include "json.h"
#include "lstm_cli.h"
#include "trainer.h"
#ifdef METALEARN_TOOL_MPI
#include "train_mpi.h"
#endif

#include <math.h>
#include <stdio.h>
#include <string.h>

const char usage_train[] =
    "usage: " PROG " train [options] --out FILE\n"
    "\n"
    "Meta-trains a learner on tasks drawn afresh every iteration and saves it.\n"
    "The defaults are the MAML paper's sine-wave setup; on image tasks they are\n"
    "the papers' few-shot setups with fewer iterations.\n"
    "\n"
    "  --task KIND[:ARG]      sine (default), omniglot:DIR or idx:IMAGES,LABELS\n"
    "  --strategy NAME        maml, fomaml, reptile, metasgd or joint; on image tasks\n"
    "                         also protonet, siamese, relation or matching (default\n"
    "                         maml)\n"
    "  --shots K              support examples per task (default 10; images 1 a class)\n"
    "  --queries Q            query examples per task (default 10; images 5 a class)\n"
    "  --iterations N         meta-updates to do (default 70000; images 2000)\n"
    "  --meta-batch B         tasks per meta-update (default 25; images: 4, reptile 5,\n"
    "                         and 1 episode for the metric strategies as in\n"
    "                         Snell et al.; the MAML paper uses 32 for 5-way Omniglot)\n"
    "  --inner-steps S        inner-loop steps (default 1; reptile 5)\n"
    "  --inner-lr A           inner-loop step size (default 0.01; reptile 0.02, on\n"
    "                         images 0.001 with Adam; maml, fomaml on images 0.4 as\n"
    "                         in the MAML paper; metasgd learns its own)\n"
    "  --outer-lr B           step size of the outer Adam (default 0.001; not reptile)\n"
    "  --lr-decay F, --lr-decay-every N   outer rate --outer-lr * F^floor(i/N) at\n"
    "                         the learner's iteration i (Adam restarts at each change;\n"
    "                         on --resume give the first run's --outer-lr)\n"
    "  --epsilon E            reptile: outer step size (default 1.0: the step\n"
    "                         on the mean over a meta-batch)\n"
    "  --epsilon-final E      reptile: the value epsilon is annealed to (default 0)\n"
    "  --anneal-iters N       reptile: iterations of the linear annealing\n"
    "                         (default: this run's --iterations)\n"
    "  --inner-adam           reptile: Adam with beta1 = 0 in the inner loop, not SGD\n"
    "                         (the default on image tasks, as in the Reptile paper)\n"
    "  --inner-sgd            reptile on image tasks: SGD in the inner loop instead\n"
    "  --threads T            worker threads (default 1; the result does not depend on it)\n"
    "  --mpi                  a rank of mpirun: same result, rank 0 saves (docs/scaling.md)\n"
    "  --seed S               seed of the initial parameters and the tasks (default 1)\n"
    "  --out FILE             where to save the learner (default with --resume: that file)\n"
    "  --checkpoint-every N   also save to the --out file every N iterations\n"
    "  --resume FILE          load FILE and train it for --iterations more; with the\n"
    "                         first run's --seed and task options, the tasks are those\n"
    "                         of one uninterrupted run (split reptile runs need\n"
    "                         --anneal-iters TOTAL on their first part)\n"
    "  --log-every N          without a terminal: a progress line every N iterations\n"
    "                         (default every 10%)\n"
    "  --quiet                no progress output\n"
    "  --json                 a JSON summary as the last line of stdout\n"
    ;

/* The task options, apart: one string of both exceeds the 4,095
 * characters C requires compilers to accept. */
static const char usage_train_tasks[] =
    "\n"
    "sine task options:\n"
    "  --amp-min A, --amp-max A       amplitude range (default 0.1 to 5)\n"
    "  --phase-min P, --phase-max P   phase range (default 0 to pi)\n"
    "  --x-min X, --x-max X           input range (default -5 to 5)\n"
    "\n"
    "image task options (omniglot:DIR, a directory in the Omniglot layout\n"
    "DIR/<alphabet>/<character>/<image>.png; idx:IMAGES,LABELS, MNIST-style files):\n"
    "  --ways N               classes per episode (default 5)\n"
    "  --rotations 0|1        add the training classes rotated by 90, 180 and 270\n"
    "                         degrees as new classes (default 1 for omniglot, 0 for idx)\n"
    "  --augment-shift S      move every training example by a random whole number of\n"
    "                         pixels, up to S each way, zeros moving in (default 0;\n"
    "                         augmentation, not in the papers' setups)\n"
    "  --image-size S         omniglot: inverted and resized to SxS (default 28)\n"
    "  --filters F, --blocks B   Conv-4 filters per block, blocks (default 64, 4)\n"
    "  --train-split RULE     the classes to train on: all (default), groups:A,B,...\n"
    "                         (alphabets), classes:A,B,... or fraction:F\n"
    "  --split-seed S         seed of fraction: splits (default 0)\n"
    "  --test-split RULE      checked only, so train and eval can share options\n"
    "Network: Conv-4, plus a dense layer of --ways outputs for the gradient-based\n"
    "strategies.  Test on classes not trained on: see '" PROG " help eval'.\n"
    "\n"
    "Ctrl-C stops after the current iteration and saves what was learned.\n";

void train_opts_init(train_opts *o)
{
    memset(o, 0, sizeof *o);
    task_opts_init(&o->task, TASK_USE_TRAIN);
    o->strategy = NULL;
    o->iterations = 70000;
    o->meta_batch = 25;
    o->inner_steps = 1;
    o->inner_lr = 0.01;
    o->outer_lr = 0.001;
    o->epsilon = 1.0;
    o->epsilon_final = 0.0;
    o->threads = 1;
    o->seed = 1;
}

/* The settings of a run: the options given, or the defaults for the
 * strategy and task kind. */
typedef struct train_settings {
    uint64_t iterations, meta_batch, inner_steps;
    double inner_lr;
    int inner_adam;
} train_settings;

static train_settings effective_settings(const train_opts *o, const task_spec *ts,
                                         int strategy)
{
    int reptile = strategy == ML_STRATEGY_REPTILE, images = ts->kind->classification;
    int maml = strategy == ML_STRATEGY_MAML || strategy == ML_STRATEGY_FOMAML;
    train_settings e = {
        .iterations = o->iterations,
        .meta_batch = o->meta_batch,
        .inner_steps = o->inner_steps_given ? o->inner_steps : reptile ? 5 : o->inner_steps,
        .inner_lr = o->inner_lr,
        .inner_adam = o->inner_adam,
    };
    if (!o->inner_lr_given && reptile)
        e.inner_lr = images && !o->inner_sgd ? 0.001 : 0.02;
    if (images) {
        if (!o->iterations_given)
            e.iterations = 2000;
        if (!o->meta_batch_given)
            e.meta_batch = cli_strategy_is_metric(strategy) ? 1 : reptile ? 5 : 4;
        if (!o->inner_lr_given && maml)
            e.inner_lr = 0.4;
        if (reptile && !o->inner_sgd)
            e.inner_adam = 1;
    }
    return e;
}

/* Options of one strategy given to another are refused rather than
 * silently ignored: the user believes they changed something. */
static int check_strategy_options(const train_opts *o, const task_spec *ts, int strategy)
{
    const char *name = cli_strategy_name(strategy);
    if (cli_strategy_is_metric(strategy) && !ts->kind->classification)
        return cli_usage_error("train: %s classifies: it needs an image task (--task "
                               "omniglot:DIR or idx:IMAGES,LABELS), not %s", name,
                               ts->kind->name);
    if (cli_strategy_is_metric(strategy)) {
        const char *bad = o->inner_lr_given      ? "--inner-lr"
                          : o->inner_steps_given ? "--inner-steps"
                                                 : NULL;
        if (bad)
            return cli_usage_error("train: %s has no inner loop (it adapts by embedding "
                                   "the support set): %s does not apply", name, bad);
    }
    if (o->inner_adam && o->inner_sgd)
        return cli_usage_error("train: --inner-adam and --inner-sgd exclude each other");
    if (strategy != ML_STRATEGY_REPTILE) {
        const char *bad = o->epsilon_given         ? "--epsilon"
                          : o->epsilon_final_given ? "--epsilon-final"
                          : o->anneal_given        ? "--anneal-iters"
                          : o->inner_adam          ? "--inner-adam"
                          : o->inner_sgd           ? "--inner-sgd"
                                                   : NULL;
        if (bad)
            return cli_usage_error("train: %s applies only to --strategy reptile, not %s",
                                   bad, name);
    } else if (o->outer_lr_given || o->lr_decay_given || o->lr_decay_every_given) {
        return cli_usage_error("train: reptile has no outer Adam: set its outer step "
                               "with --epsilon, not %s",
                               o->outer_lr_given ? "--outer-lr"
                               : o->lr_decay_given ? "--lr-decay"
                                                   : "--lr-decay-every");
    }
    if (o->lr_decay_given != o->lr_decay_every_given)
        return cli_usage_error("train: %s needs %s too",
                               o->lr_decay_given ? "--lr-decay" : "--lr-decay-every",
                               o->lr_decay_given ? "--lr-decay-every N" : "--lr-decay F");
    if (o->task.queries == 0 && strategy != ML_STRATEGY_REPTILE &&
        strategy != ML_STRATEGY_JOINT)
        return cli_usage_error("train: %s measures adaptation on the query set: "
                               "--queries must be at least 1", name);
    if (strategy == ML_STRATEGY_METASGD && o->inner_lr_given)
        return cli_usage_error("train: metasgd learns its inner step sizes; "
                               "--inner-lr does not apply");
    return EXIT_OK;
}

/* The settings the command line gives; on a resumed learner only those
 * given explicitly, so the file's own settings carry on otherwise. */
static int apply_settings(ml_learner *l, const train_opts *o, const train_settings *e,
                          int strategy, int fresh)
{
    int reptile = strategy == ML_STRATEGY_REPTILE;
    int inner = !cli_strategy_is_metric(strategy);
    struct {
        int apply;
        ml_learner_param key;
        double value;
    } s[] = {
        {inner && (fresh || o->inner_steps_given), ML_LEARNER_INNER_STEPS,
         (double)e->inner_steps},
        {inner && ((fresh && strategy != ML_STRATEGY_METASGD) || o->inner_lr_given),
         ML_LEARNER_INNER_LR, e->inner_lr},
        {reptile && (fresh || o->epsilon_given), ML_LEARNER_REPTILE_EPSILON, o->epsilon},
        {reptile && (fresh || o->epsilon_final_given), ML_LEARNER_REPTILE_EPSILON_FINAL,
         o->epsilon_final},
        {reptile && (fresh || o->anneal_given), ML_LEARNER_REPTILE_ANNEAL_ITERS,
         (double)(o->anneal_given ? o->anneal_iters : e->iterations)},
        {reptile && (fresh || o->inner_adam || o->inner_sgd), ML_LEARNER_REPTILE_INNER_ADAM,
         e->inner_adam ? 1.0 : 0.0},
        {1, ML_LEARNER_THREADS, (double)o->threads},
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        if (s[i].apply && ml_learner_set(l, s[i].key, s[i].value) != ML_OK)
            return cli_lib_error(l);
    /* A new optimiser starts with fresh moments, so a resumed learner
     * keeps its own unless asked to change the rate.  Under a decay
     * schedule --outer-lr is the schedule's start, and the resumed
     * learner's rate changes at the schedule's next step, so that a run
     * resumed with its first options continues it exactly. */
    if (!reptile && (fresh || (o->outer_lr_given && !o->lr_decay_given)))
        return trainer_set_outer_adam(l, o->outer_lr);
    return EXIT_OK;
}

/* A new learner, or the resumed one, with the task's data loaded (the data
 * fixes the network's input; a resumed network fixes the image size). */
static int make_learner(const train_opts *o, task_spec *ts, ml_learner **out,
                        train_settings *e)
{
    if (o->resume) {
        if (ml_learner_load(out, o->resume) != ML_OK)
            return cli_lib_error(NULL);
        int st = ml_learner_strategy(*out);
        int rc = EXIT_OK;
        if (o->strategy && cli_strategy_parse(o->strategy) != st)
            rc = cli_usage_error("train: --strategy %s does not match %s, a %s learner",
                                 o->strategy, o->resume, cli_strategy_name(st));
        if (rc == EXIT_OK)
            rc = check_strategy_options(o, ts, st);
        *e = effective_settings(o, ts, st);
        if (rc == EXIT_OK)
            rc = task_spec_load(ts, "train", *out);
        if (rc == EXIT_OK)
            rc = apply_settings(*out, o, e, st, 0);
        if (rc != EXIT_OK) {
            ml_learner_free(*out);
            *out = NULL;
        }
        return rc;
    }
    int st = o->strategy ? cli_strategy_parse(o->strategy) : ML_STRATEGY_MAML;
    int rc = check_strategy_options(o, ts, st);
    if (rc != EXIT_OK)
        return rc;
    *e = effective_settings(o, ts, st);
    if ((rc = task_spec_load(ts, "train", NULL)) != EXIT_OK)
        return rc;
    ml_model *m;
    if (ts->kind->make_model(ts, st, &m) != ML_OK)
        return cli_lib_error(NULL);
    ml_status s = ml_learner_create(out, m, (ml_strategy)st, o->seed);
    ml_model_free(m);
    if (s != ML_OK)
        return cli_lib_error(NULL);
    rc = apply_settings(*out, o, e, st, 1);
    if (rc != EXIT_OK) {
        ml_learner_free(*out);
        *out = NULL;
    }
    return rc;
}

static void print_json(const train_opts *o, const task_spec *ts, const ml_learner *l,
                       const char *out, const train_settings *e, const trainer_result *r,
                       int rc)
{
    int st = ml_learner_strategy(l), metric = cli_strategy_is_metric(st);
    double v;
    json_writer w;
    json_init(&w, stdout);
    json_begin_object(&w, NULL);
    json_string(&w, "command", "train");
    json_string(&w, "strategy", cli_strategy_name(st));
    json_string(&w, "task", o->task.spec);
    if (ts->kind->classification) {
        json_uint(&w, "ways", ts->opts.ways);
        json_bool(&w, "rotations", ts->opts.rotations != 0);
        json_uint(&w, "augment_shift", ts->opts.shift);
        json_string(&w, "train_split", o->task.train_split ? o->task.train_split : "all");
    }
    json_uint(&w, "shots", ts->opts.shots);
    json_uint(&w, "queries", ts->opts.queries);
    json_uint(&w, "meta_batch", e->meta_batch);
    json_number(&w, "inner_steps", !metric && ml_learner_get(l, ML_LEARNER_INNER_STEPS,
                                                              &v) == ML_OK
                                       ? v
                                       : NAN);
    json_number(&w, "inner_lr", !metric && st != ML_STRATEGY_METASGD &&
                                        ml_learner_get(l, ML_LEARNER_INNER_LR, &v) == ML_OK
                                    ? v
                                    : NAN);
    if (st == ML_STRATEGY_REPTILE)
        json_number(&w, "epsilon",
                    ml_learner_get(l, ML_LEARNER_REPTILE_EPSILON, &v) == ML_OK ? v : NAN);
    else if (!o->resume || o->outer_lr_given)
        json_number(&w, "outer_lr", o->outer_lr);
    else
        json_null(&w, "outer_lr");
    if (o->lr_decay_given) {
        json_number(&w, "lr_decay", o->lr_decay);
        json_uint(&w, "lr_decay_every", o->lr_decay_every);
    } else {
        json_null(&w, "lr_decay");
        json_null(&w, "lr_decay_every");
    }
    json_uint(&w, "threads", o->threads);
    json_uint(&w, "seed", o->seed);
    json_uint(&w, "iterations", r->last);
    json_uint(&w, "iterations_run", r->last - r->first);
    json_number(&w, "seconds", r->seconds);
    json_number(&w, "iterations_per_second",
                r->seconds > 0 ? (double)(r->last - r->first) / r->seconds : NAN);
    json_number(&w, "loss", r->loss);
    json_string(&w, "out", out);
    json_string(&w, "resumed_from", o->resume);
    json_bool(&w, "interrupted", rc == EXIT_INTERRUPTED);
    json_end_object(&w);
    json_finish(&w);
}

/* One task drawn before training, so a data set that cannot give the
 * episodes asked for (too many ways, too few examples per class) fails at
 * once with the library's message rather than inside the progress display. */
static int probe_sampler(ml_sampler *s)
{
    ml_task *t = NULL;
    if (ml_sampler_sample(s, &t) != ML_OK)
        return cli_fail("%s", ml_sampler_last_error(s));
    ml_task_free(t);
    return EXIT_OK;
}

int train_run(const train_opts *o, task_spec *ts)
{
    return train_run_dist(o, ts, NULL);
}

int train_run_dist(const train_opts *o, task_spec *ts, const train_dist *d)
{
    const int root = !d || d->root;
    const char *out = o->out ? o->out : o->resume;
    ml_learner *l = NULL;
    ml_sampler *s = NULL;
    train_settings e;
    int rc = make_learner(o, ts, &l, &e);
    if (rc == EXIT_OK && ts->kind->make_sampler(ts, o->seed, &s) != ML_OK)
        rc = cli_lib_error(NULL);
    if (rc == EXIT_OK)
        rc = probe_sampler(s);
    /* A rank that cannot start (say, no data on its node) stops them all. */
    if (d)
        rc = d->hooks->agree(d->hooks->ctx, rc);
    if (rc != EXIT_OK) {
        ml_sampler_free(s);
        ml_learner_free(l);
        task_spec_release(ts);
        return rc;
    }
    trainer_cfg c = {
        .label = "train",
        .iterations = e.iterations,
        .meta_batch = e.meta_batch,
        .seed = o->seed,
        .checkpoint_every = o->checkpoint_every,
        .checkpoint_path = root ? out : NULL,
        .log_every = o->log_every,
        .lr_base = o->outer_lr,
        .lr_decay = o->lr_decay,
        .lr_decay_every = o->lr_decay_given ? o->lr_decay_every : 0,
        .quiet = o->quiet || !root,
        .hooks = d ? d->hooks : NULL,
    };
    trainer_result r;
    rc = trainer_run(l, s, &c, &r);
    if (root && (rc == EXIT_OK || rc == EXIT_INTERRUPTED)) {
        if (ml_learner_save(l, out) != ML_OK) {
            rc = cli_lib_error(l);
        } else {
            double n = (double)(r.last - r.first);
            char loss[32];
            printf("%s %s on %s: %llu iterations in %.2f s (%.*f it/s), loss %s; "
                   "saved to %s (%llu iterations in all)\n",
                   rc == EXIT_INTERRUPTED ? "interrupted: trained" : "trained",
                   cli_strategy_name(ml_learner_strategy(l)), o->task.spec,
                   (unsigned long long)(r.last - r.first), r.seconds,
                   r.seconds > 0 && n / r.seconds < 10 ? 2 : 0,
                   r.seconds > 0 ? n / r.seconds : 0.0, cli_num(loss, r.loss), out,
                   (unsigned long long)r.last);
            if (rc == EXIT_INTERRUPTED)
                printf("continue with: " PROG " train --resume %s --iterations %llu "
                       "--seed %llu --meta-batch %llu (and the same task options)\n",
                       out, (unsigned long long)(c.iterations - (r.last - r.first)),
                       (unsigned long long)o->seed, (unsigned long long)e.meta_batch);
            if (o->json)
                print_json(o, ts, l, out, &e, &r, rc);
        }
    }
    ml_sampler_free(s);
    ml_learner_free(l);
    task_spec_release(ts);
    return rc;
}

int cmd_train(int argc, char **argv)
{
    /* The learned optimiser has options of its own (lstm_train.c). */
    if (lstm_cli_applies(argc, argv, 0))
        return lstm_train_cmd(argc, argv);
    train_opts o;
    train_opts_init(&o);
    arg_opt task_table[TASK_OPT_TABLE_LEN + 1];
    task_opts_table(&o.task, task_table);
    const arg_opt table[] = {
        {.name = "strategy", .type = ARG_STRING, .dest = &o.strategy},
        {.name = "iterations", .type = ARG_U64, .dest = &o.iterations,
         .given = &o.iterations_given, .ulo = 1, .uhi = 1000000000000ULL},
        {.name = "meta-batch", .type = ARG_U64, .dest = &o.meta_batch,
         .given = &o.meta_batch_given, .ulo = 1, .uhi = 1000000},
        {.name = "inner-steps", .type = ARG_U64, .dest = &o.inner_steps,
         .given = &o.inner_steps_given, .ulo = 1, .uhi = 100000},
        {.name = "inner-lr", .type = ARG_DOUBLE, .dest = &o.inner_lr,
         .given = &o.inner_lr_given, .dlo = 0, .dhi = 1e6, .open_lo = 1},
        {.name = "outer-lr", .type = ARG_DOUBLE, .dest = &o.outer_lr,
         .given = &o.outer_lr_given, .dlo = 0, .dhi = 1e6, .open_lo = 1},
        {.name = "lr-decay", .type = ARG_DOUBLE, .dest = &o.lr_decay,
         .given = &o.lr_decay_given, .dlo = 0, .dhi = 1, .open_lo = 1},
        {.name = "lr-decay-every", .type = ARG_U64, .dest = &o.lr_decay_every,
         .given = &o.lr_decay_every_given, .ulo = 1, .uhi = UINT64_MAX},
        {.name = "epsilon", .type = ARG_DOUBLE, .dest = &o.epsilon,
         .given = &o.epsilon_given, .dlo = 0, .dhi = 1},
        {.name = "epsilon-final", .type = ARG_DOUBLE, .dest = &o.epsilon_final,
         .given = &o.epsilon_final_given, .dlo = 0, .dhi = 1},
        {.name = "anneal-iters", .type = ARG_U64, .dest = &o.anneal_iters,
         .given = &o.anneal_given, .ulo = 0, .uhi = 1000000000000ULL},
        {.name = "inner-adam", .type = ARG_FLAG, .dest = &o.inner_adam},
        {.name = "inner-sgd", .type = ARG_FLAG, .dest = &o.inner_sgd},
        {.name = "threads", .type = ARG_U64, .dest = &o.threads, .ulo = 1, .uhi = 256},
        {.name = "seed", .type = ARG_U64, .dest = &o.seed, .ulo = 0, .uhi = UINT64_MAX},
        {.name = "out", .type = ARG_STRING, .dest = &o.out},
        {.name = "checkpoint-every", .type = ARG_U64, .dest = &o.checkpoint_every,
         .ulo = 1, .uhi = UINT64_MAX},
        {.name = "resume", .type = ARG_STRING, .dest = &o.resume},
        {.name = "log-every", .type = ARG_U64, .dest = &o.log_every, .ulo = 1,
         .uhi = UINT64_MAX},
        {.name = "quiet", .type = ARG_FLAG, .dest = &o.quiet},
        {.name = "json", .type = ARG_FLAG, .dest = &o.json},
        {.name = "mpi", .type = ARG_FLAG, .dest = &o.mpi},
        {.name = NULL},
    };
    const arg_opt *const tables[] = {table, task_table, NULL};
    const char *pos[1];
    int npos;
    int rc = args_parse("train", argc, argv, tables, pos, 0, &npos);
    if (rc == ARGS_HELP) {
        fputs(usage_train, stdout);
        fputs(usage_train_tasks, stdout);
        fputs(usage_train_lstm_hint, stdout);
        return EXIT_OK;
    }
    if (rc != ARGS_OK)
        return rc;
    if (o.strategy && !cli_strategy_parse(o.strategy))
        return cli_usage_error("train: unknown strategy '%s' (known: %s)", o.strategy,
                               cli_strategy_list());
    if (!o.out && !o.resume)
        return cli_usage_error("train: missing --out FILE (where to save the learner)");
    task_spec ts;
    rc = task_spec_resolve(&ts, &o.task, "train");
    if (rc != EXIT_OK)
        return rc;
#ifdef METALEARN_TOOL_MPI
    if (o.mpi)
        return train_mpi_run(&o, &ts);
#else
    if (o.mpi)
        return cli_usage_error("train: --mpi: this " PROG " was built without MPI (install "
                               "OpenMPI, then meson configure -Dmpi=enabled)");
#endif
    return train_run(&o, &ts);
}
