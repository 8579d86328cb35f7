/* ml_dataset_load_images on real PNG files written with libpng: layout,
 * order, every kind of PNG, inversion, the area filter, and damaged files. */
#include "datatest.h"

#include "core/alloc.h"
#include "data/dataset.h"

#include <png.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tree[1024];     /* the Omniglot-like tree, built once */

/* Expected 4x4 images of the tree, in load order, before inversion. */
enum { N_IMAGES = 16 };
static float expect[N_IMAGES][16];

static void fill(float *e, float v)
{
    for (int i = 0; i < 16; i++)
        e[i] = v;
}

static void gray8_const(const char *path, unsigned char v, float *e)
{
    unsigned char px[16];
    memset(px, v, 16);
    dt_png_gray8(path, 4, 4, px);
    fill(e, v / 255.0f);
}

static void build_tree(void)
{
    dt_mkdtemp(tree, sizeof tree);
    char a1[4096], a2[4096], b1[4096], b2[4096], b3[4096];
    snprintf(a1, sizeof a1, "%s/Alpha/character01", tree);
    snprintf(a2, sizeof a2, "%s/Alpha/character02", tree);
    snprintf(b1, sizeof b1, "%s/Beta/character01", tree);
    snprintf(b2, sizeof b2, "%s/Beta/character02", tree);
    snprintf(b3, sizeof b3, "%s/Beta/character03", tree);
    dt_mkdirs(a1);
    dt_mkdirs(a2);
    dt_mkdirs(dt_join(tree, "Alpha/empty_character"));
    dt_mkdirs(dt_join(tree, "empty"));
    /* Alpha/character01: 1-bit grey like Omniglot, written out of order. */
    unsigned char bits[16];
    for (int i = 0; i < 16; i++)
        bits[i] = i != 0;                           /* c: one black pixel */
    dt_png_gray1(dt_join(a1, "c.png"), 4, 4, bits);
    for (int i = 0; i < 16; i++)
        expect[2][i] = bits[i];
    for (int i = 0; i < 16; i++)
        bits[i] = i >= 8;                           /* a: top half black */
    dt_png_gray1(dt_join(a1, "a.png"), 4, 4, bits);
    for (int i = 0; i < 16; i++)
        expect[0][i] = bits[i];
    for (int i = 0; i < 16; i++)
        bits[i] = (i % 4) >= 2;                     /* b: left half black */
    dt_png_gray1(dt_join(a1, "b.png"), 4, 4, bits);
    for (int i = 0; i < 16; i++)
        expect[1][i] = bits[i];
    /* Alpha/character02: 8-bit grey, a ramp and two constants. */
    unsigned char ramp[16];
    for (int i = 0; i < 16; i++) {
        ramp[i] = (unsigned char)(16 * i);
        expect[3][i] = ramp[i] / 255.0f;
    }
    dt_png_gray8(dt_join(a2, "x1.png"), 4, 4, ramp);
    gray8_const(dt_join(a2, "x2.png"), 200, expect[4]);
    gray8_const(dt_join(a2, "x3.png"), 0, expect[5]);
    dt_write_text(dt_join(a2, "notes.txt"), "not an image\n");
    dt_write_text(dt_join(a2, ".hidden.png"), "hidden files are skipped\n");
    /* Beta/character01: RGB, 16-bit, palette; "D.PNG" sorts first. */
    dt_mkdirs(b1);
    unsigned char rgb[48];
    memset(rgb, 100, sizeof rgb);
    dt_png_rgb(dt_join(b1, "D.PNG"), 4, 4, rgb);
    fill(expect[6], 100 / 255.0f);
    uint16_t wide[16];
    for (int i = 0; i < 16; i++)
        wide[i] = 0x4000;
    dt_png_gray16(dt_join(b1, "e.png"), 4, 4, wide);
    fill(expect[7], 0x4000 / 65535.0f);
    unsigned char idx[16], pal[6] = {0, 0, 0, 255, 255, 255};
    for (int i = 0; i < 16; i++) {
        idx[i] = (unsigned char)(((i / 4) + (i % 4)) % 2);
        expect[8][i] = idx[i];
    }
    dt_png_palette(dt_join(b1, "f.png"), 4, 4, idx, pal, 2);
    memset(rgb, 255, sizeof rgb);
    dt_png_rgb(dt_join(b1, "g.png"), 4, 4, rgb);
    fill(expect[9], 1.0f);
    /* Beta/character02 and 03: constants. */
    dt_mkdirs(b2);
    dt_mkdirs(b3);
    for (int k = 0; k < 3; k++) {
        char name[16];
        snprintf(name, sizeof name, "%d.png", k + 1);
        gray8_const(dt_join(b2, name), (unsigned char)(10 * (k + 1)), expect[10 + k]);
        gray8_const(dt_join(b3, name), (unsigned char)(40 + 10 * k), expect[13 + k]);
    }
}

