/* Tests of ml_sgemm (lib/core/blas.c) and its small-product kernel
 * (lib/core/blas_small.c) against a double-precision reference: every
 * transpose case, sizes around the kernel's register blocks (16 columns a
 * register, up to 8 rows a tile) and its special cases (one column, one
 * term, a transposed B copied), leading dimensions larger than the rows,
 * alpha and beta (beta = 0 must not read C). */
#include "core/blas.h"
#include "core/rng.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* For hot loops: ck_assert records a checkpoint on every success. */
#define REQUIRE(cond, ...)                                               \
    do {                                                                 \
        if (!(cond))                                                     \
            ck_abort_msg(__VA_ARGS__);                                   \
    } while (0)

static float frand(ml_rng *r)
{
    return ml_rng_range(r, -1.0f, 1.0f);
}

/* C = alpha op(A) op(B) + beta C in double, then compared with ml_sgemm's
 * float result within a bound on the rounding of k products. */
static void check_case(int ta, int tb, int m, int n, int k, float alpha, float beta,
                       int pad)
{
    ml_rng r;
    ml_rng_seed(&r, (uint64_t)(ta + 2 * tb + 4 * m + 400 * n + 40000 * k));
    int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
    int arows = ta ? k : m, brows = tb ? n : k;
    float *a = malloc((size_t)arows * (size_t)lda * sizeof *a);
    float *b = malloc((size_t)brows * (size_t)ldb * sizeof *b);
    float *c = malloc((size_t)m * (size_t)ldc * sizeof *c);
    double *want = malloc((size_t)m * (size_t)ldc * sizeof *want);
    ck_assert(a && b && c && want);
    for (int i = 0; i < arows * lda; i++)
        a[i] = frand(&r);
    for (int i = 0; i < brows * ldb; i++)
        b[i] = frand(&r);
    for (int i = 0; i < m * ldc; i++)
        c[i] = beta == 0.0f ? NAN : frand(&r); /* beta 0: never read */
    for (int i = 0; i < m; i++)
        for (int j = 0; j < ldc; j++) {
            double s = 0.0;
            for (int p = 0; p < k && j < n; p++)
                s += (double)(ta ? a[p * lda + i] : a[i * lda + p]) *
                     (double)(tb ? b[j * ldb + p] : b[p * ldb + j]);
            double old = c[i * ldc + j];
            want[i * ldc + j] = j >= n ? old : alpha * s + (beta == 0.0f ? 0.0 : beta * old);
        }
    ml_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    double tol = 1e-6 * (k + 2);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < ldc; j++) {
            double got = c[i * ldc + j], w = want[i * ldc + j];
            if (j >= n) /* the padding is left alone */
                REQUIRE(got == w || (isnan(got) && isnan(w)),
                        "%c%c %dx%dx%d: padding (%d, %d) written", ta ? 't' : 'n',
                        tb ? 't' : 'n', m, n, k, i, j);
            else
                REQUIRE(fabs(got - w) <= tol * (1.0 + fabs(w)),
                        "%c%c %dx%dx%d alpha %g beta %g pad %d: C[%d, %d] = %.9g, want %.9g",
                        ta ? 't' : 'n', tb ? 't' : 'n', m, n, k, alpha, beta, pad, i, j,
                        got, w);
        }
    free(a);
    free(b);
    free(c);
    free(want);
}

static const int SIZES[] = {1, 2, 3, 5, 7, 8, 9, 10, 15, 16, 17, 31, 33, 40, 48, 49, 65};
enum { NS = sizeof SIZES / sizeof SIZES[0] };

/* _i: the transpose case (0 nn, 1 tn, 2 nt, 3 tt). */
START_TEST(test_small_products)
{
    int ta = _i & 1, tb = _i >> 1;
    for (int im = 0; im < NS; im++)
        for (int in = 0; in < NS; in++)
            for (int ik = 0; ik < NS; ik += 4)
                check_case(ta, tb, SIZES[im], SIZES[in], SIZES[ik], 1.0f, 0.0f, 0);
}
END_TEST

