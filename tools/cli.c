/* Shared helpers of the command-line tool. */
#include "cli.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(PROG ": error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_USAGE;
}

int cli_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(PROG ": ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_LIB;
}

int cli_lib_error(const ml_learner *learner)
{
    const char *msg = learner ? ml_learner_last_error(learner) : "";
    if (!msg[0])
        msg = ml_last_error();
    if (!msg[0])
        msg = "unknown library error";
    fprintf(stderr, PROG ": %s\n", msg);
    return EXIT_LIB;
}

static const struct {
    const char *name;
    int strategy;
} strategies[] = {
    {"maml", ML_STRATEGY_MAML},
    {"fomaml", ML_STRATEGY_FOMAML},
    {"reptile", ML_STRATEGY_REPTILE},
    {"metasgd", ML_STRATEGY_METASGD},
    {"joint", ML_STRATEGY_JOINT},
    {"lstm", ML_STRATEGY_LSTM},
    {"protonet", ML_STRATEGY_PROTONET},
    {"siamese", ML_STRATEGY_SIAMESE},
    {"relation", ML_STRATEGY_RELATION},
    {"matching", ML_STRATEGY_MATCHING},
};

const char *cli_strategy_name(int strategy)
{
    for (size_t i = 0; i < sizeof strategies / sizeof strategies[0]; i++)
        if (strategies[i].strategy == strategy)
            return strategies[i].name;
    return "unknown";
}

int cli_strategy_parse(const char *name)
{
    for (size_t i = 0; i < sizeof strategies / sizeof strategies[0]; i++)
        if (strcmp(strategies[i].name, name) == 0)
            return strategies[i].strategy;
    return 0;
}

const char *cli_strategy_list(void)
{
    return "maml, fomaml, reptile, metasgd, joint, protonet, siamese, relation, matching";
}

int cli_strategy_is_metric(int strategy)
{
    return strategy == ML_STRATEGY_PROTONET || strategy == ML_STRATEGY_SIAMESE ||
           strategy == ML_STRATEGY_RELATION || strategy == ML_STRATEGY_MATCHING;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The 64-bit finaliser of MurmurHash3: a bijection that spreads every
 * input bit over the output. */
static uint64_t fmix64(uint64_t z)
{
    z ^= z >> 33;
    z *= 0xff51afd7ed558ccdULL;
    z ^= z >> 33;
    z *= 0xc4ceb9fe1a85ec53ULL;
    z ^= z >> 33;
    return z;
}

uint64_t cli_task_seed(uint64_t seed, uint64_t iteration)
{
    return fmix64(fmix64(seed) + iteration);
}

const char *cli_num(char buf[32], double v)
{
    snprintf(buf, 32, isfinite(v) && fabs(v) >= 1e4 ? "%.4g" : "%.4f", v);
    return buf;
}

long long cli_file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (long long)st.st_size;
}