static void remove_tree(void)
{
    dt_rm_rf(tree);
}

static const char *class_names[] = {"Alpha/character01", "Alpha/character02",
                                    "Beta/character01", "Beta/character02",
                                    "Beta/character03"};
static const int class_of[N_IMAGES] = {0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4, 4};

START_TEST(test_layout_and_order)
{
    ml_dataset *ds;
    CHECK_STATUS(ml_dataset_load_images(&ds, tree, 4, 0), ML_OK);
    ck_assert_uint_eq(ml_dataset_size(ds), N_IMAGES);
    ck_assert_uint_eq(ml_dataset_num_classes(ds), 5);
    ck_assert_uint_eq(ml_dataset_input_size(ds), 16);
    size_t ndim, shape[3];
    CHECK_STATUS(ml_dataset_shape(ds, &ndim, shape), ML_OK);
    ck_assert_uint_eq(ndim, 3);
    ck_assert(shape[0] == 1 && shape[1] == 4 && shape[2] == 4);
    for (size_t c = 0; c < 5; c++) {
        ck_assert_str_eq(ml_dataset_class_name(ds, c), class_names[c]);
        ck_assert_str_eq(ml_dataset_class_group(ds, c), c < 2 ? "Alpha" : "Beta");
    }
    ck_assert_ptr_null(ml_dataset_class_name(ds, 5));
    ck_assert_ptr_null(ml_dataset_class_group(ds, 5));
    /* Every image, at its native size: the decoded values exactly (the
     * RGB grey within libpng's rounding of its luminance conversion). */
    for (size_t i = 0; i < N_IMAGES; i++) {
        float x[16];
        int label = -1;
        CHECK_STATUS(ml_dataset_get(ds, i, x, 16, &label), ML_OK);
        ck_assert_int_eq(label, class_of[i]);
        float tol = i == 6 ? 1.5f / 255.0f : 1e-6f;
        for (int p = 0; p < 16; p++)
            ck_assert_msg(fabsf(x[p] - expect[i][p]) <= tol, "image %zu pixel %d: %g, expected %g",
                          i, p, x[p], expect[i][p]);
    }
    ml_dataset_free(ds);
}
END_TEST

/* Mean of the 2x2 block (by, bx) of a 4x4 image. */
static float block(const float *img, int by, int bx)
{
    return (img[(2 * by) * 4 + 2 * bx] + img[(2 * by) * 4 + 2 * bx + 1] +
            img[(2 * by + 1) * 4 + 2 * bx] + img[(2 * by + 1) * 4 + 2 * bx + 1]) / 4;
}

