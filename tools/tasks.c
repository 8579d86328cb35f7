/* The registry of task kinds and the options they share. */
#include "tasks.h"

#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The next issues add quadratic and fashion-mlp here. */
static const task_kind *const kinds[] = {
    &task_kind_sine,
    &task_kind_omniglot,
    &task_kind_idx,
};
enum { N_KINDS = sizeof kinds / sizeof kinds[0] };

void task_opts_init(task_opts *o, task_use use)
{
    memset(o, 0, sizeof *o);
    o->spec = "sine";
    o->use = use;
    o->shots = 10;
    o->queries = use == TASK_USE_TRAIN ? 10 : use == TASK_USE_EVAL ? 100 : 0;
    o->ways = 5;
    o->image_size = 28;
    o->filters = 64;
    o->blocks = 4;
}

void task_opts_table(task_opts *o, arg_opt t[TASK_OPT_TABLE_LEN + 1])
{
    static const char *const range_names[6] = {"amp-min",   "amp-max", "phase-min",
                                               "phase-max", "x-min",   "x-max"};
    int n = 0;
    t[n++] = (arg_opt){.name = "task", .type = ARG_STRING, .dest = &o->spec};
    t[n++] = (arg_opt){.name = "shots", .type = ARG_U64, .dest = &o->shots,
                       .given = &o->shots_given, .ulo = 1, .uhi = 100000};
    t[n++] = (arg_opt){.name = "queries", .type = ARG_U64, .dest = &o->queries,
                       .given = &o->queries_given, .ulo = 0, .uhi = 100000};
    for (int i = 0; i < 6; i++)
        t[n++] = (arg_opt){.name = range_names[i], .type = ARG_DOUBLE,
                           .dest = &o->range[i], .given = &o->range_given[i],
                           .dlo = -1e6, .dhi = 1e6};
    t[n++] = (arg_opt){.name = "ways", .type = ARG_U64, .dest = &o->ways,
                       .given = &o->ways_given, .ulo = 2, .uhi = 100000};
    t[n++] = (arg_opt){.name = "rotations", .type = ARG_U64, .dest = &o->rotations,
                       .given = &o->rotations_given, .ulo = 0, .uhi = 1};
    t[n++] = (arg_opt){.name = "augment-shift", .type = ARG_U64, .dest = &o->shift,
                       .given = &o->shift_given, .ulo = 0, .uhi = 1023};
    t[n++] = (arg_opt){.name = "image-size", .type = ARG_U64, .dest = &o->image_size,
                       .given = &o->image_size_given, .ulo = 1, .uhi = 1024};
    t[n++] = (arg_opt){.name = "filters", .type = ARG_U64, .dest = &o->filters,
                       .given = &o->filters_given, .ulo = 1, .uhi = 4096};
    t[n++] = (arg_opt){.name = "blocks", .type = ARG_U64, .dest = &o->blocks,
                       .given = &o->blocks_given, .ulo = 1, .uhi = 16};
    t[n++] = (arg_opt){.name = "split-seed", .type = ARG_U64, .dest = &o->split_seed,
                       .given = &o->split_seed_given, .ulo = 0, .uhi = UINT64_MAX};
    t[n++] = (arg_opt){.name = "train-split", .type = ARG_STRING, .dest = &o->train_split};
    t[n++] = (arg_opt){.name = "test-split", .type = ARG_STRING, .dest = &o->test_split};
    t[n] = (arg_opt){.name = NULL};
}

int task_refuse_image_options(const task_spec *ts, const char *cmd)
{
    const task_opts *o = &ts->opts;
    const char *bad = o->ways_given         ? "--ways"
                      : o->rotations_given  ? "--rotations"
                      : o->shift_given      ? "--augment-shift"
                      : o->image_size_given ? "--image-size"
                      : o->filters_given    ? "--filters"
                      : o->blocks_given     ? "--blocks"
                      : o->split_seed_given ? "--split-seed"
                      : o->train_split      ? "--train-split"
                      : o->test_split       ? "--test-split"
                                            : NULL;
    if (bad)
        return cli_usage_error("%s: %s applies to image tasks (omniglot, idx), not %s", cmd,
                               bad, ts->kind->name);
    return EXIT_OK;
}

int task_refuse_range_options(const task_spec *ts, const char *cmd)
{
    static const char *const names[6] = {"amp-min",   "amp-max", "phase-min",
                                         "phase-max", "x-min",   "x-max"};
    for (int i = 0; i < 6; i++)
        if (ts->opts.range_given[i])
            return cli_usage_error("%s: --%s applies to the sine task, not %s", cmd,
                                   names[i], ts->kind->name);
    return EXIT_OK;
}

int task_spec_resolve(task_spec *ts, const task_opts *o, const char *cmd)
{
    memset(ts, 0, sizeof *ts);
    ts->opts = *o;
    const char *colon = strchr(o->spec, ':');
    size_t len = colon ? (size_t)(colon - o->spec) : strlen(o->spec);
    for (int i = 0; i < N_KINDS; i++)
        if (strlen(kinds[i]->name) == len && strncmp(kinds[i]->name, o->spec, len) == 0)
            ts->kind = kinds[i];
    if (!ts->kind) {
        char known[256] = "";
        for (int i = 0; i < N_KINDS; i++) {
            if (i)
                strcat(known, ", ");
            strncat(known, kinds[i]->name, sizeof known - strlen(known) - 3);
        }
        return cli_usage_error("%s: --task: unknown task '%.*s' (known: %s)", cmd,
                               (int)len, o->spec, known);
    }
    const task_kind *k = ts->kind;
    if (o->use == TASK_USE_PLOT && !k->make_plot_task)
        return cli_usage_error("%s: not supported for image tasks: task '%s' cannot be "
                               "plotted (plot draws 1-D regression tasks such as sine)",
                               cmd, k->name);
    if (colon && !k->arg_name)
        return cli_usage_error("%s: --task: task '%s' takes no ':' argument", cmd,
                               k->name);
    if (!colon && k->arg_name)
        return cli_usage_error("%s: --task: task '%s' needs %s:%s", cmd, k->name, k->name,
                               k->arg_name);
    if (colon) {
        if (strlen(colon + 1) >= sizeof ts->arg || !colon[1])
            return cli_usage_error("%s: --task: bad %s for task '%s'", cmd, k->arg_name,
                                   k->name);
        strcpy(ts->arg, colon + 1);
    }
    return k->resolve(ts, cmd);
}

int task_spec_load(task_spec *ts, const char *cmd, const ml_learner *l)
{
    return ts->kind->load ? ts->kind->load(ts, cmd, l) : EXIT_OK;
}

void task_spec_release(task_spec *ts)
{
    if (ts->kind && ts->kind->release)
        ts->kind->release(ts);
    ts->data = NULL;
}

void plot_task_free(plot_task *pt)
{
    ml_task_free(pt->task);
    free(pt->sx);
    free(pt->sy);
    free(pt->gx);
    free(pt->gy);
    memset(pt, 0, sizeof *pt);
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double task_rng_uniform(uint64_t *state, double lo, double hi)
{
    double u = (double)(splitmix64(state) >> 11) * (1.0 / 9007199254740992.0);
    return lo + (hi - lo) * u;
}
