#ifndef ML_BENCH_H
#define ML_BENCH_H

/* One workload: setup builds its state, run does one timed unit of work
 * (a meta-iteration, an episode), teardown frees. */
typedef struct bench_workload {
    const char *name;
    const char *what;        /* one line: what one run is */
    int default_runs;
    void *(*setup)(int threads);
    int (*run)(void *state); /* 0 on success */
    void (*teardown)(void *state);
} bench_workload;

/* Times `runs` runs after a warm-up and prints the JSON line; 0 on success. */
int bench_run(const bench_workload *w, int threads, int runs);
double bench_now(void);

extern const bench_workload bench_maml_sine, bench_fomaml_sine, bench_metasgd_sine,
    bench_reptile_sine, bench_protonet_conv4, bench_maml_conv4, bench_lstm_quadratic;

#endif
