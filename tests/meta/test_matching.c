/* The matching network (ML_STRATEGY_MATCHING) on small MLP embeddings
 * against an independent double-precision computation written here from
 * the definitions of Vinyals et al. (2016) without full-context embeddings:
 *
 * - f: the MLP (metatest.c's reference forward), the same for support and
 *   query;
 * - c_ij = <f(x_i), f(s_j)> / (||f(x_i)|| ||f(s_j)||), the cosine of query i
 *   and support j;
 * - a_ij = exp(c_ij) / sum_j' exp(c_ij'), attention over the support set;
 * - P_ik = sum_j a_ij [y_j = k]; scores log P_ik; loss mean_i -log P_i,y_i.
 *
 * The reference uses the plain norms and logarithm: the library's 1e-8
 * under the square root and 1e-12 inside the log change nothing here
 * beyond float rounding (embeddings of norm about 1, P >= e^-2 / Ns).
 *
 * Checked: the loss and the predicted scores, the meta-gradient against
 * central finite differences of the reference, the labels of predict and
 * the accuracy of evaluate against the reference's argmax, save/load, and
 * the two degenerate cases the library guards (an all-zero embedding, a
 * class without support examples). */
#include "metatest.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { N_MAX = 8, W_MAX = 3, D_MAX = 8 };

typedef struct mcase {
    size_t in, n_layers, sizes[2], ways, ns, nq;
    int act;
    const int *ls, *lq;
} mcase;

static const int L3s[] = {0, 1, 2}, L3q[] = {2, 0, 1, 1, 0};
static const int L2s[] = {1, 0, 0, 1}, L2q[] = {0, 1, 1};
static const int L32s[] = {0, 2, 1, 2, 0, 1}, L32q[] = {1, 2, 0, 2};

/* 3-way 1-shot through tanh(x W1 + b1) W2 + b2; 2-way 2-shot through one
 * dense layer (a linear embedding); 3-way 2-shot through a ReLU MLP. */
static const mcase cases[] = {
    {4, 2, {6, 5}, 3, 3, 5, ML_LAYER_TANH, L3s, L3q},
    {3, 1, {4, 0}, 2, 4, 3, ML_LAYER_TANH, L2s, L2q},
    {5, 2, {7, 4}, 3, 6, 4, ML_LAYER_RELU, L32s, L32q},
};

/* The matching loss of the task at theta; log P [nq, ways] into `scores`
 * if not NULL. */
static double ref_matching(const mcase *mc, const double *theta, const double *xs,
                           const double *xq, double *scores)
{
    ref_net net = ref_mlp(mc->in, mc->n_layers, mc->sizes, mc->act);
    size_t d = mc->sizes[mc->n_layers - 1];
    double es[N_MAX * D_MAX], eq[N_MAX * D_MAX];
    ref_forward(&net, theta, mc->ns, xs, es);
    ref_forward(&net, theta, mc->nq, xq, eq);
    double loss = 0;
    for (size_t i = 0; i < mc->nq; i++) {
        double c[N_MAX], nx = 0, z = 0, p[W_MAX] = {0};
        for (size_t q = 0; q < d; q++)
            nx += eq[i * d + q] * eq[i * d + q];
        for (size_t j = 0; j < mc->ns; j++) {
            double dot = 0, n2 = 0;
            for (size_t q = 0; q < d; q++) {
                dot += eq[i * d + q] * es[j * d + q];
                n2 += es[j * d + q] * es[j * d + q];
            }
            c[j] = dot / sqrt(nx * n2);
            z += exp(c[j]);
        }
        for (size_t j = 0; j < mc->ns; j++)
            p[mc->ls[j]] += exp(c[j]) / z;
        for (size_t k = 0; k < mc->ways; k++)
            if (scores)
                scores[i * mc->ways + k] = log(p[k]);
        loss -= log(p[mc->lq[i]]);
    }
    return loss / (double)mc->nq;
}

static cls_setup setup(const mcase *mc, uint64_t seed)
{
    ref_net net = ref_mlp(mc->in, mc->n_layers, mc->sizes, mc->act);
    ml_model *m = ref_model(&net);
    ml_learner *l = NULL;
    ck_assert_int_eq(ml_learner_create(&l, m, ML_STRATEGY_MATCHING, seed), ML_OK);
    ml_model_free(m);
    /* No head: the meta-parameters are the embedding's. */
    ck_assert_uint_eq(ml_learner_num_meta_params(l), ref_num_params(&net));
    uint64_t r = seed;
    return cls_setup_make(l, &r, 2.0, mc->in, mc->ways, mc->ns, mc->ls, mc->nq, mc->lq);
}

/* ref_matching as a function of theta alone, for ref_central_diff. */
typedef struct mfd {
    const mcase *mc;
    const cls_setup *s;
} mfd;

