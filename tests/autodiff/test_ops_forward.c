/* Forward values of every op against straightforward double-precision
 * references (the gradient checks only prove forward and backward agree).
 * Convolution, pooling and batchnorm are in test_ops_conv.c. */
#include "autodiff/ad.h"
#include "core/rng.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static ml_ad_tape T;
static ml_rng R;

static void setup(void)
{
    ml_ad_tape_init(&T);
    ml_rng_seed(&R, 8080);
}

static void teardown(void)
{
    ml_ad_tape_release(&T);
}

static size_t count(int ndim, const int *s)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= (size_t)s[i];
    return n;
}

/* A random leaf with gradients (values in [lo, hi)), in the arena. */
static ml_ad_node *rnd(int ndim, const int *shape, float lo, float hi)
{
    ml_ad_node *x = ml_ad_zeros(&T, ndim, shape);
    ck_assert_ptr_nonnull(x);
    for (size_t i = 0; i < x->size; i++)
        x->val[i] = ml_rng_range(&R, lo, hi);
    return ml_ad_leaf(&T, ndim, shape, x->val, 1);
}

static void expect(const ml_ad_node *y, int ndim, const int *shape,
                   const double *e, double tol)
{
    ck_assert_ptr_nonnull(y);
    ck_assert_int_eq(ml_ad_tape_status(&T), ML_OK);
    ck_assert_int_eq(y->ndim, ndim);
    for (int i = 0; i < ndim; i++)
        ck_assert_int_eq(y->shape[i], shape[i]);
    ck_assert_uint_eq(y->size, count(ndim, shape));
    for (size_t i = 0; i < y->size; i++)
        ck_assert_msg(fabs(y->val[i] - e[i]) <= tol * fmax(1.0, fabs(e[i])),
                      "%s element %zu: %.8g, expected %.8g",
                      ml_ad_op_name(y->op), i, (double)y->val[i], e[i]);
}

/* Shapes padded on the left to 4 dims; index helpers for broadcasting. */
static void pad4(int ndim, const int *s, int o[4])
{
    for (int i = 0; i < 4; i++)
        o[i] = i < 4 - ndim ? 1 : s[i - (4 - ndim)];
}

static void unravel(size_t i, const int d[4], int idx[4])
{
    for (int k = 3; k >= 0; k--) {
        idx[k] = (int)(i % (size_t)d[k]);
        i /= (size_t)d[k];
    }
}

static size_t ravel_bcast(const int idx[4], const int d[4])
{
    size_t o = 0;
    for (int k = 0; k < 4; k++)
        o = o * (size_t)d[k] + (size_t)(d[k] == 1 ? 0 : idx[k]);
    return o;
}

START_TEST(test_matmul)
{
    enum { M = 3, K = 5, N = 4 };
    for (int ta = 0; ta <= 1; ta++)
        for (int tb = 0; tb <= 1; tb++) {
            int sa[2] = {ta ? K : M, ta ? M : K}, sb[2] = {tb ? N : K, tb ? K : N};
            ml_ad_node *a = rnd(2, sa, -1, 1), *b = rnd(2, sb, -1, 1);
            double e[M * N];
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) {
                    double s = 0;
                    for (int k = 0; k < K; k++)
                        s += (double)(ta ? a->val[k * M + i] : a->val[i * K + k]) *
                             (tb ? b->val[j * K + k] : b->val[k * N + j]);
                    e[i * N + j] = s;
                }
            int sy[2] = {M, N};
            expect(ml_ad_matmul(&T, a, b, ta, tb), 2, sy, e, 1e-5);
        }
}
END_TEST

/* Batched: product i of [B, ., .] operands is the 2-D product of slices i. */
START_TEST(test_matmul_batched)
{
    enum { B = 3, M = 2, K = 5, N = 3 };
    for (int ta = 0; ta <= 1; ta++)
        for (int tb = 0; tb <= 1; tb++) {
            int sa[3] = {B, ta ? K : M, ta ? M : K}, sb[3] = {B, tb ? N : K, tb ? K : N};
            ml_ad_node *a = rnd(3, sa, -1, 1), *b = rnd(3, sb, -1, 1);
            double e[B * M * N];
            for (int q = 0; q < B; q++) {
                const float *aq = a->val + q * M * K, *bq = b->val + q * K * N;
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < N; j++) {
                        double s = 0;
                        for (int k = 0; k < K; k++)
                            s += (double)(ta ? aq[k * M + i] : aq[i * K + k]) *
                                 (tb ? bq[j * K + k] : bq[k * N + j]);
                        e[(q * M + i) * N + j] = s;
                    }
            }
            int sy[3] = {B, M, N};
            expect(ml_ad_matmul(&T, a, b, ta, tb), 3, sy, e, 1e-5);
        }
}
END_TEST

