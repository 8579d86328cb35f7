/* Exact second-order MAML through the engine: one inner SGD step
 *   theta' = theta - alpha * grad L_support(theta)   (create_graph = 1)
 * then grad of L_query(theta') with respect to theta, compared with central
 * finite differences of the whole map theta -> L_query(theta - alpha grad
 * L_support(theta)), where each evaluation recomputes the inner gradient
 * with the engine (create_graph = 0) and runs the query forward pass on
 * plain numbers.  Network: 1-8-1 tanh MLP. */
#include "gradcheck.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { H = 8, NS = 5, NQ = 6, NP = 4 };

static const int SHAPES[NP][2] = {{1, H}, {H, 1}, {H, 1}, {1, 1}};
/* W1 [1, H], b1 [H] (stored as [H, 1] and reshaped), W2 [H, 1], b2 [1]. */

typedef struct task {
    float xs[NS], ys[NS], xq[NQ], yq[NQ];
    float alpha;
    int steps;
} task;

static ml_ad_node *mlp(ml_ad_tape *t, ml_ad_node **th, const float *x, int n)
{
    int sx[2] = {n, 1}, sb[1] = {H}, s1[1] = {1};
    ml_ad_node *X = ml_ad_const(t, 2, sx, x);
    ml_ad_node *h = ml_ad_tanh(t, ml_ad_add(t, ml_ad_matmul(t, X, th[0], 0, 0),
                                            ml_ad_reshape(t, th[1], 1, sb)));
    return ml_ad_add(t, ml_ad_matmul(t, h, th[2], 0, 0),
                     ml_ad_reshape(t, th[3], 1, s1));
}

static ml_ad_node *task_loss(ml_ad_tape *t, ml_ad_node **th, const float *x,
                             const float *y, int n)
{
    int sy[2] = {n, 1};
    return ml_ad_mse(t, mlp(t, th, x, n), ml_ad_const(t, 2, sy, y));
}

/* The differentiable objective: inner steps recorded (create_graph = 1). */
static ml_ad_node *maml_objective(ml_ad_tape *t, ml_ad_node **th, void *ctx)
{
    const task *k = ctx;
    ml_ad_node *cur[NP], *g[NP];
    memcpy(cur, th, sizeof cur);
    for (int s = 0; s < k->steps; s++) {
        ml_ad_node *Ls = task_loss(t, cur, k->xs, k->ys, NS);
        if (ml_ad_grad(t, 1, &Ls, NULL, NP, cur, g, 1) != ML_OK)
            return NULL;
        for (int p = 0; p < NP; p++)
            cur[p] = ml_ad_sub(t, cur[p], ml_ad_scale(t, g[p], k->alpha));
    }
    return task_loss(t, cur, k->xq, k->yq, NQ);
}

/* The same map on plain numbers: each inner gradient from the engine with
 * create_graph = 0, the adapted parameters copied out as floats. */
static double maml_value(ml_ad_tape *t, float *const *theta, const task *k)
{
    float buf[NP][H];
    float *cur[NP];
    for (int p = 0; p < NP; p++) {
        memcpy(buf[p], theta[p],
               (size_t)(SHAPES[p][0] * SHAPES[p][1]) * sizeof(float));
        cur[p] = buf[p];
    }
    for (int s = 0; s < k->steps; s++) {
        ml_ad_tape_reset(t);
        ml_ad_node *th[NP], *g[NP];
        for (int p = 0; p < NP; p++)
            th[p] = ml_ad_leaf(t, 2, SHAPES[p], cur[p], 1);
        ml_ad_node *Ls = task_loss(t, th, k->xs, k->ys, NS);
        ck_assert_int_eq(ml_ad_grad(t, 1, &Ls, NULL, NP, th, g, 0), ML_OK);
        for (int p = 0; p < NP; p++) {
            ck_assert_int_eq(g[p]->id, -1);
            for (size_t i = 0; i < g[p]->size; i++)
                cur[p][i] = (float)((double)cur[p][i] -
                                    (double)k->alpha * g[p]->val[i]);
        }
    }
    ml_ad_tape_reset(t);
    ml_ad_node *th[NP];
    for (int p = 0; p < NP; p++)
        th[p] = ml_ad_leaf(t, 2, SHAPES[p], cur[p], 0);
    ml_ad_node *Lq = task_loss(t, th, k->xq, k->yq, NQ);
    ck_assert_int_eq(ml_ad_tape_status(t), ML_OK);
    ck_assert_int_eq(Lq->id, -1);
    return Lq->val[0];
}

static float W1[H], B1[H], W2[H], B2[1];
static float *THETA[NP] = {W1, B1, W2, B2};

static void make_task(task *k, int steps, float alpha)
{
    ml_rng r;
    ml_rng_seed(&r, 2718);
    gc_fill(&r, W1, H, -1.5f, 1.5f, 0);
    gc_fill(&r, B1, H, -0.5f, 0.5f, 0);
    gc_fill(&r, W2, H, -1.0f, 1.0f, 0);
    B2[0] = 0.1f;
    /* A sine task: y = 0.8 sin(1.3 x + 0.4). */
    for (int i = 0; i < NS; i++) {
        k->xs[i] = ml_rng_range(&r, -2.0f, 2.0f);
        k->ys[i] = 0.8f * sinf(1.3f * k->xs[i] + 0.4f);
    }
    for (int i = 0; i < NQ; i++) {
        k->xq[i] = ml_rng_range(&r, -2.0f, 2.0f);
        k->yq[i] = 0.8f * sinf(1.3f * k->xq[i] + 0.4f);
    }
    k->alpha = alpha;
    k->steps = steps;
}

