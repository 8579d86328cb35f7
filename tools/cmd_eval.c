/* metalearn eval: how well a saved learner adapts to fresh tasks, next to
 * a baseline trained on the same task family without meta-learning. */
#include "commands.h"

#include "cli.h"
#include "json.h"
#include "lstm_cli.h"
#include "trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char usage_eval[] =
    "usage: " PROG " eval FILE [options]\n"
    "\n"
    "Adapts the learner saved in FILE to fresh tasks (K support examples each) and\n"
    "reports the mean query MSE with a 95% interval after each number of inner\n"
    "steps.  For comparison, a baseline is trained on all tasks jointly, without\n"
    "meta-learning (strategy joint, same network, Adam 0.001, meta-batch 25), and\n"
    "fine-tuned on the same tasks in the same way.\n"
    "On image tasks (omniglot, idx) it reports instead the mean query accuracy\n"
    "over N-way K-shot test episodes with a 95% interval, and trains no baseline.\n"
    "A saved optimizer (train --strategy lstm-optimizer) is compared with tuned\n"
    "hand-designed ones instead: see '" PROG " eval --task quadratic --help'.\n"
    "\n"
    "  --task KIND[:ARG]         task family (default sine; or omniglot:DIR,\n"
    "                            idx:IMAGES,LABELS)\n"
    "  --shots K                 support examples per task (default 10; images: per\n"
    "                            class, default 1)\n"
    "  --queries Q               query examples per task (default 100; images: per\n"
    "                            class, default 15)\n"
    "  --steps LIST              inner steps to report, e.g. 0,1,5,10 (default 1,5,10);\n"
    "                            images: one number, default 3 (the MAML paper's test\n"
    "                            setting; the Reptile paper uses 50), ignored by the\n"
    "                            metric strategies\n"
    "  --tasks N, --episodes N   number of test tasks (default 1000)\n"
    "  --seed S                  seed of the test tasks (default 1000); the baseline\n"
    "                            trains on tasks from seed S+1\n"
    "  --threads T               worker threads (default 1)\n"
    "  --baseline-iterations N   training of the baseline (default 10000)\n"
    "  --no-baseline             skip the baseline\n"
    "  --quiet                   no progress output\n"
    "  --json                    a JSON summary as the last line of stdout\n"
    "\n"
    "sine task options: --amp-min, --amp-max, --phase-min, --phase-max, --x-min,\n"
    "--x-max (as for train).\n"
    "\n"
    "image task options:\n"
    "  --ways N                  classes per episode (default: the learner's outputs\n"
    "                            for the gradient-based strategies, else 5)\n"
    "  --image-size S            omniglot: resize to SxS (default: the learner's)\n"
    "  --test-split RULE         the classes to test on: all, groups:A,B,...,\n"
    "                            classes:A,B,..., fraction:F, or rest: the classes\n"
    "                            --train-split leaves out (default: rest when\n"
    "                            --train-split is given, else all)\n"
    "  --train-split RULE        the split the learner was trained on (the file does\n"
    "                            not record it): for rest, and to warn of overlap\n"
    "  --split-seed S            seed of fraction: splits (default 0, as for train)\n"
    "Test on classes the learner never saw: a disjoint split of the same data\n"
    "(e.g. train --train-split fraction:0.8, eval --train-split fraction:0.8), or\n"
    "another directory.  Episodes are never rotated at test.\n";

void eval_opts_init(eval_opts *o)
{
    memset(o, 0, sizeof *o);
    task_opts_init(&o->task, TASK_USE_EVAL);
    o->steps = (arg_steps){3, {1, 5, 10}};
    o->tasks = 1000;
    o->seed = 1000;
    o->threads = 1;
    o->baseline_iterations = 10000;
}

typedef struct score {
    double mean, ci95;
    size_t diverged;      /* tasks whose adaptation went to infinity */
} score;

/* Mean and 1.96 sample standard deviations over sqrt(n) of the finite
 * values (NaN marks a diverged task); the interval is NaN when there is
 * no spread to estimate. */
