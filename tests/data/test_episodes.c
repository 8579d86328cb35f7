/* ml_dataset_create / ml_dataset_get, and the episode sampler: sizes,
 * labels, distinctness, reproducibility, rotations, shifts, errors. */
#include "datatest.h"

#include "core/alloc.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Example e of class c has x = {c, e, c * 1000 + e, 0.5}: the first two
 * floats identify it, whatever the sampler did. */
enum { CLASSES = 10, PER_CLASS = 20, DIM = 4 };

static ml_dataset *make_dataset(size_t classes, size_t per_class)
{
    size_t n = classes * per_class;
    float *x = malloc(n * DIM * sizeof *x);
    int *labels = malloc(n * sizeof *labels);
    ck_assert(x && labels);
    /* Interleaved: example i is of class i % classes. */
    for (size_t i = 0; i < n; i++) {
        size_t c = i % classes, e = i / classes;
        labels[i] = (int)c;
        x[i * DIM] = (float)c;
        x[i * DIM + 1] = (float)e;
        x[i * DIM + 2] = (float)(c * 1000 + e);
        x[i * DIM + 3] = 0.5f;
    }
    ml_dataset *ds;
    ck_assert_int_eq(ml_dataset_create(&ds, n, 1, (size_t[]){DIM}, x, labels), ML_OK);
    free(x);
    free(labels);
    return ds;
}

START_TEST(test_create_and_get)
{
    const float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const int labels[4] = {10, 2, 10, 9};
    ml_dataset *ds;
    CHECK_STATUS(ml_dataset_create(&ds, 4, 2, (size_t[]){1, 2}, x, labels), ML_OK);
    ck_assert_uint_eq(ml_dataset_size(ds), 4);
    ck_assert_uint_eq(ml_dataset_input_size(ds), 2);
    ck_assert_uint_eq(ml_dataset_num_classes(ds), 3);
    /* Classes in numeric order of their labels: "2", "9", "10". */
    ck_assert_str_eq(ml_dataset_class_name(ds, 0), "2");
    ck_assert_str_eq(ml_dataset_class_name(ds, 1), "9");
    ck_assert_str_eq(ml_dataset_class_name(ds, 2), "10");
    ck_assert_str_eq(ml_dataset_class_group(ds, 2), "");
    ck_assert_ptr_null(ml_dataset_class_name(ds, 3));
    const int want[4] = {2, 0, 2, 1};
    for (size_t i = 0; i < 4; i++) {
        float y[2];
        int label;
        CHECK_STATUS(ml_dataset_get(ds, i, y, 2, &label), ML_OK);
        ck_assert_int_eq(label, want[i]);
        ck_assert(y[0] == x[2 * i] && y[1] == x[2 * i + 1]);
    }
    size_t ndim = 0, shape[3] = {0};
    CHECK_STATUS(ml_dataset_shape(ds, &ndim, shape), ML_OK);
    ck_assert(ndim == 2 && shape[0] == 1 && shape[1] == 2);
    /* get errors, with the handle's message. */
    float y[3];
    CHECK_STATUS(ml_dataset_get(ds, 4, y, 2, NULL), ML_ERR_RANGE);
    ck_assert_ptr_nonnull(strstr(ml_dataset_last_error(ds), "example 4"));
    CHECK_STATUS(ml_dataset_get(ds, 0, y, 3, NULL), ML_ERR_SHAPE);
    CHECK_STATUS(ml_dataset_get(ds, 0, NULL, 2, NULL), ML_ERR_INVALID_ARG);
    CHECK_STATUS(ml_dataset_get(NULL, 0, y, 2, NULL), ML_ERR_INVALID_ARG);
    CHECK_STATUS(ml_dataset_shape(ds, NULL, shape), ML_ERR_INVALID_ARG);
    CHECK_STATUS(ml_dataset_shape(NULL, &ndim, shape), ML_ERR_INVALID_ARG);
    ml_dataset_free(ds);
    /* NULL handles. */
    ck_assert_uint_eq(ml_dataset_size(NULL), 0);
    ck_assert_uint_eq(ml_dataset_num_classes(NULL), 0);
    ck_assert_uint_eq(ml_dataset_input_size(NULL), 0);
    ck_assert_ptr_null(ml_dataset_class_name(NULL, 0));
    ck_assert_ptr_null(ml_dataset_class_group(NULL, 0));
    ck_assert_str_eq(ml_dataset_last_error(NULL), "");
    ml_dataset_free(NULL);
}
END_TEST

