/* The meta-training loop shared by `train`, the baseline of `eval` and
 * `demo`. */
#ifndef METALEARN_TOOL_TRAINER_H
#define METALEARN_TOOL_TRAINER_H

#include <metalearn.h>

#include <stdint.h>

/* A run spread over processes (train --mpi): every process runs the same
 * loop on the same tasks, and the hooks keep them in step. */
typedef struct trainer_hooks {
    /* The meta-update of one batch in place of ml_learner_meta_step(); on
     * failure *msg is the message to print, or NULL for none (a rank
     * other than the one that reports). */
    ml_status (*step)(void *ctx, ml_learner *l, uint64_t n, ml_task *const *tasks,
                      double *loss, const char **msg);
    /* The exit status every process goes on with, given this one's
     * (Ctrl-C, a task that could not be drawn): they must stop together,
     * or the others would wait for the stopped one forever. */
    int (*agree)(void *ctx, int rc);
    void *ctx;
} trainer_hooks;

typedef struct trainer_cfg {
    const char *label;          /* progress prefix; NULL for none */
    uint64_t iterations;        /* meta-updates to do in this run */
    uint64_t meta_batch;        /* tasks per meta-update */
    uint64_t seed;              /* the run's seed; see cli_task_seed() */
    uint64_t checkpoint_every;  /* 0: no checkpoints */
    const char *checkpoint_path;
    uint64_t log_every;         /* plain progress lines; 0: every 10% */
    /* Step decay of the outer Adam's rate: before the meta-update at
     * iteration i (the learner's count, i > 0, i a multiple of
     * lr_decay_every) the rate becomes lr_base * lr_decay^(i / every).
     * lr_decay_every 0: no decay. */
    double lr_base, lr_decay;
    uint64_t lr_decay_every;
    int quiet;
    const trainer_hooks *hooks; /* NULL: one process, ml_learner_meta_step() */
} trainer_cfg;

typedef struct trainer_result {
    uint64_t first, last;       /* the learner's iteration count before and after */
    double seconds;
    double loss;                /* running mean of the meta-loss at the end */
} trainer_result;

/* Trains `l` on tasks from `s` (reseeded every iteration).  Returns
 * EXIT_OK, EXIT_LIB after printing the library's message, or
 * EXIT_INTERRUPTED when SIGINT arrived (the learner then holds every
 * finished iteration, so the caller can still save it). */
int trainer_run(ml_learner *l, ml_sampler *s, const trainer_cfg *c, trainer_result *r);

/* Gives `l` a fresh outer Adam of rate lr (its moments restart: the
 * public API has no way to change the rate and keep them).  EXIT_OK, or
 * an exit status after printing the library's message. */
int trainer_set_outer_adam(ml_learner *l, double lr);

#endif
