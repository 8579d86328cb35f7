/* The learned optimiser on the command line: `train --strategy
 * lstm-optimizer`, and eval, plot and info of a saved optimiser.  The
 * problem families it learns on (--task quadratic[:DIM],
 * fashion-mlp[:DIR]) are optimisation problems, not the few-shot tasks of
 * tasks.h, so these commands have option tables of their own; the learner
 * commands hand their words over when lstm_cli_applies() says so. */
#ifndef METALEARN_TOOL_LSTM_CLI_H
#define METALEARN_TOOL_LSTM_CLI_H

#include "args.h"

#include <metalearn.h>

#include <stddef.h>
#include <stdint.h>

#define LSTM_STRATEGY "lstm-optimizer"
/* Where the apt package dataset-fashion-mnist puts the IDX files. */
#define FASHION_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"
/* The paper's MLP problems: 20 sigmoid hidden units, batches of 128. */
enum { FASHION_HIDDEN = 20, FASHION_BATCH = 128, QUADRATIC_DEFAULT_DIM = 10 };

typedef enum family_kind { FAMILY_QUADRATIC = 1, FAMILY_FASHION_MLP = 2 } family_kind;

/* A problem family named on the command line. */
typedef struct family_spec {
    family_kind kind;
    const char *spec;        /* as given to --task */
    size_t dim;              /* quadratic: parameters per problem */
    char dir[512];           /* fashion-mlp: the IDX files' directory */
} family_spec;

/* Which IDX files fashion-mlp problems draw their mini-batches from. */
typedef enum family_split { FAMILY_TRAIN_SET = 0, FAMILY_TEST_SET = 1 } family_split;

/* 1 if `spec` names a family: quadratic, fashion-mlp, with or without ":ARG". */
int family_named(const char *spec);
/* Parses --task; an exit status (EXIT_USAGE with a message). */
int family_parse(family_spec *f, const char *spec, const char *cmd);
/* Builds the family (loading Fashion-MNIST); an exit status. */
int family_create(const family_spec *f, family_split split, ml_problems **out);
/* "quadratic (10-d)" or "fashion-mlp (MLP 784-20-10 on DIR/t10k-*)": for
 * tables and titles. */
void family_describe(const family_spec *f, const ml_problems *p, family_split split,
                     char *buf, size_t cap);

/* 1 when the words after `train`, `eval` or `plot` are for the learned
 * optimiser: --strategy lstm-optimizer, a --task naming a family, or (with
 * check_files: eval, plot) a word naming a saved optimiser file. */
int lstm_cli_applies(int argc, char **argv, int check_files);

/* The object kind in a libmetalearn file's header: 1 learner, 2 optimiser,
 * 0 when the file cannot be read or is not one. */
int cli_file_object_kind(const char *path);

/* "sgd", "adam", "rmsprop", LSTM_STRATEGY; "unknown" otherwise. */
const char *opt_kind_name(int kind);

/* The options eval and plot share: which problems, how many, the grid. */
typedef struct cmp_cli {
    const char *task, *lr_grid;
    arg_steps steps;
    uint64_t problems, tune_problems, seed, threads, dim;
    int task_given, tune_given, dim_given, quiet;
} cmp_cli;
enum { CMP_CLI_TABLE_LEN = 9 };

struct cmp_run;
void cmp_cli_init(cmp_cli *c, int default_steps);
/* Parses the words of eval or plot: the shared options, the command's
 * `own` table (NULL-ended) and one FILE into *path.  ARGS_OK, ARGS_HELP
 * after printing `usage`, or EXIT_USAGE after printing an error. */
int cmp_cli_parse(cmp_cli *c, const char *cmd, int argc, char **argv, const arg_opt *own,
                  const char *usage, const char **path);
/* Checks the options, loads the optimiser saved at path, builds the family
 * (test images for fashion-mlp) and runs the comparison into *r.  An exit
 * status, having printed any error; in any case the caller calls
 * cmp_free(r) and ml_problems_free(*fam). */
int cmp_cli_run(const cmp_cli *c, const char *cmd, const char *path, family_spec *f,
                ml_problems **fam, struct cmp_run *r);

/* Appended to `train --help`: where the learned optimiser's options are. */
extern const char usage_train_lstm_hint[];

/* The commands. */
int lstm_train_cmd(int argc, char **argv);
int lstm_eval_cmd(int argc, char **argv);
int lstm_plot_cmd(int argc, char **argv);
int lstm_info_run(const char *path, int json);

#endif