static void check_maml(int steps, float alpha)
{
    task k;
    make_task(&k, steps, alpha);
    ml_ad_tape t;
    ml_ad_tape_init(&t);

    /* Engine: exact meta-gradient. */
    ml_ad_node *th[NP], *G[NP];
    for (int p = 0; p < NP; p++)
        th[p] = ml_ad_leaf(&t, 2, SHAPES[p], THETA[p], 1);
    ml_ad_node *Lq = maml_objective(&t, th, &k);
    ck_assert_ptr_nonnull(Lq);
    ck_assert_int_eq(ml_ad_grad(&t, 1, &Lq, NULL, NP, th, G, 0), ML_OK);
    double meta[NP][H];
    double lq = Lq->val[0];
    for (int p = 0; p < NP; p++)
        for (size_t i = 0; i < G[p]->size; i++)
            meta[p][i] = G[p]->val[i];
    /* The value agrees with the plain-number map. */
    ck_assert_double_eq_tol(maml_value(&t, THETA, &k), lq, 1e-5);

    /* First-order MAML (no second derivatives): grad L_q at theta'. */
    ml_ad_tape_reset(&t);
    for (int p = 0; p < NP; p++)
        th[p] = ml_ad_leaf(&t, 2, SHAPES[p], THETA[p], 1);
    ml_ad_node *cur[NP], *g[NP];
    memcpy(cur, th, sizeof cur);
    for (int s = 0; s < steps; s++) {
        ml_ad_node *Ls = task_loss(&t, cur, k.xs, k.ys, NS);
        ck_assert_int_eq(ml_ad_grad(&t, 1, &Ls, NULL, NP, cur, g, 0), ML_OK);
        for (int p = 0; p < NP; p++)
            cur[p] = ml_ad_sub(&t, cur[p], ml_ad_scale(&t, g[p], alpha));
    }
    ml_ad_node *Lfo = task_loss(&t, cur, k.xq, k.yq, NQ);
    ck_assert_int_eq(ml_ad_grad(&t, 1, &Lfo, NULL, NP, th, G, 0), ML_OK);
    double fo_diff = 0.0, norm = 0.0;
    for (int p = 0; p < NP; p++)
        for (size_t i = 0; i < G[p]->size; i++) {
            fo_diff = fmax(fo_diff, fabs(G[p]->val[i] - meta[p][i]));
            norm = fmax(norm, fabs(meta[p][i]));
        }

    /* Finite differences of the whole map. */
    const double eps = 1e-2, tol = 2e-2, floor = 0.05;
    double max_err = 0.0;
    for (int p = 0; p < NP; p++)
        for (int i = 0; i < SHAPES[p][0] * SHAPES[p][1]; i++) {
            float x0 = THETA[p][i];
            float xp = (float)(x0 + eps), xm = (float)(x0 - eps);
            THETA[p][i] = xp;
            double fp = maml_value(&t, THETA, &k);
            THETA[p][i] = xm;
            double fm = maml_value(&t, THETA, &k);
            THETA[p][i] = x0;
            double num = (fp - fm) / ((double)xp - (double)xm);
            double err = fabs(num - meta[p][i]) /
                         fmax(floor, fmax(fabs(num), fabs(meta[p][i])));
            max_err = fmax(max_err, err);
            ck_assert_msg(err <= tol, "%d steps: parameter %d[%d]: engine "
                          "%.7g, finite differences %.7g", steps, p, i,
                          meta[p][i], num);
        }
    /* The second-order terms matter here: first-order MAML is off by far
     * more than the tolerance, so the check above could tell them apart. */
    ck_assert_msg(fo_diff > 0.05 * norm,
                  "first-order MAML differs by only %g (max |grad| %g)",
                  fo_diff, norm);
    if (getenv("GC_VERBOSE"))
        fprintf(stderr, "maml %d steps: max err %.3g, |meta| %.3g, "
                "first-order differs by %.3g\n", steps, max_err, norm, fo_diff);
    ml_ad_tape_release(&t);
}

START_TEST(test_maml_one_step)
{
    check_maml(1, 0.5f);
}
END_TEST

START_TEST(test_maml_two_steps)
{
    check_maml(2, 0.3f);
}
END_TEST

/* Third order: the Hessian-vector product of the MAML objective (which
 * already contains a gradient) against differences of its gradient. */
START_TEST(test_maml_hvp)
{
    task k;
    make_task(&k, 1, 0.5f);
    gc_input in[NP];
    for (int p = 0; p < NP; p++) {
        in[p].ndim = 2;
        in[p].shape[0] = SHAPES[p][0];
        in[p].shape[1] = SHAPES[p][1];
        in[p].data = THETA[p];
    }
    gc_opts o = {.eps = 1e-2, .min_abs = 1e-2};
    GC_ASSERT(gc_check_first(maml_objective, &k, NP, in, &o));
    GC_ASSERT(gc_check_hvp(maml_objective, &k, NP, in, &o));
}
END_TEST

static Suite *maml_suite(void)
{
    Suite *s = suite_create("maml");
    TCase *tc = tcase_create("maml");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_maml_one_step);
    tcase_add_test(tc, test_maml_two_steps);
    tcase_add_test(tc, test_maml_hvp);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(maml_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
