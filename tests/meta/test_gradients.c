/* Meta-gradients of the gradient-based strategies against independent
 * double-precision computations (tests/meta/metatest.c):
 *
 * - MAML: central finite differences of the whole function
 *   theta -> L_query(theta - alpha grad L_support(theta)) (1 to 3 inner
 *   steps, the inner gradients by our own back-propagation), the mean over
 *   a meta-batch of two tasks; regression and classification; tanh,
 *   sigmoid and ReLU nets (the ReLU case kept away from the kinks).
 * - First-order MAML: grad L_query at the adapted parameters, and that it
 *   differs from MAML on the same case; on a convolutional network with
 *   batch normalisation, against the library's own plain gradients.
 * - Meta-SGD: finite differences with respect to theta and to the
 *   per-parameter step sizes alpha.
 * - Joint baseline: the gradient of the size-weighted loss over support and
 *   query at theta.
 * MAML, first-order MAML and Meta-SGD on meta-batches of tasks of different
 * sizes (one graph per task) and of the same sizes (one graph for both). */
#include "metatest.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Two regression tasks of different sizes (1 input, 1 output). */
static const float A_xs[] = {-1.6f, -0.7f, 0.3f, 1.4f}, A_ys[] = {1.2f, -0.4f, 0.9f, -1.5f};
static const float A_xq[] = {-1.1f, 0.0f, 0.8f}, A_yq[] = {0.5f, 1.0f, -1.2f};
static const float B_xs[] = {-1.2f, 0.5f, 1.8f}, B_ys[] = {-0.8f, 1.4f, 0.3f};
static const float B_xq[] = {-0.5f, 0.6f, 1.1f, 2.0f}, B_yq[] = {-1.0f, 1.3f, 0.2f, -0.6f};

/* A regression task of A's sizes: with A, a meta-batch whose tasks share
 * one graph (lib/meta/batch.c; different sizes go one graph each). */
static const float E_xs[] = {-1.2f, 0.5f, 1.8f, -0.3f}, E_ys[] = {-0.8f, 1.4f, 0.3f, 0.6f};
static const float E_xq[] = {-0.5f, 0.6f, 2.0f}, E_yq[] = {-1.0f, 1.3f, -0.6f};

/* A 3-way classification task with 2 inputs. */
static const float C_xs[] = {-1.0f, 0.5f, 0.8f, -0.2f, 0.1f, 1.3f,
                             -0.6f, -0.9f, 1.1f, 0.4f, -0.3f, 0.7f};
static const int C_ls[] = {0, 1, 2, 0, 1, 2};
static const float C_xq[] = {-0.8f, 0.2f, 0.9f, 0.1f, 0.3f, 1.0f, 0.5f, -1.2f};
static const int C_lq[] = {0, 1, 2, 1};
static const float D_xs[] = {0.9f, 0.9f, -1.1f, 0.3f, 0.2f, -0.8f, 1.4f, -0.2f};
static const int D_ls[] = {2, 0, 1, 2};
static const float D_xq[] = {0.7f, 1.0f, -0.9f, -0.1f, 0.4f, -0.5f};
static const int D_lq[] = {2, 0, 1};
/* A classification task of C's sizes. */
static const float F_xs[] = {0.9f, 0.9f, -1.1f, 0.3f, 0.2f, -0.8f,
                             1.4f, -0.2f, -0.5f, 1.2f, 0.6f, 0.1f};
static const int F_ls[] = {2, 0, 1, 2, 1, 0};
static const float F_xq[] = {0.7f, 1.0f, -0.9f, -0.1f, 0.4f, -0.5f, 1.1f, 0.8f};
static const int F_lq[] = {2, 0, 1, 1};

typedef struct two_tasks {
    ml_task *t[2];
    ref_task r[2];
} two_tasks;

/* A and B (different sizes), or with `same` A and E (the same sizes). */
static void regression_pair_of(two_tasks *p, int same)
{
    p->t[0] = make_reg_task(1, 1, 4, A_xs, A_ys, 3, A_xq, A_yq);
    p->t[1] = same ? make_reg_task(1, 1, 4, E_xs, E_ys, 3, E_xq, E_yq)
                   : make_reg_task(1, 1, 3, B_xs, B_ys, 4, B_xq, B_yq);
    ref_task_load(&p->r[0], p->t[0]);
    ref_task_load(&p->r[1], p->t[1]);
}

