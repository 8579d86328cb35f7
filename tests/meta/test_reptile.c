/* Reptile against hand computations:
 *
 * - a one-weight linear model y = w x + b (a single dense layer), whose
 *   inner SGD steps are written out here in double: phi, the
 *   meta-gradient theta - phi, the outer step theta - eps (theta - mean phi)
 *   and the linear annealing of eps;
 * - the inner Adam of Nichol et al. (beta1 = 0, fresh moments per task)
 *   against our own Adam;
 * - a tanh net through the double-precision reference (metatest.c). */
#include "metatest.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Two tasks of two points each; no query sets (Reptile needs none). */
static const float T1_x[] = {1.0f, 2.0f}, T1_y[] = {2.0f, 3.0f};
static const float T2_x[] = {-1.0f, 0.5f}, T2_y[] = {0.5f, -1.0f};

/* `steps` SGD steps of lr on L = mean_i (w x_i + b - y_i)^2 over 2 points,
 * by hand: dL/dw = sum_i r_i x_i, dL/db = sum_i r_i (the 2 of the square
 * cancels the 1/2 of the mean).  *last_loss: the loss before the last step. */
static void hand_sgd(double w, double b, const float *x, const float *y, double lr,
                     int steps, double *pw, double *pb, double *last_loss)
{
    for (int s = 0; s < steps; s++) {
        double r0 = w * x[0] + b - y[0], r1 = w * x[1] + b - y[1];
        *last_loss = (r0 * r0 + r1 * r1) / 2.0;
        double gw = r0 * x[0] + r1 * x[1], gb = r0 + r1;
        w -= lr * gw;
        b -= lr * gb;
    }
    *pw = w;
    *pb = b;
}

typedef struct linear_setup {
    ml_learner *l;
    ml_task *t[2];
} linear_setup;

static linear_setup linear_new(double lr, int steps, float w, float b)
{
    linear_setup s;
    ml_model *m = NULL;
    ck_assert_int_eq(ml_model_create_mlp(&m, 1, 1, (size_t[]){1}, ML_LAYER_TANH), ML_OK);
    ck_assert_uint_eq(ml_model_num_layers(m), 1); /* just the dense layer */
    ck_assert_uint_eq(ml_model_num_params(m), 2);
    ck_assert_int_eq(ml_learner_create(&s.l, m, ML_STRATEGY_REPTILE, 9), ML_OK);
    ml_model_free(m);
    ck_assert_int_eq(ml_learner_set(s.l, ML_LEARNER_INNER_LR, lr), ML_OK);
    ck_assert_int_eq(ml_learner_set(s.l, ML_LEARNER_INNER_STEPS, steps), ML_OK);
    /* W (1x1) then b. */
    float p[2] = {w, b};
    ck_assert_int_eq(ml_learner_set_meta_params(s.l, p, 2), ML_OK);
    s.t[0] = make_reg_task(1, 1, 2, T1_x, T1_y, 0, NULL, NULL);
    s.t[1] = make_reg_task(1, 1, 2, T2_x, T2_y, 0, NULL, NULL);
    return s;
}

static void linear_free(linear_setup *s)
{
    ml_learner_free(s->l);
    ml_task_free(s->t[0]);
    ml_task_free(s->t[1]);
}

/* The expected mean phi over both tasks from the learner's current theta;
 * its mean last-step loss into *loss. */
static void expected_mean_phi(const float *theta, double lr, int steps, double phi[2],
                              double *loss)
{
    double w1, b1, l1, w2, b2, l2;
    hand_sgd(theta[0], theta[1], T1_x, T1_y, lr, steps, &w1, &b1, &l1);
    hand_sgd(theta[0], theta[1], T2_x, T2_y, lr, steps, &w2, &b2, &l2);
    phi[0] = 0.5 * (w1 + w2);
    phi[1] = 0.5 * (b1 + b2);
    *loss = 0.5 * (l1 + l2);
}

START_TEST(test_defaults)
{
    linear_setup s = linear_new(0.1, 2, 0.5f, -0.25f);
    double v;
    /* The header's default: a step of 1 on the mean of the meta-batch. */
    ck_assert_int_eq(ml_learner_get(s.l, ML_LEARNER_REPTILE_EPSILON, &v), ML_OK);
    ck_assert_double_eq(v, 1.0);
    ck_assert_int_eq(ml_learner_get(s.l, ML_LEARNER_REPTILE_EPSILON_FINAL, &v), ML_OK);
    ck_assert_double_eq(v, 0.0);
    ck_assert_int_eq(ml_learner_get(s.l, ML_LEARNER_REPTILE_ANNEAL_ITERS, &v), ML_OK);
    ck_assert_double_eq(v, 0.0);
    ck_assert_int_eq(ml_learner_get(s.l, ML_LEARNER_REPTILE_INNER_ADAM, &v), ML_OK);
    ck_assert_double_eq(v, 0.0);
    ck_assert_int_eq(ml_learner_get(s.l, ML_LEARNER_ITERATION, &v), ML_OK);
    ck_assert_double_eq(v, 0.0);
    linear_free(&s);
}
END_TEST

