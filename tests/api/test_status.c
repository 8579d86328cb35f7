/* Status codes, their names, the version functions and the per-thread
 * last-error message: the parts of the public API that exist from 0.1. */
#include "metalearn.h"

#include <check.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CODE(c) { c, #c }

/* Every status code with its pinned value, in the header's order. */
static const struct {
    int code;
    const char *name;
} codes[] = {
    CODE(ML_OK),
    CODE(ML_ERR_INVALID_ARG),
    CODE(ML_ERR_NOMEM),
    CODE(ML_ERR_SHAPE),
    CODE(ML_ERR_STATE),
    CODE(ML_ERR_IO),
    CODE(ML_ERR_FORMAT),
    CODE(ML_ERR_CORRUPT),
    CODE(ML_ERR_VERSION),
    CODE(ML_ERR_UNSUPPORTED),
    CODE(ML_ERR_NUMERIC),
    CODE(ML_ERR_RANGE),
    CODE(ML_ERR_INTERNAL),
    CODE(ML_ERR_CALLBACK),
};
#define NCODES (sizeof codes / sizeof codes[0])

START_TEST(test_codes_pinned)
{
    /* The values are part of the ABI: never renumbered. */
    ck_assert_int_eq(ML_OK, 0);
    ck_assert_int_eq(ML_ERR_INVALID_ARG, -1);
    ck_assert_int_eq(ML_ERR_NOMEM, -2);
    ck_assert_int_eq(ML_ERR_SHAPE, -3);
    ck_assert_int_eq(ML_ERR_STATE, -4);
    ck_assert_int_eq(ML_ERR_IO, -5);
    ck_assert_int_eq(ML_ERR_FORMAT, -6);
    ck_assert_int_eq(ML_ERR_CORRUPT, -7);
    ck_assert_int_eq(ML_ERR_VERSION, -8);
    ck_assert_int_eq(ML_ERR_UNSUPPORTED, -9);
    ck_assert_int_eq(ML_ERR_NUMERIC, -10);
    ck_assert_int_eq(ML_ERR_RANGE, -11);
    ck_assert_int_eq(ML_ERR_INTERNAL, -12);
    ck_assert_int_eq(ML_ERR_CALLBACK, -13);
    for (size_t i = 0; i < NCODES; i++)
        ck_assert_int_eq(codes[i].code, -(int)i);
}
END_TEST

START_TEST(test_status_str_names)
{
    for (size_t i = 0; i < NCODES; i++) {
        const char *s = ml_status_str(codes[i].code);
        size_t n = strlen(codes[i].name);
        ck_assert_ptr_nonnull(s);
        /* "NAME: meaning" */
        ck_assert_msg(strncmp(s, codes[i].name, n) == 0 && s[n] == ':' &&
                          s[n + 1] == ' ' && s[n + 2] != '\0',
                      "ml_status_str(%d) = \"%s\", want \"%s: ...\"",
                      codes[i].code, s, codes[i].name);
    }
}
END_TEST

START_TEST(test_status_str_distinct)
{
    for (size_t i = 0; i < NCODES; i++)
        for (size_t j = i + 1; j < NCODES; j++)
            ck_assert_str_ne(ml_status_str(codes[i].code),
                             ml_status_str(codes[j].code));
}
END_TEST

START_TEST(test_status_str_unknown)
{
    static const int unknown[] = {1, 2, 100, -14, -100, -1000, INT_MAX,
                                  INT_MIN};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *s = ml_status_str(unknown[i]);
        ck_assert_ptr_nonnull(s);
        ck_assert_str_eq(s, "unknown status");
    }
}
END_TEST

START_TEST(test_version)
{
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", ML_VERSION_MAJOR,
             ML_VERSION_MINOR, ML_VERSION_PATCH);
    ck_assert_ptr_nonnull(ml_version_string());
    ck_assert_str_eq(ml_version_string(), want);
    /* The header and meson.build must agree on the version. */
    ck_assert_str_eq(ml_version_string(), ML_PROJECT_VERSION);
    ck_assert_uint_eq(ml_version_number(), ML_VERSION_NUMBER);
    ck_assert_uint_eq(ml_version_number(),
                      (unsigned)(ML_VERSION_MAJOR * 10000 +
                                 ML_VERSION_MINOR * 100 + ML_VERSION_PATCH));
    /* A static string: the same pointer every time. */
    ck_assert_ptr_eq(ml_version_string(), ml_version_string());
}
END_TEST

START_TEST(test_last_error_initially_empty)
{
    const char *e = ml_last_error();
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e, "");
    /* Successful calls leave it alone. */
    (void)ml_version_string();
    (void)ml_status_str(ML_ERR_NOMEM);
    ck_assert_str_eq(ml_last_error(), "");
}
END_TEST

/* Result of ml_last_error() in a new thread: 1 non-NULL and "", 0 not. */
static void *last_error_in_thread(void *arg)
{
    int *ok = arg;
    const char *e = ml_last_error();
    *ok = e != NULL && e[0] == '\0';
    return NULL;
}

START_TEST(test_last_error_other_thread)
{
    int ok = -1;
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, last_error_in_thread, &ok),
                     0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_int_eq(ok, 1);
}
END_TEST

static Suite *status_suite(void)
{
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("status");
    tcase_add_test(tc, test_codes_pinned);
    tcase_add_test(tc, test_status_str_names);
    tcase_add_test(tc, test_status_str_distinct);
    tcase_add_test(tc, test_status_str_unknown);
    tcase_add_test(tc, test_version);
    tcase_add_test(tc, test_last_error_initially_empty);
    tcase_add_test(tc, test_last_error_other_thread);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(status_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nfailed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nfailed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
