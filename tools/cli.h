/* Shared pieces of the metalearn command-line tool: exit statuses, error
 * reporting, strategy names, clocks. */
#ifndef METALEARN_TOOL_CLI_H
#define METALEARN_TOOL_CLI_H

#include <metalearn.h>

#include <stdint.h>
#include <stdio.h>

/* Exit statuses: scripts tell a bad command line (2) from a run that
 * failed (1) without parsing messages. */
enum {
    EXIT_OK = 0,
    EXIT_LIB = 1,
    EXIT_USAGE = 2,
    EXIT_INTERRUPTED = 130
};

#define PROG "metalearn"

#if defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

/* "metalearn: error: ..." on one line; returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) CLI_PRINTF(1, 2);

/* "metalearn: <library message>"; prefers the learner's own message (it
 * is per handle, so never another call's) and falls back to the thread's
 * last error.  Returns EXIT_LIB. */
int cli_lib_error(const ml_learner *learner);

/* "metalearn: <message>" for failures that are not the library's (cannot
 * write the SVG...).  Returns EXIT_LIB. */
int cli_fail(const char *fmt, ...) CLI_PRINTF(1, 2);

/* Strategy names on the command line and in files' descriptions. */
const char *cli_strategy_name(int strategy);
/* 0 if the name is unknown. */
int cli_strategy_parse(const char *name);
/* "maml|fomaml|..." for usage and error lines. */
const char *cli_strategy_list(void);
/* 1 for the metric strategies (protonet, siamese, relation, matching):
 * the model is an embedding, adaptation embeds the support set, no inner
 * loop. */
int cli_strategy_is_metric(int strategy);

/* Monotonic seconds, for rates and durations. */
double cli_now(void);

/* The sampler seed of one training iteration.  Tasks depend only on the
 * run's seed and the iteration number, so a resumed run draws exactly the
 * tasks the uninterrupted run would have drawn, whatever the meta-batch
 * of earlier runs.  Hashed, not seed + iteration: the library seeds with
 * splitmix64, whose consecutive seeds give overlapping streams, and runs
 * with seeds 1 and 2 must not share their tasks one iteration apart. */
uint64_t cli_task_seed(uint64_t seed, uint64_t iteration);

/* A loss or error for people: four decimals, or an exponent when a
 * diverging run makes it huge.  Writes into buf (32 bytes) and returns it. */
const char *cli_num(char buf[32], double v);

/* Size of a file in bytes, -1 if it cannot be stat'ed. */
long long cli_file_size(const char *path);

#endif
