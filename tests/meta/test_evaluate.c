/* ml_learner_predict and ml_learner_evaluate against the double-precision
 * reference: predictions with 0, 1 and the default number of inner steps,
 * Meta-SGD's learned step sizes at test time, the regression loss (mean of
 * the per-task MSEs, accuracy NaN) and classification (cross-entropy,
 * accuracy, predicted labels). */
#include "metatest.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const float XS[] = {-1.8f, -0.9f, 0.2f, 1.1f, 1.7f}, YS[] = {0.7f, -1.3f, 0.4f, 1.6f, -0.2f};
static const float XQ[] = {-1.3f, 0.6f, 1.4f}, YQ[] = {-0.4f, 1.2f, 0.9f};
static const float X2S[] = {-0.5f, 0.9f}, Y2S[] = {2.0f, -1.0f};
static const float X2Q[] = {0.0f, 0.3f, -1.0f, 2.2f}, Y2Q[] = {1.0f, 0.2f, 0.5f, -2.0f};
static const float XIN[] = {-2.5f, -1.0f, 0.0f, 0.75f, 3.0f};
enum { NIN = 5 };

static ml_learner *reg_learner(const ref_net *net, ml_strategy s, double lr, int steps)
{
    ml_model *m = ref_model(net);
    ml_learner *l;
    ck_assert_int_eq(ml_learner_create(&l, m, s, 55), ML_OK);
    ml_model_free(m);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_LR, lr), ML_OK);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_STEPS, steps), ML_OK);
    return l;
}

START_TEST(test_predict_regression)
{
    const double lr = 0.2;
    ref_net net = ref_mlp(1, 3, (size_t[]){6, 6, 1}, ML_LAYER_TANH);
    size_t n = ref_num_params(&net);
    ml_learner *l = reg_learner(&net, ML_STRATEGY_MAML, lr, 3);
    ml_task *t = make_reg_task(1, 1, 5, XS, YS, 3, XQ, YQ);
    ref_task r;
    ref_task_load(&r, t);
    float *thf = learner_params(l);
    double *th = dup_double(thf, n), *x = dup_double(XIN, NIN);
    double phi[128], want[NIN], before[NIN];
    float out[NIN];

    /* 0 steps: the meta-parameters as they are. */
    ck_assert_int_eq(ml_learner_predict(l, t, 0, NIN, XIN, out, NIN, NULL), ML_OK);
    ref_forward(&net, th, NIN, x, before);
    check_close("predict, 0 steps", out, before, NIN, 1e-6, 1e-5);
    /* 1 and 2 steps of SGD on the support set. */
    for (int steps = 1; steps <= 2; steps++) {
        ck_assert_int_eq(ml_learner_predict(l, t, steps, NIN, XIN, out, NIN, NULL), ML_OK);
        ref_adapt(&net, th, NULL, lr, steps, &r, phi);
        ref_forward(&net, phi, NIN, x, want);
        ck_assert(max_abs_diff(want, before, NIN) > 1e-2); /* adaptation shows */
        check_close("predict, adapted", out, want, NIN, 1e-5, 1e-4);
    }
    /* A negative count: ML_LEARNER_INNER_STEPS (3). */
    ck_assert_int_eq(ml_learner_predict(l, t, -1, NIN, XIN, out, NIN, NULL), ML_OK);
    ref_adapt(&net, th, NULL, lr, 3, &r, phi);
    ref_forward(&net, phi, NIN, x, want);
    check_close("predict, default steps", out, want, NIN, 1e-5, 1e-4);
    /* The meta-parameters did not move. */
    float *after = learner_params(l);
    ck_assert_mem_eq(after, thf, n * sizeof(float));

    free(after);
    free(thf);
    free(th);
    free(x);
    ref_task_free(&r);
    ml_task_free(t);
    ml_learner_free(l);
}
END_TEST

/* Meta-SGD adapts with its own alpha at test time, the joint baseline
 * with SGD at the inner rate. */
