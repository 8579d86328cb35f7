/* Tests of the random number generator (lib/core/rng.c). */
#include "core/rng.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* For hot loops: ck_assert records a checkpoint on every success (a pipe
 * write under fork mode), far too slow for 10^5 iterations in valgrind. */
#define REQUIRE(cond)                                                    \
    do {                                                                 \
        if (!(cond))                                                     \
            ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #cond);        \
    } while (0)

START_TEST(test_same_seed_same_stream)
{
    ml_rng a, b;
    ml_rng_seed(&a, 42);
    ml_rng_seed(&b, 42);
    for (int i = 0; i < 1000; i++)
        REQUIRE(ml_rng_next(&a) == ml_rng_next(&b));
    /* ... through every derived draw as well. */
    for (int i = 0; i < 100; i++) {
        REQUIRE(ml_rng_uniform(&a) == ml_rng_uniform(&b));
        REQUIRE(ml_rng_normal(&a) == ml_rng_normal(&b));
        REQUIRE(ml_rng_below(&a, 17) == ml_rng_below(&b, 17));
    }
    /* Reseeding restarts the stream. */
    ml_rng_seed(&a, 7);
    uint64_t first = ml_rng_next(&a);
    ml_rng_next(&a);
    ml_rng_seed(&a, 7);
    ck_assert_uint_eq(ml_rng_next(&a), first);
}
END_TEST

START_TEST(test_different_seeds_differ)
{
    static const uint64_t seeds[] = {0, 1, 2, 42, 0xFFFFFFFFFFFFFFFFULL};
    enum { NS = sizeof seeds / sizeof seeds[0], K = 8 };
    uint64_t out[NS][K];
    for (int s = 0; s < NS; s++) {
        ml_rng r;
        ml_rng_seed(&r, seeds[s]);
        /* Seed 0 must not give the all-zero (stuck) state. */
        ck_assert(r.s[0] | r.s[1] | r.s[2] | r.s[3]);
        for (int k = 0; k < K; k++)
            out[s][k] = ml_rng_next(&r);
    }
    for (int s = 0; s < NS; s++)
        for (int u = s + 1; u < NS; u++) {
            int same = 0;
            for (int k = 0; k < K; k++)
                same += out[s][k] == out[u][k];
            ck_assert_msg(same == 0, "seeds %d and %d share %d outputs", s, u,
                          same);
        }
}
END_TEST

START_TEST(test_uniform_unit_interval)
{
    enum { N = 100000 };
    ml_rng r;
    ml_rng_seed(&r, 1234);
    double sum = 0.0, mn = 1.0, mx = 0.0;
    int bins[10] = {0};
    for (int i = 0; i < N; i++) {
        float u = ml_rng_uniform(&r);
        REQUIRE(u >= 0.0f && u < 1.0f);
        /* 24 random bits: an exact multiple of 2^-24. */
        float scaled = u * 16777216.0f;
        REQUIRE(scaled == floorf(scaled));
        sum += u;
        mn = u < mn ? u : mn;
        mx = u > mx ? u : mx;
        bins[(int)(u * 10.0f)]++;
    }
    ck_assert_double_eq_tol(sum / N, 0.5, 0.01);
    ck_assert(mn < 1e-3 && mx > 1.0 - 1e-3);
    double chi2 = 0.0;
    for (int b = 0; b < 10; b++) {
        double d = bins[b] - N / 10.0;
        chi2 += d * d / (N / 10.0);
    }
    ck_assert_msg(chi2 < 40.0, "uniform chi2 %g over 9 dof", chi2);
}
END_TEST

