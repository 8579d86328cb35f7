/* Training that goes non-finite stops with ML_ERR_NUMERIC and keeps the
 * last finite parameters: the parameters are bit-identical to before the
 * failing call, and so is the rest of the state (optimiser moments, step
 * and iteration counts, random generator): the next good call gives the
 * same bits as on a twin that never saw the failure.
 *
 * The failures: a task whose targets (or inputs) of 1e30 make the loss
 * overflow, an inner learning rate of 1e30 that makes adaptation diverge,
 * an outer learning rate past the float range, a gradient whose square
 * overflows Adam's second moment, and Reptile steps past FLT_MAX. */
#include "hardening.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { N_TASKS = 3 };

/* ---------------------------------------------------------------- optimiser */

static const ml_optimizer_kind KINDS[] = {ML_OPTIMIZER_SGD, ML_OPTIMIZER_ADAM,
                                          ML_OPTIMIZER_RMSPROP};

static ml_optimizer *opt_of(ml_optimizer_kind kind, double lr)
{
    ml_optimizer *o = NULL;
    ck_assert_int_eq(ml_optimizer_create(&o, kind), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LR, lr), ML_OK);
    if (kind == ML_OPTIMIZER_SGD)
        ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_MOMENTUM, 0.9), ML_OK);
    return o;
}

/* Twin optimisers: one sees a failing step in the middle, the other not;
 * afterwards their parameters must agree bit for bit. */
static void check_twins(ml_optimizer_kind kind, double bad_lr, float bad_grad)
{
    float p[4] = {0.5f, -1.0f, 2.0f, 0.25f}, q[4], g[4] = {0.1f, -0.2f, 0.3f, 0.05f};
    float big[4] = {bad_grad, bad_grad, -bad_grad, 1.0f};
    memcpy(q, p, sizeof p);
    ml_optimizer *a = opt_of(kind, 0.01), *b = opt_of(kind, 0.01);
    for (int s = 0; s < 3; s++) {
        ck_assert_int_eq(ml_optimizer_step(a, 4, p, g), ML_OK);
        ck_assert_int_eq(ml_optimizer_step(b, 4, q, g), ML_OK);
    }
    float before[4];
    memcpy(before, p, sizeof p);
    ck_assert_int_eq(ml_optimizer_set(a, ML_OPT_LR, bad_lr), ML_OK);
    ml_status st = ml_optimizer_step(a, 4, p, big);
    ck_assert_msg(st == ML_ERR_NUMERIC, "kind %d, lr %g, gradient %g: status %d (%s)",
                  (int)kind, bad_lr, (double)bad_grad, (int)st, ml_status_str(st));
    ck_assert_mem_eq(p, before, sizeof p);
    ck_assert_str_ne(ml_optimizer_last_error(a), "");
    ck_assert_int_eq(ml_optimizer_set(a, ML_OPT_LR, 0.01), ML_OK);
    for (int s = 0; s < 2; s++) {
        ck_assert_int_eq(ml_optimizer_step(a, 4, p, g), ML_OK);
        ck_assert_int_eq(ml_optimizer_step(b, 4, q, g), ML_OK);
    }
    ck_assert_msg(memcmp(p, q, sizeof p) == 0,
                  "kind %d: the failed step changed the optimiser's state", (int)kind);
    ml_optimizer_free(a);
    ml_optimizer_free(b);
}

START_TEST(test_optimizer_overflow_keeps_state)
{
    ml_optimizer_kind kind = KINDS[_i];
    /* A finite learning rate whose float is infinite. */
    check_twins(kind, 1e300, 1.0f);
    /* A huge step from a huge gradient (Adam's step is bounded by its
     * learning rate, so it needs one past FLT_MAX too). */
    check_twins(kind, kind == ML_OPTIMIZER_ADAM ? 1e39 : 1e30, 1e10f);
    /* A gradient whose square overflows the second moment. */
    if (kind != ML_OPTIMIZER_SGD)
        check_twins(kind, 0.01, 1e25f);
}
END_TEST

/* A first step that fails does not fix the parameter count. */
START_TEST(test_optimizer_failed_first_step)
{
    ml_optimizer *o = opt_of(KINDS[_i], 1e300);
    float p[4] = {1, 2, 3, 4}, g[4] = {1, 1, 1, 1};
    ck_assert_int_eq(ml_optimizer_step(o, 4, p, g), ML_ERR_NUMERIC);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LR, 0.1), ML_OK);
    ck_assert_int_eq(ml_optimizer_step(o, 3, p, g), ML_OK);
    ck_assert_float_ne(p[0], 1.0f);
    ck_assert_float_eq(p[3], 4.0f);
    ml_optimizer_free(o);
}
END_TEST

