/* The subcommands of the tool.  Each takes the words after its name and
 * returns the process exit status; the run functions are shared with
 * `demo`, which chains train, eval and plot. */
#ifndef METALEARN_TOOL_COMMANDS_H
#define METALEARN_TOOL_COMMANDS_H

#include "args.h"
#include "tasks.h"

int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_demo(int argc, char **argv);

extern const char usage_train[], usage_eval[], usage_plot[], usage_info[], usage_demo[];

/* ---- train ---- */
typedef struct train_opts {
    task_opts task;
    const char *strategy, *out, *resume;
    uint64_t iterations, meta_batch, inner_steps, threads, seed;
    uint64_t checkpoint_every, log_every, anneal_iters;
    uint64_t lr_decay_every;
    double inner_lr, outer_lr, epsilon, epsilon_final, lr_decay;
    int lr_decay_given, lr_decay_every_given;
    int iterations_given, meta_batch_given;
    int inner_steps_given, inner_lr_given, outer_lr_given, epsilon_given;
    int epsilon_final_given, anneal_given, inner_adam, inner_sgd, json, quiet, mpi;
} train_opts;

void train_opts_init(train_opts *o);
/* Loads the task's data, trains and saves; prints a summary line, and the
 * JSON line with o->json.  An exit status.  Releases ts's data. */
int train_run(const train_opts *o, task_spec *ts);

/* This process's part in a run spread over MPI ranks (train --mpi). */
struct trainer_hooks;
typedef struct train_dist {
    int root;                            /* the one that prints and writes files */
    const struct trainer_hooks *hooks;
} train_dist;
/* train_run() as one of several processes; d NULL is train_run(). */
int train_run_dist(const train_opts *o, task_spec *ts, const train_dist *d);

/* ---- eval ---- */
typedef struct eval_opts {
    task_opts task;
    arg_steps steps;
    uint64_t tasks, seed, threads, baseline_iterations;
    int steps_given, baseline_given, no_baseline, json, quiet;
} eval_opts;

void eval_opts_init(eval_opts *o);
/* Releases ts's data. */
int eval_run(const char *path, const eval_opts *o, task_spec *ts);
/* eval for classification kinds (cmd_eval_images.c): accuracy over
 * episodes.  Releases ts's data. */
int eval_images_run(const char *path, const eval_opts *o, task_spec *ts);

/* ---- plot ---- */
typedef struct plot_opts {
    task_opts task;
    const char *out;
    arg_steps steps;
    uint64_t tasks, seed, threads;
} plot_opts;

void plot_opts_init(plot_opts *o);
int plot_run(const char *path, const plot_opts *o, const task_spec *ts);

/* The text of `metalearn help CMD`; NULL for an unknown command. */
const char *usage_of(const char *cmd);

#endif