START_TEST(test_predict_metasgd_and_joint)
{
    ref_net net = ref_mlp(1, 2, (size_t[]){7, 1}, ML_LAYER_TANH);
    size_t n = ref_num_params(&net);
    ml_task *t = make_reg_task(1, 1, 5, XS, YS, 3, XQ, YQ);
    ref_task r;
    ref_task_load(&r, t);
    double *x = dup_double(XIN, NIN), phi[64], want[NIN], plain[NIN];
    float out[NIN];

    ml_learner *l = reg_learner(&net, ML_STRATEGY_METASGD, 0.01, 1);
    float *p = learner_params(l);
    for (size_t i = 0; i < n; i++)
        p[n + i] = 0.05f + 0.02f * (float)(i % 9); /* alphas far from 0.01 */
    ck_assert_int_eq(ml_learner_set_meta_params(l, p, 2 * n), ML_OK);
    double *th = dup_double(p, n), *al = dup_double(p + n, n);
    ck_assert_int_eq(ml_learner_predict(l, t, 2, NIN, XIN, out, NIN, NULL), ML_OK);
    ref_adapt(&net, th, al, 0, 2, &r, phi);
    ref_forward(&net, phi, NIN, x, want);
    ref_adapt(&net, th, NULL, 0.01, 2, &r, phi);
    ref_forward(&net, phi, NIN, x, plain);
    ck_assert(max_abs_diff(want, plain, NIN) > 1e-3);
    check_close("metasgd predict", out, want, NIN, 1e-5, 1e-4);
    free(p);
    free(th);
    free(al);
    ml_learner_free(l);

    l = reg_learner(&net, ML_STRATEGY_JOINT, 0.15, 1);
    p = learner_params(l);
    th = dup_double(p, n);
    ck_assert_int_eq(ml_learner_predict(l, t, 2, NIN, XIN, out, NIN, NULL), ML_OK);
    ref_adapt(&net, th, NULL, 0.15, 2, &r, phi);
    ref_forward(&net, phi, NIN, x, want);
    check_close("joint predict", out, want, NIN, 1e-5, 1e-4);
    free(p);
    free(th);
    ml_learner_free(l);

    free(x);
    ref_task_free(&r);
    ml_task_free(t);
}
END_TEST

START_TEST(test_evaluate_regression)
{
    const double lr = 0.2;
    ref_net net = ref_mlp(1, 3, (size_t[]){6, 6, 1}, ML_LAYER_TANH);
    size_t n = ref_num_params(&net);
    ml_learner *l = reg_learner(&net, ML_STRATEGY_FOMAML, lr, 2);
    ml_task *t[2] = {make_reg_task(1, 1, 5, XS, YS, 3, XQ, YQ),
                     make_reg_task(1, 1, 2, X2S, Y2S, 4, X2Q, Y2Q)};
    ref_task r[2];
    ref_task_load(&r[0], t[0]);
    ref_task_load(&r[1], t[1]);
    float *thf = learner_params(l);
    double *th = dup_double(thf, n);

    for (int steps = -1; steps <= 3; steps++) {
        int s = steps < 0 ? 2 : steps;
        double want[2];
        for (int k = 0; k < 2; k++)
            want[k] = ref_maml_objective(&net, th, NULL, lr, s, &r[k]);
        double loss = NAN, acc = 0, per[2] = {NAN, NAN};
        ck_assert_int_eq(ml_learner_evaluate(l, 2, t, steps, &loss, &acc, per), ML_OK);
        for (int k = 0; k < 2; k++)
            ck_assert_msg(fabs(per[k] - want[k]) <= 1e-5 + 1e-4 * want[k],
                          "steps %d task %d: %.9g, want %.9g", steps, k, per[k], want[k]);
        ck_assert_double_eq_tol(loss, 0.5 * (want[0] + want[1]), 1e-5);
        ck_assert_double_eq_tol(loss, 0.5 * (per[0] + per[1]), 1e-12);
        ck_assert(isnan(acc));
        /* Optional outputs. */
        double loss2 = NAN;
        ck_assert_int_eq(ml_learner_evaluate(l, 2, t, steps, &loss2, NULL, NULL), ML_OK);
        ck_assert(loss2 == loss);
        ck_assert_int_eq(ml_learner_evaluate(l, 2, t, steps, NULL, NULL, NULL), ML_OK);
    }
    /* Evaluation leaves the learner as it was. */
    float *after = learner_params(l);
    ck_assert_mem_eq(after, thf, n * sizeof(float));
    double it;
    ck_assert_int_eq(ml_learner_get(l, ML_LEARNER_ITERATION, &it), ML_OK);
    ck_assert_double_eq(it, 0);

    free(after);
    free(thf);
    free(th);
    for (int k = 0; k < 2; k++) {
        ref_task_free(&r[k]);
        ml_task_free(t[k]);
    }
    ml_learner_free(l);
}
END_TEST

/* ---------------------------------------------------------------- classes */

enum { WAYS = 3 };
static const float CXS[] = {-1.0f, 0.5f, 0.8f, -0.2f, 0.1f, 1.3f,
                            -0.6f, -0.9f, 1.1f, 0.4f, -0.3f, 0.7f};
static const int CLS[] = {0, 1, 2, 0, 1, 2};
static const float CXQ[] = {-0.8f, 0.2f, 0.9f, 0.1f, 0.3f, 1.0f, 0.5f, -1.2f,
                            -0.1f, 0.6f, 1.2f, -0.4f, -1.1f, -0.5f};
static const int CLQ[] = {0, 1, 2, 1, 0, 2, 0};
static const float DXS[] = {0.9f, 0.9f, -1.1f, 0.3f, 0.2f, -0.8f, 1.4f, -0.2f};
static const int DLS[] = {2, 0, 1, 2};
static const float DXQ[] = {0.7f, 1.0f, -0.9f, -0.1f, 0.4f, -0.5f, 1.5f, 0.1f};
static const int DLQ[] = {2, 0, 1, 1};

