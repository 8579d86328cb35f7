/* Memory behaviour of the tape: the steady state of a repeated MAML-like
 * double-backward computation (no growth, no malloc) and out-of-memory
 * handling at every allocation. */
#include "autodiff/ad.h"
#include "core/alloc.h"
#include "core/rng.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static ml_ad_tape T;

static void setup(void)
{
    ml_ad_tape_init(&T);
}

static void teardown(void)
{
    ml_alloc_fail_after(0); /* never leak failure injection into a test */
    ml_ad_tape_release(&T);
}

/* A MAML-like step on a one-hidden-layer tanh network:
 *   L_s = mse(f(theta, xs), ys), g = grad(L_s, theta) (recorded),
 *   theta' = theta - alpha g, L_q = mse(f(theta', xq), yq),
 *   G = grad(L_q, theta) (double backward).
 * `chain` extra ops per layer make the tape long. */
typedef struct net {
    int n, d, h, chain;
    float *xs, *ys, *xq, *yq, *w1, *b1, *w2;
} net;

static ml_ad_node *forward(ml_ad_tape *t, const net *m, ml_ad_node **th,
                           ml_ad_node *x)
{
    ml_ad_node *h = ml_ad_tanh(t, ml_ad_add(t, ml_ad_matmul(t, x, th[0], 0, 0),
                                            th[1]));
    for (int i = 0; i < m->chain; i++)
        h = ml_ad_add(t, h, ml_ad_scale(t, h, -0.001f));
    return ml_ad_matmul(t, h, th[2], 0, 0);
}

static ml_status maml_step(ml_ad_tape *t, const net *m, float *loss,
                           ml_ad_node **G)
{
    int sx[2] = {m->n, m->d}, sy[2] = {m->n, 1};
    int s1[2] = {m->d, m->h}, sb[1] = {m->h}, s2[2] = {m->h, 1};
    ml_ad_node *th[3] = {ml_ad_leaf(t, 2, s1, m->w1, 1),
                         ml_ad_leaf(t, 1, sb, m->b1, 1),
                         ml_ad_leaf(t, 2, s2, m->w2, 1)};
    ml_ad_node *xs = ml_ad_leaf(t, 2, sx, m->xs, 0);
    ml_ad_node *ys = ml_ad_leaf(t, 2, sy, m->ys, 0);
    ml_ad_node *xq = ml_ad_leaf(t, 2, sx, m->xq, 0);
    ml_ad_node *yq = ml_ad_leaf(t, 2, sy, m->yq, 0);
    ml_ad_node *Ls = ml_ad_mse(t, forward(t, m, th, xs), ys), *g[3], *th2[3];
    if (ml_ad_grad(t, 1, &Ls, NULL, 3, th, g, 1) != ML_OK)
        return ml_ad_tape_status(t);
    for (int k = 0; k < 3; k++)
        th2[k] = ml_ad_sub(t, th[k], ml_ad_scale(t, g[k], 0.1f));
    ml_ad_node *Lq = ml_ad_mse(t, forward(t, m, th2, xq), yq);
    if (ml_ad_grad(t, 1, &Lq, NULL, 3, th, G, 0) != ML_OK)
        return ml_ad_tape_status(t);
    *loss = Lq->val[0];
    return ml_ad_tape_status(t);
}

static void net_init(net *m, int n, int d, int h, int chain, uint64_t seed)
{
    m->n = n;
    m->d = d;
    m->h = h;
    m->chain = chain;
    float **bufs[7] = {&m->xs, &m->ys, &m->xq, &m->yq, &m->w1, &m->b1, &m->w2};
    size_t sizes[7] = {(size_t)n * d, (size_t)n, (size_t)n * d, (size_t)n,
                       (size_t)d * h, (size_t)h, (size_t)h};
    ml_rng r;
    ml_rng_seed(&r, seed);
    for (int i = 0; i < 7; i++) {
        *bufs[i] = malloc(sizes[i] * sizeof(float));
        ck_assert_ptr_nonnull(*bufs[i]);
        for (size_t j = 0; j < sizes[i]; j++)
            (*bufs[i])[j] = ml_rng_range(&r, -1.0f, 1.0f) / (i >= 4 ? 2.0f : 1.0f);
    }
}

static void net_free(net *m)
{
    free(m->xs); free(m->ys); free(m->xq); free(m->yq);
    free(m->w1); free(m->b1); free(m->w2);
}

/* 10,000 double-backward steps with a reset in between: once warm, the
 * arena and the node array never grow and nothing is malloc'd. */