START_TEST(test_create_errors)
{
    const float x[4] = {1, 2, 3, 4};
    const int labels[2] = {0, 1};
    const size_t shape[3] = {2, 1, 1};
    ml_dataset *ds = (ml_dataset *)&ds;
    CHECK_STATUS(ml_dataset_create(NULL, 2, 1, shape, x, labels), ML_ERR_INVALID_ARG);
    CHECK_STATUS(ml_dataset_create(&ds, 2, 1, NULL, x, labels), ML_ERR_INVALID_ARG);
    ck_assert_ptr_null(ds);
    CHECK_STATUS(ml_dataset_create(&ds, 2, 1, shape, NULL, labels), ML_ERR_INVALID_ARG);
    CHECK_STATUS(ml_dataset_create(&ds, 2, 1, shape, x, NULL), ML_ERR_INVALID_ARG);
    CHECK_STATUS(ml_dataset_create(&ds, 0, 1, shape, x, labels), ML_ERR_INVALID_ARG);
    CHECK_STATUS(ml_dataset_create(&ds, 2, 0, shape, x, labels), ML_ERR_INVALID_ARG);
    CHECK_STATUS(ml_dataset_create(&ds, 2, 4, shape, x, labels), ML_ERR_INVALID_ARG);
    CHECK_STATUS(ml_dataset_create(&ds, 2, 2, (size_t[]){2, 0}, x, labels),
                 ML_ERR_INVALID_ARG);
    CHECK_STATUS(ml_dataset_create(&ds, 2, 1, (size_t[]){SIZE_MAX}, x, labels),
                 ML_ERR_INVALID_ARG);
    CHECK_STATUS(ml_dataset_create(&ds, 2, 1, shape, x, (int[]){0, -1}), ML_ERR_INVALID_ARG);
    CHECK_STATUS(ml_dataset_create(&ds, 2, 1, shape, (float[]){1, 2, NAN, 4}, labels),
                 ML_ERR_NUMERIC);
    CHECK_STATUS(ml_dataset_create(&ds, 2, 1, shape, (float[]){1, 2, 3, INFINITY}, labels),
                 ML_ERR_NUMERIC);
    ck_assert_ptr_null(ds);
    /* Out of memory at every allocation in turn. */
    for (long k = 1; k < 100; k++) {
        ml_alloc_fail_after(k);
        ml_status st = ml_dataset_create(&ds, 2, 3, shape, x, labels);
        ml_alloc_fail_after(0);
        if (st == ML_OK) {
            ml_dataset_free(ds);
            break;
        }
        ck_assert_int_eq(st, ML_ERR_NOMEM);
        ck_assert_ptr_null(ds);
    }
}
END_TEST

/* All floats of a task half. */
static float *inputs(const ml_task *t, ml_set set)
{
    size_t n = ml_task_size(t, set) * ml_task_input_size(t);
    float *x = malloc((n ? n : 1) * sizeof *x);
    ck_assert(x != NULL);
    ck_assert_int_eq(ml_task_get_inputs(t, set, x, n), ML_OK);
    return x;
}

static int *labels_of(const ml_task *t, ml_set set)
{
    size_t n = ml_task_size(t, set);
    int *l = malloc((n ? n : 1) * sizeof *l);
    ck_assert(l != NULL);
    ck_assert_int_eq(ml_task_get_labels(t, set, l, n), ML_OK);
    return l;
}

/* Checks one episode drawn from make_dataset(): shapes, labels class by
 * class, one source class per label, distinct classes, distinct examples. */