/* ---------------------------------------------------------------- learners */

static const ml_strategy GRADIENT_BASED[] = {ML_STRATEGY_MAML, ML_STRATEGY_FOMAML,
                                             ML_STRATEGY_REPTILE, ML_STRATEGY_METASGD,
                                             ML_STRATEGY_JOINT};
enum { N_GB = sizeof GRADIENT_BASED / sizeof GRADIENT_BASED[0] };

static ml_task *huge_task(void)
{
    const float x[6] = {-1, 0, 1, 0.5f, -0.5f, 2}, y[6] = {1e30f, -1e30f, 1e30f,
                                                         1e30f, -1e30f, 1e30f};
    ml_task *t = NULL;
    ck_assert_int_eq(ml_task_create_regression(&t, 1, 1, 3, x, y, 3, x + 3, y + 3), ML_OK);
    return t;
}

/* A good meta-step on both twins; whether they then agree bit for bit
 * (parameters and loss).  Frees both. */
static int twins_agree(ml_learner *a, ml_learner *b, size_t n_tasks, ml_task **tasks)
{
    double la = 1, lb = 2;
    size_t n = ml_learner_num_meta_params(a);
    ck_assert_int_eq(ml_learner_meta_step(a, n_tasks, tasks, &la), ML_OK);
    ck_assert_int_eq(ml_learner_meta_step(b, n_tasks, tasks, &lb), ML_OK);
    float *pa = hd_params(a), *pb = hd_params(b);
    int same = memcmp(pa, pb, n * sizeof(float)) == 0 && la == lb;
    free(pa);
    free(pb);
    ml_learner_free(a);
    ml_learner_free(b);
    return same;
}

/* What breaks a step in one of the ways below, and how to undo it. */
typedef enum breakage { HUGE_TARGETS, HUGE_INNER_LR, HUGE_OUTER_LR, N_BREAKAGES } breakage;

static const char *const BREAKAGE_NAMES[] = {"targets of 1e30", "inner lr 1e30",
                                             "outer lr 1e300"};

static ml_optimizer *sgd(double lr)
{
    ml_optimizer *o = NULL;
    ck_assert_int_eq(ml_optimizer_create(&o, ML_OPTIMIZER_SGD), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LR, lr), ML_OK);
    return o;
}

static void set_outer_lr(ml_learner *l, double lr)
{
    ml_optimizer *o = sgd(lr);
    ck_assert_int_eq(ml_learner_set_optimizer(l, o), ML_OK);
    ml_optimizer_free(o);
}

