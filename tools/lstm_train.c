/* metalearn train --strategy lstm-optimizer: meta-trains the learned LSTM
 * optimiser on a problem family with ml_optimizer_meta_step() and saves it
 * with ml_optimizer_save(). */
#include "lstm_cli.h"

#include "args.h"
#include "cli.h"
#include "json.h"
#include "progress.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: " PROG " train --strategy " LSTM_STRATEGY " [options] --out FILE\n"
    "\n"
    "Meta-trains a learned optimiser (a coordinatewise 2-layer LSTM, Andrychowicz\n"
    "et al. 2016) on problems drawn from a family, by truncated back-propagation\n"
    "through time, and saves it.  Evaluate it with '" PROG " eval FILE --task ...'.\n"
    "\n"
    "  --task FAMILY          quadratic[:DIM] (default; random ||W theta - y||^2, DIM\n"
    "                         parameters, default 10) or fashion-mlp[:DIR] (an MLP with\n"
    "                         20 sigmoid units on batches of 128 Fashion-MNIST training\n"
    "                         images; DIR default " FASHION_DEFAULT_DIR ")\n"
    "  --dim D                quadratic: parameters per problem (same as quadratic:D)\n"
    "  --iterations N         meta-steps to do (default 1000)\n"
    "  --problems P           problems optimised side by side per meta-step (default 128)\n"
    "  --unroll U             optimisation steps per meta-step (truncation; default 20)\n"
    "  --horizon T            steps of a trajectory before fresh problems (default 100)\n"
    "  --meta-lr A            Adam's learning rate on the LSTM weights (default 0.003)\n"
    "  --hidden H             hidden units per LSTM layer (default 20)\n"
    "  --no-preprocess        feed the raw gradient, not the paper's log/sign pair\n"
    "  --output-scale S       factor on the LSTM's output (default 0.1)\n"
    "  --loss-power Q         weight step t of T by (t/T)^Q in the meta-loss (default 0:\n"
    "                         the plain sum, as in the paper)\n"
    "  --exact                keep the objective's second derivatives (the paper drops them)\n"
    "  --seed S               seed of the initial weights and the problems (default 1)\n"
    "  --out FILE             where to save (default with --resume: that file)\n"
    "  --resume FILE          load FILE and train it for --iterations more (the\n"
    "                         trajectories in flight are not saved: fresh ones start)\n"
    "  --checkpoint-every N   also save to the --out file every N meta-steps\n"
    "  --log-every N          without a terminal: a progress line every N meta-steps\n"
    "  --quiet                no progress output\n"
    "  --json                 a JSON summary as the last line of stdout\n"
    "\n"
    "A meta-step whose objective or meta-gradient is not finite changes nothing\n"
    "(fresh problems start); it is counted, and 10 in a row stop the run.\n"
    "Ctrl-C stops after the current meta-step and saves what was learned.\n";

const char usage_train_lstm_hint[] =
    "\n"
    "learned optimizer: --strategy " LSTM_STRATEGY " with --task quadratic[:DIM] or\n"
    "fashion-mlp[:DIR] meta-trains an LSTM optimizer instead; its options:\n"
    "'" PROG " train --strategy " LSTM_STRATEGY " --help'.\n";

enum { MAX_NUMERIC_IN_A_ROW = 10 };

typedef struct lstm_train_opts {
    const char *task, *strategy, *out, *resume;
    uint64_t iterations, problems, unroll, horizon, hidden, dim, seed;
    uint64_t checkpoint_every, log_every;
    double meta_lr, output_scale, loss_power;
    int problems_given, unroll_given, horizon_given, hidden_given, dim_given, seed_given;
    int meta_lr_given, output_scale_given, loss_power_given;
    int exact, no_preprocess, quiet, json;
} lstm_train_opts;

static volatile sig_atomic_t interrupted;

/* A second Ctrl-C kills as usual. */
static void on_sigint(int sig)
{
    interrupted = 1;
    signal(sig, SIG_DFL);
}

static int set(ml_optimizer *o, ml_optimizer_param key, double v)
{
    if (ml_optimizer_set(o, key, v) != ML_OK)
        return cli_fail("%s", ml_optimizer_last_error(o));
    return EXIT_OK;
}

static double get(const ml_optimizer *o, ml_optimizer_param key)
{
    double v;
    return ml_optimizer_get(o, key, &v) == ML_OK ? v : NAN;
}

/* The settings given (all of them on a fresh optimiser, whose defaults
 * are the library's).  The shape and the seed redraw the weights, so they
 * come first, and a resumed optimiser refuses them. */
