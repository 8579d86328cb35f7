/* The learned LSTM optimiser: the network's gradients (first and second
 * order) against finite differences, the truncated-BPTT meta-gradient
 * against finite differences of the meta-loss computed independently
 * through the public API (ml_problems_run), the problem families'
 * gradients, saving and loading, and a short meta-training that must
 * learn. */
#include "../autodiff/gradcheck.h"
#include "optim/lstm.h"
#include "optim/problems.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the network ---- */

typedef struct net_ctx {
    ml_lstm_shape shape;
    int n;          /* rows (coordinates) */
    float *g;       /* a constant gradient input, or NULL: in[2] */
} net_ctx;

/* Two steps of the network from a non-zero state; in[0] the flat weights,
 * in[1] the state [4, n, H], in[2] the gradient input [n, 1] unless it is
 * the constant c->g.  Preprocessing is differentiable, so the gradient
 * input's derivatives are checked too (the exact variant needs them). */
static ml_ad_node *f_net(ml_ad_tape *t, ml_ad_node **in, void *vctx)
{
    const net_ctx *c = vctx;
    ml_ad_node *w[6];
    size_t off[6];
    int rows[6], cols[6];
    ml_lstm_layout(c->shape, off, rows, cols);
    for (int k = 0; k < 6; k++) {
        ml_ad_node *s = ml_ad_slice(t, in[0], 0, (int)off[k], rows[k] * cols[k]);
        /* the same shapes as ml_lstm_weight_leaves: biases as columns */
        int sh[2] = {rows[k], cols[k]}, bias[2] = {cols[k], 1};
        w[k] = ml_ad_reshape(t, s, 2, rows[k] == 1 ? bias : sh);
    }
    const int h = c->shape.hidden;
    ml_ad_node *st[4];
    for (int k = 0; k < 4; k++) {
        ml_ad_node *s = ml_ad_slice(t, in[1], 0, k * c->n * h, c->n * h);
        int sh[2] = {h, c->n};
        st[k] = ml_ad_reshape(t, s, 2, sh);
    }
    int col[2] = {c->n, 1};
    ml_ad_node *g = c->g ? ml_ad_leaf(t, 2, col, c->g, 0) : in[2];
    ml_ad_node *x = ml_lstm_inputs_graph(t, c->shape, g);
    ml_ad_node *u1 = ml_lstm_forward(t, c->shape, w, 0.5f, x, st);
    ml_ad_node *x2 = ml_lstm_inputs_graph(t, c->shape, ml_ad_add(t, g, u1));
    ml_ad_node *u2 = ml_lstm_forward(t, c->shape, w, 0.5f, x2, st);
    int row[2] = {1, c->n};
    return gc_loss(t, ml_ad_concat(t, ml_ad_reshape(t, u2, 2, row),
                                   ml_ad_concat(t, st[2], st[3], 0), 0));
}

/* Gradients on both branches of the preprocessing: large ones as a
 * differentiable input, small ones (below e^-10, where finite differences
 * of the input itself would cross the switch) as a constant. */
static void check_net(int preprocess, int small, int hvp)
{
    float gsmall[4] = {1e-5f, -3e-6f, 2e-5f, -1e-5f};
    net_ctx c = {{3, preprocess}, 4, small ? gsmall : NULL};
    size_t nw = ml_lstm_num_weights(c.shape);
    size_t ns = 4 * (size_t)c.n * 3;
    float *w = malloc(nw * sizeof *w), *s = malloc(ns * sizeof *s);
    float g[4] = {0.7f, -2.5f, 1.3f, -0.4f};
    ml_rng r;
    ml_rng_seed(&r, 7);
    ml_lstm_init_weights(c.shape, w, &r);
    for (size_t i = 0; i < nw; i++)
        w[i] *= 3.0f; /* out of the near-linear regime */
    gc_fill(&r, s, ns, -1.0f, 1.0f, 0);
    gc_input in[3] = {{1, {(int)nw}, w}, {1, {(int)ns}, s}, {2, {c.n, 1}, g}};
    gc_opts o = {.eps = 1e-3, .tol = 3e-2, .floor = 0.05, .min_abs = 1e-3};
    int nin = small ? 2 : 3;
    if (hvp)
        GC_ASSERT(gc_check_hvp(f_net, &c, nin, in, &o));
    else
        GC_ASSERT(gc_check_first(f_net, &c, nin, in, &o));
    free(w);
    free(s);
}

