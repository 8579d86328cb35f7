/* Argument checks of every model, task, sampler and learner function:
 * NULL handles and pointers, wrong counts, tasks that do not fit the
 * model, keys of another strategy, read-only and out-of-range settings,
 * non-finite data.  After each error: the documented status, a fresh
 * message (thread and handle), *out NULL, nothing changed, and the handle
 * still works.  Also the sine sampler: defaults, the task family, seeds,
 * settings. */
#include "metatest.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846

/* A call that must fail with `code` and store a new message. */
#define EXPECT(call, code)                                                         \
    do {                                                                           \
        prime_error();                                                             \
        ml_status st_ = (call);                                                    \
        ck_assert_msg(st_ == (code), "%s: %d (%s), want %d", #call, (int)st_,      \
                      ml_status_str(st_), (int)(code));                            \
        ck_assert_msg(fresh_error(), "%s: no message", #call);                     \
    } while (0)

/* The same on a learner: its own message too, and it still works. */
#define EXPECT_L(l, call, code)                                                    \
    do {                                                                           \
        prime_learner_error(l);                                                    \
        EXPECT(call, code);                                                        \
        ck_assert_msg(fresh_learner_error(l), "%s: no learner message", #call);    \
        learner_works(l);                                                          \
    } while (0)

static const float XS[] = {-1.0f, 0.0f, 1.0f}, YS[] = {0.5f, -0.5f, 1.0f};
static const float XQ[] = {0.5f, 2.0f}, YQ[] = {0.0f, 1.5f};

static ml_task *good_task(void)
{
    return make_reg_task(1, 1, 3, XS, YS, 2, XQ, YQ);
}

/* A valid call succeeds and leaves the parameters alone. */
static void learner_works(ml_learner *l)
{
    ml_task *t = good_task();
    size_t n = ml_learner_num_meta_params(l);
    float *g = malloc(n * sizeof *g), *p0 = learner_params(l);
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(ml_learner_meta_gradient(l, 1, &t, g, n, NULL), ML_OK);
    float *p1 = learner_params(l);
    ck_assert_mem_eq(p0, p1, n * sizeof(float));
    free(g);
    free(p0);
    free(p1);
    ml_task_free(t);
}

static ml_model *mlp(size_t in, size_t hidden, size_t out)
{
    ml_model *m;
    ck_assert_int_eq(ml_model_create_mlp(&m, in, 2, (size_t[]){hidden, out}, ML_LAYER_TANH),
                     ML_OK);
    return m;
}

static ml_learner *learner(ml_strategy s)
{
    ml_model *m = mlp(1, 4, 1);
    ml_learner *l;
    ck_assert_int_eq(ml_learner_create(&l, m, s, 3), ML_OK);
    ml_model_free(m);
    return l;
}

/* ---------------------------------------------------------------- models */

START_TEST(test_model_errors)
{
    const size_t one = 1, shape3[3] = {1, 28, 28}, shape4[4] = {1, 1, 1, 1};
    ml_model *m = (ml_model *)&m;
    EXPECT(ml_model_create(NULL, 1, &one), ML_ERR_INVALID_ARG);
    EXPECT(ml_model_create(&m, 1, NULL), ML_ERR_INVALID_ARG);
    ck_assert_ptr_null(m);
    m = (ml_model *)&m;
    EXPECT(ml_model_create(&m, 0, &one), ML_ERR_INVALID_ARG);
    ck_assert_ptr_null(m);
    EXPECT(ml_model_create(&m, 4, shape4), ML_ERR_INVALID_ARG);
    EXPECT(ml_model_create(&m, 2, (size_t[]){3, 0}), ML_ERR_INVALID_ARG);
    EXPECT(ml_model_create(&m, 1, (size_t[]){((size_t)1 << 24) + 1}), ML_ERR_INVALID_ARG);
    EXPECT(ml_model_create(&m, 2, (size_t[]){(size_t)1 << 12, (size_t)1 << 13}),
           ML_ERR_INVALID_ARG);
    ck_assert_ptr_null(m);

    ck_assert_int_eq(ml_model_create(&m, 3, shape3), ML_OK);
    ck_assert_uint_eq(ml_model_input_size(m), 784);
    ck_assert_uint_eq(ml_model_output_size(m), 0);
    ck_assert_uint_eq(ml_model_num_layers(m), 0);
    ck_assert_uint_eq(ml_model_num_params(m), 0);
    ck_assert_str_eq(ml_model_last_error(m), "");
    EXPECT(ml_model_add_dense(NULL, 4), ML_ERR_INVALID_ARG);
    EXPECT(ml_model_add_dense(m, 0), ML_ERR_INVALID_ARG);
    ck_assert_str_ne(ml_model_last_error(m), "");
    EXPECT(ml_model_add_dense(m, ((size_t)1 << 24) + 1), ML_ERR_INVALID_ARG);
    EXPECT(ml_model_add_activation(NULL, ML_LAYER_RELU), ML_ERR_INVALID_ARG);
    EXPECT(ml_model_add_activation(m, ML_LAYER_DENSE), ML_ERR_INVALID_ARG);
    EXPECT(ml_model_add_activation(m, (ml_layer_kind)0), ML_ERR_INVALID_ARG);
    EXPECT(ml_model_add_activation(m, (ml_layer_kind)99), ML_ERR_INVALID_ARG);
    ck_assert_uint_eq(ml_model_num_layers(m), 0); /* unchanged */
    ck_assert_uint_eq(ml_model_num_params(m), 0);
    /* Still works. */
    ck_assert_int_eq(ml_model_add_dense(m, 10), ML_OK);
    ck_assert_int_eq(ml_model_add_activation(m, ML_LAYER_RELU), ML_OK);
    ck_assert_int_eq(ml_model_add_dense(m, 5), ML_OK);
    ck_assert_uint_eq(ml_model_num_layers(m), 3);
    ck_assert_int_eq(ml_model_layer_kind(m, 0), ML_LAYER_DENSE);
    ck_assert_int_eq(ml_model_layer_kind(m, 1), ML_LAYER_RELU);
    ck_assert_int_eq(ml_model_layer_kind(m, 3), 0);
    ck_assert_uint_eq(ml_model_output_size(m), 5);
    ck_assert_uint_eq(ml_model_num_params(m), 784 * 10 + 10 + 10 * 5 + 5);

    const char *full = "in 1x28x28 | dense 10 | relu | dense 5";
    char buf[64];
    size_t len = 0;
    EXPECT(ml_model_describe(NULL, buf, sizeof buf, &len), ML_ERR_INVALID_ARG);
    EXPECT(ml_model_describe(m, NULL, 5, &len), ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_model_describe(m, NULL, 0, &len), ML_OK);
    ck_assert_uint_eq(len, strlen(full));
    memset(buf, 'x', sizeof buf);
    EXPECT(ml_model_describe(m, buf, 8, &len), ML_ERR_RANGE);
    ck_assert_str_eq(buf, "in 1x28");
    ck_assert_uint_eq(len, strlen(full));
    /* Room for the terminator only: still a string (found by fuzzing). */
    memset(buf, 'x', sizeof buf);
    EXPECT(ml_model_describe(m, buf, 1, &len), ML_ERR_RANGE);
    ck_assert_int_eq(buf[0], '\0');
    ck_assert_int_eq(ml_model_describe(m, buf, sizeof buf, NULL), ML_OK);
    ck_assert_str_eq(buf, full);
    ml_model_free(m);

    /* Queries on NULL. */
    ck_assert_uint_eq(ml_model_num_layers(NULL), 0);
    ck_assert_int_eq(ml_model_layer_kind(NULL, 0), 0);
    ck_assert_uint_eq(ml_model_input_size(NULL), 0);
    ck_assert_uint_eq(ml_model_output_size(NULL), 0);
    ck_assert_uint_eq(ml_model_num_params(NULL), 0);
    ck_assert_str_eq(ml_model_last_error(NULL), "");
    ml_model_free(NULL);

    const size_t sizes[2] = {8, 1};
    m = (ml_model *)&m;
    EXPECT(ml_model_create_mlp(NULL, 1, 2, sizes, ML_LAYER_TANH), ML_ERR_INVALID_ARG);
    EXPECT(ml_model_create_mlp(&m, 1, 2, NULL, ML_LAYER_TANH), ML_ERR_INVALID_ARG);
    ck_assert_ptr_null(m);
    m = (ml_model *)&m;
    EXPECT(ml_model_create_mlp(&m, 1, 0, sizes, ML_LAYER_TANH), ML_ERR_INVALID_ARG);
    ck_assert_ptr_null(m);
    m = (ml_model *)&m;
    EXPECT(ml_model_create_mlp(&m, 1, 2, sizes, ML_LAYER_DENSE), ML_ERR_INVALID_ARG);
    ck_assert_ptr_null(m);
    m = (ml_model *)&m;
    EXPECT(ml_model_create_mlp(&m, 1, 2, (size_t[]){8, 0}, ML_LAYER_TANH),
           ML_ERR_INVALID_ARG);
    ck_assert_ptr_null(m);
    m = (ml_model *)&m;
    EXPECT(ml_model_create_mlp(&m, 0, 2, sizes, ML_LAYER_TANH), ML_ERR_INVALID_ARG);
    ck_assert_ptr_null(m);
}
END_TEST

/* ---------------------------------------------------------------- tasks */

START_TEST(test_task_errors)
{
    ml_task *t = (ml_task *)&t;
    const float nan_at[3] = {0.0f, NAN, 1.0f}, inf_at[3] = {INFINITY, 0.0f, 1.0f};
    const float ninf_at[2] = {0.0f, -INFINITY};
    EXPECT(ml_task_create_regression(NULL, 1, 1, 3, XS, YS, 2, XQ, YQ), ML_ERR_INVALID_ARG);
    EXPECT(ml_task_create_regression(&t, 0, 1, 3, XS, YS, 2, XQ, YQ), ML_ERR_INVALID_ARG);
    ck_assert_ptr_null(t);
#define BAD_REG(code, ...)                                                         \
    do {                                                                           \
        t = (ml_task *)&t;                                                         \
        EXPECT(ml_task_create_regression(&t, __VA_ARGS__), code);                  \
        ck_assert_ptr_null(t);                                                     \
    } while (0)
    BAD_REG(ML_ERR_INVALID_ARG, 1, 0, 3, XS, YS, 2, XQ, YQ);
    BAD_REG(ML_ERR_INVALID_ARG, 1, 1, 0, XS, YS, 2, XQ, YQ);
    BAD_REG(ML_ERR_INVALID_ARG, 1, 1, 3, NULL, YS, 2, XQ, YQ);
    BAD_REG(ML_ERR_INVALID_ARG, 1, 1, 3, XS, NULL, 2, XQ, YQ);
    BAD_REG(ML_ERR_INVALID_ARG, 1, 1, 3, XS, YS, 2, NULL, YQ);
    BAD_REG(ML_ERR_INVALID_ARG, 1, 1, 3, XS, YS, 2, XQ, NULL);
    BAD_REG(ML_ERR_NUMERIC, 1, 1, 3, nan_at, YS, 2, XQ, YQ);
    BAD_REG(ML_ERR_NUMERIC, 1, 1, 3, XS, nan_at, 2, XQ, YQ);
    BAD_REG(ML_ERR_NUMERIC, 1, 1, 3, inf_at, YS, 2, XQ, YQ);
    BAD_REG(ML_ERR_NUMERIC, 1, 1, 3, XS, inf_at, 2, XQ, YQ);
    BAD_REG(ML_ERR_NUMERIC, 1, 1, 3, XS, YS, 2, ninf_at, YQ);
    BAD_REG(ML_ERR_NUMERIC, 1, 1, 3, XS, YS, 2, XQ, ninf_at);
    BAD_REG(ML_ERR_NUMERIC, 1, 1, 3, XS, YS, 2, XQ, nan_at + 1);

    const float cx[4] = {0, 1, 2, 3};
    const int lab_ok[4] = {0, 1, 2, 1}, lab_hi[4] = {0, 3, 1, 2}, lab_neg[4] = {0, -1, 1, 2};
#define BAD_CLS(code, ...)                                                         \
    do {                                                                           \
        t = (ml_task *)&t;                                                         \
        EXPECT(ml_task_create_classification(&t, __VA_ARGS__), code);              \
        ck_assert_ptr_null(t);                                                     \
    } while (0)
    BAD_CLS(ML_ERR_RANGE, 1, 3, 4, cx, lab_hi, 2, cx, lab_ok);
    BAD_CLS(ML_ERR_RANGE, 1, 3, 4, cx, lab_neg, 2, cx, lab_ok);
    BAD_CLS(ML_ERR_RANGE, 1, 3, 2, cx, lab_ok, 4, cx, lab_hi);
    BAD_CLS(ML_ERR_INVALID_ARG, 1, 0, 4, cx, lab_ok, 2, cx, lab_ok);
    BAD_CLS(ML_ERR_INVALID_ARG, 1, 3, 4, cx, NULL, 2, cx, lab_ok);
    BAD_CLS(ML_ERR_INVALID_ARG, 1, 3, 4, cx, lab_ok, 2, cx, NULL);
    BAD_CLS(ML_ERR_NUMERIC, 1, 3, 3, nan_at, lab_ok, 2, cx, lab_ok);
    BAD_CLS(ML_ERR_NUMERIC, 2, 3, 1, cx, lab_ok, 1, inf_at, lab_ok);
    EXPECT(ml_task_create_classification(NULL, 1, 3, 4, cx, lab_ok, 2, cx, lab_ok),
           ML_ERR_INVALID_ARG);

    /* A good task: the data is copied, the getters check their arguments. */
    float xs[3], ys[3];
    memcpy(xs, XS, sizeof xs);
    memcpy(ys, YS, sizeof ys);
    ck_assert_int_eq(ml_task_create_regression(&t, 1, 1, 3, xs, ys, 2, XQ, YQ), ML_OK);
    xs[0] = 99.0f;
    ys[2] = 99.0f;
    float out[3];
    ck_assert_int_eq(ml_task_get_inputs(t, ML_SUPPORT, out, 3), ML_OK);
    ck_assert_mem_eq(out, XS, sizeof out);
    ck_assert_int_eq(ml_task_get_targets(t, ML_SUPPORT, out, 3), ML_OK);
    ck_assert_mem_eq(out, YS, sizeof out);
    ck_assert_int_eq(ml_task_get_targets(t, ML_QUERY, out, 2), ML_OK);
    ck_assert_mem_eq(out, YQ, 2 * sizeof(float));
    ck_assert_uint_eq(ml_task_size(t, ML_SUPPORT), 3);
    ck_assert_uint_eq(ml_task_size(t, ML_QUERY), 2);
    ck_assert_uint_eq(ml_task_size(t, (ml_set)2), 0);
    ck_assert_uint_eq(ml_task_input_size(t), 1);
    ck_assert_uint_eq(ml_task_output_size(t), 1);
    ck_assert_uint_eq(ml_task_num_ways(t), 0);
    EXPECT(ml_task_get_inputs(NULL, ML_SUPPORT, out, 3), ML_ERR_INVALID_ARG);
    EXPECT(ml_task_get_inputs(t, ML_SUPPORT, NULL, 3), ML_ERR_INVALID_ARG);
    EXPECT(ml_task_get_inputs(t, (ml_set)2, out, 3), ML_ERR_INVALID_ARG);
    EXPECT(ml_task_get_inputs(t, ML_SUPPORT, out, 2), ML_ERR_SHAPE);
    EXPECT(ml_task_get_inputs(t, ML_QUERY, out, 3), ML_ERR_SHAPE);
    EXPECT(ml_task_get_targets(t, ML_SUPPORT, out, 4), ML_ERR_SHAPE);
    EXPECT(ml_task_get_targets(NULL, ML_SUPPORT, out, 3), ML_ERR_INVALID_ARG);
    int labs[4];
    EXPECT(ml_task_get_labels(t, ML_SUPPORT, labs, 3), ML_ERR_UNSUPPORTED);
    ml_task_free(t);

    ck_assert_int_eq(ml_task_create_classification(&t, 1, 3, 4, cx, lab_ok, 0, NULL, NULL),
                     ML_OK);
    ck_assert_uint_eq(ml_task_num_ways(t), 3);
    ck_assert_uint_eq(ml_task_output_size(t), 3);
    ck_assert_uint_eq(ml_task_size(t, ML_QUERY), 0);
    ck_assert_int_eq(ml_task_get_labels(t, ML_SUPPORT, labs, 4), ML_OK);
    ck_assert_mem_eq(labs, lab_ok, sizeof labs);
    EXPECT(ml_task_get_labels(t, ML_SUPPORT, labs, 3), ML_ERR_SHAPE);
    EXPECT(ml_task_get_labels(t, ML_SUPPORT, NULL, 4), ML_ERR_INVALID_ARG);
    EXPECT(ml_task_get_targets(t, ML_SUPPORT, out, 3), ML_ERR_UNSUPPORTED);
    ck_assert_int_eq(ml_task_get_inputs(t, ML_QUERY, out, 0), ML_OK);
    ml_task_free(t);

    ck_assert_uint_eq(ml_task_size(NULL, ML_SUPPORT), 0);
    ck_assert_uint_eq(ml_task_input_size(NULL), 0);
    ck_assert_uint_eq(ml_task_output_size(NULL), 0);
    ck_assert_uint_eq(ml_task_num_ways(NULL), 0);
    ml_task_free(NULL);
}
END_TEST

/* ---------------------------------------------------------------- learners */

START_TEST(test_learner_create_errors)
{
    ml_model *good = mlp(1, 4, 1);
    ml_learner *l = (ml_learner *)&l;
    EXPECT(ml_learner_create(NULL, good, ML_STRATEGY_MAML, 1), ML_ERR_INVALID_ARG);
    EXPECT(ml_learner_create(&l, NULL, ML_STRATEGY_MAML, 1), ML_ERR_INVALID_ARG);
    ck_assert_ptr_null(l);
    static const int bad_strategies[] = {0, 7, -1, 100};
    for (size_t i = 0; i < 4; i++) {
        l = (ml_learner *)&l;
        EXPECT(ml_learner_create(&l, good, (ml_strategy)bad_strategies[i], 1),
               ML_ERR_INVALID_ARG);
        ck_assert_ptr_null(l);
    }
    /* A model without layers, and one that ends in an activation. */
    ml_model *empty;
    ck_assert_int_eq(ml_model_create(&empty, 1, (size_t[]){1}), ML_OK);
    l = (ml_learner *)&l;
    EXPECT(ml_learner_create(&l, empty, ML_STRATEGY_MAML, 1), ML_ERR_INVALID_ARG);
    ck_assert_ptr_null(l);
    ck_assert_int_eq(ml_model_add_dense(empty, 3), ML_OK);
    ck_assert_int_eq(ml_model_add_activation(empty, ML_LAYER_SIGMOID), ML_OK);
    l = (ml_learner *)&l;
    EXPECT(ml_learner_create(&l, empty, ML_STRATEGY_REPTILE, 1), ML_ERR_INVALID_ARG);
    ck_assert_ptr_null(l);
    ml_model_free(empty);

    /* The learner copies the model. */
    ck_assert_int_eq(ml_learner_create(&l, good, ML_STRATEGY_MAML, 1), ML_OK);
    char a[128], b[128];
    ck_assert_int_eq(ml_model_describe(good, a, sizeof a, NULL), ML_OK);
    ml_model_free(good);
    const ml_model *lm = ml_learner_model(l);
    ck_assert_ptr_nonnull(lm);
    ck_assert_int_eq(ml_model_describe(lm, b, sizeof b, NULL), ML_OK);
    ck_assert_str_eq(a, b);
    ck_assert_uint_eq(ml_learner_num_meta_params(l), ml_model_num_params(lm));
    ck_assert_int_eq(ml_learner_strategy(l), ML_STRATEGY_MAML);
    ck_assert_str_eq(ml_learner_last_error(l), "");
    learner_works(l);
    ml_learner_free(l);

    /* Same seed, same parameters; another seed, others. */
    ml_learner *x = learner(ML_STRATEGY_FOMAML), *y = learner(ML_STRATEGY_FOMAML);
    float *px = learner_params(x), *py = learner_params(y);
    ck_assert_mem_eq(px, py, ml_learner_num_meta_params(x) * sizeof(float));
    free(px);
    free(py);
    ml_learner_free(x);
    ml_learner_free(y);

    ck_assert_int_eq(ml_learner_strategy(NULL), 0);
    ck_assert_ptr_null(ml_learner_model(NULL));
    ck_assert_uint_eq(ml_learner_num_meta_params(NULL), 0);
    ck_assert_str_eq(ml_learner_last_error(NULL), "");
    ml_learner_free(NULL);
}
END_TEST

START_TEST(test_learner_settings)
{
    ml_strategy strat = (ml_strategy)(ML_STRATEGY_MAML + _i);
    ml_learner *l = learner(strat);
    int reptile = strat == ML_STRATEGY_REPTILE;
    double v;
    /* Defaults. */
    ck_assert_int_eq(ml_learner_get(l, ML_LEARNER_INNER_LR, &v), ML_OK);
    ck_assert_double_eq(v, 0.01);
    ck_assert_int_eq(ml_learner_get(l, ML_LEARNER_INNER_STEPS, &v), ML_OK);
    ck_assert_double_eq(v, 1);
    ck_assert_int_eq(ml_learner_get(l, ML_LEARNER_THREADS, &v), ML_OK);
    ck_assert_double_eq(v, 1);
    ck_assert_int_eq(ml_learner_get(l, ML_LEARNER_ITERATION, &v), ML_OK);
    ck_assert_double_eq(v, 0);

    EXPECT(ml_learner_set(NULL, ML_LEARNER_INNER_LR, 0.1), ML_ERR_INVALID_ARG);
    EXPECT(ml_learner_get(NULL, ML_LEARNER_INNER_LR, &v), ML_ERR_INVALID_ARG);
    EXPECT(ml_learner_get(l, ML_LEARNER_INNER_LR, NULL), ML_ERR_INVALID_ARG);
    static const struct {
        int key;
        double value;
    } bad[] = {
        {ML_LEARNER_INNER_LR, 0},
        {ML_LEARNER_INNER_LR, -0.1},
        {ML_LEARNER_INNER_LR, NAN},
        {ML_LEARNER_INNER_LR, INFINITY},
        {ML_LEARNER_INNER_STEPS, -1},
        {ML_LEARNER_INNER_STEPS, 1.5},
        {ML_LEARNER_INNER_STEPS, NAN},
        {ML_LEARNER_INNER_STEPS, 1e12},
        {ML_LEARNER_THREADS, 0},
        {ML_LEARNER_THREADS, 1.5},
        {ML_LEARNER_THREADS, 257},
        {ML_LEARNER_THREADS, -2},
        {ML_LEARNER_THREADS, NAN},
        {ML_LEARNER_ITERATION, 5},   /* read-only */
        {ML_LEARNER_ITERATION, 0},
        {0, 1},
        {5, 1},
        {99, 1},
        {104, 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double before = NAN, after = NAN;
        int readable = ml_learner_get(l, (ml_learner_param)bad[i].key, &before) == ML_OK;
        EXPECT_L(l, ml_learner_set(l, (ml_learner_param)bad[i].key, bad[i].value),
                 ML_ERR_INVALID_ARG);
        if (readable) {
            ck_assert_int_eq(ml_learner_get(l, (ml_learner_param)bad[i].key, &after), ML_OK);
            ck_assert_msg(after == before, "key %d changed by a refused set", bad[i].key);
        }
    }
    /* Unknown keys cannot be read. */
    EXPECT(ml_learner_get(l, (ml_learner_param)0, &v), ML_ERR_INVALID_ARG);
    EXPECT(ml_learner_get(l, (ml_learner_param)104, &v), ML_ERR_INVALID_ARG);

    /* Reptile's keys: only on Reptile, with their ranges. */
    static const struct {
        int key;
        double good, bad1, bad2;
    } rk[] = {
        {ML_LEARNER_REPTILE_EPSILON, 0.5, -0.1, 1.5},
        {ML_LEARNER_REPTILE_EPSILON_FINAL, 0.01, -0.5, NAN},
        {ML_LEARNER_REPTILE_ANNEAL_ITERS, 100, -1, 2.5},
        {ML_LEARNER_REPTILE_INNER_ADAM, 1, 0.5, 2},
    };
    for (size_t i = 0; i < 4; i++) {
        ml_learner_param key = (ml_learner_param)rk[i].key;
        if (!reptile) {
            EXPECT_L(l, ml_learner_set(l, key, rk[i].good), ML_ERR_INVALID_ARG);
            EXPECT(ml_learner_get(l, key, &v), ML_ERR_INVALID_ARG);
            continue;
        }
        double before;
        ck_assert_int_eq(ml_learner_get(l, key, &before), ML_OK);
        EXPECT_L(l, ml_learner_set(l, key, rk[i].bad1), ML_ERR_INVALID_ARG);
        EXPECT_L(l, ml_learner_set(l, key, rk[i].bad2), ML_ERR_INVALID_ARG);
        ck_assert_int_eq(ml_learner_get(l, key, &v), ML_OK);
        ck_assert(v == before);
        ck_assert_int_eq(ml_learner_set(l, key, rk[i].good), ML_OK);
        ck_assert_int_eq(ml_learner_get(l, key, &v), ML_OK);
        ck_assert(v == rk[i].good);
    }
    /* Good values round-trip. */
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_LR, 0.123), ML_OK);
    ck_assert_int_eq(ml_learner_get(l, ML_LEARNER_INNER_LR, &v), ML_OK);
    ck_assert_double_eq(v, 0.123);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_STEPS, 4), ML_OK);
    ck_assert_int_eq(ml_learner_get(l, ML_LEARNER_INNER_STEPS, &v), ML_OK);
    ck_assert_double_eq(v, 4);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_THREADS, 2), ML_OK);
    ck_assert_int_eq(ml_learner_get(l, ML_LEARNER_THREADS, &v), ML_OK);
    ck_assert_double_eq(v, 2);
    learner_works(l);

    /* Optimiser. */
    ml_optimizer *o;
    ck_assert_int_eq(ml_optimizer_create(&o, ML_OPTIMIZER_SGD), ML_OK);
    EXPECT(ml_learner_set_optimizer(NULL, o), ML_ERR_INVALID_ARG);
    EXPECT_L(l, ml_learner_set_optimizer(l, NULL), ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_learner_set_optimizer(l, o), ML_OK);
    ml_optimizer_free(o);
    ml_learner_free(l);
}
END_TEST