static void check_episode(const ml_task *t, size_t ways, size_t shots, size_t queries)
{
    ck_assert_uint_eq(ml_task_num_ways(t), ways);
    ck_assert_uint_eq(ml_task_output_size(t), ways);
    ck_assert_uint_eq(ml_task_input_size(t), DIM);
    ck_assert_uint_eq(ml_task_size(t, ML_SUPPORT), ways * shots);
    ck_assert_uint_eq(ml_task_size(t, ML_QUERY), ways * queries);
    int source[64];
    unsigned char seen[CLASSES][PER_CLASS];
    memset(seen, 0, sizeof seen);
    for (int h = 0; h < 2; h++) {
        size_t per = h == 0 ? shots : queries;
        float *x = inputs(t, (ml_set)h);
        int *l = labels_of(t, (ml_set)h);
        for (size_t i = 0; i < ways * per; i++) {
            REQUIRE(l[i] == (int)(i / per));            /* class by class */
            int c = (int)x[i * DIM], e = (int)x[i * DIM + 1];
            REQUIRE(x[i * DIM + 2] == (float)(c * 1000 + e));
            if (h == 0 && i % per == 0)
                source[l[i]] = c;
            REQUIRE(source[l[i]] == c);                 /* one class per label */
            REQUIRE(!seen[c][e]);                       /* support, query disjoint */
            seen[c][e] = 1;
        }
        free(x);
        free(l);
    }
    for (size_t a = 0; a < ways; a++)
        for (size_t b = a + 1; b < ways; b++)
            REQUIRE(source[a] != source[b]);            /* distinct classes */
}

START_TEST(test_defaults_and_sizes)
{
    ml_dataset *ds = make_dataset(CLASSES, PER_CLASS);
    ml_sampler *sp;
    CHECK_STATUS(ml_sampler_create_episodes(&sp, ds, 7), ML_OK);
    double v;
    CHECK_STATUS(ml_sampler_get(sp, ML_SAMPLER_WAYS, &v), ML_OK);
    ck_assert(v == 5);
    CHECK_STATUS(ml_sampler_get(sp, ML_SAMPLER_SHOTS, &v), ML_OK);
    ck_assert(v == 1);
    CHECK_STATUS(ml_sampler_get(sp, ML_SAMPLER_QUERIES, &v), ML_OK);
    ck_assert(v == 15);
    CHECK_STATUS(ml_sampler_get(sp, ML_SAMPLER_ROTATIONS, &v), ML_OK);
    ck_assert(v == 0);
    CHECK_STATUS(ml_sampler_get(sp, ML_SAMPLER_AMP_MIN, &v), ML_ERR_INVALID_ARG);
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_AMP_MIN, 1), ML_ERR_INVALID_ARG);
    /* The data set may go first: the sampler holds its own reference. */
    ml_dataset_free(ds);
    const size_t cases[][3] = {{5, 1, 15}, {10, 5, 15}, {3, 2, 0}, {1, 20, 0}, {2, 1, 19}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_WAYS, (double)cases[k][0]), ML_OK);
        CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_SHOTS, (double)cases[k][1]), ML_OK);
        CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_QUERIES, (double)cases[k][2]), ML_OK);
        for (int r = 0; r < 20; r++) {
            ml_task *t;
            CHECK_STATUS(ml_sampler_sample(sp, &t), ML_OK);
            check_episode(t, cases[k][0], cases[k][1], cases[k][2]);
            ml_task_free(t);
        }
    }
    ml_sampler_free(sp);
}
END_TEST

static int same_task(const ml_task *a, const ml_task *b)
{
    int same = 1;
    for (int h = 0; h < 2; h++) {
        size_t n = ml_task_size(a, (ml_set)h);
        float *xa = inputs(a, (ml_set)h), *xb = inputs(b, (ml_set)h);
        int *la = labels_of(a, (ml_set)h), *lb = labels_of(b, (ml_set)h);
        same = same && n == ml_task_size(b, (ml_set)h) &&
               !memcmp(xa, xb, n * DIM * sizeof *xa) && !memcmp(la, lb, n * sizeof *la);
        free(xa);
        free(xb);
        free(la);
        free(lb);
    }
    return same;
}