static double ref_matching_at(const void *ctx, const double *theta)
{
    const mfd *c = ctx;
    return ref_matching(c->mc, theta, c->s->xs, c->s->xq, NULL);
}

/* (a) the loss of the meta-gradient call and the scores of predict equal
 * the reference; (b) the meta-gradient equals its central differences. */
START_TEST(test_matching_matches_reference)
{
    const mcase *mc = &cases[_i];
    cls_setup s = setup(mc, 21 + (uint64_t)_i);
    float *grad = malloc(s.n * sizeof *grad);
    double *fd = malloc(s.n * sizeof *fd);
    ck_assert(grad && fd);
    double loss = -1;
    ck_assert_int_eq(ml_learner_meta_gradient(s.l, 1, &s.task, grad, s.n, &loss), ML_OK);

    double want_scores[N_MAX * W_MAX];
    double want = ref_matching(mc, s.theta, s.xs, s.xq, want_scores);
    float got_loss = (float)loss;
    check_close("loss", &got_loss, &want, 1, 1e-6, 1e-5);

    float scores[N_MAX * W_MAX];
    ck_assert_int_eq(ml_learner_predict(s.l, s.task, -1, mc->nq, s.fxq, scores,
                                        mc->nq * mc->ways, NULL), ML_OK);
    check_close("scores", scores, want_scores, mc->nq * mc->ways, 1e-6, 1e-5);

    /* Central differences in double: h = 1e-6 keeps the truncation error
     * (h^2) and the rounding (1e-16 / h) far below the tolerance.  In the
     * ReLU case the hidden pre-activations are checked to lie more than
     * 1e-3 from the kink, out of reach of the step. */
    mfd ctx = {mc, &s};
    ref_central_diff(ref_matching_at, &ctx, s.theta, s.n, 1e-6, fd);
    ref_net net = ref_mlp(mc->in, mc->n_layers, mc->sizes, mc->act);
    ref_task rt;
    ref_task_load(&rt, s.task);
    if (mc->act == ML_LAYER_RELU && mc->n_layers > 1)
        ck_assert_double_gt(ref_min_abs_preact(&net, s.theta, &rt), 1e-3);
    ref_task_free(&rt);
    check_gradient_fd(grad, fd, s.n);
    free(grad);
    free(fd);
    cls_setup_free(&s);
}
END_TEST

/* (c) predict's labels and evaluate's accuracy are those of the
 * reference's highest scores (whose margins are checked to be clear of
 * float rounding); evaluate's loss is the episode loss. */
START_TEST(test_matching_predicts_argmax)
{
    const mcase *mc = &cases[_i];
    cls_setup s = setup(mc, 40 + (uint64_t)_i);
    double want_scores[N_MAX * W_MAX];
    double want = ref_matching(mc, s.theta, s.xs, s.xq, want_scores);
    float scores[N_MAX * W_MAX];
    int labels[N_MAX];
    ck_assert_int_eq(ml_learner_predict(s.l, s.task, -1, mc->nq, s.fxq, scores,
                                        mc->nq * mc->ways, labels), ML_OK);
    size_t right = 0;
    for (size_t i = 0; i < mc->nq; i++) {
        size_t best = ref_argmax(want_scores + i * mc->ways, mc->ways);
        for (size_t k = 0; k < mc->ways; k++)
            if (k != best)
                ck_assert_double_gt(want_scores[i * mc->ways + best] -
                                        want_scores[i * mc->ways + k], 1e-4);
        ck_assert_int_eq(labels[i], (int)best);
        right += (int)best == mc->lq[i];
    }
    double loss = -1, acc = -1;
    ck_assert_int_eq(ml_learner_evaluate(s.l, 1, &s.task, -1, &loss, &acc, NULL), ML_OK);
    ck_assert_double_lt(fabs(loss - want), 1e-6 + 1e-5 * want);
    ck_assert_double_eq_tol(acc, (double)right / (double)mc->nq, 1e-12);
    cls_setup_free(&s);
}
END_TEST

/* (d) a saved learner comes back as a matching network with the same
 * meta-parameters and the same loss. */
START_TEST(test_matching_save_load)
{
    const mcase *mc = &cases[0];
    cls_setup s = setup(mc, 3);
    /* One meta-step first, so the file holds optimiser state as well. */
    ck_assert_int_eq(ml_learner_meta_step(s.l, 1, &s.task, NULL), ML_OK);
    ml_learner *back = check_round_trip(s.l, s.task);
    ck_assert_int_eq(ml_learner_strategy(back), ML_STRATEGY_MATCHING);
    /* And it trains on identically: the next step's loss and parameters
     * are the same. */
    double la, lb;
    ck_assert_int_eq(ml_learner_meta_step(s.l, 1, &s.task, &la), ML_OK);
    ck_assert_int_eq(ml_learner_meta_step(back, 1, &s.task, &lb), ML_OK);
    ck_assert_double_eq(la, lb);
    float *a = learner_params(s.l), *b = learner_params(back);
    ck_assert_mem_eq(a, b, s.n * sizeof *a);
    free(a);
    free(b);
    ml_learner_free(back);
    cls_setup_free(&s);
}
END_TEST

