/* metalearn demo: the main job in one command.  Trains MAML on sine waves
 * with the paper's setup, evaluates it next to the joint baseline, and
 * plots a few adapted tasks to files in the current directory. */
#include "commands.h"

#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char usage_demo[] =
    "usage: " PROG " demo [options]\n"
    "\n"
    "Trains MAML on sine-wave regression with the setup of the MAML paper\n"
    "(K = 10, meta-batch 25, one inner step with alpha 0.01, Adam 0.001,\n"
    "70,000 iterations, 1-40-40-1 ReLU network), evaluates it on 1000 fresh\n"
    "tasks after 1, 5 and 10 steps next to a baseline trained without\n"
    "meta-learning, and writes metalearn-demo.mlrn and metalearn-demo.svg in\n"
    "the current directory.\n"
    "\n"
    "  --iterations N            meta-training iterations (default 70000)\n"
    "  --baseline-iterations N   training of the baseline (default 10000)\n"
    "  --tasks N                 test tasks (default 1000)\n"
    "  --threads T               worker threads (default: the number of CPUs,\n"
    "                            at most 8; the results do not depend on it)\n"
    "  --seed S                  training seed (default 1)\n"
    "  --quiet                   no progress output\n";

static const char MODEL_FILE[] = "metalearn-demo.mlrn", PLOT_FILE[] = "metalearn-demo.svg";

/* The thread count changes speed only (the library sums per-task results
 * in task order), so the demo uses the machine. */
static uint64_t default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 8 ? 8 : (uint64_t)n;
}

static void print_where(const char *what, const char *file)
{
    char dir[4096];
    if (getcwd(dir, sizeof dir))
        printf("%s: %s/%s\n", what, dir, file);
    else
        printf("%s: %s\n", what, file);
}

int cmd_demo(int argc, char **argv)
{
    train_opts t;
    eval_opts e;
    plot_opts p;
    train_opts_init(&t);
    eval_opts_init(&e);
    plot_opts_init(&p);
    t.threads = default_threads();
    const arg_opt table[] = {
        {.name = "iterations", .type = ARG_U64, .dest = &t.iterations, .ulo = 1,
         .uhi = 1000000000000ULL},
        {.name = "baseline-iterations", .type = ARG_U64, .dest = &e.baseline_iterations,
         .ulo = 1, .uhi = 1000000000000ULL},
        {.name = "tasks", .type = ARG_U64, .dest = &e.tasks, .ulo = 1, .uhi = 10000000},
        {.name = "threads", .type = ARG_U64, .dest = &t.threads, .ulo = 1, .uhi = 256},
        {.name = "seed", .type = ARG_U64, .dest = &t.seed, .ulo = 0, .uhi = UINT64_MAX},
        {.name = "quiet", .type = ARG_FLAG, .dest = &t.quiet},
        {.name = NULL},
    };
    const arg_opt *const tables[] = {table, NULL};
    const char *pos[1];
    int npos;
    int rc = args_parse("demo", argc, argv, tables, pos, 0, &npos);
    if (rc == ARGS_HELP) {
        fputs(usage_demo, stdout);
        return EXIT_OK;
    }
    if (rc != ARGS_OK)
        return rc;
    t.out = MODEL_FILE;
    e.threads = p.threads = t.threads;
    e.quiet = t.quiet;
    p.out = PLOT_FILE;

    task_spec ts_train, ts_eval, ts_plot;
    if ((rc = task_spec_resolve(&ts_train, &t.task, "demo")) != EXIT_OK ||
        (rc = task_spec_resolve(&ts_eval, &e.task, "demo")) != EXIT_OK ||
        (rc = task_spec_resolve(&ts_plot, &p.task, "demo")) != EXIT_OK)
        return rc;

    double t0 = cli_now();
    printf("== " PROG " demo: MAML on sine waves (Finn et al. 2017 setup)\n"
           "K = %llu, meta-batch %llu, %llu inner step (alpha %g), Adam %g, "
           "%llu iterations, %llu thread%s\n\n",
           (unsigned long long)t.task.shots, (unsigned long long)t.meta_batch,
           (unsigned long long)t.inner_steps, t.inner_lr, t.outer_lr,
           (unsigned long long)t.iterations, (unsigned long long)t.threads,
           t.threads == 1 ? "" : "s");
    fflush(stdout);
    if ((rc = train_run(&t, &ts_train)) != EXIT_OK)
        return rc;
    double t_train = cli_now() - t0;
    printf("training time: %.1f s\n\n", t_train);
    fflush(stdout);

    if ((rc = eval_run(MODEL_FILE, &e, &ts_eval)) != EXIT_OK)
        return rc;
    printf("\nfor reference, on this benchmark the papers report (query MSE):\n"
           "  MAML, K = 10, 1 step: 0.77 (Meta-SGD paper); K = 5 after 1/5/10 steps:\n"
           "  0.67/0.38/0.35, and a network pretrained on all tasks: 2.41/2.23/2.19\n\n");
    fflush(stdout);

    if ((rc = plot_run(MODEL_FILE, &p, &ts_plot)) != EXIT_OK)
        return rc;
    print_where("model", MODEL_FILE);
    print_where("plot", PLOT_FILE);
    printf("total time: %.1f s (training %.1f s)\n", cli_now() - t0, t_train);
    return EXIT_OK;
}