START_TEST(test_invert_and_halve)
{
    ml_dataset *ds;
    CHECK_STATUS(ml_dataset_load_images(&ds, tree, 2, 1), ML_OK);
    ck_assert_uint_eq(ml_dataset_input_size(ds), 4);
    for (size_t i = 0; i < N_IMAGES; i++) {
        float x[4];
        CHECK_STATUS(ml_dataset_get(ds, i, x, 4, NULL), ML_OK);
        float tol = i == 6 ? 1.5f / 255.0f : 1e-6f;
        for (int p = 0; p < 4; p++) {
            float want = 1.0f - block(expect[i], p / 2, p % 2);
            ck_assert_msg(fabsf(x[p] - want) <= tol, "image %zu pixel %d: %g, expected %g", i,
                          p, x[p], want);
        }
    }
    /* By hand: "a" (top half black) inverted is strokes on top. */
    float x[4];
    CHECK_STATUS(ml_dataset_get(ds, 0, x, 4, NULL), ML_OK);
    ck_assert(x[0] == 1.0f && x[1] == 1.0f && x[2] == 0.0f && x[3] == 0.0f);
    /* The ramp 16 * (4y + x): block (0,0) is (0 + 16 + 64 + 80) / 4 = 40. */
    CHECK_STATUS(ml_dataset_get(ds, 3, x, 4, NULL), ML_OK);
    ck_assert_float_eq_tol(x[0], 1.0f - 40.0f / 255.0f, 1e-6f);
    /* The palette checkerboard averages to exactly one half. */
    CHECK_STATUS(ml_dataset_get(ds, 8, x, 4, NULL), ML_OK);
    for (int p = 0; p < 4; p++)
        ck_assert_float_eq(x[p], 0.5f);
    ml_dataset_free(ds);
}
END_TEST

/* The area filter by brute force in two dimensions: the overlap of output
 * cell (i, j) with each input pixel. */
static double brute_cell(const float *in, int n, int m, int i, int j)
{
    double s = (double)n / m, sum = 0;
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
            double oy = fmin(y + 1, (i + 1) * s) - fmax(y, i * s);
            double ox = fmin(x + 1, (j + 1) * s) - fmax(x, j * s);
            if (oy > 0 && ox > 0)
                sum += oy * ox * in[y * n + x];
        }
    return sum / (s * s);
}

START_TEST(test_omniglot_sizes)
{
    char dir[1024];
    dt_mkdtemp(dir, sizeof dir);
    char cls[4096];
    snprintf(cls, sizeof cls, "%s/Script/character01", dir);
    dt_mkdirs(cls);
    enum { N = 105, M = 28 };
    static unsigned char px[N * N];
    static float in[N * N];
    for (int i = 0; i < N * N; i++)
        px[i] = 0;                                  /* all black: 1 after inversion */
    dt_png_gray1(dt_join(cls, "0001_01.png"), N, N, px);
    for (int y = 0; y < N; y++)
        for (int x = 0; x < N; x++) {
            px[y * N + x] = (unsigned char)((x + y) % 2);
            in[y * N + x] = px[y * N + x];
        }
    dt_png_gray1(dt_join(cls, "0001_02.png"), N, N, px);
    ml_dataset *ds;
    CHECK_STATUS(ml_dataset_load_images(&ds, dir, M, 1), ML_OK);
    ck_assert_uint_eq(ml_dataset_size(ds), 2);
    ck_assert_str_eq(ml_dataset_class_group(ds, 0), "Script");
    static float x[M * M];
    CHECK_STATUS(ml_dataset_get(ds, 0, x, M * M, NULL), ML_OK);
    for (int p = 0; p < M * M; p++)
        REQUIRE(x[p] == 1.0f);                      /* a constant stays constant */
    CHECK_STATUS(ml_dataset_get(ds, 1, x, M * M, NULL), ML_OK);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            double want = 1.0 - brute_cell(in, N, M, i, j);
            REQUIRE(fabs(x[i * M + j] - want) < 1e-5);
            REQUIRE(fabs(x[i * M + j] - 0.5) < 0.05);
        }
    ml_dataset_free(ds);
    dt_rm_rf(dir);
}
END_TEST