static int argmax(const double *v, size_t n, double *gap)
{
    size_t best = 0;
    for (size_t j = 1; j < n; j++)
        if (v[j] > v[best])
            best = j;
    double second = -INFINITY;
    for (size_t j = 0; j < n; j++)
        if (j != best && v[j] > second)
            second = v[j];
    *gap = v[best] - second;
    return (int)best;
}

START_TEST(test_classification)
{
    const double lr = 0.5;
    ref_net net = ref_mlp(2, 2, (size_t[]){8, WAYS}, ML_LAYER_TANH);
    size_t n = ref_num_params(&net);
    ml_model *m = ref_model(&net);
    ck_assert_uint_eq(ml_model_output_size(m), WAYS);
    ml_learner *l;
    ck_assert_int_eq(ml_learner_create(&l, m, ML_STRATEGY_MAML, 8), ML_OK);
    ml_model_free(m);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_LR, lr), ML_OK);
    ml_task *t[2];
    ck_assert_int_eq(ml_task_create_classification(&t[0], 2, WAYS, 6, CXS, CLS, 7, CXQ, CLQ),
                     ML_OK);
    ck_assert_int_eq(ml_task_create_classification(&t[1], 2, WAYS, 4, DXS, DLS, 4, DXQ, DLQ),
                     ML_OK);
    ck_assert_uint_eq(ml_task_num_ways(t[0]), WAYS);
    ck_assert_uint_eq(ml_task_output_size(t[0]), WAYS);
    ref_task r[2];
    ref_task_load(&r[0], t[0]);
    ref_task_load(&r[1], t[1]);
    float *thf = learner_params(l);
    double *th = dup_double(thf, n);

    int saw_partial = 0;
    for (int steps = 0; steps <= 3; steps++) {
        double want_loss[2], want_acc[2];
        for (int k = 0; k < 2; k++) {
            double phi[128], scores[16 * WAYS];
            ref_adapt(&net, th, NULL, lr, steps, &r[k], phi);
            want_loss[k] = ref_loss(&net, phi, &r[k], 1, NULL);
            ref_forward(&net, phi, r[k].n[1], r[k].x[1], scores);
            int right = 0;
            for (size_t i = 0; i < r[k].n[1]; i++) {
                double gap;
                int lab = argmax(scores + i * WAYS, WAYS, &gap);
                ck_assert_double_gt(gap, 1e-4); /* no near ties */
                right += lab == r[k].labels[1][i];
            }
            want_acc[k] = (double)right / (double)r[k].n[1];
            saw_partial |= right > 0 && (size_t)right < r[k].n[1];

            /* predict: scores and labels for the query inputs */
            float out[16 * WAYS];
            int labels[16];
            size_t nq = r[k].n[1];
            float xq[32];
            ck_assert_int_eq(ml_task_get_inputs(t[k], ML_QUERY, xq, 2 * nq), ML_OK);
            memset(labels, -1, sizeof labels);
            ck_assert_int_eq(ml_learner_predict(l, t[k], steps, nq, xq, out, nq * WAYS,
                                                labels),
                             ML_OK);
            check_close("class scores", out, scores, nq * WAYS, 1e-5, 1e-4);
            for (size_t i = 0; i < nq; i++) {
                double row[WAYS], gap;
                to_double(out + i * WAYS, row, WAYS);
                ck_assert_int_eq(labels[i], argmax(row, WAYS, &gap));
                ck_assert_int_eq(labels[i], argmax(scores + i * WAYS, WAYS, &gap));
            }
            /* Labels are optional. */
            ck_assert_int_eq(ml_learner_predict(l, t[k], steps, nq, xq, out, nq * WAYS,
                                                NULL),
                             ML_OK);
        }
        double loss, acc, per[2];
        ck_assert_int_eq(ml_learner_evaluate(l, 2, t, steps, &loss, &acc, per), ML_OK);
        for (int k = 0; k < 2; k++)
            ck_assert_msg(fabs(per[k] - want_loss[k]) <= 1e-5 + 1e-4 * want_loss[k],
                          "steps %d task %d: cross-entropy %.9g, want %.9g", steps, k,
                          per[k], want_loss[k]);
        ck_assert_double_eq_tol(loss, 0.5 * (want_loss[0] + want_loss[1]), 1e-5);
        ck_assert(acc >= 0.0 && acc <= 1.0);
        ck_assert_double_eq_tol(acc, 0.5 * (want_acc[0] + want_acc[1]), 1e-12);
    }
    /* The accuracy was checked on a case where it is neither 0 nor 1. */
    ck_assert(saw_partial);

    free(thf);
    free(th);
    for (int k = 0; k < 2; k++) {
        ref_task_free(&r[k]);
        ml_task_free(t[k]);
    }
    ml_learner_free(l);
}
END_TEST

static Suite *evaluate_suite(void)
{
    Suite *s = suite_create("meta_evaluate");
    TCase *tc = tcase_create("regression");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_predict_regression);
    tcase_add_test(tc, test_predict_metasgd_and_joint);
    tcase_add_test(tc, test_evaluate_regression);
    suite_add_tcase(s, tc);
    tc = tcase_create("classification");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_classification);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(evaluate_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
