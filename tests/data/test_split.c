/* ml_dataset_split: each rule, determinism, errors, and that the two sides
 * partition the classes and their examples. */
#include "datatest.h"

#include "core/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[1024];
static ml_dataset *tree;        /* Alpha: 2 classes, Beta: 3, Gamma: 1; 2 images each */
static ml_dataset *numbers;     /* 20 classes "0".."19", 3 examples each */

static const char *tree_classes[] = {"Alpha/c1", "Alpha/c2", "Beta/c1",
                                     "Beta/c2",  "Beta/c3",  "Gamma/only"};

static void setup(void)
{
    dt_mkdtemp(dir, sizeof dir);
    for (int c = 0; c < 6; c++) {
        char cls[1200];
        snprintf(cls, sizeof cls, "%s/%s", dir, tree_classes[c]);
        dt_mkdirs(cls);
        for (int k = 0; k < 2; k++) {
            /* Pixel value 10 * class + k identifies the example. */
            unsigned char px[4];
            memset(px, 10 * c + k, 4);
            char name[16];
            snprintf(name, sizeof name, "%d.png", k);
            dt_png_gray8(dt_join(cls, name), 2, 2, px);
        }
    }
    ck_assert_int_eq(ml_dataset_load_images(&tree, dir, 2, 0), ML_OK);
    enum { N = 60 };
    float x[N];
    int labels[N];
    for (int i = 0; i < N; i++) {
        labels[i] = (i * 7) % 20;   /* classes interleaved */
        x[i] = (float)i;
    }
    ck_assert_int_eq(ml_dataset_create(&numbers, N, 1, (size_t[]){1}, x, labels), ML_OK);
}

static void teardown(void)
{
    ml_dataset_free(tree);
    ml_dataset_free(numbers);
    dt_rm_rf(dir);
}

/* The class name of an example, via its label. */
static const char *name_of(const ml_dataset *ds, size_t i, float *value)
{
    size_t n = ml_dataset_input_size(ds);
    float x[4];
    int label;
    ck_assert(n <= 4);
    ck_assert_int_eq(ml_dataset_get(ds, i, x, n, &label), ML_OK);
    *value = x[0];
    return ml_dataset_class_name(ds, (size_t)label);
}

/* Both sides together are the original: every class on exactly one side,
 * every example with its class, values unchanged, classes in sorted order. */
static void check_partition(const ml_dataset *all, const ml_dataset *a, const ml_dataset *b)
{
    size_t ka = ml_dataset_num_classes(a), kb = ml_dataset_num_classes(b);
    ck_assert_uint_eq(ka + kb, ml_dataset_num_classes(all));
    ck_assert_uint_eq(ml_dataset_size(a) + ml_dataset_size(b), ml_dataset_size(all));
    const ml_dataset *sides[2] = {a, b};
    for (int s = 0; s < 2; s++) {
        const ml_dataset *d = sides[s];
        size_t k = ml_dataset_num_classes(d);
        for (size_t c = 0; c + 1 < k; c++) {
            /* Parent order: names compare as in the parent. */
            size_t pa = 0, pb = 0;
            for (size_t p = 0; p < ml_dataset_num_classes(all); p++) {
                if (!strcmp(ml_dataset_class_name(all, p), ml_dataset_class_name(d, c)))
                    pa = p;
                if (!strcmp(ml_dataset_class_name(all, p), ml_dataset_class_name(d, c + 1)))
                    pb = p;
            }
            ck_assert_uint_lt(pa, pb);
        }
        for (size_t c = 0; c < k; c++)
            for (size_t o = 0; o < ml_dataset_num_classes(sides[1 - s]); o++)
                ck_assert_str_ne(ml_dataset_class_name(d, c),
                                 ml_dataset_class_name(sides[1 - s], o));
        /* Each example of the side is an example of the parent with the
         * same class name (values are unique in both fixtures). */
        for (size_t i = 0; i < ml_dataset_size(d); i++) {
            float v, pv;
            const char *nm = name_of(d, i, &v);
            int found = 0;
            for (size_t p = 0; p < ml_dataset_size(all) && !found; p++) {
                const char *pn = name_of(all, p, &pv);
                if (pv == v) {
                    ck_assert_str_eq(pn, nm);
                    found = 1;
                }
            }
            ck_assert(found);
        }
    }
}

