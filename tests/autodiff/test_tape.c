/* Semantics of the tape: recording, gradients of any order, accumulation,
 * seeds, sticky errors and error codes, op names.  (Memory: see
 * test_tape_memory.c.) */
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
    ml_alloc_fail_after(0);
    ml_ad_tape_release(&T);
}

static const int S34[2] = {3, 4};
static const int S3[1] = {3};
static const int S1[1] = {1};

static float X12[12] = {0.5f, -1.0f, 1.5f, -2.0f, 0.25f, 0.75f,
                        -0.5f, 1.25f, -1.5f, 2.0f, 0.1f, -0.3f};

static void assert_vals(const ml_ad_node *x, const double *e, size_t n,
                        double tol)
{
    ck_assert_ptr_nonnull(x);
    ck_assert_uint_eq(x->size, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(fabs(x->val[i] - e[i]) <= tol * fmax(1.0, fabs(e[i])),
                      "element %zu: %.7g, expected %.7g", i, (double)x->val[i],
                      e[i]);
}

/* ---- recording ---- */

START_TEST(test_constants_not_recorded)
{
    float x[12];
    memcpy(x, X12, sizeof x);
    ml_ad_node *c = ml_ad_leaf(&T, 2, S34, x, 0);
    ck_assert_int_eq(c->id, -1);
    ck_assert(!ml_ad_requires_grad(c));
    ck_assert_ptr_eq(c->val, x); /* borrowed, not copied */
    ml_ad_node *y = ml_ad_sum(&T, ml_ad_tanh(&T, ml_ad_mul(&T, c, c)));
    ml_ad_node *z = ml_ad_fill(&T, 2, S34, 2.0f);
    ml_ad_node *w = ml_ad_const(&T, 2, S34, x);
    ck_assert_ptr_ne(w->val, x); /* copied */
    ml_ad_node *q = ml_ad_add(&T, ml_ad_zeros(&T, 2, S34), ml_ad_mul(&T, z, w));
    ck_assert_int_eq(y->id, -1);
    ck_assert_int_eq(z->id, -1);
    ck_assert_int_eq(w->id, -1);
    ck_assert_int_eq(q->id, -1);
    ck_assert_int_eq(y->nin, 0);
    ck_assert_int_eq(T.n, 0);
    ck_assert_int_eq(ml_ad_tape_status(&T), ML_OK);
    ck_assert(!ml_ad_requires_grad(NULL));

    /* A gradient leaf makes its dependants recorded, in order. */
    ml_ad_node *p = ml_ad_leaf(&T, 2, S34, x, 1);
    ck_assert_int_eq(p->id, 0);
    ml_ad_node *a = ml_ad_mul(&T, c, p);   /* constant and leaf */
    ml_ad_node *b = ml_ad_tanh(&T, a);
    ck_assert_int_eq(a->id, 1);
    ck_assert_int_eq(b->id, 2);
    ck_assert_int_eq(a->nin, 2);
    ck_assert_ptr_eq(a->in[0], c);
    ck_assert_ptr_eq(a->in[1], p);
    ck_assert_ptr_eq(T.nodes[2], b);
    /* step and sign are constants even of a recorded input. */
    ck_assert_int_eq(ml_ad_step(&T, p)->id, -1);
    ck_assert_int_eq(ml_ad_sign(&T, p)->id, -1);
    ck_assert_int_eq(T.n, 3);
    /* Reset forgets everything. */
    ml_ad_tape_reset(&T);
    ck_assert_int_eq(T.n, 0);
    ck_assert_uint_eq(T.arena.used, 0);
}
END_TEST

START_TEST(test_reshape_shares_values)
{
    float x[12];
    memcpy(x, X12, sizeof x);
    ml_ad_node *p = ml_ad_leaf(&T, 2, S34, x, 1);
    int s[3] = {2, 3, 2};
    ml_ad_node *r = ml_ad_reshape(&T, p, 3, s);
    ck_assert_ptr_eq(r->val, p->val);
    ck_assert_int_eq(r->ndim, 3);
    ck_assert_int_eq(r->shape[2], 2);
    ck_assert_int_ge(r->id, 0);
}
END_TEST

/* ---- gradients ---- */

START_TEST(test_grad_unrelated_is_zero)
{
    float x[12], z[3] = {1, 2, 3};
    memcpy(x, X12, sizeof x);
    ml_ad_node *px = ml_ad_leaf(&T, 2, S34, x, 1);
    ml_ad_node *pz = ml_ad_leaf(&T, 1, S3, z, 1);
    ml_ad_node *c = ml_ad_const(&T, 1, S3, z);
    ml_ad_node *L = ml_ad_sum(&T, ml_ad_tanh(&T, px));
    ml_ad_node *late = ml_ad_leaf(&T, 1, S3, z, 1); /* created after L */
    ml_ad_node *ins[4] = {pz, px, c, late}, *g[4];
    for (int cg = 0; cg <= 1; cg++) {
        ck_assert_int_eq(ml_ad_grad(&T, 1, &L, NULL, 4, ins, g, cg), ML_OK);
        for (int k = 0; k < 4; k++) {
            ck_assert_ptr_nonnull(g[k]);
            ck_assert(ml_ad_same_shape(g[k], ins[k]));
        }
        for (int i = 0; i < 3; i++) {
            ck_assert(g[0]->val[i] == 0.0f);
            ck_assert(g[2]->val[i] == 0.0f);
            ck_assert(g[3]->val[i] == 0.0f);
        }
        for (int i = 0; i < 12; i++) {
            double th = tanh((double)x[i]);
            ck_assert_double_eq_tol(g[1]->val[i], 1.0 - th * th, 1e-6);
        }
    }
    /* A loss that depends on no gradient leaf: zeros everywhere. */
    ml_ad_node *K = ml_ad_sum(&T, c);
    ck_assert_int_eq(ml_ad_grad(&T, 1, &K, NULL, 2, ins, g, 0), ML_OK);
    for (int i = 0; i < 12; i++)
        ck_assert(g[1]->val[i] == 0.0f);
}
END_TEST

START_TEST(test_create_graph_ids)
{
    float x[12];
    memcpy(x, X12, sizeof x);
    ml_ad_node *p = ml_ad_leaf(&T, 2, S34, x, 1);
    ml_ad_node *L = ml_ad_sum(&T, ml_ad_tanh(&T, ml_ad_square(&T, p)));
    ml_ad_node *g;
    int n0 = T.n;
    ck_assert_int_eq(ml_ad_grad(&T, 1, &L, NULL, 1, &p, &g, 0), ML_OK);
    ck_assert_int_eq(g->id, -1);
    ck_assert_int_eq(T.n, n0); /* nothing recorded */
    ck_assert_int_eq(T.recording, 1); /* and recording is back on */
    ml_ad_node *after = ml_ad_neg(&T, p);
    ck_assert_int_ge(after->id, 0);

    ml_ad_node *g2;
    n0 = T.n;
    ck_assert_int_eq(ml_ad_grad(&T, 1, &L, NULL, 1, &p, &g2, 1), ML_OK);
    ck_assert_int_ge(g2->id, n0); /* recorded after the forward pass */
    ck_assert_int_gt(T.n, n0);
    ck_assert_int_eq(T.recording, 1);
    for (int i = 0; i < 12; i++)
        ck_assert(g->val[i] == g2->val[i]);
}
END_TEST

START_TEST(test_accumulation)
{
    float x[12];
    memcpy(x, X12, sizeof x);
    ml_ad_node *p = ml_ad_leaf(&T, 2, S34, x, 1), *g;
    double e[12];
    /* sum(x * x): both operands are x, 2x. */
    ml_ad_node *L = ml_ad_sum(&T, ml_ad_mul(&T, p, p));
    ck_assert_int_eq(ml_ad_grad(&T, 1, &L, NULL, 1, &p, &g, 0), ML_OK);
    for (int i = 0; i < 12; i++)
        e[i] = 2.0 * x[i];
    assert_vals(g, e, 12, 1e-6);
    /* x used three times: sum(x + x) + sum(3 x) = 5 sum(x). */
    L = ml_ad_add(&T, ml_ad_sum(&T, ml_ad_add(&T, p, p)),
                  ml_ad_sum(&T, ml_ad_scale(&T, p, 3.0f)));
    ck_assert_int_eq(ml_ad_grad(&T, 1, &L, NULL, 1, &p, &g, 0), ML_OK);
    for (int i = 0; i < 12; i++)
        e[i] = 5.0;
    assert_vals(g, e, 12, 1e-6);
    /* x / x is 1: zero gradient, by cancellation of two contributions. */
    L = ml_ad_sum(&T, ml_ad_div(&T, p, p));
    ck_assert_int_eq(ml_ad_grad(&T, 1, &L, NULL, 1, &p, &g, 0), ML_OK);
    for (int i = 0; i < 12; i++)
        e[i] = 0.0;
    assert_vals(g, e, 12, 1e-6);
}
END_TEST

START_TEST(test_grad_intermediate)
{
    float x[12];
    memcpy(x, X12, sizeof x);
    ml_ad_node *p = ml_ad_leaf(&T, 2, S34, x, 1);
    ml_ad_node *y = ml_ad_tanh(&T, p);
    ml_ad_node *L = ml_ad_sum(&T, ml_ad_mul(&T, y, y));
    ml_ad_node *ins[2] = {y, p}, *g[2];
    ck_assert_int_eq(ml_ad_grad(&T, 1, &L, NULL, 2, ins, g, 0), ML_OK);
    double ey[12], ex[12];
    for (int i = 0; i < 12; i++) {
        double th = tanh((double)x[i]);
        ey[i] = 2.0 * th;
        ex[i] = 2.0 * th * (1.0 - th * th);
    }
    assert_vals(g[0], ey, 12, 1e-5);
    assert_vals(g[1], ex, 12, 1e-5);
    /* Only the intermediate. */
    ck_assert_int_eq(ml_ad_grad(&T, 1, &L, NULL, 1, &y, g, 0), ML_OK);
    assert_vals(g[0], ey, 12, 1e-5);
}
END_TEST

START_TEST(test_multiple_outputs_seeds)
{
    float x[3] = {0.5f, -1.0f, 2.0f}, cv[3] = {3, -2, 0.5f},
          sv[3] = {1, 10, -1};
    ml_ad_node *p = ml_ad_leaf(&T, 1, S3, x, 1);
    ml_ad_node *c = ml_ad_const(&T, 1, S3, cv);
    ml_ad_node *s = ml_ad_const(&T, 1, S3, sv);
    ml_ad_node *y1 = ml_ad_mul(&T, p, c);                 /* [3] */
    ml_ad_node *y2 = ml_ad_sum(&T, ml_ad_square(&T, p));  /* [1] */
    ml_ad_node *outs[2] = {y1, y2}, *seeds[2] = {s, NULL}, *g;
    /* <s, y1> + y2: s * c + 2 x */
    ck_assert_int_eq(ml_ad_grad(&T, 2, outs, seeds, 1, &p, &g, 0), ML_OK);
    double e[3];
    for (int i = 0; i < 3; i++)
        e[i] = sv[i] * cv[i] + 2.0 * x[i];
    assert_vals(g, e, 3, 1e-6);
    /* A scalar seed scales. */
    float two = 2.0f;
    ml_ad_node *s2 = ml_ad_const(&T, 1, S1, &two);
    seeds[1] = s2;
    ck_assert_int_eq(ml_ad_grad(&T, 2, outs, seeds, 1, &p, &g, 0), ML_OK);
    for (int i = 0; i < 3; i++)
        e[i] = sv[i] * cv[i] + 4.0 * x[i];
    assert_vals(g, e, 3, 1e-6);
    /* Two scalar outputs, seeds NULL: the sum of both gradients. */
    ml_ad_node *y3 = ml_ad_sum(&T, y1);
    ml_ad_node *outs2[2] = {y3, y2};
    ck_assert_int_eq(ml_ad_grad(&T, 2, outs2, NULL, 1, &p, &g, 0), ML_OK);
    for (int i = 0; i < 3; i++)
        e[i] = cv[i] + 2.0 * x[i];
    assert_vals(g, e, 3, 1e-6);
    /* The same output twice counts twice. */
    ml_ad_node *outs3[2] = {y2, y2};
    ck_assert_int_eq(ml_ad_grad(&T, 2, outs3, NULL, 1, &p, &g, 0), ML_OK);
    for (int i = 0; i < 3; i++)
        e[i] = 4.0 * x[i];
    assert_vals(g, e, 3, 1e-6);
}
END_TEST

/* Gradients of any order: sum(x^4) -> 4x^3 -> 12x^2 -> 24x. */
START_TEST(test_third_order)
{
    float x[3] = {0.5f, -1.5f, 2.0f};
    ml_ad_node *p = ml_ad_leaf(&T, 1, S3, x, 1), *g1, *g2, *g3;
    ml_ad_node *L = ml_ad_sum(&T, ml_ad_square(&T, ml_ad_square(&T, p)));
    ck_assert_int_eq(ml_ad_grad(&T, 1, &L, NULL, 1, &p, &g1, 1), ML_OK);
    ml_ad_node *s1 = ml_ad_sum(&T, g1);
    ck_assert_int_eq(ml_ad_grad(&T, 1, &s1, NULL, 1, &p, &g2, 1), ML_OK);
    ml_ad_node *s2 = ml_ad_sum(&T, g2);
    ck_assert_int_eq(ml_ad_grad(&T, 1, &s2, NULL, 1, &p, &g3, 0), ML_OK);
    double e1[3], e2[3], e3[3];
    for (int i = 0; i < 3; i++) {
        double v = x[i];
        e1[i] = 4 * v * v * v;
        e2[i] = 12 * v * v;
        e3[i] = 24 * v;
    }
    assert_vals(g1, e1, 3, 1e-6);
    assert_vals(g2, e2, 3, 1e-6);
    assert_vals(g3, e3, 3, 1e-6);
    /* Fourth order is constant 24, fifth is zero (not recorded). */
    ml_ad_node *g4, *g5;
    ml_ad_node *s3;
    ck_assert_int_eq(ml_ad_grad(&T, 1, &s2, NULL, 1, &p, &g3, 1), ML_OK);
    s3 = ml_ad_sum(&T, g3);
    ck_assert_int_eq(ml_ad_grad(&T, 1, &s3, NULL, 1, &p, &g4, 1), ML_OK);
    double e4[3] = {24, 24, 24}, e5[3] = {0, 0, 0};
    assert_vals(g4, e4, 3, 1e-6);
    ml_ad_node *s4 = ml_ad_sum(&T, g4);
    ck_assert_int_eq(ml_ad_grad(&T, 1, &s4, NULL, 1, &p, &g5, 0), ML_OK);
    assert_vals(g5, e5, 3, 1e-6);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_sticky_errors)
{
    float x[12], b[5] = {1, 2, 3, 4, 5};
    memcpy(x, X12, sizeof x);
    int s5[1] = {5};
    ml_ad_node *p = ml_ad_leaf(&T, 2, S34, x, 1);
    ml_ad_node *q = ml_ad_leaf(&T, 1, s5, b, 1);
    ml_ad_node *ok = ml_ad_tanh(&T, p);
    ck_assert_ptr_nonnull(ok);
    ck_assert_ptr_null(ml_ad_add(&T, p, q)); /* [5] into [3, 4] */
    ck_assert_int_eq(ml_ad_tape_status(&T), ML_ERR_SHAPE);
    ck_assert_str_ne(T.msg, "");
    ck_assert_ptr_nonnull(strstr(T.msg, "add"));
    char first[ML_ERRMSG_MAX];
    strcpy(first, T.msg);
    /* Every later op fails, even a valid one, and keeps the first error. */
    ck_assert_ptr_null(ml_ad_tanh(&T, p));
    ck_assert_ptr_null(ml_ad_sum(&T, ok));
    ck_assert_ptr_null(ml_ad_leaf(&T, 2, S34, x, 1));
    ck_assert_ptr_null(ml_ad_fill(&T, 2, S34, 1.0f));
    ck_assert_ptr_null(ml_ad_slice(&T, p, 0, 5, 1)); /* would be RANGE */
    ck_assert_int_eq(ml_ad_tape_status(&T), ML_ERR_SHAPE);
    ck_assert_str_eq(T.msg, first);
    ml_ad_node *g;
    ml_ad_node *L = ok; /* not scalar, but the status comes first */
    ck_assert_int_eq(ml_ad_grad(&T, 1, &L, NULL, 1, &p, &g, 0), ML_ERR_SHAPE);
    /* ml_ad_fail itself: first error wins, returns NULL. */
    ck_assert_ptr_null(ml_ad_fail(&T, ML_ERR_NOMEM, "other %d", 1));
    ck_assert_int_eq(ml_ad_tape_status(&T), ML_ERR_SHAPE);
    /* Reset clears it. */
    ml_ad_tape_reset(&T);
    ck_assert_int_eq(ml_ad_tape_status(&T), ML_OK);
    ck_assert_str_eq(T.msg, "");
    p = ml_ad_leaf(&T, 2, S34, x, 1);
    L = ml_ad_sum(&T, ml_ad_tanh(&T, p));
    ck_assert_ptr_nonnull(L);
    ck_assert_int_eq(ml_ad_grad(&T, 1, &L, NULL, 1, &p, &g, 0), ML_OK);
}
END_TEST

/* A NULL input makes an op return NULL without an error of its own: the
 * error is whatever made the input NULL. */
START_TEST(test_null_inputs)
{
    float x[12];
    memcpy(x, X12, sizeof x);
    ml_ad_node *p = ml_ad_leaf(&T, 2, S34, x, 1);
    int lab[3] = {0, 1, 2};
    ck_assert_ptr_null(ml_ad_tanh(&T, NULL));
    ck_assert_ptr_null(ml_ad_add(&T, p, NULL));
    ck_assert_ptr_null(ml_ad_add(&T, NULL, p));
    ck_assert_ptr_null(ml_ad_matmul(&T, NULL, p, 0, 0));
    ck_assert_ptr_null(ml_ad_sum(&T, NULL));
    ck_assert_ptr_null(ml_ad_mean(&T, NULL));
    ck_assert_ptr_null(ml_ad_mean_axis(&T, NULL, 0));
    ck_assert_ptr_null(ml_ad_reshape(&T, NULL, 2, S34));
    ck_assert_ptr_null(ml_ad_concat(&T, p, NULL, 0));
    ck_assert_ptr_null(ml_ad_softmax_ce(&T, NULL, lab));
    ck_assert_ptr_null(ml_ad_mse(&T, NULL, p));
    ck_assert_ptr_null(ml_ad_sqdist(&T, p, NULL));
    ck_assert_ptr_null(ml_ad_step(&T, NULL));
    ck_assert_ptr_null(ml_ad_linear(&T, p, NULL, p));
    ck_assert_ptr_null(ml_ad_mask(&T, NULL, p));
    ck_assert_ptr_null(ml_ad_axpy(&T, p, 1.0f, NULL));
    ck_assert_ptr_null(ml_ad_conv2d(&T, NULL, p, NULL, 1, 0));
    ck_assert_ptr_null(ml_ad_conv2d(&T, p, NULL, p, 1, 0));
    ck_assert_ptr_null(ml_ad_conv2d_dx(&T, NULL, p, 3, 3, 1, 0));
    ck_assert_ptr_null(ml_ad_conv2d_dw(&T, p, NULL, 3, 1, 0));
    ck_assert_ptr_null(ml_ad_maxpool(&T, NULL, 2));
    ck_assert_ptr_null(ml_ad_pool_gather(&T, p, NULL, 2));
    ck_assert_ptr_null(ml_ad_pool_scatter(&T, NULL, p, 2));
    ck_assert_ptr_null(ml_ad_batchnorm(&T, p, NULL, p, 1e-5f));
    ck_assert_ptr_null(ml_ad_batchnorm_relu(&T, NULL, p, p, 1e-5f));
    ck_assert_ptr_null(ml_ad_batchnorm_relu_pool(&T, p, p, NULL, 1e-5f));
    ck_assert_int_eq(ml_ad_tape_status(&T), ML_OK);
}
END_TEST

typedef ml_ad_node *(*err_fn)(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b);

static float ERRBUF[64];
static const int E5[1] = {5};
static const int E23[2] = {2, 3};

static ml_ad_node *e_matmul_inner(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_matmul(t, a, a, 0, 0); }
static ml_ad_node *e_matmul_1d(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_matmul(t, b, b, 0, 1); }
static ml_ad_node *e_matmul_2d_3d(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_matmul(t, a, ml_ad_zeros(t, 3, (const int[]){2, 4, 3}), 0, 0); }
static ml_ad_node *e_matmul_batch(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_matmul(t, ml_ad_zeros(t, 3, (const int[]){3, 2, 4}), ml_ad_zeros(t, 3, (const int[]){2, 4, 3}), 0, 0); }
static ml_ad_node *e_matmul_batch_inner(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_matmul(t, ml_ad_zeros(t, 3, (const int[]){2, 2, 4}), ml_ad_zeros(t, 3, (const int[]){2, 4, 3}), 0, 1); }
static ml_ad_node *e_matmul_4d(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { ml_ad_node *z = ml_ad_zeros(t, 4, (const int[]){1, 2, 2, 2}); return ml_ad_matmul(t, z, z, 0, 0); }
static ml_ad_node *e_add(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_add(t, a, b); }
static ml_ad_node *e_mul_bigger_b(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_mul(t, b, a); }
static ml_ad_node *e_sum_to(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_sum_to(t, a, 1, E5); }
static ml_ad_node *e_expand(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_expand(t, b, 2, S34); }
static ml_ad_node *e_reshape(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_reshape(t, a, 2, E23); }
static ml_ad_node *e_concat(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_concat(t, a, b, 0); }
static ml_ad_node *e_concat_axis(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_concat(t, a, a, 2); }
static ml_ad_node *e_slice(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_slice(t, a, 1, 2, 3); }
static ml_ad_node *e_slice_axis(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_slice(t, a, 2, 0, 1); }
static ml_ad_node *e_pad(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_pad(t, a, 1, 1, 4); }
static ml_ad_node *e_sum_axis(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_sum_axis(t, a, 2); }
static ml_ad_node *e_mean_axis(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_mean_axis(t, a, -1); }
static ml_ad_node *e_ce_label(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { static const int l[3] = {0, 4, 1}; return ml_ad_softmax_ce(t, a, l); }
static ml_ad_node *e_ce_neg(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { static const int l[3] = {0, -1, 1}; return ml_ad_softmax_ce(t, a, l); }
static ml_ad_node *e_ce_null(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_softmax_ce(t, a, NULL); }
static ml_ad_node *e_ce_1d(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { static const int l[5] = {0}; return ml_ad_softmax_ce(t, b, l); }
static ml_ad_node *e_bce(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_bce_logits(t, a, b); }
static ml_ad_node *e_mse(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_mse(t, a, b); }
static ml_ad_node *e_sqdist(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_sqdist(t, a, ml_ad_reshape(t, b, 2, (const int[]){5, 1})); }
static ml_ad_node *e_leaf_null(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_leaf(t, 2, S34, NULL, 1); }
static ml_ad_node *e_leaf_5d(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { static const int s[5] = {1, 1, 1, 1, 1}; return ml_ad_leaf(t, 5, s, ERRBUF, 1); }
static ml_ad_node *e_leaf_0d(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_leaf(t, 0, S34, ERRBUF, 0); }
static ml_ad_node *e_zero_dim(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_zeros(t, 2, (const int[]){3, 0}); }
static ml_ad_node *e_neg_dim(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_fill(t, 1, (const int[]){-2}, 1.0f); }
static ml_ad_node *e_too_large(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_zeros(t, 4, (const int[]){1 << 12, 1 << 12, 1 << 12, 1 << 12}); }
/* 2^20 * 2^20 * 2^24 = 2^64: the element count wraps to 0 in 64 bits. */
static ml_ad_node *e_too_large_wrap(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_zeros(t, 3, (const int[]){1 << 20, 1 << 20, 1 << 24}); }
static ml_ad_node *e_too_large_wrap4(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_fill(t, 4, (const int[]){1 << 10, 1 << 30, 1 << 30, 1 << 30}, 1.0f); }
static ml_ad_node *e_linear_inner(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_linear(t, a, a, b); }
static ml_ad_node *e_linear_bias(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { ml_ad_node *w = ml_ad_zeros(t, 2, (const int[]){4, 2}); return ml_ad_linear(t, a, w, b); }
static ml_ad_node *e_linear_batch(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_linear(t, ml_ad_zeros(t, 3, (const int[]){2, 3, 4}), ml_ad_zeros(t, 3, (const int[]){3, 4, 2}), ml_ad_zeros(t, 2, (const int[]){2, 2})); }
static ml_ad_node *e_linear_batch_bias(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_linear(t, ml_ad_zeros(t, 3, (const int[]){2, 3, 4}), ml_ad_zeros(t, 3, (const int[]){2, 4, 2}), ml_ad_zeros(t, 1, (const int[]){2})); }
static ml_ad_node *e_linear_2d_3d(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_linear(t, a, ml_ad_zeros(t, 3, (const int[]){1, 4, 2}), ml_ad_zeros(t, 1, (const int[]){2})); }
static ml_ad_node *e_mask(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_mask(t, a, b); }
static ml_ad_node *e_axpy(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_axpy(t, a, 2.0f, b); }

/* Convolution, pooling and batchnorm errors, on their own tensors. */
static ml_ad_node *z4(ml_ad_tape *t, int n, int c, int h, int w) { return ml_ad_zeros(t, 4, (const int[]){n, c, h, w}); }
static ml_ad_node *e_conv_rank_x(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_conv2d(t, a, z4(t, 2, 4, 1, 1), NULL, 1, 0); }
static ml_ad_node *e_conv_rank_w(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_conv2d(t, z4(t, 1, 3, 4, 4), a, NULL, 1, 0); }
static ml_ad_node *e_conv_channels(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_conv2d(t, z4(t, 1, 3, 4, 4), z4(t, 2, 2, 3, 3), NULL, 1, 1); }
static ml_ad_node *e_conv_kernel(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_conv2d(t, z4(t, 1, 2, 4, 4), z4(t, 2, 2, 7, 7), NULL, 1, 1); }
static ml_ad_node *e_conv_kernel_w(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_conv2d(t, z4(t, 1, 2, 9, 2), z4(t, 2, 2, 3, 3), NULL, 1, 0); }
static ml_ad_node *e_conv_square(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_conv2d(t, z4(t, 1, 2, 4, 4), z4(t, 2, 2, 3, 2), NULL, 1, 0); }
static ml_ad_node *e_conv_stride(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_conv2d(t, z4(t, 1, 2, 4, 4), z4(t, 2, 2, 3, 3), NULL, 0, 1); }
static ml_ad_node *e_conv_pad(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_conv2d(t, z4(t, 1, 2, 4, 4), z4(t, 2, 2, 3, 3), NULL, 1, -1); }
static ml_ad_node *e_conv_bias(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_conv2d(t, z4(t, 1, 2, 4, 4), z4(t, 2, 2, 3, 3), b, 1, 1); }
static ml_ad_node *e_conv_huge_pad(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_conv2d(t, z4(t, 1, 2, 4, 4), z4(t, 2, 2, 3, 3), NULL, 1 << 30, 1 << 30); }
static ml_ad_node *e_conv_dx_out(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_conv2d_dx(t, z4(t, 1, 2, 4, 4), z4(t, 2, 3, 3, 3), 5, 5, 1, 1); }
static ml_ad_node *e_conv_dx_filters(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_conv2d_dx(t, z4(t, 1, 3, 4, 4), z4(t, 2, 3, 3, 3), 4, 4, 1, 1); }
static ml_ad_node *e_conv_dx_size(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_conv2d_dx(t, z4(t, 1, 2, 4, 4), z4(t, 2, 3, 3, 3), 0, 4, 1, 1); }
static ml_ad_node *e_conv_dw_out(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_conv2d_dw(t, z4(t, 1, 3, 4, 4), z4(t, 1, 2, 3, 4), 3, 1, 1); }
static ml_ad_node *e_conv_dw_batch(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_conv2d_dw(t, z4(t, 2, 3, 4, 4), z4(t, 1, 2, 4, 4), 3, 1, 1); }
static ml_ad_node *e_conv_dw_k(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_conv2d_dw(t, z4(t, 1, 3, 4, 4), z4(t, 1, 2, 4, 4), 0, 1, 1); }
static ml_ad_node *e_pool_rank(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_maxpool(t, a, 2); }
static ml_ad_node *e_pool_size(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_maxpool(t, z4(t, 1, 1, 4, 4), 0); }
static ml_ad_node *e_pool_big(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_maxpool(t, z4(t, 1, 1, 4, 3), 4); }
static ml_ad_node *e_pool_gather(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_pool_gather(t, z4(t, 1, 1, 4, 2), z4(t, 1, 1, 4, 4), 2); }
static ml_ad_node *e_pool_scatter(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_pool_scatter(t, z4(t, 1, 1, 2, 1), z4(t, 1, 1, 4, 4), 2); }
static ml_ad_node *e_bn_rank(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_batchnorm(t, ml_ad_reshape(t, a, 3, (const int[]){1, 3, 4}), b, b, 1e-5f); }
static ml_ad_node *e_bn_gamma(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { return ml_ad_batchnorm(t, a, b, b, 1e-5f); }
static ml_ad_node *e_bn_eps(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { ml_ad_node *g = ml_ad_zeros(t, 1, (const int[]){4}); return ml_ad_batchnorm(t, a, g, g, -1.0f); }
static ml_ad_node *e_bnp_rank(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { ml_ad_node *g = ml_ad_zeros(t, 1, (const int[]){4}); return ml_ad_batchnorm_relu_pool(t, a, g, g, 1e-5f); }
static ml_ad_node *e_bnp_small(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { ml_ad_node *g = ml_ad_zeros(t, 1, (const int[]){2}); return ml_ad_batchnorm_relu_pool(t, z4(t, 1, 2, 1, 4), g, g, 1e-5f); }
static ml_ad_node *e_bnr_eps(ml_ad_tape *t, ml_ad_node *a, ml_ad_node *b) { ml_ad_node *g = ml_ad_zeros(t, 1, (const int[]){4}); return ml_ad_batchnorm_relu(t, a, g, g, NAN); }

static const struct err_case {
    const char *name;
    err_fn fn;
    ml_status expect;
} err_cases[] = {
    {"matmul inner", e_matmul_inner, ML_ERR_SHAPE},
    {"matmul 1-D", e_matmul_1d, ML_ERR_SHAPE},
    {"matmul 2-D by 3-D", e_matmul_2d_3d, ML_ERR_SHAPE},
    {"matmul batch sizes", e_matmul_batch, ML_ERR_SHAPE},
    {"matmul batched inner", e_matmul_batch_inner, ML_ERR_SHAPE},
    {"matmul 4-D", e_matmul_4d, ML_ERR_SHAPE},
    {"add no broadcast", e_add, ML_ERR_SHAPE},
    {"mul b larger", e_mul_bigger_b, ML_ERR_SHAPE},
    {"sum_to", e_sum_to, ML_ERR_SHAPE},
    {"expand", e_expand, ML_ERR_SHAPE},
    {"reshape", e_reshape, ML_ERR_SHAPE},
    {"concat", e_concat, ML_ERR_SHAPE},
    {"concat axis", e_concat_axis, ML_ERR_SHAPE},
    {"slice", e_slice, ML_ERR_RANGE},
    {"slice axis", e_slice_axis, ML_ERR_RANGE},
    {"pad", e_pad, ML_ERR_RANGE},
    {"sum_axis", e_sum_axis, ML_ERR_INVALID_ARG},
    {"mean_axis", e_mean_axis, ML_ERR_INVALID_ARG},
    {"softmax_ce label", e_ce_label, ML_ERR_RANGE},
    {"softmax_ce negative label", e_ce_neg, ML_ERR_RANGE},
    {"softmax_ce NULL labels", e_ce_null, ML_ERR_INVALID_ARG},
    {"softmax_ce 1-D", e_ce_1d, ML_ERR_SHAPE},
    {"bce_logits", e_bce, ML_ERR_SHAPE},
    {"mse", e_mse, ML_ERR_SHAPE},
    {"sqdist", e_sqdist, ML_ERR_SHAPE},
    {"leaf NULL data", e_leaf_null, ML_ERR_INVALID_ARG},
    {"leaf 5-D", e_leaf_5d, ML_ERR_SHAPE},
    {"leaf 0-D", e_leaf_0d, ML_ERR_SHAPE},
    {"zero dimension", e_zero_dim, ML_ERR_SHAPE},
    {"negative dimension", e_neg_dim, ML_ERR_SHAPE},
    {"too large", e_too_large, ML_ERR_SHAPE},
    {"too large, count wraps", e_too_large_wrap, ML_ERR_SHAPE},
    {"too large, 4-D count wraps", e_too_large_wrap4, ML_ERR_SHAPE},
    {"linear inner", e_linear_inner, ML_ERR_SHAPE},
    {"linear bias", e_linear_bias, ML_ERR_SHAPE},
    {"linear batch sizes", e_linear_batch, ML_ERR_SHAPE},
    {"linear batched bias", e_linear_batch_bias, ML_ERR_SHAPE},
    {"linear 2-D x, 3-D W", e_linear_2d_3d, ML_ERR_SHAPE},
    {"mask", e_mask, ML_ERR_SHAPE},
    {"axpy", e_axpy, ML_ERR_SHAPE},
    {"conv2d x 2-D", e_conv_rank_x, ML_ERR_SHAPE},
    {"conv2d w 2-D", e_conv_rank_w, ML_ERR_SHAPE},
    {"conv2d channels", e_conv_channels, ML_ERR_SHAPE},
    {"conv2d kernel > padded input", e_conv_kernel, ML_ERR_SHAPE},
    {"conv2d kernel > input width", e_conv_kernel_w, ML_ERR_SHAPE},
    {"conv2d kernel not square", e_conv_square, ML_ERR_SHAPE},
    {"conv2d stride 0", e_conv_stride, ML_ERR_INVALID_ARG},
    {"conv2d negative pad", e_conv_pad, ML_ERR_INVALID_ARG},
    {"conv2d bias size", e_conv_bias, ML_ERR_SHAPE},
    {"conv2d huge pad", e_conv_huge_pad, ML_ERR_SHAPE},
    {"conv2d_dx output size", e_conv_dx_out, ML_ERR_SHAPE},
    {"conv2d_dx filters", e_conv_dx_filters, ML_ERR_SHAPE},
    {"conv2d_dx input size", e_conv_dx_size, ML_ERR_SHAPE},
    {"conv2d_dw output size", e_conv_dw_out, ML_ERR_SHAPE},
    {"conv2d_dw batch", e_conv_dw_batch, ML_ERR_SHAPE},
    {"conv2d_dw kernel 0", e_conv_dw_k, ML_ERR_INVALID_ARG},
    {"maxpool 2-D", e_pool_rank, ML_ERR_SHAPE},
    {"maxpool size 0", e_pool_size, ML_ERR_INVALID_ARG},
    {"maxpool window > input", e_pool_big, ML_ERR_SHAPE},
    {"pool_gather shapes", e_pool_gather, ML_ERR_SHAPE},
    {"pool_scatter shapes", e_pool_scatter, ML_ERR_SHAPE},
    {"batchnorm 3-D", e_bn_rank, ML_ERR_SHAPE},
    {"batchnorm gamma size", e_bn_gamma, ML_ERR_SHAPE},
    {"batchnorm eps", e_bn_eps, ML_ERR_INVALID_ARG},
    {"batchnorm_relu_pool 2-D", e_bnp_rank, ML_ERR_SHAPE},
    {"batchnorm_relu_pool height 1", e_bnp_small, ML_ERR_SHAPE},
    {"batchnorm_relu eps NaN", e_bnr_eps, ML_ERR_INVALID_ARG},
};

/* a is [3, 4] (4 classes), b is [5]. */
START_TEST(test_error_codes)
{
    const struct err_case *c = &err_cases[_i];
    float x[12], y[5] = {1, 2, 3, 4, 5};
    memcpy(x, X12, sizeof x);
    ml_ad_node *a = ml_ad_leaf(&T, 2, S34, x, 1);
    ml_ad_node *b = ml_ad_leaf(&T, 1, E5, y, 1);
    ml_ad_node *r = c->fn(&T, a, b);
    ck_assert_msg(r == NULL, "%s: no error", c->name);
    ck_assert_msg(ml_ad_tape_status(&T) == c->expect, "%s: status %d, not %d",
                  c->name, (int)ml_ad_tape_status(&T), (int)c->expect);
    ck_assert_msg(T.msg[0] != '\0', "%s: no message", c->name);
    ml_ad_tape_reset(&T);
    ck_assert_int_eq(ml_ad_tape_status(&T), ML_OK);
}
END_TEST

START_TEST(test_grad_argument_errors)
{
    float x[12];
    memcpy(x, X12, sizeof x);
    ml_ad_node *p = ml_ad_leaf(&T, 2, S34, x, 1), *g[2];
    ml_ad_node *y = ml_ad_tanh(&T, p), *L = ml_ad_sum(&T, y);
    /* Non-scalar output without a seed. */
    ck_assert_int_eq(ml_ad_grad(&T, 1, &y, NULL, 1, &p, g, 0), ML_ERR_SHAPE);
    ml_ad_tape_reset(&T);
    p = ml_ad_leaf(&T, 2, S34, x, 1);
    y = ml_ad_tanh(&T, p);
    /* A seed of the wrong shape. */
    ml_ad_node *s = ml_ad_fill(&T, 1, S3, 1.0f);
    ck_assert_int_eq(ml_ad_grad(&T, 1, &y, &s, 1, &p, g, 0), ML_ERR_SHAPE);
    ml_ad_tape_reset(&T);
    p = ml_ad_leaf(&T, 2, S34, x, 1);
    L = ml_ad_sum(&T, ml_ad_tanh(&T, p));
    ml_ad_node *nul = NULL;
    ck_assert_int_eq(ml_ad_grad(&T, 1, &nul, NULL, 1, &p, g, 0),
                     ML_ERR_INVALID_ARG);
    ml_ad_tape_reset(&T);
    p = ml_ad_leaf(&T, 2, S34, x, 1);
    L = ml_ad_sum(&T, ml_ad_tanh(&T, p));
    ml_ad_node *ins[2] = {p, NULL};
    ck_assert_int_eq(ml_ad_grad(&T, 1, &L, NULL, 2, ins, g, 0),
                     ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_ad_tape_status(&T), ML_ERR_INVALID_ARG);
}
END_TEST

START_TEST(test_op_names)
{
    for (int i = 0; i < ML_AD_OP_COUNT; i++) {
        const char *n = ml_ad_op_name(i);
        ck_assert_ptr_nonnull(n);
        ck_assert_str_ne(n, "unknown");
        ck_assert_str_ne(n, "");
        for (int j = 0; j < i; j++)
            ck_assert_msg(strcmp(n, ml_ad_op_name(j)) != 0,
                          "ops %d and %d are both named %s", j, i, n);
    }
    ck_assert_str_eq(ml_ad_op_name(ML_AD_MATMUL), "matmul");
    ck_assert_str_eq(ml_ad_op_name(ML_AD_SQDIST), "sqdist");
    ck_assert_str_eq(ml_ad_op_name(-1), "unknown");
    ck_assert_str_eq(ml_ad_op_name(ML_AD_OP_COUNT), "unknown");
    ck_assert_str_eq(ml_ad_op_name(1000), "unknown");
}
END_TEST

static Suite *tape_suite(void)
{
    Suite *s = suite_create("tape");
    TCase *tc = tcase_create("semantics");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_constants_not_recorded);
    tcase_add_test(tc, test_reshape_shares_values);
    tcase_add_test(tc, test_grad_unrelated_is_zero);
    tcase_add_test(tc, test_create_graph_ids);
    tcase_add_test(tc, test_accumulation);
    tcase_add_test(tc, test_grad_intermediate);
    tcase_add_test(tc, test_multiple_outputs_seeds);
    tcase_add_test(tc, test_third_order);
    tcase_add_test(tc, test_sticky_errors);
    tcase_add_test(tc, test_null_inputs);
    tcase_add_loop_test(tc, test_error_codes, 0,
                        (int)(sizeof err_cases / sizeof err_cases[0]));
    tcase_add_test(tc, test_grad_argument_errors);
    tcase_add_test(tc, test_op_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(tape_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
