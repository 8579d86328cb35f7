/* The options `eval` and `plot` of a learned optimiser share, and turning
 * them into a comparison: the saved optimiser, the family, the grid. */
#include "lstm_cli.h"

#include "cli.h"
#include "lstm_compare.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Per family: problems measured and problems the rates are tuned on.  An
 * MLP step costs about a thousand times a 10-d quadratic's. */
enum { QUAD_TEST = 1000, QUAD_TUNE = 100, MLP_TEST = 100, MLP_TUNE = 10 };
static const char *const DEFAULT_GRID = "1e-4,1,13";

void cmp_cli_init(cmp_cli *c, int default_steps)
{
    memset(c, 0, sizeof *c);
    c->task = NULL;
    c->lr_grid = DEFAULT_GRID;
    c->steps = (arg_steps){1, {default_steps}};
    c->problems = 0;   /* the family's default */
    c->seed = 1000;
    c->threads = 1;
}

static void cmp_cli_table(cmp_cli *c, arg_opt t[CMP_CLI_TABLE_LEN + 1])
{
    int n = 0;
    t[n++] = (arg_opt){.name = "task", .type = ARG_STRING, .dest = &c->task,
                       .given = &c->task_given};
    t[n++] = (arg_opt){.name = "steps", .type = ARG_STEPS, .dest = &c->steps};
    t[n++] = (arg_opt){.name = "problems", .type = ARG_U64, .dest = &c->problems,
                       .ulo = 1, .uhi = 10000000};
    t[n++] = (arg_opt){.name = "tune-problems", .type = ARG_U64, .dest = &c->tune_problems,
                       .given = &c->tune_given, .ulo = 1, .uhi = 10000000};
    t[n++] = (arg_opt){.name = "seed", .type = ARG_U64, .dest = &c->seed, .ulo = 0,
                       .uhi = UINT64_MAX};
    t[n++] = (arg_opt){.name = "lr-grid", .type = ARG_STRING, .dest = &c->lr_grid};
    t[n++] = (arg_opt){.name = "threads", .type = ARG_U64, .dest = &c->threads, .ulo = 1,
                       .uhi = 256};
    t[n++] = (arg_opt){.name = "dim", .type = ARG_U64, .dest = &c->dim,
                       .given = &c->dim_given, .ulo = 1, .uhi = 4096};
    t[n++] = (arg_opt){.name = "quiet", .type = ARG_FLAG, .dest = &c->quiet};
    t[n] = (arg_opt){.name = NULL};
}

/* "LO,HI,N": N log-spaced rates from LO to HI. */
static int parse_grid(const char *text, const char *cmd, cmp_settings *s)
{
    char *end;
    errno = 0;
    double lo = strtod(text, &end);
    double hi = *end == ',' ? strtod(end + 1, &end) : NAN;
    long n = *end == ',' ? strtol(end + 1, &end, 10) : 0;
    if (*end || errno || !(lo > 0) || !(hi >= lo) || !isfinite(hi) || n < 1 ||
        n > CMP_MAX_GRID || (n == 1 && hi != lo))
        return cli_usage_error("%s: --lr-grid: '%s' is not LO,HI,N (0 < LO <= HI, N "
                               "rates from 1 to %d, e.g. %s)", cmd, text, CMP_MAX_GRID,
                               DEFAULT_GRID);
    s->lr_lo = lo;
    s->lr_hi = hi;
    s->lr_points = (int)n;
    return EXIT_OK;
}

static int check(const cmp_cli *c, const char *cmd, const char *path, family_spec *f,
                 cmp_settings *s)
{
    int kind = cli_file_object_kind(path);
    if (kind == 1)
        return cli_usage_error("%s: %s holds a learner, not an optimizer: --task %s "
                               "evaluates learned optimizers", cmd, path,
                               c->task ? c->task : "quadratic");
    if (!c->task_given)
        return cli_usage_error("%s: %s: name the problems to run the optimizer on: --task "
                               "quadratic[:DIM] or fashion-mlp[:DIR]", cmd, path);
    int rc = family_parse(f, c->task, cmd);
    if (rc != EXIT_OK)
        return rc;
    if (c->dim_given && f->kind != FAMILY_QUADRATIC)
        return cli_usage_error("%s: --dim applies to quadratic problems, not %s", cmd,
                               f->spec);
    if (c->dim_given && strchr(f->spec, ':') && f->dim != c->dim)
        return cli_usage_error("%s: --dim %llu contradicts --task %s", cmd,
                               (unsigned long long)c->dim, f->spec);
    if (c->dim_given)
        f->dim = (size_t)c->dim;
    memset(s, 0, sizeof *s);
    int longest = 0;
    for (int i = 0; i < c->steps.n; i++)
        longest = c->steps.v[i] > longest ? c->steps.v[i] : longest;
    if (longest == 0)
        return cli_usage_error("%s: --steps: at least one step count must be 1 or more", cmd);
    if (c->steps.n > CMP_MAX_REPORT)
        return cli_usage_error("%s: --steps: at most %d step counts", cmd, CMP_MAX_REPORT);
    memcpy(s->report, c->steps.v, (size_t)c->steps.n * sizeof(int));
    s->n_report = c->steps.n;
    int mlp = f->kind == FAMILY_FASHION_MLP;
    s->n_test = (size_t)c->problems;
    if (s->n_test == 0)
        s->n_test = mlp ? MLP_TEST : QUAD_TEST;
    s->n_tune = c->tune_given ? (size_t)c->tune_problems : mlp ? MLP_TUNE : QUAD_TUNE;
    s->seed = c->seed;
    s->threads = (int)c->threads;
    s->quiet = c->quiet;
    return parse_grid(c->lr_grid, cmd, s);
}

int cmp_cli_parse(cmp_cli *c, const char *cmd, int argc, char **argv, const arg_opt *own,
                  const char *usage, const char **path)
{
    arg_opt common[CMP_CLI_TABLE_LEN + 1];
    cmp_cli_table(c, common);
    const arg_opt *const tables[] = {common, own, NULL};
    int npos;
    int rc = args_parse(cmd, argc, argv, tables, path, 1, &npos);
    if (rc == ARGS_HELP)
        fputs(usage, stdout);
    if (rc == ARGS_OK && npos == 0)
        return cli_usage_error("%s: missing FILE (a saved optimizer)", cmd);
    return rc;
}

static int setup(const cmp_cli *c, const char *cmd, const char *path, family_spec *f,
                 ml_problems **fam, ml_optimizer **opt, cmp_settings *s)
{
    *fam = NULL;
    *opt = NULL;
    int rc = check(c, cmd, path, f, s);
    if (rc != EXIT_OK)
        return rc;
    if (ml_optimizer_load(opt, path) != ML_OK)
        return cli_lib_error(NULL);
    /* Fresh problems: fashion-mlp trains its MLPs on the test images,
     * which meta-training never drew from. */
    rc = family_create(f, FAMILY_TEST_SET, fam);
    if (rc != EXIT_OK) {
        ml_optimizer_free(*opt);
        *opt = NULL;
        return rc;
    }
    s->fam = *fam;
    return EXIT_OK;
}

int cmp_cli_run(const cmp_cli *c, const char *cmd, const char *path, family_spec *f,
                ml_problems **fam, cmp_run *r)
{
    memset(r, 0, sizeof *r);
    ml_optimizer *o;
    cmp_settings s;
    int rc = setup(c, cmd, path, f, fam, &o, &s);
    if (rc == EXIT_OK)
        rc = cmp_prepare(r, &s, o);   /* r owns o from here */
    return rc == EXIT_OK ? cmp_execute(r) : rc;
}
