/* metalearn plot FILE --task quadratic|fashion-mlp: the loss curves (mean
 * over the problems, per step, log scale) of a saved optimiser and of the
 * tuned hand-designed ones, as an SVG. */
#include "lstm_cli.h"

#include "cli.h"
#include "lstm_compare.h"
#include "svg.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: " PROG " plot FILE --task FAMILY --out FIG.svg [options]\n"
    "\n"
    "Draws the mean loss at every step over fresh problems of a family (log scale)\n"
    "for the optimizer saved in FILE and for Adam, RMSprop, Nesterov momentum and\n"
    "SGD, each with the rate tuned for the last step as '" PROG " eval' tunes it.\n"
    "\n"
    "  --out FIG.svg        where to write the SVG (required)\n"
    "  --task FAMILY        quadratic[:DIM] or fashion-mlp[:DIR] (test images)\n"
    "  --dim D              quadratic: parameters per problem\n"
    "  --steps N            steps to draw (default 100)\n"
    "  --problems N         problems averaged (default 1000; fashion-mlp 100)\n"
    "  --tune-problems N    problems the rates are tuned on (default 100; fashion-mlp 10)\n"
    "  --lr-grid LO,HI,N    the rates tried (default 1e-4,1,13)\n"
    "  --seed S             seed the problems derive from (default 1000)\n"
    "  --threads T          runs side by side (default 1)\n"
    "  --quiet              no progress output\n";

static const char *const colours[CMP_MAX_ENTRIES] = {"#d62728", "#1f77b4", "#2ca02c",
                                                     "#9467bd", "#8c564b"};
static const double WIDTH = 760, HEIGHT = 460, PX = 70, PY = 60, PW = 470, PH = 330;

/* Whole decades around every point drawn: clean log ticks.  Curves that
 * blow up are clipped at a hundred times the starting loss. */
static void y_range(const cmp_run *r, double *lo, double *hi)
{
    double mn = INFINITY, mx = 0, start = 0;
    for (int i = 0; i < r->n_entries; i++)
        if (isfinite(r->e[i].curve[0]))
            start = fmax(start, r->e[i].curve[0]);
    for (int i = 0; i < r->n_entries; i++)
        for (int s = 0; s <= r->steps; s++) {
            double v = r->e[i].curve[s];
            if (isfinite(v) && v > 0) {
                mn = fmin(mn, v);
                mx = fmax(mx, start > 0 ? fmin(v, 100 * start) : v);
            }
        }
    if (!(mx > 0)) {
        *lo = 0.1, *hi = 10;
        return;
    }
    *lo = pow(10, floor(log10(mn)));
    *hi = pow(10, ceil(log10(mx)));
    if (*hi <= *lo)
        *hi = *lo * 10;
}

static void legend_label(const cmp_run *r, const cmp_entry *e, char *buf, size_t cap)
{
    const cmp_stats *st = &e->stats[0];
    int len = e->tuned ? snprintf(buf, cap, "%s, lr %.3g%s", e->name, st->lr,
                                  cmp_at_grid_edge(r, e, 0) ? " (grid end)" : "")
                       : snprintf(buf, cap, "%s (learned)", e->name);
    if (st->diverged && len > 0 && (size_t)len < cap)
        snprintf(buf + len, cap - (size_t)len, ", %zu diverged", st->diverged);
}

static int write_svg(FILE *f, const char *path, const family_spec *fs, const cmp_run *r,
                     const float *xs, float *ys)
{
    char title[1024], sub[256];
    snprintf(title, sizeof title, "%s on %s", path, fs->spec);
    snprintf(sub, sizeof sub, "mean loss over %zu problems (seed %llu); rates tuned for "
             "%d steps on %zu others", r->s.n_test, (unsigned long long)r->s.seed, r->steps,
             r->s.n_tune);
    svg_begin(f, WIDTH, HEIGHT, title);
    svg_text(f, PX, 22, 14, "start", "#111", title);
    svg_text(f, PX, 40, 11, "start", "#444", sub);
    svg_panel p = {.x = PX, .y = PY, .w = PW, .h = PH, .x0 = 0, .x1 = r->steps,
                   .log_y = 1};
    y_range(r, &p.y0, &p.y1);
    svg_panel_axes(f, &p, NULL, "step", "loss (log scale)");
    for (int i = r->n_entries - 1; i >= 0; i--) {   /* the learned one on top */
        for (int s = 0; s <= r->steps; s++)
            ys[s] = (float)r->e[i].curve[s];
        svg_curve(f, &p, xs, ys, (size_t)r->steps + 1, colours[i], i == 0 ? 2.4 : 1.6,
                  NULL);
    }
    for (int i = 0; i < r->n_entries; i++) {
        char label[128];
        double y = PY + 10 + 22 * i, x = PX + PW + 20;
        legend_label(r, &r->e[i], label, sizeof label);
        svg_line(f, x, y, x + 24, y, colours[i], i == 0 ? 2.4 : 1.6, NULL);
        svg_text(f, x + 30, y + 4, 11, "start", "#222", label);
    }
    svg_end(f);
    return ferror(f) ? -1 : 0;
}

static int save_svg(const char *out, const char *path, const family_spec *fs,
                    const cmp_run *r)
{
    float *xs = malloc(2 * ((size_t)r->steps + 1) * sizeof *xs);
    if (!xs)
        return cli_fail("out of memory");
    for (int s = 0; s <= r->steps; s++)
        xs[s] = (float)s;
    FILE *f = fopen(out, "w");
    if (!f) {
        free(xs);
        return cli_fail("cannot create %s: %s", out, strerror(errno));
    }
    int bad = write_svg(f, path, fs, r, xs, xs + r->steps + 1);
    free(xs);
    if (fclose(f) != 0 || bad)
        return cli_fail("cannot write %s: %s", out, strerror(errno));
    return EXIT_OK;
}

int lstm_plot_cmd(int argc, char **argv)
{
    cmp_cli c;
    cmp_cli_init(&c, 100);
    const char *out = NULL;
    const arg_opt own[] = {
        {.name = "out", .type = ARG_STRING, .dest = &out},
        {.name = NULL},
    };
    const char *path;
    int rc = cmp_cli_parse(&c, "plot", argc, argv, own, usage, &path);
    if (rc != ARGS_OK)
        return rc == ARGS_HELP ? EXIT_OK : rc;
    if (!out)
        return cli_usage_error("plot: missing --out FIG.svg");
    if (c.steps.n != 1 || c.steps.v[0] < 1)
        return cli_usage_error("plot: --steps takes one number, 1 or more");
    family_spec f;
    ml_problems *fam;
    cmp_run r;
    rc = cmp_cli_run(&c, "plot", path, &f, &fam, &r);
    if (rc == EXIT_OK)
        rc = save_svg(out, path, &f, &r);
    if (rc == EXIT_OK)
        printf("wrote %s (%d optimizers, %zu problems, %d steps)\n", out, r.n_entries,
               r.s.n_test, r.steps);
    cmp_free(&r);
    ml_problems_free(fam);
    return rc;
}