START_TEST(test_groups)
{
    ml_dataset *sel, *rest;
    ck_assert_int_eq(ml_dataset_split(tree, ML_SPLIT_GROUPS, "Beta, Gamma", 0, &sel, &rest),
                     ML_OK);
    ck_assert_uint_eq(ml_dataset_num_classes(sel), 4);
    ck_assert_uint_eq(ml_dataset_size(sel), 8);
    ck_assert_str_eq(ml_dataset_class_name(sel, 0), "Beta/c1");
    ck_assert_str_eq(ml_dataset_class_name(sel, 3), "Gamma/only");
    ck_assert_str_eq(ml_dataset_class_group(sel, 3), "Gamma");
    ck_assert_uint_eq(ml_dataset_num_classes(rest), 2);
    ck_assert_str_eq(ml_dataset_class_name(rest, 1), "Alpha/c2");
    /* Labels 0..k-1 and the examples' values. */
    float x[4];
    int label;
    ck_assert_int_eq(ml_dataset_get(sel, 7, x, 4, &label), ML_OK);
    ck_assert_int_eq(label, 3);
    ck_assert_float_eq(x[0], 51 / 255.0f);          /* class 5, example 1 */
    check_partition(tree, sel, rest);
    /* The shape is kept. */
    size_t ndim, shape[3];
    ck_assert_int_eq(ml_dataset_shape(sel, &ndim, shape), ML_OK);
    ck_assert(ndim == 3 && shape[1] == 2 && shape[2] == 2);
    ml_dataset_free(sel);
    ml_dataset_free(rest);
}
END_TEST

START_TEST(test_classes)
{
    ml_dataset *sel, *rest;
    ck_assert_int_eq(ml_dataset_split(tree, ML_SPLIT_CLASSES, "Gamma/only,Alpha/c2", 0, &sel,
                                      &rest),
                     ML_OK);
    ck_assert_uint_eq(ml_dataset_num_classes(sel), 2);
    ck_assert_str_eq(ml_dataset_class_name(sel, 0), "Alpha/c2");   /* sorted, not as listed */
    ck_assert_str_eq(ml_dataset_class_name(sel, 1), "Gamma/only");
    check_partition(tree, sel, rest);
    ml_dataset_free(sel);
    ml_dataset_free(rest);
    /* Numeric class names; only one side asked for. */
    ck_assert_int_eq(ml_dataset_split(numbers, ML_SPLIT_CLASSES, "3,19", 0, &sel, NULL),
                     ML_OK);
    ck_assert_uint_eq(ml_dataset_num_classes(sel), 2);
    ck_assert_uint_eq(ml_dataset_size(sel), 6);
    ml_dataset_free(sel);
}
END_TEST

/* Selected class names of a fraction split, as a bit mask over 20. */
static unsigned fraction_mask(const char *spec, uint64_t seed)
{
    ml_dataset *sel, *rest;
    ck_assert_int_eq(ml_dataset_split(numbers, ML_SPLIT_FRACTION, spec, seed, &sel, &rest),
                     ML_OK);
    check_partition(numbers, sel, rest);
    unsigned mask = 0;
    for (size_t c = 0; c < ml_dataset_num_classes(sel); c++)
        mask |= 1u << atoi(ml_dataset_class_name(sel, c));
    ml_dataset_free(sel);
    ml_dataset_free(rest);
    return mask;
}

START_TEST(test_fraction)
{
    unsigned m = fraction_mask("0.8", 42);
    ck_assert_int_eq(__builtin_popcount(m), 16);    /* round(0.8 * 20) */
    ck_assert_uint_eq(fraction_mask("0.8", 42), m); /* same seed, same split */
    int differ = 0;
    for (uint64_t seed = 0; seed < 8; seed++)
        differ += fraction_mask("0.8", seed) != m;
    ck_assert_int_ge(differ, 6);                    /* other seeds, other splits */
    ck_assert_int_eq(__builtin_popcount(fraction_mask(" 0.5 ", 1)), 10);
    ck_assert_int_eq(__builtin_popcount(fraction_mask("0.025", 1)), 1);  /* 0.5 rounds up */
    ck_assert_int_eq(__builtin_popcount(fraction_mask("0.97", 1)), 19);  /* 19.4 */
    /* A side that rounds to nothing is an error only if it was asked for. */
    ml_dataset *sel = NULL, *rest = NULL;
    ck_assert_int_eq(ml_dataset_split(numbers, ML_SPLIT_FRACTION, "0.01", 1, &sel, &rest),
                     ML_ERR_INVALID_ARG);
    ck_assert(sel == NULL && rest == NULL);
    ck_assert_int_eq(ml_dataset_split(numbers, ML_SPLIT_FRACTION, "0.01", 1, NULL, &rest),
                     ML_OK);
    ck_assert_uint_eq(ml_dataset_num_classes(rest), 20);
    ml_dataset_free(rest);
    ck_assert_int_eq(ml_dataset_split(numbers, ML_SPLIT_FRACTION, "0.99", 1, &sel, &rest),
                     ML_ERR_INVALID_ARG);
}
END_TEST

