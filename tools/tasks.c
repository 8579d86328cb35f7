/* The registry of task kinds and the options they share. */
#include "tasks.h"

#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The next issues add omniglot:DIR, idx:IMAGES,LABELS, quadratic and
 * fashion-mlp here. */
static const task_kind *const kinds[] = {
    &task_kind_sine,
};
enum { N_KINDS = sizeof kinds / sizeof kinds[0] };

void task_opts_init(task_opts *o, uint64_t default_queries)
{
    memset(o, 0, sizeof *o);
    o->spec = "sine";
    o->shots = 10;
    o->queries = default_queries;
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
    t[n] = (arg_opt){.name = NULL};
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
