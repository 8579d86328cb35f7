/* The outer optimisers (ml_optimizer_*) against hand-written double
 * references over three steps, their hyperparameter checks and errors, and
 * how a learner uses them (ml_learner_set_optimizer, apply_gradient). */
#include "metatest.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { N = 5, STEPS = 3 };

static const float P0[N] = {0.5f, -1.25f, 2.0f, 0.0f, -0.3f};
/* A gradient per step: signs change, magnitudes differ by 100x. */
static const float G[STEPS][N] = {
    {0.8f, -0.05f, 1.5f, -2.0f, 0.01f},
    {-0.4f, -0.07f, 1.2f, 0.5f, 0.02f},
    {0.3f, 0.09f, -0.6f, 1.0f, -0.03f},
};

typedef struct hyper {
    int kind;
    double lr, momentum, nesterov, beta1, beta2, eps, wd, rms;
} hyper;

/* The reference: state in double, written from the usual definitions. */
typedef struct ref_opt {
    hyper h;
    double p[N], m[N], v[N];
    int t;
} ref_opt;

static void ref_step(ref_opt *o, const float *gf)
{
    const hyper *h = &o->h;
    o->t++;
    for (int i = 0; i < N; i++) {
        double g = (double)gf[i] + h->wd * o->p[i];
        switch (h->kind) {
        case ML_OPTIMIZER_SGD:
            if (h->momentum > 0) {
                /* buf = mu buf + g; plain: step along buf; Nesterov: along
                 * g + mu buf. */
                o->m[i] = h->momentum * o->m[i] + g;
                g = h->nesterov ? g + h->momentum * o->m[i] : o->m[i];
            }
            o->p[i] -= h->lr * g;
            break;
        case ML_OPTIMIZER_ADAM: {
            o->m[i] = h->beta1 * o->m[i] + (1 - h->beta1) * g;
            o->v[i] = h->beta2 * o->v[i] + (1 - h->beta2) * g * g;
            double mh = o->m[i] / (1 - pow(h->beta1, o->t));
            double vh = o->v[i] / (1 - pow(h->beta2, o->t));
            o->p[i] -= h->lr * mh / (sqrt(vh) + h->eps);
            break;
        }
        default:
            o->v[i] = h->rms * o->v[i] + (1 - h->rms) * g * g;
            o->p[i] -= h->lr * g / (sqrt(o->v[i]) + h->eps);
            break;
        }
    }
}

static ml_optimizer *make_opt(const hyper *h)
{
    ml_optimizer *o = NULL;
    ck_assert_int_eq(ml_optimizer_create(&o, (ml_optimizer_kind)h->kind), ML_OK);
    ck_assert_int_eq(ml_optimizer_kind_of(o), h->kind);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LR, h->lr), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_WEIGHT_DECAY, h->wd), ML_OK);
    if (h->kind == ML_OPTIMIZER_SGD) {
        ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_MOMENTUM, h->momentum), ML_OK);
        ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_NESTEROV, h->nesterov), ML_OK);
    } else {
        ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_EPS, h->eps), ML_OK);
    }
    if (h->kind == ML_OPTIMIZER_ADAM) {
        ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_BETA1, h->beta1), ML_OK);
        ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_BETA2, h->beta2), ML_OK);
    }
    if (h->kind == ML_OPTIMIZER_RMSPROP)
        ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_RMS_DECAY, h->rms), ML_OK);
    return o;
}