START_TEST(test_learner_params_errors)
{
    ml_learner *l = learner(ML_STRATEGY_METASGD);
    size_t n = ml_learner_num_meta_params(l);
    ck_assert_uint_eq(n, 2 * 13);
    float *p = learner_params(l), *q = malloc((n + 1) * sizeof(float));
    ck_assert_ptr_nonnull(q);
    EXPECT(ml_learner_get_meta_params(NULL, q, n), ML_ERR_INVALID_ARG);
    EXPECT_L(l, ml_learner_get_meta_params(l, NULL, n), ML_ERR_INVALID_ARG);
    EXPECT_L(l, ml_learner_get_meta_params(l, q, n - 1), ML_ERR_SHAPE);
    EXPECT_L(l, ml_learner_get_meta_params(l, q, n + 1), ML_ERR_SHAPE);
    EXPECT_L(l, ml_learner_get_meta_params(l, q, 0), ML_ERR_SHAPE);
    EXPECT(ml_learner_set_meta_params(NULL, p, n), ML_ERR_INVALID_ARG);
    EXPECT_L(l, ml_learner_set_meta_params(l, NULL, n), ML_ERR_INVALID_ARG);
    EXPECT_L(l, ml_learner_set_meta_params(l, p, n - 1), ML_ERR_SHAPE);
    static const float specials[3] = {NAN, INFINITY, -INFINITY};
    for (int k = 0; k < 3; k++) {
        memcpy(q, p, n * sizeof(float));
        for (size_t i = 0; i < n; i++)
            q[i] = q[i] * 2 + 1; /* all different from p ... */
        q[k == 0 ? n - 1 : (size_t)k] = specials[k]; /* ... and one not finite */
        EXPECT_L(l, ml_learner_set_meta_params(l, q, n), ML_ERR_NUMERIC);
        float *now = learner_params(l);
        ck_assert_mem_eq(now, p, n * sizeof(float)); /* nothing changed */
        free(now);
    }
    free(p);
    free(q);
    ml_learner_free(l);
}
END_TEST