START_TEST(test_reproducible)
{
    ml_dataset *ds = make_dataset(CLASSES, PER_CLASS);
    ml_sampler *a, *b, *c;
    CHECK_STATUS(ml_sampler_create_episodes(&a, ds, 123), ML_OK);
    CHECK_STATUS(ml_sampler_create_episodes(&b, ds, 123), ML_OK);
    CHECK_STATUS(ml_sampler_create_episodes(&c, ds, 124), ML_OK);
    ml_task *first = NULL;
    int differ = 0;
    for (int r = 0; r < 10; r++) {
        ml_task *ta, *tb, *tc;
        CHECK_STATUS(ml_sampler_sample(a, &ta), ML_OK);
        CHECK_STATUS(ml_sampler_sample(b, &tb), ML_OK);
        CHECK_STATUS(ml_sampler_sample(c, &tc), ML_OK);
        ck_assert(same_task(ta, tb));
        differ += !same_task(ta, tc);
        if (r == 0)
            first = ta;
        else
            ml_task_free(ta);
        ml_task_free(tb);
        ml_task_free(tc);
    }
    ck_assert_int_ge(differ, 9);
    /* Reseeding restarts the stream. */
    CHECK_STATUS(ml_sampler_reseed(a, 123), ML_OK);
    ml_task *again;
    CHECK_STATUS(ml_sampler_sample(a, &again), ML_OK);
    ck_assert(same_task(first, again));
    ml_task_free(first);
    ml_task_free(again);
    ml_sampler_free(a);
    ml_sampler_free(b);
    ml_sampler_free(c);
    ml_dataset_free(ds);
}
END_TEST

START_TEST(test_too_few)
{
    ml_dataset *ds = make_dataset(CLASSES, PER_CLASS);
    ml_sampler *sp;
    CHECK_STATUS(ml_sampler_create_episodes(&sp, ds, 1), ML_OK);
    ml_task *t = (ml_task *)&t;
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_WAYS, 11), ML_OK);
    CHECK_STATUS(ml_sampler_sample(sp, &t), ML_ERR_INVALID_ARG);
    ck_assert_ptr_null(t);
    ck_assert_ptr_nonnull(strstr(ml_sampler_last_error(sp), "11-way"));
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_WAYS, 5), ML_OK);
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_SHOTS, 6), ML_OK);   /* 6 + 15 > 20 */
    CHECK_STATUS(ml_sampler_sample(sp, &t), ML_ERR_INVALID_ARG);
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_SHOTS, 5), ML_OK);   /* exactly 20 */
    CHECK_STATUS(ml_sampler_sample(sp, &t), ML_OK);
    ml_task_free(t);
    ml_sampler_free(sp);
    ml_dataset_free(ds);
    /* Classes of uneven sizes: only the large enough ones are drawn. */
    const float x[6] = {0, 1, 1, 2, 2, 2};
    const int labels[6] = {0, 1, 1, 2, 2, 2};
    CHECK_STATUS(ml_dataset_create(&ds, 6, 1, (size_t[]){1}, x, labels), ML_OK);
    CHECK_STATUS(ml_sampler_create_episodes(&sp, ds, 1), ML_OK);
    ml_dataset_free(ds);
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_QUERIES, 1), ML_OK);
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_WAYS, 2), ML_OK);
    for (int r = 0; r < 20; r++) {
        CHECK_STATUS(ml_sampler_sample(sp, &t), ML_OK);
        float s[2];
        CHECK_STATUS(ml_task_get_inputs(t, ML_SUPPORT, s, 2), ML_OK);
        ck_assert(s[0] != 0 && s[1] != 0);          /* class 0 has one example */
        ml_task_free(t);
    }
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_QUERIES, 2), ML_OK);
    CHECK_STATUS(ml_sampler_sample(sp, &t), ML_ERR_INVALID_ARG);
    ml_sampler_free(sp);
    CHECK_STATUS(ml_sampler_create_episodes(NULL, NULL, 1), ML_ERR_INVALID_ARG);
    CHECK_STATUS(ml_sampler_create_episodes(&sp, NULL, 1), ML_ERR_INVALID_ARG);
    ck_assert_ptr_null(sp);
}
END_TEST

