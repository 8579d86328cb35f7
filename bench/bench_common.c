/* RTLD_DEFAULT */
#define _GNU_SOURCE
#include "bench.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU time of the whole process (every thread), which other programs on a
 * busy machine do not inflate the way they do wall time. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The kernel set OpenBLAS picked ("Haswell", "Cooperlake"...; set by
 * OPENBLAS_CORETYPE or detected), or "unknown" under another BLAS: the
 * same machine runs GEMM about 1.6 times faster with AVX-512 kernels, so
 * a figure means little without it. */
static const char *blas_core(void)
{
    char *(*corename)(void);
    void *sym = dlsym(RTLD_DEFAULT, "openblas_get_corename");
    if (!sym)
        return "unknown";
    memcpy(&corename, &sym, sizeof corename); /* object to function pointer */
    const char *name = corename();
    return name ? name : "unknown";
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int bench_run(const bench_workload *w, int threads, int runs)
{
    if (runs <= 0)
        runs = w->default_runs;
    void *state = w->setup(threads);
    if (!state) {
        fprintf(stderr, "ml-bench: %s: setup failed\n", w->name);
        return 1;
    }
    double *ms = malloc(2 * (size_t)runs * sizeof *ms), *cpu = ms + runs;
    int rc = ms ? 0 : 1;
    /* Warm-up: caches, the arena's steady-state size, thread start-up. */
    for (int i = 0; i < runs / 10 + 3 && rc == 0; i++)
        rc = w->run(state);
    for (int i = 0; i < runs && rc == 0; i++) {
        double t0 = bench_now(), c0 = cpu_now();
        rc = w->run(state);
        ms[i] = 1e3 * (bench_now() - t0);
        cpu[i] = 1e3 * (cpu_now() - c0);
    }
    if (rc == 0) {
        qsort(ms, (size_t)runs, sizeof *ms, cmp_double);
        qsort(cpu, (size_t)runs, sizeof *cpu, cmp_double);
        printf("{\"workload\": \"%s\", \"threads\": %d, \"median_ms\": %.4f, "
               "\"min_ms\": %.4f, \"max_ms\": %.4f, \"cpu_median_ms\": %.4f, "
               "\"iterations\": %d, \"blas_core\": \"%s\", \"what\": \"%s\"}\n",
               w->name, threads, ms[runs / 2], ms[0], ms[runs - 1], cpu[runs / 2], runs,
               blas_core(), w->what);
        fflush(stdout);
    } else {
        fprintf(stderr, "ml-bench: %s: run failed\n", w->name);
    }
    free(ms);
    w->teardown(state);
    return rc;
}
