/* The table of op checks shared by test_ops_first.c and test_ops_second.c:
 * every op of autodiff/ad.h, with its shapes, argument variants and input
 * ranges (kept away from the points where an op is not differentiable). */
#ifndef TESTS_AUTODIFF_OP_CASES_H
#define TESTS_AUTODIFF_OP_CASES_H

#include "gradcheck.h"

typedef struct oc_in {
    int ndim;
    int shape[ML_AD_MAXDIM];
    float lo, hi;   /* uniform range; 0, 0: [-2, 2) */
    float margin;   /* keep |x| >= margin */
    int distinct;   /* a shuffled even grid over [lo, hi): no near ties
                       (max-pooling), the gap being (hi - lo) / size */
} oc_in;

typedef struct op_case {
    const char *name;
    int op;          /* the ml_ad_op under test (coverage check) */
    gc_fn fn;        /* builds gc_loss(op(inputs)) */
    int nin;
    oc_in in[GC_MAXIN];
    int arg[4];      /* op arguments: transposes, axis, start, len/total;
                        conv: stride, pad, then K or H, W; pool: size */
    int tndim;       /* target shape: sum_to, expand, reshape */
    int tshape[ML_AD_MAXDIM];
    int labels[8];   /* softmax_ce */
    double eps, tol; /* first-order finite differences; 0: defaults */
    double eps2;     /* step of the HVP check; 0: default */
} op_case;

extern const op_case oc_cases[];
extern const int oc_ncases;

/* Allocates and fills the inputs of case c from a fixed seed. */
void oc_setup(const op_case *c, gc_input *in);
void oc_free(const op_case *c, gc_input *in);

#endif