static void regression_pair(two_tasks *p)
{
    regression_pair_of(p, 0);
}

/* C and D (different sizes), or with `same` C and F. */
static void classification_pair(two_tasks *p, int same)
{
    ck_assert_int_eq(ml_task_create_classification(&p->t[0], 2, 3, 6, C_xs, C_ls, 4,
                                                   C_xq, C_lq),
                     ML_OK);
    if (same)
        ck_assert_int_eq(ml_task_create_classification(&p->t[1], 2, 3, 6, F_xs, F_ls, 4,
                                                       F_xq, F_lq),
                         ML_OK);
    else
        ck_assert_int_eq(ml_task_create_classification(&p->t[1], 2, 3, 4, D_xs, D_ls, 3,
                                                       D_xq, D_lq),
                         ML_OK);
    ref_task_load(&p->r[0], p->t[0]);
    ref_task_load(&p->r[1], p->t[1]);
}

static void pair_free(two_tasks *p)
{
    for (int i = 0; i < 2; i++) {
        ml_task_free(p->t[i]);
        ref_task_free(&p->r[i]);
    }
}

static ml_learner *new_learner(const ref_net *net, ml_strategy s, uint64_t seed,
                               double lr, int steps)
{
    ml_model *m = ref_model(net);
    ml_learner *l = NULL;
    ck_assert_int_eq(ml_learner_create(&l, m, s, seed), ML_OK);
    ml_model_free(m);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_LR, lr), ML_OK);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_STEPS, steps), ML_OK);
    return l;
}

/* The first-order MAML gradient of a task: grad L_query(phi). */
static void ref_fomaml(const ref_net *net, const double *theta, const double *alpha,
                       double lr, int steps, const ref_task *t, double *g)
{
    size_t n = ref_num_params(net);
    double *phi = malloc(n * sizeof *phi);
    ck_assert_ptr_nonnull(phi);
    ref_adapt(net, theta, alpha, lr, steps, t, phi);
    ref_loss(net, phi, t, 1, g);
    free(phi);
}

/* How many elements of `other` a check of `got` against `want` with these
 * tolerances would reject: the check can tell the two apart only if > 0. */
static size_t distinguishable(const double *want, const double *other, size_t n,
                              double abs_tol, double rel_tol)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += fabs(other[i] - want[i]) > 3.0 * (abs_tol + rel_tol * fabs(want[i]));
    return k;
}

enum { MAX_P = 200 };
/* Float32 against double: the errors seen are about 1e-6 relative, so
 * these leave a margin of 100 and more, and stay small enough that the
 * second-order terms of every case below exceed them. */
#define GRAD_ABS 1e-5
#define GRAD_REL 1e-3

/* ---------------------------------------------------------------- MAML */

typedef struct maml_case {
    const char *name;
    int classification;
    size_t n_layers;
    size_t sizes[3];
    int act;
    double lr;
    int steps;
} maml_case;

static const maml_case maml_cases[] = {
    {"tanh 1-5-5-1, 1 step", 0, 3, {5, 5, 1}, ML_LAYER_TANH, 0.3, 1},
    {"tanh 1-5-5-1, 2 steps", 0, 3, {5, 5, 1}, ML_LAYER_TANH, 0.3, 2},
    {"tanh 1-8-1, 3 steps", 0, 2, {8, 1}, ML_LAYER_TANH, 0.2, 3},
    {"sigmoid 1-6-1, 2 steps", 0, 2, {6, 1}, ML_LAYER_SIGMOID, 0.5, 2},
    {"relu 1-8-1, 2 steps", 0, 2, {8, 1}, ML_LAYER_RELU, 0.1, 2},
    {"tanh 2-6-3 classification, 1 step", 1, 2, {6, 3}, ML_LAYER_TANH, 0.5, 1},
    {"tanh 2-6-3 classification, 2 steps", 1, 2, {6, 3}, ML_LAYER_TANH, 0.5, 2},
    /* Hidden layers wide enough that the adapted weights stay low-rank
     * corrections of theta's (lib/meta/batch.c), over two steps too. */
    {"tanh 1-12-12-1, 2 steps", 0, 3, {12, 12, 1}, ML_LAYER_TANH, 0.1, 2},
    {"relu 1-10-10-1, 1 step", 0, 3, {10, 10, 1}, ML_LAYER_RELU, 0.1, 1},
};
enum { N_MAML_CASES = sizeof maml_cases / sizeof maml_cases[0] };