START_TEST(test_range_half_open)
{
    ml_rng r;
    ml_rng_seed(&r, 99);
    double sum = 0.0;
    for (int i = 0; i < 20000; i++) {
        float v = ml_rng_range(&r, -3.0f, 5.0f);
        REQUIRE(v >= -3.0f && v < 5.0f);
        sum += v;
    }
    ck_assert_double_eq_tol(sum / 20000, 1.0, 0.1);
    /* An interval one ulp wide: rounding would land on hi about half the
     * time; the result must stay in [lo, hi), i.e. be lo. */
    float lo = 1.0f, hi = nextafterf(1.0f, 2.0f);
    for (int i = 0; i < 1000; i++)
        REQUIRE(ml_rng_range(&r, lo, hi) == lo);
    lo = 1000.0f;
    hi = nextafterf(lo, 2000.0f);
    for (int i = 0; i < 1000; i++) {
        float v = ml_rng_range(&r, lo, hi);
        REQUIRE(v >= lo && v < hi);
    }
    for (int i = 0; i < 1000; i++) {
        float v = ml_rng_range(&r, -1e30f, 1e30f);
        REQUIRE(v >= -1e30f && v < 1e30f);
    }
}
END_TEST

static double chi2_below(ml_rng *r, uint32_t n, int draws, int *counts)
{
    memset(counts, 0, n * sizeof *counts);
    for (int i = 0; i < draws; i++) {
        uint32_t v = ml_rng_below(r, n);
        REQUIRE(v < n);
        counts[v]++;
    }
    double e = (double)draws / n, chi2 = 0.0;
    for (uint32_t k = 0; k < n; k++)
        chi2 += (counts[k] - e) * (counts[k] - e) / e;
    return chi2;
}

START_TEST(test_below_unbiased)
{
    ml_rng r;
    ml_rng_seed(&r, 2024);
    int counts[64];
    for (int i = 0; i < 100; i++)
        REQUIRE(ml_rng_below(&r, 1) == 0);
    /* chi-square with n-1 dof: mean n-1, sd sqrt(2(n-1)); bounds are loose
     * (about 6 sd) and the seed is fixed. */
    static const uint32_t ns[] = {2, 3, 7, 10, 64};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        uint32_t n = ns[i];
        double chi2 = chi2_below(&r, n, 50000, counts);
        double bound = (n - 1) + 6.0 * sqrt(2.0 * (n - 1)) + 5.0;
        ck_assert_msg(chi2 < bound, "below(%u): chi2 %g >= %g", n, chi2, bound);
        for (uint32_t k = 0; k < n; k++)
            ck_assert_int_gt(counts[k], 0);
    }
    /* A large n where shortcuts are badly biased, n = 3 * 2^30:
     * - a 32-bit x % n puts half the mass below 2^30 instead of a third;
     * - multiply-shift without the rejection step (floor(3x / 4)) gives
     *   multiples of 3 half the time instead of a third. */
    uint32_t big = 3u << 30;
    int low = 0, mult3 = 0;
    for (int i = 0; i < 30000; i++) {
        uint32_t v = ml_rng_below(&r, big);
        REQUIRE(v < big);
        low += v < (1u << 30);
        mult3 += v % 3 == 0;
    }
    ck_assert_double_eq_tol(low / 30000.0, 1.0 / 3.0, 0.02);
    ck_assert_double_eq_tol(mult3 / 30000.0, 1.0 / 3.0, 0.02);
    /* The largest n. */
    for (int i = 0; i < 1000; i++)
        REQUIRE(ml_rng_below(&r, 0xFFFFFFFFu) < 0xFFFFFFFFu);
}
END_TEST

START_TEST(test_normal_moments)
{
    enum { N = 100000 };
    ml_rng r;
    ml_rng_seed(&r, 31337);
    double s = 0.0, s2 = 0.0, s4 = 0.0;
    int beyond2 = 0;
    for (int i = 0; i < N; i++) {
        float x = ml_rng_normal(&r);
        REQUIRE(isfinite(x));
        s += x;
        s2 += (double)x * x;
        s4 += (double)x * x * x * x;
        beyond2 += fabsf(x) > 2.0f;
    }
    double mean = s / N, var = s2 / N - mean * mean;
    /* sd of the mean 0.0032, of the variance 0.0045. */
    ck_assert_msg(fabs(mean) < 0.02, "normal mean %g", mean);
    ck_assert_msg(fabs(var - 1.0) < 0.03, "normal variance %g", var);
    ck_assert_msg(fabs(s4 / N - 3.0) < 0.15, "normal 4th moment %g", s4 / N);
    /* P(|x| > 2) = 0.0455 */
    ck_assert_double_eq_tol(beyond2 / (double)N, 0.0455, 0.005);
}
END_TEST