static score summarise(const double *v, size_t n)
{
    double sum = 0.0, ss = 0.0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) {
            sum += v[i];
            k++;
        }
    double mean = k ? sum / (double)k : NAN;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            ss += (v[i] - mean) * (v[i] - mean);
    double sd = k > 1 ? sqrt(ss / (double)(k - 1)) : NAN;
    return (score){mean, 1.96 * sd / sqrt((double)k), n - k};
}

/* The library fails a whole evaluation when one task diverges; measure
 * that step count task by task instead, so a single unstable task is
 * reported as such and the others still count. */
static int score_one_by_one(ml_learner *l, ml_task **tasks, size_t n, int steps,
                            double *per)
{
    for (size_t i = 0; i < n; i++) {
        ml_status st = ml_learner_evaluate(l, 1, &tasks[i], steps, &per[i], NULL, NULL);
        if (st == ML_ERR_NUMERIC)
            per[i] = NAN;
        else if (st != ML_OK)
            return cli_lib_error(l);
    }
    return EXIT_OK;
}

/* The scores of one learner after each step count, on the same tasks. */
static int score_learner(ml_learner *l, ml_task **tasks, size_t n, const arg_steps *steps,
                         score *out)
{
    double *per = malloc(n * sizeof *per);
    if (!per)
        return cli_fail("out of memory");
    int rc = EXIT_OK;
    for (int i = 0; i < steps->n && rc == EXIT_OK; i++) {
        ml_status st = ml_learner_evaluate(l, n, tasks, steps->v[i], NULL, NULL, per);
        if (st == ML_ERR_NUMERIC)
            rc = score_one_by_one(l, tasks, n, steps->v[i], per);
        else if (st != ML_OK)
            rc = cli_lib_error(l);
        if (rc == EXIT_OK)
            out[i] = summarise(per, n);
    }
    free(per);
    return rc;
}

/* The joint baseline: the evaluated learner's network and inner step
 * size, trained on every example of its tasks (support and query). */
static int train_baseline(const ml_learner *l, const eval_opts *o, const task_spec *ts,
                          ml_learner **out, double *seconds)
{
    task_spec bts = *ts;
    bts.opts.queries = 10;
    double lr;
    if (ml_learner_get(l, ML_LEARNER_INNER_LR, &lr) != ML_OK)
        lr = 0.01;
    ml_learner *b;
    ml_sampler *s = NULL;
    if (ml_learner_create(&b, ml_learner_model(l), ML_STRATEGY_JOINT, o->seed + 1) != ML_OK)
        return cli_lib_error(NULL);
    int rc = EXIT_OK;
    if (ml_learner_set(b, ML_LEARNER_INNER_LR, lr) != ML_OK ||
        ml_learner_set(b, ML_LEARNER_THREADS, (double)o->threads) != ML_OK)
        rc = cli_lib_error(b);
    else if (bts.kind->make_sampler(&bts, o->seed + 1, &s) != ML_OK)
        rc = cli_lib_error(NULL);
    if (rc == EXIT_OK) {
        trainer_cfg c = {
            .label = "baseline",
            .iterations = o->baseline_iterations,
            .meta_batch = 25,
            .seed = o->seed + 1,
            .quiet = o->quiet,
        };
        trainer_result r;
        rc = trainer_run(b, s, &c, &r);
        *seconds = r.seconds;
    }
    ml_sampler_free(s);
    if (rc != EXIT_OK) {
        ml_learner_free(b);
        return rc;
    }
    *out = b;
    return EXIT_OK;
}

static void format_number(char buf[32], double v)
{
    if (isfinite(v))
        cli_num(buf, v);
    else
        snprintf(buf, 32, "n/a");
}

static void format_score(char *buf, size_t cap, score s)
{
    char mean[32], ci[32];
    format_number(mean, s.mean);
    format_number(ci, s.ci95);
    int len = isfinite(s.ci95) ? snprintf(buf, cap, "%s +/- %s", mean, ci)
                               : snprintf(buf, cap, "%s", mean);
    if (s.diverged && len > 0 && (size_t)len < cap)
        snprintf(buf + len, cap - (size_t)len, " (%zu diverged)", s.diverged);
}

