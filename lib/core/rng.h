/* A seeded random number generator object (xoshiro256**, seeded through
 * splitmix64).  No global state: every user holds its own ml_rng, and its
 * four words are the whole state, so saving them resumes the stream. */
#ifndef ML_CORE_RNG_H
#define ML_CORE_RNG_H

#include <stdint.h>

typedef struct ml_rng {
    uint64_t s[4];
} ml_rng;

void ml_rng_seed(ml_rng *r, uint64_t seed);
uint64_t ml_rng_next(ml_rng *r);
/* Uniform in [0, 1) with 24 random bits (exactly representable floats). */
float ml_rng_uniform(ml_rng *r);
/* Uniform in [lo, hi). */
float ml_rng_range(ml_rng *r, float lo, float hi);
/* Standard normal, Box-Muller (two uniforms per draw, nothing cached). */
float ml_rng_normal(ml_rng *r);
/* Uniform integer in [0, n), unbiased; n > 0. */
uint32_t ml_rng_below(ml_rng *r, uint32_t n);
/* Fisher-Yates shuffle of n ints. */
void ml_rng_shuffle(ml_rng *r, int *v, int n);

#endif