START_TEST(test_resize_direct)
{
    /* 3 -> 2: cell 0 covers [0, 1.5): weights 1 and 0.5. */
    const float in[9] = {0, 3, 6, 9, 12, 15, 18, 21, 24};
    float out[4];
    double tmp[3 * 2];
    ml_resize_area(in, 3, 3, out, 2, 2, tmp);
    /* Rows: (a + b/2)/1.5 and (b/2 + c)/1.5 per row, then the same on columns. */
    double r[3][2];
    for (int y = 0; y < 3; y++) {
        r[y][0] = (in[3 * y] + 0.5 * in[3 * y + 1]) / 1.5;
        r[y][1] = (0.5 * in[3 * y + 1] + in[3 * y + 2]) / 1.5;
    }
    for (int x = 0; x < 2; x++) {
        ck_assert_double_eq_tol(out[x], (r[0][x] + 0.5 * r[1][x]) / 1.5, 1e-5);
        ck_assert_double_eq_tol(out[2 + x], (0.5 * r[1][x] + r[2][x]) / 1.5, 1e-5);
    }
    /* 2 -> 4 (enlarging): each output pixel lies inside one input pixel. */
    const float small[4] = {0.25f, 0.5f, 0.75f, 1.0f};
    float big[16];
    double tmp2[2 * 4];
    ml_resize_area(small, 2, 2, big, 4, 4, tmp2);
    for (int i = 0; i < 16; i++)
        ck_assert_float_eq(big[i], small[(i / 8) * 2 + (i % 4) / 2]);
    /* Non-square input to a square output. */
    const float wide[6] = {1, 1, 1, 0, 0, 0};      /* 1 x 6 */
    float one[1];
    double tmp3[1];
    ml_resize_area(wide, 1, 6, one, 1, 1, tmp3);
    ck_assert_float_eq_tol(one[0], 0.5f, 1e-7f);
}
END_TEST

START_TEST(test_flat_and_root_layouts)
{
    char dir[1024];
    dt_mkdtemp(dir, sizeof dir);
    unsigned char px[4] = {0, 255, 255, 0};
    dt_mkdirs(dt_join(dir, "zeta"));
    dt_mkdirs(dt_join(dir, "eta"));
    dt_mkdirs(dt_join(dir, "eta/deep/er"));
    dt_png_gray8(dt_join(dir, "zeta/1.png"), 2, 2, px);
    dt_png_gray8(dt_join(dir, "eta/1.png"), 2, 2, px);
    dt_png_gray8(dt_join(dir, "eta/deep/er/1.png"), 2, 2, px);
    dt_png_gray8(dt_join(dir, "root.png"), 2, 2, px);
    ml_dataset *ds;
    CHECK_STATUS(ml_dataset_load_images(&ds, dir, 2, 0), ML_OK);
    ck_assert_uint_eq(ml_dataset_num_classes(ds), 4);
    /* Byte order of the names; the root's own images form class ".". */
    const char *names[] = {".", "eta", "eta/deep/er", "zeta"};
    const char *groups[] = {".", "eta", "eta", "zeta"};
    for (size_t c = 0; c < 4; c++) {
        ck_assert_str_eq(ml_dataset_class_name(ds, c), names[c]);
        ck_assert_str_eq(ml_dataset_class_group(ds, c), groups[c]);
    }
    ml_dataset_free(ds);
    dt_rm_rf(dir);
}
END_TEST

START_TEST(test_symlinks_and_depth)
{
    char dir[1024];
    dt_mkdtemp(dir, sizeof dir);
    unsigned char px[4] = {0, 0, 0, 0};
    dt_mkdirs(dt_join(dir, "a"));
    dt_png_gray8(dt_join(dir, "a/1.png"), 2, 2, px);
    /* A loop (a/loop -> ..) is skipped; a link to a file is followed. */
    ck_assert(symlink("..", dt_join(dir, "a/loop")) == 0);
    ck_assert(symlink("1.png", dt_join(dir, "a/2.png")) == 0);
    ck_assert(symlink("nowhere.png", dt_join(dir, "a/3.png")) == 0);   /* dangling */
    ml_dataset *ds;
    CHECK_STATUS(ml_dataset_load_images(&ds, dir, 2, 0), ML_OK);
    ck_assert_uint_eq(ml_dataset_num_classes(ds), 1);
    ck_assert_uint_eq(ml_dataset_size(ds), 2);
    ml_dataset_free(ds);
    /* 20 nested directories: refused, not a stack overflow. */
    char deep[4096];
    snprintf(deep, sizeof deep, "%s/d", dir);
    for (int i = 0; i < 20; i++)
        strcat(deep, "/d");
    dt_mkdirs(deep);
    dt_png_gray8(dt_join(deep, "1.png"), 2, 2, px);
    CHECK_STATUS(ml_dataset_load_images(&ds, dir, 2, 0), ML_ERR_FORMAT);
    ck_assert_ptr_null(ds);
    ck_assert_ptr_nonnull(strstr(ml_last_error(), "deeper"));
    dt_rm_rf(dir);
}
END_TEST

