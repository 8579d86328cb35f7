/* Second-order checks: Hessian-vector products of every op (through the
 * composed loss sum(w * op(x)) + 0.5 sum(op(x)^2), so linear ops have a
 * non-zero HVP too), with v over all inputs at once so that mixed terms
 * (matmul's cross terms, binary ops' a/b terms) are checked; plus a
 * closed-form double backward through relu. */
#include "op_cases.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>

START_TEST(test_hvp)
{
    const op_case *c = &oc_cases[_i];
    gc_input in[GC_MAXIN];
    oc_setup(c, in);
    for (int k = 0; k < c->nin; k++)
        ck_assert_ptr_nonnull(in[k].data);
    gc_opts o = {.eps = c->eps2, .tol = c->tol, .min_abs = 1e-3,
                 .seed = 1000 + (uint64_t)_i};
    gc_result r = gc_check_hvp(c->fn, (void *)c, c->nin, in, &o);
    oc_free(c, in);
    ck_assert_msg(r.ok, "%s: %s", c->name, r.msg);
    ck_assert_int_gt(r.checked, 0);
}
END_TEST

/* Only matmul's cross terms make the HVP of sum(w * (A B)) non-zero: with
 * v = (V_A, V_B) it is (w V_B^T, V_A^T w). */
static ml_ad_node *bilinear(ml_ad_tape *t, ml_ad_node **x, void *ctx)
{
    const float *w = ctx;
    int s[2] = {3, 2};
    return ml_ad_sum(t, ml_ad_mul(t, ml_ad_matmul(t, x[0], x[1], 0, 0),
                                  ml_ad_const(t, 2, s, w)));
}

START_TEST(test_matmul_cross_terms)
{
    float a[12], b[8], w[6], va[12], vb[8];
    ml_rng r;
    ml_rng_seed(&r, 77);
    gc_fill(&r, a, 12, -1, 1, 0);
    gc_fill(&r, b, 8, -1, 1, 0);
    gc_fill(&r, w, 6, -1, 1, 0);
    gc_fill(&r, va, 12, -1, 1, 0);
    gc_fill(&r, vb, 8, -1, 1, 0);
    gc_input in[2] = {{2, {3, 4}, a}, {2, {4, 2}, b}};
    gc_opts o = {.min_abs = 1e-2, .seed = 5};
    GC_ASSERT(gc_check_hvp(bilinear, w, 2, in, &o));

    /* The closed form, with our own v. */
    ml_ad_tape t;
    ml_ad_tape_init(&t);
    ml_ad_node *x[2] = {ml_ad_leaf(&t, 2, in[0].shape, a, 1),
                        ml_ad_leaf(&t, 2, in[1].shape, b, 1)};
    ml_ad_node *L = bilinear(&t, x, w), *g[2], *hv[2];
    ck_assert_int_eq(ml_ad_grad(&t, 1, &L, NULL, 2, x, g, 1), ML_OK);
    ml_ad_node *v[2] = {ml_ad_const(&t, 2, in[0].shape, va),
                        ml_ad_const(&t, 2, in[1].shape, vb)};
    ck_assert_int_eq(ml_ad_grad(&t, 2, g, v, 2, x, hv, 0), ML_OK);
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 4; k++) { /* (w V_B^T)[i,k] */
            double e = 0;
            for (int j = 0; j < 2; j++)
                e += (double)w[i * 2 + j] * vb[k * 2 + j];
            ck_assert_double_eq_tol(hv[0]->val[i * 4 + k], e, 1e-5);
        }
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < 2; j++) { /* (V_A^T w)[k,j] */
            double e = 0;
            for (int i = 0; i < 3; i++)
                e += (double)va[i * 4 + k] * w[i * 2 + j];
            ck_assert_double_eq_tol(hv[1]->val[k * 2 + j], e, 1e-5);
        }
    ml_ad_tape_release(&t);
}
END_TEST

/* L = sum(relu(W X)^2).  grad_W = 2 relu(Z) X^T and, relu' being piecewise
 * constant, the HVP along V is 2 (step(Z) * (V X)) X^T. */
static ml_ad_node *relu_sq(ml_ad_tape *t, ml_ad_node **x, void *ctx)
{
    int s[2] = {4, 3};
    ml_ad_node *X = ml_ad_const(t, 2, s, ctx);
    return ml_ad_sum(t, ml_ad_square(t, ml_ad_relu(t, ml_ad_matmul(t, x[0], X,
                                                                  0, 0))));
}