START_TEST(test_meta_step_keeps_last_finite)
{
    ml_strategy s = GRADIENT_BASED[_i / N_BREAKAGES];
    breakage how = (breakage)(_i % N_BREAKAGES);
    /* Reptile's outer step is epsilon, not an optimiser; Meta-SGD adapts
     * with its own step sizes and the joint baseline does not adapt. */
    if ((how == HUGE_OUTER_LR && s == ML_STRATEGY_REPTILE) ||
        (how == HUGE_INNER_LR && (s == ML_STRATEGY_METASGD || s == ML_STRATEGY_JOINT)))
        return;
    ml_task *good[N_TASKS], *bad[N_TASKS];
    hd_sine_tasks(good, N_TASKS, 21);
    hd_sine_tasks(bad, N_TASKS, 22);
    if (how == HUGE_TARGETS) {
        ml_task_free(bad[1]);
        bad[1] = huge_task();
    }
    ml_learner *a = hd_learner(s, 5), *b = hd_learner(s, 5);
    if (s != ML_STRATEGY_REPTILE) {
        /* SGD outer steps: the twins agree only if no moment was touched. */
        set_outer_lr(a, 0.01);
        set_outer_lr(b, 0.01);
    }
    double la, lb;
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(ml_learner_meta_step(a, N_TASKS, good, &la), ML_OK);
        ck_assert_int_eq(ml_learner_meta_step(b, N_TASKS, good, &lb), ML_OK);
    }
    size_t n = ml_learner_num_meta_params(a);
    float *p0 = hd_params(a);
    if (how == HUGE_INNER_LR)
        ck_assert_int_eq(ml_learner_set(a, ML_LEARNER_INNER_LR, 1e30), ML_OK);
    if (how == HUGE_OUTER_LR)
        set_outer_lr(a, 1e300);
    double loss = 42.0;
    ml_status st = ml_learner_meta_step(a, N_TASKS, bad, &loss);
    ck_assert_msg(st == ML_ERR_NUMERIC, "strategy %d, %s: status %d (%s)", (int)s,
                  BREAKAGE_NAMES[how], (int)st, ml_last_error());
    ck_assert_msg(loss == 42.0, "the loss was written on failure");
    ck_assert_str_ne(ml_learner_last_error(a), "");
    float *p1 = hd_params(a);
    ck_assert_msg(memcmp(p0, p1, n * sizeof(float)) == 0,
                  "strategy %d, %s: the parameters changed", (int)s, BREAKAGE_NAMES[how]);
    double it = -1;
    ck_assert_int_eq(ml_learner_get(a, ML_LEARNER_ITERATION, &it), ML_OK);
    ck_assert_double_eq(it, 2);

    /* Undo the cause; the learner goes on as if nothing had happened. */
    if (how == HUGE_INNER_LR)
        ck_assert_int_eq(ml_learner_set(a, ML_LEARNER_INNER_LR, 0.01), ML_OK);
    if (how == HUGE_OUTER_LR) {
        /* A new optimiser has fresh state: give the twin one too. */
        set_outer_lr(a, 0.01);
        set_outer_lr(b, 0.01);
    }
    ck_assert_msg(twins_agree(a, b, N_TASKS, good),
                  "strategy %d, %s: the failed step changed the learner's state", (int)s,
                  BREAKAGE_NAMES[how]);
    free(p0);
    free(p1);
    hd_tasks_free(good, N_TASKS);
    hd_tasks_free(bad, N_TASKS);
}
END_TEST

/* The same for the metric strategies: an episode whose huge inputs make
 * the embeddings' distances overflow (a dense embedding: batch
 * normalisation would scale them back).  Not the relation network: its
 * module's ReLU maps a NaN embedding to 0, so its loss stays finite.  Nor
 * the matching network: its squared norms overflow to inf, the unit
 * embeddings to 0, so every cosine is 0 and the loss is the finite
 * -log of the class frequencies. */
START_TEST(test_metric_step_keeps_last_finite)
{
    static const ml_strategy metric[] = {ML_STRATEGY_PROTONET, ML_STRATEGY_SIAMESE};
    ml_strategy s = metric[_i];
    ml_dataset *d = hd_image_dataset(5, 4, 9);
    ml_sampler *sp = NULL;
    ck_assert_int_eq(ml_sampler_create_episodes(&sp, d, 3), ML_OK);
    ck_assert_int_eq(ml_sampler_set(sp, ML_SAMPLER_WAYS, 3), ML_OK);
    ck_assert_int_eq(ml_sampler_set(sp, ML_SAMPLER_QUERIES, 2), ML_OK);
    ml_task *good[2], *bad = NULL;
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(ml_sampler_sample(sp, &good[i]), ML_OK);
    float x[6 * 64];
    int lab[6] = {0, 1, 2, 0, 1, 2};
    for (int i = 0; i < 6 * 64; i++) /* examples apart by ~1e30 */
        x[i] = (float)(i / 64 + 1) * (i % 3 ? 1e30f : -1e30f);
    ck_assert_int_eq(ml_task_create_classification(&bad, 64, 3, 3, x, lab, 3, x + 3 * 64,
                                                   lab),
                     ML_OK);
    ml_model *m = NULL;
    ck_assert_int_eq(ml_model_create(&m, 3, (size_t[]){1, 8, 8}), ML_OK);
    ck_assert_int_eq(ml_model_add_dense(m, 8), ML_OK);
    ml_learner *a = NULL, *b = NULL;
    ck_assert_int_eq(ml_learner_create(&a, m, s, 8), ML_OK);
    ck_assert_int_eq(ml_learner_create(&b, m, s, 8), ML_OK);
    ml_model_free(m);
    double la, lb;
    ck_assert_int_eq(ml_learner_meta_step(a, 2, good, &la), ML_OK);
    ck_assert_int_eq(ml_learner_meta_step(b, 2, good, &lb), ML_OK);
    size_t n = ml_learner_num_meta_params(a);
    float *p0 = hd_params(a);
    ml_task *mixed[2] = {good[0], bad};
    ml_status st = ml_learner_meta_step(a, 2, mixed, &la);
    ck_assert_msg(st == ML_ERR_NUMERIC, "strategy %d: status %d (%s)", (int)s, (int)st,
                  ml_last_error());
    float *p1 = hd_params(a);
    ck_assert_mem_eq(p0, p1, n * sizeof(float));
    ck_assert_msg(twins_agree(a, b, 2, good),
                  "strategy %d: the failed step changed the learner's state", (int)s);
    free(p0);
    free(p1);
    ml_task_free(good[0]);
    ml_task_free(good[1]);
    ml_task_free(bad);
    ml_sampler_free(sp);
    ml_dataset_free(d);
}
END_TEST