START_TEST(network_first_order)
{
    check_net(1, 0, 0);
    check_net(1, 1, 0);
    check_net(0, 0, 0);
}
END_TEST

START_TEST(network_second_order)
{
    check_net(1, 0, 1);
    check_net(1, 1, 1);
    check_net(0, 0, 1);
}
END_TEST

/* ---- the meta-gradient ---- */

/* The meta-loss of the weights w, independently: the mean objective over
 * steps 1..U of a run of the LSTM optimiser through the public API. */
static double meta_loss(ml_optimizer *o, const ml_problems *fam, uint64_t seed, int u,
                        const float *w)
{
    double loss[64];
    ck_assert_int_eq(ml_optimizer_set_weights(o, w, ml_optimizer_num_weights(o)), ML_OK);
    ck_assert_int_eq(ml_problems_run(fam, o, seed, (size_t)u, loss), ML_OK);
    double s = 0;
    for (int t = 1; t <= u; t++)
        s += loss[t];
    return s;
}

static ml_optimizer *small_lstm(int exact, int u)
{
    ml_optimizer *o;
    ck_assert_int_eq(ml_optimizer_create(&o, ML_OPTIMIZER_LSTM), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_HIDDEN, 3), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_UNROLL, u), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_HORIZON, u), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_PROBLEMS, 1), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_EXACT, exact), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_OUTPUT_SCALE, 0.3), ML_OK);
    return o;
}

/* Central differences of meta_loss along every weight against the
 * analytic gradient; relative to the gradient's largest entry. */
static void compare_fd(const float *grad, size_t nw, double (*loss)(const float *, void *),
                       void *ctx, const float *w0)
{
    float *w = malloc(nw * sizeof *w);
    double gmax = 0, worst = 0;
    for (size_t i = 0; i < nw; i++)
        gmax = fmax(gmax, fabs(grad[i]));
    ck_assert_msg(gmax > 1e-3, "meta-gradient is all but zero (%g)", gmax);
    for (size_t i = 0; i < nw; i++) {
        const double eps = 1e-2;
        memcpy(w, w0, nw * sizeof *w);
        w[i] = w0[i] + (float)eps;
        double lp = loss(w, ctx);
        w[i] = w0[i] - (float)eps;
        double lm = loss(w, ctx);
        double fd = (lp - lm) / (2 * eps);
        double err = fabs(fd - grad[i]) / fmax(gmax, 1e-12);
        worst = fmax(worst, err);
        /* float trajectories agree with the double finite differences to
         * ~1e-5 of the largest entry; 1e-3 still sees the second-order
         * terms the exact variant must include */
        ck_assert_msg(err < 1e-3, "weight %zu: analytic %g, finite differences %g", i,
                      grad[i], fd);
    }
    if (getenv("METATEST_VERBOSE"))
        fprintf(stderr, "meta-gradient: worst relative error %.3g (gmax %.3g)\n", worst,
                gmax);
    free(w);
}

typedef struct exact_ctx {
    ml_optimizer *o;
    const ml_problems *fam;
    uint64_t seed;
    int u;
} exact_ctx;

static double exact_loss(const float *w, void *vctx)
{
    exact_ctx *c = vctx;
    return meta_loss(c->o, c->fam, c->seed, c->u, w);
}

/* Exact variant: the gradient of the true meta-loss, second derivatives of
 * the objective included. */