/* One 3x3 example per channel: channel k holds 10 k + (1..9). */
START_TEST(test_rotations)
{
    float img[18];
    for (int k = 0; k < 2; k++)
        for (int p = 0; p < 9; p++)
            img[k * 9 + p] = (float)(10 * k + p + 1);
    ml_dataset *ds;
    CHECK_STATUS(ml_dataset_create(&ds, 1, 3, (size_t[]){2, 3, 3}, img, (int[]){0}), ML_OK);
    ml_sampler *sp;
    CHECK_STATUS(ml_sampler_create_episodes(&sp, ds, 5), ML_OK);
    ml_dataset_free(ds);
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_QUERIES, 0), ML_OK);
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_WAYS, 4), ML_OK);
    ml_task *t;
    CHECK_STATUS(ml_sampler_sample(sp, &t), ML_ERR_INVALID_ARG);    /* one class */
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_ROTATIONS, 2), ML_ERR_INVALID_ARG);
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_ROTATIONS, 0.5), ML_ERR_INVALID_ARG);
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_ROTATIONS, 1), ML_OK);
    double v;
    CHECK_STATUS(ml_sampler_get(sp, ML_SAMPLER_ROTATIONS, &v), ML_OK);
    ck_assert(v == 1);
    /* By hand, counter-clockwise: 1 2 3 / 4 5 6 / 7 8 9 turned 90 degrees
     * is 3 6 9 / 2 5 8 / 1 4 7; 180 is 9..1; 270 is 7 4 1 / 8 5 2 / 9 6 3. */
    const float rot[4][9] = {{1, 2, 3, 4, 5, 6, 7, 8, 9},
                             {3, 6, 9, 2, 5, 8, 1, 4, 7},
                             {9, 8, 7, 6, 5, 4, 3, 2, 1},
                             {7, 4, 1, 8, 5, 2, 9, 6, 3}};
    for (int r = 0; r < 5; r++) {
        CHECK_STATUS(ml_sampler_sample(sp, &t), ML_OK);
        ck_assert_uint_eq(ml_task_size(t, ML_SUPPORT), 4);
        float x[4 * 18];
        CHECK_STATUS(ml_task_get_inputs(t, ML_SUPPORT, x, 4 * 18), ML_OK);
        int found[4] = {0};
        for (int i = 0; i < 4; i++)
            for (int q = 0; q < 4; q++) {
                int match = 1;
                for (int k = 0; k < 2; k++)
                    for (int p = 0; p < 9; p++)
                        match &= x[i * 18 + k * 9 + p] == rot[q][p] + 10 * k;
                found[q] += match;
            }
        for (int q = 0; q < 4; q++)
            ck_assert_msg(found[q] == 1, "rotation %d found %d times", 90 * q, found[q]);
        ml_task_free(t);
    }
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_WAYS, 5), ML_OK);
    CHECK_STATUS(ml_sampler_sample(sp, &t), ML_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(ml_sampler_last_error(sp), "rotations"));
    ml_sampler_free(sp);
    /* 10 classes give 40 with rotations; rank-2 square images work. */
    ds = make_dataset(CLASSES, PER_CLASS);
    ml_dataset *sq;
    float *x = malloc(200 * 4 * sizeof *x);
    int *l = malloc(200 * sizeof *l);
    ck_assert(x && l);
    for (size_t i = 0; i < 200; i++)
        CHECK_STATUS(ml_dataset_get(ds, i, x + 4 * i, 4, &l[i]), ML_OK);
    CHECK_STATUS(ml_dataset_create(&sq, 200, 2, (size_t[]){2, 2}, x, l), ML_OK);
    free(x);
    free(l);
    CHECK_STATUS(ml_sampler_create_episodes(&sp, sq, 5), ML_OK);
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_ROTATIONS, 1), ML_OK);
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_WAYS, 40), ML_OK);
    CHECK_STATUS(ml_sampler_sample(sp, &t), ML_OK);
    ml_task_free(t);
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_WAYS, 41), ML_OK);
    CHECK_STATUS(ml_sampler_sample(sp, &t), ML_ERR_INVALID_ARG);
    ml_sampler_free(sp);
    ml_dataset_free(sq);
    /* Not square, or not an image: rotations refused. */
    CHECK_STATUS(ml_sampler_create_episodes(&sp, ds, 5), ML_OK);      /* rank 1 */
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_ROTATIONS, 1), ML_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(ml_sampler_last_error(sp), "square"));
    ml_sampler_free(sp);
    ml_dataset_free(ds);
    float six[6] = {0};
    CHECK_STATUS(ml_dataset_create(&ds, 1, 3, (size_t[]){1, 2, 3}, six, (int[]){0}), ML_OK);
    CHECK_STATUS(ml_sampler_create_episodes(&sp, ds, 5), ML_OK);
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_ROTATIONS, 1), ML_ERR_INVALID_ARG);
    ml_sampler_free(sp);
    ml_dataset_free(ds);
}
END_TEST

