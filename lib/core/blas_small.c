/* Small matrix products without a BLAS call.
 *
 * The sine-regression MLP's products are tiny (10x40 by 40x40, 40x10 by
 * 10x40, vectors): OpenBLAS spends as long choosing and calling a kernel,
 * packing and unpacking as multiplying (0.3-0.6 us for 16,000
 * multiply-adds, 0.05-0.1 us for a 400-element product).  Here one
 * register-blocked AVX-512 kernel computes every small product with C held
 * in registers:
 *
 *   C[i, j] = alpha sum_p op(A)[i, p] op(B)[p, j] + beta C[i, j]
 *
 * vectorised along j (16 columns a register), MR rows of C at a time, each
 * op(A)[i, p] broadcast.  That needs op(B)'s rows contiguous: true when B
 * is not transposed; a transposed B is first copied transposed into a
 * buffer (8x8 blocks through AVX registers).  A transposed A needs
 * nothing: only its elements are read, one at a time.
 *
 * Each C[i, j] is summed over p in increasing order with one fused
 * multiply-add per term whatever the blocking (a product of one column of
 * C, op(A) not transposed: in 16 partial sums then added in a fixed
 * order), so it depends on the operands and the transpose flags only: not
 * on the other rows or columns, the alignment or the thread.  Results stay
 * bit-identical across thread counts; they differ from OpenBLAS's in the
 * last bits (another summation order).
 *
 * Only for x86-64 with GCC or Clang, and only when the CPU has AVX-512F
 * (checked once at run time); ml_sgemm_small returns 0 otherwise and the
 * caller uses the BLAS. */
#include "blas.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ML_SMALL_AVX512 1
#else
#define ML_SMALL_AVX512 0
#endif

#if ML_SMALL_AVX512

#include <immintrin.h>
#include <stdatomic.h>
#include <stddef.h>

#define TARGET __attribute__((target("avx2,fma,avx512f")))
#define INLINE __attribute__((always_inline)) inline
/* Fully unrolled loops over the accumulators: an array indexed in a loop
 * left rolled would live in memory, stored at every step. */
#define UNROLL _Pragma("GCC unroll 8")

enum {
    MR = 8,          /* most rows of C per tile */
    NVMAX = 3,       /* registers of 16 columns per tile */
    /* floats of a transposed B copied on the stack (32 KiB): Winograd's
     * filter-gradient products (B^T of 64 x 98) fit */
    PACK_MAX = 8192,
};

/* One mr x (16 nv) tile of C (mr <= MR rows, nv <= NVMAX registers, the
 * last one's lanes limited by `tail`).  op(A)[i, p] = a[i ars + p acs],
 * op(B)[p, j] = b[p brs + j].  mr and nv are constants at every call, so
 * the mr nv accumulators live in registers (at most 24 of the 32). */
TARGET static INLINE void tile(int mr, int nv, __mmask16 tail, int k,
                               const float *a, ptrdiff_t ars, ptrdiff_t acs,
                               const float *b, ptrdiff_t brs, float *c,
                               ptrdiff_t ldc, float alpha, float beta)
{
    __m512 acc[MR][NVMAX];
    UNROLL for (int r = 0; r < mr; r++)
        UNROLL for (int v = 0; v < nv; v++)
            acc[r][v] = _mm512_setzero_ps();
    for (int p = 0; p < k; p++) {
        const float *bp = b + p * brs, *ap = a + p * acs;
        __m512 bv[NVMAX];
        UNROLL for (int v = 0; v < nv; v++)
            bv[v] = v == nv - 1 ? _mm512_maskz_loadu_ps(tail, bp + 16 * v)
                                : _mm512_loadu_ps(bp + 16 * v);
        UNROLL for (int r = 0; r < mr; r++) {
            __m512 av = _mm512_set1_ps(ap[r * ars]);
            UNROLL for (int v = 0; v < nv; v++)
                acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
        }
    }
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    UNROLL for (int r = 0; r < mr; r++)
        UNROLL for (int v = 0; v < nv; v++) {
            float *cp = c + r * ldc + 16 * v;
            __mmask16 msk = v == nv - 1 ? tail : (__mmask16)0xFFFF;
            __m512 x = acc[r][v];
            if (alpha != 1.0f)
                x = _mm512_mul_ps(x, va);
            /* beta = 0: C is not read (it may hold anything, even NaN). */
            if (beta == 1.0f)
                x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(msk, cp));
            else if (beta != 0.0f)
                x = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(msk, cp), x);
            _mm512_mask_storeu_ps(cp, msk, x);
        }
}

