/* The problem families of the learned optimiser on the command line
 * (--task quadratic[:DIM], fashion-mlp[:DIR]), and how the learner
 * commands recognise words meant for it. */
#include "lstm_cli.h"

#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const QUADRATIC = "quadratic", *const FASHION = "fashion-mlp";

/* 1 if spec is `name` or starts with "name:". */
static int is_kind(const char *spec, const char *name)
{
    size_t n = strlen(name);
    return strncmp(spec, name, n) == 0 && (spec[n] == '\0' || spec[n] == ':');
}

int family_named(const char *spec)
{
    return is_kind(spec, QUADRATIC) || is_kind(spec, FASHION);
}

int family_parse(family_spec *f, const char *spec, const char *cmd)
{
    memset(f, 0, sizeof *f);
    f->spec = spec;
    const char *colon = strchr(spec, ':'), *arg = colon ? colon + 1 : NULL;
    if (is_kind(spec, QUADRATIC)) {
        f->kind = FAMILY_QUADRATIC;
        f->dim = QUADRATIC_DEFAULT_DIM;
        if (arg) {
            char *end;
            errno = 0;
            unsigned long long d = strtoull(arg, &end, 10);
            if (*arg < '0' || *arg > '9' || *end || errno || d < 1 || d > 4096)
                return cli_usage_error("%s: --task quadratic:DIM: '%s' is not a dimension "
                                       "from 1 to 4096", cmd, arg);
            f->dim = (size_t)d;
        }
        return EXIT_OK;
    }
    if (is_kind(spec, FASHION)) {
        f->kind = FAMILY_FASHION_MLP;
        const char *dir = arg ? arg : FASHION_DEFAULT_DIR;
        if (!*dir || strlen(dir) >= sizeof f->dir)
            return cli_usage_error("%s: --task fashion-mlp:DIR: bad directory", cmd);
        strcpy(f->dir, dir);
        return EXIT_OK;
    }
    return cli_usage_error("%s: --task: '%s' is not a problem family of the learned "
                           "optimizer (known: quadratic[:DIM], fashion-mlp[:DIR])", cmd, spec);
}

/* DIR/NAME.gz, else DIR/NAME (the package ships the files compressed;
 * the loader reads both). */
static int idx_path(const char *dir, const char *name, char *out, size_t cap)
{
    struct stat st;
    snprintf(out, cap, "%s/%s.gz", dir, name);
    if (stat(out, &st) == 0)
        return 0;
    snprintf(out, cap, "%s/%s", dir, name);
    return stat(out, &st) == 0 ? 0 : -1;
}

static int load_fashion(const family_spec *f, family_split split, ml_problems **out)
{
    const char *prefix = split == FAMILY_TEST_SET ? "t10k" : "train";
    char names[2][32], paths[2][640];
    snprintf(names[0], sizeof names[0], "%s-images-idx3-ubyte", prefix);
    snprintf(names[1], sizeof names[1], "%s-labels-idx1-ubyte", prefix);
    for (int i = 0; i < 2; i++)
        if (idx_path(f->dir, names[i], paths[i], sizeof paths[i]) != 0)
            return cli_fail("fashion-mlp: no %s/%s(.gz): Fashion-MNIST is not there (apt-get "
                            "install dataset-fashion-mnist, or give fashion-mlp:DIR)",
                            f->dir, names[i]);
    ml_dataset *ds;
    if (ml_dataset_load_idx(&ds, paths[0], paths[1]) != ML_OK)
        return cli_lib_error(NULL);
    ml_status st = ml_problems_create_mlp(out, ds, FASHION_HIDDEN, FASHION_BATCH);
    /* The family keeps its own reference to the examples. */
    ml_dataset_free(ds);
    return st == ML_OK ? EXIT_OK : cli_lib_error(NULL);
}

int family_create(const family_spec *f, family_split split, ml_problems **out)
{
    *out = NULL;
    if (f->kind == FAMILY_FASHION_MLP)
        return load_fashion(f, split, out);
    return ml_problems_create_quadratic(out, f->dim) == ML_OK ? EXIT_OK
                                                              : cli_lib_error(NULL);
}

void family_describe(const family_spec *f, const ml_problems *p, family_split split,
                     char *buf, size_t cap)
{
    if (f->kind == FAMILY_QUADRATIC)
        snprintf(buf, cap, "quadratic (%zu-d ||W theta - y||^2)", f->dim);
    else
        snprintf(buf, cap, "fashion-mlp (MLP with %d sigmoid units, batches of %d, on the "
                 "%s images of %s; %zu parameters)", FASHION_HIDDEN, FASHION_BATCH,
                 split == FAMILY_TEST_SET ? "10,000 test" : "60,000 training", f->dir,
                 ml_problems_dim(p));
}

int cli_file_object_kind(const char *path)
{
    unsigned char h[12];
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(h, 1, sizeof h, f);
    fclose(f);
    /* docs/file-format.md: magic "MLRN", two u16 versions, u32 kind (LE). */
    if (n != sizeof h || memcmp(h, "MLRN", 4) != 0)
        return 0;
    return (int)((uint32_t)h[8] | (uint32_t)h[9] << 8 | (uint32_t)h[10] << 16 |
                 (uint32_t)h[11] << 24);
}

/* The value of --NAME at argv[*i] ("--NAME V" or "--NAME=V"), else NULL. */
static const char *option_value(int argc, char **argv, int i, const char *name)
{
    const char *a = argv[i];
    size_t n = strlen(name);
    if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0)
        return NULL;
    if (a[2 + n] == '=')
        return a + 3 + n;
    if (a[2 + n] == '\0' && i + 1 < argc)
        return argv[i + 1];
    return NULL;
}

int lstm_cli_applies(int argc, char **argv, int check_files)
{
    int options_done = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && strcmp(a, "--") == 0) {
            options_done = 1;
            continue;
        }
        if (!options_done && a[0] == '-') {
            const char *task = option_value(argc, argv, i, "task");
            const char *strategy = option_value(argc, argv, i, "strategy");
            if ((task && family_named(task)) ||
                (strategy && strcmp(strategy, LSTM_STRATEGY) == 0))
                return 1;
            continue;
        }
        if (check_files && cli_file_object_kind(a) == 2)
            return 1;
    }
    return 0;
}

const char *opt_kind_name(int kind)
{
    switch (kind) {
    case ML_OPTIMIZER_SGD: return "sgd";
    case ML_OPTIMIZER_ADAM: return "adam";
    case ML_OPTIMIZER_RMSPROP: return "rmsprop";
    case ML_OPTIMIZER_LSTM: return LSTM_STRATEGY;
    default: return "unknown";
    }
}