START_TEST(test_steady_state_memory)
{
    enum { ITERS = 10000, WARM = 1000 };
    net m;
    net_init(&m, 8, 4, 16, 0, 11);
    float loss0 = 0.0f, g0[4 * 16];
    size_t arena_cap = 0;
    int node_cap = 0, nodes = 0;
    long allocs = 0;
    for (int it = 0; it < ITERS; it++) {
        ml_ad_tape_reset(&T);
        ml_ad_node *G[3];
        float loss = 0.0f;
        ml_status st = maml_step(&T, &m, &loss, G);
        if (st != ML_OK)
            ck_abort_msg("iteration %d: status %d (%s)", it, (int)st, T.msg);
        if (it == 0) {
            loss0 = loss;
            memcpy(g0, G[0]->val, sizeof g0);
            ck_assert(isfinite(loss0));
        } else if (loss != loss0 || memcmp(g0, G[0]->val, sizeof g0) != 0) {
            ck_abort_msg("iteration %d: results differ", it);
        }
        if (it == 2) {
            arena_cap = T.arena.capacity;
            node_cap = T.cap;
            nodes = T.n;
        }
        if (it > 2 && (T.arena.capacity != arena_cap || T.cap != node_cap ||
                       T.n != nodes))
            ck_abort_msg("iteration %d: arena %zu (was %zu), node array %d "
                         "(was %d), %d nodes (was %d)", it, T.arena.capacity,
                         arena_cap, T.cap, node_cap, T.n, nodes);
        if (it == WARM - 1)
            allocs = ml_alloc_count();
    }
    ck_assert_int_eq(ml_alloc_count(), allocs); /* no malloc in 9,000 steps */
    ck_assert_uint_gt(arena_cap, 0);
    /* 8 forward + 10 recorded backward + 11 query-pass nodes today: the
     * double backward really ran (not pinned, backward rules may change). */
    ck_assert_int_gt(nodes, 20);
    net_free(&m);
}
END_TEST

/* Failure injection at every allocation of a computation that needs
 * several arena blocks and a growing node array: each run ends with
 * ML_ERR_NOMEM on the tape (no crash); after a reset the same computation
 * succeeds with the same numbers; nothing leaks (valgrind, ASan). */
START_TEST(test_out_of_memory)
{
    net m;
    net_init(&m, 32, 16, 32, 200, 12);
    float ref_loss = 0.0f;
    ml_ad_tape t;
    ml_ad_tape_init(&t);
    ml_ad_node *G[3];
    long c0 = ml_alloc_count();
    ck_assert_int_eq(maml_step(&t, &m, &ref_loss, G), ML_OK);
    long needed = ml_alloc_count() - c0;
    ck_assert_int_gt(t.cap, 1024);        /* the node array grew */
    ck_assert_int_ge(needed, 3);          /* several blocks */
    ml_ad_tape_release(&t);

    int failures = 0;
    for (long k = 1; k <= needed + 1; k++) {
        ml_ad_tape_init(&t);
        float loss = 0.0f;
        c0 = ml_alloc_count();
        ml_alloc_fail_after(k);
        ml_status st = maml_step(&t, &m, &loss, G);
        ml_alloc_fail_after(0);
        long used = ml_alloc_count() - c0;
        if (used >= k) {
            ck_assert_msg(st == ML_ERR_NOMEM && ml_ad_tape_status(&t) == ML_ERR_NOMEM,
                          "allocation %ld failed: status %d", k, (int)st);
            ck_assert_str_ne(t.msg, "");
            failures++;
            /* Recovery on the same tape. */
            ml_ad_tape_reset(&t);
            ck_assert_int_eq(maml_step(&t, &m, &loss, G), ML_OK);
            ck_assert(loss == ref_loss);
        } else {
            ck_assert_int_eq(st, ML_OK);
            ck_assert(loss == ref_loss);
        }
        ml_ad_tape_release(&t);
    }
    ck_assert_int_eq(failures, needed);
    net_free(&m);
}
END_TEST

/* The same failure injection through the convolution ops: a second-order
 * step of conv -> batchnorm -> relu -> maxpool -> linear, whose column
 * buffers and flipped filters come from the arena too. */
enum { CVN = 6, CVH = 8, CVF = 4, CVD = CVF * (CVH / 2) * (CVH / 2) };

typedef struct conv_net {
    float x[CVN * 2 * CVH * CVH], w[CVF * 2 * 9], b[CVF], gam[CVF], bet[CVF];
    float w2[CVD * 3];
    int labels[CVN];
} conv_net;

