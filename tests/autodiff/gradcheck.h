/* Finite-difference checks of the autodiff engine (tests only).
 *
 * The engine computes in float32; the checks evaluate it in float32 and
 * compare in double.  A check builds a scalar loss from input leaves with a
 * callback, then compares
 *   - first order: ml_ad_grad (create_graph = 0 and = 1) against central
 *     differences of the loss for every input element;
 *   - second order: the Hessian-vector product Hv, computed by
 *     differentiating sum_k <grad_k, v_k> (create_graph = 1 then 0), against
 *     central differences of the engine's first-order gradient along v
 *     (all inputs perturbed together, so mixed terms are included).
 * The tolerance is mixed: |a - n| <= tol * max(floor, |a|, |n|). */
#ifndef TESTS_AUTODIFF_GRADCHECK_H
#define TESTS_AUTODIFF_GRADCHECK_H

#include "autodiff/ad.h"
#include "core/rng.h"

#include <stddef.h>
#include <stdint.h>

#define GC_MAXIN 4

/* Builds the scalar loss from the input leaves in[0..nin-1]. */
typedef ml_ad_node *(*gc_fn)(ml_ad_tape *t, ml_ad_node **in, void *ctx);

/* One input: caller-owned values, perturbed in place and restored. */
typedef struct gc_input {
    int ndim;
    int shape[ML_AD_MAXDIM];
    float *data;
} gc_input;

typedef struct gc_opts {
    double eps;      /* finite-difference step; 0: 1e-2 */
    double tol;      /* relative tolerance; 0: 2e-2 */
    double floor;    /* absolute scale of the tolerance; 0: 0.1 */
    double min_abs;  /* fail unless max |analytic| >= this (catches a check
                        that passes because everything is zero); 0: off */
    uint64_t seed;   /* for the direction v of the HVP; 0: a fixed default */
} gc_opts;

typedef struct gc_result {
    int ok;
    int checked;     /* elements compared */
    double max_err;  /* max |a - n| / max(floor, |a|, |n|) */
    double max_abs;  /* max |analytic| */
    char msg[512];
} gc_result;

gc_result gc_check_first(gc_fn fn, void *ctx, int nin, gc_input *in,
                         const gc_opts *opts);
gc_result gc_check_hvp(gc_fn fn, void *ctx, int nin, gc_input *in,
                       const gc_opts *opts);

/* A non-trivial scalar loss of any tensor y:
 *   L = sum(w * y) + 0.5 * sum(y^2)
 * with w a fixed pseudo-random constant (the same for every call with the
 * same size), so that the HVP of a linear op is not zero. */
ml_ad_node *gc_loss(ml_ad_tape *t, ml_ad_node *y);

/* Fills x[0..n-1] uniformly from [lo, hi) while keeping |x| >= margin
 * (values closer to 0 are pushed out to +-margin...). */
void gc_fill(ml_rng *r, float *x, size_t n, float lo, float hi, float margin);

/* The number of elements of an input. */
size_t gc_size(const gc_input *in);

/* A ck_assert on a gc_result, printing its message. */
#define GC_ASSERT(expr)                                                  \
    do {                                                                 \
        gc_result gc_r_ = (expr);                                        \
        ck_assert_msg(gc_r_.ok, "%s", gc_r_.msg);                        \
    } while (0)

#endif