START_TEST(test_linear)
{
    enum { N = 4, K = 3, M = 5 };
    int sx[2] = {N, K}, sw[2] = {K, M}, sb[1] = {M}, sy[2] = {N, M};
    ml_ad_node *x = rnd(2, sx, -1, 1), *w = rnd(2, sw, -1, 1),
               *b = rnd(1, sb, -1, 1);
    double e[N * M];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < M; j++) {
            double s = b->val[j];
            for (int k = 0; k < K; k++)
                s += (double)x->val[i * K + k] * w->val[k * M + j];
            e[i * M + j] = s;
        }
    expect(ml_ad_linear(&T, x, w, b), 2, sy, e, 1e-5);
}
END_TEST

/* Batched: layer q of x [B, N, K], W [B, K, M], b [B, M]. */
START_TEST(test_linear_batched)
{
    enum { B = 3, N = 2, K = 4, M = 3 };
    int sx[3] = {B, N, K}, sw[3] = {B, K, M}, sb[2] = {B, M}, sy[3] = {B, N, M};
    ml_ad_node *x = rnd(3, sx, -1, 1), *w = rnd(3, sw, -1, 1), *b = rnd(2, sb, -1, 1);
    double e[B * N * M];
    for (int q = 0; q < B; q++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < M; j++) {
                double s = b->val[q * M + j];
                for (int k = 0; k < K; k++)
                    s += (double)x->val[(q * N + i) * K + k] * w->val[(q * K + k) * M + j];
                e[(q * N + i) * M + j] = s;
            }
    expect(ml_ad_linear(&T, x, w, b), 3, sy, e, 1e-5);
}
END_TEST

START_TEST(test_mask_axpy)
{
    int s[2] = {3, 4};
    ml_ad_node *g = rnd(2, s, -2, 2), *a = rnd(2, s, -2, 2);
    a->val[3] = 0.0f; /* a == 0 masks out */
    double e[12];
    for (int i = 0; i < 12; i++)
        e[i] = a->val[i] > 0 ? g->val[i] : 0.0;
    expect(ml_ad_mask(&T, g, a), 2, s, e, 0);
    for (int i = 0; i < 12; i++)
        e[i] = (double)g->val[i] - 0.5 * a->val[i];
    expect(ml_ad_axpy(&T, g, -0.5f, a), 2, s, e, 1e-6);
}
END_TEST

static const struct { int an, as[4], bn, bs[4]; } BIN[] = {
    {2, {3, 4}, 2, {3, 4}}, {2, {3, 4}, 1, {4}}, {2, {3, 4}, 2, {3, 1}},
    {2, {3, 4}, 1, {1}}, {4, {2, 3, 2, 2}, 4, {1, 3, 1, 1}},
    {3, {2, 3, 4}, 3, {2, 1, 4}}, {3, {2, 3, 4}, 2, {3, 1}},
    {4, {2, 3, 2, 5}, 3, {3, 1, 5}}, {2, {3, 4}, 2, {1, 4}},
};

START_TEST(test_binary_broadcast)
{
    const int c = _i;
    ml_ad_node *a = rnd(BIN[c].an, BIN[c].as, -2, 2);
    ml_ad_node *b = rnd(BIN[c].bn, BIN[c].bs, 0.5f, 2);
    int ad[4], bd[4], idx[4];
    pad4(BIN[c].an, BIN[c].as, ad);
    pad4(BIN[c].bn, BIN[c].bs, bd);
    double *e = malloc(a->size * sizeof *e);
    ml_ad_node *(*ops[4])(ml_ad_tape *, ml_ad_node *, ml_ad_node *) = {
        ml_ad_add, ml_ad_sub, ml_ad_mul, ml_ad_div};
    for (int op = 0; op < 4; op++) {
        for (size_t i = 0; i < a->size; i++) {
            unravel(i, ad, idx);
            double x = a->val[i], y = b->val[ravel_bcast(idx, bd)];
            e[i] = op == 0 ? x + y : op == 1 ? x - y : op == 2 ? x * y : x / y;
        }
        expect(ops[op](&T, a, b), BIN[c].an, BIN[c].as, e, 1e-6);
    }
    free(e);
}
END_TEST