START_TEST(test_hand_meta_gradient)
{
    const double lr = 0.1;
    for (int steps = 1; steps <= 3; steps++) {
        linear_setup s = linear_new(lr, steps, 0.5f, -0.25f);
        const float theta[2] = {0.5f, -0.25f};
        /* One task: theta - phi. */
        double w, b, last;
        hand_sgd(theta[0], theta[1], T1_x, T1_y, lr, steps, &w, &b, &last);
        float g[2];
        double loss;
        ck_assert_int_eq(ml_learner_meta_gradient(s.l, 1, s.t, g, 2, &loss), ML_OK);
        double want[2] = {theta[0] - w, theta[1] - b};
        check_close("reptile theta - phi", g, want, 2, 1e-6, 1e-5);
        ck_assert(fabs(want[0]) > 0.1 && fabs(want[1]) > 0.1);
        /* The reported loss is the support loss of the last inner step. */
        ck_assert_double_eq_tol(loss, last, 1e-5 * (1 + last));
        /* Two tasks: theta - mean phi. */
        double phi[2], mloss;
        expected_mean_phi(theta, lr, steps, phi, &mloss);
        ck_assert_int_eq(ml_learner_meta_gradient(s.l, 2, s.t, g, 2, &loss), ML_OK);
        double want2[2] = {theta[0] - phi[0], theta[1] - phi[1]};
        check_close("reptile theta - mean phi", g, want2, 2, 1e-6, 1e-5);
        ck_assert_double_eq_tol(loss, mloss, 1e-5 * (1 + mloss));
        linear_free(&s);
    }
}
END_TEST

START_TEST(test_hand_meta_step)
{
    const double lr = 0.1, eps = 0.3;
    linear_setup s = linear_new(lr, 2, 0.5f, -0.25f);
    ck_assert_int_eq(ml_learner_set(s.l, ML_LEARNER_REPTILE_EPSILON, eps), ML_OK);
    /* The outer optimiser plays no part in Reptile. */
    ml_optimizer *o;
    ck_assert_int_eq(ml_optimizer_create(&o, ML_OPTIMIZER_SGD), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LR, 0.9), ML_OK);
    ck_assert_int_eq(ml_learner_set_optimizer(s.l, o), ML_OK);
    ml_optimizer_free(o);

    for (int it = 0; it < 3; it++) {
        float *theta = learner_params(s.l);
        double phi[2], mloss, loss;
        expected_mean_phi(theta, lr, 2, phi, &mloss);
        ck_assert_int_eq(ml_learner_meta_step(s.l, 2, s.t, &loss), ML_OK);
        double want[2];
        for (int i = 0; i < 2; i++)
            want[i] = theta[i] - eps * (theta[i] - phi[i]);
        float *after = learner_params(s.l);
        check_close("reptile step", after, want, 2, 1e-6, 1e-5);
        ck_assert_double_eq_tol(loss, mloss, 1e-5 * (1 + mloss));
        double v;
        ck_assert_int_eq(ml_learner_get(s.l, ML_LEARNER_ITERATION, &v), ML_OK);
        ck_assert_double_eq(v, it + 1);
        free(theta);
        free(after);
    }
    linear_free(&s);
}
END_TEST

/* eps_k = eps0 + (eps_final - eps0) min(1, k / N) for the k-th update
 * (k = 0 for the first). */
static double annealed(double eps0, double eps_final, int n_iters, int k)
{
    double f = (double)k / n_iters;
    return eps0 + (eps_final - eps0) * (f > 1 ? 1 : f);
}

START_TEST(test_annealing_meta_step)
{
    const double lr = 0.1, eps0 = 0.5, eps_final = 0.1;
    const int N = 4;
    linear_setup s = linear_new(lr, 2, 0.5f, -0.25f);
    ck_assert_int_eq(ml_learner_set(s.l, ML_LEARNER_REPTILE_EPSILON, eps0), ML_OK);
    ck_assert_int_eq(ml_learner_set(s.l, ML_LEARNER_REPTILE_EPSILON_FINAL, eps_final),
                     ML_OK);
    ck_assert_int_eq(ml_learner_set(s.l, ML_LEARNER_REPTILE_ANNEAL_ITERS, N), ML_OK);
    for (int k = 0; k < N + 3; k++) {
        float *theta = learner_params(s.l);
        double phi[2], mloss;
        expected_mean_phi(theta, lr, 2, phi, &mloss);
        ck_assert_int_eq(ml_learner_meta_step(s.l, 2, s.t, NULL), ML_OK);
        double e = annealed(eps0, eps_final, N, k), want[2], stale[2];
        for (int i = 0; i < 2; i++) {
            want[i] = theta[i] - e * (theta[i] - phi[i]);
            stale[i] = theta[i] - eps0 * (theta[i] - phi[i]);
        }
        float *after = learner_params(s.l);
        check_close("annealed reptile step", after, want, 2, 1e-6, 1e-5);
        /* From the second update on, the annealed value is not eps0. */
        if (k > 0)
            ck_assert(max_abs_diff(want, stale, 2) > 1e-3);
        free(theta);
        free(after);
    }
    linear_free(&s);
}
END_TEST