/* The episode loss of t from ml_learner_meta_gradient, whose loss and
 * every gradient entry must be finite. */
static double finite_meta_loss(ml_learner *l, ml_task *t)
{
    size_t n = ml_learner_num_meta_params(l);
    float *grad = malloc(n * sizeof *grad);
    ck_assert_ptr_nonnull(grad);
    double loss = -1;
    ck_assert_int_eq(ml_learner_meta_gradient(l, 1, &t, grad, n, &loss), ML_OK);
    ck_assert(isfinite(loss));
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(isfinite(grad[i]), "gradient %zu not finite", i);
    free(grad);
    return loss;
}

/* All-zero parameters embed everything at 0, where the plain cosine is
 * 0/0: with the library's sqrt(||e||^2 + 1e-8) norms every cosine is 0,
 * the attention uniform, so P_ik = (supports of class k) / Ns, and the
 * meta-gradient is finite. */
START_TEST(test_matching_zero_embedding)
{
    const mcase *mc = &cases[2];
    cls_setup s = setup(mc, 5);
    float *zero = calloc(s.n, sizeof *zero);
    ck_assert_ptr_nonnull(zero);
    ck_assert_int_eq(ml_learner_set_meta_params(s.l, zero, s.n), ML_OK);
    double loss = finite_meta_loss(s.l, s.task);
    double want = 0;
    for (size_t i = 0; i < mc->nq; i++) {
        double count = 0;
        for (size_t j = 0; j < mc->ns; j++)
            count += mc->ls[j] == mc->lq[i];
        want -= log(count / (double)mc->ns);
    }
    want /= (double)mc->nq;
    ck_assert_double_lt(fabs(loss - want), 1e-6);
    free(zero);
    cls_setup_free(&s);
}
END_TEST

/* A class without support examples has P = 0: its score is log(1e-12), not
 * -infinity, the other classes' scores are unchanged, and a query labelled
 * with it gives the finite loss -log(1e-12) / nq for its share. */
START_TEST(test_matching_empty_class)
{
    const mcase *mc = &cases[0];
    cls_setup s = setup(mc, 7);
    /* Class 2 of 3 loses its support example (relabelled 0). */
    static const int ls[] = {0, 1, 0}, lq[] = {2, 0, 1, 1, 0};
    mcase empty = *mc;
    empty.ls = ls;
    empty.lq = lq;
    ml_task *t = NULL;
    ck_assert_int_eq(ml_task_create_classification(&t, mc->in, mc->ways, mc->ns, s.fxs, ls,
                                                   mc->nq, s.fxq, lq), ML_OK);
    float scores[N_MAX * W_MAX];
    ck_assert_int_eq(ml_learner_predict(s.l, t, -1, mc->nq, s.fxq, scores,
                                        mc->nq * mc->ways, NULL), ML_OK);
    /* The reference gives log 0 = -inf for class 2 and counts nothing of
     * query 0 (labelled 2): compare the rest. */
    double want_scores[N_MAX * W_MAX];
    ref_matching(&empty, s.theta, s.xs, s.xq, want_scores);
    for (size_t i = 0; i < mc->nq; i++) {
        ck_assert_double_eq_tol(scores[i * 3 + 2], log(1e-12), 1e-3);
        check_close("scores of the non-empty classes", scores + i * 3, want_scores + i * 3, 2,
                    1e-6, 1e-5);
    }
    double loss = finite_meta_loss(s.l, t);
    double want = -log(1e-12);
    for (size_t i = 1; i < mc->nq; i++)
        want -= want_scores[i * 3 + (size_t)lq[i]];
    want /= (double)mc->nq;
    ck_assert_double_lt(fabs(loss - want), 1e-4 * want);
    ml_task_free(t);
    cls_setup_free(&s);
}
END_TEST

static Suite *matching_suite(void)
{
    Suite *s = suite_create("meta_matching");
    TCase *tc = tcase_create("matching");
    tcase_set_timeout(tc, 60);
    int n = (int)(sizeof cases / sizeof cases[0]);
    tcase_add_loop_test(tc, test_matching_matches_reference, 0, n);
    tcase_add_loop_test(tc, test_matching_predicts_argmax, 0, n);
    tcase_add_test(tc, test_matching_save_load);
    tcase_add_test(tc, test_matching_zero_embedding);
    tcase_add_test(tc, test_matching_empty_class);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(matching_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
