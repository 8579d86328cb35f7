/* Tests of the arena allocator (lib/core/arena.c). */
#include "core/alloc.h"
#include "core/arena.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* For hot loops: ck_assert records a checkpoint on every success (a pipe
 * write under fork mode), far too slow for big loops in valgrind. */
#define REQUIRE(cond)                                                    \
    do {                                                                 \
        if (!(cond))                                                     \
            ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #cond);        \
    } while (0)

static void teardown(void)
{
    ml_alloc_fail_after(0); /* never leak failure injection into a test */
}

static int aligned(const void *p)
{
    return ((uintptr_t)p % ML_ARENA_ALIGN) == 0;
}

static size_t round_up(size_t n)
{
    size_t r = (n + ML_ARENA_ALIGN - 1) / ML_ARENA_ALIGN * ML_ARENA_ALIGN;
    return r ? r : ML_ARENA_ALIGN;
}

START_TEST(test_init_empty)
{
    ml_arena a;
    ml_arena_init(&a);
    ck_assert_ptr_null(a.head);
    ck_assert_uint_eq(a.used, 0);
    ck_assert_uint_eq(a.capacity, 0);
    ck_assert_uint_eq(a.peak, 0);
    ml_arena_reset(&a); /* reset and release of an empty arena are no-ops */
    ck_assert_uint_eq(a.capacity, 0);
    ml_arena_release(&a);
    ml_arena_release(&a);
    ck_assert_ptr_null(a.head);
}
END_TEST

START_TEST(test_alignment)
{
    static const size_t sizes[] = {1, 3, 63, 64, 65, 100, 127, 128, 0, 1000,
                                   4096, 7, 70000, 5};
    ml_arena a;
    ml_arena_init(&a);
    size_t expect_used = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *p = ml_arena_alloc(&a, sizes[i]);
        ck_assert_ptr_nonnull(p);
        ck_assert_msg(aligned(p), "allocation %zu of %zu bytes at %p", i,
                      sizes[i], (void *)p);
        memset(p, 0xA5, sizes[i]); /* the whole request is writable */
        expect_used += round_up(sizes[i]);
        ck_assert_uint_eq(a.used, expect_used);
        ck_assert_uint_ge(a.capacity, a.used);
    }
    ck_assert_uint_eq(a.peak, expect_used);
    ml_arena_release(&a);
}
END_TEST

/* Many allocations of varying sizes, each filled with its own pattern: no
 * two overlap, every one stays intact. */
START_TEST(test_many_allocations)
{
    enum { N = 5000 };
    unsigned char **p = malloc(N * sizeof *p);
    size_t *n = malloc(N * sizeof *n);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(n);
    ml_arena a;
    ml_arena_init(&a);
    size_t total = 0;
    for (int i = 0; i < N; i++) {
        n[i] = 1 + (size_t)((i * 7919) % 300);
        p[i] = ml_arena_alloc(&a, n[i]);
        REQUIRE(p[i] != NULL);
        REQUIRE(aligned(p[i]));
        memset(p[i], i & 0xFF, n[i]);
        total += round_up(n[i]);
    }
    ck_assert_uint_eq(a.used, total);
    ck_assert_uint_ge(a.capacity, total);
    for (int i = 0; i < N; i++)
        for (size_t j = 0; j < n[i]; j++)
            if (p[i][j] != (unsigned char)(i & 0xFF))
                ck_abort_msg("allocation %d byte %zu overwritten", i, j);
    ml_arena_release(&a);
    ck_assert_uint_eq(a.capacity, 0);
    free(p);
    free(n);
}
END_TEST

/* With one block, a reset hands out the same memory again. */
START_TEST(test_reset_reuses)
{
    ml_arena a;
    ml_arena_init(&a);
    void *p1 = ml_arena_alloc(&a, 100);
    void *p2 = ml_arena_alloc(&a, 200);
    ck_assert_ptr_nonnull(p1);
    ck_assert_ptr_nonnull(p2);
    size_t cap = a.capacity;
    ml_arena_reset(&a);
    ck_assert_uint_eq(a.used, 0);
    ck_assert_uint_eq(a.capacity, cap);
    long before = ml_alloc_count();
    void *q1 = ml_arena_alloc(&a, 100);
    void *q2 = ml_arena_alloc(&a, 200);
    ck_assert_ptr_eq(q1, p1);
    ck_assert_ptr_eq(q2, p2);
    ck_assert_int_eq(ml_alloc_count(), before); /* no malloc */
    ml_arena_release(&a);
}
END_TEST