START_TEST(meta_gradient_exact)
{
    const int u = 4;
    ml_problems *fam;
    ck_assert_int_eq(ml_problems_create_quadratic(&fam, 3), ML_OK);
    ml_optimizer *o = small_lstm(1, u);
    /* the raw gradient as input: the objective's curvature reaches the
     * weights' gradient strongly (the preprocessing damps it) */
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_PREPROCESS, 0), ML_OK);
    /* and larger weights and steps, so those terms are ~5% of the gradient
     * (the dropped variant fails this test) */
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_OUTPUT_SCALE, 0.5), ML_OK);
    ml_lstm *l = o->lstm;
    size_t nw = l->n_w;
    for (size_t i = 0; i < nw; i++)
        l->w[i] *= 4.0f;
    float *w0 = malloc(nw * sizeof *w0), *grad = malloc(nw * sizeof *grad);
    memcpy(w0, l->w, nw * sizeof *w0);
    double loss;
    char msg[ML_ERRMSG_MAX];
    ck_assert_int_eq(ml_lstm_meta_gradient(l, fam, grad, &loss, msg), ML_OK);
    exact_ctx c = {o, fam, l->traj.seeds[0], u};
    /* the reported loss is the mean objective over the unroll */
    ck_assert_double_eq_tol(loss * u, exact_loss(w0, &c), 1e-3 * fabs(loss * u));
    compare_fd(grad, nw, exact_loss, &c, w0);
    free(w0);
    free(grad);
    ml_optimizer_free(o);
    ml_problems_free(fam);
}
END_TEST

/* ---- the paper's variant, on a caller's objective ---- */

/* A callback quadratic f = sum_i (a_i theta_i - b_i)^2 that can freeze its
 * gradients: in "record" mode it logs each gradient it returns; in
 * "replay" mode it returns the logged gradients (true values), which is
 * the trajectory the dropped-second-derivative meta-gradient
 * differentiates. */
typedef struct cb_state {
    int replay, step;
    float log[64][3];
} cb_state;

static int cb_sample(void *user, uint64_t seed, size_t n, float *theta0, void **problem)
{
    for (size_t i = 0; i < n; i++)
        theta0[i] = 0.3f * (float)i - 0.2f;
    *problem = user;
    ((cb_state *)user)->step = 0;
    (void)seed;
    return 0;
}

static int cb_objective(void *user, void *problem, size_t n, const float *theta, float *grad,
                        double *value)
{
    cb_state *s = user;
    static const float a[3] = {1.5f, -0.7f, 2.0f}, b[3] = {0.4f, 1.0f, -0.3f};
    double f = 0;
    for (size_t i = 0; i < n; i++) {
        double r = a[i] * theta[i] - b[i];
        f += r * r;
        float gi = (float)(2 * r * a[i]);
        if (s->replay)
            gi = s->log[s->step][i];
        else
            s->log[s->step][i] = gi;
        grad[i] = gi;
    }
    s->step++;
    *value = f;
    (void)problem;
    return 0;
}

typedef struct dropped_ctx {
    ml_optimizer *o;
    ml_problems *fam;
    cb_state *s;
    int u;
} dropped_ctx;

static double dropped_loss(const float *w, void *vctx)
{
    dropped_ctx *c = vctx;
    c->s->replay = 1;
    return meta_loss(c->o, c->fam, 0, c->u, w);
}

