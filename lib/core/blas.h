/* The one place the library calls BLAS: swap the backend here. */
#ifndef ML_CORE_BLAS_H
#define ML_CORE_BLAS_H

/* C[m x n] = alpha * op(A) op(B) + beta * C, row-major; op(A) is m x k,
 * op(B) is k x n; ta/tb non-zero means the stored matrix is transposed.
 * beta = 0 never reads C.  Small products (see ML_SGEMM_SMALL_MAX) take
 * ml_sgemm_small's kernel when the CPU has it, the rest the BLAS. */
void ml_sgemm(int ta, int tb, int m, int n, int k, float alpha,
              const float *a, int lda, const float *b, int ldb,
              float beta, float *c, int ldc);

/* Largest m n k sent to the small kernel (256^3).  Measured on an
 * AVX-512 Xeon against OpenBLAS 0.3.21 (one thread): 1.2-4 times faster
 * on the sine MLP's products (10x40 by 40x40 and the like, alone or 25
 * stacked), about 1.1-1.4 times up to 128x128x128.  On the AMD EPYC
 * (December 2026), at Conv-4's products (64 x 245 x 576, 256^3,
 * 512 x 512 x 64, 64 x 64 x 4096, even 128 x 1024 x 1024) the kernel ran
 * at 200-270 GFLOP/s: 1.1-1.4 times OpenBLAS with its AVX-512 kernels and
 * about 2 times with its Haswell ones; only with k = 16 (1024 x 1024 x 16)
 * was it 10% slower.  Beyond this the BLAS's cache blocking and its own
 * threads take over. */
#define ML_SGEMM_SMALL_MAX (256L * 256L * 256L)

/* The same product without the BLAS (lib/core/blas_small.c); returns 0,
 * computing nothing, when it does not handle the case (no AVX-512 on this
 * CPU, too large, k = 0). */
int ml_sgemm_small(int ta, int tb, int m, int n, int k, float alpha,
                   const float *a, int lda, const float *b, int ldb,
                   float beta, float *c, int ldc);

#endif
