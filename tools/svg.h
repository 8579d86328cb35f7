/* Hand-written SVG: the few primitives the plots need, and a panel with
 * axes that maps data coordinates to the page.  No dependencies. */
#ifndef METALEARN_TOOL_SVG_H
#define METALEARN_TOOL_SVG_H

#include <stddef.h>
#include <stdio.h>

void svg_begin(FILE *f, double width, double height, const char *title);
void svg_end(FILE *f);

/* Text is escaped for XML.  anchor: "start", "middle" or "end". */
void svg_text(FILE *f, double x, double y, double size, const char *anchor,
              const char *fill, const char *text);
void svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *stroke,
              double width, const char *dash);
void svg_circle(FILE *f, double cx, double cy, double r, const char *fill,
                const char *stroke);

/* A plotting area: data ranges mapped onto a rectangle of the page. */
typedef struct svg_panel {
    double x, y, w, h;            /* the plotting rectangle, page units */
    double x0, x1, y0, y1;        /* data ranges */
    int id;                       /* for the clip path's name */
    int log_y;                    /* 1: logarithmic y axis (y0, y1 > 0) */
} svg_panel;

double svg_px(const svg_panel *p, double x);
double svg_py(const svg_panel *p, double y);

/* Frame, ticks with labels, a title above and a clip path for curves. */
void svg_panel_axes(FILE *f, const svg_panel *p, const char *title, const char *xlabel,
                    const char *ylabel);

/* A curve through (x[i], y[i]), clipped to the panel.  Non-finite points
 * (and on a log axis, values <= 0) break the line instead of producing
 * invalid coordinates. */
void svg_curve(FILE *f, const svg_panel *p, const float *x, const float *y, size_t n,
               const char *stroke, double width, const char *dash);

#endif