/* The rows of one column chunk of nv registers, in blocks of nearly equal
 * size (10 rows: 5 + 5, not 8 + 2): a block of few rows has too few
 * independent accumulators to hide the multiply-add latency. */
#define TILE_CASE(MRV, NV)                                                     \
    case MRV:                                                                  \
        tile(MRV, NV, tail, k, ai, ars, acs, b, brs, ci, ldc, alpha, beta);    \
        break;
#define ROWS(NV)                                                               \
    TARGET static void rows_##NV(__mmask16 tail, int m, int k, const float *a, \
                                 ptrdiff_t ars, ptrdiff_t acs, const float *b, \
                                 ptrdiff_t brs, float *c, ptrdiff_t ldc,       \
                                 float alpha, float beta)                      \
    {                                                                          \
        int blocks = (m + MR - 1) / MR;                                        \
        for (int i = 0, q = 0; q < blocks; q++) {                              \
            int mr = (m - i) / (blocks - q);                                   \
            const float *ai = a + i * ars;                                     \
            float *ci = c + i * ldc;                                           \
            switch (mr) {                                                      \
                TILE_CASE(1, NV) TILE_CASE(2, NV) TILE_CASE(3, NV)             \
                TILE_CASE(4, NV) TILE_CASE(5, NV) TILE_CASE(6, NV)             \
                TILE_CASE(7, NV) TILE_CASE(8, NV)                              \
            default: break;                                                    \
            }                                                                  \
            i += mr;                                                           \
        }                                                                      \
    }
ROWS(1)
ROWS(2)
ROWS(3)

/* One column of C (n = 1): C[i] = alpha sum_p op(A)[i, p] x[p] + beta C[i]
 * with x = op(B)[:, 0] contiguous.  The tile kernel would use one lane of
 * 16 and wait on the multiply-add latency; instead, vectorised along i when
 * op(A)'s columns are contiguous (A transposed, C contiguous), else one dot
 * product per row (16 terms at a time, then the 16 partial sums added in a
 * fixed order). */
TARGET static void column(int ta, int m, int k, float alpha, const float *a,
                          ptrdiff_t lda, const float *x, float beta, float *c,
                          ptrdiff_t ldc)
{
    if (ta) {
        for (int i = 0; i < m; i += 16) {
            __mmask16 msk = m - i >= 16 ? (__mmask16)0xFFFF
                                        : (__mmask16)((1u << (m - i)) - 1u);
            __m512 acc = _mm512_setzero_ps();
            for (int p = 0; p < k; p++)
                acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(msk, a + p * lda + i),
                                      _mm512_set1_ps(x[p]), acc);
            if (alpha != 1.0f)
                acc = _mm512_mul_ps(acc, _mm512_set1_ps(alpha));
            if (beta != 0.0f)
                acc = _mm512_fmadd_ps(_mm512_set1_ps(beta),
                                      _mm512_maskz_loadu_ps(msk, c + i), acc);
            _mm512_mask_storeu_ps(c + i, msk, acc);
        }
        return;
    }
    for (int i = 0; i < m; i++) {
        __m512 acc = _mm512_setzero_ps();
        for (int p = 0; p < k; p += 16) {
            __mmask16 msk = k - p >= 16 ? (__mmask16)0xFFFF
                                        : (__mmask16)((1u << (k - p)) - 1u);
            acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(msk, a + i * lda + p),
                                  _mm512_maskz_loadu_ps(msk, x + p), acc);
        }
        float s = _mm512_reduce_add_ps(acc);
        if (alpha != 1.0f)
            s *= alpha;
        c[i * ldc] = beta == 0.0f ? s : s + beta * c[i * ldc];
    }
}

/* dst[p, j] = src[j, p] for j < n, p < k: 8x8 blocks through registers
 * (unpack, shuffle, swap 128-bit halves), the edges one by one. */