static const struct {
    const char *name;
    hyper h;
} cases[] = {
    {"sgd", {ML_OPTIMIZER_SGD, 0.1, 0, 0, 0, 0, 0, 0, 0}},
    {"sgd weight decay", {ML_OPTIMIZER_SGD, 0.1, 0, 0, 0, 0, 0, 0.2, 0}},
    {"sgd momentum", {ML_OPTIMIZER_SGD, 0.1, 0.9, 0, 0, 0, 0, 0, 0}},
    {"sgd nesterov", {ML_OPTIMIZER_SGD, 0.1, 0.9, 1, 0, 0, 0, 0, 0}},
    {"nesterov weight decay", {ML_OPTIMIZER_SGD, 0.05, 0.5, 1, 0, 0, 0, 0.1, 0}},
    {"adam", {ML_OPTIMIZER_ADAM, 0.01, 0, 0, 0.9, 0.999, 1e-8, 0, 0}},
    {"adam own betas", {ML_OPTIMIZER_ADAM, 0.05, 0, 0, 0.7, 0.9, 1e-3, 0, 0}},
    {"adam weight decay", {ML_OPTIMIZER_ADAM, 0.05, 0, 0, 0.8, 0.95, 1e-6, 0.3, 0}},
    {"rmsprop", {ML_OPTIMIZER_RMSPROP, 0.01, 0, 0, 0, 0, 1e-8, 0, 0.99}},
    {"rmsprop own decay", {ML_OPTIMIZER_RMSPROP, 0.02, 0, 0, 0, 0, 1e-4, 0.1, 0.8}},
};
enum { N_CASES = sizeof cases / sizeof cases[0] };

START_TEST(test_rule_matches_reference)
{
    const hyper *h = &cases[_i].h;
    ml_optimizer *o = make_opt(h);
    ref_opt r;
    memset(&r, 0, sizeof r);
    r.h = *h;
    to_double(P0, r.p, N);
    float p[N];
    memcpy(p, P0, sizeof p);
    for (int s = 0; s < STEPS; s++) {
        ck_assert_int_eq(ml_optimizer_step(o, N, p, G[s]), ML_OK);
        ref_step(&r, G[s]);
        check_close(cases[_i].name, p, r.p, N, 1e-6, 1e-5);
    }
    ml_optimizer_free(o);
}
END_TEST

/* The references differ from each other, so each check above tells its
 * rule apart from the others (plain vs Nesterov momentum, Adam with and
 * without bias correction). */
START_TEST(test_references_distinct)
{
    ref_opt a, b;
    /* momentum vs Nesterov */
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.h = cases[2].h;
    b.h = cases[3].h;
    to_double(P0, a.p, N);
    to_double(P0, b.p, N);
    for (int s = 0; s < STEPS; s++) {
        ref_step(&a, G[s]);
        ref_step(&b, G[s]);
    }
    ck_assert(max_abs_diff(a.p, b.p, N) > 1e-2);
    /* Adam's bias correction matters on the first steps: without it the
     * first step would be (1 - beta1) / sqrt(1 - beta2) times longer or
     * shorter; with it, it is lr * sign(g) whatever the betas. */
    float p[N];
    memcpy(p, P0, sizeof p);
    ml_optimizer *o = make_opt(&cases[6].h);
    ck_assert_int_eq(ml_optimizer_step(o, N, p, G[0]), ML_OK);
    for (int i = 0; i < N; i++) {
        double want = P0[i] - cases[6].h.lr * G[0][i] / (fabs(G[0][i]) + 1e-3);
        ck_assert_double_eq_tol(p[i], want, 1e-6);
    }
    ml_optimizer_free(o);
}
END_TEST

START_TEST(test_defaults)
{
    static const struct {
        int kind, key;
        double value;
    } d[] = {
        {ML_OPTIMIZER_SGD, ML_OPT_LR, 0.01},
        {ML_OPTIMIZER_SGD, ML_OPT_MOMENTUM, 0},
        {ML_OPTIMIZER_SGD, ML_OPT_NESTEROV, 0},
        {ML_OPTIMIZER_SGD, ML_OPT_WEIGHT_DECAY, 0},
        {ML_OPTIMIZER_ADAM, ML_OPT_LR, 0.001},
        {ML_OPTIMIZER_ADAM, ML_OPT_BETA1, 0.9},
        {ML_OPTIMIZER_ADAM, ML_OPT_BETA2, 0.999},
        {ML_OPTIMIZER_ADAM, ML_OPT_EPS, 1e-8},
        {ML_OPTIMIZER_ADAM, ML_OPT_WEIGHT_DECAY, 0},
        {ML_OPTIMIZER_RMSPROP, ML_OPT_LR, 0.01},
        {ML_OPTIMIZER_RMSPROP, ML_OPT_EPS, 1e-8},
        {ML_OPTIMIZER_RMSPROP, ML_OPT_RMS_DECAY, 0.99},
        {ML_OPTIMIZER_RMSPROP, ML_OPT_WEIGHT_DECAY, 0},
    };
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        ml_optimizer *o;
        ck_assert_int_eq(ml_optimizer_create(&o, (ml_optimizer_kind)d[i].kind), ML_OK);
        double v = -1;
        ck_assert_int_eq(ml_optimizer_get(o, (ml_optimizer_param)d[i].key, &v), ML_OK);
        ck_assert_msg(v == d[i].value, "kind %d key %d: %g, want %g", d[i].kind,
                      d[i].key, v, d[i].value);
        ml_optimizer_free(o);
    }
}
END_TEST