/* _i: case _i / 2, on tasks of different sizes (even _i) or of the same
 * sizes (odd _i: one graph for both). */
START_TEST(test_maml_matches_finite_differences)
{
    const maml_case *c = &maml_cases[_i / 2];
    const int same = _i % 2;
    ref_net net = ref_mlp(c->classification ? 2 : 1, c->n_layers, c->sizes, c->act);
    size_t n = ref_num_params(&net);
    ck_assert_uint_le(n, MAX_P);
    two_tasks tp;
    if (c->classification)
        classification_pair(&tp, same);
    else
        regression_pair_of(&tp, same);
    ml_learner *l = new_learner(&net, ML_STRATEGY_MAML, 100 + (uint64_t)(_i / 2), c->lr,
                                c->steps);
    ck_assert_uint_eq(ml_learner_num_meta_params(l), n);

    float g[MAX_P];
    double loss = NAN;
    ck_assert_int_eq(ml_learner_meta_gradient(l, 2, tp.t, g, n, &loss), ML_OK);

    float *thf = learner_params(l);
    double *th = dup_double(thf, n);
    double want[MAX_P] = {0}, fo[MAX_P] = {0}, gi[MAX_P], want_loss = 0.0;
    for (int k = 0; k < 2; k++) {
        if (c->act == ML_LAYER_RELU) {
            /* Far enough from every kink along the whole inner loop that
             * the finite differences see a smooth function. */
            double phi[MAX_P];
            for (int s = 0; s <= c->steps; s++) {
                ref_adapt(&net, th, NULL, c->lr, s, &tp.r[k], phi);
                ck_assert_double_gt(ref_min_abs_preact(&net, phi, &tp.r[k]), 1e-3);
            }
        }
        ref_maml_fd(&net, th, NULL, c->lr, c->steps, &tp.r[k], 1e-6, gi, NULL);
        for (size_t i = 0; i < n; i++)
            want[i] += 0.5 * gi[i];
        ref_fomaml(&net, th, NULL, c->lr, c->steps, &tp.r[k], gi);
        for (size_t i = 0; i < n; i++)
            fo[i] += 0.5 * gi[i];
        want_loss += 0.5 * ref_maml_objective(&net, th, NULL, c->lr, c->steps, &tp.r[k]);
    }
    ck_assert_msg(max_abs(want, n) > 1e-2, "%s: a degenerate case", c->name);
    /* The second-order terms matter here: the comparison could not pass
     * with the first-order gradient. */
    ck_assert_msg(distinguishable(want, fo, n, GRAD_ABS, GRAD_REL) > 0,
                  "%s: MAML and first-order MAML agree within the tolerance", c->name);
    check_close(c->name, g, want, n, GRAD_ABS, GRAD_REL);
    ck_assert_msg(fabs(loss - want_loss) <= 1e-5 + 1e-4 * fabs(want_loss),
                  "%s: loss %.9g, want %.9g", c->name, loss, want_loss);

    /* The meta-gradient does not move the parameters. */
    float *after = learner_params(l);
    ck_assert_mem_eq(after, thf, n * sizeof(float));
    free(after);
    free(thf);
    free(th);
    ml_learner_free(l);
    pair_free(&tp);
}
END_TEST

/* The mean over the meta-batch: the gradient of [A, B] is the mean of the
 * gradients of [A] and [B], and the gradient of [A, A] that of [A]. */
