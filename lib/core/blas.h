/* The one place the library calls BLAS: swap the backend here. */
#ifndef ML_CORE_BLAS_H
#define ML_CORE_BLAS_H

/* C[m x n] = alpha * op(A) op(B) + beta * C, row-major; op(A) is m x k,
 * op(B) is k x n; ta/tb non-zero means the stored matrix is transposed. */
void ml_sgemm(int ta, int tb, int m, int n, int k, float alpha,
              const float *a, int lda, const float *b, int ldb,
              float beta, float *c, int ldc);

#endif
