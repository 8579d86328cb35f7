/* metalearn eval FILE --task quadratic|fashion-mlp: a saved optimiser
 * against tuned Adam, RMSprop, Nesterov momentum and SGD on fresh
 * problems: mean and median final loss, 95% interval, diverged runs. */
#include "lstm_cli.h"

#include "cli.h"
#include "json.h"
#include "lstm_compare.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: " PROG " eval FILE --task FAMILY [options]\n"
    "\n"
    "Runs the optimizer saved in FILE (a learned one: train --strategy " LSTM_STRATEGY ")\n"
    "on fresh problems of a family, and Adam, RMSprop, Nesterov momentum (SGD with\n"
    "momentum 0.9) and SGD on the same problems, each with its learning rate tuned on\n"
    "a grid: the rate with the lowest mean final loss over other problems of the\n"
    "family (fewest diverged runs first).  Reports per optimizer the mean final\n"
    "loss with a 95% interval, the median, and the runs that diverged (a non-finite\n"
    "objective or gradient; left out of mean and median).\n"
    "\n"
    "  --task FAMILY        quadratic[:DIM] (DIM default 10) or fashion-mlp[:DIR]: MLPs\n"
    "                       trained on batches of the 10,000 Fashion-MNIST test images\n"
    "                       (t10k-*; meta-training uses the training images)\n"
    "  --dim D              quadratic: parameters per problem (same as quadratic:D)\n"
    "  --steps LIST         optimisation steps to report, e.g. 100,200 (default 100);\n"
    "                       the rates are tuned for each\n"
    "  --problems N         test problems (default 1000; fashion-mlp 100)\n"
    "  --tune-problems N    problems the rates are tuned on (default 100; fashion-mlp 10)\n"
    "  --lr-grid LO,HI,N    N log-spaced rates from LO to HI (default 1e-4,1,13)\n"
    "  --seed S             seed the problems derive from (default 1000); the tuning\n"
    "                       problems never coincide with the test problems\n"
    "  --threads T          runs side by side (default 1; the result does not depend on it)\n"
    "  --quiet              no progress output\n"
    "  --json               a JSON summary as the last line of stdout\n";

static void format_number(char buf[32], double v)
{
    if (isfinite(v))
        cli_num(buf, v);
    else
        snprintf(buf, 32, "n/a");
}

static void print_header(const char *path, const ml_optimizer *o, const family_spec *f,
                         const cmp_run *r)
{
    double meta_steps = 0, hidden = 0;
    char fam[768];
    family_describe(f, r->s.fam, FAMILY_TEST_SET, fam, sizeof fam);
    int lstm = ml_optimizer_kind_of(o) == ML_OPTIMIZER_LSTM;
    if (lstm && ml_optimizer_get(o, ML_OPT_LSTM_META_STEPS, &meta_steps) == ML_OK &&
        ml_optimizer_get(o, ML_OPT_LSTM_HIDDEN, &hidden) == ML_OK)
        printf("%s: learned optimizer (LSTM, %.0f hidden units, %.0f meta-steps)\n", path,
               hidden, meta_steps);
    else
        printf("%s: %s optimizer\n", path, opt_kind_name(ml_optimizer_kind_of(o)));
    printf("problems: %zu of %s, seed %llu\n", r->s.n_test, fam,
           (unsigned long long)r->s.seed);
    printf("rates tuned on %zu other problems over %d log-spaced values:", r->s.n_tune,
           r->s.lr_points);
    for (int g = 0; g < r->s.lr_points; g++)
        printf(" %.3g", r->grid[g]);
    printf("\n");
}

static void print_table(const cmp_run *r)
{
    int edge = 0;
    size_t diverged = 0;
    for (int k = 0; k < r->s.n_report; k++) {
        printf("\nfinal loss after %d steps:\n", r->s.report[k]);
        printf("  %-15s %-10s %-26s %-10s %s\n", "optimizer", "rate", "mean +/- 95% interval",
               "median", "diverged");
        for (int i = 0; i < r->n_entries; i++) {
            const cmp_entry *e = &r->e[i];
            const cmp_stats *st = &e->stats[k];
            char rate[40] = "-", mean[32], ci[32], med[32], cell[80];
            if (e->tuned || isfinite(st->lr))
                snprintf(rate, sizeof rate, "%.3g%s", st->lr,
                         cmp_at_grid_edge(r, e, k) ? "*" : "");
            edge |= cmp_at_grid_edge(r, e, k);
            format_number(mean, st->mean);
            format_number(ci, st->ci95);
            format_number(med, st->median);
            snprintf(cell, sizeof cell, "%s +/- %s", mean, ci);
            printf("  %-15s %-10s %-26s %-10s %zu\n", e->name, rate, cell, med, st->diverged);
            diverged += st->diverged;
        }
    }
    if (edge)
        printf("(* the best rate is at an end of the grid: a better one may lie beyond "
               "it; widen --lr-grid)\n");
    if (diverged)
        printf("(diverged runs are left out of mean and median)\n");
    printf("%.1f s\n", r->seconds);
}