/* A learner of each strategy against bad meta-batches. */
START_TEST(test_meta_batch_errors)
{
    ml_strategy strat = (ml_strategy)(ML_STRATEGY_MAML + _i);
    int needs_query = strat == ML_STRATEGY_MAML || strat == ML_STRATEGY_FOMAML ||
                      strat == ML_STRATEGY_METASGD;
    ml_learner *l = learner(strat);
    size_t n = ml_learner_num_meta_params(l);
    float *g = malloc((n + 1) * sizeof(float)), *p0 = learner_params(l);
    ck_assert_ptr_nonnull(g);
    ml_task *good = good_task();
    ml_task *wide = make_reg_task(2, 1, 1, XS, YS, 1, XQ, YQ);   /* 2 inputs */
    ml_task *tall = make_reg_task(1, 2, 1, XS, YS, 1, XQ, YQ);   /* 2 outputs */
    ml_task *cls;
    const int labels[3] = {0, 1, 2};
    ck_assert_int_eq(ml_task_create_classification(&cls, 1, 3, 3, XS, labels, 2, XQ, labels),
                     ML_OK);
    ml_task *noq = make_reg_task(1, 1, 3, XS, YS, 0, NULL, NULL);
    ml_task *bad_shape[3][2] = {{good, wide}, {tall, good}, {cls, good}};

    EXPECT(ml_learner_meta_step(NULL, 1, &good, NULL), ML_ERR_INVALID_ARG);
    EXPECT(ml_learner_meta_gradient(NULL, 1, &good, g, n, NULL), ML_ERR_INVALID_ARG);
    EXPECT_L(l, ml_learner_meta_step(l, 0, &good, NULL), ML_ERR_INVALID_ARG);
    EXPECT_L(l, ml_learner_meta_step(l, 1, NULL, NULL), ML_ERR_INVALID_ARG);
    ml_task *with_null[2] = {good, NULL};
    EXPECT_L(l, ml_learner_meta_step(l, 2, with_null, NULL), ML_ERR_INVALID_ARG);
    EXPECT_L(l, ml_learner_meta_gradient(l, 2, with_null, g, n, NULL), ML_ERR_INVALID_ARG);
    for (int k = 0; k < 3; k++) {
        EXPECT_L(l, ml_learner_meta_step(l, 2, bad_shape[k], NULL), ML_ERR_SHAPE);
        EXPECT_L(l, ml_learner_meta_gradient(l, 2, bad_shape[k], g, n, NULL), ML_ERR_SHAPE);
    }
    EXPECT_L(l, ml_learner_meta_gradient(l, 1, &good, NULL, n, NULL), ML_ERR_INVALID_ARG);
    EXPECT_L(l, ml_learner_meta_gradient(l, 1, &good, g, n + 1, NULL), ML_ERR_SHAPE);
    EXPECT_L(l, ml_learner_meta_gradient(l, 1, &good, g, n - 1, NULL), ML_ERR_SHAPE);

    /* Apply. */
    EXPECT(ml_learner_apply_gradient(NULL, g, n), ML_ERR_INVALID_ARG);
    EXPECT_L(l, ml_learner_apply_gradient(l, NULL, n), ML_ERR_INVALID_ARG);
    EXPECT_L(l, ml_learner_apply_gradient(l, g, n - 1), ML_ERR_SHAPE);
    for (size_t i = 0; i < n; i++)
        g[i] = 0.25f;
    g[n / 2] = NAN;
    EXPECT_L(l, ml_learner_apply_gradient(l, g, n), ML_ERR_NUMERIC);
    g[n / 2] = -INFINITY;
    EXPECT_L(l, ml_learner_apply_gradient(l, g, n), ML_ERR_NUMERIC);

    /* Nothing has moved so far. */
    float *p1 = learner_params(l);
    ck_assert_mem_eq(p0, p1, n * sizeof(float));
    free(p1);
    double it;
    ck_assert_int_eq(ml_learner_get(l, ML_LEARNER_ITERATION, &it), ML_OK);
    ck_assert_double_eq(it, 0);

    /* A task without a query set. */
    if (needs_query) {
        EXPECT_L(l, ml_learner_meta_step(l, 1, &noq, NULL), ML_ERR_INVALID_ARG);
        EXPECT_L(l, ml_learner_meta_gradient(l, 1, &noq, g, n, NULL), ML_ERR_INVALID_ARG);
        ml_task *mixed[2] = {good, noq};
        EXPECT_L(l, ml_learner_meta_step(l, 2, mixed, NULL), ML_ERR_INVALID_ARG);
        ck_assert_int_eq(ml_learner_get(l, ML_LEARNER_ITERATION, &it), ML_OK);
        ck_assert_double_eq(it, 0);
    } else {
        double loss = NAN;
        ck_assert_int_eq(ml_learner_meta_step(l, 1, &noq, &loss), ML_OK);
        ck_assert(isfinite(loss));
        ck_assert_int_eq(ml_learner_get(l, ML_LEARNER_ITERATION, &it), ML_OK);
        ck_assert_double_eq(it, 1);
    }
    /* Non-finite losses: the parameters stay as they were. */
    static const float huge[2] = {3e38f, -3e38f};
    ml_task *inf_task = make_reg_task(1, 1, 2, XQ, huge, 2, XQ, huge);
    float *pb = learner_params(l);
    EXPECT_L(l, ml_learner_meta_step(l, 1, &inf_task, NULL), ML_ERR_NUMERIC);
    float *pa = learner_params(l);
    ck_assert_mem_eq(pa, pb, n * sizeof(float));
    free(pa);
    free(pb);
    ck_assert_int_eq(ml_learner_meta_step(l, 1, &good, NULL), ML_OK);

    free(g);
    free(p0);
    ml_task_free(good);
    ml_task_free(wide);
    ml_task_free(tall);
    ml_task_free(cls);
    ml_task_free(noq);
    ml_task_free(inf_task);
    ml_learner_free(l);
}
END_TEST