START_TEST(meta_gradient_dropped)
{
    const int u = 5;
    cb_state s = {0};
    ml_problems *fam;
    ck_assert_int_eq(ml_problems_create_callback(&fam, 3, cb_sample, cb_objective, NULL, &s),
                     ML_OK);
    ml_optimizer *o = small_lstm(0, u);
    /* exact mode is refused for a callback family */
    ml_optimizer *ex = small_lstm(1, u);
    ck_assert_int_eq(ml_optimizer_meta_step(ex, fam, NULL), ML_ERR_UNSUPPORTED);
    ml_optimizer_free(ex);

    ml_lstm *l = o->lstm;
    size_t nw = l->n_w;
    /* weights large enough that the updates depend clearly on the input */
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_OUTPUT_SCALE, 0.5), ML_OK);
    for (size_t i = 0; i < nw; i++)
        l->w[i] *= 4.0f;
    float *w0 = malloc(nw * sizeof *w0), *grad = malloc(nw * sizeof *grad);
    memcpy(w0, l->w, nw * sizeof *w0);
    char msg[ML_ERRMSG_MAX];
    double loss;
    ck_assert_int_eq(ml_lstm_meta_gradient(l, fam, grad, &loss, msg), ML_OK);
    /* the gradients met along the trajectory, logged by a plain run */
    dropped_ctx c = {o, fam, &s, u};
    s.replay = 0;
    double l0 = meta_loss(o, fam, 0, u, w0);
    ck_assert_double_eq_tol(loss * u, l0, 1e-3 * fabs(l0));
    compare_fd(grad, nw, dropped_loss, &c, w0);
    free(w0);
    free(grad);
    ml_optimizer_free(o);
    ml_problems_free(fam);
}
END_TEST

/* ---- families ---- */

/* Central differences of a family's objective against its gradient. */
static void check_family(const ml_problems *p, double tol)
{
    const size_t d = p->dim;
    float *th = malloc(d * sizeof *th), *g = malloc(d * sizeof *g), *g2 = malloc(d * 4);
    void *a, *b;
    char msg[ML_ERRMSG_MAX];
    ck_assert_int_eq(p->ops->sample(p, 5, th, &a, msg), ML_OK);
    double f;
    ck_assert_int_eq(p->ops->eval(p, a, th, g, &f, msg), ML_OK);
    /* finite differences on fresh instances of the same seed, so a
     * stochastic objective sees the same mini-batch */
    size_t stride = d > 40 ? d / 40 : 1;
    double gmax = 0;
    for (size_t i = 0; i < d; i++)
        gmax = fmax(gmax, fabs(g[i]));
    for (size_t i = 0; i < d; i += stride) {
        const float keep = th[i], eps = 1e-2f;
        double fp, fm;
        th[i] = keep + eps;
        ck_assert_int_eq(p->ops->sample(p, 5, g2, &b, msg), ML_OK);
        ck_assert_int_eq(p->ops->eval(p, b, th, g2, &fp, msg), ML_OK);
        p->ops->release(p, b);
        th[i] = keep - eps;
        ck_assert_int_eq(p->ops->sample(p, 5, g2, &b, msg), ML_OK);
        ck_assert_int_eq(p->ops->eval(p, b, th, g2, &fm, msg), ML_OK);
        p->ops->release(p, b);
        th[i] = keep;
        double fd = (fp - fm) / (2.0 * eps);
        ck_assert_msg(fabs(fd - g[i]) <= tol * fmax(gmax, 1e-3),
                      "%s: parameter %zu: gradient %g, finite differences %g",
                      p->ops->name, i, g[i], fd);
    }
    /* the tape version gives the same value on the same mini-batch */
    ck_assert_int_eq(p->ops->sample(p, 5, g2, &b, msg), ML_OK);
    ml_ad_tape t;
    ml_ad_tape_init(&t);
    int col[2] = {(int)d, 1};
    ml_ad_node *fn = p->ops->eval_graph(p, b, &t, ml_ad_leaf(&t, 2, col, th, 1));
    ck_assert_int_eq(ml_ad_tape_status(&t), ML_OK);
    ck_assert_double_eq_tol(fn->val[0], f, 1e-4 * fmax(1, fabs(f)));
    ml_ad_tape_release(&t);
    p->ops->release(p, b);
    p->ops->release(p, a);
    free(th);
    free(g);
    free(g2);
}

START_TEST(family_quadratic)
{
    ml_problems *p;
    ck_assert_int_eq(ml_problems_create_quadratic(&p, 6), ML_OK);
    check_family(p, 1e-3);
    ml_problems_free(p);
}
END_TEST

