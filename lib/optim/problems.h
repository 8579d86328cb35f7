/* Families of optimisation problems for the learned optimiser: random
 * quadratics, a small MLP on a data set, and caller callbacks.  A family
 * is immutable after creation; a problem instance is made from a seed and
 * owned by whoever made it. */
#ifndef ML_OPTIM_PROBLEMS_H
#define ML_OPTIM_PROBLEMS_H

#include "autodiff/ad.h"
#include "metalearn.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ml_problems_ops {
    const char *name;
    /* A new instance for `seed` and its starting point theta0 [dim]. */
    ml_status (*sample)(const ml_problems *p, uint64_t seed, float *theta0, void **inst,
                        char *msg);
    /* Objective value and gradient [dim] at theta.  May advance the
     * instance (a stochastic objective draws its next mini-batch). */
    ml_status (*eval)(const ml_problems *p, void *inst, const float *theta, float *grad,
                      double *value, char *msg);
    /* The objective as a node of theta ([dim, 1] on the tape), for the
     * exact meta-gradient; NULL when the family cannot. */
    ml_ad_node *(*eval_graph)(const ml_problems *p, void *inst, ml_ad_tape *t,
                              ml_ad_node *theta);
    void (*release)(const ml_problems *p, void *inst);
    void (*destroy)(ml_problems *p);
} ml_problems_ops;

/* Reference-counted: an optimiser with problems in flight holds a
 * reference, so freeing the handle never pulls a family from under it. */
struct ml_problems {
    atomic_size_t refs;
    const ml_problems_ops *ops;
    size_t dim;
    void *impl;                /* the kind's own settings */
};

ml_status ml_problems_new(ml_problems **out, const ml_problems_ops *ops, size_t dim,
                          void *impl);

const ml_problems *ml_problems_ref(const ml_problems *p);
/* Drops one reference; the last frees the family.  NULL is a no-op. */
void ml_problems_unref(const ml_problems *p);

/* Instances for many seeds at once: all made, or none (*inst freed). */
ml_status ml_problems_sample_all(const ml_problems *p, size_t count, const uint64_t *seeds,
                                 float *theta0, void **inst, char *msg);
void ml_problems_release_all(const ml_problems *p, size_t count, void **inst);

extern const ml_problems_ops ml_problems_quadratic_ops, ml_problems_mlp_ops,
    ml_problems_callback_ops;

#endif