/* ml_learner_apply_gradient with finite gradients that would carry a
 * parameter past FLT_MAX: refused, parameters kept (the outer optimiser,
 * and Reptile's own step). */
START_TEST(test_apply_gradient_overflow)
{
    ml_strategy s = _i ? ML_STRATEGY_REPTILE : ML_STRATEGY_MAML;
    ml_learner *l = hd_learner(s, 4);
    if (s != ML_STRATEGY_REPTILE)
        set_outer_lr(l, 10.0);
    size_t n = ml_learner_num_meta_params(l);
    float *theta = malloc(n * sizeof *theta), *g = malloc(n * sizeof *g);
    ck_assert(theta && g);
    for (size_t i = 0; i < n; i++) {
        theta[i] = -3e38f;
        g[i] = 3e38f;
    }
    ck_assert_int_eq(ml_learner_set_meta_params(l, theta, n), ML_OK);
    ck_assert_int_eq(ml_learner_apply_gradient(l, g, n), ML_ERR_NUMERIC);
    float *after = hd_params(l);
    ck_assert_mem_eq(after, theta, n * sizeof(float));
    double it = -1;
    ck_assert_int_eq(ml_learner_get(l, ML_LEARNER_ITERATION, &it), ML_OK);
    ck_assert_double_eq(it, 0);
    /* From ordinary parameters, a small gradient still applies. */
    for (size_t i = 0; i < n; i++) {
        theta[i] = 0.5f;
        g[i] = 1e-2f;
    }
    ck_assert_int_eq(ml_learner_set_meta_params(l, theta, n), ML_OK);
    ck_assert_int_eq(ml_learner_apply_gradient(l, g, n), ML_OK);
    free(after);
    after = hd_params(l);
    ck_assert_float_ne(after[0], theta[0]);
    free(after);
    free(theta);
    free(g);
    ml_learner_free(l);
}
END_TEST

/* Evaluation and prediction of a diverging adaptation report it. */
START_TEST(test_evaluate_predict_diverging)
{
    ml_strategy s = GRADIENT_BASED[_i];
    ml_learner *l = hd_learner(s, 6);
    ml_task *t[2];
    hd_sine_tasks(t, 2, 31);
    if (s != ML_STRATEGY_METASGD) { /* which adapts with its own step sizes */
        ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_LR, 1e30), ML_OK);
        float x[3] = {0, 1, 2}, y[3];
        ck_assert_int_eq(ml_learner_evaluate(l, 2, t, 3, NULL, NULL, NULL), ML_ERR_NUMERIC);
        ck_assert_int_eq(ml_learner_predict(l, t[0], 3, 3, x, y, 3, NULL), ML_ERR_NUMERIC);
    }
    ml_task *h = huge_task();
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_LR, 0.01), ML_OK);
    ck_assert_int_eq(ml_learner_evaluate(l, 1, &h, 0, NULL, NULL, NULL), ML_ERR_NUMERIC);
    double loss = NAN;
    ck_assert_int_eq(ml_learner_evaluate(l, 2, t, 3, &loss, NULL, NULL), ML_OK);
    ck_assert(isfinite(loss));
    ml_task_free(h);
    hd_tasks_free(t, 2);
    ml_learner_free(l);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hardening_numeric");
    TCase *tc = tcase_create("numeric");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_optimizer_overflow_keeps_state, 0, 3);
    tcase_add_loop_test(tc, test_optimizer_failed_first_step, 0, 3);
    tcase_add_loop_test(tc, test_meta_step_keeps_last_finite, 0, N_GB * N_BREAKAGES);
    tcase_add_loop_test(tc, test_metric_step_keeps_last_finite, 0, 2);
    tcase_add_loop_test(tc, test_apply_gradient_overflow, 0, 2);
    tcase_add_loop_test(tc, test_evaluate_predict_diverging, 0, N_GB);
    suite_add_tcase(s, tc);
    return hd_run(s);
}