START_TEST(test_unary)
{
    static const float x[] = {-3.0f, -1.0f, -0.25f, 0.0f, 0.5f, 1.0f, 2.5f,
                              20.0f, -20.0f, 90.0f, -90.0f};
    enum { N = sizeof x / sizeof x[0] };
    int s[1] = {N};
    float buf[N];
    memcpy(buf, x, sizeof buf);
    ml_ad_node *a = ml_ad_leaf(&T, 1, s, buf, 1);
    double e[N];
#define CHECK_UNARY(call, expr)                                          \
    do {                                                                 \
        for (int i = 0; i < N; i++) {                                    \
            double v = x[i];                                             \
            e[i] = (expr);                                               \
        }                                                                \
        expect(call, 1, s, e, 2e-6);                                     \
    } while (0)
    CHECK_UNARY(ml_ad_scale(&T, a, -1.5f), -1.5 * v);
    CHECK_UNARY(ml_ad_neg(&T, a), -v);
    CHECK_UNARY(ml_ad_relu(&T, a), v > 0 ? v : 0);
    CHECK_UNARY(ml_ad_tanh(&T, a), tanh(v));
    CHECK_UNARY(ml_ad_sigmoid(&T, a), 1.0 / (1.0 + exp(-v)));
    CHECK_UNARY(ml_ad_abs(&T, a), fabs(v));
    CHECK_UNARY(ml_ad_square(&T, a), v * v);
    CHECK_UNARY(ml_ad_step(&T, a), v > 0 ? 1 : 0);
    CHECK_UNARY(ml_ad_sign(&T, a), v > 0 ? 1 : v < 0 ? -1 : 0);
    /* exp, log, sqrt on their domains */
    int s4[1] = {4};
    float p[4] = {0.01f, 0.5f, 1.0f, 30.0f};
    ml_ad_node *q = ml_ad_leaf(&T, 1, s4, p, 1);
    double ex[4], lg[4], sq[4];
    for (int i = 0; i < 4; i++) {
        ex[i] = exp((double)p[i]);
        lg[i] = log((double)p[i]);
        sq[i] = sqrt((double)p[i]);
    }
    expect(ml_ad_exp(&T, q), 1, s4, ex, 2e-6);
    expect(ml_ad_log(&T, q), 1, s4, lg, 2e-6);
    expect(ml_ad_sqrt(&T, q), 1, s4, sq, 2e-6);
    /* The sigmoid is finite and in [0, 1] far out. */
    ml_ad_node *sg = ml_ad_sigmoid(&T, a);
    for (int i = 0; i < N; i++)
        ck_assert(sg->val[i] >= 0.0f && sg->val[i] <= 1.0f);
}
END_TEST

START_TEST(test_reductions)
{
    int s[3] = {2, 3, 4}, one[1] = {1};
    ml_ad_node *a = rnd(3, s, -2, 2);
    double tot = 0;
    for (size_t i = 0; i < a->size; i++)
        tot += a->val[i];
    double e1[1] = {tot}, em[1] = {tot / 24};
    expect(ml_ad_sum(&T, a), 1, one, e1, 1e-6);
    expect(ml_ad_mean(&T, a), 1, one, em, 1e-6);
    for (int axis = 0; axis < 3; axis++) {
        int os[2], n = 0;
        for (int i = 0; i < 3; i++)
            if (i != axis)
                os[n++] = s[i];
        double e[12] = {0}, m[12];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 4; k++) {
                    int r = axis == 0 ? j * 4 + k : axis == 1 ? i * 4 + k : i * 3 + j;
                    e[r] += a->val[(i * 3 + j) * 4 + k];
                }
        for (int r = 0; r < 12; r++)
            m[r] = e[r] / s[axis];
        expect(ml_ad_sum_axis(&T, a, axis), 2, os, e, 1e-6);
        expect(ml_ad_mean_axis(&T, a, axis), 2, os, m, 1e-6);
    }
    /* 1-D: the axis removed leaves [1]. */
    int s5[1] = {5};
    ml_ad_node *v = rnd(1, s5, -1, 1);
    double vs = 0;
    for (int i = 0; i < 5; i++)
        vs += v->val[i];
    double ev[1] = {vs};
    expect(ml_ad_sum_axis(&T, v, 0), 1, one, ev, 1e-6);
}
END_TEST

