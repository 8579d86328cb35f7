/* ml_dataset_load_idx on IDX files written here, raw and gzip, and on
 * damaged ones; Fashion-MNIST when its Debian package is installed. */
#include "datatest.h"

#include "core/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define IMG 0x00000803u
#define LAB 0x00000801u

static char dir[1024];

static void make_dir(void)
{
    dt_mkdtemp(dir, sizeof dir);
}

static void remove_dir(void)
{
    dt_rm_rf(dir);
}

/* 3 images of 2 x 3 pixels, labels 7, 0, 7. */
static const unsigned char pixels[18] = {0,   51,  102, 153, 204, 255, 1,  2,  3,
                                         4,   5,   6,   255, 255, 0,   0,  128, 64};
static const unsigned char labels[3] = {7, 0, 7};
static const uint32_t img_dims[3] = {3, 2, 3};
static const uint32_t lab_dims[1] = {3};

static void check_small(ml_dataset *ds)
{
    ck_assert_uint_eq(ml_dataset_size(ds), 3);
    ck_assert_uint_eq(ml_dataset_num_classes(ds), 2);
    ck_assert_str_eq(ml_dataset_class_name(ds, 0), "0");
    ck_assert_str_eq(ml_dataset_class_name(ds, 1), "7");
    ck_assert_str_eq(ml_dataset_class_group(ds, 0), "");
    size_t ndim, shape[3];
    CHECK_STATUS(ml_dataset_shape(ds, &ndim, shape), ML_OK);
    ck_assert(ndim == 3 && shape[0] == 1 && shape[1] == 2 && shape[2] == 3);
    const int want_label[3] = {1, 0, 1};
    for (size_t i = 0; i < 3; i++) {
        float x[6];
        int label;
        CHECK_STATUS(ml_dataset_get(ds, i, x, 6, &label), ML_OK);
        ck_assert_int_eq(label, want_label[i]);
        for (int p = 0; p < 6; p++)
            ck_assert_float_eq(x[p], pixels[6 * i + p] / 255.0f);
    }
}

START_TEST(test_raw_and_gzip)
{
    for (int gz = 0; gz < 2; gz++) {
        char ip[1100], lp[1100];
        snprintf(ip, sizeof ip, "%s/images%d", dir, gz);
        snprintf(lp, sizeof lp, "%s/labels%d", dir, gz);
        dt_idx(ip, gz, IMG, 3, img_dims, pixels, 18);
        dt_idx(lp, gz, LAB, 1, lab_dims, labels, 3);
        size_t n;
        unsigned char *head = dt_read_file(ip, &n);
        ck_assert_int_eq(head[0] == 0x1f && head[1] == 0x8b, gz);   /* really gzip */
        free(head);
        ml_dataset *ds;
        CHECK_STATUS(ml_dataset_load_idx(&ds, ip, lp), ML_OK);
        check_small(ds);
        ml_dataset_free(ds);
    }
    /* Mixed: gzip images with raw labels. */
    char ip[1100], lp[1100];
    snprintf(ip, sizeof ip, "%s/images1", dir);
    snprintf(lp, sizeof lp, "%s/labels0", dir);
    ml_dataset *ds;
    CHECK_STATUS(ml_dataset_load_idx(&ds, ip, lp), ML_OK);
    check_small(ds);
    ml_dataset_free(ds);
}
END_TEST

/* Writes images and labels (each raw or gzip) and loads them. */
static ml_status load(int gz, uint32_t imagic, const uint32_t *idims, const unsigned char *px,
                      size_t npx, uint32_t lmagic, const uint32_t *ldims,
                      const unsigned char *lb, size_t nlb)
{
    char ip[1100], lp[1100];
    snprintf(ip, sizeof ip, "%s/i", dir);
    snprintf(lp, sizeof lp, "%s/l", dir);
    dt_idx(ip, gz, imagic, 3, idims, px, npx);
    dt_idx(lp, gz, lmagic, 1, ldims, lb, nlb);
    ml_dataset *ds = (ml_dataset *)&ds;
    ml_status st = ml_dataset_load_idx(&ds, ip, lp);
    if (st != ML_OK)
        ck_assert_ptr_null(ds);
    ml_dataset_free(ds);
    return st;
}