START_TEST(test_hyperparameter_validation)
{
    static const struct {
        int kind, key;
        double value;
    } bad[] = {
        /* values out of range */
        {ML_OPTIMIZER_SGD, ML_OPT_LR, 0},
        {ML_OPTIMIZER_SGD, ML_OPT_LR, -0.1},
        {ML_OPTIMIZER_SGD, ML_OPT_LR, NAN},
        {ML_OPTIMIZER_ADAM, ML_OPT_LR, INFINITY},
        {ML_OPTIMIZER_RMSPROP, ML_OPT_LR, -INFINITY},
        {ML_OPTIMIZER_SGD, ML_OPT_MOMENTUM, -0.1},
        {ML_OPTIMIZER_SGD, ML_OPT_MOMENTUM, 1.0},
        {ML_OPTIMIZER_SGD, ML_OPT_MOMENTUM, NAN},
        {ML_OPTIMIZER_SGD, ML_OPT_NESTEROV, 0.5},
        {ML_OPTIMIZER_SGD, ML_OPT_NESTEROV, 2},
        {ML_OPTIMIZER_SGD, ML_OPT_NESTEROV, -1},
        {ML_OPTIMIZER_ADAM, ML_OPT_BETA1, 1.0},
        {ML_OPTIMIZER_ADAM, ML_OPT_BETA1, -0.01},
        {ML_OPTIMIZER_ADAM, ML_OPT_BETA2, 1.0},
        {ML_OPTIMIZER_ADAM, ML_OPT_BETA2, 1.5},
        {ML_OPTIMIZER_ADAM, ML_OPT_BETA2, NAN},
        {ML_OPTIMIZER_ADAM, ML_OPT_EPS, 0},
        {ML_OPTIMIZER_ADAM, ML_OPT_EPS, -1e-8},
        {ML_OPTIMIZER_RMSPROP, ML_OPT_EPS, INFINITY},
        {ML_OPTIMIZER_SGD, ML_OPT_WEIGHT_DECAY, -0.1},
        {ML_OPTIMIZER_ADAM, ML_OPT_WEIGHT_DECAY, NAN},
        {ML_OPTIMIZER_RMSPROP, ML_OPT_RMS_DECAY, 1.0},
        {ML_OPTIMIZER_RMSPROP, ML_OPT_RMS_DECAY, -0.5},
        /* keys another kind uses */
        {ML_OPTIMIZER_SGD, ML_OPT_BETA1, 0.9},
        {ML_OPTIMIZER_SGD, ML_OPT_BETA2, 0.9},
        {ML_OPTIMIZER_SGD, ML_OPT_EPS, 1e-8},
        {ML_OPTIMIZER_SGD, ML_OPT_RMS_DECAY, 0.9},
        {ML_OPTIMIZER_ADAM, ML_OPT_MOMENTUM, 0.9},
        {ML_OPTIMIZER_ADAM, ML_OPT_NESTEROV, 1},
        {ML_OPTIMIZER_ADAM, ML_OPT_RMS_DECAY, 0.9},
        {ML_OPTIMIZER_RMSPROP, ML_OPT_MOMENTUM, 0.9},
        {ML_OPTIMIZER_RMSPROP, ML_OPT_NESTEROV, 1},
        {ML_OPTIMIZER_RMSPROP, ML_OPT_BETA1, 0.9},
        {ML_OPTIMIZER_RMSPROP, ML_OPT_BETA2, 0.9},
        /* keys no kind has */
        {ML_OPTIMIZER_SGD, 0, 0.1},
        {ML_OPTIMIZER_ADAM, 9, 0.1},
        {ML_OPTIMIZER_RMSPROP, 1000, 0.1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ml_optimizer *o;
        ck_assert_int_eq(ml_optimizer_create(&o, (ml_optimizer_kind)bad[i].kind), ML_OK);
        double before = NAN, after = NAN;
        int readable = ml_optimizer_get(o, (ml_optimizer_param)bad[i].key, &before) == ML_OK;
        prime_error();
        ck_assert_msg(ml_optimizer_set(o, (ml_optimizer_param)bad[i].key, bad[i].value) ==
                          ML_ERR_INVALID_ARG,
                      "case %zu (kind %d key %d value %g) accepted", i, bad[i].kind,
                      bad[i].key, bad[i].value);
        ck_assert_msg(fresh_error(), "case %zu: no message", i);
        ck_assert_str_ne(ml_optimizer_last_error(o), "");
        if (readable) {
            /* The value is unchanged. */
            ck_assert_int_eq(ml_optimizer_get(o, (ml_optimizer_param)bad[i].key, &after),
                             ML_OK);
            ck_assert(after == before);
        } else {
            /* A key the kind does not use cannot be read either. */
            ck_assert_int_eq(ml_optimizer_get(o, (ml_optimizer_param)bad[i].key, &after),
                             ML_ERR_INVALID_ARG);
        }
        /* The handle still works. */
        ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LR, 0.5), ML_OK);
        float p[N];
        memcpy(p, P0, sizeof p);
        ck_assert_int_eq(ml_optimizer_step(o, N, p, G[0]), ML_OK);
        ml_optimizer_free(o);
    }
    /* Boundary values that are allowed. */
    ml_optimizer *o;
    ck_assert_int_eq(ml_optimizer_create(&o, ML_OPTIMIZER_ADAM), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_BETA1, 0), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_BETA2, 0), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_WEIGHT_DECAY, 0), ML_OK);
    ml_optimizer_free(o);
    ck_assert_int_eq(ml_optimizer_create(&o, ML_OPTIMIZER_SGD), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_MOMENTUM, 0), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_NESTEROV, 1), ML_OK);
    /* -0 is taken as +0, so that a saved optimiser saves the same bytes
     * once loaded again (found by fuzzing). */
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_WEIGHT_DECAY, -0.0), ML_OK);
    double wd = NAN;
    ck_assert_int_eq(ml_optimizer_get(o, ML_OPT_WEIGHT_DECAY, &wd), ML_OK);
    ck_assert(wd == 0 && !signbit(wd));
    unsigned char saved[256], again[256];
    size_t n_saved = 0, n_again = 0;
    ck_assert_int_eq(ml_optimizer_save_buffer(o, saved, sizeof saved, &n_saved), ML_OK);
    ml_optimizer *loaded;
    ck_assert_int_eq(ml_optimizer_load_buffer(&loaded, saved, n_saved), ML_OK);
    ck_assert_int_eq(ml_optimizer_save_buffer(loaded, again, sizeof again, &n_again), ML_OK);
    ck_assert(n_saved == n_again && memcmp(saved, again, n_saved) == 0);
    ml_optimizer_free(loaded);
    ml_optimizer_free(o);
}
END_TEST