START_TEST(test_predict_evaluate_errors)
{
    ml_learner *l = learner(ML_STRATEGY_MAML);
    ml_task *good = good_task();
    ml_task *wide = make_reg_task(2, 1, 1, XS, YS, 1, XQ, YQ);
    ml_task *noq = make_reg_task(1, 1, 3, XS, YS, 0, NULL, NULL);
    const float x[3] = {0.1f, 0.2f, 0.3f}, xbad[3] = {0.1f, NAN, 0.3f};
    float out[3];
    int labels[3];
    EXPECT(ml_learner_predict(NULL, good, 1, 3, x, out, 3, NULL), ML_ERR_INVALID_ARG);
    EXPECT_L(l, ml_learner_predict(l, NULL, 1, 3, x, out, 3, NULL), ML_ERR_INVALID_ARG);
    EXPECT_L(l, ml_learner_predict(l, good, 1, 0, x, out, 0, NULL), ML_ERR_INVALID_ARG);
    EXPECT_L(l, ml_learner_predict(l, good, 1, 3, NULL, out, 3, NULL), ML_ERR_INVALID_ARG);
    EXPECT_L(l, ml_learner_predict(l, good, 1, 3, x, NULL, 3, NULL), ML_ERR_INVALID_ARG);
    EXPECT_L(l, ml_learner_predict(l, good, 1, 3, x, out, 2, NULL), ML_ERR_SHAPE);
    EXPECT_L(l, ml_learner_predict(l, good, 1, 3, x, out, 4, NULL), ML_ERR_SHAPE);
    EXPECT_L(l, ml_learner_predict(l, good, 1, 3, x, out, 3, labels), ML_ERR_INVALID_ARG);
    EXPECT_L(l, ml_learner_predict(l, good, 1, 3, xbad, out, 3, NULL), ML_ERR_NUMERIC);
    EXPECT_L(l, ml_learner_predict(l, wide, 1, 1, x, out, 1, NULL), ML_ERR_SHAPE);
    /* Prediction needs no query set. */
    ck_assert_int_eq(ml_learner_predict(l, noq, 1, 3, x, out, 3, NULL), ML_OK);

    double loss, acc, per[2];
    EXPECT(ml_learner_evaluate(NULL, 1, &good, 1, &loss, &acc, per), ML_ERR_INVALID_ARG);
    EXPECT_L(l, ml_learner_evaluate(l, 0, &good, 1, &loss, &acc, per), ML_ERR_INVALID_ARG);
    EXPECT_L(l, ml_learner_evaluate(l, 1, NULL, 1, &loss, &acc, per), ML_ERR_INVALID_ARG);
    EXPECT_L(l, ml_learner_evaluate(l, 1, &noq, 1, &loss, &acc, per), ML_ERR_INVALID_ARG);
    ml_task *pair[2] = {good, wide};
    EXPECT_L(l, ml_learner_evaluate(l, 2, pair, 1, &loss, &acc, per), ML_ERR_SHAPE);
    ck_assert_int_eq(ml_learner_evaluate(l, 1, &good, 1, &loss, &acc, per), ML_OK);

    ml_task_free(good);
    ml_task_free(wide);
    ml_task_free(noq);
    ml_learner_free(l);
}
END_TEST

