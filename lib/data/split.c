/* Splitting a data set's classes in two by a named rule.  Each side is a
 * new storage holding copies of its examples: simple, and a split is done
 * once per experiment. */
#include "data/dataset.h"

#include "core/alloc.h"
#include "core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Marks the classes named (or whose group is named) in the comma-separated
 * spec.  Blanks around each name are ignored; an empty name or a name that
 * matches nothing is an error. */
static ml_status pick_by_names(const ml_data *d, int by_group, const char *spec,
                               unsigned char *pick)
{
    char **field = by_group ? d->groups : d->names;
    const char *what = by_group ? "group" : "class";
    const char *p = spec;
    for (;;) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && is_space(*a))
            a++;
        while (b > a && is_space(b[-1]))
            b--;
        size_t len = (size_t)(b - a);
        if (len == 0)
            return ml_error(NULL, ML_ERR_INVALID_ARG,
                            "split: empty %s name in \"%.100s\"", what, spec);
        int found = 0;
        for (size_t c = 0; c < d->n_classes; c++)
            if (strlen(field[c]) == len && memcmp(field[c], a, len) == 0) {
                pick[c] = 1;
                found = 1;
            }
        if (!found)
            return ml_error(NULL, ML_ERR_INVALID_ARG, "split: no %s named \"%.*s\"", what,
                            (int)(len > 100 ? 100 : len), a);
        if (!*end)
            return ML_OK;
        p = end + 1;
    }
}

/* Marks round(fraction * classes) classes: the first ones of the sorted
 * class list shuffled by a generator seeded with `seed`. */
static ml_status pick_fraction(const ml_data *d, const char *spec, uint64_t seed,
                               unsigned char *pick)
{
    /* strtod follows LC_NUMERIC; programs keep the "C" locale unless they
     * change it, and a spec it cannot read whole is refused, not misread. */
    char *end;
    double f = strtod(spec, &end);
    while (is_space(*end))
        end++;
    if (end == spec || *end || !isfinite(f) || !(f > 0.0 && f < 1.0))
        return ml_error(NULL, ML_ERR_INVALID_ARG,
                        "split: fraction \"%.100s\" is not a number in (0, 1)", spec);
    int n = (int)d->n_classes;
    int *perm = ml_malloc((size_t)n * sizeof *perm);
    if (!perm)
        return ml_error(NULL, ML_ERR_NOMEM, "split: out of memory");
    for (int c = 0; c < n; c++)
        perm[c] = c;
    ml_rng rng;
    ml_rng_seed(&rng, seed);
    ml_rng_shuffle(&rng, perm, n);
    size_t k = (size_t)floor(f * (double)n + 0.5);
    for (size_t i = 0; i < k; i++)
        pick[perm[i]] = 1;
    ml_free(perm);
    return ML_OK;
}

/* A new storage with the classes where pick[c] == want, in their order,
 * and their examples in their order. */
static ml_status subset(const ml_data *d, const unsigned char *pick, int want,
                        ml_data **out)
{
    size_t k = 0, n = 0;
    for (size_t c = 0; c < d->n_classes; c++)
        if (pick[c] == want) {
            k++;
            n += d->class_start[c + 1] - d->class_start[c];
        }
    ml_data *s;
    ml_status st = ml_data_new(&s, n, d->ndim, d->shape, k);
    if (st != ML_OK)
        return st;
    /* New class indices, in the old order; -1 for classes left out. */
    int *map = ml_malloc(d->n_classes * sizeof *map);
    if (!map) {
        ml_data_unref(s);
        return ml_error(NULL, ML_ERR_NOMEM, "split: out of memory");
    }
    size_t j = 0;
    for (size_t c = 0; c < d->n_classes; c++) {
        map[c] = pick[c] == want ? (int)j : -1;
        if (map[c] < 0)
            continue;
        s->names[j] = ml_data_strdup(d->names[c]);
        s->groups[j] = ml_data_strdup(d->groups[c]);
        if (!s->names[j] || !s->groups[j])
            st = ml_error(NULL, ML_ERR_NOMEM, "split: out of memory");
        j++;
    }
    size_t row = d->input_size, i = 0;
    for (size_t e = 0; st == ML_OK && e < d->n; e++) {
        int c = map[d->labels[e]];
        if (c < 0)
            continue;
        memcpy(s->x + i * row, d->x + e * row, row * sizeof(float));
        s->labels[i++] = c;
    }
    ml_free(map);
    if (st == ML_OK)
        st = ml_data_index(s);
    if (st != ML_OK) {
        ml_data_unref(s);
        return st;
    }
    *out = s;
    return ML_OK;
}

ml_status ml_data_split(const ml_data *d, ml_split_rule rule, const char *spec,
                        uint64_t seed, ml_data **out_selected, ml_data **out_rest)
{
    if (rule != ML_SPLIT_GROUPS && rule != ML_SPLIT_CLASSES && rule != ML_SPLIT_FRACTION)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "split: unknown rule %d", (int)rule);
    unsigned char *pick = ml_calloc(d->n_classes, 1);
    if (!pick)
        return ml_error(NULL, ML_ERR_NOMEM, "split: out of memory");
    ml_status st = rule == ML_SPLIT_FRACTION
                       ? pick_fraction(d, spec, seed, pick)
                       : pick_by_names(d, rule == ML_SPLIT_GROUPS, spec, pick);
    size_t k = 0;
    for (size_t c = 0; c < d->n_classes; c++)
        k += pick[c];
    if (st == ML_OK && out_selected && k == 0)
        st = ml_error(NULL, ML_ERR_INVALID_ARG,
                      "split: \"%.100s\" selects none of the %zu classes", spec, d->n_classes);
    if (st == ML_OK && out_rest && k == d->n_classes)
        st = ml_error(NULL, ML_ERR_INVALID_ARG,
                      "split: \"%.100s\" selects all %zu classes, none is left", spec,
                      d->n_classes);
    ml_data *sel = NULL, *rest = NULL;
    if (st == ML_OK && out_selected)
        st = subset(d, pick, 1, &sel);
    if (st == ML_OK && out_rest)
        st = subset(d, pick, 0, &rest);
    ml_free(pick);
    if (st != ML_OK) {
        ml_data_unref(sel);
        ml_data_unref(rest);
        return st;
    }
    if (out_selected)
        *out_selected = sel;
    if (out_rest)
        *out_rest = rest;
    return ML_OK;
}
