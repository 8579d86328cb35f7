/* metalearn: the command-line front end of libmetalearn.  This file only
 * dispatches to the subcommands (cmd_*.c). */
#include "commands.h"

#include "cli.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
    const char *summary;
} command;

static const command commands[] = {
    {"train", cmd_train, usage_train, "meta-train a learner or a learned optimizer, save it"},
    {"eval", cmd_eval, usage_eval,
     "evaluate a saved learner or optimizer on fresh tasks, next to baselines"},
    {"plot", cmd_plot, usage_plot,
     "draw a saved learner adapting to a few tasks, or an optimizer's losses (SVG)"},
    {"info", cmd_info, usage_info, "show what a saved learner or optimizer file holds"},
    {"demo", cmd_demo, usage_demo,
     "train, evaluate and plot MAML on sine waves (the paper's setup)"},
};
enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

static const command *find_command(const char *name)
{
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

const char *usage_of(const char *cmd)
{
    const command *c = find_command(cmd);
    return c ? c->usage : NULL;
}

static void print_usage(void)
{
    printf("usage: " PROG " COMMAND [options]\n"
           "\n"
           "Meta-learning from the command line (libmetalearn %s).\n"
           "\n"
           "commands:\n",
           ml_version_string());
    for (int i = 0; i < N_COMMANDS; i++)
        printf("  %-16s %s\n", commands[i].name, commands[i].summary);
    printf("  %-16s %s\n", "help [COMMAND]", "this text, or the options of COMMAND");
    printf("\n"
           "options:\n"
           "  --help           this text\n"
           "  --version        the library's version\n"
           "\n"
           "Exit status: 0 success, 1 a failure reported by the library (a damaged\n"
           "file, a diverged run...), 2 a bad command line, 130 interrupted.\n"
           "OpenBLAS runs single-threaded (faster on these small networks; --threads\n"
           "sets the tool's parallelism) unless OPENBLAS_NUM_THREADS is set.\n"
           "Examples: " PROG " train --strategy maml --iterations 70000 --out maml.mlrn\n"
           "          " PROG " train --task omniglot:DIR --strategy protonet --out pn.mlrn\n");
}

static int help(int argc, char **argv)
{
    if (argc == 0) {
        print_usage();
        return EXIT_OK;
    }
    if (argc > 1)
        return cli_usage_error("help: unexpected argument '%s'", argv[1]);
    if (!usage_of(argv[0]))
        return cli_usage_error("help: unknown command '%s' (try '" PROG " --help')",
                               argv[0]);
    /* The text of COMMAND --help, which may add to its usage string. */
    char *words[] = {"--help", NULL};
    return find_command(argv[0])->run(1, words);
}

/* OpenBLAS starts a thread pool of its own.  On the small matrices of
 * these networks its threads cost more than they give, and next to the
 * library's worker threads (--threads) they oversubscribe the cores: MAML
 * on Omniglot ran 4 times slower with both.  So the tool asks OpenBLAS, if
 * that is the BLAS, for one thread, unless the user chose a number. */
static void single_threaded_blas(void)
{
    if (getenv("OPENBLAS_NUM_THREADS") || getenv("OMP_NUM_THREADS"))
        return;
    void *self = dlopen(NULL, RTLD_NOW);
    if (!self)
        return;
    void (*set_threads)(int);
    *(void **)&set_threads = dlsym(self, "openblas_set_num_threads");
    if (set_threads)
        set_threads(1);
    dlclose(self);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("no command given (try '" PROG " --help')");
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        return help(0, NULL);
    if (strcmp(name, "help") == 0)
        return help(argc - 2, argv + 2);
    if (strcmp(name, "--version") == 0) {
        printf(PROG " %s\n", ml_version_string());
        return EXIT_OK;
    }
    if (name[0] == '-')
        return cli_usage_error("unknown option '%s' (try '" PROG " --help')", name);
    const command *c = find_command(name);
    if (!c)
        return cli_usage_error("unknown command '%s' (try '" PROG " --help')", name);
    single_threaded_blas();
    return c->run(argc - 2, argv + 2);
}