/* Shifts: 5x5 images of two channels whose pixels are all distinct
 * (channel k, row i, column j holds 100 k + 5 i + j + 1), so any nonzero
 * output pixel tells which input pixel it came from. */
enum { SIDE = 5 };

static float pixel(int k, int i, int j)
{
    return (float)(100 * k + SIDE * i + j + 1);
}

/* The (dy, dx) the example x was moved by, checked at every pixel:
 * x[k][i][j] = pixel(k, i - dy, j - dx), 0 where that is off the image. */
static void shift_of(const float *x, int *dy, int *dx)
{
    int found = 0;
    for (int p = 0; p < SIDE * SIDE && !found; p++)
        if (x[p] != 0.0f) {
            const int v = (int)x[p] - 1;
            *dy = p / SIDE - v / SIDE;
            *dx = p % SIDE - v % SIDE;
            found = 1;
        }
    ck_assert_msg(found, "an all-zero example");
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < SIDE; i++)
            for (int j = 0; j < SIDE; j++) {
                const int y = i - *dy, xx = j - *dx;
                const float want = y >= 0 && y < SIDE && xx >= 0 && xx < SIDE
                                       ? pixel(k, y, xx) : 0.0f;
                ck_assert_msg(x[k * SIDE * SIDE + i * SIDE + j] == want,
                              "shift (%d, %d): channel %d (%d, %d) is %g, want %g", *dy,
                              *dx, k, i, j, (double)x[k * SIDE * SIDE + i * SIDE + j],
                              (double)want);
            }
}

static ml_sampler *shift_sampler(uint64_t seed)
{
    enum { N = 8 };  /* 4 classes of 2 identical examples */
    float img[N * 2 * SIDE * SIDE];
    int labels[N];
    for (int e = 0; e < N; e++) {
        labels[e] = e % 4;
        for (int k = 0; k < 2; k++)
            for (int i = 0; i < SIDE; i++)
                for (int j = 0; j < SIDE; j++)
                    img[(e * 2 + k) * SIDE * SIDE + i * SIDE + j] = pixel(k, i, j);
    }
    ml_dataset *ds;
    CHECK_STATUS(ml_dataset_create(&ds, N, 3, (size_t[]){2, SIDE, SIDE}, img, labels),
                 ML_OK);
    ml_sampler *sp;
    CHECK_STATUS(ml_sampler_create_episodes(&sp, ds, seed), ML_OK);
    ml_dataset_free(ds);
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_WAYS, 4), ML_OK);
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_QUERIES, 1), ML_OK);
    return sp;
}

/* Every example of n episodes: its shift within -S..S in both directions;
 * counts[(dy + S) (2 S + 1) + dx + S] incremented. */
static void sample_shifts(ml_sampler *sp, int n, int S, int *counts)
{
    enum { D = 2 * SIDE * SIDE };
    for (int r = 0; r < n; r++) {
        ml_task *t;
        CHECK_STATUS(ml_sampler_sample(sp, &t), ML_OK);
        for (int half = 0; half < 2; half++) {
            const ml_set set = half ? ML_QUERY : ML_SUPPORT;
            float x[4 * D];
            CHECK_STATUS(ml_task_get_inputs(t, set, x, 4 * D), ML_OK);
            for (int i = 0; i < 4; i++) {
                int dy, dx;
                shift_of(x + i * D, &dy, &dx);
                ck_assert_msg(abs(dy) <= S && abs(dx) <= S, "shift (%d, %d) beyond %d", dy,
                              dx, S);
                counts[(dy + S) * (2 * S + 1) + dx + S]++;
            }
        }
        ml_task_free(t);
    }
}