START_TEST(test_create_and_null_arguments)
{
    ml_optimizer *o = (ml_optimizer *)&o; /* not NULL: must be cleared */
    prime_error();
    ck_assert_int_eq(ml_optimizer_create(&o, (ml_optimizer_kind)0), ML_ERR_INVALID_ARG);
    ck_assert_ptr_null(o);
    ck_assert(fresh_error());
    o = (ml_optimizer *)&o;
    ck_assert_int_eq(ml_optimizer_create(&o, (ml_optimizer_kind)5), ML_ERR_INVALID_ARG);
    ck_assert_ptr_null(o);
    ck_assert_int_eq(ml_optimizer_create(NULL, ML_OPTIMIZER_SGD), ML_ERR_INVALID_ARG);
    double v;
    prime_error();
    ck_assert_int_eq(ml_optimizer_set(NULL, ML_OPT_LR, 0.1), ML_ERR_INVALID_ARG);
    ck_assert(fresh_error());
    ck_assert_int_eq(ml_optimizer_get(NULL, ML_OPT_LR, &v), ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_optimizer_reset(NULL), ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_optimizer_kind_of(NULL), 0);
    ck_assert_str_eq(ml_optimizer_last_error(NULL), "");
    float p[N], g[N] = {0};
    prime_error();
    ck_assert_int_eq(ml_optimizer_step(NULL, N, p, g), ML_ERR_INVALID_ARG);
    ck_assert(fresh_error());
    ml_optimizer_free(NULL);

    ck_assert_int_eq(ml_optimizer_create(&o, ML_OPTIMIZER_ADAM), ML_OK);
    ck_assert_str_eq(ml_optimizer_last_error(o), "");
    ck_assert_int_eq(ml_optimizer_get(o, ML_OPT_LR, NULL), ML_ERR_INVALID_ARG);
    memcpy(p, P0, sizeof p);
    ck_assert_int_eq(ml_optimizer_step(o, N, NULL, g), ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_optimizer_step(o, N, p, NULL), ML_ERR_INVALID_ARG);
    prime_error();
    ck_assert_int_eq(ml_optimizer_step(o, 0, p, g), ML_ERR_INVALID_ARG);
    ck_assert(fresh_error());
    ck_assert_str_ne(ml_optimizer_last_error(o), "");
    ck_assert_mem_eq(p, P0, sizeof p);
    ml_optimizer_free(o);
}
END_TEST