static void big_round(ml_arena *a, int n, size_t bytes)
{
    for (int i = 0; i < n; i++) {
        unsigned char *p = ml_arena_alloc(a, bytes);
        ck_assert_ptr_nonnull(p);
        ck_assert(aligned(p));
        memset(p, 0x5A, bytes);
    }
}

/* A computation that needed several blocks leaves one block holding its
 * peak: repeating it does no malloc and the capacity stays put. */
START_TEST(test_reset_coalesces)
{
    enum { N = 12, BYTES = 30000 };
    ml_arena a;
    ml_arena_init(&a);
    long c0 = ml_alloc_count();
    big_round(&a, N, BYTES);
    ck_assert_int_gt(ml_alloc_count() - c0, 1); /* needed several blocks */
    size_t peak = a.peak;
    ck_assert_uint_eq(peak, N * round_up(BYTES));
    ck_assert_uint_gt(a.capacity, peak); /* blocks leave slack */

    ml_arena_reset(&a);
    ck_assert_uint_eq(a.used, 0);
    ck_assert_uint_eq(a.capacity, peak); /* exactly one block of the peak */
    ck_assert_uint_eq(a.peak, peak);

    for (int round = 0; round < 5; round++) {
        long before = ml_alloc_count();
        big_round(&a, N, BYTES);
        ck_assert_int_eq(ml_alloc_count(), before);
        ck_assert_uint_eq(a.capacity, peak);
        ck_assert_uint_eq(a.used, peak);
        ml_arena_reset(&a);
        ck_assert_uint_eq(a.capacity, peak);
    }

    /* A smaller computation fits in the same block. */
    long before = ml_alloc_count();
    big_round(&a, N / 2, BYTES);
    ck_assert_int_eq(ml_alloc_count(), before);
    ml_arena_reset(&a);
    ck_assert_uint_eq(a.capacity, peak);

    /* A larger one grows once, then is stable again. */
    big_round(&a, 2 * N, BYTES);
    ml_arena_reset(&a);
    size_t cap2 = a.capacity;
    ck_assert_uint_eq(cap2, 2 * N * round_up(BYTES));
    before = ml_alloc_count();
    big_round(&a, 2 * N, BYTES);
    ml_arena_reset(&a);
    ck_assert_int_eq(ml_alloc_count(), before);
    ck_assert_uint_eq(a.capacity, cap2);
    ml_arena_release(&a);
}
END_TEST

START_TEST(test_release_frees)
{
    ml_arena a;
    ml_arena_init(&a);
    big_round(&a, 8, 40000);
    ck_assert_uint_gt(a.capacity, 0);
    ml_arena_release(&a);
    ck_assert_ptr_null(a.head);
    ck_assert_uint_eq(a.used, 0);
    ck_assert_uint_eq(a.capacity, 0);
    ck_assert_uint_eq(a.peak, 0);
    /* Usable again after a release. */
    void *p = ml_arena_alloc(&a, 10);
    ck_assert_ptr_nonnull(p);
    ml_arena_release(&a);
    /* valgrind/ASan report any block left behind. */
}
END_TEST

/* The first allocation needs a block: failing it returns NULL and leaves the
 * arena empty and usable. */
START_TEST(test_fail_first_block)
{
    ml_arena a;
    ml_arena_init(&a);
    ml_alloc_fail_after(1);
    ck_assert_ptr_null(ml_arena_alloc(&a, 100));
    ck_assert_ptr_null(a.head);
    ck_assert_uint_eq(a.used, 0);
    ck_assert_uint_eq(a.capacity, 0);
    /* The injected failure was one-shot. */
    void *p = ml_arena_alloc(&a, 100);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(a.used, round_up(100));
    ml_arena_release(&a);
}
END_TEST