START_TEST(test_relu_double_backward)
{
    enum { M = 3, K = 4, N = 3 };
    float W[M * K], X[K * N], V[M * K];
    double Z[M * N];
    ml_rng r;
    ml_rng_seed(&r, 4242);
    /* Redraw until every Z = W X is clear of the kink (|z| > 0.2) and
     * both signs occur. */
    int pos, neg, tries = 0;
    do {
        gc_fill(&r, W, M * K, -1, 1, 0);
        gc_fill(&r, X, K * N, -1, 1, 0);
        pos = neg = 0;
        for (int i = 0; i < M * N; i++) {
            double z = 0;
            for (int k = 0; k < K; k++)
                z += (double)W[(i / N) * K + k] * X[k * N + i % N];
            Z[i] = z;
            pos += z > 0.2;
            neg += z < -0.2;
        }
        ck_assert_int_lt(++tries, 10000);
    } while (pos + neg != M * N || !pos || !neg);
    gc_fill(&r, V, M * K, -1, 1, 0);

    ml_ad_tape t;
    ml_ad_tape_init(&t);
    int ws[2] = {M, K};
    ml_ad_node *w = ml_ad_leaf(&t, 2, ws, W, 1);
    ml_ad_node *L = relu_sq(&t, &w, X), *g, *hv;
    ck_assert_int_eq(ml_ad_grad(&t, 1, &L, NULL, 1, &w, &g, 1), ML_OK);
    ck_assert_int_ge(g->id, 0); /* recorded: it can be differentiated */
    ml_ad_node *vn = ml_ad_const(&t, 2, ws, V);
    ml_ad_node *h = ml_ad_sum(&t, ml_ad_mul(&t, g, vn));
    ck_assert_int_eq(ml_ad_grad(&t, 1, &h, NULL, 1, &w, &hv, 0), ML_OK);
    for (int i = 0; i < M; i++)
        for (int k = 0; k < K; k++) {
            double eg = 0, eh = 0;
            for (int j = 0; j < N; j++) {
                double z = Z[i * N + j];
                double vx = 0;
                for (int l = 0; l < K; l++)
                    vx += (double)V[i * K + l] * X[l * N + j];
                eg += 2.0 * (z > 0 ? z : 0) * X[k * N + j];
                eh += 2.0 * (z > 0 ? vx : 0) * X[k * N + j];
            }
            ck_assert_double_eq_tol(g->val[i * K + k], eg, 1e-4);
            ck_assert_double_eq_tol(hv->val[i * K + k], eh, 1e-4);
        }
    ml_ad_tape_release(&t);

    /* And against finite differences of the engine's gradient. */
    gc_input in = {2, {M, K}, W};
    gc_opts o = {.min_abs = 1e-2, .eps = 1e-2};
    GC_ASSERT(gc_check_first(relu_sq, X, 1, &in, &o));
    GC_ASSERT(gc_check_hvp(relu_sq, X, 1, &in, &o));
}
END_TEST

/* ---- convolution ----
 * L = <C, conv2d(x, w)> is bilinear: its HVP along (V_x, V_w) is only the
 * cross terms, (conv2d_dx(C, V_w), conv2d_dw(V_x, C)). */
enum { CN = 2, CC = 2, CH = 5, CW = 4, CF = 3, CK = 3, CS = 2, CP = 1 };
enum { CHO = (CH + 2 * CP - CK) / CS + 1, CWO = (CW + 2 * CP - CK) / CS + 1 };
static const int CXS[4] = {CN, CC, CH, CW}, CWS[4] = {CF, CC, CK, CK};
static const int CYS[4] = {CN, CF, CHO, CWO};

static ml_ad_node *conv_bilinear(ml_ad_tape *t, ml_ad_node **x, void *ctx)
{
    return ml_ad_sum(t, ml_ad_mul(t, ml_ad_conv2d(t, x[0], x[1], NULL, CS, CP),
                                  ml_ad_const(t, 4, CYS, ctx)));
}

START_TEST(test_conv_cross_terms)
{
    enum { NX = CN * CC * CH * CW, NW = CF * CC * CK * CK, NY = CN * CF * CHO * CWO };
    float x[NX], w[NW], c[NY], vx[NX], vw[NW];
    ml_rng r;
    ml_rng_seed(&r, 99);
    gc_fill(&r, x, NX, -1, 1, 0);
    gc_fill(&r, w, NW, -1, 1, 0);
    gc_fill(&r, c, NY, -1, 1, 0);
    gc_fill(&r, vx, NX, -1, 1, 0);
    gc_fill(&r, vw, NW, -1, 1, 0);
    gc_input in[2] = {{4, {CN, CC, CH, CW}, x}, {4, {CF, CC, CK, CK}, w}};
    gc_opts o = {.min_abs = 1e-2, .seed = 6};
    GC_ASSERT(gc_check_hvp(conv_bilinear, c, 2, in, &o));

    ml_ad_tape t;
    ml_ad_tape_init(&t);
    ml_ad_node *p[2] = {ml_ad_leaf(&t, 4, CXS, x, 1), ml_ad_leaf(&t, 4, CWS, w, 1)};
    ml_ad_node *L = conv_bilinear(&t, p, c), *g[2], *hv[2];
    ck_assert_int_eq(ml_ad_grad(&t, 1, &L, NULL, 2, p, g, 1), ML_OK);
    ml_ad_node *v[2] = {ml_ad_const(&t, 4, CXS, vx), ml_ad_const(&t, 4, CWS, vw)};
    ck_assert_int_eq(ml_ad_grad(&t, 2, g, v, 2, p, hv, 0), ML_OK);
    double ex[NX] = {0}, ew[NW] = {0};
    for (int n = 0; n < CN; n++)
        for (int f = 0; f < CF; f++)
            for (int oh = 0; oh < CHO; oh++)
                for (int ow = 0; ow < CWO; ow++)
                    for (int ch = 0; ch < CC; ch++)
                        for (int ki = 0; ki < CK; ki++)
                            for (int kj = 0; kj < CK; kj++) {
                                int i = oh * CS - CP + ki, j = ow * CS - CP + kj;
                                if (i < 0 || i >= CH || j < 0 || j >= CW)
                                    continue;
                                int yi = ((n * CF + f) * CHO + oh) * CWO + ow;
                                int xi = ((n * CC + ch) * CH + i) * CW + j;
                                int wi = ((f * CC + ch) * CK + ki) * CK + kj;
                                ex[xi] += (double)c[yi] * vw[wi]; /* conv2d_dx(C, V_w) */
                                ew[wi] += (double)c[yi] * vx[xi]; /* conv2d_dw(V_x, C) */
                            }
    for (int i = 0; i < NX; i++)
        ck_assert_double_eq_tol(hv[0]->val[i], ex[i], 1e-5);
    for (int i = 0; i < NW; i++)
        ck_assert_double_eq_tol(hv[1]->val[i], ew[i], 1e-5);
    ml_ad_tape_release(&t);
}
END_TEST

