/* Task kinds: what `--task KIND[:ARG]` can name.  Each kind knows the
 * model its learners start from, how to build a sampler from the task
 * options, and (for 1-D regression kinds) how to draw tasks to plot.
 * Adding a kind is one file and one line in tasks.c. */
#ifndef METALEARN_TOOL_TASKS_H
#define METALEARN_TOOL_TASKS_H

#include "args.h"

#include <metalearn.h>

/* What the tasks are for: some defaults and options differ. */
typedef enum task_use {
    TASK_USE_TRAIN = 0,      /* meta-training tasks */
    TASK_USE_EVAL = 1,       /* test tasks */
    TASK_USE_PLOT = 2        /* tasks to draw */
} task_use;

/* The options shared by every command that builds tasks.  Ranges are
 * sine's, the rest the image kinds'; a kind refuses the options it does
 * not use. */
typedef struct task_opts {
    const char *spec;        /* as given to --task */
    task_use use;
    uint64_t shots, queries;
    int shots_given, queries_given;
    double range[6];         /* amp min/max, phase min/max, x min/max */
    int range_given[6];
    /* Classification (image) kinds. */
    uint64_t ways, rotations, image_size, filters, blocks, split_seed, shift;
    int ways_given, rotations_given, image_size_given, filters_given, blocks_given;
    int split_seed_given, shift_given;
    const char *train_split, *test_split;   /* NULL: not given */
} task_opts;

enum { TASK_RANGE_AMP = 0, TASK_RANGE_PHASE = 2, TASK_RANGE_X = 4 };
enum { TASK_OPT_TABLE_LEN = 18 };

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
    /* 1: N-way classification episodes (scored by accuracy); 0: regression. */
    int classification;
    /* Fills in defaults and checks the options, touching no file; an exit
     * status (EXIT_USAGE with a message). */
    int (*resolve)(task_spec *ts, const char *cmd);
    /* NULL if the kind has nothing to load.  Reads the data the tasks come
     * from into ts->data.  `l` is the learner the tasks are for when it
     * exists already (eval, a resumed train; else NULL): defaults that the
     * network fixes (image size, ways) are taken from it and a mismatch
     * is a usage error.  An exit status, having printed any error. */
    int (*load)(task_spec *ts, const char *cmd, const ml_learner *l);
    /* Frees ts->data. */
    void (*release)(task_spec *ts);
    /* The network its learners use for `strategy` (caller frees); after
     * load(). */
    ml_status (*make_model)(const task_spec *ts, int strategy, ml_model **out);
    /* A sampler set up from the options (caller frees); after load(). */
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
    void *data;              /* the kind's loaded data (load()), or NULL */
    /* Kinds with data, after load(): the split rule the tasks' classes come
     * from (as given or defaulted) and how many classes that is. */
    const char *split;
    size_t classes;
};

/* Sets the defaults of the options before parsing (sine's queries differ
 * by use: 10 to train, 100 to evaluate, 0 to plot). */
void task_opts_init(task_opts *o, task_use use);

/* The option table for `o` (TASK_OPT_TABLE_LEN entries and a NULL end). */
void task_opts_table(task_opts *o, arg_opt table[TASK_OPT_TABLE_LEN + 1]);

/* Parses o->spec as KIND[:ARG] and resolves the options; an exit status
 * (EXIT_USAGE with a message for an unknown kind or a bad option). */
int task_spec_resolve(task_spec *ts, const task_opts *o, const char *cmd);

/* For a kind's resolve(): a usage error naming the first option of the
 * other family that was given (image options for sine, ranges for images). */
int task_refuse_image_options(const task_spec *ts, const char *cmd);
int task_refuse_range_options(const task_spec *ts, const char *cmd);

/* Loads the kind's data (see task_kind.load); an exit status. */
int task_spec_load(task_spec *ts, const char *cmd, const ml_learner *l);

/* Frees what task_spec_load() loaded; safe to call more than once. */
void task_spec_release(task_spec *ts);

/* Frees what make_plot_task() allocated. */
void plot_task_free(plot_task *pt);

/* The tool's own generator (splitmix64): uniform in [lo, hi). */
double task_rng_uniform(uint64_t *state, double lo, double hi);

extern const task_kind task_kind_sine, task_kind_omniglot, task_kind_idx;

#endif
