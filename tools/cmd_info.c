/* metalearn info: what a saved learner file holds. */
#include "commands.h"

#include "cli.h"
#include "json.h"
#include "lstm_cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char usage_info[] =
    "usage: " PROG " info FILE [--json]\n"
    "\n"
    "Prints what a saved learner holds: strategy, network, number of\n"
    "meta-parameters, iterations trained, inner-loop settings (and Reptile's\n"
    "epsilon schedule), and the file size; for a saved optimizer, its kind and\n"
    "settings (a learned one's network and meta-training).  A damaged file is\n"
    "reported with the library's message and exit status 1.\n"
    "\n"
    "  --json    one JSON object on stdout instead of the text\n";

typedef struct info {
    int strategy;
    char *model;
    size_t n_params, n_meta;
    double iteration, inner_lr, inner_steps;
    double eps, eps_final, anneal, inner_adam, eps_now;
    double alpha_mean, alpha_min, alpha_max;  /* Meta-SGD's learned step sizes */
    long long size;
} info;

static double get(const ml_learner *l, ml_learner_param key)
{
    double v;
    return ml_learner_get(l, key, &v) == ML_OK ? v : NAN;
}

static char *describe(const ml_model *m)
{
    size_t len = 0;
    if (ml_model_describe(m, NULL, 0, &len) != ML_OK && len == 0)
        return NULL;
    char *buf = malloc(len + 1);
    if (buf && ml_model_describe(m, buf, len + 1, NULL) != ML_OK) {
        free(buf);
        buf = NULL;
    }
    return buf;
}

/* Meta-SGD keeps its step sizes after the network's parameters. */
static int alpha_stats(const ml_learner *l, info *in)
{
    float *meta = malloc(in->n_meta * sizeof *meta);
    if (!meta)
        return cli_fail("out of memory");
    if (ml_learner_get_meta_params(l, meta, in->n_meta) != ML_OK) {
        free(meta);
        return cli_lib_error(l);
    }
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    for (size_t i = in->n_params; i < in->n_meta; i++) {
        sum += meta[i];
        lo = fmin(lo, meta[i]);
        hi = fmax(hi, meta[i]);
    }
    size_t n = in->n_meta - in->n_params;
    in->alpha_mean = n ? sum / (double)n : NAN;
    in->alpha_min = lo;
    in->alpha_max = hi;
    free(meta);
    return EXIT_OK;
}

static int gather(const ml_learner *l, const char *path, info *in)
{
    const ml_model *m = ml_learner_model(l);
    in->strategy = ml_learner_strategy(l);
    in->model = describe(m);
    if (!in->model)
        return cli_lib_error(NULL);
    in->n_params = ml_model_num_params(m);
    in->n_meta = ml_learner_num_meta_params(l);
    in->iteration = get(l, ML_LEARNER_ITERATION);
    in->inner_lr = get(l, ML_LEARNER_INNER_LR);
    in->inner_steps = get(l, ML_LEARNER_INNER_STEPS);
    in->size = cli_file_size(path);
    in->alpha_mean = in->alpha_min = in->alpha_max = NAN;
    if (in->strategy == ML_STRATEGY_REPTILE) {
        in->eps = get(l, ML_LEARNER_REPTILE_EPSILON);
        in->eps_final = get(l, ML_LEARNER_REPTILE_EPSILON_FINAL);
        in->anneal = get(l, ML_LEARNER_REPTILE_ANNEAL_ITERS);
        in->inner_adam = get(l, ML_LEARNER_REPTILE_INNER_ADAM);
        /* The step the next iteration would take, as the library computes it. */
        double frac = in->anneal > 0 ? fmin(in->iteration / in->anneal, 1.0) : 0.0;
        in->eps_now = in->eps + (in->eps_final - in->eps) * frac;
    }
    if (in->strategy == ML_STRATEGY_METASGD && in->n_meta > in->n_params)
        return alpha_stats(l, in);
    return EXIT_OK;
}