/* The same annealing seen directly through ml_learner_apply_gradient. */
START_TEST(test_annealing_apply_gradient)
{
    const double eps0 = 0.4, eps_final = 0.05;
    const int N = 5;
    linear_setup s = linear_new(0.1, 1, 1.0f, 1.0f);
    ck_assert_int_eq(ml_learner_set(s.l, ML_LEARNER_REPTILE_EPSILON, eps0), ML_OK);
    ck_assert_int_eq(ml_learner_set(s.l, ML_LEARNER_REPTILE_EPSILON_FINAL, eps_final),
                     ML_OK);
    ck_assert_int_eq(ml_learner_set(s.l, ML_LEARNER_REPTILE_ANNEAL_ITERS, N), ML_OK);
    const float g[2] = {1.0f, -2.0f};
    for (int k = 0; k < N + 3; k++) {
        float *before = learner_params(s.l);
        ck_assert_int_eq(ml_learner_apply_gradient(s.l, g, 2), ML_OK);
        float *after = learner_params(s.l);
        double e = annealed(eps0, eps_final, N, k);
        double want[2] = {before[0] - e * g[0], before[1] - e * g[1]};
        check_close("theta - eps_k g", after, want, 2, 1e-6, 1e-6);
        free(before);
        free(after);
    }
    double v;
    ck_assert_int_eq(ml_learner_get(s.l, ML_LEARNER_ITERATION, &v), ML_OK);
    ck_assert_double_eq(v, N + 3);
    linear_free(&s);
}
END_TEST

/* Adam with beta1 = 0 as Nichol et al. use it in the inner loop:
 * v = b2 v + (1 - b2) g^2, p -= lr g / (sqrt(v / (1 - b2^t)) + eps),
 * fresh state for each task. */
static void ref_inner_adam(const ref_net *net, const double *theta, double lr, int steps,
                           const ref_task *t, double *phi)
{
    const double b2 = 0.999, eps = 1e-8;
    size_t n = ref_num_params(net);
    double *v = calloc(n, sizeof *v), *g = malloc(n * sizeof *g);
    ck_assert(v && g);
    memcpy(phi, theta, n * sizeof(double));
    for (int s = 1; s <= steps; s++) {
        ref_loss(net, phi, t, 0, g);
        for (size_t i = 0; i < n; i++) {
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            phi[i] -= lr * g[i] / (sqrt(v[i] / (1 - pow(b2, s))) + eps);
        }
    }
    free(v);
    free(g);
}

