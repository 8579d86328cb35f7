/* metalearn plot: an SVG of a saved learner adapting to a few held-out
 * 1-D regression tasks: the true curve, the support points, and the
 * predictions before adaptation and after some inner steps. */
#include "commands.h"

#include "cli.h"
#include "lstm_cli.h"
#include "svg.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char usage_plot[] =
    "usage: " PROG " plot FILE --out FIG.svg [options]\n"
    "\n"
    "Draws, for a few fresh tasks (one panel each), the true function, the K\n"
    "support points, and the learner's predictions before adaptation and after\n"
    "some inner steps on the support points.  For a saved optimizer: loss curves\n"
    "next to tuned hand-designed ones (see '" PROG " plot --task quadratic --help').\n"
    "\n"
    "  --out FIG.svg        where to write the SVG (required)\n"
    "  --task KIND[:ARG]    task family (default sine; must be 1-D regression)\n"
    "  --shots K            support points per task (default 10)\n"
    "  --tasks N            number of panels (default 3)\n"
    "  --steps LIST         inner steps to draw (default 0,1,10)\n"
    "  --seed S             seed of the plotted tasks (default 1)\n"
    "  --threads T          worker threads (default 1)\n"
    "\n"
    "sine task options: --amp-min, --amp-max, --phase-min, --phase-max, --x-min,\n"
    "--x-max (as for train).\n";

enum { GRID = 200, MAX_PANELS = 24, COLS = 3 };
static const double PANEL_W = 300, PANEL_H = 210, MARGIN_L = 55, MARGIN_R = 20,
                    MARGIN_T = 36, MARGIN_B = 44, HEADER = 64;
static const char *const palette[] = {"#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd",
                                      "#8c564b", "#e377c2", "#17becf"};
static const char *const TRUE_COLOUR = "#222222", *const SUPPORT_COLOUR = "#d62728",
                         *const UNADAPTED_COLOUR = "#8c8c8c";

void plot_opts_init(plot_opts *o)
{
    memset(o, 0, sizeof *o);
    task_opts_init(&o->task, TASK_USE_PLOT);
    o->steps = (arg_steps){3, {0, 1, 10}};
    o->tasks = 3;
    o->seed = 1;
    o->threads = 1;
}

typedef struct curve_style {
    const char *colour, *dash;
} curve_style;

static curve_style style_of(const plot_opts *o, int i)
{
    if (o->steps.v[i] == 0)
        return (curve_style){UNADAPTED_COLOUR, "6 4"};
    int k = 0;
    for (int j = 0; j < i; j++)
        k += o->steps.v[j] != 0;
    return (curve_style){palette[k % (int)(sizeof palette / sizeof palette[0])], NULL};
}

static void step_label(char *buf, size_t cap, int steps)
{
    if (steps == 0)
        snprintf(buf, cap, "before adaptation");
    else
        snprintf(buf, cap, "after %d step%s", steps, steps == 1 ? "" : "s");
}

/* The y range: the true curve with some room, widened for predictions
 * that stray, but not so far that a wild one flattens the true curve. */
static double y_limit(const plot_task *pt, float *const *pred, int n_pred)
{
    double truth = 0.5, guess = 0.0;
    for (size_t j = 0; j < pt->n_grid; j++)
        truth = fmax(truth, fabs(pt->gy[j]));
    for (size_t j = 0; j < pt->k; j++)
        truth = fmax(truth, fabs(pt->sy[j]));
    for (int i = 0; i < n_pred; i++)
        for (size_t j = 0; j < pt->n_grid; j++)
            if (isfinite(pred[i][j]))
                guess = fmax(guess, fabs(pred[i][j]));
    return 1.15 * fmax(truth, fmin(guess, 2.0 * truth));
}

/* The width of a legend entry: its sample, then its text at about 6.2
 * units a character (11-unit sans-serif), then a gap. */
static double legend_advance(const char *label)
{
    return 30 + 6.2 * (double)strlen(label) + 24;
}