/* Exact second-order MAML through a conv block: the outer objective
 *   L_q(theta - alpha grad L_s(theta))
 * of a conv -> batchnorm -> relu -> maxpool -> matmul -> softmax_ce
 * network, differentiated through the recorded inner gradient, against
 * finite differences of the whole map. */
enum { MN = 4, MH = 6, MF = 3, MD = MF * (MH / 2) * (MH / 2), MC = 2 };

typedef struct conv_task {
    float xs[MN * MH * MH], xq[MN * MH * MH];
    int ys[MN], yq[MN];
} conv_task;

static ml_ad_node *conv_net(ml_ad_tape *t, ml_ad_node **th, const float *x)
{
    int xs[4] = {MN, 1, MH, MH}, fs[2] = {MN, MD};
    ml_ad_node *h = ml_ad_conv2d(t, ml_ad_const(t, 4, xs, x), th[0], NULL, 1, 1);
    h = ml_ad_maxpool(t, ml_ad_relu(t, ml_ad_batchnorm(t, h, th[1], th[2], 1e-5f)), 2);
    return ml_ad_matmul(t, ml_ad_reshape(t, h, 2, fs), th[3], 0, 0);
}

static ml_ad_node *conv_maml(ml_ad_tape *t, ml_ad_node **th, void *ctx)
{
    const conv_task *k = ctx;
    ml_ad_node *Ls = ml_ad_softmax_ce(t, conv_net(t, th, k->xs), k->ys), *g[4];
    if (ml_ad_grad(t, 1, &Ls, NULL, 4, th, g, 1) != ML_OK)
        return NULL;
    ml_ad_node *th2[4];
    for (int p = 0; p < 4; p++)
        th2[p] = ml_ad_axpy(t, th[p], -0.5f, g[p]);
    return ml_ad_softmax_ce(t, conv_net(t, th2, k->xq), k->yq);
}

START_TEST(test_conv_maml)
{
    static conv_task k;
    float w1[MF * 9], gam[MF], bet[MF], w2[MD * MC];
    ml_rng r;
    ml_rng_seed(&r, 31337);
    gc_fill(&r, k.xs, MN * MH * MH, -1, 1, 0);
    gc_fill(&r, k.xq, MN * MH * MH, -1, 1, 0);
    for (int i = 0; i < MN; i++) {
        k.ys[i] = i % MC;
        k.yq[i] = (i + 1) % MC;
    }
    gc_fill(&r, w1, MF * 9, -1, 1, 0);
    gc_fill(&r, gam, MF, 0.5f, 1.5f, 0);
    gc_fill(&r, bet, MF, -0.5f, 0.5f, 0);
    gc_fill(&r, w2, MD * MC, -0.5f, 0.5f, 0);
    gc_input in[4] = {{4, {MF, 1, 3, 3}, w1}, {1, {MF}, gam}, {1, {MF}, bet},
                      {2, {MD, MC}, w2}};
    gc_opts o = {.eps = 1e-3, .tol = 3e-2, .floor = 0.05, .min_abs = 1e-3};
    GC_ASSERT(gc_check_first(conv_maml, &k, 4, in, &o));
}
END_TEST

static Suite *ops_second_suite(void)
{
    Suite *s = suite_create("ops_second");
    TCase *tc = tcase_create("hvp");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_hvp, 0, oc_ncases);
    tcase_add_test(tc, test_matmul_cross_terms);
    tcase_add_test(tc, test_relu_double_backward);
    tcase_add_test(tc, test_conv_cross_terms);
    tcase_add_test(tc, test_conv_maml);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ops_second_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
