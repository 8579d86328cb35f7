/* A saved optimiser against the hand-designed ones (Adam, RMSprop,
 * Nesterov momentum, SGD) on fresh problems of a family, each
 * hand-designed one with its learning rate tuned on a grid over other
 * problems of the same family.  Shared by `eval` and `plot`. */
#ifndef METALEARN_TOOL_LSTM_COMPARE_H
#define METALEARN_TOOL_LSTM_COMPARE_H

#include <metalearn.h>

#include <stddef.h>
#include <stdint.h>

enum { CMP_MAX_REPORT = 32, CMP_MAX_ENTRIES = 5, CMP_MAX_GRID = 100 };

typedef struct cmp_settings {
    const ml_problems *fam;
    int report[CMP_MAX_REPORT];  /* step counts to report on */
    int n_report;
    size_t n_test, n_tune;       /* problems measured; problems the rates are tuned on */
    uint64_t seed;               /* both sets of problem seeds derive from it */
    double lr_lo, lr_hi;         /* the grid: lr_points log-spaced rates */
    int lr_points;
    int threads;
    int quiet;                   /* no progress on stderr */
} cmp_settings;

/* Final losses after one step count, over the problems that did not
 * diverge (a run is diverged at step s if its objective or gradient was
 * not finite by then: ml_problems_run() returned ML_ERR_NUMERIC). */
typedef struct cmp_stats {
    double lr;                   /* the rate used (the file's own for the loaded one) */
    double mean, median, ci95;   /* ci95: half-width of the 95% interval of the mean */
    size_t diverged;
} cmp_stats;

typedef struct cmp_entry {
    const char *name;            /* "lstm-optimizer", "adam", ... */
    ml_optimizer *proto;         /* set up but for the rate */
    int tuned;                   /* 0: the loaded optimiser, run as saved */
    /* Tuned entries: per grid rate g and report r, [g * n_report + r]. */
    double *tune_mean;           /* mean final loss on the tuning problems */
    size_t *tune_diverged;
    int choice[CMP_MAX_REPORT];  /* grid index chosen per report */
    cmp_stats stats[CMP_MAX_REPORT];
    /* Mean loss at every step 0..max report over the test problems not
     * diverged by then (NaN where none is left), with the rate chosen for
     * the longest report. */
    double *curve;
} cmp_entry;

typedef struct cmp_run {
    cmp_settings s;
    int steps;                   /* the longest report */
    double grid[CMP_MAX_GRID];
    int n_entries;
    cmp_entry e[CMP_MAX_ENTRIES];
    double seconds;
} cmp_run;

/* Sets up the comparison of `learned` (taken over, freed by cmp_free())
 * with the four hand-designed optimisers; an exit status. */
int cmp_prepare(cmp_run *r, const cmp_settings *s, ml_optimizer *learned);
/* Tunes and runs everything; an exit status, having printed any error. */
int cmp_execute(cmp_run *r);
void cmp_free(cmp_run *r);

/* 1 if the rate chosen for report r is at an end of the grid (the best
 * rate may lie outside it). */
int cmp_at_grid_edge(const cmp_run *r, const cmp_entry *e, int report);

#endif