START_TEST(family_mlp)
{
    /* 30 examples of 12 inputs in 3 classes */
    enum { N = 30, D = 12 };
    float x[N * D];
    int labels[N];
    ml_rng r;
    ml_rng_seed(&r, 3);
    for (int i = 0; i < N * D; i++)
        x[i] = ml_rng_uniform(&r);
    for (int i = 0; i < N; i++)
        labels[i] = i % 3;
    ml_dataset *ds;
    size_t shape[1] = {D};
    ck_assert_int_eq(ml_dataset_create(&ds, N, 1, shape, x, labels), ML_OK);
    ml_problems *p;
    ck_assert_int_eq(ml_problems_create_mlp(&p, ds, 5, 8), ML_OK);
    ml_dataset_free(ds); /* the family keeps its own reference */
    ck_assert_uint_eq(ml_problems_dim(p), D * 5 + 5 + 5 * 3 + 3);
    check_family(p, 2e-2);
    ml_problems_free(p);
}
END_TEST

/* ---- files, steps, learning ---- */

START_TEST(save_load)
{
    ml_optimizer *o = small_lstm(0, 3);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_PREPROCESS, 0), ML_OK);
    ml_problems *fam;
    ck_assert_int_eq(ml_problems_create_quadratic(&fam, 4), ML_OK);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(ml_optimizer_meta_step(o, fam, NULL), ML_OK);
    size_t size = 0;
    ck_assert_int_eq(ml_optimizer_save_buffer(o, NULL, 0, &size), ML_OK);
    unsigned char *buf = malloc(size);
    ck_assert_int_eq(ml_optimizer_save_buffer(o, buf, size, &size), ML_OK);
    ml_optimizer *b;
    ck_assert_int_eq(ml_optimizer_load_buffer(&b, buf, size), ML_OK);
    size_t nw = ml_optimizer_num_weights(o);
    ck_assert_uint_eq(ml_optimizer_num_weights(b), nw);
    float *wa = malloc(nw * 4), *wb = malloc(nw * 4);
    ml_optimizer_get_weights(o, wa, nw);
    ml_optimizer_get_weights(b, wb, nw);
    ck_assert_mem_eq(wa, wb, nw * 4);
    double v;
    ck_assert_int_eq(ml_optimizer_get(b, ML_OPT_LSTM_META_STEPS, &v), ML_OK);
    ck_assert_double_eq(v, 3);
    ck_assert_int_eq(ml_optimizer_get(b, ML_OPT_LSTM_PREPROCESS, &v), ML_OK);
    ck_assert_double_eq(v, 0);
    /* the same runs from both */
    double la[11], lb[11];
    ck_assert_int_eq(ml_problems_run(fam, o, 9, 10, la), ML_OK);
    ck_assert_int_eq(ml_problems_run(fam, b, 9, 10, lb), ML_OK);
    ck_assert_mem_eq(la, lb, sizeof la);
    /* and the same meta-training from here on: a fresh trajectory for both */
    ml_optimizer *c;
    ck_assert_int_eq(ml_optimizer_load_buffer(&c, buf, size), ML_OK);
    ml_optimizer_free(o);
    o = NULL;
    ck_assert_int_eq(ml_optimizer_meta_step(b, fam, NULL), ML_OK);
    ck_assert_int_eq(ml_optimizer_meta_step(c, fam, NULL), ML_OK);
    ml_optimizer_get_weights(b, wa, nw);
    ml_optimizer_get_weights(c, wb, nw);
    ck_assert_mem_eq(wa, wb, nw * 4);
    /* damage: every byte flipped somewhere in the payload is caught */
    for (size_t i = 0; i < size; i += 7) {
        buf[i] ^= 0x5a;
        ml_optimizer *x = NULL;
        ck_assert_int_ne(ml_optimizer_load_buffer(&x, buf, size), ML_OK);
        ck_assert_ptr_null(x);
        buf[i] ^= 0x5a;
    }
    ml_optimizer *x = NULL;
    ck_assert_int_eq(ml_optimizer_load_buffer(&x, buf, size / 2), ML_ERR_CORRUPT);
    free(buf);
    free(wa);
    free(wb);
    ml_optimizer_free(b);
    ml_optimizer_free(c);
    ml_problems_free(fam);
}
END_TEST