static void json_stats(json_writer *w, const cmp_run *r, const cmp_entry *e)
{
    json_begin_array(w, "final");
    for (int k = 0; k < r->s.n_report; k++) {
        const cmp_stats *st = &e->stats[k];
        json_begin_object(w, NULL);
        json_uint(w, "steps", (uint64_t)r->s.report[k]);
        json_number(w, "lr", st->lr);
        json_number(w, "mean", st->mean);
        json_number(w, "ci95", st->ci95);
        json_number(w, "median", st->median);
        json_uint(w, "diverged", st->diverged);
        json_end_object(w);
    }
    json_end_array(w);
}

static void json_tuning(json_writer *w, const cmp_run *r, const cmp_entry *e)
{
    const int nr = r->s.n_report;
    json_begin_array(w, "tuning");
    for (int k = 0; k < nr; k++) {
        json_begin_object(w, NULL);
        json_uint(w, "steps", (uint64_t)r->s.report[k]);
        json_number(w, "lr", r->grid[e->choice[k]]);
        json_bool(w, "at_grid_edge", cmp_at_grid_edge(r, e, k));
        json_begin_array(w, "mean_by_lr");
        for (int g = 0; g < r->s.lr_points; g++)
            json_number(w, NULL, e->tune_mean[g * nr + k]);
        json_end_array(w);
        json_begin_array(w, "diverged_by_lr");
        for (int g = 0; g < r->s.lr_points; g++)
            json_uint(w, NULL, e->tune_diverged[g * nr + k]);
        json_end_array(w);
        json_end_object(w);
    }
    json_end_array(w);
}

static void print_json(const char *path, const ml_optimizer *o, const family_spec *f,
                       const cmp_run *r)
{
    double meta_steps;
    json_writer w;
    json_init(&w, stdout);
    json_begin_object(&w, NULL);
    json_string(&w, "command", "eval");
    json_string(&w, "file", path);
    json_string(&w, "optimizer", opt_kind_name(ml_optimizer_kind_of(o)));
    json_number(&w, "iterations", ml_optimizer_get(o, ML_OPT_LSTM_META_STEPS, &meta_steps) ==
                                          ML_OK ? meta_steps : NAN);
    json_string(&w, "task", f->spec);
    json_uint(&w, "params", ml_problems_dim(r->s.fam));
    json_string(&w, "data", f->kind == FAMILY_FASHION_MLP ? "test" : NULL);
    json_uint(&w, "problems", r->s.n_test);
    json_uint(&w, "tune_problems", r->s.n_tune);
    json_uint(&w, "seed", r->s.seed);
    json_uint(&w, "threads", (uint64_t)r->s.threads);
    json_begin_array(&w, "steps");
    for (int k = 0; k < r->s.n_report; k++)
        json_uint(&w, NULL, (uint64_t)r->s.report[k]);
    json_end_array(&w);
    json_begin_array(&w, "grid");
    for (int g = 0; g < r->s.lr_points; g++)
        json_number(&w, NULL, r->grid[g]);
    json_end_array(&w);
    json_begin_array(&w, "results");
    for (int i = 0; i < r->n_entries; i++) {
        const cmp_entry *e = &r->e[i];
        json_begin_object(&w, NULL);
        json_string(&w, "optimizer", e->name);
        json_bool(&w, "tuned", e->tuned);
        if (e->tuned)
            json_tuning(&w, r, e);
        json_stats(&w, r, e);
        json_end_object(&w);
    }
    json_end_array(&w);
    json_number(&w, "seconds", r->seconds);
    json_end_object(&w);
    json_finish(&w);
}

int lstm_eval_cmd(int argc, char **argv)
{
    cmp_cli c;
    cmp_cli_init(&c, 100);
    int json = 0;
    const arg_opt own[] = {
        {.name = "json", .type = ARG_FLAG, .dest = &json},
        {.name = NULL},
    };
    const char *path;
    int rc = cmp_cli_parse(&c, "eval", argc, argv, own, usage, &path);
    if (rc != ARGS_OK)
        return rc == ARGS_HELP ? EXIT_OK : rc;
    family_spec f;
    ml_problems *fam;
    cmp_run r;
    rc = cmp_cli_run(&c, "eval", path, &f, &fam, &r);
    if (rc == EXIT_OK) {
        print_header(path, r.e[0].proto, &f, &r);
        print_table(&r);
        if (json)
            print_json(path, r.e[0].proto, &f, &r);
    }
    cmp_free(&r);
    ml_problems_free(fam);
    return rc;
}