START_TEST(test_alpha_beta_padding)
{
    int ta = _i & 1, tb = _i >> 1;
    const float ab[][2] = {{1.0f, 1.0f}, {1.0f, -0.5f}, {-2.0f, 0.0f}, {0.5f, 3.0f}};
    for (int q = 0; q < 4; q++)
        for (int pad = 0; pad <= 3; pad += 3) {
            check_case(ta, tb, 10, 40, 40, ab[q][0], ab[q][1], pad);
            check_case(ta, tb, 40, 40, 10, ab[q][0], ab[q][1], pad);
            check_case(ta, tb, 10, 1, 40, ab[q][0], ab[q][1], pad);
            check_case(ta, tb, 40, 1, 10, ab[q][0], ab[q][1], pad);
            check_case(ta, tb, 10, 40, 1, ab[q][0], ab[q][1], pad);
            check_case(ta, tb, 1, 40, 10, ab[q][0], ab[q][1], pad);
            check_case(ta, tb, 250, 40, 40, ab[q][0], ab[q][1], pad);
        }
}
END_TEST

/* Around and beyond the small kernel's limits: the BLAS takes over. */
START_TEST(test_large_products)
{
    int ta = _i & 1, tb = _i >> 1;
    check_case(ta, tb, 100, 70, 90, 1.0f, 0.0f, 1);
    check_case(ta, tb, 128, 128, 128, 1.0f, 1.0f, 0);
    check_case(ta, tb, 129, 128, 128, 1.0f, 0.0f, 0);
    /* Conv-4 products (layer 3 forward, Winograd groups); the size limit
     * (ML_SGEMM_SMALL_MAX = 256^3) and one past it; a transposed B of
     * exactly PACK_MAX (8192) floats and one more */
    check_case(ta, tb, 64, 245, 576, 1.0f, 0.0f, 0);
    check_case(ta, tb, 64, 98, 64, 1.0f, 1.0f, 1);
    check_case(ta, tb, 256, 256, 256, 1.0f, 0.0f, 0);
    check_case(ta, tb, 257, 256, 256, 1.0f, 0.0f, 0);
    check_case(ta, tb, 20, 64, 128, 1.0f, 0.0f, 0);
    check_case(ta, tb, 20, 64, 129, 1.0f, 0.0f, 0);
    check_case(ta, tb, 300, 1, 40, 1.0f, 0.0f, 2);
    check_case(ta, tb, 20, 300, 30, 1.0f, 0.0f, 0);
}
END_TEST

/* The small kernel (where the CPU has it) gives the same bits twice, and
 * row i of C does not depend on the other rows: each element is summed
 * in increasing order of the inner index whatever the blocking. */
START_TEST(test_small_rows_independent)
{
    int ta = _i & 1, tb = _i >> 1;
    enum { M = 25, N = 40, K = 40 };
    ml_rng r;
    ml_rng_seed(&r, 31);
    float a[M * K], b[K * N], c1[M * N], c2[M * N], row[N];
    for (int i = 0; i < M * K; i++)
        a[i] = frand(&r);
    for (int i = 0; i < K * N; i++)
        b[i] = frand(&r);
    int lda = ta ? M : K, ldb = tb ? K : N;
    if (!ml_sgemm_small(ta, tb, M, N, K, 1.0f, a, lda, b, ldb, 0.0f, c1, N))
        return; /* no small kernel on this CPU: the BLAS computes it all */
    ck_assert(ml_sgemm_small(ta, tb, M, N, K, 1.0f, a, lda, b, ldb, 0.0f, c2, N));
    ck_assert_mem_eq(c1, c2, sizeof c1);
    for (int i = 0; i < M; i++) {
        /* row i of op(A): a + i lda (stride 1), or a + i (stride M) */
        float ai[K];
        for (int p = 0; p < K; p++)
            ai[p] = ta ? a[p * M + i] : a[i * K + p];
        ck_assert(ml_sgemm_small(0, tb, 1, N, K, 1.0f, ai, K, b, ldb, 0.0f, row, N));
        ck_assert_mem_eq(row, c1 + i * N, sizeof row);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("blas");
    TCase *tc = tcase_create("sgemm");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_small_products, 0, 4);
    tcase_add_loop_test(tc, test_alpha_beta_padding, 0, 4);
    tcase_add_loop_test(tc, test_large_products, 0, 4);
    tcase_add_loop_test(tc, test_small_rows_independent, 0, 4);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
