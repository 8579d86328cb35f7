/* metalearn train: meta-trains a learner and saves it. */
#include "commands.h"

#include "cli.h"
#include "json.h"
#include "trainer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char usage_train[] =
    "usage: " PROG " train [options] --out FILE\n"
    "\n"
    "Meta-trains a learner on tasks drawn afresh every iteration and saves it.\n"
    "The defaults are the MAML paper's sine-wave setup.\n"
    "\n"
    "  --task KIND[:ARG]      task family (default sine; known: sine)\n"
    "  --strategy NAME        maml, fomaml, reptile, metasgd or joint (default maml)\n"
    "  --shots K              support examples per task (default 10)\n"
    "  --queries Q            query examples per task (default 10)\n"
    "  --iterations N         meta-updates to do (default 70000)\n"
    "  --meta-batch B         tasks per meta-update (default 25)\n"
    "  --inner-steps S        inner-loop steps (default 1; reptile 5)\n"
    "  --inner-lr A           inner-loop step size (default 0.01; reptile 0.02;\n"
    "                         metasgd learns its own)\n"
    "  --outer-lr B           step size of the outer Adam (default 0.001; not reptile)\n"
    "  --epsilon E            reptile: outer step size (default 1.0: the step\n"
    "                         on the mean over a meta-batch)\n"
    "  --epsilon-final E      reptile: the value epsilon is annealed to (default 0)\n"
    "  --anneal-iters N       reptile: iterations of the linear annealing\n"
    "                         (default: this run's --iterations)\n"
    "  --inner-adam           reptile: Adam with beta1 = 0 in the inner loop, not SGD\n"
    "  --threads T            worker threads (default 1; the result does not depend on it)\n"
    "  --seed S               seed of the initial parameters and the tasks (default 1)\n"
    "  --out FILE             where to save the learner (default with --resume: that file)\n"
    "  --checkpoint-every N   also save to the --out file every N iterations\n"
    "  --resume FILE          load FILE and train it for --iterations more; pass the\n"
    "                         first run's --seed and task options to draw the same tasks\n"
    "                         as one uninterrupted run (a split reptile run needs\n"
    "                         --anneal-iters TOTAL on its first part)\n"
    "  --log-every N          without a terminal: a progress line every N iterations\n"
    "                         (default every 10%)\n"
    "  --quiet                no progress output\n"
    "  --json                 a JSON summary as the last line of stdout\n"
    "\n"
    "sine task options:\n"
    "  --amp-min A, --amp-max A       amplitude range (default 0.1 to 5)\n"
    "  --phase-min P, --phase-max P   phase range (default 0 to pi)\n"
    "  --x-min X, --x-max X           input range (default -5 to 5)\n"
    "\n"
    "Ctrl-C stops after the current iteration and saves what was learned.\n";