TARGET static void transpose(int n, int k, const float *src, ptrdiff_t lds,
                             float *dst, ptrdiff_t ldd)
{
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        int p = 0;
        for (; p + 8 <= k; p += 8) {
            const float *s = src + j * lds + p;
            __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + lds),
                   r2 = _mm256_loadu_ps(s + 2 * lds), r3 = _mm256_loadu_ps(s + 3 * lds),
                   r4 = _mm256_loadu_ps(s + 4 * lds), r5 = _mm256_loadu_ps(s + 5 * lds),
                   r6 = _mm256_loadu_ps(s + 6 * lds), r7 = _mm256_loadu_ps(s + 7 * lds);
            __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1),
                   t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3),
                   t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
                   t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
            __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE),
                   u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE),
                   u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE),
                   u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
            float *d = dst + p * ldd + j;
            _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
            _mm256_storeu_ps(d + ldd, _mm256_permute2f128_ps(u1, u5, 0x20));
            _mm256_storeu_ps(d + 2 * ldd, _mm256_permute2f128_ps(u2, u6, 0x20));
            _mm256_storeu_ps(d + 3 * ldd, _mm256_permute2f128_ps(u3, u7, 0x20));
            _mm256_storeu_ps(d + 4 * ldd, _mm256_permute2f128_ps(u0, u4, 0x31));
            _mm256_storeu_ps(d + 5 * ldd, _mm256_permute2f128_ps(u1, u5, 0x31));
            _mm256_storeu_ps(d + 6 * ldd, _mm256_permute2f128_ps(u2, u6, 0x31));
            _mm256_storeu_ps(d + 7 * ldd, _mm256_permute2f128_ps(u3, u7, 0x31));
        }
        for (; p < k; p++)
            for (int jj = j; jj < j + 8; jj++)
                dst[p * ldd + jj] = src[jj * lds + p];
    }
    for (; j < n; j++)
        for (int p = 0; p < k; p++)
            dst[p * ldd + j] = src[j * lds + p];
}

static int have_avx512(void)
{
    /* 0 unknown, 1 yes, 2 no; racing threads store the same answer. */
    static _Atomic int known;
    int k = atomic_load_explicit(&known, memory_order_relaxed);
    if (!k) {
        __builtin_cpu_init();
        k = __builtin_cpu_supports("avx512f") ? 1 : 2;
        atomic_store_explicit(&known, k, memory_order_relaxed);
    }
    return k == 1;
}

TARGET static void product(int m, int n, int k, float alpha, const float *a,
                           ptrdiff_t ars, ptrdiff_t acs, const float *b,
                           ptrdiff_t brs, float beta, float *c, ptrdiff_t ldc)
{
    for (int j = 0; j < n; j += 16 * NVMAX) {
        int cols = n - j < 16 * NVMAX ? n - j : 16 * NVMAX;
        int nv = (cols + 15) / 16, last = cols - 16 * (nv - 1);
        __mmask16 tail = (__mmask16)((1u << last) - 1u);
        if (nv == 1)
            rows_1(tail, m, k, a, ars, acs, b + j, brs, c + j, ldc, alpha, beta);
        else if (nv == 2)
            rows_2(tail, m, k, a, ars, acs, b + j, brs, c + j, ldc, alpha, beta);
        else
            rows_3(tail, m, k, a, ars, acs, b + j, brs, c + j, ldc, alpha, beta);
    }
}

int ml_sgemm_small(int ta, int tb, int m, int n, int k, float alpha,
                   const float *a, int lda, const float *b, int ldb,
                   float beta, float *c, int ldc)
{
    if ((long)m * n * k > ML_SGEMM_SMALL_MAX || k < 1 || !have_avx512())
        return 0;
    ptrdiff_t ars = ta ? 1 : lda, acs = ta ? lda : 1;
    /* op(B) a contiguous column: b[p ldb] with ldb 1, or b[p] transposed.
     * Row by row (A not transposed), the dot products' final additions
     * make the BLAS faster beyond about 64 rows. */
    if (n == 1 && (tb || ldb == 1) && (!ta || ldc == 1)) {
        if (!ta && m > 64)
            return 0;
        column(ta, m, k, alpha, a, lda, b, beta, c, ldc);
        return 1;
    }
    /* op(B)[p, j] = b[p ldb + j]; transposed with one term (k = 1), the
     * row b[j ldb], contiguous when ldb is 1. */
    if (!tb || (k == 1 && ldb == 1)) {
        product(m, n, k, alpha, a, ars, acs, b, tb ? 0 : ldb, beta, c, ldc);
        return 1;
    }
    if ((long)n * k > PACK_MAX)
        return 0;
    float bt[PACK_MAX] __attribute__((aligned(64)));
    transpose(n, k, b, ldb, bt, n);
    product(m, n, k, alpha, a, ars, acs, bt, n, beta, c, ldc);
    return 1;
}

#else

int ml_sgemm_small(int ta, int tb, int m, int n, int k, float alpha,
                   const float *a, int lda, const float *b, int ldb,
                   float beta, float *c, int ldc)
{
    (void)ta, (void)tb, (void)m, (void)n, (void)k, (void)alpha, (void)a;
    (void)lda, (void)b, (void)ldb, (void)beta, (void)c, (void)ldc;
    return 0;
}

#endif