START_TEST(test_transparency_on_white)
{
    /* Transparent pixels are paper: white, so 0 after inversion. */
    char dir[1024];
    dt_mkdtemp(dir, sizeof dir);
    dt_mkdirs(dt_join(dir, "c"));
    /* Grey, alpha pairs: opaque black, transparent black, opaque white,
     * half-transparent black. */
    const unsigned char ga[8] = {0, 255, 0, 0, 255, 255, 0, 128};
    dt_png_simple(dt_join(dir, "c/1.png"), 2, 2, PNG_FORMAT_GA, ga);
    const uint16_t ya[8] = {0, 65535, 0, 0, 65535, 65535, 0, 32768};
    dt_png_simple(dt_join(dir, "c/2.png"), 2, 2, PNG_FORMAT_LINEAR_Y_ALPHA, ya);
    ml_dataset *ds;
    CHECK_STATUS(ml_dataset_load_images(&ds, dir, 2, 1), ML_OK);
    for (size_t i = 0; i < 2; i++) {
        float x[4];
        CHECK_STATUS(ml_dataset_get(ds, i, x, 4, NULL), ML_OK);
        ck_assert_float_eq(x[0], 1.0f);
        ck_assert_float_eq(x[1], 0.0f);
        ck_assert_float_eq(x[2], 0.0f);
        /* Half covered: 8-bit is composited in sRGB by libpng, 16-bit in
         * linear light; both between the extremes. */
        ck_assert_msg(x[3] > 0.2f && x[3] < 0.8f, "image %zu: %g", i, x[3]);
    }
    ml_dataset_free(ds);
    dt_rm_rf(dir);
}
END_TEST

/* A one-class tree holding a single file written by `make`. */
static ml_status load_single(const char *dir, void (*make)(const char *path))
{
    dt_mkdirs(dt_join(dir, "c"));
    make(dt_join(dir, "c/bad.png"));
    ml_dataset *ds = (ml_dataset *)&ds;
    ml_status st = ml_dataset_load_images(&ds, dir, 4, 1);
    if (st != ML_OK)
        ck_assert_ptr_null(ds);
    ml_dataset_free(ds);
    return st;
}

static void make_text(const char *path)
{
    dt_write_text(path, "this is a text file, not a PNG\n");
}

static void make_truncated(const char *path)
{
    unsigned char px[64 * 64];
    for (int i = 0; i < 64 * 64; i++)
        px[i] = (unsigned char)(i * 7919 % 251);    /* incompressible-ish */
    dt_png_gray8(path, 64, 64, px);
    ck_assert(truncate(path, 200) == 0);
}

static void make_wide(const char *path)
{
    unsigned char px[16] = {0};
    dt_png_gray8(path, 4, 4, px);
    dt_png_patch_size(path, 100000, 100000);        /* libpng accepts, we refuse */
}

static void make_huge(const char *path)
{
    unsigned char px[16] = {0};
    dt_png_gray8(path, 4, 4, px);
    dt_png_patch_size(path, 0x7fffffffu, 4);         /* libpng itself refuses */
}

static void make_empty(const char *path)
{
    dt_write_bytes(path, "", 0);
}