static const struct { int an, as[4], tn, ts[4]; } BC[] = {
    {3, {2, 3, 4}, 2, {3, 1}}, {3, {2, 3, 4}, 1, {4}}, {3, {2, 3, 4}, 3, {2, 1, 4}},
    {3, {2, 3, 4}, 1, {1}}, {2, {3, 4}, 2, {3, 4}}, {4, {2, 3, 2, 2}, 4, {1, 3, 1, 1}},
    {4, {2, 3, 2, 2}, 4, {2, 1, 2, 1}}, {3, {2, 3, 4}, 3, {1, 1, 1}},
};

/* sum_to from the big shape down, expand from the small one up. */
START_TEST(test_sum_to_expand)
{
    const int c = _i;
    ml_ad_node *a = rnd(BC[c].an, BC[c].as, -2, 2);
    ml_ad_node *b = rnd(BC[c].tn, BC[c].ts, -2, 2);
    int ad[4], td[4], idx[4];
    pad4(BC[c].an, BC[c].as, ad);
    pad4(BC[c].tn, BC[c].ts, td);
    double *es = calloc(b->size, sizeof *es), *ee = malloc(a->size * sizeof *ee);
    for (size_t i = 0; i < a->size; i++) {
        unravel(i, ad, idx);
        es[ravel_bcast(idx, td)] += a->val[i];
        ee[i] = b->val[ravel_bcast(idx, td)];
    }
    expect(ml_ad_sum_to(&T, a, BC[c].tn, BC[c].ts), BC[c].tn, BC[c].ts, es, 1e-5);
    expect(ml_ad_expand(&T, b, BC[c].an, BC[c].as), BC[c].an, BC[c].as, ee, 0);
    free(es);
    free(ee);
}
END_TEST

START_TEST(test_shape_ops)
{
    int s[3] = {2, 3, 4};
    ml_ad_node *a = rnd(3, s, -2, 2);
    double e[64];
    /* reshape: same values, new shape */
    int rs[2] = {4, 6};
    for (int i = 0; i < 24; i++)
        e[i] = a->val[i];
    expect(ml_ad_reshape(&T, a, 2, rs), 2, rs, e, 0);
    for (int axis = 0; axis < 3; axis++) {
        /* concat with b of size 2 along axis */
        int bs[3] = {2, 3, 4};
        bs[axis] = 2;
        ml_ad_node *b = rnd(3, bs, -2, 2);
        int cs[3] = {2, 3, 4};
        cs[axis] += 2;
        int n = 0;
        for (int i = 0; i < cs[0]; i++)
            for (int j = 0; j < cs[1]; j++)
                for (int k = 0; k < cs[2]; k++) {
                    int id[3] = {i, j, k};
                    if (id[axis] < s[axis]) {
                        e[n++] = a->val[(i * 3 + j) * 4 + k];
                    } else {
                        id[axis] -= s[axis];
                        e[n++] = b->val[(id[0] * bs[1] + id[1]) * bs[2] + id[2]];
                    }
                }
        expect(ml_ad_concat(&T, a, b, axis), 3, cs, e, 0);
        /* slice [1, 1 + 1) along axis */
        int ss[3] = {2, 3, 4};
        ss[axis] = 1;
        n = 0;
        for (int i = 0; i < ss[0]; i++)
            for (int j = 0; j < ss[1]; j++)
                for (int k = 0; k < ss[2]; k++) {
                    int id[3] = {i, j, k};
                    id[axis] += 1;
                    e[n++] = a->val[(id[0] * 3 + id[1]) * 4 + id[2]];
                }
        expect(ml_ad_slice(&T, a, axis, 1, 1), 3, ss, e, 0);
        /* pad to size + 3 at offset 2 */
        int ps[3] = {2, 3, 4};
        ps[axis] += 3;
        n = 0;
        for (int i = 0; i < ps[0]; i++)
            for (int j = 0; j < ps[1]; j++)
                for (int k = 0; k < ps[2]; k++) {
                    int id[3] = {i, j, k};
                    id[axis] -= 2;
                    e[n++] = id[axis] < 0 || id[axis] >= s[axis]
                                 ? 0.0
                                 : a->val[(id[0] * 3 + id[1]) * 4 + id[2]];
                }
        expect(ml_ad_pad(&T, a, axis, 2, ps[axis]), 3, ps, e, 0);
    }
}
END_TEST

static void softmax_ref(const float *x, int c, double *o)
{
    double mx = x[0], s = 0;
    for (int j = 1; j < c; j++)
        mx = fmax(mx, x[j]);
    for (int j = 0; j < c; j++)
        s += exp(x[j] - mx);
    for (int j = 0; j < c; j++)
        o[j] = exp(x[j] - mx) / s;
}

