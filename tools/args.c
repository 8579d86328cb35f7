/* Option parsing for the tool.  Every failure is reported as one line on
 * stderr so scripts can show it as is. */
#include "args.h"

#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const arg_opt *find_opt(const arg_opt *const *tables, const char *name,
                               size_t len)
{
    for (size_t t = 0; tables[t]; t++)
        for (const arg_opt *o = tables[t]; o->name; o++)
            if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
                return o;
    return NULL;
}

/* strtoull accepts leading spaces and a minus sign (wrapping around);
 * neither is a sensible count, so only plain digits are taken. */
static int parse_u64(const char *s, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

static int parse_double(const char *s, double *out)
{
    if (!*s || *s == ' ' || *s == '\t')
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || !isfinite(v) || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

int args_parse_steps(const char *text, arg_steps *out, const char **why)
{
    arg_steps s = {0, {0}};
    const char *p = text;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[24];
        uint64_t v;
        if (len == 0 || len >= sizeof item) {
            *why = "expected comma-separated whole numbers such as 1,5,10";
            return -1;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        if (parse_u64(item, &v) != 0 || v > ARG_STEPS_LIMIT) {
            *why = "each step count must be a whole number from 0 to 100000";
            return -1;
        }
        if (s.n == ARG_STEPS_MAX) {
            *why = "at most 32 step counts";
            return -1;
        }
        s.v[s.n++] = (int)v;
        if (!comma)
            break;
        p = comma + 1;
    }
    *out = s;
    return 0;
}

static int set_value(const char *cmd, const arg_opt *o, const char *val)
{
    switch (o->type) {
    case ARG_U64: {
        uint64_t v;
        if (parse_u64(val, &v) != 0)
            return cli_usage_error("%s: --%s: '%s' is not a whole number", cmd, o->name,
                                   val);
        if (v < o->ulo || v > o->uhi)
            return cli_usage_error("%s: --%s: %s is out of range [%llu, %llu]", cmd,
                                   o->name, val, (unsigned long long)o->ulo,
                                   (unsigned long long)o->uhi);
        *(uint64_t *)o->dest = v;
        break;
    }
    case ARG_DOUBLE: {
        double v;
        if (parse_double(val, &v) != 0)
            return cli_usage_error("%s: --%s: '%s' is not a finite number", cmd, o->name,
                                   val);
        if ((o->open_lo ? v <= o->dlo : v < o->dlo) || v > o->dhi)
            return cli_usage_error("%s: --%s: %s is out of range %c%g, %g]", cmd, o->name,
                                   val, o->open_lo ? '(' : '[', o->dlo, o->dhi);
        *(double *)o->dest = v;
        break;
    }
    case ARG_STRING:
        if (!*val)
            return cli_usage_error("%s: --%s: empty value", cmd, o->name);
        *(const char **)o->dest = val;
        break;
    case ARG_STEPS: {
        const char *why;
        if (args_parse_steps(val, o->dest, &why) != 0)
            return cli_usage_error("%s: --%s: '%s': %s", cmd, o->name, val, why);
        break;
    }
    case ARG_FLAG:
        *(int *)o->dest = 1;
        break;
    }
    if (o->given)
        *o->given = 1;
    return ARGS_OK;
}

int args_parse(const char *cmd, int argc, char **argv, const arg_opt *const *tables,
               const char **pos, int max_pos, int *n_pos)
{
    int np = 0, options_done = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (options_done || a[0] != '-' || strcmp(a, "-") == 0) {
            if (np == max_pos)
                return cli_usage_error("%s: unexpected argument '%s'", cmd, a);
            pos[np++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_done = 1;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return ARGS_HELP;
        if (a[1] != '-')
            return cli_usage_error("%s: unknown option '%s' (try '" PROG " help %s')",
                                   cmd, a, cmd);
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const arg_opt *o = find_opt(tables, name, len);
        if (!o)
            return cli_usage_error("%s: unknown option '--%.*s' (try '" PROG " help %s')",
                                   cmd, (int)len, name, cmd);
        const char *val = NULL;
        if (o->type == ARG_FLAG) {
            if (eq)
                return cli_usage_error("%s: option --%s takes no value", cmd, o->name);
        } else if (eq) {
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            return cli_usage_error("%s: option --%s needs a value", cmd, o->name);
        }
        int rc = set_value(cmd, o, val);
        if (rc != ARGS_OK)
            return rc;
    }
    *n_pos = np;
    return ARGS_OK;
}