START_TEST(step_api)
{
    ml_optimizer *o;
    ck_assert_int_eq(ml_optimizer_create(&o, ML_OPTIMIZER_LSTM), ML_OK);
    float p[5] = {1, 2, 3, 4, 5}, g[5] = {0.1f, -0.2f, 0.3f, 0, 1e-9f};
    ck_assert_int_eq(ml_optimizer_step(o, 5, p, g), ML_OK);
    ck_assert_int_eq(ml_optimizer_step(o, 4, p, g), ML_ERR_SHAPE);
    g[2] = NAN;
    float before[5];
    memcpy(before, p, sizeof p);
    ck_assert_int_eq(ml_optimizer_step(o, 5, p, g), ML_ERR_NUMERIC);
    ck_assert_mem_eq(before, p, sizeof p);
    ck_assert_int_eq(ml_optimizer_reset(o), ML_OK);
    g[2] = 0.5f;
    ck_assert_int_eq(ml_optimizer_step(o, 3, p, g), ML_OK);
    /* LSTM settings on another kind, and other kinds' settings on the LSTM */
    ml_optimizer *a;
    ck_assert_int_eq(ml_optimizer_create(&a, ML_OPTIMIZER_ADAM), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(a, ML_OPT_LSTM_HIDDEN, 4), ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LR, 0.1), ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_HIDDEN, 0), ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_UNROLL, 0), ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_UNROLL, 2.5), ML_ERR_INVALID_ARG);
    /* horizon and unroll in either order; an unroll past the horizon is cut */
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_HORIZON, 3), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_UNROLL, 50), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_META_STEPS, 1), ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_optimizer_meta_step(a, NULL, NULL), ML_ERR_INVALID_ARG);
    ml_problems *q;
    ck_assert_int_eq(ml_problems_create_quadratic(&q, 2), ML_OK);
    ck_assert_int_eq(ml_optimizer_meta_step(a, q, NULL), ML_ERR_UNSUPPORTED);
    ck_assert_uint_eq(ml_optimizer_num_weights(a), 0);
    /* the family outlives its handle while problems are in flight */
    ck_assert_int_eq(ml_optimizer_meta_step(o, q, NULL), ML_OK);
    ml_problems_free(q);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_PROBLEMS, 2), ML_OK);
    ml_optimizer_free(a);
    ml_optimizer_free(o);
}
END_TEST

static int failing_objective(void *user, void *problem, size_t n, const float *theta,
                             float *grad, double *value)
{
    int *calls = user;
    if (++*calls > 3)
        return 42;
    for (size_t i = 0; i < n; i++)
        grad[i] = theta[i];
    *value = 1;
    (void)problem;
    return 0;
}

static int nan_objective(void *user, void *problem, size_t n, const float *theta,
                         float *grad, double *value)
{
    for (size_t i = 0; i < n; i++)
        grad[i] = theta[i];
    *value = NAN;
    (void)user, (void)problem;
    return 0;
}

static int zero_sample(void *user, uint64_t seed, size_t n, float *theta0, void **problem)
{
    memset(theta0, 0, n * sizeof *theta0);
    *problem = NULL;
    (void)user, (void)seed;
    return 0;
}