START_TEST(test_errors)
{
    ml_dataset *sel = (ml_dataset *)&sel, *rest = (ml_dataset *)&rest;
    /* Unknown names, with the name in the message and the handle's error. */
    ck_assert_int_eq(ml_dataset_split(tree, ML_SPLIT_GROUPS, "Alpha,Klingon", 0, &sel, &rest),
                     ML_ERR_INVALID_ARG);
    ck_assert(sel == NULL && rest == NULL);
    ck_assert_ptr_nonnull(strstr(ml_dataset_last_error(tree), "Klingon"));
    ck_assert_int_eq(ml_dataset_split(tree, ML_SPLIT_CLASSES, "Alpha", 0, &sel, &rest),
                     ML_ERR_INVALID_ARG);         /* a group is not a class */
    ck_assert_int_eq(ml_dataset_split(numbers, ML_SPLIT_GROUPS, "0", 0, &sel, &rest),
                     ML_ERR_INVALID_ARG);         /* numeric classes have no group */
    /* Bad specs. */
    const char *bad[] = {"", ",", "Alpha,", ",Alpha", "Alpha,,Beta", "  "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(ml_dataset_split(tree, ML_SPLIT_GROUPS, bad[i], 0, &sel, &rest) ==
                          ML_ERR_INVALID_ARG,
                      "spec \"%s\"", bad[i]);
    const char *bad_fraction[] = {"", "0", "1", "1.5", "-0.5", "abc", "0.5x", "nan", "inf",
                                  "0,5"};
    for (size_t i = 0; i < sizeof bad_fraction / sizeof bad_fraction[0]; i++)
        ck_assert_msg(ml_dataset_split(numbers, ML_SPLIT_FRACTION, bad_fraction[i], 0, &sel,
                                       &rest) == ML_ERR_INVALID_ARG,
                      "fraction \"%s\"", bad_fraction[i]);
    /* Everything selected: no rest, unless the rest is not asked for. */
    ck_assert_int_eq(
        ml_dataset_split(tree, ML_SPLIT_GROUPS, "Alpha,Beta,Gamma", 0, &sel, &rest),
        ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_dataset_split(tree, ML_SPLIT_GROUPS, "Alpha,Beta,Gamma", 0, &sel, NULL),
                     ML_OK);
    ck_assert_uint_eq(ml_dataset_num_classes(sel), 6);
    ml_dataset_free(sel);
    /* Bad rule, NULL arguments. */
    ck_assert_int_eq(ml_dataset_split(tree, (ml_split_rule)0, "Alpha", 0, &sel, &rest),
                     ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_dataset_split(tree, (ml_split_rule)99, "Alpha", 0, &sel, &rest),
                     ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_dataset_split(NULL, ML_SPLIT_GROUPS, "Alpha", 0, &sel, &rest),
                     ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_dataset_split(tree, ML_SPLIT_GROUPS, NULL, 0, &sel, &rest),
                     ML_ERR_INVALID_ARG);
}
END_TEST

START_TEST(test_split_of_split_and_memory)
{
    /* Splitting a split, then freeing the parent first. */
    ml_dataset *sel, *rest, *a, *b;
    ck_assert_int_eq(ml_dataset_split(tree, ML_SPLIT_GROUPS, "Beta", 0, &sel, &rest), ML_OK);
    ck_assert_int_eq(ml_dataset_split(sel, ML_SPLIT_FRACTION, "0.5", 3, &a, &b), ML_OK);
    ml_dataset_free(sel);
    ck_assert_uint_eq(ml_dataset_num_classes(a) + ml_dataset_num_classes(b), 3);
    ck_assert_uint_eq(ml_dataset_num_classes(a), 2);    /* round(1.5) */
    ml_dataset_free(a);
    ml_dataset_free(b);
    ml_dataset_free(rest);
    /* Out of memory at every allocation in turn. */
    for (long k = 1; k < 1000; k++) {
        ml_alloc_fail_after(k);
        ml_status st = ml_dataset_split(tree, ML_SPLIT_GROUPS, "Alpha", 0, &sel, &rest);
        ml_alloc_fail_after(0);
        if (st == ML_OK) {
            check_partition(tree, sel, rest);
            ml_dataset_free(sel);
            ml_dataset_free(rest);
            break;
        }
        ck_assert_int_eq(st, ML_ERR_NOMEM);
        ck_assert(sel == NULL && rest == NULL);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("data_split");
    TCase *tc = tcase_create("split");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_groups);
    tcase_add_test(tc, test_classes);
    tcase_add_test(tc, test_fraction);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_split_of_split_and_memory);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