START_TEST(test_maml_meta_batch_mean)
{
    ref_net net = ref_mlp(1, 3, (size_t[]){5, 5, 1}, ML_LAYER_TANH);
    size_t n = ref_num_params(&net);
    two_tasks tp;
    regression_pair(&tp);
    ml_learner *l = new_learner(&net, ML_STRATEGY_MAML, 5, 0.3, 1);
    float gab[MAX_P], ga[MAX_P], gb[MAX_P], gaa[MAX_P];
    double lab, la, lb;
    ck_assert_int_eq(ml_learner_meta_gradient(l, 2, tp.t, gab, n, &lab), ML_OK);
    ck_assert_int_eq(ml_learner_meta_gradient(l, 1, &tp.t[0], ga, n, &la), ML_OK);
    ck_assert_int_eq(ml_learner_meta_gradient(l, 1, &tp.t[1], gb, n, &lb), ML_OK);
    ml_task *aa[2] = {tp.t[0], tp.t[0]};
    ck_assert_int_eq(ml_learner_meta_gradient(l, 2, aa, gaa, n, NULL), ML_OK);
    double mean[MAX_P], a[MAX_P];
    for (size_t i = 0; i < n; i++) {
        mean[i] = 0.5 * ((double)ga[i] + (double)gb[i]);
        a[i] = ga[i];
    }
    check_close("mean of [A, B]", gab, mean, n, 1e-7, 1e-6);
    check_close("mean of [A, A]", gaa, a, n, 1e-7, 1e-6);
    ck_assert_double_eq_tol(lab, 0.5 * (la + lb), 1e-7);
    ck_assert(fabs(la - lb) > 1e-3); /* the two tasks really differ */
    ml_learner_free(l);
    pair_free(&tp);
}
END_TEST

/* ---------------------------------------------------------------- FOMAML */

/* _i: 1 or 2 steps (_i % 2), tasks of different or the same sizes (_i / 2). */
START_TEST(test_fomaml_definition)
{
    const int steps = 1 + _i % 2;
    const double lr = 0.3;
    ref_net net = ref_mlp(1, 3, (size_t[]){5, 5, 1}, ML_LAYER_TANH);
    size_t n = ref_num_params(&net);
    two_tasks tp;
    regression_pair_of(&tp, _i / 2);
    ml_learner *fo = new_learner(&net, ML_STRATEGY_FOMAML, 21, lr, steps);
    ml_learner *so = new_learner(&net, ML_STRATEGY_MAML, 21, lr, steps);
    float *thf = learner_params(fo);
    float *th2 = learner_params(so);
    ck_assert_mem_eq(thf, th2, n * sizeof(float)); /* same seed, same start */
    double *th = dup_double(thf, n);

    float gfo[MAX_P], gso[MAX_P];
    double lfo, lso;
    ck_assert_int_eq(ml_learner_meta_gradient(fo, 2, tp.t, gfo, n, &lfo), ML_OK);
    ck_assert_int_eq(ml_learner_meta_gradient(so, 2, tp.t, gso, n, &lso), ML_OK);

    double want[MAX_P] = {0}, gi[MAX_P], want_loss = 0.0;
    for (int k = 0; k < 2; k++) {
        ref_fomaml(&net, th, NULL, lr, steps, &tp.r[k], gi);
        for (size_t i = 0; i < n; i++)
            want[i] += 0.5 * gi[i];
        want_loss += 0.5 * ref_maml_objective(&net, th, NULL, lr, steps, &tp.r[k]);
    }
    check_close("fomaml", gfo, want, n, 1e-5, 1e-4);
    /* Both report the same meta-loss, the query loss after adaptation. */
    ck_assert_double_eq_tol(lfo, want_loss, 1e-5);
    ck_assert_double_eq_tol(lso, want_loss, 1e-5);
    /* ... but not the same gradient: the second-order term is large here. */
    double dso[MAX_P];
    to_double(gso, dso, n);
    double d = 0.0;
    for (size_t i = 0; i < n; i++)
        d = fmax(d, fabs((double)gfo[i] - dso[i]));
    ck_assert_msg(d > 0.05 * max_abs(dso, n), "FOMAML and MAML differ by only %g", d);

    free(thf);
    free(th2);
    free(th);
    ml_learner_free(fo);
    ml_learner_free(so);
    pair_free(&tp);
}
END_TEST