START_TEST(test_step_errors)
{
    const hyper *h = &cases[7].h; /* Adam with weight decay: all state used */
    ml_optimizer *o = make_opt(h);
    ref_opt r;
    memset(&r, 0, sizeof r);
    r.h = *h;
    to_double(P0, r.p, N);
    float p[N];
    memcpy(p, P0, sizeof p);
    ck_assert_int_eq(ml_optimizer_step(o, N, p, G[0]), ML_OK);
    ref_step(&r, G[0]);

    /* The first step fixed n. */
    float saved[N];
    memcpy(saved, p, sizeof p);
    prime_error();
    ck_assert_int_eq(ml_optimizer_step(o, N - 1, p, G[1]), ML_ERR_SHAPE);
    ck_assert(fresh_error());
    ck_assert_int_eq(ml_optimizer_step(o, N + 1, p, G[1]), ML_ERR_SHAPE);
    ck_assert_mem_eq(p, saved, sizeof p);

    /* Non-finite gradients: nothing changes, not the parameters, not the
     * state (the next good step continues as if the bad ones never were). */
    const float specials[3] = {NAN, INFINITY, -INFINITY};
    for (int k = 0; k < 3; k++)
        for (int at = 0; at < N; at += N - 1) {
            float g[N];
            memcpy(g, G[1], sizeof g);
            g[at] = specials[k];
            prime_error();
            ck_assert_int_eq(ml_optimizer_step(o, N, p, g), ML_ERR_NUMERIC);
            ck_assert(fresh_error());
            ck_assert_str_ne(ml_optimizer_last_error(o), "");
            ck_assert_mem_eq(p, saved, sizeof p);
        }
    for (int s = 1; s < STEPS; s++) {
        ck_assert_int_eq(ml_optimizer_step(o, N, p, G[s]), ML_OK);
        ref_step(&r, G[s]);
        check_close("after failed steps", p, r.p, N, 1e-6, 1e-5);
    }
    ml_optimizer_free(o);
}
END_TEST