static void print_text(const char *path, const info *in)
{
    printf("file:             %s (%lld bytes)\n", path, in->size);
    printf("strategy:         %s\n", cli_strategy_name(in->strategy));
    printf("model:            %s\n", in->model);
    printf("parameters:       %zu in the network, %zu meta-parameters%s\n", in->n_params,
           in->n_meta,
           in->strategy == ML_STRATEGY_SIAMESE    ? " (with the siamese head)"
           : in->strategy == ML_STRATEGY_RELATION ? " (with the relation module)"
                                                  : "");
    printf("iterations:       %.0f\n", in->iteration);
    if (cli_strategy_is_metric(in->strategy)) {
        printf("inner loop:       none (adapts by embedding the support set)\n");
        return;
    }
    printf("inner steps:      %.0f\n", in->inner_steps);
    if (in->strategy == ML_STRATEGY_METASGD && in->n_meta > in->n_params)
        printf("inner lr:         learned per parameter: mean %.4g, range [%.4g, %.4g]\n",
               in->alpha_mean, in->alpha_min, in->alpha_max);
    else
        printf("inner lr:         %g\n", in->inner_lr);
    if (in->strategy == ML_STRATEGY_REPTILE) {
        if (in->anneal > 0)
            printf("reptile epsilon:  %g, annealed linearly to %g over %.0f iterations "
                   "(now %g)\n",
                   in->eps, in->eps_final, in->anneal, in->eps_now);
        else
            printf("reptile epsilon:  %g, constant\n", in->eps);
        printf("reptile inner:    %s\n", in->inner_adam == 1 ? "Adam (beta1 = 0)" : "SGD");
    }
}

static void print_json(const char *path, const info *in)
{
    json_writer w;
    json_init(&w, stdout);
    json_begin_object(&w, NULL);
    json_string(&w, "command", "info");
    json_string(&w, "file", path);
    json_number(&w, "file_size", (double)in->size);
    json_string(&w, "strategy", cli_strategy_name(in->strategy));
    json_string(&w, "model", in->model);
    json_uint(&w, "params", in->n_params);
    json_uint(&w, "meta_params", in->n_meta);
    json_number(&w, "iterations", in->iteration);
    int metric = cli_strategy_is_metric(in->strategy);
    json_number(&w, "inner_steps", metric ? NAN : in->inner_steps);
    if (metric) {
        json_null(&w, "inner_lr");
    } else if (in->strategy == ML_STRATEGY_METASGD && in->n_meta > in->n_params) {
        json_begin_object(&w, "inner_lr_learned");
        json_number(&w, "mean", in->alpha_mean);
        json_number(&w, "min", in->alpha_min);
        json_number(&w, "max", in->alpha_max);
        json_end_object(&w);
    } else {
        json_number(&w, "inner_lr", in->inner_lr);
    }
    if (in->strategy == ML_STRATEGY_REPTILE) {
        json_number(&w, "epsilon", in->eps);
        json_number(&w, "epsilon_final", in->eps_final);
        json_number(&w, "anneal_iters", in->anneal);
        json_number(&w, "epsilon_now", in->eps_now);
        json_bool(&w, "inner_adam", in->inner_adam == 1);
    }
    json_end_object(&w);
    json_finish(&w);
}

int cmd_info(int argc, char **argv)
{
    int json = 0;
    const arg_opt table[] = {
        {.name = "json", .type = ARG_FLAG, .dest = &json},
        {.name = NULL},
    };
    const arg_opt *const tables[] = {table, NULL};
    const char *pos[1];
    int npos;
    int rc = args_parse("info", argc, argv, tables, pos, 1, &npos);
    if (rc == ARGS_HELP) {
        fputs(usage_info, stdout);
        return EXIT_OK;
    }
    if (rc != ARGS_OK)
        return rc;
    if (npos == 0)
        return cli_usage_error("info: missing FILE (a saved learner)");
    if (cli_file_object_kind(pos[0]) == 2)
        return lstm_info_run(pos[0], json);
    ml_learner *l;
    if (ml_learner_load(&l, pos[0]) != ML_OK)
        return cli_lib_error(NULL);
    info in;
    memset(&in, 0, sizeof in);
    rc = gather(l, pos[0], &in);
    if (rc == EXIT_OK) {
        if (json)
            print_json(pos[0], &in);
        else
            print_text(pos[0], &in);
    }
    free(in.model);
    ml_learner_free(l);
    return rc;
}