/* An adaptation that fails inside predict (Reptile's inner Adam refuses a
 * gradient that overflows to infinity) reports ML_ERR_NUMERIC with its
 * message, in the thread's and in the learner's last error. */
START_TEST(test_predict_adaptation_error_message)
{
    ml_learner *l = learner(ML_STRATEGY_REPTILE);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_REPTILE_INNER_ADAM, 1), ML_OK);
    static const float x[3] = {3, 3, 3}, y[3] = {3e38f, 3e38f, 3e38f};
    ml_task *t = make_reg_task(1, 1, 3, x, y, 3, x, y);
    float out[3];
    EXPECT_L(l, ml_learner_predict(l, t, 2, 3, x, out, 3, NULL), ML_ERR_NUMERIC);
    double loss;
    EXPECT_L(l, ml_learner_evaluate(l, 1, &t, 2, &loss, NULL, NULL), ML_ERR_NUMERIC);
    ml_task_free(t);
    ml_learner_free(l);
}
END_TEST

/* ---------------------------------------------------------------- sampler */

/* y = A sin(x - p) = a sin x + b cos x with a = A cos p, b = -A sin p:
 * least squares over all points of the task gives A and p. */
static void fit_sine(const ml_task *t, double *amp, double *phase, double *resid,
                     double *xmin, double *xmax, double *ymax)
{
    ref_task r;
    ref_task_load(&r, t);
    double s11 = 0, s12 = 0, s22 = 0, r1 = 0, r2 = 0;
    *xmin = INFINITY;
    *xmax = -INFINITY;
    *ymax = 0;
    for (int h = 0; h < 2; h++)
        for (size_t i = 0; i < r.n[h]; i++) {
            double x = r.x[h][i], y = r.y[h][i], s = sin(x), c = cos(x);
            s11 += s * s;
            s12 += s * c;
            s22 += c * c;
            r1 += s * y;
            r2 += c * y;
            *xmin = fmin(*xmin, x);
            *xmax = fmax(*xmax, x);
            *ymax = fmax(*ymax, fabs(y));
        }
    double det = s11 * s22 - s12 * s12;
    double a = (r1 * s22 - r2 * s12) / det, b = (s11 * r2 - s12 * r1) / det;
    *amp = sqrt(a * a + b * b);
    *phase = atan2(-b, a);
    *resid = 0;
    for (int h = 0; h < 2; h++)
        for (size_t i = 0; i < r.n[h]; i++) {
            double x = r.x[h][i];
            *resid = fmax(*resid, fabs(r.y[h][i] - (a * sin(x) + b * cos(x))));
        }
    ref_task_free(&r);
}