static void draw_legend(FILE *f, const plot_opts *o, double y)
{
    double x = MARGIN_L;
    svg_line(f, x, y, x + 24, y, TRUE_COLOUR, 2, NULL);
    svg_text(f, x + 30, y + 4, 11, "start", "#222", "true function");
    x += legend_advance("true function");
    svg_circle(f, x + 12, y, 4, SUPPORT_COLOUR, "white");
    svg_text(f, x + 30, y + 4, 11, "start", "#222", "support points");
    x += legend_advance("support points");
    for (int i = 0; i < o->steps.n; i++) {
        char label[64];
        curve_style st = style_of(o, i);
        step_label(label, sizeof label, o->steps.v[i]);
        svg_line(f, x, y, x + 24, y, st.colour, 2, st.dash);
        svg_text(f, x + 30, y + 4, 11, "start", "#222", label);
        x += legend_advance(label);
    }
}

static int write_svg(FILE *f, const char *path, const ml_learner *l, const plot_opts *o,
                     const plot_task *pts, float *const *pred, double iters)
{
    int n = (int)o->tasks, cols = n < COLS ? n : COLS, rows = (n + COLS - 1) / COLS;
    double cell_w = MARGIN_L + PANEL_W + MARGIN_R, cell_h = MARGIN_T + PANEL_H + MARGIN_B;
    double width = fmax(cols * cell_w, MARGIN_L + 230 + 170.0 * o->steps.n);
    char title[512];
    snprintf(title, sizeof title, "%s learner %s (%.0f iterations) on %s tasks",
             cli_strategy_name(ml_learner_strategy(l)), path, iters, o->task.spec);
    svg_begin(f, width, HEADER + rows * cell_h, title);
    svg_text(f, MARGIN_L, 22, 14, "start", "#111", title);
    draw_legend(f, o, 46);
    for (int t = 0; t < n; t++) {
        const plot_task *pt = &pts[t];
        double lim = y_limit(pt, pred + (size_t)t * o->steps.n, o->steps.n);
        svg_panel p = {
            .x = (t % COLS) * cell_w + MARGIN_L,
            .y = HEADER + (t / COLS) * cell_h + MARGIN_T,
            .w = PANEL_W, .h = PANEL_H,
            .x0 = pt->gx[0], .x1 = pt->gx[pt->n_grid - 1],
            .y0 = -lim, .y1 = lim, .id = t,
        };
        if (!(p.x1 > p.x0)) {
            p.x0 -= 0.5;
            p.x1 += 0.5;
        }
        svg_panel_axes(f, &p, pt->title, "x", "y");
        svg_curve(f, &p, pt->gx, pt->gy, pt->n_grid, TRUE_COLOUR, 2, NULL);
        for (int i = 0; i < o->steps.n; i++) {
            curve_style st = style_of(o, i);
            svg_curve(f, &p, pt->gx, pred[(size_t)t * o->steps.n + i], pt->n_grid,
                      st.colour, 1.6, st.dash);
        }
        for (size_t j = 0; j < pt->k; j++)
            svg_circle(f, svg_px(&p, pt->sx[j]), svg_py(&p, pt->sy[j]), 3.5,
                       SUPPORT_COLOUR, "white");
    }
    svg_end(f);
    return ferror(f) ? -1 : 0;
}

static int save_svg(const char *out, const char *path, const ml_learner *l,
                    const plot_opts *o, const plot_task *pts, float *const *pred,
                    double iters)
{
    FILE *f = fopen(out, "w");
    if (!f)
        return cli_fail("cannot create %s: %s", out, strerror(errno));
    int bad = write_svg(f, path, l, o, pts, pred, iters);
    if (fclose(f) != 0 || bad)
        return cli_fail("cannot write %s: %s", out, strerror(errno));
    return EXIT_OK;
}

/* A prediction that diverged is drawn as nothing (NaN points break the
 * curve) and named in the panel's title, rather than failing the plot. */
static int predict(ml_learner *l, plot_task *pt, int steps, float *out)
{
    ml_status st = ml_learner_predict(l, pt->task, steps, GRID, pt->gx, out, GRID, NULL);
    if (st == ML_OK)
        return EXIT_OK;
    if (st != ML_ERR_NUMERIC)
        return cli_lib_error(l);
    for (size_t j = 0; j < GRID; j++)
        out[j] = NAN;
    size_t len = strlen(pt->title);
    snprintf(pt->title + len, sizeof pt->title - len, "; diverged after %d steps", steps);
    return EXIT_OK;
}