static int apply_settings(ml_optimizer *o, const lstm_train_opts *t)
{
    int rc = EXIT_OK;
    if (t->seed_given || !t->resume)
        rc = set(o, ML_OPT_LSTM_SEED, (double)t->seed);
    if (rc == EXIT_OK && t->hidden_given)
        rc = set(o, ML_OPT_LSTM_HIDDEN, (double)t->hidden);
    if (rc == EXIT_OK && t->no_preprocess)
        rc = set(o, ML_OPT_LSTM_PREPROCESS, 0);
    /* The library keeps unroll <= horizon at every call: the one that
     * grows is set first. */
    double horizon = t->horizon_given ? (double)t->horizon : get(o, ML_OPT_LSTM_HORIZON);
    double unroll = t->unroll_given ? (double)t->unroll : get(o, ML_OPT_LSTM_UNROLL);
    if (rc == EXIT_OK && unroll > horizon)
        return cli_usage_error("train: the unroll (%.0f steps) is longer than the horizon "
                               "(%.0f): give --unroll and --horizon", unroll, horizon);
    if (rc == EXIT_OK && t->horizon_given && horizon >= get(o, ML_OPT_LSTM_UNROLL))
        rc = set(o, ML_OPT_LSTM_HORIZON, horizon);
    if (rc == EXIT_OK && t->unroll_given)
        rc = set(o, ML_OPT_LSTM_UNROLL, (double)t->unroll);
    if (rc == EXIT_OK && t->horizon_given && get(o, ML_OPT_LSTM_HORIZON) != horizon)
        rc = set(o, ML_OPT_LSTM_HORIZON, horizon);
    struct {
        int given;
        ml_optimizer_param key;
        double v;
    } rest[] = {
        {t->problems_given, ML_OPT_LSTM_PROBLEMS, (double)t->problems},
        {t->meta_lr_given, ML_OPT_LSTM_META_LR, t->meta_lr},
        {t->output_scale_given, ML_OPT_LSTM_OUTPUT_SCALE, t->output_scale},
        {t->loss_power_given, ML_OPT_LSTM_LOSS_POWER, t->loss_power},
        {t->exact, ML_OPT_LSTM_EXACT, 1},
    };
    for (size_t i = 0; i < sizeof rest / sizeof rest[0] && rc == EXIT_OK; i++)
        if (rest[i].given)
            rc = set(o, rest[i].key, rest[i].v);
    return rc;
}

static int check_options(const lstm_train_opts *t, const family_spec *f)
{
    if (t->strategy && strcmp(t->strategy, LSTM_STRATEGY) != 0)
        return cli_usage_error("train: --task %s is a problem family for --strategy "
                               LSTM_STRATEGY ", not %s", f->spec, t->strategy);
    if (!t->out && !t->resume)
        return cli_usage_error("train: missing --out FILE (where to save the optimizer)");
    if (t->dim_given && f->kind != FAMILY_QUADRATIC)
        return cli_usage_error("train: --dim applies to quadratic problems, not %s", f->spec);
    if (t->dim_given && strchr(f->spec, ':') && f->dim != t->dim)
        return cli_usage_error("train: --dim %llu contradicts --task %s",
                               (unsigned long long)t->dim, f->spec);
    if (t->exact && f->kind != FAMILY_QUADRATIC)
        return cli_usage_error("train: --exact needs the objective's second derivatives: "
                               "only quadratic problems have them here");
    if (t->resume && (t->seed_given || t->hidden_given || t->no_preprocess))
        return cli_usage_error("train: --resume continues the file's network and "
                               "generator: --seed, --hidden and --no-preprocess do not apply");
    return EXIT_OK;
}

/* A fresh optimiser with the settings, or the resumed one. */
static int make_optimizer(const lstm_train_opts *t, ml_optimizer **out)
{
    ml_status st = t->resume ? ml_optimizer_load(out, t->resume)
                             : ml_optimizer_create(out, ML_OPTIMIZER_LSTM);
    if (st != ML_OK)
        return cli_lib_error(NULL);
    int rc = EXIT_OK;
    if (ml_optimizer_kind_of(*out) != ML_OPTIMIZER_LSTM)
        rc = cli_usage_error("train: %s holds an optimizer of kind %s: only a learned one "
                             "is meta-trained", t->resume,
                             opt_kind_name(ml_optimizer_kind_of(*out)));
    if (rc == EXIT_OK)
        rc = apply_settings(*out, t);
    if (rc != EXIT_OK) {
        ml_optimizer_free(*out);
        *out = NULL;
    }
    return rc;
}

typedef struct run_result {
    uint64_t first, done, numeric;
    double seconds, loss;
} run_result;