START_TEST(test_sine_defaults_and_family)
{
    ml_sampler *s = (ml_sampler *)&s;
    EXPECT(ml_sampler_create_sine(NULL, 1), ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_sampler_create_sine(&s, 12345), ML_OK);
    static const struct {
        int key;
        double value;
    } defaults[] = {
        {ML_SAMPLER_SHOTS, 10},       {ML_SAMPLER_QUERIES, 10},
        {ML_SAMPLER_AMP_MIN, 0.1},    {ML_SAMPLER_AMP_MAX, 5.0},
        {ML_SAMPLER_PHASE_MIN, 0.0},  {ML_SAMPLER_PHASE_MAX, PI},
        {ML_SAMPLER_X_MIN, -5.0},     {ML_SAMPLER_X_MAX, 5.0},
    };
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        double v = NAN;
        ck_assert_int_eq(ml_sampler_get(s, (ml_sampler_param)defaults[i].key, &v), ML_OK);
        ck_assert_msg(fabs(v - defaults[i].value) < 1e-12, "key %d: %g", defaults[i].key, v);
    }
    double amin = INFINITY, amax = 0, pmin = INFINITY, pmax = -INFINITY;
    double xlo = INFINITY, xhi = -INFINITY;
    for (int k = 0; k < 200; k++) {
        ml_task *t;
        ck_assert_int_eq(ml_sampler_sample(s, &t), ML_OK);
        ck_assert_uint_eq(ml_task_size(t, ML_SUPPORT), 10);
        ck_assert_uint_eq(ml_task_size(t, ML_QUERY), 10);
        ck_assert_uint_eq(ml_task_input_size(t), 1);
        ck_assert_uint_eq(ml_task_output_size(t), 1);
        ck_assert_uint_eq(ml_task_num_ways(t), 0);
        double A, p, res, x0, x1, ym;
        fit_sine(t, &A, &p, &res, &x0, &x1, &ym);
        ck_assert_msg(res < 1e-5 * (1 + A), "task %d is not a sine: residual %g", k, res);
        ck_assert_msg(A >= 0.1 - 1e-5 && A <= 5.0 + 1e-5, "amplitude %g", A);
        ck_assert_msg(p >= -1e-5 && p <= PI + 1e-5, "phase %g", p);
        ck_assert(x0 >= -5.0 && x1 <= 5.0);
        ck_assert(ym <= 5.0 + 1e-6);
        amin = fmin(amin, A);
        amax = fmax(amax, A);
        pmin = fmin(pmin, p);
        pmax = fmax(pmax, p);
        xlo = fmin(xlo, x0);
        xhi = fmax(xhi, x1);
        ml_task_free(t);
    }
    /* The whole ranges are used. */
    ck_assert(amin < 0.5 && amax > 4.6);
    ck_assert(pmin < 0.3 && pmax > 2.8);
    ck_assert(xlo < -4.9 && xhi > 4.9);
    ml_sampler_free(s);
}
END_TEST

