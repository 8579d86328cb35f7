/* Helpers of the meta-learning tests: an independent double-precision
 * reference of the small MLPs the tests use (forward pass, losses,
 * back-propagation, inner-loop adaptation), tasks read back through the
 * public getters, tolerance checks and error-message probes.
 *
 * The reference shares no code with the library: it is plain C written
 * from the definitions (y = x W + b per dense layer, W stored [in, units]
 * row-major followed by b, an activation after every dense layer but the
 * last; MSE = mean over all outputs, cross-entropy = mean over rows). */
#ifndef METATEST_H
#define METATEST_H

#include "metalearn.h"

#include <stddef.h>

#define REF_MAX_LAYERS 6
#define REF_MAX_WIDTH 64

typedef struct ref_net {
    size_t n_in;
    size_t n_layers;                 /* dense layers */
    size_t sizes[REF_MAX_LAYERS];    /* units of each dense layer */
    int act;                         /* ML_LAYER_TANH, _RELU or _SIGMOID */
} ref_net;

/* A task copied out of an ml_task through the public getters. */
typedef struct ref_task {
    size_t in, out, ways;
    size_t n[2];
    double *x[2];
    double *y[2];                    /* regression */
    int *labels[2];                  /* classification */
} ref_task;

ref_net ref_mlp(size_t n_in, size_t n_layers, const size_t *sizes, int act);
size_t ref_num_params(const ref_net *net);
/* The same network as an ml_model (ml_model_create_mlp). */
ml_model *ref_model(const ref_net *net);

void ref_task_load(ref_task *rt, const ml_task *task);
void ref_task_free(ref_task *rt);

/* Outputs [n, out] of n inputs [n, n_in]. */
void ref_forward(const ref_net *net, const double *params, size_t n, const double *x,
                 double *out);
/* Loss of one half of a task (set 0 support, 1 query) or of both weighted
 * by their sizes (set 2); its gradient into grad (may be NULL). */
double ref_loss(const ref_net *net, const double *params, const ref_task *t, int set,
                double *grad);
/* phi = theta - alpha (.) grad L_support, `steps` times; alpha a vector of
 * per-parameter step sizes or NULL for the scalar lr. */
void ref_adapt(const ref_net *net, const double *theta, const double *alpha, double lr,
               int steps, const ref_task *t, double *phi);
/* theta -> L_query(adapt(theta)): the MAML / Meta-SGD objective of a task. */
double ref_maml_objective(const ref_net *net, const double *theta, const double *alpha,
                          double lr, int steps, const ref_task *t);
/* Central finite differences of ref_maml_objective with respect to theta
 * (into g_theta) and, when alpha is not NULL, to alpha (into g_alpha). */
void ref_maml_fd(const ref_net *net, const double *theta, const double *alpha,
                 double lr, int steps, const ref_task *t, double h, double *g_theta,
                 double *g_alpha);

/* Smallest |pre-activation| of a hidden layer over both halves of a task
 * (how far a ReLU net is from its kinks). */
double ref_min_abs_preact(const ref_net *net, const double *params, const ref_task *t);

/* Conversions. */
void to_double(const float *in, double *out, size_t n);
double *dup_double(const float *in, size_t n);
float *learner_params(const ml_learner *l);          /* malloc'd copy */

/* |got - want| <= abs_tol + rel_tol * |want| for every element; on failure
 * the Check assertion names the first offending index. */
void check_close(const char *what, const float *got, const double *want, size_t n,
                 double abs_tol, double rel_tol);
double max_abs_diff(const double *a, const double *b, size_t n);
double max_abs(const double *a, size_t n);

/* Regression task from float literals (n_query may be 0). */
ml_task *make_reg_task(size_t in, size_t out, size_t ns, const float *xs,
                       const float *ys, size_t nq, const float *xq, const float *yq);

/* Error-message probes: prime_error() leaves a known message as the
 * thread's last error; fresh_error() says whether a call has stored a new,
 * non-empty message since. */
/* n sine tasks from a sampler seeded with seed (shots support, queries
 * query points each) into tasks[]; sine_tasks_free frees and clears them. */
void sine_tasks_make(ml_task **tasks, int n, uint64_t seed, int shots, int queries);
void sine_tasks_free(ml_task **tasks, int n);

void prime_error(void);
int fresh_error(void);

/* The same for a learner handle's own message. */
void prime_learner_error(ml_learner *l);
int fresh_learner_error(const ml_learner *l);

/* The metric strategies' tests (relation, matching): deterministic values
 * in [-1, 1) from the state *s. */
double ref_lcg(uint64_t *s);
/* A learner and one classification task of random inputs: the learner's
 * meta-parameters as doubles, then support and query inputs of `in`
 * values each drawn as scale * ref_lcg(rng), in float (fxs, fxq) and
 * double (xs, xq). */
typedef struct cls_setup {
    ml_learner *l;
    ml_task *task;
    size_t n;                        /* meta-parameters */
    double *theta, *xs, *xq;
    float *fxs, *fxq;
} cls_setup;
cls_setup cls_setup_make(ml_learner *l, uint64_t *rng, double scale, size_t in, size_t ways,
                         size_t ns, const int *ls, size_t nq, const int *lq);
/* Frees everything, the learner included. */
void cls_setup_free(cls_setup *s);
/* Central differences (f(theta + h e_i) - f(theta - h e_i)) / 2h of a
 * reference loss f(ctx, theta) for the n parameters, into out. */
void ref_central_diff(double (*f)(const void *ctx, const double *theta), const void *ctx,
                      const double *theta, size_t n, double h, double *out);
/* The meta-gradient grad against central differences fd: the largest
 * |fd| must exceed 1e-3 (so the check compares something), and each entry
 * agree within 5e-6 max|fd| + 1e-4 |fd_i|. */
void check_gradient_fd(const float *grad, const double *fd, size_t n);
/* The index of the largest of n values (the first on ties). */
size_t ref_argmax(const double *v, size_t n);
/* Saves l to a buffer and loads it back: checks the strategy, the
 * meta-parameters and the loss of evaluate on `task`; returns the copy
 * (the caller frees it). */
ml_learner *check_round_trip(ml_learner *l, ml_task *task);

#endif
