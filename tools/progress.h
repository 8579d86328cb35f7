/* Training progress on stderr: one redrawn line on a terminal, periodic
 * plain lines otherwise (logs, CI, pipes). */
#ifndef METALEARN_TOOL_PROGRESS_H
#define METALEARN_TOOL_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

typedef struct progress {
    FILE *f;
    int tty, quiet, drawn;
    const char *label;
    const char *unit;        /* plain lines: "iter" unless the caller changes it */
    int show_loss;           /* 1 unless the caller changes it: a count without a loss */
    uint64_t first, total;   /* global iteration numbers: start and end */
    uint64_t every;          /* plain mode: a line every this many iterations */
    double t0, last_draw;
    double ema, ema_weight;  /* bias-corrected exponential mean of the loss */
} progress;

/* `first` iterations were done before (a resumed learner), `total` is the
 * iteration count at the end; `every` 0 means every 10%. */
void progress_start(progress *p, const char *label, uint64_t first, uint64_t total,
                    uint64_t every, int quiet);

/* After iteration `done` (global count) finished with meta-loss `loss`
 * (a non-finite loss is counted but left out of the running mean). */
void progress_update(progress *p, uint64_t done, double loss);

/* Ends the redrawn line, if any. */
void progress_finish(progress *p);

/* The running mean of the meta-loss (NaN before the first update). */
double progress_loss(const progress *p);

#endif