START_TEST(test_damaged_files)
{
    void (*makers[])(const char *) = {make_text, make_truncated, make_wide, make_huge,
                                      make_empty};
    const char *what[] = {"text", "truncated", "100000 x 100000", "2^31 wide", "empty"};
    for (size_t k = 0; k < sizeof makers / sizeof makers[0]; k++) {
        char dir[1024];
        dt_mkdtemp(dir, sizeof dir);
        ml_status st = load_single(dir, makers[k]);
        ck_assert_msg(st == ML_ERR_FORMAT, "%s: status %d (%s)", what[k], (int)st,
                      ml_last_error());
        ck_assert_ptr_nonnull(strstr(ml_last_error(), "bad.png"));
        dt_rm_rf(dir);
    }
}
END_TEST

START_TEST(test_bad_arguments)
{
    ml_dataset *ds = (ml_dataset *)&ds;
    CHECK_STATUS(ml_dataset_load_images(&ds, "/nonexistent/ml-data-test", 28, 1),
                 ML_ERR_IO);
    ck_assert_ptr_null(ds);
    ck_assert_ptr_nonnull(strstr(ml_last_error(), "/nonexistent/ml-data-test"));
    CHECK_STATUS(ml_dataset_load_images(NULL, tree, 28, 1), ML_ERR_INVALID_ARG);
    CHECK_STATUS(ml_dataset_load_images(&ds, NULL, 28, 1), ML_ERR_INVALID_ARG);
    CHECK_STATUS(ml_dataset_load_images(&ds, tree, 0, 1), ML_ERR_INVALID_ARG);
    CHECK_STATUS(ml_dataset_load_images(&ds, tree, 1025, 1), ML_ERR_INVALID_ARG);
    /* A directory without PNG files; a file given as the directory. */
    char dir[1024];
    dt_mkdtemp(dir, sizeof dir);
    dt_mkdirs(dt_join(dir, "x/y"));
    dt_write_text(dt_join(dir, "x/readme.txt"), "hello");
    CHECK_STATUS(ml_dataset_load_images(&ds, dir, 28, 1), ML_ERR_FORMAT);
    CHECK_STATUS(ml_dataset_load_images(&ds, dt_join(dir, "x/readme.txt"), 28, 1),
                 ML_ERR_IO);
    dt_rm_rf(dir);
    /* An unreadable file (not testable as root, who reads everything). */
    if (geteuid() != 0) {
        dt_mkdtemp(dir, sizeof dir);
        dt_mkdirs(dt_join(dir, "c"));
        unsigned char px[4] = {0};
        dt_png_gray8(dt_join(dir, "c/1.png"), 2, 2, px);
        ck_assert(chmod(dt_join(dir, "c/1.png"), 0) == 0);
        CHECK_STATUS(ml_dataset_load_images(&ds, dir, 2, 1), ML_ERR_IO);
        dt_rm_rf(dir);
    }
}
END_TEST

START_TEST(test_out_of_memory)
{
    /* Every allocation failing in turn: ML_ERR_NOMEM, no crash, no leak
     * (valgrind and ASan runs check the latter). */
    int saw_nomem = 0;
    for (long k = 1; k < 100000; k++) {
        ml_dataset *ds;
        ml_alloc_fail_after(k);
        ml_status st = ml_dataset_load_images(&ds, tree, 2, 1);
        ml_alloc_fail_after(0);
        if (st == ML_OK) {
            ck_assert_uint_eq(ml_dataset_size(ds), N_IMAGES);
            ml_dataset_free(ds);
            break;
        }
        ck_assert_msg(st == ML_ERR_NOMEM, "failure %ld: %d (%s)", k, (int)st,
                      ml_last_error());
        ck_assert_ptr_null(ds);
        saw_nomem = 1;
    }
    ck_assert(saw_nomem);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("data_images");
    TCase *tc = tcase_create("images");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, build_tree, remove_tree);
    tcase_add_test(tc, test_layout_and_order);
    tcase_add_test(tc, test_invert_and_halve);
    tcase_add_test(tc, test_omniglot_sizes);
    tcase_add_test(tc, test_resize_direct);
    tcase_add_test(tc, test_transparency_on_white);
    tcase_add_test(tc, test_flat_and_root_layouts);
    tcase_add_test(tc, test_symlinks_and_depth);
    tcase_add_test(tc, test_damaged_files);
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_out_of_memory);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