static int same_task(const ml_task *a, const ml_task *b)
{
    size_t ns = ml_task_size(a, ML_SUPPORT), nq = ml_task_size(a, ML_QUERY);
    if (ns != ml_task_size(b, ML_SUPPORT) || nq != ml_task_size(b, ML_QUERY))
        return 0;
    float fa[64], fb[64];
    int same = 1;
    for (int h = 0; h < 2; h++) {
        size_t n = h ? nq : ns;
        ck_assert_uint_le(n, 64);
        ck_assert_int_eq(ml_task_get_inputs(a, (ml_set)h, fa, n), ML_OK);
        ck_assert_int_eq(ml_task_get_inputs(b, (ml_set)h, fb, n), ML_OK);
        same &= memcmp(fa, fb, n * sizeof(float)) == 0;
        ck_assert_int_eq(ml_task_get_targets(a, (ml_set)h, fa, n), ML_OK);
        ck_assert_int_eq(ml_task_get_targets(b, (ml_set)h, fb, n), ML_OK);
        same &= memcmp(fa, fb, n * sizeof(float)) == 0;
    }
    return same;
}

START_TEST(test_sine_seeds)
{
    ml_sampler *a, *b, *c;
    ck_assert_int_eq(ml_sampler_create_sine(&a, 42), ML_OK);
    ck_assert_int_eq(ml_sampler_create_sine(&b, 42), ML_OK);
    ck_assert_int_eq(ml_sampler_create_sine(&c, 43), ML_OK);
    ml_task *first = NULL;
    for (int k = 0; k < 5; k++) {
        ml_task *ta, *tb, *tc;
        ck_assert_int_eq(ml_sampler_sample(a, &ta), ML_OK);
        ck_assert_int_eq(ml_sampler_sample(b, &tb), ML_OK);
        ck_assert_int_eq(ml_sampler_sample(c, &tc), ML_OK);
        ck_assert(same_task(ta, tb));
        ck_assert(!same_task(ta, tc));
        if (k == 0)
            first = ta;
        else {
            ck_assert(!same_task(ta, first)); /* the stream moves on */
            ml_task_free(ta);
        }
        ml_task_free(tb);
        ml_task_free(tc);
    }
    /* Reseeding restarts the stream. */
    ck_assert_int_eq(ml_sampler_reseed(a, 42), ML_OK);
    ml_task *again;
    ck_assert_int_eq(ml_sampler_sample(a, &again), ML_OK);
    ck_assert(same_task(again, first));
    ml_task_free(again);
    ml_task_free(first);
    EXPECT(ml_sampler_reseed(NULL, 1), ML_ERR_INVALID_ARG);
    ml_sampler_free(a);
    ml_sampler_free(b);
    ml_sampler_free(c);
}
END_TEST