static int meta_train(ml_optimizer *o, const ml_problems *fam, const lstm_train_opts *t,
                      const char *out, run_result *r)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    interrupted = 0;
    sigaction(SIGINT, &sa, &old);

    r->first = (uint64_t)get(o, ML_OPT_LSTM_META_STEPS);
    r->done = r->numeric = 0;
    progress pg;
    progress_start(&pg, "train", r->first, r->first + t->iterations, t->log_every, t->quiet);
    int rc = EXIT_OK;
    uint64_t in_a_row = 0;
    while (r->done < t->iterations) {
        if (interrupted) {
            rc = EXIT_INTERRUPTED;
            break;
        }
        double loss = NAN;
        ml_status st = ml_optimizer_meta_step(o, fam, &loss);
        if (st == ML_ERR_NUMERIC && ++in_a_row < MAX_NUMERIC_IN_A_ROW) {
            r->numeric++;
            loss = NAN;
        } else if (st != ML_OK) {
            progress_finish(&pg);
            rc = cli_fail("%s", ml_optimizer_last_error(o));
            break;
        } else {
            in_a_row = 0;
        }
        r->done++;
        progress_update(&pg, r->first + r->done, loss);
        if (t->checkpoint_every && r->done % t->checkpoint_every == 0 &&
            r->done < t->iterations && ml_optimizer_save(o, out) != ML_OK) {
            progress_finish(&pg);
            rc = cli_fail("%s", ml_optimizer_last_error(o));
            break;
        }
    }
    progress_finish(&pg);
    sigaction(SIGINT, &old, NULL);
    r->seconds = cli_now() - pg.t0;
    r->loss = progress_loss(&pg);
    return rc;
}