int plot_run(const char *path, const plot_opts *o, const task_spec *ts)
{
    if (!ts->kind->make_plot_task)
        return cli_usage_error("plot: task '%s' cannot be plotted (1-D regression only)",
                               ts->kind->name);
    int n = (int)o->tasks, ns = o->steps.n;
    plot_task pts[MAX_PANELS];
    float *pred[MAX_PANELS * ARG_STEPS_MAX];
    memset(pts, 0, sizeof pts);
    memset(pred, 0, sizeof pred);
    ml_learner *l = NULL;
    double iters = 0;
    int rc = EXIT_OK;
    if (ml_learner_load(&l, path) != ML_OK)
        rc = cli_lib_error(NULL);
    else if (cli_strategy_is_metric(ml_learner_strategy(l)))
        rc = cli_usage_error("plot: %s is a %s learner: plot is not supported for image "
                             "tasks", path, cli_strategy_name(ml_learner_strategy(l)));
    else if (ml_learner_set(l, ML_LEARNER_THREADS, (double)o->threads) != ML_OK ||
             ml_learner_get(l, ML_LEARNER_ITERATION, &iters) != ML_OK)
        rc = cli_lib_error(l);
    /* Amplitude and phase come from the tool's own generator: the library
     * sampler does not reveal them, and the true curve is what the
     * predictions are judged against. */
    uint64_t rng = o->seed;
    for (int t = 0; t < n && rc == EXIT_OK; t++)
        rc = ts->kind->make_plot_task(ts, &rng, GRID, &pts[t]);
    for (int t = 0; t < n && rc == EXIT_OK; t++)
        for (int i = 0; i < ns && rc == EXIT_OK; i++) {
            float *p = malloc(GRID * sizeof *p);
            pred[t * ns + i] = p;
            if (!p)
                rc = cli_fail("out of memory");
            else
                rc = predict(l, &pts[t], o->steps.v[i], p);
        }
    if (rc == EXIT_OK)
        rc = save_svg(o->out, path, l, o, pts, pred, iters);
    if (rc == EXIT_OK)
        printf("wrote %s (%d task%s)\n", o->out, n, n == 1 ? "" : "s");
    for (int i = 0; i < n * ns; i++)
        free(pred[i]);
    for (int t = 0; t < n; t++)
        plot_task_free(&pts[t]);
    ml_learner_free(l);
    return rc;
}

int cmd_plot(int argc, char **argv)
{
    /* A saved optimiser's loss curves (lstm_plot.c). */
    if (lstm_cli_applies(argc, argv, 1))
        return lstm_plot_cmd(argc, argv);
    plot_opts o;
    plot_opts_init(&o);
    arg_opt task_table[TASK_OPT_TABLE_LEN + 1];
    task_opts_table(&o.task, task_table);
    const arg_opt table[] = {
        {.name = "out", .type = ARG_STRING, .dest = &o.out},
        {.name = "steps", .type = ARG_STEPS, .dest = &o.steps},
        {.name = "tasks", .type = ARG_U64, .dest = &o.tasks, .ulo = 1, .uhi = MAX_PANELS},
        {.name = "seed", .type = ARG_U64, .dest = &o.seed, .ulo = 0, .uhi = UINT64_MAX},
        {.name = "threads", .type = ARG_U64, .dest = &o.threads, .ulo = 1, .uhi = 256},
        {.name = NULL},
    };
    const arg_opt *const tables[] = {table, task_table, NULL};
    const char *pos[1];
    int npos;
    int rc = args_parse("plot", argc, argv, tables, pos, 1, &npos);
    if (rc == ARGS_HELP) {
        fputs(usage_plot, stdout);
        return EXIT_OK;
    }
    if (rc != ARGS_OK)
        return rc;
    if (npos == 0)
        return cli_usage_error("plot: missing FILE (the saved learner to plot)");
    if (!o.out)
        return cli_usage_error("plot: missing --out FIG.svg");
    task_spec ts;
    rc = task_spec_resolve(&ts, &o.task, "plot");
    if (rc != EXIT_OK)
        return rc;
    return plot_run(pos[0], &o, &ts);
}