static ml_ad_node *conv_forward(ml_ad_tape *t, ml_ad_node **th, ml_ad_node *x)
{
    int fs[2] = {CVN, CVD};
    ml_ad_node *h = ml_ad_conv2d(t, x, th[0], th[1], 1, 1);
    h = ml_ad_maxpool(t, ml_ad_relu(t, ml_ad_batchnorm(t, h, th[2], th[3], 1e-5f)), 2);
    return ml_ad_matmul(t, ml_ad_reshape(t, h, 2, fs), th[4], 0, 0);
}

static ml_status conv_step(ml_ad_tape *t, conv_net *m, float *loss)
{
    int xs[4] = {CVN, 2, CVH, CVH}, ws[4] = {CVF, 2, 3, 3}, cs[1] = {CVF};
    int s2[2] = {CVD, 3};
    ml_ad_node *th[5] = {ml_ad_leaf(t, 4, ws, m->w, 1), ml_ad_leaf(t, 1, cs, m->b, 1),
                         ml_ad_leaf(t, 1, cs, m->gam, 1), ml_ad_leaf(t, 1, cs, m->bet, 1),
                         ml_ad_leaf(t, 2, s2, m->w2, 1)};
    ml_ad_node *x = ml_ad_leaf(t, 4, xs, m->x, 0), *g[5], *th2[5], *G[5];
    ml_ad_node *Ls = ml_ad_softmax_ce(t, conv_forward(t, th, x), m->labels);
    if (ml_ad_grad(t, 1, &Ls, NULL, 5, th, g, 1) != ML_OK)
        return ml_ad_tape_status(t);
    for (int k = 0; k < 5; k++)
        th2[k] = ml_ad_axpy(t, th[k], -0.1f, g[k]);
    ml_ad_node *Lq = ml_ad_softmax_ce(t, conv_forward(t, th2, x), m->labels);
    if (ml_ad_grad(t, 1, &Lq, NULL, 5, th, G, 0) != ML_OK)
        return ml_ad_tape_status(t);
    *loss = Lq->val[0];
    return ml_ad_tape_status(t);
}

START_TEST(test_out_of_memory_conv)
{
    static conv_net m;
    ml_rng r;
    ml_rng_seed(&r, 13);
    float *bufs[6] = {m.x, m.w, m.b, m.gam, m.bet, m.w2};
    size_t sizes[6] = {sizeof m.x, sizeof m.w, sizeof m.b, sizeof m.gam,
                       sizeof m.bet, sizeof m.w2};
    for (int i = 0; i < 6; i++)
        for (size_t j = 0; j < sizes[i] / sizeof(float); j++)
            bufs[i][j] = ml_rng_range(&r, -1.0f, 1.0f);
    for (int i = 0; i < CVN; i++)
        m.labels[i] = i % 3;
    ml_ad_tape t;
    ml_ad_tape_init(&t);
    float ref = 0.0f, loss = 0.0f;
    long c0 = ml_alloc_count();
    ck_assert_int_eq(conv_step(&t, &m, &ref), ML_OK);
    long needed = ml_alloc_count() - c0;
    ck_assert_int_ge(needed, 3);
    ck_assert(isfinite(ref));
    ml_ad_tape_release(&t);
    int failures = 0;
    for (long k = 1; k <= needed + 1; k++) {
        ml_ad_tape_init(&t);
        c0 = ml_alloc_count();
        ml_alloc_fail_after(k);
        ml_status st = conv_step(&t, &m, &loss);
        ml_alloc_fail_after(0);
        if (ml_alloc_count() - c0 >= k) {
            ck_assert_msg(st == ML_ERR_NOMEM, "allocation %ld failed: status %d",
                          k, (int)st);
            failures++;
            ml_ad_tape_reset(&t);
            ck_assert_int_eq(conv_step(&t, &m, &loss), ML_OK);
            ck_assert(loss == ref);
        } else {
            ck_assert_int_eq(st, ML_OK);
            ck_assert(loss == ref);
        }
        ml_ad_tape_release(&t);
    }
    ck_assert_int_eq(failures, needed);
}
END_TEST

static Suite *tape_memory_suite(void)
{
    Suite *s = suite_create("tape_memory");
    TCase *mem = tcase_create("memory");
    tcase_add_checked_fixture(mem, setup, teardown);
    tcase_set_timeout(mem, 120);
    tcase_add_test(mem, test_steady_state_memory);
    tcase_add_test(mem, test_out_of_memory);
    tcase_add_test(mem, test_out_of_memory_conv);
    suite_add_tcase(s, mem);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(tape_memory_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