START_TEST(callback_errors)
{
    int calls = 0;
    ml_problems *p;
    ck_assert_int_eq(ml_problems_create_callback(&p, 2, zero_sample, failing_objective, NULL,
                                                 &calls),
                     ML_OK);
    ml_optimizer *o = small_lstm(0, 5);
    size_t nw = ml_optimizer_num_weights(o);
    float *w0 = malloc(nw * 4), *w1 = malloc(nw * 4);
    ml_optimizer_get_weights(o, w0, nw);
    ck_assert_int_eq(ml_optimizer_meta_step(o, p, NULL), ML_ERR_CALLBACK);
    ml_optimizer_get_weights(o, w1, nw);
    ck_assert_mem_eq(w0, w1, nw * 4);
    double losses[6];
    calls = 0;
    ck_assert_int_eq(ml_problems_run(p, o, 1, 5, losses), ML_ERR_CALLBACK);
    ck_assert(losses[0] == 1 && isnan(losses[5]));
    ml_problems_free(p);
    ck_assert_int_eq(ml_problems_create_callback(&p, 2, zero_sample, nan_objective, NULL,
                                                 NULL),
                     ML_OK);
    ck_assert_int_eq(ml_optimizer_meta_step(o, p, NULL), ML_ERR_NUMERIC);
    ck_assert_int_eq(ml_problems_run(p, o, 1, 5, losses), ML_ERR_NUMERIC);
    ml_optimizer_get_weights(o, w1, nw);
    ck_assert_mem_eq(w0, w1, nw * 4);
    ml_problems_free(p);
    ck_assert_int_eq(ml_problems_create_callback(&p, 0, zero_sample, nan_objective, NULL,
                                                 NULL),
                     ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_problems_create_callback(&p, 2, NULL, nan_objective, NULL, NULL),
                     ML_ERR_INVALID_ARG);
    free(w0);
    free(w1);
    ml_optimizer_free(o);
}
END_TEST

/* Mean final loss after `steps` on 32 fresh quadratics. */
static double mean_final(const ml_problems *p, ml_optimizer *o, int steps)
{
    double l[101], s = 0;
    for (int i = 0; i < 32; i++) {
        ck_assert_int_eq(ml_problems_run(p, o, 1000 + (uint64_t)i, (size_t)steps, l),
                         ML_OK);
        s += l[steps];
    }
    return s / 32;
}

/* A short but real meta-training on 10-d quadratics must make the
 * optimiser much better than it started, and better than plain SGD with a
 * reasonable step. */
START_TEST(learns_quadratics)
{
    ml_problems *p;
    ck_assert_int_eq(ml_problems_create_quadratic(&p, 10), ML_OK);
    ml_optimizer *o;
    ck_assert_int_eq(ml_optimizer_create(&o, ML_OPTIMIZER_LSTM), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_PROBLEMS, 16), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_META_LR, 0.01), ML_OK);
    double before = mean_final(p, o, 100);
    for (int i = 0; i < 150; i++)
        ck_assert_int_eq(ml_optimizer_meta_step(o, p, NULL), ML_OK);
    double after = mean_final(p, o, 100);
    ml_optimizer *sgd;
    ck_assert_int_eq(ml_optimizer_create(&sgd, ML_OPTIMIZER_SGD), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(sgd, ML_OPT_LR, 0.01), ML_OK);
    double s = mean_final(p, sgd, 100);
    if (getenv("METATEST_VERBOSE"))
        fprintf(stderr, "quadratics: untrained %.4f, trained %.4f, SGD 0.01 %.4f\n", before,
                after, s);
    ck_assert_msg(after < 0.5 * before && after < s,
                  "untrained %g, trained %g, SGD %g", before, after, s);
    ml_optimizer_free(sgd);
    ml_optimizer_free(o);
    ml_problems_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lstm_optimizer");
    /* One case per concern, so that one can be run alone
     * (CK_RUN_CASE=learning).  The learning run is tagged slow: the
     * valgrind setup leaves it out (tests/meson.build); every other case
     * runs there, meta-steps included. */
    const struct {
        const char *name;
        const TTest *tests[3];
    } cases[] = {
        {"network", {network_first_order, network_second_order, NULL}},
        {"meta_gradient", {meta_gradient_exact, meta_gradient_dropped, NULL}},
        {"families", {family_quadratic, family_mlp, NULL}},
        {"api", {save_load, step_api, callback_errors}},
        {"learning", {learns_quadratics, NULL, NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, 300);
        for (size_t j = 0; j < 3 && cases[i].tests[j]; j++)
            tcase_add_test(tc, cases[i].tests[j]);
        if (cases[i].tests[0] == learns_quadratics)
            tcase_set_tags(tc, "slow");
        suite_add_tcase(s, tc);
    }
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
