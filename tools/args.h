/* Table-driven parsing of "--name value" / "--name=value" options.
 * Commands describe their options as arrays of arg_opt (several arrays can
 * be combined, so the task options are declared once and shared). */
#ifndef METALEARN_TOOL_ARGS_H
#define METALEARN_TOOL_ARGS_H

#include <stddef.h>
#include <stdint.h>

typedef enum arg_type {
    ARG_FLAG,    /* int set to 1, takes no value */
    ARG_U64,     /* uint64_t, whole number in [ulo, uhi] */
    ARG_DOUBLE,  /* double, finite, in [dlo, dhi] (or (dlo, dhi] with open_lo) */
    ARG_STRING,  /* const char *, points into argv */
    ARG_STEPS    /* arg_steps: comma-separated whole numbers */
} arg_type;

enum { ARG_STEPS_MAX = 32, ARG_STEPS_LIMIT = 100000 };

typedef struct arg_steps {
    int n;
    int v[ARG_STEPS_MAX];
} arg_steps;

typedef struct arg_opt {
    const char *name;   /* without the leading "--"; NULL ends a table */
    arg_type type;
    void *dest;
    int *given;         /* set to 1 when the option appears; may be NULL */
    uint64_t ulo, uhi;
    double dlo, dhi;
    int open_lo;
} arg_opt;

/* Results of args_parse() besides an exit status. */
enum { ARGS_OK = 0, ARGS_HELP = -1 };

/* Parses argv[0..argc-1] (the words after the command name).  Options
 * come from the NULL-terminated list of tables; other words are stored in
 * pos[] (at most max_pos, the count in *n_pos).  "--" ends the options.
 * Returns ARGS_OK, ARGS_HELP for -h/--help, or EXIT_USAGE after printing
 * one error line naming `cmd`. */
int args_parse(const char *cmd, int argc, char **argv, const arg_opt *const *tables,
               const char **pos, int max_pos, int *n_pos);

/* Parses "1,5,10" into *out; 0 on success, -1 with a reason in why. */
int args_parse_steps(const char *text, arg_steps *out, const char **why);

#endif