/* First-order MAML on a convolutional network with batch normalisation (the
 * fused batch-norm ops, and the inner gradient taken without a graph):
 * its meta-gradient must be grad L_query at phi = theta - alpha grad
 * L_support(theta), both gradients computed here by the library as plain
 * gradients at a point: a first-order learner whose inner step is 1e-30
 * adapts to exactly theta in float, so its meta-gradient is grad L_query
 * at the parameters it is given.  The support gradient comes from a task
 * whose query set is its support set. */
START_TEST(test_fomaml_definition_conv)
{
    enum { W = 3, H = 8, NS = W, NQ = 2 * W, IN = H * H };
    float xs[NS * IN], xq[NQ * IN];
    int ls[NS], lq[NQ];
    for (int i = 0; i < NS * IN; i++)
        xs[i] = (float)((i * 37) % 101) / 101.0f;
    for (int i = 0; i < NQ * IN; i++)
        xq[i] = (float)((i * 53) % 89) / 89.0f;
    for (int i = 0; i < NS; i++)
        ls[i] = i % W;
    for (int i = 0; i < NQ; i++)
        lq[i] = (i + 1) % W;
    ml_model *m;
    ml_task *t, *tss;
    ck_assert_int_eq(ml_model_create_conv4(&m, 1, H, H, 4, 2, W), ML_OK);
    ck_assert_int_eq(ml_task_create_classification(&t, IN, W, NS, xs, ls, NQ, xq, lq), ML_OK);
    ck_assert_int_eq(ml_task_create_classification(&tss, IN, W, NS, xs, ls, NS, xs, ls),
                     ML_OK);
    const double alpha = 0.4;
    ml_learner *fo, *at;
    ck_assert_int_eq(ml_learner_create(&fo, m, ML_STRATEGY_FOMAML, 5), ML_OK);
    ck_assert_int_eq(ml_learner_create(&at, m, ML_STRATEGY_FOMAML, 5), ML_OK);
    ck_assert_int_eq(ml_learner_set(fo, ML_LEARNER_INNER_LR, alpha), ML_OK);
    ck_assert_int_eq(ml_learner_set(at, ML_LEARNER_INNER_LR, 1e-30), ML_OK);
    size_t n = ml_learner_num_meta_params(fo);
    float *th = learner_params(fo), *g = malloc(4 * n * sizeof *g);
    ck_assert_ptr_nonnull(g);
    float *gs = g + n, *gq = g + 2 * n, *phi = g + 3 * n;
    double loss, want_loss;
    ck_assert_int_eq(ml_learner_meta_gradient(fo, 1, &t, g, n, &loss), ML_OK);
    ck_assert_int_eq(ml_learner_meta_gradient(at, 1, &tss, gs, n, NULL), ML_OK);
    for (size_t i = 0; i < n; i++)
        phi[i] = th[i] - (float)alpha * gs[i];
    ck_assert_int_eq(ml_learner_set_meta_params(at, phi, n), ML_OK);
    ck_assert_int_eq(ml_learner_meta_gradient(at, 1, &t, gq, n, &want_loss), ML_OK);
    double want[4096];
    ck_assert_uint_le(n, sizeof want / sizeof *want);
    to_double(gq, want, n);
    check_close("fomaml conv", g, want, n, 1e-5, 1e-4);
    ck_assert_double_eq_tol(loss, want_loss, 1e-6);
    free(g);
    free(th);
    ml_learner_free(fo);
    ml_learner_free(at);
    ml_task_free(t);
    ml_task_free(tss);
    ml_model_free(m);
}
END_TEST

/* ---------------------------------------------------------------- Meta-SGD */

START_TEST(test_metasgd_alpha_init)
{
    ref_net net = ref_mlp(1, 3, (size_t[]){5, 5, 1}, ML_LAYER_TANH);
    size_t n = ref_num_params(&net);
    for (uint64_t seed = 1; seed <= 5; seed++) {
        ml_learner *l = new_learner(&net, ML_STRATEGY_METASGD, seed, 0.01, 1);
        ck_assert_uint_eq(ml_learner_num_meta_params(l), 2 * n);
        float *p = learner_params(l);
        double lo = 1.0, hi = 0.0;
        for (size_t i = n; i < 2 * n; i++) {
            ck_assert_msg(p[i] >= 0.005f && p[i] <= 0.1f, "alpha[%zu] = %g", i - n,
                          (double)p[i]);
            lo = fmin(lo, p[i]);
            hi = fmax(hi, p[i]);
        }
        /* Spread over the interval, not one value. */
        ck_assert(hi - lo > 0.03);
        free(p);
        ml_learner_free(l);
    }
}
END_TEST