static void print_json(const lstm_train_opts *t, const family_spec *f, const ml_optimizer *o,
                       const char *out, const run_result *r, int rc)
{
    json_writer w;
    json_init(&w, stdout);
    json_begin_object(&w, NULL);
    json_string(&w, "command", "train");
    json_string(&w, "strategy", LSTM_STRATEGY);
    json_string(&w, "task", f->spec);
    if (f->kind == FAMILY_QUADRATIC)
        json_uint(&w, "dim", f->dim);
    static const struct {
        const char *name;
        ml_optimizer_param key;
    } keys[] = {
        {"hidden", ML_OPT_LSTM_HIDDEN},       {"preprocess", ML_OPT_LSTM_PREPROCESS},
        {"output_scale", ML_OPT_LSTM_OUTPUT_SCALE}, {"problems", ML_OPT_LSTM_PROBLEMS},
        {"unroll", ML_OPT_LSTM_UNROLL},       {"horizon", ML_OPT_LSTM_HORIZON},
        {"meta_lr", ML_OPT_LSTM_META_LR},     {"loss_power", ML_OPT_LSTM_LOSS_POWER},
        {"exact", ML_OPT_LSTM_EXACT},         {"seed", ML_OPT_LSTM_SEED},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        json_number(&w, keys[i].name, get(o, keys[i].key));
    json_number(&w, "iterations", get(o, ML_OPT_LSTM_META_STEPS));
    json_uint(&w, "iterations_run", r->done);
    json_uint(&w, "numeric_failures", r->numeric);
    json_number(&w, "seconds", r->seconds);
    json_number(&w, "iterations_per_second",
                r->seconds > 0 ? (double)r->done / r->seconds : NAN);
    json_number(&w, "loss", r->loss);
    json_string(&w, "out", out);
    json_string(&w, "resumed_from", t->resume);
    json_bool(&w, "interrupted", rc == EXIT_INTERRUPTED);
    json_end_object(&w);
    json_finish(&w);
}

static int train(const lstm_train_opts *t, const family_spec *f)
{
    const char *out = t->out ? t->out : t->resume;
    ml_optimizer *o = NULL;
    ml_problems *fam = NULL;
    int rc = make_optimizer(t, &o);
    if (rc == EXIT_OK)
        rc = family_create(f, FAMILY_TRAIN_SET, &fam);
    run_result r = {0};
    if (rc == EXIT_OK)
        rc = meta_train(o, fam, t, out, &r);
    if (rc == EXIT_OK || rc == EXIT_INTERRUPTED) {
        if (ml_optimizer_save(o, out) != ML_OK) {
            rc = cli_fail("%s", ml_optimizer_last_error(o));
        } else {
            char loss[32];
            printf("%s " LSTM_STRATEGY " on %s: %llu meta-steps in %.2f s (%.2f it/s), "
                   "meta-loss %s; saved to %s (%.0f meta-steps in all)\n",
                   rc == EXIT_INTERRUPTED ? "interrupted: trained" : "trained", f->spec,
                   (unsigned long long)r.done, r.seconds,
                   r.seconds > 0 ? (double)r.done / r.seconds : 0.0, cli_num(loss, r.loss),
                   out, get(o, ML_OPT_LSTM_META_STEPS));
            if (rc == EXIT_INTERRUPTED && f->kind == FAMILY_QUADRATIC)
                printf("continue with: " PROG " train --strategy " LSTM_STRATEGY " --resume %s "
                       "--task quadratic:%zu --iterations %llu\n", out, f->dim,
                       (unsigned long long)(t->iterations - r.done));
            else if (rc == EXIT_INTERRUPTED)
                printf("continue with: " PROG " train --strategy " LSTM_STRATEGY " --resume %s "
                       "--task %s --iterations %llu\n", out, f->spec,
                       (unsigned long long)(t->iterations - r.done));
            if (r.numeric)
                printf("%llu meta-steps hit a non-finite value and changed nothing\n",
                       (unsigned long long)r.numeric);
            if (t->json)
                print_json(t, f, o, out, &r, rc);
        }
    }
    ml_problems_free(fam);
    ml_optimizer_free(o);
    return rc;
}

int lstm_train_cmd(int argc, char **argv)
{
    lstm_train_opts t;
    memset(&t, 0, sizeof t);
    t.task = "quadratic";
    t.iterations = 1000;
    t.seed = 1;
    const arg_opt table[] = {
        {.name = "task", .type = ARG_STRING, .dest = &t.task},
        {.name = "strategy", .type = ARG_STRING, .dest = &t.strategy},
        {.name = "iterations", .type = ARG_U64, .dest = &t.iterations, .ulo = 1,
         .uhi = 1000000000000ULL},
        {.name = "problems", .type = ARG_U64, .dest = &t.problems,
         .given = &t.problems_given, .ulo = 1, .uhi = 65536},
        {.name = "unroll", .type = ARG_U64, .dest = &t.unroll, .given = &t.unroll_given,
         .ulo = 1, .uhi = 10000000},
        {.name = "horizon", .type = ARG_U64, .dest = &t.horizon, .given = &t.horizon_given,
         .ulo = 1, .uhi = 10000000},
        {.name = "meta-lr", .type = ARG_DOUBLE, .dest = &t.meta_lr,
         .given = &t.meta_lr_given, .dlo = 0, .dhi = 1e6, .open_lo = 1},
        {.name = "hidden", .type = ARG_U64, .dest = &t.hidden, .given = &t.hidden_given,
         .ulo = 1, .uhi = 1024},
        {.name = "no-preprocess", .type = ARG_FLAG, .dest = &t.no_preprocess},
        {.name = "output-scale", .type = ARG_DOUBLE, .dest = &t.output_scale,
         .given = &t.output_scale_given, .dlo = 0, .dhi = 1e6, .open_lo = 1},
        {.name = "loss-power", .type = ARG_DOUBLE, .dest = &t.loss_power,
         .given = &t.loss_power_given, .dlo = 0, .dhi = 100},
        {.name = "exact", .type = ARG_FLAG, .dest = &t.exact},
        {.name = "dim", .type = ARG_U64, .dest = &t.dim, .given = &t.dim_given, .ulo = 1,
         .uhi = 4096},
        {.name = "seed", .type = ARG_U64, .dest = &t.seed, .given = &t.seed_given,
         .ulo = 0, .uhi = 9007199254740992ULL},
        {.name = "out", .type = ARG_STRING, .dest = &t.out},
        {.name = "resume", .type = ARG_STRING, .dest = &t.resume},
        {.name = "checkpoint-every", .type = ARG_U64, .dest = &t.checkpoint_every,
         .ulo = 1, .uhi = UINT64_MAX},
        {.name = "log-every", .type = ARG_U64, .dest = &t.log_every, .ulo = 1,
         .uhi = UINT64_MAX},
        {.name = "quiet", .type = ARG_FLAG, .dest = &t.quiet},
        {.name = "json", .type = ARG_FLAG, .dest = &t.json},
        {.name = NULL},
    };
    const arg_opt *const tables[] = {table, NULL};
    const char *pos[1];
    int npos;
    int rc = args_parse("train", argc, argv, tables, pos, 0, &npos);
    if (rc == ARGS_HELP) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (rc != ARGS_OK)
        return rc;
    family_spec f;
    if ((rc = family_parse(&f, t.task, "train")) != EXIT_OK)
        return rc;
    if ((rc = check_options(&t, &f)) != EXIT_OK)
        return rc;
    if (t.dim_given)
        f.dim = (size_t)t.dim;
    return train(&t, &f);
}