START_TEST(test_shift)
{
    ml_sampler *sp = shift_sampler(7);
    double v = -1;
    CHECK_STATUS(ml_sampler_get(sp, ML_SAMPLER_SHIFT, &v), ML_OK);
    ck_assert(v == 0);
    const double bad[] = {-1, 0.5, SIDE, 1e300};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_SHIFT, bad[i]), ML_ERR_INVALID_ARG);
        ck_assert_ptr_nonnull(strstr(ml_sampler_last_error(sp), "shift"));
    }
    CHECK_STATUS(ml_sampler_get(sp, ML_SAMPLER_SHIFT, &v), ML_OK);
    ck_assert(v == 0);
    /* Unshifted (also after a shift was set back to 0): the examples as
     * stored. */
    int none[1] = {0};
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_SHIFT, 2), ML_OK);
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_SHIFT, 0), ML_OK);
    sample_shifts(sp, 10, 0, none);
    ck_assert_int_eq(none[0], 80);
    /* And without a shift the stream is not drawn on, so episodes are those
     * of the library before shifts existed: the examples (c 1000 + e) of
     * seed 7's first two 5-way 1-shot 1-query episodes, as printed by the
     * build of 14d00d7, here on 2x2 images of the same values. */
    ml_dataset *flat = make_dataset(CLASSES, PER_CLASS), *sq;
    float *xs = malloc(CLASSES * PER_CLASS * DIM * sizeof *xs);
    int *ls = malloc(CLASSES * PER_CLASS * sizeof *ls);
    ck_assert(xs && ls);
    for (size_t i = 0; i < CLASSES * PER_CLASS; i++)
        CHECK_STATUS(ml_dataset_get(flat, i, xs + DIM * i, DIM, &ls[i]), ML_OK);
    CHECK_STATUS(ml_dataset_create(&sq, CLASSES * PER_CLASS, 2, (size_t[]){2, 2}, xs, ls),
                 ML_OK);
    free(xs);
    free(ls);
    ml_dataset_free(flat);
    ml_sampler *pinned;
    CHECK_STATUS(ml_sampler_create_episodes(&pinned, sq, 7), ML_OK);
    ml_dataset_free(sq);
    CHECK_STATUS(ml_sampler_set(pinned, ML_SAMPLER_QUERIES, 1), ML_OK);
    CHECK_STATUS(ml_sampler_set(pinned, ML_SAMPLER_SHIFT, 1), ML_OK);
    CHECK_STATUS(ml_sampler_set(pinned, ML_SAMPLER_SHIFT, 0), ML_OK);
    const float want[2][2][5] = {{{7017, 3002, 8003, 9014, 1017}, {7002, 3008, 8011, 9018, 1009}},
                                 {{5003, 3013, 14, 4000, 1003}, {5013, 3006, 3, 4012, 1010}}};
    for (int r = 0; r < 2; r++) {
        ml_task *t;
        CHECK_STATUS(ml_sampler_sample(pinned, &t), ML_OK);
        for (int half = 0; half < 2; half++) {
            float x[5 * DIM];
            CHECK_STATUS(ml_task_get_inputs(t, half ? ML_QUERY : ML_SUPPORT, x, 5 * DIM),
                         ML_OK);
            for (int i = 0; i < 5; i++)
                ck_assert_msg(x[i * DIM + 2] == want[r][half][i],
                              "episode %d, %s %d: example %g, before shifts %g", r,
                              half ? "query" : "support", i, (double)x[i * DIM + 2],
                              (double)want[r][half][i]);
        }
        ml_task_free(t);
    }
    ml_sampler_free(pinned);
    /* Shift 2: every offset of the 5 x 5 turns up over 100 episodes (800
     * examples, 32 expected each), both signs, zeros moving in. */
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_SHIFT, 2), ML_OK);
    CHECK_STATUS(ml_sampler_get(sp, ML_SAMPLER_SHIFT, &v), ML_OK);
    ck_assert(v == 2);
    int counts[25] = {0};
    sample_shifts(sp, 100, 2, counts);
    for (int q = 0; q < 25; q++)
        ck_assert_msg(counts[q] > 0, "offset (%d, %d) never drawn", q / 5 - 2, q % 5 - 2);
    /* The largest shift, side - 1, leaves one pixel of the image. */
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_SHIFT, SIDE - 1), ML_OK);
    int wide[81] = {0};
    sample_shifts(sp, 20, SIDE - 1, wide);
    /* Same seed, same shifted episodes. */
    ml_sampler *a = shift_sampler(3), *b = shift_sampler(3);
    CHECK_STATUS(ml_sampler_set(a, ML_SAMPLER_SHIFT, 1), ML_OK);
    CHECK_STATUS(ml_sampler_set(b, ML_SAMPLER_SHIFT, 1), ML_OK);
    for (int r = 0; r < 3; r++) {
        ml_task *ta, *tb;
        CHECK_STATUS(ml_sampler_sample(a, &ta), ML_OK);
        CHECK_STATUS(ml_sampler_sample(b, &tb), ML_OK);
        float xa[8 * SIDE * SIDE * 4], xb[8 * SIDE * SIDE * 4];
        CHECK_STATUS(ml_task_get_inputs(ta, ML_SUPPORT, xa, 200), ML_OK);
        CHECK_STATUS(ml_task_get_inputs(tb, ML_SUPPORT, xb, 200), ML_OK);
        ck_assert(memcmp(xa, xb, 200 * sizeof(float)) == 0);
        ml_task_free(ta);
        ml_task_free(tb);
    }
    ml_sampler_free(a);
    ml_sampler_free(b);
    /* Out of memory for the scratch plane: refused, the shift kept. */
    ml_sampler *c = shift_sampler(3);
    ml_alloc_fail_after(1);
    CHECK_STATUS(ml_sampler_set(c, ML_SAMPLER_SHIFT, 1), ML_ERR_NOMEM);
    ml_alloc_fail_after(0);
    CHECK_STATUS(ml_sampler_get(c, ML_SAMPLER_SHIFT, &v), ML_OK);
    ck_assert(v == 0);
    ml_sampler_free(c);
    ml_sampler_free(sp);
    /* Not square, or not an image: refused. */
    ml_dataset *ds = make_dataset(CLASSES, PER_CLASS);
    CHECK_STATUS(ml_sampler_create_episodes(&sp, ds, 5), ML_OK);
    CHECK_STATUS(ml_sampler_set(sp, ML_SAMPLER_SHIFT, 1), ML_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(ml_sampler_last_error(sp), "square"));
    ml_sampler_free(sp);
    ml_dataset_free(ds);
}
END_TEST