/* A failure when a further block is needed keeps what was allocated. */
START_TEST(test_fail_later_block)
{
    ml_arena a;
    ml_arena_init(&a);
    unsigned char *p = ml_arena_alloc(&a, 50000);
    ck_assert_ptr_nonnull(p);
    memset(p, 7, 50000);
    size_t used = a.used, cap = a.capacity;
    void *small = ml_arena_alloc(&a, 64); /* still fits: no malloc */
    ck_assert_ptr_nonnull(small);
    used = a.used;
    ml_alloc_fail_after(1);
    ck_assert_ptr_null(ml_arena_alloc(&a, 50000));
    ck_assert_uint_eq(a.used, used);
    ck_assert_uint_eq(a.capacity, cap);
    ml_alloc_fail_after(0);
    for (int i = 0; i < 50000; i++)
        REQUIRE(p[i] == 7);
    void *q = ml_arena_alloc(&a, 50000);
    ck_assert_ptr_nonnull(q);
    ml_arena_release(&a);
}
END_TEST

/* Failure injection at every allocation of a sequence that needs several
 * blocks: every failing call returns NULL, nothing leaks (valgrind). */
START_TEST(test_fail_every_point)
{
    for (long k = 1; k <= 6; k++) {
        ml_arena a;
        ml_arena_init(&a);
        ml_alloc_fail_after(k);
        int failed = 0;
        for (int i = 0; i < 10; i++) {
            unsigned char *p = ml_arena_alloc(&a, 40000);
            if (!p) {
                failed++;
                continue;
            }
            ck_assert(aligned(p));
            memset(p, 1, 40000);
        }
        ml_alloc_fail_after(0);
        ck_assert_int_le(failed, 1);
        ck_assert_uint_le(a.used, a.capacity);
        ml_arena_release(&a);
    }
}
END_TEST

/* The reset that coalesces blocks allocates: if that fails the arena is
 * left empty but consistent and usable. */
START_TEST(test_fail_coalesce)
{
    ml_arena a;
    ml_arena_init(&a);
    big_round(&a, 6, 40000);
    ml_alloc_fail_after(1);
    ml_arena_reset(&a);
    ml_alloc_fail_after(0);
    ck_assert_uint_eq(a.used, 0);
    ck_assert_ptr_null(a.head);
    ck_assert_uint_eq(a.capacity, 0);
    big_round(&a, 6, 40000);
    ml_arena_reset(&a);
    ck_assert_uint_eq(a.capacity, a.peak);
    ml_arena_release(&a);
}
END_TEST

/* Requests whose rounded size or block size overflow size_t must fail
 * instead of returning a too-small block.  (Sizes just below the overflow
 * would reach malloc, which ASan turns into an abort by default, so they
 * are not tried here.) */
START_TEST(test_huge_request)
{
    ml_arena a;
    ml_arena_init(&a);
    ck_assert_ptr_null(ml_arena_alloc(&a, SIZE_MAX));
    ck_assert_ptr_null(ml_arena_alloc(&a, SIZE_MAX - 3));
    ck_assert_ptr_null(ml_arena_alloc(&a, SIZE_MAX - 100));
    ck_assert_ptr_null(ml_arena_alloc(&a, SIZE_MAX - ML_ARENA_ALIGN));
    ck_assert_uint_eq(a.used, 0);
    ck_assert_uint_eq(a.capacity, 0);
    void *p = ml_arena_alloc(&a, 8);
    ck_assert_ptr_nonnull(p);
    ml_arena_release(&a);
}
END_TEST

static Suite *arena_suite(void)
{
    Suite *s = suite_create("arena");
    TCase *tc = tcase_create("arena");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_init_empty);
    tcase_add_test(tc, test_alignment);
    tcase_add_test(tc, test_many_allocations);
    tcase_add_test(tc, test_reset_reuses);
    tcase_add_test(tc, test_reset_coalesces);
    tcase_add_test(tc, test_release_frees);
    tcase_add_test(tc, test_fail_first_block);
    tcase_add_test(tc, test_fail_later_block);
    tcase_add_test(tc, test_fail_every_point);
    tcase_add_test(tc, test_fail_coalesce);
    tcase_add_test(tc, test_huge_request);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(arena_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
