/* Benchmarks of the standard configurations.  Each workload prints one
 * JSON line: workload, threads, median_ms, min_ms, max_ms, iterations
 * (timed runs), plus what one run is.  Times are wall-clock per run; the
 * machine may be shared, so compare medians and ratios, not single runs.
 *
 *   ml-bench [--threads T] [--runs N] [--list] [WORKLOAD...] */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const bench_workload *const workloads[] = {
    &bench_maml_sine,
    &bench_fomaml_sine,
    &bench_metasgd_sine,
    &bench_reptile_sine,
    &bench_protonet_conv4,
    &bench_maml_conv4,
    &bench_lstm_quadratic,
};
enum { N_WORKLOADS = sizeof workloads / sizeof workloads[0] };

static int usage(void)
{
    fprintf(stderr, "usage: ml-bench [--threads T] [--runs N] [--list] [WORKLOAD...]\n");
    return 2;
}

int main(int argc, char **argv)
{
    int threads = 1, runs = 0, list = 0;
    const char *names[64];
    int nnames = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--list"))
            list = 1;
        else if (argv[i][0] == '-' || nnames == 64)
            return usage();
        else
            names[nnames++] = argv[i];
    }
    if (threads < 1 || runs < 0)
        return usage();
    if (list) {
        for (int w = 0; w < N_WORKLOADS; w++)
            printf("%s\t%s\n", workloads[w]->name, workloads[w]->what);
        return 0;
    }
    for (int k = 0; k < nnames; k++) {
        int found = 0;
        for (int w = 0; w < N_WORKLOADS; w++)
            found |= !strcmp(names[k], workloads[w]->name);
        if (!found) {
            fprintf(stderr, "ml-bench: unknown workload '%s' (see --list)\n", names[k]);
            return 2;
        }
    }
    int failed = 0;
    for (int w = 0; w < N_WORKLOADS; w++) {
        int chosen = nnames == 0;
        for (int k = 0; k < nnames; k++)
            chosen |= !strcmp(names[k], workloads[w]->name);
        if (chosen)
            failed |= bench_run(workloads[w], threads, runs) != 0;
    }
    return failed;
}
