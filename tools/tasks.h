/* Task kinds: what `--task KIND[:ARG]` can name.  Each kind knows the
 * model its learners start from, how to build a sampler from the task
 * options, and (for 1-D regression kinds) how to draw tasks to plot.
 * Adding a kind is one file and one line in tasks.c. */
#ifndef METALEARN_TOOL_TASKS_H
#define METALEARN_TOOL_TASKS_H

#include "args.h"

#include <metalearn.h>

/* The options shared by every command that builds tasks.  Ranges are
 * sine's; a kind refuses the options it does not use. */
typedef struct task_opts {
    const char *spec;        /* as given to --task */
    uint64_t shots, queries;
    int shots_given, queries_given;
    double range[6];         /* amp min/max, phase min/max, x min/max */
    int range_given[6];
} task_opts;

enum { TASK_RANGE_AMP = 0, TASK_RANGE_PHASE = 2, TASK_RANGE_X = 4 };
enum { TASK_OPT_TABLE_LEN = 9 };

/* One 1-D regression task to draw: its support points, the true curve on
 * a dense grid, and the library task (support, and the grid as queries). */
typedef struct plot_task {
    ml_task *task;
    size_t k, n_grid;
    float *sx, *sy;          /* support points */
    float *gx, *gy;          /* grid and true curve */
    char title[96];
} plot_task;

typedef struct task_spec task_spec;

typedef struct task_kind {
    const char *name;
    const char *arg_name;    /* NULL: the kind takes no ":ARG" */
    const char *summary;
    /* Fills in defaults and checks the options; an exit status. */
    int (*resolve)(task_spec *ts, const char *cmd);
    /* The network its learners use (caller frees). */
    ml_status (*make_model)(const task_spec *ts, ml_model **out);
    /* A sampler set up from the options (caller frees). */
    ml_status (*make_sampler)(const task_spec *ts, uint64_t seed, ml_sampler **out);
    /* NULL for kinds that cannot be plotted.  `rng` is the tool's own
     * generator state, so the caller knows the true function.  Returns an
     * exit status, having printed any error. */
    int (*make_plot_task)(const task_spec *ts, uint64_t *rng, size_t n_grid,
                                plot_task *out);
} task_kind;

struct task_spec {
    const task_kind *kind;
    char arg[512];           /* the part after ':' ("" if none) */
    task_opts opts;          /* with defaults filled in by resolve() */
};

/* Sets the defaults of the options before parsing (queries differ by
 * command: 10 to train, 100 to evaluate). */
void task_opts_init(task_opts *o, uint64_t default_queries);

/* The option table for `o` (TASK_OPT_TABLE_LEN entries and a NULL end). */
void task_opts_table(task_opts *o, arg_opt table[TASK_OPT_TABLE_LEN + 1]);

/* Parses o->spec as KIND[:ARG] and resolves the options; an exit status
 * (EXIT_USAGE with a message for an unknown kind or a bad option). */
int task_spec_resolve(task_spec *ts, const task_opts *o, const char *cmd);

/* Frees what make_plot_task() allocated. */
void plot_task_free(plot_task *pt);

/* The tool's own generator (splitmix64): uniform in [lo, hi). */
double task_rng_uniform(uint64_t *state, double lo, double hi);

extern const task_kind task_kind_sine;

#endif