START_TEST(test_softmax_and_losses)
{
    int s[2] = {3, 5}, one[1] = {1};
    ml_ad_node *z = rnd(2, s, -3, 3);
    z->val[7] = 500.0f; /* large logits: max-shifted, no overflow */
    z->val[8] = 499.0f;
    double e[15];
    for (int r = 0; r < 3; r++)
        softmax_ref(z->val + 5 * r, 5, e + 5 * r);
    ml_ad_node *p = ml_ad_softmax(&T, z);
    expect(p, 2, s, e, 1e-6);
    for (int r = 0; r < 3; r++) {
        double rs = 0;
        for (int j = 0; j < 5; j++)
            rs += p->val[5 * r + j];
        ck_assert_double_eq_tol(rs, 1.0, 1e-6);
    }
    /* softmax_ce: mean of -log softmax[label] */
    int lab[3] = {4, 2, 0};
    double ce = 0;
    for (int r = 0; r < 3; r++) {
        double mx = -INFINITY, se = 0;
        for (int j = 0; j < 5; j++)
            mx = fmax(mx, z->val[5 * r + j]);
        for (int j = 0; j < 5; j++)
            se += exp(z->val[5 * r + j] - mx);
        ce += log(se) + mx - z->val[5 * r + lab[r]];
    }
    double ece[1] = {ce / 3};
    int lab_copy[3];
    memcpy(lab_copy, lab, sizeof lab);
    ml_ad_node *l = ml_ad_softmax_ce(&T, z, lab_copy);
    lab_copy[0] = 99; /* labels are copied */
    expect(l, 1, one, ece, 1e-5);
    ck_assert_int_eq(l->labels[0], 4);
    /* bce_logits, stable for large |z| */
    ml_ad_node *y = rnd(2, s, 0, 1);
    z->val[0] = 80.0f;
    z->val[1] = -80.0f;
    double b = 0;
    for (int i = 0; i < 15; i++) {
        double v = z->val[i];
        b += fmax(v, 0) - v * y->val[i] + log1p(exp(-fabs(v)));
    }
    double eb[1] = {b / 15};
    expect(ml_ad_bce_logits(&T, z, y), 1, one, eb, 1e-5);
    /* mse, also for equal sizes of different shapes */
    ml_ad_node *q = rnd(2, s, -2, 2);
    double m = 0;
    for (int i = 0; i < 15; i++)
        m += (double)(q->val[i] - y->val[i]) * (q->val[i] - y->val[i]);
    double em[1] = {m / 15};
    expect(ml_ad_mse(&T, q, y), 1, one, em, 1e-5);
    int f[1] = {15};
    expect(ml_ad_mse(&T, ml_ad_reshape(&T, q, 1, f), y), 1, one, em, 1e-5);
}
END_TEST

START_TEST(test_sqdist)
{
    int sa[2] = {3, 4}, sb[2] = {5, 4}, sy[2] = {3, 5};
    ml_ad_node *a = rnd(2, sa, -2, 2), *b = rnd(2, sb, -2, 2);
    memcpy(b->val + 8, a->val + 4, 4 * sizeof(float)); /* b_2 == a_1 */
    double e[15];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 5; j++) {
            double s = 0;
            for (int k = 0; k < 4; k++) {
                double d = (double)a->val[i * 4 + k] - b->val[j * 4 + k];
                s += d * d;
            }
            e[i * 5 + j] = s;
        }
    ml_ad_node *d = ml_ad_sqdist(&T, a, b);
    expect(d, 2, sy, e, 1e-5);
    ck_assert(d->val[1 * 5 + 2] == 0.0f); /* exactly zero for equal rows */
}
END_TEST

static Suite *ops_forward_suite(void)
{
    Suite *s = suite_create("ops_forward");
    TCase *tc = tcase_create("forward");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_matmul);
    tcase_add_test(tc, test_matmul_batched);
    tcase_add_test(tc, test_linear);
    tcase_add_test(tc, test_linear_batched);
    tcase_add_test(tc, test_mask_axpy);
    tcase_add_loop_test(tc, test_binary_broadcast, 0,
                        (int)(sizeof BIN / sizeof BIN[0]));
    tcase_add_test(tc, test_unary);
    tcase_add_test(tc, test_reductions);
    tcase_add_loop_test(tc, test_sum_to_expand, 0,
                        (int)(sizeof BC / sizeof BC[0]));
    tcase_add_test(tc, test_shape_ops);
    tcase_add_test(tc, test_softmax_and_losses);
    tcase_add_test(tc, test_sqdist);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ops_forward_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