static int is_permutation(const int *v, int n)
{
    char seen[256] = {0};
    for (int i = 0; i < n; i++) {
        if (v[i] < 0 || v[i] >= n || seen[v[i]])
            return 0;
        seen[v[i]] = 1;
    }
    return 1;
}

START_TEST(test_shuffle_permutation)
{
    ml_rng r;
    ml_rng_seed(&r, 5);
    int v[200];
    for (int i = 0; i < 200; i++)
        v[i] = i;
    int moved = 0;
    for (int round = 0; round < 20; round++) {
        ml_rng_shuffle(&r, v, 200);
        REQUIRE(is_permutation(v, 200));
    }
    for (int i = 0; i < 200; i++)
        moved += v[i] != i;
    ck_assert_int_gt(moved, 150);
    /* n = 0 and 1 are no-ops. */
    int one = 9;
    ml_rng_shuffle(&r, &one, 1);
    ck_assert_int_eq(one, 9);
    ml_rng_shuffle(&r, NULL, 0);
    /* All 6 orders of 3 elements, about equally often. */
    int count[3][3][3] = {{{0}}};
    enum { M = 30000 };
    for (int i = 0; i < M; i++) {
        int w[3] = {0, 1, 2};
        ml_rng_shuffle(&r, w, 3);
        REQUIRE(is_permutation(w, 3));
        count[w[0]][w[1]][w[2]]++;
    }
    double chi2 = 0.0;
    int perms = 0;
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++)
            for (int c = 0; c < 3; c++)
                if (a != b && b != c && a != c) {
                    double d = count[a][b][c] - M / 6.0;
                    chi2 += d * d / (M / 6.0);
                    perms++;
                }
    ck_assert_int_eq(perms, 6);
    ck_assert_msg(chi2 < 30.0, "shuffle chi2 %g over 5 dof", chi2);
    /* Same seed, same shuffle. */
    ml_rng a, b;
    ml_rng_seed(&a, 77);
    ml_rng_seed(&b, 77);
    int x[50], y[50];
    for (int i = 0; i < 50; i++)
        x[i] = y[i] = i;
    ml_rng_shuffle(&a, x, 50);
    ml_rng_shuffle(&b, y, 50);
    ck_assert_mem_eq(x, y, sizeof x);
}
END_TEST

START_TEST(test_copy_resumes)
{
    ml_rng r;
    ml_rng_seed(&r, 123456789);
    for (int i = 0; i < 37; i++)
        ml_rng_next(&r);
    ml_rng saved = r; /* the four words are the whole state */
    uint64_t a[64];
    float f[16];
    for (int i = 0; i < 64; i++)
        a[i] = ml_rng_next(&r);
    for (int i = 0; i < 16; i++)
        f[i] = ml_rng_normal(&r);
    ml_rng copy;
    memcpy(&copy, &saved, sizeof copy);
    for (int i = 0; i < 64; i++)
        REQUIRE(ml_rng_next(&copy) == a[i]);
    for (int i = 0; i < 16; i++)
        REQUIRE(ml_rng_normal(&copy) == f[i]);
}
END_TEST

static Suite *rng_suite(void)
{
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("rng");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_same_seed_same_stream);
    tcase_add_test(tc, test_different_seeds_differ);
    tcase_add_test(tc, test_uniform_unit_interval);
    tcase_add_test(tc, test_range_half_open);
    tcase_add_test(tc, test_below_unbiased);
    tcase_add_test(tc, test_normal_moments);
    tcase_add_test(tc, test_shuffle_permutation);
    tcase_add_test(tc, test_copy_resumes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(rng_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