/* A hyperparameter changed between steps takes effect at the next step and
 * the moments are kept; reset starts afresh (and frees n). */
START_TEST(test_set_between_steps_and_reset)
{
    hyper h = cases[6].h;
    ml_optimizer *o = make_opt(&h);
    ref_opt r;
    memset(&r, 0, sizeof r);
    r.h = h;
    to_double(P0, r.p, N);
    float p[N];
    memcpy(p, P0, sizeof p);
    for (int s = 0; s < 2; s++) {
        ck_assert_int_eq(ml_optimizer_step(o, N, p, G[s]), ML_OK);
        ref_step(&r, G[s]);
    }
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LR, 0.2), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_BETA1, 0.5), ML_OK);
    r.h.lr = 0.2;
    r.h.beta1 = 0.5;
    ck_assert_int_eq(ml_optimizer_step(o, N, p, G[2]), ML_OK);
    ref_step(&r, G[2]);
    check_close("changed hyperparameters", p, r.p, N, 1e-6, 1e-5);

    ck_assert_int_eq(ml_optimizer_reset(o), ML_OK);
    /* After a reset: the first step of a fresh optimiser with the current
     * settings, and any n. */
    ref_opt fresh;
    memset(&fresh, 0, sizeof fresh);
    fresh.h = r.h;
    to_double(P0, fresh.p, N);
    memcpy(p, P0, sizeof p);
    ck_assert_int_eq(ml_optimizer_step(o, N, p, G[1]), ML_OK);
    ref_step(&fresh, G[1]);
    check_close("after reset", p, fresh.p, N, 1e-6, 1e-5);
    ck_assert_int_eq(ml_optimizer_reset(o), ML_OK);
    ck_assert_int_eq(ml_optimizer_step(o, 2, p, G[1]), ML_OK);
    ml_optimizer_free(o);
}
END_TEST

/* ---------------------------------------------------------------- learners */

static ml_learner *small_learner(ml_strategy s)
{
    ml_model *m;
    ck_assert_int_eq(ml_model_create_mlp(&m, 1, 2, (size_t[]){4, 1}, ML_LAYER_TANH), ML_OK);
    ml_learner *l;
    ck_assert_int_eq(ml_learner_create(&l, m, s, 77), ML_OK);
    ml_model_free(m);
    return l;
}

START_TEST(test_learner_sgd_apply_exact)
{
    ml_learner *l = small_learner(ML_STRATEGY_MAML);
    size_t n = ml_learner_num_meta_params(l);
    ck_assert_uint_eq(n, 13);
    ml_optimizer *o;
    ck_assert_int_eq(ml_optimizer_create(&o, ML_OPTIMIZER_SGD), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LR, 0.1), ML_OK);
    ck_assert_int_eq(ml_learner_set_optimizer(l, o), ML_OK);
    /* The learner keeps a copy of the settings, not `o`. */
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LR, 0.5), ML_OK);
    ml_optimizer_free(o);

    float g[13], *theta = learner_params(l);
    for (size_t i = 0; i < n; i++)
        g[i] = (float)((int)(i % 5) - 2) * 0.37f + 0.01f * (float)i;
    ck_assert_int_eq(ml_learner_apply_gradient(l, g, n), ML_OK);
    float *after = learner_params(l);
    for (size_t i = 0; i < n; i++) {
        volatile float step = 0.1f * g[i];
        volatile float want = theta[i] - step;
        ck_assert_msg(after[i] == want, "element %zu: %.9g, want %.9g", i,
                      (double)after[i], (double)want);
    }
    double it;
    ck_assert_int_eq(ml_learner_get(l, ML_LEARNER_ITERATION, &it), ML_OK);
    ck_assert_double_eq(it, 1);
    free(theta);
    free(after);
    ml_learner_free(l);
}
END_TEST