START_TEST(test_metasgd_matches_finite_differences)
{
    /* _i % 4: 0, 1 -> 1, 2 steps with the initial alphas; 2, 3 -> with
     * larger alphas set by hand (the second-order terms grow with alpha).
     * _i / 4: tasks of different or of the same sizes. */
    const int steps = 1 + _i % 2, large = _i % 4 >= 2;
    ref_net net = ref_mlp(1, 3, (size_t[]){5, 5, 1}, ML_LAYER_TANH);
    size_t n = ref_num_params(&net);
    two_tasks tp;
    regression_pair_of(&tp, _i / 4);
    ml_learner *l = new_learner(&net, ML_STRATEGY_METASGD, 31 + (uint64_t)(_i % 4), 0.01, steps);
    float *p = learner_params(l);
    if (large) {
        for (size_t i = 0; i < n; i++)
            p[n + i] = 0.1f + 0.3f * (float)((i * 7) % 11) / 10.0f;
        ck_assert_int_eq(ml_learner_set_meta_params(l, p, 2 * n), ML_OK);
    }
    float g[2 * MAX_P];
    double loss;
    ck_assert_int_eq(ml_learner_meta_gradient(l, 2, tp.t, g, 2 * n, &loss), ML_OK);

    double *th = dup_double(p, n), *al = dup_double(p + n, n);
    double want[2 * MAX_P] = {0}, fo[2 * MAX_P] = {0}, gt[MAX_P], ga[MAX_P];
    double want_loss = 0.0;
    for (int k = 0; k < 2; k++) {
        ref_maml_fd(&net, th, al, 0.0, steps, &tp.r[k], 1e-6, gt, ga);
        for (size_t i = 0; i < n; i++) {
            want[i] += 0.5 * gt[i];
            want[n + i] += 0.5 * ga[i];
        }
        ref_fomaml(&net, th, al, 0.0, steps, &tp.r[k], gt);
        for (size_t i = 0; i < n; i++)
            fo[i] += 0.5 * gt[i];
        want_loss += 0.5 * ref_maml_objective(&net, th, al, 0.0, steps, &tp.r[k]);
    }
    ck_assert(max_abs(want + n, n) > 1e-3); /* alpha gradient not trivially 0 */
    if (large)
        ck_assert(distinguishable(want, fo, n, GRAD_ABS, GRAD_REL) > 0);
    check_close("metasgd theta", g, want, n, GRAD_ABS, GRAD_REL);
    check_close("metasgd alpha", g + n, want + n, n, GRAD_ABS, GRAD_REL);
    ck_assert_double_eq_tol(loss, want_loss, 1e-5 + 1e-4 * want_loss);

    /* Meta-SGD's inner step is alpha: the scalar inner rate plays no part. */
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_LR, 0.77), ML_OK);
    float g2[2 * MAX_P];
    ck_assert_int_eq(ml_learner_meta_gradient(l, 2, tp.t, g2, 2 * n, NULL), ML_OK);
    ck_assert_mem_eq(g, g2, 2 * n * sizeof(float));

    free(p);
    free(th);
    free(al);
    ml_learner_free(l);
    pair_free(&tp);
}
END_TEST

/* A Meta-SGD meta-step moves the step sizes as well (Adam: every element
 * with a non-zero gradient moves by about the learning rate). */
START_TEST(test_metasgd_step_moves_alpha)
{
    ref_net net = ref_mlp(1, 2, (size_t[]){6, 1}, ML_LAYER_TANH);
    size_t n = ref_num_params(&net);
    two_tasks tp;
    regression_pair(&tp);
    ml_learner *l = new_learner(&net, ML_STRATEGY_METASGD, 3, 0.01, 1);
    float *p0 = learner_params(l);
    float g[2 * MAX_P];
    ck_assert_int_eq(ml_learner_meta_gradient(l, 2, tp.t, g, 2 * n, NULL), ML_OK);
    ck_assert_int_eq(ml_learner_meta_step(l, 2, tp.t, NULL), ML_OK);
    float *p1 = learner_params(l);
    for (size_t i = 0; i < 2 * n; i++) {
        if (fabsf(g[i]) < 1e-6f)
            continue;
        /* Adam's first step is lr * sign(g) (lr 0.001 by default). */
        double step = (double)p0[i] - (double)p1[i];
        ck_assert_msg(fabs(step - 0.001 * (g[i] > 0 ? 1 : -1)) < 2e-6,
                      "element %zu moved by %g", i, step);
    }
    free(p0);
    free(p1);
    ml_learner_free(l);
    pair_free(&tp);
}
END_TEST

