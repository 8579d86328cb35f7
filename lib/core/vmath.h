/* Branch-free float exp, sigmoid and tanh that compilers vectorise (libm's
 * calls do not), for loops over whole tensors.  Relative error a few ulp
 * (exp: range reduction by ln 2 in two parts and a degree-6 polynomial);
 * inputs are clamped, so +-inf give the limits; NaN propagates. */
#ifndef ML_CORE_VMATH_H
#define ML_CORE_VMATH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Inlined into the caller's loop even when it calls these five times
 * (a call would stop the vectoriser). */
#if defined(__GNUC__)
#define ML_VINLINE static inline __attribute__((always_inline))
#else
#define ML_VINLINE static inline
#endif

/* For functions holding elementwise loops: compiled for AVX-512 and AVX2
 * besides the baseline x86-64 (4-wide SSE), the widest the CPU runs picked
 * at load time (GCC's target_clones, an ifunc: ELF only; not with clang or
 * ThreadSanitizer).  Every version does the same IEEE operations on each
 * element (no FMA contraction under -std=c11), so the values do not depend
 * on the version. */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__ELF__) && \
    !defined(__SANITIZE_THREAD__) && !defined(__clang__)
#define ML_VCLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define ML_VCLONES
#endif

/* Index of the first NaN or infinity among x[0..n-1], n if none.  The
 * scan for "any" tests the exponent bits as integers, which vectorises
 * where isfinite() in a loop with an early exit does not; only a vector
 * that has one is searched again. */
ML_VINLINE size_t ml_vfirst_nonfinite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i += 64) {
        size_t end = n - i < 64 ? n : i + 64;
        uint32_t bad = 0;
        for (size_t j = i; j < end; j++) {
            uint32_t u;
            memcpy(&u, &x[j], sizeof u);
            bad |= (u & 0x7f800000u) == 0x7f800000u;
        }
        if (bad)
            for (size_t j = i; j < end; j++) {
                uint32_t u;
                memcpy(&u, &x[j], sizeof u);
                if ((u & 0x7f800000u) == 0x7f800000u)
                    return j;
            }
    }
    return n;
}

ML_VINLINE float ml_vexp(float in)
{
    /* NaN would reach the float-to-int conversion (undefined): use 0 and
     * return the NaN at the end. */
    float x = in == in ? in : 0.0f;
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    /* k = round(x / ln 2) by the 1.5 * 2^23 trick (no rounding calls) */
    const float magic = 12582912.0f;
    float k = (x * 1.44269504088896341f + magic) - magic;
    float r = x - k * 0.693145751953125f;
    r -= k * 1.428606765330187045e-6f;
    /* e^r on [-ln2/2, ln2/2] */
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    /* 2^k from its bits (a union: C11 allows the type pun) */
    union {
        int32_t i;
        float f;
    } s;
    s.i = ((int32_t)k + 127) << 23;
    return in == in ? p * s.f : in;
}

ML_VINLINE float ml_vsigmoid(float x)
{
    return 1.0f / (1.0f + ml_vexp(-x));
}

/* tanh x = sign(x) (1 - 2 / (e^{2|x|} + 1)), and its odd Taylor series
 * below 0.25 where the subtraction would lose relative accuracy. */
ML_VINLINE float ml_vtanh(float x)
{
    float a = x < 0 ? -x : x;
    float big = 1.0f - 2.0f / (ml_vexp(2.0f * a) + 1.0f);
    float a2 = a * a;
    float small = a * (1.0f + a2 * (-1.0f / 3.0f + a2 * (2.0f / 15.0f +
                                                        a2 * (-17.0f / 315.0f))));
    float v = a < 0.25f ? small : big;
    return x < 0 ? -v : v;
}

#endif