static void print_table(const char *path, const ml_learner *l, const eval_opts *o,
                        const score *mine, const score *base, double iters)
{
    const char *name = cli_strategy_name(ml_learner_strategy(l));
    printf("%s: %s learner, %.0f iterations; task %s, K = %llu, %llu queries, "
           "%llu test tasks (seed %llu)\n",
           path, name, iters, o->task.spec, (unsigned long long)o->task.shots,
           (unsigned long long)o->task.queries, (unsigned long long)o->tasks,
           (unsigned long long)o->seed);
    printf("query MSE after adaptation (mean +/- 95%% interval):\n");
    char head[64];
    snprintf(head, sizeof head, "joint baseline (%llu it)",
             (unsigned long long)o->baseline_iterations);
    if (base)
        printf("%6s  %-22s  %s\n", "steps", name, head);
    else
        printf("%6s  %s\n", "steps", name);
    size_t diverged = 0;
    for (int i = 0; i < o->steps.n; i++) {
        char a[64], b[64];
        format_score(a, sizeof a, mine[i]);
        if (base) {
            format_score(b, sizeof b, base[i]);
            printf("%6d  %-22s  %s\n", o->steps.v[i], a, b);
        } else {
            printf("%6d  %s\n", o->steps.v[i], a);
        }
        diverged += mine[i].diverged + (base ? base[i].diverged : 0);
    }
    if (diverged)
        printf("(diverged: the adapted model's error went to infinity on that many tasks;\n"
               "they are left out of the mean)\n");
}

static void json_scores(json_writer *w, const eval_opts *o, const score *s)
{
    json_begin_array(w, "mse");
    for (int i = 0; i < o->steps.n; i++) {
        json_begin_object(w, NULL);
        json_uint(w, "steps", (uint64_t)o->steps.v[i]);
        json_number(w, "mean", s[i].mean);
        json_number(w, "ci95", s[i].ci95);
        json_uint(w, "diverged", s[i].diverged);
        json_end_object(w);
    }
    json_end_array(w);
}

static void print_json(const char *path, const ml_learner *l, const eval_opts *o,
                       const score *mine, const score *base, double iters,
                       double seconds, double base_seconds)
{
    json_writer w;
    json_init(&w, stdout);
    json_begin_object(&w, NULL);
    json_string(&w, "command", "eval");
    json_string(&w, "file", path);
    json_string(&w, "strategy", cli_strategy_name(ml_learner_strategy(l)));
    json_string(&w, "task", o->task.spec);
    json_uint(&w, "shots", o->task.shots);
    json_uint(&w, "queries", o->task.queries);
    json_uint(&w, "tasks", o->tasks);
    json_uint(&w, "seed", o->seed);
    json_number(&w, "iterations", iters);
    json_number(&w, "seconds", seconds);
    json_scores(&w, o, mine);
    if (base) {
        json_begin_object(&w, "baseline");
        json_string(&w, "strategy", "joint");
        json_uint(&w, "iterations", o->baseline_iterations);
        json_number(&w, "seconds", base_seconds);
        json_scores(&w, o, base);
        json_end_object(&w);
    } else {
        json_null(&w, "baseline");
    }
    json_end_object(&w);
    json_finish(&w);
}