START_TEST(test_format_errors)
{
    for (int gz = 0; gz < 2; gz++) {
        /* Wrong magic: floats, rank 2, and a labels file given as images. */
        CHECK_STATUS(load(gz, 0x00000D03u, img_dims, pixels, 18, LAB, lab_dims, labels, 3),
                     ML_ERR_FORMAT);
        CHECK_STATUS(load(gz, 0x00000802u, img_dims, pixels, 18, LAB, lab_dims, labels, 3),
                     ML_ERR_FORMAT);
        CHECK_STATUS(load(gz, IMG, img_dims, pixels, 18, IMG, lab_dims, labels, 3),
                     ML_ERR_FORMAT);
        ck_assert_ptr_nonnull(strstr(ml_last_error(), "magic"));
        /* Truncated data (17 of 18 bytes; 2 of 3 labels). */
        CHECK_STATUS(load(gz, IMG, img_dims, pixels, 17, LAB, lab_dims, labels, 3),
                     ML_ERR_FORMAT);
        ck_assert_ptr_nonnull(strstr(ml_last_error(), "truncated"));
        CHECK_STATUS(load(gz, IMG, img_dims, pixels, 18, LAB, lab_dims, labels, 2),
                     ML_ERR_FORMAT);
        /* More data than announced. */
        const unsigned char more[19] = {0};
        CHECK_STATUS(load(gz, IMG, img_dims, more, 19, LAB, lab_dims, labels, 3),
                     ML_ERR_FORMAT);
        /* Absurd sizes: 10^5 x 1000 x 1000 bytes, a zero side, zero images;
         * refused before allocating anything of that size. */
        const uint32_t huge[3] = {100000, 1000, 1000}, zero[3] = {3, 0, 3},
                       none[3] = {0, 2, 3}, big_side[3] = {1, 20000, 1};
        long before = ml_alloc_count();
        CHECK_STATUS(load(gz, IMG, huge, pixels, 18, LAB, lab_dims, labels, 3), ML_ERR_FORMAT);
        ck_assert_ptr_nonnull(strstr(ml_last_error(), "absurd"));
        ck_assert_int_lt(ml_alloc_count() - before, 10);
        CHECK_STATUS(load(gz, IMG, zero, pixels, 18, LAB, lab_dims, labels, 3), ML_ERR_FORMAT);
        CHECK_STATUS(load(gz, IMG, none, pixels, 0, LAB, lab_dims, labels, 3), ML_ERR_FORMAT);
        CHECK_STATUS(load(gz, IMG, big_side, pixels, 18, LAB, lab_dims, labels, 3),
                     ML_ERR_FORMAT);
        /* A plausible header over too little data: 10^4 images announced. */
        const uint32_t many[3] = {10000, 28, 28};
        CHECK_STATUS(load(gz, IMG, many, pixels, 18, LAB, lab_dims, labels, 3), ML_ERR_FORMAT);
        /* Label count differs from the image count. */
        const uint32_t four[1] = {4};
        const unsigned char lb4[4] = {1, 2, 3, 4};
        CHECK_STATUS(load(gz, IMG, img_dims, pixels, 18, LAB, four, lb4, 4), ML_ERR_FORMAT);
        ck_assert_ptr_nonnull(strstr(ml_last_error(), "labels for"));
    }
    /* A truncated header, an empty file, a cut gzip stream. */
    char ip[1100], lp[1100];
    snprintf(ip, sizeof ip, "%s/i", dir);
    snprintf(lp, sizeof lp, "%s/l", dir);
    dt_idx(lp, 0, LAB, 1, lab_dims, labels, 3);
    ml_dataset *ds;
    dt_write_bytes(ip, "\0\0\x08\x03\0\0", 6);
    CHECK_STATUS(ml_dataset_load_idx(&ds, ip, lp), ML_ERR_FORMAT);
    dt_write_bytes(ip, "", 0);
    CHECK_STATUS(ml_dataset_load_idx(&ds, ip, lp), ML_ERR_FORMAT);
    unsigned char big[4000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)(i * 2654435761u >> 13);
    const uint32_t dims[3] = {1, 40, 100};
    dt_idx(ip, 1, IMG, 3, dims, big, sizeof big);
    size_t n;
    unsigned char *file = dt_read_file(ip, &n);
    dt_write_bytes(ip, file, n / 2);
    CHECK_STATUS(ml_dataset_load_idx(&ds, ip, lp), ML_ERR_FORMAT);
    /* A damaged gzip stream: flip bytes in the middle. */
    for (size_t i = n / 2; i < n / 2 + 8; i++)
        file[i] ^= 0x5a;
    dt_write_bytes(ip, file, n);
    CHECK_STATUS(ml_dataset_load_idx(&ds, ip, lp), ML_ERR_FORMAT);
    free(file);
}
END_TEST