void train_opts_init(train_opts *o)
{
    memset(o, 0, sizeof *o);
    task_opts_init(&o->task, 10);
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

/* Options of one strategy given to another are refused rather than
 * silently ignored: the user believes they changed something. */
static int check_strategy_options(const train_opts *o, int strategy)
{
    const char *name = cli_strategy_name(strategy);
    if (strategy != ML_STRATEGY_REPTILE) {
        const char *bad = o->epsilon_given         ? "--epsilon"
                          : o->epsilon_final_given ? "--epsilon-final"
                          : o->anneal_given        ? "--anneal-iters"
                          : o->inner_adam          ? "--inner-adam"
                                                   : NULL;
        if (bad)
            return cli_usage_error("train: %s applies only to --strategy reptile, not %s",
                                   bad, name);
    } else if (o->outer_lr_given) {
        return cli_usage_error("train: reptile has no outer Adam: set its outer step "
                               "with --epsilon, not --outer-lr");
    }
    if (o->task.queries == 0 && strategy != ML_STRATEGY_REPTILE &&
        strategy != ML_STRATEGY_JOINT)
        return cli_usage_error("train: %s measures adaptation on the query set: "
                               "--queries must be at least 1", name);
    if (strategy == ML_STRATEGY_METASGD && o->inner_lr_given)
        return cli_usage_error("train: metasgd learns its inner step sizes; "
                               "--inner-lr does not apply");
    return EXIT_OK;
}

static int set_outer_adam(ml_learner *l, double lr)
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

/* The settings the command line gives; on a resumed learner only those
 * given explicitly, so the file's own settings carry on otherwise. */
static int apply_settings(ml_learner *l, const train_opts *o, int strategy, int fresh)
{
    int reptile = strategy == ML_STRATEGY_REPTILE;
    struct {
        int apply;
        ml_learner_param key;
        double value;
    } s[] = {
        {fresh || o->inner_steps_given, ML_LEARNER_INNER_STEPS,
         (double)(reptile && !o->inner_steps_given ? 5 : o->inner_steps)},
        {(fresh && strategy != ML_STRATEGY_METASGD) || o->inner_lr_given,
         ML_LEARNER_INNER_LR, reptile && !o->inner_lr_given ? 0.02 : o->inner_lr},
        {reptile && (fresh || o->epsilon_given), ML_LEARNER_REPTILE_EPSILON, o->epsilon},
        {reptile && (fresh || o->epsilon_final_given), ML_LEARNER_REPTILE_EPSILON_FINAL,
         o->epsilon_final},
        {reptile && (fresh || o->anneal_given), ML_LEARNER_REPTILE_ANNEAL_ITERS,
         (double)(o->anneal_given ? o->anneal_iters : o->iterations)},
        {reptile && (fresh || o->inner_adam), ML_LEARNER_REPTILE_INNER_ADAM,
         o->inner_adam ? 1.0 : 0.0},
        {1, ML_LEARNER_THREADS, (double)o->threads},
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        if (s[i].apply && ml_learner_set(l, s[i].key, s[i].value) != ML_OK)
            return cli_lib_error(l);
    /* A new optimiser starts with fresh moments, so a resumed learner
     * keeps its own unless asked to change the rate. */
    if (!reptile && (fresh || o->outer_lr_given))
        return set_outer_adam(l, o->outer_lr);
    return EXIT_OK;
}

static int make_learner(const train_opts *o, const task_spec *ts, ml_learner **out)
{
    if (o->resume) {
        if (ml_learner_load(out, o->resume) != ML_OK)
            return cli_lib_error(NULL);
        int st = ml_learner_strategy(*out);
        if (o->strategy && cli_strategy_parse(o->strategy) != st) {
            ml_learner_free(*out);
            *out = NULL;
            return cli_usage_error("train: --strategy %s does not match %s, a %s learner",
                                   o->strategy, o->resume, cli_strategy_name(st));
        }
        int rc = check_strategy_options(o, st);
        if (rc == EXIT_OK)
            rc = apply_settings(*out, o, st, 0);
        return rc;
    }
    int st = o->strategy ? cli_strategy_parse(o->strategy) : ML_STRATEGY_MAML;
    int rc = check_strategy_options(o, st);
    if (rc != EXIT_OK)
        return rc;
    ml_model *m;
    if (ts->kind->make_model(ts, &m) != ML_OK)
        return cli_lib_error(NULL);
    ml_status s = ml_learner_create(out, m, (ml_strategy)st, o->seed);
    ml_model_free(m);
    if (s != ML_OK)
        return cli_lib_error(NULL);
    return apply_settings(*out, o, st, 1);
}

static void print_json(const train_opts *o, const ml_learner *l, const char *out,
                       const trainer_result *r, int rc)
{
    int st = ml_learner_strategy(l);
    double v;
    json_writer w;
    json_init(&w, stdout);
    json_begin_object(&w, NULL);
    json_string(&w, "command", "train");
    json_string(&w, "strategy", cli_strategy_name(st));
    json_string(&w, "task", o->task.spec);
    json_uint(&w, "shots", o->task.shots);
    json_uint(&w, "queries", o->task.queries);
    json_uint(&w, "meta_batch", o->meta_batch);
    json_number(&w, "inner_steps",
                ml_learner_get(l, ML_LEARNER_INNER_STEPS, &v) == ML_OK ? v : NAN);
    json_number(&w, "inner_lr", st != ML_STRATEGY_METASGD &&
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

int train_run(const train_opts *o, const task_spec *ts)
{
    const char *out = o->out ? o->out : o->resume;
    ml_learner *l = NULL;
    ml_sampler *s = NULL;
    int rc = make_learner(o, ts, &l);
    if (rc == EXIT_OK && ts->kind->make_sampler(ts, o->seed, &s) != ML_OK)
        rc = cli_lib_error(NULL);
    if (rc != EXIT_OK) {
        ml_learner_free(l);
        return rc;
    }
    trainer_cfg c = {
        .label = "train",
        .iterations = o->iterations,
        .meta_batch = o->meta_batch,
        .seed = o->seed,
        .checkpoint_every = o->checkpoint_every,
        .checkpoint_path = out,
        .log_every = o->log_every,
        .quiet = o->quiet,
    };
    trainer_result r;
    rc = trainer_run(l, s, &c, &r);
    if (rc == EXIT_OK || rc == EXIT_INTERRUPTED) {
        if (ml_learner_save(l, out) != ML_OK) {
            rc = cli_lib_error(l);
        } else {
            double n = (double)(r.last - r.first);
            char loss[32];
            printf("%s %s on %s: %llu iterations in %.2f s (%.0f it/s), loss %s; "
                   "saved to %s (%llu iterations in all)\n",
                   rc == EXIT_INTERRUPTED ? "interrupted: trained" : "trained",
                   cli_strategy_name(ml_learner_strategy(l)), o->task.spec,
                   (unsigned long long)(r.last - r.first), r.seconds,
                   r.seconds > 0 ? n / r.seconds : 0.0, cli_num(loss, r.loss), out,
                   (unsigned long long)r.last);
            if (rc == EXIT_INTERRUPTED)
                printf("continue with: " PROG " train --resume %s --iterations %llu "
                       "--seed %llu --meta-batch %llu (and the same task options)\n",
                       out, (unsigned long long)(c.iterations - (r.last - r.first)),
                       (unsigned long long)o->seed, (unsigned long long)o->meta_batch);
            if (o->json)
                print_json(o, l, out, &r, rc);
        }
    }
    ml_sampler_free(s);
    ml_learner_free(l);
    return rc;
}

int cmd_train(int argc, char **argv)
{
    train_opts o;
    train_opts_init(&o);
    arg_opt task_table[TASK_OPT_TABLE_LEN + 1];
    task_opts_table(&o.task, task_table);
    const arg_opt table[] = {
        {.name = "strategy", .type = ARG_STRING, .dest = &o.strategy},
        {.name = "iterations", .type = ARG_U64, .dest = &o.iterations, .ulo = 1,
         .uhi = 1000000000000ULL},
        {.name = "meta-batch", .type = ARG_U64, .dest = &o.meta_batch, .ulo = 1,
         .uhi = 1000000},
        {.name = "inner-steps", .type = ARG_U64, .dest = &o.inner_steps,
         .given = &o.inner_steps_given, .ulo = 1, .uhi = 100000},
        {.name = "inner-lr", .type = ARG_DOUBLE, .dest = &o.inner_lr,
         .given = &o.inner_lr_given, .dlo = 0, .dhi = 1e6, .open_lo = 1},
        {.name = "outer-lr", .type = ARG_DOUBLE, .dest = &o.outer_lr,
         .given = &o.outer_lr_given, .dlo = 0, .dhi = 1e6, .open_lo = 1},
        {.name = "epsilon", .type = ARG_DOUBLE, .dest = &o.epsilon,
         .given = &o.epsilon_given, .dlo = 0, .dhi = 1},
        {.name = "epsilon-final", .type = ARG_DOUBLE, .dest = &o.epsilon_final,
         .given = &o.epsilon_final_given, .dlo = 0, .dhi = 1},
        {.name = "anneal-iters", .type = ARG_U64, .dest = &o.anneal_iters,
         .given = &o.anneal_given, .ulo = 0, .uhi = 1000000000000ULL},
        {.name = "inner-adam", .type = ARG_FLAG, .dest = &o.inner_adam},
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
        {.name = NULL},
    };
    const arg_opt *const tables[] = {table, task_table, NULL};
    const char *pos[1];
    int npos;
    int rc = args_parse("train", argc, argv, tables, pos, 0, &npos);
    if (rc == ARGS_HELP) {
        fputs(usage_train, stdout);
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
    return train_run(&o, &ts);
}