static void *sample_and_free(void *arg)
{
    ml_sampler *sp = arg;
    for (int r = 0; r < 50; r++) {
        ml_task *t;
        if (ml_sampler_sample(sp, &t) != ML_OK)
            return arg;
        ml_task_free(t);
    }
    ml_sampler_free(sp);        /* the last of these frees the shared data */
    return NULL;
}

START_TEST(test_threads_share_data)
{
    enum { T = 4 };
    ml_dataset *ds = make_dataset(CLASSES, PER_CLASS);
    ml_sampler *sp[T];
    for (int i = 0; i < T; i++)
        CHECK_STATUS(ml_sampler_create_episodes(&sp[i], ds, (uint64_t)i), ML_OK);
    ml_dataset_free(ds);
    pthread_t th[T];
    for (int i = 0; i < T; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, sample_and_free, sp[i]), 0);
    for (int i = 0; i < T; i++) {
        void *ret;
        ck_assert_int_eq(pthread_join(th[i], &ret), 0);
        ck_assert_ptr_null(ret);
    }
}
END_TEST

START_TEST(test_out_of_memory)
{
    ml_dataset *ds = make_dataset(CLASSES, PER_CLASS);
    for (long k = 1; k < 100; k++) {
        ml_sampler *sp = NULL;
        ml_task *t = NULL;
        ml_alloc_fail_after(k);
        ml_status st = ml_sampler_create_episodes(&sp, ds, 1);
        if (st == ML_OK)
            st = ml_sampler_sample(sp, &t);
        ml_alloc_fail_after(0);
        ml_task_free(t);
        ml_sampler_free(sp);
        if (st == ML_OK)
            break;
        ck_assert_int_eq(st, ML_ERR_NOMEM);
    }
    ml_dataset_free(ds);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("data_episodes");
    TCase *tc = tcase_create("episodes");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_create_and_get);
    tcase_add_test(tc, test_create_errors);
    tcase_add_test(tc, test_defaults_and_sizes);
    tcase_add_test(tc, test_reproducible);
    tcase_add_test(tc, test_too_few);
    tcase_add_test(tc, test_rotations);
    tcase_add_test(tc, test_shift);
    tcase_add_test(tc, test_threads_share_data);
    tcase_add_test(tc, test_out_of_memory);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