START_TEST(test_bad_arguments)
{
    char lp[1100];
    snprintf(lp, sizeof lp, "%s/labels0", dir);
    dt_idx(lp, 0, LAB, 1, lab_dims, labels, 3);
    ml_dataset *ds = (ml_dataset *)&ds;
    CHECK_STATUS(ml_dataset_load_idx(&ds, "/nonexistent/images", lp), ML_ERR_IO);
    ck_assert_ptr_null(ds);
    char ip[1100];
    snprintf(ip, sizeof ip, "%s/images0", dir);
    dt_idx(ip, 0, IMG, 3, img_dims, pixels, 18);
    CHECK_STATUS(ml_dataset_load_idx(&ds, ip, "/nonexistent/labels"), ML_ERR_IO);
    CHECK_STATUS(ml_dataset_load_idx(NULL, ip, lp), ML_ERR_INVALID_ARG);
    CHECK_STATUS(ml_dataset_load_idx(&ds, NULL, lp), ML_ERR_INVALID_ARG);
    CHECK_STATUS(ml_dataset_load_idx(&ds, ip, NULL), ML_ERR_INVALID_ARG);
    /* Out of memory at every allocation in turn. */
    for (long k = 1; k < 1000; k++) {
        ml_alloc_fail_after(k);
        ml_status st = ml_dataset_load_idx(&ds, ip, lp);
        ml_alloc_fail_after(0);
        if (st == ML_OK) {
            check_small(ds);
            ml_dataset_free(ds);
            break;
        }
        ck_assert_int_eq(st, ML_ERR_NOMEM);
    }
}
END_TEST

START_TEST(test_fashion_mnist)
{
    const char *ip = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
    const char *lp = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
    if (access(ip, R_OK) != 0 || access(lp, R_OK) != 0) {
        printf("note: Fashion-MNIST not installed (apt-get install dataset-fashion-mnist); "
               "test_fashion_mnist skipped\n");
        return;
    }
    clock_t t0 = clock();
    ml_dataset *ds;
    CHECK_STATUS(ml_dataset_load_idx(&ds, ip, lp), ML_OK);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    ck_assert_uint_eq(ml_dataset_size(ds), 10000);
    ck_assert_uint_eq(ml_dataset_num_classes(ds), 10);
    ck_assert_uint_eq(ml_dataset_input_size(ds), 784);
    /* The test set has 1000 of each class; its first label is 9 (ankle boot). */
    size_t count[10] = {0};
    static float x[784];
    double mean = 0;
    for (size_t i = 0; i < 10000; i++) {
        int label;
        CHECK_STATUS(ml_dataset_get(ds, i, x, 784, &label), ML_OK);
        REQUIRE(label >= 0 && label < 10);
        count[label]++;
        if (i == 0)
            ck_assert_int_eq(label, 9);
        for (int p = 0; p < 784; p++) {
            REQUIRE(x[p] >= 0.0f && x[p] <= 1.0f);
            mean += x[p];
        }
    }
    for (int c = 0; c < 10; c++) {
        char name[4];
        snprintf(name, sizeof name, "%d", c);
        ck_assert_str_eq(ml_dataset_class_name(ds, (size_t)c), name);
        ck_assert_uint_eq(count[c], 1000);
    }
    mean /= 10000.0 * 784.0;
    printf("note: Fashion-MNIST t10k loaded in %.2f s, mean intensity %.4f\n", secs, mean);
    ck_assert(mean > 0.2 && mean < 0.4);    /* about 0.286 */
    ml_dataset_free(ds);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("data_idx");
    TCase *tc = tcase_create("idx");
    tcase_set_timeout(tc, 240);
    tcase_add_unchecked_fixture(tc, make_dir, remove_dir);
    tcase_add_test(tc, test_raw_and_gzip);
    tcase_add_test(tc, test_format_errors);
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_fashion_mnist);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