/* meta_step = meta_gradient + apply_gradient, bit for bit. */
START_TEST(test_learner_meta_step_is_gradient_then_apply)
{
    static const float xs[] = {-1, 0.5f, 2}, ys[] = {0.3f, -0.2f, 1.1f};
    static const float xq[] = {0.1f, 1.5f}, yq[] = {0.0f, 0.8f};
    ml_task *t = make_reg_task(1, 1, 3, xs, ys, 2, xq, yq);
    for (int strat = ML_STRATEGY_MAML; strat <= ML_STRATEGY_JOINT; strat++) {
        ml_learner *a = small_learner((ml_strategy)strat);
        ml_learner *b = small_learner((ml_strategy)strat);
        size_t n = ml_learner_num_meta_params(a);
        float g[32];
        for (int k = 0; k < 3; k++) {
            double la, lb;
            ck_assert_int_eq(ml_learner_meta_step(a, 1, &t, &la), ML_OK);
            ck_assert_int_eq(ml_learner_meta_gradient(b, 1, &t, g, n, &lb), ML_OK);
            ck_assert_int_eq(ml_learner_apply_gradient(b, g, n), ML_OK);
            ck_assert(la == lb);
        }
        float *pa = learner_params(a), *pb = learner_params(b);
        ck_assert_mem_eq(pa, pb, n * sizeof(float));
        free(pa);
        free(pb);
        ml_learner_free(a);
        ml_learner_free(b);
    }
    ml_task_free(t);
}
END_TEST

/* The default outer optimiser is Adam with lr 0.001; set_optimizer starts
 * with fresh state, and accepts an optimiser that already has state for
 * another number of parameters. */
START_TEST(test_learner_optimizer_state)
{
    ml_learner *l = small_learner(ML_STRATEGY_FOMAML);
    size_t n = ml_learner_num_meta_params(l);
    float g[13];
    for (size_t i = 0; i < n; i++)
        g[i] = 0.55f - 0.1f * (float)i; /* no zero */
    /* Default Adam: the first step is 0.001 sign(g). */
    float *p0 = learner_params(l);
    ck_assert_int_eq(ml_learner_apply_gradient(l, g, n), ML_OK);
    float *p1 = learner_params(l);
    for (size_t i = 0; i < n; i++)
        ck_assert_double_eq_tol((double)p0[i] - p1[i], 0.001 * (g[i] > 0 ? 1 : -1), 1e-6);
    /* A new Adam that already has a state, for 3 parameters: the learner
     * takes its settings only and starts afresh (a first step of
     * 0.01 sign(g) again, however many steps the old state had). */
    ml_optimizer *o;
    ck_assert_int_eq(ml_optimizer_create(&o, ML_OPTIMIZER_ADAM), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LR, 0.01), ML_OK);
    float q[3] = {1, 2, 3}, gq[3] = {1, 1, 1};
    ck_assert_int_eq(ml_optimizer_step(o, 3, q, gq), ML_OK);
    ck_assert_int_eq(ml_learner_set_optimizer(l, o), ML_OK);
    ml_optimizer_free(o);
    float g2[13];
    for (size_t i = 0; i < n; i++)
        g2[i] = -g[i] * 0.01f; /* after a fresh start: 0.01 sign(g2) */
    ck_assert_int_eq(ml_learner_apply_gradient(l, g2, n), ML_OK);
    float *p2 = learner_params(l);
    for (size_t i = 0; i < n; i++)
        ck_assert_double_eq_tol((double)p1[i] - p2[i], 0.01 * (g2[i] > 0 ? 1 : -1), 1e-6);
    free(p0);
    free(p1);
    free(p2);
    ml_learner_free(l);
}
END_TEST

static Suite *optim_suite(void)
{
    Suite *s = suite_create("meta_optim");
    TCase *tc = tcase_create("rules");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_rule_matches_reference, 0, N_CASES);
    tcase_add_test(tc, test_references_distinct);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_set_between_steps_and_reset);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_hyperparameter_validation);
    tcase_add_test(tc, test_create_and_null_arguments);
    tcase_add_test(tc, test_step_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("learner");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_learner_sgd_apply_exact);
    tcase_add_test(tc, test_learner_meta_step_is_gradient_then_apply);
    tcase_add_test(tc, test_learner_optimizer_state);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(optim_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