int eval_run(const char *path, const eval_opts *o, task_spec *ts)
{
    if (ts->kind->classification)
        return eval_images_run(path, o, ts);
    double t0 = cli_now(), iters = 0, base_seconds = 0;
    size_t n = (size_t)o->tasks;
    ml_learner *l = NULL, *b = NULL;
    ml_sampler *s = NULL;
    ml_task **tasks = calloc(n, sizeof *tasks);
    score mine[ARG_STEPS_MAX], base[ARG_STEPS_MAX];
    memset(mine, 0, sizeof mine);
    memset(base, 0, sizeof base);
    int rc = EXIT_OK;
    if (!tasks)
        rc = cli_fail("out of memory");
    else if (ml_learner_load(&l, path) != ML_OK)
        rc = cli_lib_error(NULL);
    else if (cli_strategy_is_metric(ml_learner_strategy(l)))
        rc = cli_usage_error("eval: %s is a %s learner: it classifies images; evaluate it "
                             "on an image task (--task omniglot:DIR or idx:IMAGES,LABELS)",
                             path, cli_strategy_name(ml_learner_strategy(l)));
    else if (ml_learner_set(l, ML_LEARNER_THREADS, (double)o->threads) != ML_OK ||
             ml_learner_get(l, ML_LEARNER_ITERATION, &iters) != ML_OK)
        rc = cli_lib_error(l);
    else if (ts->kind->make_sampler(ts, o->seed, &s) != ML_OK)
        rc = cli_lib_error(NULL);
    /* The test tasks are drawn once, before any step count is tried, so
     * every column and row is measured on the same tasks. */
    for (size_t i = 0; i < n && rc == EXIT_OK; i++)
        if (ml_sampler_sample(s, &tasks[i]) != ML_OK)
            rc = cli_fail("%s", ml_sampler_last_error(s));
    if (rc == EXIT_OK)
        rc = score_learner(l, tasks, n, &o->steps, mine);
    if (rc == EXIT_OK && !o->no_baseline) {
        rc = train_baseline(l, o, ts, &b, &base_seconds);
        if (rc == EXIT_OK)
            rc = score_learner(b, tasks, n, &o->steps, base);
    }
    if (rc == EXIT_OK) {
        const score *bp = o->no_baseline ? NULL : base;
        print_table(path, l, o, mine, bp, iters);
        if (o->json)
            print_json(path, l, o, mine, bp, iters, cli_now() - t0, base_seconds);
    }
    for (size_t i = 0; tasks && i < n; i++)
        ml_task_free(tasks[i]);
    free(tasks);
    ml_sampler_free(s);
    ml_learner_free(b);
    ml_learner_free(l);
    task_spec_release(ts);
    return rc;
}

int cmd_eval(int argc, char **argv)
{
    /* A saved optimiser is compared with others on problems (lstm_eval.c). */
    if (lstm_cli_applies(argc, argv, 1))
        return lstm_eval_cmd(argc, argv);
    eval_opts o;
    eval_opts_init(&o);
    arg_opt task_table[TASK_OPT_TABLE_LEN + 1];
    task_opts_table(&o.task, task_table);
    const arg_opt table[] = {
        {.name = "steps", .type = ARG_STEPS, .dest = &o.steps, .given = &o.steps_given},
        {.name = "tasks", .type = ARG_U64, .dest = &o.tasks, .ulo = 1, .uhi = 10000000},
        {.name = "episodes", .type = ARG_U64, .dest = &o.tasks, .ulo = 1, .uhi = 10000000},
        {.name = "seed", .type = ARG_U64, .dest = &o.seed, .ulo = 0, .uhi = UINT64_MAX - 1},
        {.name = "threads", .type = ARG_U64, .dest = &o.threads, .ulo = 1, .uhi = 256},
        {.name = "baseline-iterations", .type = ARG_U64, .dest = &o.baseline_iterations,
         .given = &o.baseline_given, .ulo = 1, .uhi = 1000000000000ULL},
        {.name = "no-baseline", .type = ARG_FLAG, .dest = &o.no_baseline},
        {.name = "quiet", .type = ARG_FLAG, .dest = &o.quiet},
        {.name = "json", .type = ARG_FLAG, .dest = &o.json},
        {.name = NULL},
    };
    const arg_opt *const tables[] = {table, task_table, NULL};
    const char *pos[1];
    int npos;
    int rc = args_parse("eval", argc, argv, tables, pos, 1, &npos);
    if (rc == ARGS_HELP) {
        fputs(usage_eval, stdout);
        return EXIT_OK;
    }
    if (rc != ARGS_OK)
        return rc;
    if (npos == 0)
        return cli_usage_error("eval: missing FILE (the saved learner to evaluate)");
    if (o.task.queries == 0)
        return cli_usage_error("eval: --queries must be at least 1 (the query set is "
                               "what is measured)");
    task_spec ts;
    rc = task_spec_resolve(&ts, &o.task, "eval");
    if (rc != EXIT_OK)
        return rc;
    if (ts.kind->classification) {
        if (o.baseline_given)
            return cli_usage_error("eval: image tasks have no baseline: "
                                   "--baseline-iterations does not apply");
        if (o.steps_given && o.steps.n != 1)
            return cli_usage_error("eval: --steps takes one number on image tasks");
    }
    return eval_run(pos[0], &o, &ts);
}
