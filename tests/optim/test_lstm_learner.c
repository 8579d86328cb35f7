/* The LSTM learner strategy (MAML with the learned optimiser as its inner
 * update), through the public API: its meta-gradient against central
 * differences of the query loss after plain adaptation (a separate code
 * path: the evaluation's inner loop), for 1 and 2 inner steps; adopting a
 * trained optimiser; saving and loading; and the argument rules. */
#include "metalearn.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ml_task *tiny_task(void)
{
    const float xs[4] = {-1.0f, -0.3f, 0.4f, 1.2f}, ys[4] = {0.5f, -0.2f, 0.3f, 0.9f};
    const float xq[3] = {-0.7f, 0.1f, 0.8f}, yq[3] = {0.2f, 0.0f, 0.6f};
    ml_task *t;
    ck_assert_int_eq(ml_task_create_regression(&t, 1, 1, 4, xs, ys, 3, xq, yq), ML_OK);
    return t;
}

static ml_learner *tiny_learner(int hidden)
{
    const size_t sizes[2] = {4, 1};
    ml_model *m;
    ck_assert_int_eq(ml_model_create_mlp(&m, 1, 2, sizes, ML_LAYER_TANH), ML_OK);
    ml_learner *l;
    ck_assert_int_eq(ml_learner_create(&l, m, ML_STRATEGY_LSTM, 11), ML_OK);
    ml_model_free(m);
    ml_optimizer *o;
    ck_assert_int_eq(ml_optimizer_create(&o, ML_OPTIMIZER_LSTM), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_HIDDEN, hidden), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_OUTPUT_SCALE, 0.5), ML_OK);
    /* larger weights than the initial draw: updates that depend clearly on
     * the gradient */
    size_t nw = ml_optimizer_num_weights(o);
    float *w = malloc(nw * sizeof *w);
    ml_optimizer_get_weights(o, w, nw);
    for (size_t i = 0; i < nw; i++)
        w[i] *= 3.0f;
    ck_assert_int_eq(ml_optimizer_set_weights(o, w, nw), ML_OK);
    ck_assert_int_eq(ml_learner_set_inner_optimizer(l, o), ML_OK);
    size_t nparams = ml_model_num_params(ml_learner_model(l));
    ck_assert_uint_eq(ml_learner_num_meta_params(l), nparams + nw);
    free(w);
    ml_optimizer_free(o);
    return l;
}

static void check_gradient(int steps)
{
    ml_learner *l = tiny_learner(3);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_STEPS, steps), ML_OK);
    ml_task *task = tiny_task();
    size_t n = ml_learner_num_meta_params(l);
    float *p = malloc(n * 4), *g = malloc(n * 4);
    ck_assert_int_eq(ml_learner_get_meta_params(l, p, n), ML_OK);
    double loss;
    ck_assert_int_eq(ml_learner_meta_gradient(l, 1, &task, g, n, &loss), ML_OK);
    double l0;
    ck_assert_int_eq(ml_learner_evaluate(l, 1, &task, steps, &l0, NULL, NULL), ML_OK);
    ck_assert_double_eq_tol(loss, l0, 1e-5 * fmax(1, l0));
    double gmax = 0;
    for (size_t i = 0; i < n; i++)
        gmax = fmax(gmax, fabs(g[i]));
    ck_assert(gmax > 1e-3);
    for (size_t i = 0; i < n; i++) {
        const float keep = p[i], eps = 1e-2f;
        double lp, lm;
        p[i] = keep + eps;
        ck_assert_int_eq(ml_learner_set_meta_params(l, p, n), ML_OK);
        ck_assert_int_eq(ml_learner_evaluate(l, 1, &task, steps, &lp, NULL, NULL), ML_OK);
        p[i] = keep - eps;
        ck_assert_int_eq(ml_learner_set_meta_params(l, p, n), ML_OK);
        ck_assert_int_eq(ml_learner_evaluate(l, 1, &task, steps, &lm, NULL, NULL), ML_OK);
        p[i] = keep;
        double fd = (lp - lm) / (2.0 * eps);
        ck_assert_msg(fabs(fd - g[i]) <= 2e-3 * gmax + 1e-4,
                      "%d steps, meta-parameter %zu: gradient %g, finite differences %g",
                      steps, i, g[i], fd);
    }
    free(p);
    free(g);
    ml_task_free(task);
    ml_learner_free(l);
}

START_TEST(gradient_one_step)
{
    check_gradient(1);
}
END_TEST

START_TEST(gradient_two_steps)
{
    check_gradient(2);
}
END_TEST

START_TEST(rules_and_files)
{
    ml_learner *l = tiny_learner(2);
    ml_task *task = tiny_task();
    ml_optimizer *adam, *lstm;
    ck_assert_int_eq(ml_optimizer_create(&adam, ML_OPTIMIZER_ADAM), ML_OK);
    ck_assert_int_eq(ml_optimizer_create(&lstm, ML_OPTIMIZER_LSTM), ML_OK);
    ck_assert_int_eq(ml_learner_set_inner_optimizer(l, adam), ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_learner_set_inner_optimizer(l, NULL), ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_learner_set_optimizer(l, lstm), ML_ERR_UNSUPPORTED);
    ck_assert_int_eq(ml_learner_meta_step(l, 1, &task, NULL), ML_OK);
    ck_assert_int_eq(ml_learner_set_inner_optimizer(l, lstm), ML_ERR_STATE);
    /* another strategy has no learned inner update */
    ml_learner *maml;
    ck_assert_int_eq(ml_learner_create(&maml, ml_learner_model(l), ML_STRATEGY_MAML, 1),
                     ML_OK);
    ck_assert_int_eq(ml_learner_set_inner_optimizer(maml, lstm), ML_ERR_UNSUPPORTED);
    ml_learner_free(maml);
    /* a round trip keeps the shape, the weights and the predictions */
    size_t size;
    ck_assert_int_eq(ml_learner_save_buffer(l, NULL, 0, &size), ML_OK);
    void *buf = malloc(size);
    ck_assert_int_eq(ml_learner_save_buffer(l, buf, size, &size), ML_OK);
    ml_learner *b;
    ck_assert_int_eq(ml_learner_load_buffer(&b, buf, size), ML_OK);
    ck_assert_int_eq(ml_learner_strategy(b), ML_STRATEGY_LSTM);
    size_t n = ml_learner_num_meta_params(l);
    ck_assert_uint_eq(ml_learner_num_meta_params(b), n);
    double la, lb;
    ck_assert_int_eq(ml_learner_evaluate(l, 1, &task, 3, &la, NULL, NULL), ML_OK);
    ck_assert_int_eq(ml_learner_evaluate(b, 1, &task, 3, &lb, NULL, NULL), ML_OK);
    ck_assert_double_eq(la, lb);
    ck_assert_int_eq(ml_learner_meta_step(l, 1, &task, NULL), ML_OK);
    ck_assert_int_eq(ml_learner_meta_step(b, 1, &task, NULL), ML_OK);
    float *pa = malloc(n * 4), *pb = malloc(n * 4);
    ml_learner_get_meta_params(l, pa, n);
    ml_learner_get_meta_params(b, pb, n);
    ck_assert_mem_eq(pa, pb, n * 4);
    free(pa);
    free(pb);
    free(buf);
    ml_learner_free(b);
    ml_optimizer_free(adam);
    ml_optimizer_free(lstm);
    ml_task_free(task);
    ml_learner_free(l);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lstm_learner");
    TCase *tc = tcase_create("all");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, gradient_one_step);
    tcase_add_test(tc, gradient_two_steps);
    tcase_add_test(tc, rules_and_files);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