START_TEST(test_sine_settings)
{
    ml_sampler *s;
    ck_assert_int_eq(ml_sampler_create_sine(&s, 5), ML_OK);
    ck_assert_str_eq(ml_sampler_last_error(s), "");
    double v;
    /* Errors: the value is left as it was. */
    static const struct {
        int key;
        double value;
    } bad[] = {
        {ML_SAMPLER_AMP_MIN, 6.0},     /* above the maximum 5 */
        {ML_SAMPLER_AMP_MAX, 0.05},    /* below the minimum 0.1 */
        {ML_SAMPLER_PHASE_MIN, 4.0},
        {ML_SAMPLER_PHASE_MAX, -1.0},
        {ML_SAMPLER_X_MIN, 5.5},
        {ML_SAMPLER_X_MAX, -6.0},
        {ML_SAMPLER_AMP_MAX, NAN},
        {ML_SAMPLER_X_MIN, -INFINITY},
        {ML_SAMPLER_SHOTS, 0},
        {ML_SAMPLER_SHOTS, 2.5},
        {ML_SAMPLER_SHOTS, -3},
        {ML_SAMPLER_SHOTS, 1e9},
        {ML_SAMPLER_SHOTS, NAN},
        {ML_SAMPLER_QUERIES, 1.5},
        {ML_SAMPLER_QUERIES, -1},
        {0, 1},
        {99, 1},
        {106, 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double before = NAN, after = NAN;
        int readable = ml_sampler_get(s, (ml_sampler_param)bad[i].key, &before) == ML_OK;
        EXPECT(ml_sampler_set(s, (ml_sampler_param)bad[i].key, bad[i].value),
               ML_ERR_INVALID_ARG);
        ck_assert_str_ne(ml_sampler_last_error(s), "");
        if (readable) {
            ck_assert_int_eq(ml_sampler_get(s, (ml_sampler_param)bad[i].key, &after), ML_OK);
            ck_assert(after == before);
        }
    }
    EXPECT(ml_sampler_get(s, (ml_sampler_param)99, &v), ML_ERR_INVALID_ARG);
    EXPECT(ml_sampler_get(s, ML_SAMPLER_SHOTS, NULL), ML_ERR_INVALID_ARG);
    EXPECT(ml_sampler_get(NULL, ML_SAMPLER_SHOTS, &v), ML_ERR_INVALID_ARG);
    EXPECT(ml_sampler_set(NULL, ML_SAMPLER_SHOTS, 3), ML_ERR_INVALID_ARG);
    ml_task *t = (ml_task *)&t;
    EXPECT(ml_sampler_sample(NULL, &t), ML_ERR_INVALID_ARG);
    ck_assert_ptr_null(t);
    EXPECT(ml_sampler_sample(s, NULL), ML_ERR_INVALID_ARG);

    /* Round trips, then tasks that follow the new settings. */
    static const struct {
        int key;
        double value;
    } good[] = {
        {ML_SAMPLER_AMP_MAX, 3.0},  {ML_SAMPLER_AMP_MIN, 2.0},  {ML_SAMPLER_PHASE_MAX, 1.5},
        {ML_SAMPLER_PHASE_MIN, 1.0}, {ML_SAMPLER_X_MIN, 0.0},   {ML_SAMPLER_X_MAX, 1.0},
        {ML_SAMPLER_SHOTS, 3},      {ML_SAMPLER_QUERIES, 4},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        ck_assert_int_eq(ml_sampler_set(s, (ml_sampler_param)good[i].key, good[i].value),
                         ML_OK);
        ck_assert_int_eq(ml_sampler_get(s, (ml_sampler_param)good[i].key, &v), ML_OK);
        ck_assert(v == good[i].value);
    }
    for (int k = 0; k < 50; k++) {
        ck_assert_int_eq(ml_sampler_sample(s, &t), ML_OK);
        ck_assert_uint_eq(ml_task_size(t, ML_SUPPORT), 3);
        ck_assert_uint_eq(ml_task_size(t, ML_QUERY), 4);
        double A, p, res, x0, x1, ym;
        fit_sine(t, &A, &p, &res, &x0, &x1, &ym);
        ck_assert(res < 1e-4);
        ck_assert_msg(A >= 2.0 - 1e-4 && A <= 3.0 + 1e-4, "amplitude %g", A);
        ck_assert_msg(p >= 1.0 - 1e-4 && p <= 1.5 + 1e-4, "phase %g", p);
        ck_assert(x0 >= 0.0 && x1 <= 1.0);
        ml_task_free(t);
    }
    /* A range of one value. */
    ck_assert_int_eq(ml_sampler_set(s, ML_SAMPLER_AMP_MIN, 3.0), ML_OK);
    ck_assert_int_eq(ml_sampler_set(s, ML_SAMPLER_X_MIN, -5.0), ML_OK);
    ck_assert_int_eq(ml_sampler_set(s, ML_SAMPLER_X_MAX, 5.0), ML_OK);
    ck_assert_int_eq(ml_sampler_sample(s, &t), ML_OK);
    double A, p, res, x0, x1, ym;
    fit_sine(t, &A, &p, &res, &x0, &x1, &ym);
    ck_assert_double_eq_tol(A, 3.0, 1e-5);
    ml_task_free(t);

    ck_assert_str_eq(ml_sampler_last_error(NULL), "");
    ml_sampler_free(s);
    ml_sampler_free(NULL);
}
END_TEST

static Suite *api_suite(void)
{
    Suite *s = suite_create("meta_api");
    TCase *tc = tcase_create("objects");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_model_errors);
    tcase_add_test(tc, test_task_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("learners");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_learner_create_errors);
    tcase_add_loop_test(tc, test_learner_settings, 0, 5);
    tcase_add_test(tc, test_learner_params_errors);
    tcase_add_loop_test(tc, test_meta_batch_errors, 0, 5);
    tcase_add_test(tc, test_predict_evaluate_errors);
    tcase_add_test(tc, test_predict_adaptation_error_message);
    suite_add_tcase(s, tc);
    tc = tcase_create("sampler");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_sine_defaults_and_family);
    tcase_add_test(tc, test_sine_seeds);
    tcase_add_test(tc, test_sine_settings);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(api_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