START_TEST(test_inner_adam)
{
    const double lr = 0.05;
    const int steps = 3;
    ref_net net = ref_mlp(1, 2, (size_t[]){5, 1}, ML_LAYER_TANH);
    size_t n = ref_num_params(&net);
    ml_model *m = ref_model(&net);
    ml_learner *l;
    ck_assert_int_eq(ml_learner_create(&l, m, ML_STRATEGY_REPTILE, 17), ML_OK);
    ml_model_free(m);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_LR, lr), ML_OK);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_STEPS, steps), ML_OK);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_REPTILE_INNER_ADAM, 1), ML_OK);
    double v;
    ck_assert_int_eq(ml_learner_get(l, ML_LEARNER_REPTILE_INNER_ADAM, &v), ML_OK);
    ck_assert_double_eq(v, 1.0);

    static const float xs1[] = {-1.5f, -0.4f, 0.3f, 1.2f}, ys1[] = {0.9f, -1.1f, 0.6f, 1.4f};
    static const float xs2[] = {-0.9f, 0.8f, 1.9f}, ys2[] = {-0.3f, 2.0f, -0.7f};
    ml_task *t[2] = {make_reg_task(1, 1, 4, xs1, ys1, 0, NULL, NULL),
                     make_reg_task(1, 1, 3, xs2, ys2, 0, NULL, NULL)};
    ref_task r[2];
    ref_task_load(&r[0], t[0]);
    ref_task_load(&r[1], t[1]);

    float *thf = learner_params(l);
    double *th = dup_double(thf, n);
    double phi[64], phi2[64], sgd[64], want[64], want2[64];
    ref_inner_adam(&net, th, lr, steps, &r[0], phi);
    ref_inner_adam(&net, th, lr, steps, &r[1], phi2);
    ref_adapt(&net, th, NULL, lr, steps, &r[0], sgd);
    for (size_t i = 0; i < n; i++) {
        want[i] = th[i] - phi[i];
        want2[i] = th[i] - 0.5 * (phi[i] + phi2[i]);
    }
    /* Adam's steps are not SGD's: the check can tell them apart. */
    ck_assert(max_abs_diff(phi, sgd, n) > 1e-3);

    float g[64];
    ck_assert_int_eq(ml_learner_meta_gradient(l, 1, t, g, n, NULL), ML_OK);
    check_close("inner adam, one task", g, want, n, 1e-5, 1e-3);
    /* Two tasks: each starts with fresh moments (the second task's phi
     * would differ if the first one's moments were carried over). */
    ck_assert_int_eq(ml_learner_meta_gradient(l, 2, t, g, n, NULL), ML_OK);
    check_close("inner adam, two tasks", g, want2, n, 1e-5, 1e-3);
    /* And the same again: nothing is kept from one call to the next. */
    ck_assert_int_eq(ml_learner_meta_gradient(l, 1, t, g, n, NULL), ML_OK);
    check_close("inner adam, again", g, want, n, 1e-5, 1e-3);

    /* Back to SGD. */
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_REPTILE_INNER_ADAM, 0), ML_OK);
    ck_assert_int_eq(ml_learner_meta_gradient(l, 1, t, g, n, NULL), ML_OK);
    for (size_t i = 0; i < n; i++)
        want[i] = th[i] - sgd[i];
    check_close("inner sgd", g, want, n, 1e-6, 1e-4);

    free(thf);
    free(th);
    ref_task_free(&r[0]);
    ref_task_free(&r[1]);
    ml_task_free(t[0]);
    ml_task_free(t[1]);
    ml_learner_free(l);
}
END_TEST

/* A deeper net through the reference: phi after several SGD steps. */
START_TEST(test_tanh_net_phi)
{
    const double lr = 0.05;
    ref_net net = ref_mlp(1, 3, (size_t[]){6, 6, 1}, ML_LAYER_TANH);
    size_t n = ref_num_params(&net);
    ml_model *m = ref_model(&net);
    ml_learner *l;
    ck_assert_int_eq(ml_learner_create(&l, m, ML_STRATEGY_REPTILE, 23), ML_OK);
    ml_model_free(m);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_LR, lr), ML_OK);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_STEPS, 5), ML_OK);
    static const float xs[] = {-2.0f, -1.0f, 0.0f, 1.0f, 2.0f};
    static const float ys[] = {1.0f, -0.5f, 0.25f, 1.5f, -1.0f};
    static const float xq[] = {0.5f}, yq[] = {3.0f};
    /* A query set is allowed and ignored by Reptile's meta-gradient. */
    ml_task *t = make_reg_task(1, 1, 5, xs, ys, 1, xq, yq);
    ml_task *t0 = make_reg_task(1, 1, 5, xs, ys, 0, NULL, NULL);
    ref_task r;
    ref_task_load(&r, t);
    float *thf = learner_params(l);
    double *th = dup_double(thf, n);
    double phi[128], want[128];
    ref_adapt(&net, th, NULL, lr, 5, &r, phi);
    for (size_t i = 0; i < n; i++)
        want[i] = th[i] - phi[i];
    float g[128], g0[128];
    ck_assert_int_eq(ml_learner_meta_gradient(l, 1, &t, g, n, NULL), ML_OK);
    check_close("reptile tanh net", g, want, n, 1e-6, 1e-4);
    ck_assert_int_eq(ml_learner_meta_gradient(l, 1, &t0, g0, n, NULL), ML_OK);
    ck_assert_mem_eq(g, g0, n * sizeof(float));
    free(thf);
    free(th);
    ref_task_free(&r);
    ml_task_free(t);
    ml_task_free(t0);
    ml_learner_free(l);
}
END_TEST

static Suite *reptile_suite(void)
{
    Suite *s = suite_create("meta_reptile");
    TCase *tc = tcase_create("hand");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_hand_meta_gradient);
    tcase_add_test(tc, test_hand_meta_step);
    tcase_add_test(tc, test_annealing_meta_step);
    tcase_add_test(tc, test_annealing_apply_gradient);
    suite_add_tcase(s, tc);
    tc = tcase_create("inner");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_inner_adam);
    tcase_add_test(tc, test_tanh_net_phi);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(reptile_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
