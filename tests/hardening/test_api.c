/* Every public function against bad arguments, from the table of
 * api_cases.c, one Check test per row.  A row must give its documented
 * result; when that is an error status, the call must also
 *   - store a new message for the thread, and the same one in the handle,
 *   - hand out no object through its out pointers,
 *   - change nothing: the learner's parameters and iteration count, the
 *     model's layers and the optimiser's parameter buffer stay as they were,
 * and the function's valid call must still succeed on the same handles.
 * Every row then proves its handle usable (a meta-step, a draw, a step...).
 *
 * A second test reads metalearn.h (its path is the first argument) and
 * fails if an ML_API function has no row, so a new function cannot be
 * added without its hardening cases. */
#include "api_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *header_path;

static const hd_case *baseline_of(const char *fn)
{
    for (size_t i = 0; i < hd_n_cases; i++)
        if (hd_cases[i].mut[0].kind == M_NONE && strcmp(hd_cases[i].fn, fn) == 0)
            return &hd_cases[i];
    return NULL;
}

static const char *handle_error(hd_fix *f)
{
    switch (f->hkind) {
    case HK_MODEL: return ml_model_last_error(f->handle);
    case HK_SAMPLER: return ml_sampler_last_error(f->handle);
    case HK_DATASET: return ml_dataset_last_error(f->handle);
    case HK_OPTIMIZER: return ml_optimizer_last_error(f->handle);
    case HK_LEARNER: return ml_learner_last_error(f->handle);
    default: return NULL;
    }
}

static int outs_empty(const hd_fix *f)
{
    return !f->o_model && !f->o_task && !f->o_sampler && !f->o_dataset &&
           !f->o_dataset2 && !f->o_opt && !f->o_learner;
}

START_TEST(test_row)
{
    const hd_case *c = &hd_cases[_i];
    const hd_case *base = baseline_of(c->fn);
    ck_assert_msg(base != NULL, "%s has no row without mutation", c->fn);
    hd_fix *f = hd_fix_new();

    float *params0 = hd_params(f->learner), pbuf0[HD_FLOATS];
    memcpy(pbuf0, f->pbuf, sizeof pbuf0);
    double iter0 = -1, iter1 = -2;
    ck_assert_int_eq(ml_learner_get(f->learner, ML_LEARNER_ITERATION, &iter0), ML_OK);
    size_t layers0 = ml_model_num_layers(f->model);
    prime_error();

    long got = c->call(f, c);
    ck_assert_msg(got == c->want, "%s (row %d): got %ld (%s), want %ld", c->fn, _i, got,
                  got < 0 ? ml_last_error() : "", c->want);

    if (c->want < 0) {
        const char *msg = ml_last_error(), *hmsg = handle_error(f);
        /* (prime_error() leaves a message no row provokes.) */
        ck_assert_msg(fresh_error(), "%s (row %d): no new message", c->fn, _i);
        ck_assert_msg(!hmsg || strcmp(hmsg, msg) == 0,
                      "%s (row %d): the handle's message is \"%s\", the thread's \"%s\"",
                      c->fn, _i, hmsg, msg);
        ck_assert_msg(outs_empty(f), "%s (row %d): an object was handed out on failure",
                      c->fn, _i);
        float *params1 = hd_params(f->learner);
        ck_assert_int_eq(ml_learner_get(f->learner, ML_LEARNER_ITERATION, &iter1), ML_OK);
        ck_assert_msg(memcmp(params0, params1, 25 * sizeof(float)) == 0 && iter0 == iter1,
                      "%s (row %d): the learner changed", c->fn, _i);
        free(params1);
        ck_assert_msg(ml_model_num_layers(f->model) == layers0,
                      "%s (row %d): the model changed", c->fn, _i);
        ck_assert_msg(memcmp(pbuf0, f->pbuf, sizeof pbuf0) == 0,
                      "%s (row %d): the parameter buffer changed", c->fn, _i);
        /* The same handles still take the valid call. */
        hd_hkind kind = f->hkind;
        void *handle = f->handle;
        long again = base->call(f, base);
        ck_assert_msg(again == base->want, "%s (row %d): the valid call after it gave %ld (%s)",
                      c->fn, _i, again, again < 0 ? ml_last_error() : "");
        if (kind != HK_NONE) {
            f->hkind = kind;
            f->handle = handle;
        }
    }
    hd_fix_release_outs(f);
    hd_fix_probe(f);
    free(params0);
    hd_fix_free(f);
}
END_TEST

/* The names of the functions metalearn.h declares: from "ML_API" on a line
 * that is no comment or directive (it may follow a deprecation mark) up to
 * the first '(' (declarations may span lines). */
static size_t header_names(char names[][64], size_t cap)
{
    FILE *fp = fopen(header_path, "r");
    ck_assert_msg(fp != NULL, "cannot open %s", header_path);
    char line[1024], decl[4096] = "";
    size_t n = 0;
    int in_decl = 0;
    while (fgets(line, sizeof line, fp)) {
        const char *from = line + strspn(line, " \t");
        if (!in_decl) {
            if (*from == '#' || *from == '*' || *from == '/' || !(from = strstr(from, "ML_API ")))
                continue;
            decl[0] = '\0';
        }
        in_decl = 1;
        strncat(decl, from, sizeof decl - strlen(decl) - 1);
        char *paren = strchr(decl, '(');
        if (!paren)
            continue;
        in_decl = 0;
        char *end = paren;
        while (end > decl && end[-1] == ' ')
            end--;
        char *start = end;
        while (start > decl && (start[-1] == '_' || (start[-1] >= 'a' && start[-1] <= 'z') ||
                                (start[-1] >= '0' && start[-1] <= '9')))
            start--;
        ck_assert_msg(n < cap && end - start > 0 && end - start < 64,
                      "cannot read the declaration: %s", decl);
        memcpy(names[n], start, (size_t)(end - start));
        names[n][end - start] = '\0';
        n++;
    }
    fclose(fp);
    return n;
}

START_TEST(test_every_function_has_cases)
{
    static char names[512][64];
    size_t n = header_names(names, 512);
    ck_assert_msg(n >= 70, "only %zu ML_API functions found in %s", n, header_path);
    char missing[4096] = "";
    for (size_t i = 0; i < n; i++)
        if (!baseline_of(names[i]) && strlen(missing) + strlen(names[i]) + 2 < sizeof missing) {
            strcat(missing, " ");
            strcat(missing, names[i]);
        }
    ck_assert_msg(missing[0] == '\0', "public functions without hardening cases:%s", missing);
    /* And no row names a function the header does not have. */
    for (size_t k = 0; k < hd_n_cases; k++) {
        int found = 0;
        for (size_t i = 0; i < n && !found; i++)
            found = strcmp(hd_cases[k].fn, names[i]) == 0;
        ck_assert_msg(found, "row %zu names %s, which metalearn.h does not declare", k,
                      hd_cases[k].fn);
    }
}
END_TEST

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s path/to/metalearn.h\n", argv[0]);
        return 2;
    }
    header_path = argv[1];
    Suite *s = suite_create("hardening_api");
    TCase *tc = tcase_create("rows");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, hd_files_make, hd_files_remove);
    tcase_add_loop_test(tc, test_row, 0, (int)hd_n_cases);
    suite_add_tcase(s, tc);
    TCase *cov = tcase_create("coverage");
    tcase_add_test(cov, test_every_function_has_cases);
    suite_add_tcase(s, cov);
    return hd_run(s);
}