/* ---------------------------------------------------------------- joint */

START_TEST(test_joint_weighted_loss_gradient)
{
    ref_net net = ref_mlp(1, 3, (size_t[]){5, 5, 1}, ML_LAYER_TANH);
    size_t n = ref_num_params(&net);
    two_tasks tp;
    regression_pair(&tp);
    /* A third task without a query set: its support loss alone. */
    ml_task *c = make_reg_task(1, 1, 2, B_xq, A_yq, 0, NULL, NULL);
    ref_task rc;
    ref_task_load(&rc, c);
    ml_task *tasks[3] = {tp.t[0], tp.t[1], c};
    const ref_task *rts[3] = {&tp.r[0], &tp.r[1], &rc};

    ml_learner *l = new_learner(&net, ML_STRATEGY_JOINT, 41, 0.3, 2);
    float g[MAX_P];
    double loss;
    ck_assert_int_eq(ml_learner_meta_gradient(l, 3, tasks, g, n, &loss), ML_OK);
    float *thf = learner_params(l);
    double *th = dup_double(thf, n);

    double want[MAX_P] = {0}, naive[MAX_P] = {0}, gi[MAX_P], want_loss = 0.0;
    for (int k = 0; k < 3; k++) {
        want_loss += ref_loss(&net, th, rts[k], 2, gi) / 3.0;
        for (size_t i = 0; i < n; i++)
            want[i] += gi[i] / 3.0;
        /* The wrong weighting (halves weighted equally) for contrast. */
        if (rts[k]->n[1]) {
            for (int h = 0; h < 2; h++) {
                ref_loss(&net, th, rts[k], h, gi);
                for (size_t i = 0; i < n; i++)
                    naive[i] += 0.5 * gi[i] / 3.0;
            }
        } else {
            ref_loss(&net, th, rts[k], 0, gi);
            for (size_t i = 0; i < n; i++)
                naive[i] += gi[i] / 3.0;
        }
    }
    ck_assert(distinguishable(want, naive, n, 1e-6, 1e-4) > 0);
    check_close("joint", g, want, n, 1e-6, 1e-4);
    ck_assert_double_eq_tol(loss, want_loss, 1e-6);
    /* The inner settings do not enter the joint gradient. */
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_STEPS, 5), ML_OK);
    float g2[MAX_P];
    ck_assert_int_eq(ml_learner_meta_gradient(l, 3, tasks, g2, n, NULL), ML_OK);
    ck_assert_mem_eq(g, g2, n * sizeof(float));

    free(thf);
    free(th);
    ref_task_free(&rc);
    ml_task_free(c);
    ml_learner_free(l);
    pair_free(&tp);
}
END_TEST

static Suite *gradients_suite(void)
{
    Suite *s = suite_create("meta_gradients");
    TCase *tc = tcase_create("maml");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_maml_matches_finite_differences, 0, 2 * N_MAML_CASES);
    tcase_add_test(tc, test_maml_meta_batch_mean);
    suite_add_tcase(s, tc);
    tc = tcase_create("fomaml");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_fomaml_definition, 0, 4);
    tcase_add_test(tc, test_fomaml_definition_conv);
    suite_add_tcase(s, tc);
    tc = tcase_create("metasgd");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_metasgd_alpha_init);
    tcase_add_loop_test(tc, test_metasgd_matches_finite_differences, 0, 8);
    tcase_add_test(tc, test_metasgd_step_moves_alpha);
    suite_add_tcase(s, tc);
    tc = tcase_create("joint");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_joint_weighted_loss_gradient);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(gradients_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
