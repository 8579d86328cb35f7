/* SVG primitives.  Coordinates are printed with two decimals: enough for
 * the screen, small files. */
#include "svg.h"

#include <math.h>

static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            /* Control characters other than tab and newline are not
             * allowed anywhere in XML 1.0. */
            if ((unsigned char)*s >= 0x20 || *s == '\t' || *s == '\n')
                fputc(*s, f);
        }
    }
}

void svg_begin(FILE *f, double width, double height, const char *title)
{
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
            "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
            "font-family=\"Helvetica, Arial, sans-serif\">\n",
            width, height, width, height);
    if (title) {
        fputs("<title>", f);
        put_escaped(f, title);
        fputs("</title>\n", f);
    }
    fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"white\"/>\n",
            width, height);
}

void svg_end(FILE *f)
{
    fputs("</svg>\n", f);
}

void svg_text(FILE *f, double x, double y, double size, const char *anchor,
              const char *fill, const char *text)
{
    fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%.1f\" text-anchor=\"%s\" fill=\"%s\">",
            x, y, size, anchor, fill);
    put_escaped(f, text);
    fputs("</text>\n", f);
}

void svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *stroke,
              double width, const char *dash)
{
    fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" "
               "stroke-width=\"%.2f\"",
            x1, y1, x2, y2, stroke, width);
    if (dash)
        fprintf(f, " stroke-dasharray=\"%s\"", dash);
    fputs("/>\n", f);
}

void svg_circle(FILE *f, double cx, double cy, double r, const char *fill,
                const char *stroke)
{
    fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\" fill=\"%s\" stroke=\"%s\"/>\n",
            cx, cy, r, fill, stroke);
}

double svg_px(const svg_panel *p, double x)
{
    return p->x + (x - p->x0) / (p->x1 - p->x0) * p->w;
}

/* y, y0 and y1 in the axis's own scale: log10 on a log axis. */
static double axis_y(const svg_panel *p, double y)
{
    return p->log_y ? log10(y) : y;
}

double svg_py(const svg_panel *p, double y)
{
    double lo = axis_y(p, p->y0), hi = axis_y(p, p->y1);
    return p->y + p->h - (axis_y(p, y) - lo) / (hi - lo) * p->h;
}

/* A "nice" tick step (1, 2 or 5 times a power of ten) giving about
 * `target` ticks over the span. */
static double tick_step(double span, int target)
{
    double raw = span / target, mag = pow(10.0, floor(log10(raw)));
    double r = raw / mag;
    return (r < 1.5 ? 1.0 : r < 3.5 ? 2.0 : r < 7.5 ? 5.0 : 10.0) * mag;
}

static void y_tick(FILE *f, const svg_panel *p, double v, int label)
{
    char buf[64];
    double py = svg_py(p, v);
    svg_line(f, p->x, py, p->x + p->w, py, label ? "#e4e4e4" : "#f2f2f2", 0.6, NULL);
    svg_line(f, p->x - (label ? 4 : 2), py, p->x, py, "#444", 1, NULL);
    if (label) {
        snprintf(buf, sizeof buf, "%g", v);
        svg_text(f, p->x - 6, py + 3.5, 10, "end", "#333", buf);
    }
}

/* A log axis: labelled powers of ten, and 2 and 5 times them labelled too
 * when the range spans less than three decades, small ticks otherwise. */
static void log_ticks(FILE *f, const svg_panel *p)
{
    if (!(p->y0 > 0) || !(p->y1 > p->y0) || !isfinite(p->y1))
        return;
    int few = log10(p->y1 / p->y0) < 3;
    for (double e = floor(log10(p->y0)); e <= ceil(log10(p->y1)); e++)
        for (int m = 1; m < 10; m++) {
            double v = m * pow(10.0, e);
            if (v >= p->y0 * (1 - 1e-9) && v <= p->y1 * (1 + 1e-9))
                y_tick(f, p, v, m == 1 || (few && (m == 2 || m == 5)));
        }
}

void svg_panel_axes(FILE *f, const svg_panel *p, const char *title, const char *xlabel,
                    const char *ylabel)
{
    fprintf(f, "<clipPath id=\"clip%d\"><rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
               "height=\"%.2f\"/></clipPath>\n",
            p->id, p->x, p->y, p->w, p->h);
    fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" "
               "stroke=\"#444\" stroke-width=\"1\"/>\n",
            p->x, p->y, p->w, p->h);
    char buf[64];
    if (p->log_y)
        log_ticks(f, p);
    for (int axis = 0; axis < 2 - p->log_y; axis++) {
        double lo = axis ? p->y0 : p->x0, hi = axis ? p->y1 : p->x1;
        double step = tick_step(hi - lo, 5);
        if (!(step > 0) || !isfinite(step) || !isfinite(lo))
            continue;
        for (double v = ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) {
            double t = fabs(v) < 1e-9 * step ? 0.0 : v;
            snprintf(buf, sizeof buf, "%g", t);
            if (axis == 0) {
                double px = svg_px(p, t);
                svg_line(f, px, p->y, px, p->y + p->h, "#e4e4e4", 0.6, NULL);
                svg_line(f, px, p->y + p->h, px, p->y + p->h + 4, "#444", 1, NULL);
                svg_text(f, px, p->y + p->h + 15, 10, "middle", "#333", buf);
            } else {
                double py = svg_py(p, t);
                svg_line(f, p->x, py, p->x + p->w, py, "#e4e4e4", 0.6, NULL);
                svg_line(f, p->x - 4, py, p->x, py, "#444", 1, NULL);
                svg_text(f, p->x - 6, py + 3.5, 10, "end", "#333", buf);
            }
        }
    }
    if (title)
        svg_text(f, p->x + p->w / 2, p->y - 8, 12, "middle", "#111", title);
    if (xlabel)
        svg_text(f, p->x + p->w / 2, p->y + p->h + 30, 11, "middle", "#333", xlabel);
    if (ylabel) {
        fprintf(f, "<g transform=\"translate(%.2f %.2f) rotate(-90)\">\n", p->x - 30,
                p->y + p->h / 2);
        svg_text(f, 0, 0, 11, "middle", "#333", ylabel);
        fputs("</g>\n", f);
    }
}

void svg_curve(FILE *f, const svg_panel *p, const float *x, const float *y, size_t n,
               const char *stroke, double width, const char *dash)
{
    /* Far-off values are pulled to just outside the panel: the clip path
     * hides them, and coordinates stay small numbers. */
    double lo = axis_y(p, p->y0), hi = axis_y(p, p->y1), pad = 4.0 * (hi - lo);
    int open = 0;
    for (size_t i = 0; i <= n; i++) {
        int ok = i < n && isfinite(x[i]) && isfinite(y[i]) && (!p->log_y || y[i] > 0);
        if (!ok) {
            if (open)
                fputs("\"/>\n", f);
            open = 0;
            continue;
        }
        if (!open) {
            fprintf(f, "<polyline clip-path=\"url(#clip%d)\" fill=\"none\" stroke=\"%s\" "
                       "stroke-width=\"%.2f\" stroke-linejoin=\"round\"",
                    p->id, stroke, width);
            if (dash)
                fprintf(f, " stroke-dasharray=\"%s\"", dash);
            fputs(" points=\"", f);
            open = 1;
        } else {
            fputc(' ', f);
        }
        double yv = fmin(fmax(axis_y(p, y[i]), lo - pad), hi + pad);
        fprintf(f, "%.2f,%.2f", svg_px(p, x[i]), p->y + p->h - (yv - lo) / (hi - lo) * p->h);
    }
}
