/* The cases of the argument tests: one adapter per public function (its
 * valid call, with S/P/D/I/H marking the arguments a row may replace) and
 * the table of rows.  Expected statuses are the ones each function's
 * comment in metalearn.h documents; queries without a status expect the
 * value documented for NULL or an index out of range. */
#include "api_fixture.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>

/* Row constructors. */
#define R0(fn, want) {#fn, a_##fn, want, {{M_NONE, 0, {0}}}}
#define R(fn, want, ...) {#fn, a_##fn, want, {__VA_ARGS__}}
#define NULLH {M_PTR, 0, {.pv = PV_NULL}}
#define PTR(slot, x) {M_PTR, slot, {.pv = x}}
#define STR(slot, x) {M_STR, slot, {.str = x}}
#define SZ(slot, x) {M_SIZE, slot, {.size = x}}
#define DBL(x) {M_DBL, 0, {.dbl = x}}
#define INT(slot, x) {M_INT, slot, {.i = x}}

#define BIG ((size_t)1 << 33)     /* two of these multiply past 2^64 / 4 */
#define OK ML_OK
#define EINVAL ML_ERR_INVALID_ARG

/* Queries that return strings: 0 for NULL, 1 for "", 2 otherwise (never
 * negative: negative results are statuses). */
static long str_class(const char *s)
{
    return !s ? 0 : s[0] ? 2 : 1;
}

static const size_t SHAPE3[3] = {1, 8, 8}, MLP_SIZES[2] = {8, 1};

/* ---------------------------------------------------------------- version, status */

static long a_ml_version_string(hd_fix *f, const hd_case *c)
{
    (void)f, (void)c;
    return str_class(ml_version_string());
}

static long a_ml_version_number(hd_fix *f, const hd_case *c)
{
    (void)f, (void)c;
    return ml_version_number() == ML_VERSION_NUMBER;
}

static long a_ml_status_str(hd_fix *f, const hd_case *c)
{
    (void)f;
    return str_class(ml_status_str((int)I(0, ML_ERR_NOMEM)));
}

static long a_ml_last_error(hd_fix *f, const hd_case *c)
{
    (void)f, (void)c;
    return ml_last_error() != NULL;
}

/* ---------------------------------------------------------------- models */

static long a_ml_model_create(hd_fix *f, const hd_case *c)
{
    return ml_model_create(P(0, &f->o_model), S(0, 3), P(1, SHAPE3));
}

static long a_ml_model_add_dense(hd_fix *f, const hd_case *c)
{
    return ml_model_add_dense(H(HK_MODEL, f->model), S(0, 4));
}

static long a_ml_model_add_activation(hd_fix *f, const hd_case *c)
{
    return ml_model_add_activation(H(HK_MODEL, f->model), I(0, ML_LAYER_RELU));
}

static long a_ml_model_add_conv2d(hd_fix *f, const hd_case *c)
{
    return ml_model_add_conv2d(H(HK_MODEL, f->conv_model), S(0, 2), S(1, 3), S(2, 1),
                               S(3, 1));
}

static long a_ml_model_add_maxpool(hd_fix *f, const hd_case *c)
{
    return ml_model_add_maxpool(H(HK_MODEL, f->conv_model), S(0, 2));
}

static long a_ml_model_add_batchnorm(hd_fix *f, const hd_case *c)
{
    return ml_model_add_batchnorm(H(HK_MODEL, f->model));
}

static long a_ml_model_add_flatten(hd_fix *f, const hd_case *c)
{
    return ml_model_add_flatten(H(HK_MODEL, f->conv_model));
}

static long a_ml_model_create_conv4(hd_fix *f, const hd_case *c)
{
    return ml_model_create_conv4(P(0, &f->o_model), S(0, 1), S(1, 8), S(2, 8), S(3, 2),
                                 S(4, 2), S(5, 3));
}

static long a_ml_model_create_conv4_maps(hd_fix *f, const hd_case *c)
{
    return ml_model_create_conv4_maps(P(0, &f->o_model), S(0, 1), S(1, 8), S(2, 8),
                                      S(3, 2), S(4, 3), S(5, 2));
}

static long a_ml_model_create_mlp(hd_fix *f, const hd_case *c)
{
    return ml_model_create_mlp(P(0, &f->o_model), S(0, 1), S(1, 2), P(1, MLP_SIZES),
                               I(0, ML_LAYER_TANH));
}

static long a_ml_model_free(hd_fix *f, const hd_case *c)
{
    ml_model_free(hd_mutates_ptr(c, 0) ? P(0, NULL) : hd_mlp());
    return 0;
}

static long a_ml_model_num_layers(hd_fix *f, const hd_case *c)
{
    return (long)ml_model_num_layers(H(HK_MODEL, f->model));
}

static long a_ml_model_layer_kind(hd_fix *f, const hd_case *c)
{
    return ml_model_layer_kind(H(HK_MODEL, f->model), S(0, 1));
}

static long a_ml_model_input_size(hd_fix *f, const hd_case *c)
{
    return (long)ml_model_input_size(H(HK_MODEL, f->conv_model));
}

static long a_ml_model_output_size(hd_fix *f, const hd_case *c)
{
    return (long)ml_model_output_size(H(HK_MODEL, f->model));
}

static long a_ml_model_num_params(hd_fix *f, const hd_case *c)
{
    return (long)ml_model_num_params(H(HK_MODEL, f->model));
}

static long a_ml_model_describe(hd_fix *f, const hd_case *c)
{
    return ml_model_describe(H(HK_MODEL, f->model), P(1, f->cbuf), S(0, sizeof f->cbuf),
                             P(2, &f->z));
}

static long a_ml_model_last_error(hd_fix *f, const hd_case *c)
{
    return ml_model_last_error(H(HK_MODEL, f->model)) != NULL;
}

/* ---------------------------------------------------------------- tasks */

static long a_ml_task_create_regression(hd_fix *f, const hd_case *c)
{
    return ml_task_create_regression(P(0, &f->o_task), S(0, 1), S(1, 1), S(2, 3),
                                     P(1, f->fbuf), P(2, f->fbuf), S(3, 2),
                                     P(3, f->fbuf), P(4, f->fbuf));
}

static long a_ml_task_create_classification(hd_fix *f, const hd_case *c)
{
    return ml_task_create_classification(P(0, &f->o_task), S(0, 4), S(1, 2), S(2, 4),
                                         P(1, f->fbuf), P(2, f->ibuf), S(3, 2),
                                         P(3, f->fbuf), P(4, f->ibuf));
}

static long a_ml_task_free(hd_fix *f, const hd_case *c)
{
    ml_task *t = NULL;
    if (!hd_mutates_ptr(c, 0))
        ck_assert_int_eq(ml_task_create_regression(&t, 1, 1, 1, f->fbuf, f->fbuf, 0, NULL,
                                                   NULL),
                         ML_OK);
    ml_task_free(hd_mutates_ptr(c, 0) ? P(0, NULL) : t);
    return 0;
}

static long a_ml_task_size(hd_fix *f, const hd_case *c)
{
    return (long)ml_task_size(H(HK_TASK, f->reg), I(0, ML_SUPPORT));
}

static long a_ml_task_input_size(hd_fix *f, const hd_case *c)
{
    return (long)ml_task_input_size(H(HK_TASK, f->cls));
}

static long a_ml_task_output_size(hd_fix *f, const hd_case *c)
{
    return (long)ml_task_output_size(H(HK_TASK, f->reg));
}

static long a_ml_task_num_ways(hd_fix *f, const hd_case *c)
{
    return (long)ml_task_num_ways(H(HK_TASK, f->cls));
}

static long a_ml_task_get_inputs(hd_fix *f, const hd_case *c)
{
    return ml_task_get_inputs(H(HK_TASK, f->reg), I(0, ML_QUERY), P(1, f->fout), S(0, 2));
}

static long a_ml_task_get_targets(hd_fix *f, const hd_case *c)
{
    return ml_task_get_targets(H(HK_TASK, f->reg), I(0, ML_SUPPORT), P(1, f->fout),
                               S(0, 3));
}

static long a_ml_task_get_labels(hd_fix *f, const hd_case *c)
{
    return ml_task_get_labels(H(HK_TASK, f->cls), I(0, ML_SUPPORT), P(1, f->iout),
                              S(0, 2));
}

/* ---------------------------------------------------------------- samplers */

static long a_ml_sampler_create_sine(hd_fix *f, const hd_case *c)
{
    return ml_sampler_create_sine(P(0, &f->o_sampler), S(0, 7));
}

static long a_ml_sampler_create_episodes(hd_fix *f, const hd_case *c)
{
    return ml_sampler_create_episodes(P(0, &f->o_sampler), P(1, f->dataset), S(0, 7));
}

static long a_ml_sampler_set(hd_fix *f, const hd_case *c)
{
    return ml_sampler_set(H(HK_SAMPLER, f->sine), I(0, ML_SAMPLER_SHOTS), D(4));
}

static long a_ml_sampler_get(hd_fix *f, const hd_case *c)
{
    return ml_sampler_get(H(HK_SAMPLER, f->sine), I(0, ML_SAMPLER_AMP_MAX), P(1, &f->d));
}

static long a_ml_sampler_reseed(hd_fix *f, const hd_case *c)
{
    return ml_sampler_reseed(H(HK_SAMPLER, f->sine), S(0, 9));
}

static long a_ml_sampler_sample(hd_fix *f, const hd_case *c)
{
    return ml_sampler_sample(H(HK_SAMPLER, f->sine), P(1, &f->o_task));
}

static long a_ml_sampler_free(hd_fix *f, const hd_case *c)
{
    ml_sampler *s = NULL;
    if (!hd_mutates_ptr(c, 0))
        ck_assert_int_eq(ml_sampler_create_episodes(&s, f->dataset, 1), ML_OK);
    ml_sampler_free(hd_mutates_ptr(c, 0) ? P(0, NULL) : s);
    return 0;
}

static long a_ml_sampler_last_error(hd_fix *f, const hd_case *c)
{
    return ml_sampler_last_error(H(HK_SAMPLER, f->sine)) != NULL;
}

/* ---------------------------------------------------------------- data sets */

static long a_ml_dataset_create(hd_fix *f, const hd_case *c)
{
    return ml_dataset_create(P(0, &f->o_dataset), S(0, 2), S(1, 3), P(1, SHAPE3),
                             P(2, f->fbuf), P(3, f->ibuf));
}

static long a_ml_dataset_load_images(hd_fix *f, const hd_case *c)
{
    return ml_dataset_load_images(P(0, &f->o_dataset), P(1, hd_images_dir()), S(0, 4),
                                  (int)I(0, 1));
}

static long a_ml_dataset_load_idx(hd_fix *f, const hd_case *c)
{
    return ml_dataset_load_idx(P(0, &f->o_dataset), P(1, hd_idx_path(0)),
                               P(2, hd_idx_path(1)));
}

static long a_ml_dataset_free(hd_fix *f, const hd_case *c)
{
    ml_dataset_free(hd_mutates_ptr(c, 0) ? P(0, NULL) : hd_image_dataset(2, 2, 1));
    return 0;
}

static long a_ml_dataset_size(hd_fix *f, const hd_case *c)
{
    return (long)ml_dataset_size(H(HK_DATASET, f->dataset));
}

static long a_ml_dataset_num_classes(hd_fix *f, const hd_case *c)
{
    return (long)ml_dataset_num_classes(H(HK_DATASET, f->dataset));
}

static long a_ml_dataset_input_size(hd_fix *f, const hd_case *c)
{
    return (long)ml_dataset_input_size(H(HK_DATASET, f->dataset));
}

static long a_ml_dataset_shape(hd_fix *f, const hd_case *c)
{
    return ml_dataset_shape(H(HK_DATASET, f->dataset), P(1, &f->z), P(2, f->zs));
}

static long a_ml_dataset_class_name(hd_fix *f, const hd_case *c)
{
    return str_class(ml_dataset_class_name(H(HK_DATASET, f->dataset), S(0, 3)));
}

static long a_ml_dataset_class_group(hd_fix *f, const hd_case *c)
{
    return str_class(ml_dataset_class_group(H(HK_DATASET, f->dataset), S(0, 3)));
}

static long a_ml_dataset_get(hd_fix *f, const hd_case *c)
{
    return ml_dataset_get(H(HK_DATASET, f->dataset), S(0, 15), P(1, f->fout), S(1, 64),
                          P(2, &f->k));
}

static long a_ml_dataset_split(hd_fix *f, const hd_case *c)
{
    return ml_dataset_split(H(HK_DATASET, f->dataset), I(0, ML_SPLIT_FRACTION),
                            P(1, "0.5"), S(0, 3), P(2, &f->o_dataset),
                            P(3, &f->o_dataset2));
}

static long a_ml_dataset_last_error(hd_fix *f, const hd_case *c)
{
    return ml_dataset_last_error(H(HK_DATASET, f->dataset)) != NULL;
}

/* ---------------------------------------------------------------- optimisers */

static long a_ml_optimizer_create(hd_fix *f, const hd_case *c)
{
    return ml_optimizer_create(P(0, &f->o_opt), I(0, ML_OPTIMIZER_RMSPROP));
}

static long a_ml_optimizer_set(hd_fix *f, const hd_case *c)
{
    return ml_optimizer_set(H(HK_OPTIMIZER, f->opt), I(0, ML_OPT_MOMENTUM), D(0.5));
}

static long a_ml_optimizer_get(hd_fix *f, const hd_case *c)
{
    return ml_optimizer_get(H(HK_OPTIMIZER, f->opt), I(0, ML_OPT_LR), P(1, &f->d));
}

static long a_ml_optimizer_kind_of(hd_fix *f, const hd_case *c)
{
    return ml_optimizer_kind_of(H(HK_OPTIMIZER, f->opt));
}

static long a_ml_optimizer_step(hd_fix *f, const hd_case *c)
{
    return ml_optimizer_step(H(HK_OPTIMIZER, f->opt), S(0, 4), P(1, f->pbuf),
                             P(2, f->gbuf));
}

static long a_ml_optimizer_reset(hd_fix *f, const hd_case *c)
{
    return ml_optimizer_reset(H(HK_OPTIMIZER, f->opt));
}

static long a_ml_optimizer_free(hd_fix *f, const hd_case *c)
{
    ml_optimizer *o = NULL;
    if (!hd_mutates_ptr(c, 0)) {
        ck_assert_int_eq(ml_optimizer_create(&o, ML_OPTIMIZER_ADAM), ML_OK);
        ck_assert_int_eq(ml_optimizer_step(o, 3, f->pbuf, f->gbuf), ML_OK);
    }
    ml_optimizer_free(hd_mutates_ptr(c, 0) ? P(0, NULL) : o);
    return 0;
}

static long a_ml_optimizer_last_error(hd_fix *f, const hd_case *c)
{
    return ml_optimizer_last_error(H(HK_OPTIMIZER, f->opt)) != NULL;
}

/* ---------------------------------------------------------------- the learned optimiser */

/* A caller's family: f(theta) = sum theta^2 from theta0 = seed / 10. */
static int cb_sample(void *user, uint64_t seed, size_t n, float *theta0, void **problem)
{
    (void)user;
    for (size_t i = 0; i < n; i++)
        theta0[i] = (float)(seed % 7) / 10.0f + (float)i;
    *problem = NULL;
    return 0;
}

static int cb_objective(void *user, void *problem, size_t n, const float *theta, float *grad,
                        double *value)
{
    (void)user, (void)problem;
    *value = 0;
    for (size_t i = 0; i < n; i++) {
        *value += (double)theta[i] * theta[i];
        grad[i] = 2 * theta[i];
    }
    return 0;
}

static void cb_release(void *user, void *problem)
{
    (void)user, (void)problem;
}

static long a_ml_problems_create_quadratic(hd_fix *f, const hd_case *c)
{
    return ml_problems_create_quadratic(P(0, &f->o_problems), S(0, 4));
}

static long a_ml_problems_create_mlp(hd_fix *f, const hd_case *c)
{
    return ml_problems_create_mlp(P(0, &f->o_problems), P(1, f->dataset), S(0, 4), S(1, 8));
}

static long a_ml_problems_create_callback(hd_fix *f, const hd_case *c)
{
    /* (Function pointers do not pass through void *.) */
    return ml_problems_create_callback(P(0, &f->o_problems), S(0, 3),
                                       hd_mutates_ptr(c, 1) ? NULL : cb_sample,
                                       hd_mutates_ptr(c, 2) ? NULL : cb_objective,
                                       hd_mutates_ptr(c, 3) ? NULL : cb_release,
                                       P(4, f));
}

static long a_ml_problems_dim(hd_fix *f, const hd_case *c)
{
    return (long)ml_problems_dim(P(0, f->quad));
}

static long a_ml_problems_run(hd_fix *f, const hd_case *c)
{
    return ml_problems_run(P(0, f->quad), HS(1, HK_OPTIMIZER, f->opt), S(0, 3), S(1, 5),
                           P(2, f->dout));
}

static long a_ml_problems_free(hd_fix *f, const hd_case *c)
{
    ml_problems *p = NULL;
    if (!hd_mutates_ptr(c, 0))
        ck_assert_int_eq(ml_problems_create_quadratic(&p, 3), ML_OK);
    ml_problems_free(hd_mutates_ptr(c, 0) ? P(0, NULL) : p);
    return 0;
}

static long a_ml_optimizer_meta_step(hd_fix *f, const hd_case *c)
{
    return ml_optimizer_meta_step(H(HK_OPTIMIZER, f->lstm_opt), P(1, f->quad), P(2, &f->d));
}

static long a_ml_optimizer_num_weights(hd_fix *f, const hd_case *c)
{
    return (long)ml_optimizer_num_weights(H(HK_OPTIMIZER, f->lstm_opt));
}

static long a_ml_optimizer_get_weights(hd_fix *f, const hd_case *c)
{
    return ml_optimizer_get_weights(H(HK_OPTIMIZER, f->lstm_opt), P(1, f->fout),
                                    S(0, HD_LSTM_WEIGHTS));
}

static long a_ml_optimizer_set_weights(hd_fix *f, const hd_case *c)
{
    return ml_optimizer_set_weights(H(HK_OPTIMIZER, f->lstm_opt), P(1, f->pbuf),
                                    S(0, HD_LSTM_WEIGHTS));
}

static long a_ml_optimizer_save(hd_fix *f, const hd_case *c)
{
    return ml_optimizer_save(H(HK_OPTIMIZER, f->lstm_opt), P(1, hd_opt_save_path()));
}

static long a_ml_optimizer_save_buffer(hd_fix *f, const hd_case *c)
{
    return ml_optimizer_save_buffer(H(HK_OPTIMIZER, f->lstm_opt), P(1, f->sbuf),
                                    S(0, sizeof f->sbuf), P(2, &f->z));
}

static long a_ml_optimizer_load(hd_fix *f, const hd_case *c)
{
    return ml_optimizer_load(P(0, &f->o_opt), P(1, hd_opt_save_path()));
}

static long a_ml_optimizer_load_buffer(hd_fix *f, const hd_case *c)
{
    size_t n;
    const unsigned char *bytes = hd_opt_bytes(&n);
    return ml_optimizer_load_buffer(P(0, &f->o_opt), P(1, bytes), S(0, n));
}

/* ---------------------------------------------------------------- learners */

static long a_ml_learner_create(hd_fix *f, const hd_case *c)
{
    return ml_learner_create(P(0, &f->o_learner), P(1, f->model),
                             I(0, ML_STRATEGY_METASGD), S(0, 5));
}

static long a_ml_learner_free(hd_fix *f, const hd_case *c)
{
    ml_learner_free(hd_mutates_ptr(c, 0) ? P(0, NULL) : hd_learner(ML_STRATEGY_REPTILE, 2));
    return 0;
}

static long a_ml_learner_last_error(hd_fix *f, const hd_case *c)
{
    return ml_learner_last_error(H(HK_LEARNER, f->learner)) != NULL;
}

static long a_ml_learner_strategy(hd_fix *f, const hd_case *c)
{
    return ml_learner_strategy(H(HK_LEARNER, f->learner));
}

static long a_ml_learner_model(hd_fix *f, const hd_case *c)
{
    return ml_learner_model(H(HK_LEARNER, f->learner)) != NULL;
}

static long a_ml_learner_set(hd_fix *f, const hd_case *c)
{
    return ml_learner_set(H(HK_LEARNER, f->learner), I(0, ML_LEARNER_INNER_LR), D(0.05));
}

static long a_ml_learner_get(hd_fix *f, const hd_case *c)
{
    return ml_learner_get(H(HK_LEARNER, f->learner), I(0, ML_LEARNER_ITERATION),
                          P(1, &f->d));
}

static long a_ml_learner_set_optimizer(hd_fix *f, const hd_case *c)
{
    return ml_learner_set_optimizer(H(HK_LEARNER, f->learner), P(1, f->opt));
}

static long a_ml_learner_set_inner_optimizer(hd_fix *f, const hd_case *c)
{
    return ml_learner_set_inner_optimizer(H(HK_LEARNER, f->lstm_learner), P(1, f->lstm_opt));
}

static long a_ml_learner_num_meta_params(hd_fix *f, const hd_case *c)
{
    return (long)ml_learner_num_meta_params(H(HK_LEARNER, f->learner));
}

static long a_ml_learner_get_meta_params(hd_fix *f, const hd_case *c)
{
    return ml_learner_get_meta_params(H(HK_LEARNER, f->learner), P(1, f->fout), S(0, 25));
}

static long a_ml_learner_set_meta_params(hd_fix *f, const hd_case *c)
{
    return ml_learner_set_meta_params(H(HK_LEARNER, f->learner), P(1, f->pbuf), S(0, 25));
}

static long a_ml_learner_meta_step(hd_fix *f, const hd_case *c)
{
    return ml_learner_meta_step(H(HK_LEARNER, f->learner), S(0, 2), P(1, f->tasks),
                                P(2, &f->d));
}

static long a_ml_learner_meta_gradient(hd_fix *f, const hd_case *c)
{
    return ml_learner_meta_gradient(H(HK_LEARNER, f->learner), S(0, 2), P(1, f->tasks),
                                    P(2, f->fout), S(1, 25), P(3, &f->d));
}

static long a_ml_learner_meta_gradient_parts(hd_fix *f, const hd_case *c)
{
    return ml_learner_meta_gradient_parts(H(HK_LEARNER, f->learner), S(0, 2), P(1, f->tasks),
                                          P(2, f->zs), S(1, 3), P(3, &f->z));
}

/* Part 0 of the fixture's two tasks of the same sizes: one part, 2 tasks. */
static long a_ml_learner_meta_gradient_partial(hd_fix *f, const hd_case *c)
{
    return ml_learner_meta_gradient_partial(H(HK_LEARNER, f->learner), S(0, 2),
                                            P(1, f->tasks), S(1, 0), S(2, 1), P(2, f->fout),
                                            S(3, 25), P(3, f->dout), S(4, 2));
}

static long a_ml_learner_apply_gradient(hd_fix *f, const hd_case *c)
{
    return ml_learner_apply_gradient(H(HK_LEARNER, f->learner), P(1, f->gbuf), S(0, 25));
}

static long a_ml_learner_predict(hd_fix *f, const hd_case *c)
{
    return ml_learner_predict(H(HK_LEARNER, f->learner), P(1, f->reg), (int)I(0, -1),
                              S(0, 4), P(2, f->fbuf), P(3, f->fout), S(1, 4), P(4, NULL));
}

static long a_ml_learner_evaluate(hd_fix *f, const hd_case *c)
{
    return ml_learner_evaluate(H(HK_LEARNER, f->learner), S(0, 2), P(1, f->tasks),
                               (int)I(0, 3), P(2, &f->d), P(3, &f->d2), P(4, f->dout));
}

static long a_ml_learner_save(hd_fix *f, const hd_case *c)
{
    return ml_learner_save(H(HK_LEARNER, f->learner), P(1, hd_save_path()));
}

static long a_ml_learner_save_buffer(hd_fix *f, const hd_case *c)
{
    return ml_learner_save_buffer(H(HK_LEARNER, f->learner), P(1, f->sbuf),
                                  S(0, sizeof f->sbuf), P(2, &f->z));
}

static long a_ml_learner_load(hd_fix *f, const hd_case *c)
{
    return ml_learner_load(P(0, &f->o_learner), P(1, hd_save_path()));
}

static long a_ml_learner_load_buffer(hd_fix *f, const hd_case *c)
{
    size_t n;
    const unsigned char *bytes = hd_saved_bytes(&n);
    return ml_learner_load_buffer(P(0, &f->o_learner), P(1, bytes), S(0, n));
}

/* ---------------------------------------------------------------- the table */

const hd_case hd_cases[] = {
    R0(ml_version_string, 2),
    R0(ml_version_number, 1),
    R0(ml_status_str, 2),
    R(ml_status_str, 2, INT(0, ML_OK)),
    R(ml_status_str, 2, INT(0, 12345)),
    R(ml_status_str, 2, INT(0, INT_MIN)),
    R(ml_status_str, 2, INT(0, INT_MAX)),
    R0(ml_last_error, 1),

    R0(ml_model_create, OK),
    R(ml_model_create, EINVAL, NULLH),
    R(ml_model_create, EINVAL, PTR(1, PV_NULL)),
    R(ml_model_create, EINVAL, SZ(0, 0)),
    R(ml_model_create, EINVAL, SZ(0, 4)),
    R(ml_model_create, EINVAL, SZ(0, SIZE_MAX)),
    R(ml_model_create, EINVAL, PTR(1, PV_ZERO_SHAPE)),
    R(ml_model_create, EINVAL, PTR(1, PV_HUGE_SHAPE)),
    R(ml_model_create, EINVAL, PTR(1, PV_OVF_SHAPE)),

    R0(ml_model_add_dense, OK),
    R(ml_model_add_dense, EINVAL, NULLH),
    R(ml_model_add_dense, EINVAL, SZ(0, 0)),
    R(ml_model_add_dense, EINVAL, SZ(0, ((size_t)1 << 24) + 1)),
    R(ml_model_add_dense, EINVAL, SZ(0, SIZE_MAX)),

    R0(ml_model_add_activation, OK),
    R(ml_model_add_activation, EINVAL, NULLH),
    R(ml_model_add_activation, EINVAL, INT(0, ML_LAYER_DENSE)),
    R(ml_model_add_activation, EINVAL, INT(0, 0)),
    R(ml_model_add_activation, EINVAL, INT(0, -1)),
    R(ml_model_add_activation, EINVAL, INT(0, 99)),
    R(ml_model_add_activation, EINVAL, INT(0, INT_MIN)),

    R0(ml_model_add_conv2d, OK),
    R(ml_model_add_conv2d, EINVAL, NULLH),
    R(ml_model_add_conv2d, EINVAL, PTR(0, PV_DENSE_MODEL)),
    R(ml_model_add_conv2d, EINVAL, SZ(0, 0)),
    R(ml_model_add_conv2d, EINVAL, SZ(0, 4097)),
    R(ml_model_add_conv2d, EINVAL, SZ(0, SIZE_MAX)),
    R(ml_model_add_conv2d, EINVAL, SZ(1, 0)),
    R(ml_model_add_conv2d, EINVAL, SZ(1, 16)),
    R(ml_model_add_conv2d, EINVAL, SZ(1, SIZE_MAX)),
    R(ml_model_add_conv2d, EINVAL, SZ(2, 0)),
    R(ml_model_add_conv2d, EINVAL, SZ(3, 3)),
    R(ml_model_add_conv2d, EINVAL, SZ(3, SIZE_MAX)),
    R(ml_model_add_conv2d, EINVAL, SZ(1, 9), SZ(3, 0)), /* output smaller than 1x1 */

    R0(ml_model_add_maxpool, OK),
    R(ml_model_add_maxpool, EINVAL, NULLH),
    R(ml_model_add_maxpool, EINVAL, PTR(0, PV_DENSE_MODEL)),
    R(ml_model_add_maxpool, EINVAL, SZ(0, 0)),
    R(ml_model_add_maxpool, EINVAL, SZ(0, 9)),
    R(ml_model_add_maxpool, EINVAL, SZ(0, SIZE_MAX)),

    R0(ml_model_add_batchnorm, OK),
    R(ml_model_add_batchnorm, EINVAL, NULLH),
    R0(ml_model_add_flatten, OK),
    R(ml_model_add_flatten, EINVAL, NULLH),

    R0(ml_model_create_conv4, OK),
    R(ml_model_create_conv4, EINVAL, NULLH),
    R(ml_model_create_conv4, EINVAL, SZ(0, 0)),
    R(ml_model_create_conv4, EINVAL, SZ(1, SIZE_MAX)),
    R(ml_model_create_conv4, EINVAL, SZ(0, (size_t)1 << 12), SZ(1, (size_t)1 << 12)),
    R(ml_model_create_conv4, EINVAL, SZ(3, 0)),
    R(ml_model_create_conv4, EINVAL, SZ(3, SIZE_MAX)),
    R(ml_model_create_conv4, EINVAL, SZ(4, 0)),
    R(ml_model_create_conv4, EINVAL, SZ(4, 17)),
    R(ml_model_create_conv4, EINVAL, SZ(4, SIZE_MAX)),
    R(ml_model_create_conv4, EINVAL, SZ(5, SIZE_MAX)),

    R0(ml_model_create_conv4_maps, OK),
    R(ml_model_create_conv4_maps, OK, SZ(5, 0)),
    R(ml_model_create_conv4_maps, OK, SZ(5, 3)),
    R(ml_model_create_conv4_maps, EINVAL, NULLH),
    R(ml_model_create_conv4_maps, EINVAL, SZ(0, 0)),
    R(ml_model_create_conv4_maps, EINVAL, SZ(1, SIZE_MAX)),
    R(ml_model_create_conv4_maps, EINVAL, SZ(0, (size_t)1 << 12), SZ(1, (size_t)1 << 12)),
    R(ml_model_create_conv4_maps, EINVAL, SZ(3, 0)),
    R(ml_model_create_conv4_maps, EINVAL, SZ(3, SIZE_MAX)),
    R(ml_model_create_conv4_maps, EINVAL, SZ(4, 0)),
    R(ml_model_create_conv4_maps, EINVAL, SZ(4, 17)),
    R(ml_model_create_conv4_maps, EINVAL, SZ(4, SIZE_MAX)),
    R(ml_model_create_conv4_maps, EINVAL, SZ(5, 4)),
    R(ml_model_create_conv4_maps, EINVAL, SZ(5, SIZE_MAX)),

    R0(ml_model_create_mlp, OK),
    R(ml_model_create_mlp, EINVAL, NULLH),
    R(ml_model_create_mlp, EINVAL, PTR(1, PV_NULL)),
    R(ml_model_create_mlp, EINVAL, SZ(0, 0)),
    R(ml_model_create_mlp, EINVAL, SZ(0, SIZE_MAX)),
    R(ml_model_create_mlp, EINVAL, SZ(1, 0)),
    R(ml_model_create_mlp, EINVAL, PTR(1, PV_ZERO_SHAPE)),
    R(ml_model_create_mlp, EINVAL, PTR(1, PV_HUGE_SHAPE)),
    R(ml_model_create_mlp, EINVAL, INT(0, ML_LAYER_DENSE)),
    R(ml_model_create_mlp, EINVAL, INT(0, -7)),

    R0(ml_model_free, 0),
    R(ml_model_free, 0, NULLH),
    R0(ml_model_num_layers, 3),
    R(ml_model_num_layers, 0, NULLH),
    R0(ml_model_layer_kind, ML_LAYER_TANH),
    R(ml_model_layer_kind, 0, NULLH),
    R(ml_model_layer_kind, 0, SZ(0, 3)),
    R(ml_model_layer_kind, 0, SZ(0, SIZE_MAX)),
    R0(ml_model_input_size, 64),
    R(ml_model_input_size, 0, NULLH),
    R0(ml_model_output_size, 1),
    R(ml_model_output_size, 0, NULLH),
    R(ml_model_output_size, 0, PTR(0, PV_EMPTY_MODEL)),
    R0(ml_model_num_params, 25),
    R(ml_model_num_params, 0, NULLH),

    R0(ml_model_describe, OK),
    R(ml_model_describe, EINVAL, NULLH),
    R(ml_model_describe, EINVAL, PTR(1, PV_NULL)),
    R(ml_model_describe, OK, PTR(1, PV_NULL), SZ(0, 0)),
    R(ml_model_describe, OK, PTR(2, PV_NULL)),
    R(ml_model_describe, ML_ERR_RANGE, SZ(0, 1)),
    R(ml_model_describe, ML_ERR_RANGE, SZ(0, 6)),
    R0(ml_model_last_error, 1),
    R(ml_model_last_error, 1, NULLH),

    R0(ml_task_create_regression, OK),
    R(ml_task_create_regression, EINVAL, NULLH),
    R(ml_task_create_regression, EINVAL, SZ(0, 0)),
    R(ml_task_create_regression, EINVAL, SZ(1, 0)),
    R(ml_task_create_regression, EINVAL, SZ(2, 0)),
    R(ml_task_create_regression, EINVAL, SZ(0, SIZE_MAX)),
    R(ml_task_create_regression, EINVAL, SZ(1, SIZE_MAX)),
    R(ml_task_create_regression, EINVAL, SZ(2, SIZE_MAX)),
    R(ml_task_create_regression, EINVAL, SZ(3, SIZE_MAX)),
    R(ml_task_create_regression, EINVAL, SZ(0, BIG), SZ(2, BIG)),
    R(ml_task_create_regression, EINVAL, PTR(1, PV_NULL)),
    R(ml_task_create_regression, EINVAL, PTR(2, PV_NULL)),
    R(ml_task_create_regression, EINVAL, PTR(3, PV_NULL)),
    R(ml_task_create_regression, EINVAL, PTR(4, PV_NULL)),
    R(ml_task_create_regression, OK, SZ(3, 0), PTR(3, PV_NULL)),
    R(ml_task_create_regression, ML_ERR_NUMERIC, PTR(1, PV_NAN)),
    R(ml_task_create_regression, ML_ERR_NUMERIC, PTR(2, PV_INF)),
    R(ml_task_create_regression, ML_ERR_NUMERIC, PTR(3, PV_INF)),
    R(ml_task_create_regression, ML_ERR_NUMERIC, PTR(4, PV_NAN)),

    R0(ml_task_create_classification, OK),
    R(ml_task_create_classification, EINVAL, NULLH),
    R(ml_task_create_classification, EINVAL, SZ(0, 0)),
    R(ml_task_create_classification, EINVAL, SZ(1, 0)),
    R(ml_task_create_classification, EINVAL, SZ(2, 0)),
    R(ml_task_create_classification, EINVAL, SZ(1, SIZE_MAX)),
    R(ml_task_create_classification, EINVAL, SZ(2, SIZE_MAX)),
    R(ml_task_create_classification, EINVAL, SZ(0, BIG), SZ(2, BIG)),
    R(ml_task_create_classification, EINVAL, PTR(1, PV_NULL)),
    R(ml_task_create_classification, EINVAL, PTR(2, PV_NULL)),
    R(ml_task_create_classification, EINVAL, PTR(4, PV_NULL)),
    R(ml_task_create_classification, ML_ERR_RANGE, PTR(2, PV_NEG_LABELS)),
    R(ml_task_create_classification, ML_ERR_RANGE, PTR(4, PV_BIG_LABELS)),
    R(ml_task_create_classification, ML_ERR_NUMERIC, PTR(1, PV_NAN)),
    R(ml_task_create_classification, ML_ERR_NUMERIC, PTR(3, PV_INF)),

    R0(ml_task_free, 0),
    R(ml_task_free, 0, NULLH),
    R0(ml_task_size, 3),
    R(ml_task_size, 2, INT(0, ML_QUERY)),
    R(ml_task_size, 0, NULLH),
    R(ml_task_size, 0, INT(0, 2)),
    R(ml_task_size, 0, INT(0, -1)),
    R0(ml_task_input_size, 64),
    R(ml_task_input_size, 0, NULLH),
    R0(ml_task_output_size, 1),
    R(ml_task_output_size, 0, NULLH),
    R0(ml_task_num_ways, 2),
    R(ml_task_num_ways, 0, NULLH),
    R(ml_task_num_ways, 0, PTR(0, PV_REG_TASK)),

    R0(ml_task_get_inputs, OK),
    R(ml_task_get_inputs, EINVAL, NULLH),
    R(ml_task_get_inputs, EINVAL, PTR(1, PV_NULL)),
    R(ml_task_get_inputs, EINVAL, INT(0, 2)),
    R(ml_task_get_inputs, EINVAL, INT(0, -1)),
    R(ml_task_get_inputs, ML_ERR_SHAPE, SZ(0, 0)),
    R(ml_task_get_inputs, ML_ERR_SHAPE, SZ(0, 3)),
    R(ml_task_get_inputs, ML_ERR_SHAPE, SZ(0, SIZE_MAX)),
    R0(ml_task_get_targets, OK),
    R(ml_task_get_targets, EINVAL, NULLH),
    R(ml_task_get_targets, EINVAL, PTR(1, PV_NULL)),
    R(ml_task_get_targets, EINVAL, INT(0, 7)),
    R(ml_task_get_targets, ML_ERR_SHAPE, SZ(0, SIZE_MAX)),
    R(ml_task_get_targets, ML_ERR_UNSUPPORTED, PTR(0, PV_CLS_TASK)),
    R0(ml_task_get_labels, OK),
    R(ml_task_get_labels, EINVAL, NULLH),
    R(ml_task_get_labels, EINVAL, PTR(1, PV_NULL)),
    R(ml_task_get_labels, EINVAL, INT(0, INT_MAX)),
    R(ml_task_get_labels, ML_ERR_SHAPE, SZ(0, SIZE_MAX)),
    R(ml_task_get_labels, ML_ERR_UNSUPPORTED, PTR(0, PV_REG_TASK)),

    R0(ml_sampler_create_sine, OK),
    R(ml_sampler_create_sine, EINVAL, NULLH),
    R(ml_sampler_create_sine, OK, SZ(0, 0)),
    R(ml_sampler_create_sine, OK, SZ(0, SIZE_MAX)),
    R0(ml_sampler_create_episodes, OK),
    R(ml_sampler_create_episodes, EINVAL, NULLH),
    R(ml_sampler_create_episodes, EINVAL, PTR(1, PV_NULL)),
    R(ml_sampler_create_episodes, OK, SZ(0, 0)),
    R(ml_sampler_create_episodes, OK, SZ(0, SIZE_MAX)),

    R0(ml_sampler_set, OK),
    R(ml_sampler_set, EINVAL, NULLH),
    R(ml_sampler_set, EINVAL, DBL(NAN)),
    R(ml_sampler_set, EINVAL, DBL(INFINITY)),
    R(ml_sampler_set, EINVAL, DBL(-INFINITY)),
    R(ml_sampler_set, EINVAL, DBL(0)),
    R(ml_sampler_set, EINVAL, DBL(-1)),
    R(ml_sampler_set, EINVAL, DBL(2.5)),
    R(ml_sampler_set, EINVAL, DBL(1e300)),
    R(ml_sampler_set, EINVAL, INT(0, 0)),
    R(ml_sampler_set, EINVAL, INT(0, -100)),
    R(ml_sampler_set, EINVAL, INT(0, ML_SAMPLER_WAYS)),
    R(ml_sampler_set, EINVAL, INT(0, ML_SAMPLER_ROTATIONS)),
    R(ml_sampler_set, EINVAL, INT(0, ML_SAMPLER_SHIFT)),            /* a sine sampler */
    R(ml_sampler_set, OK, INT(0, ML_SAMPLER_QUERIES), DBL(0)),
    R(ml_sampler_set, EINVAL, INT(0, ML_SAMPLER_AMP_MIN), DBL(NAN)),
    R(ml_sampler_set, EINVAL, INT(0, ML_SAMPLER_AMP_MIN), DBL(6)),  /* min > max */
    R(ml_sampler_set, EINVAL, INT(0, ML_SAMPLER_X_MAX), DBL(-6)),   /* max < min */
    R(ml_sampler_set, EINVAL, INT(0, ML_SAMPLER_AMP_MAX), DBL(1e300)),
    R(ml_sampler_set, EINVAL, INT(0, ML_SAMPLER_X_MIN), DBL(-1e300)),
    R(ml_sampler_set, EINVAL, PTR(0, PV_EPISODES), INT(0, ML_SAMPLER_AMP_MIN)),
    R(ml_sampler_set, EINVAL, PTR(0, PV_EPISODES), INT(0, ML_SAMPLER_ROTATIONS)),
    /* shifts of the fixture's 8x8 images: 0..7 whole pixels */
    R(ml_sampler_set, EINVAL, PTR(0, PV_EPISODES), INT(0, ML_SAMPLER_SHIFT), DBL(8)),
    R(ml_sampler_set, EINVAL, PTR(0, PV_EPISODES), INT(0, ML_SAMPLER_SHIFT), DBL(-1)),
    R(ml_sampler_set, EINVAL, PTR(0, PV_EPISODES), INT(0, ML_SAMPLER_SHIFT), DBL(0.5)),
    R(ml_sampler_set, OK, PTR(0, PV_EPISODES), INT(0, ML_SAMPLER_SHIFT), DBL(7)),
    R(ml_sampler_set, EINVAL, PTR(0, PV_EPISODES), DBL(NAN)),

    R0(ml_sampler_get, OK),
    R(ml_sampler_get, EINVAL, NULLH),
    R(ml_sampler_get, EINVAL, PTR(1, PV_NULL)),
    R(ml_sampler_get, EINVAL, INT(0, 0)),
    R(ml_sampler_get, EINVAL, INT(0, ML_SAMPLER_WAYS)),
    R(ml_sampler_get, EINVAL, PTR(0, PV_EPISODES), INT(0, ML_SAMPLER_X_MAX)),
    R0(ml_sampler_reseed, OK),
    R(ml_sampler_reseed, EINVAL, NULLH),
    R(ml_sampler_reseed, OK, SZ(0, 0)),
    R(ml_sampler_reseed, OK, SZ(0, SIZE_MAX)),
    R0(ml_sampler_sample, OK),
    R(ml_sampler_sample, EINVAL, NULLH),
    R(ml_sampler_sample, EINVAL, PTR(1, PV_NULL)),
    R(ml_sampler_sample, OK, PTR(0, PV_EPISODES)),
    R(ml_sampler_sample, EINVAL, PTR(0, PV_EPISODES_BAD)),
    R0(ml_sampler_free, 0),
    R(ml_sampler_free, 0, NULLH),
    R0(ml_sampler_last_error, 1),
    R(ml_sampler_last_error, 1, NULLH),

    R0(ml_dataset_create, OK),
    R(ml_dataset_create, EINVAL, NULLH),
    R(ml_dataset_create, EINVAL, SZ(0, 0)),
    R(ml_dataset_create, EINVAL, SZ(0, SIZE_MAX)),
    R(ml_dataset_create, EINVAL, SZ(1, 0)),
    R(ml_dataset_create, EINVAL, SZ(1, 4)),
    R(ml_dataset_create, EINVAL, SZ(1, SIZE_MAX)),
    R(ml_dataset_create, EINVAL, PTR(1, PV_NULL)),
    R(ml_dataset_create, EINVAL, PTR(1, PV_ZERO_SHAPE)),
    R(ml_dataset_create, EINVAL, PTR(1, PV_HUGE_SHAPE)),
    R(ml_dataset_create, EINVAL, PTR(1, PV_OVF_SHAPE)),
    R(ml_dataset_create, EINVAL, PTR(2, PV_NULL)),
    R(ml_dataset_create, EINVAL, PTR(3, PV_NULL)),
    R(ml_dataset_create, EINVAL, PTR(3, PV_NEG_LABELS)),
    R(ml_dataset_create, ML_ERR_NUMERIC, PTR(2, PV_NAN)),
    R(ml_dataset_create, ML_ERR_NUMERIC, PTR(2, PV_INF)),

    R0(ml_dataset_load_images, OK),
    R(ml_dataset_load_images, EINVAL, NULLH),
    R(ml_dataset_load_images, EINVAL, PTR(1, PV_NULL)),
    R(ml_dataset_load_images, EINVAL, SZ(0, 0)),
    R(ml_dataset_load_images, EINVAL, SZ(0, 1025)),
    R(ml_dataset_load_images, EINVAL, SZ(0, SIZE_MAX)),
    R(ml_dataset_load_images, OK, INT(0, INT_MIN)),
    R(ml_dataset_load_images, ML_ERR_IO, PTR(1, PV_MISSING)),
    R(ml_dataset_load_images, ML_ERR_FORMAT, PTR(1, PV_EMPTY_DIR)),
    R(ml_dataset_load_images, ML_ERR_FORMAT, PTR(1, PV_BADPNG_DIR)),

    R0(ml_dataset_load_idx, OK),
    R(ml_dataset_load_idx, EINVAL, NULLH),
    R(ml_dataset_load_idx, EINVAL, PTR(1, PV_NULL)),
    R(ml_dataset_load_idx, EINVAL, PTR(2, PV_NULL)),
    R(ml_dataset_load_idx, ML_ERR_IO, PTR(1, PV_MISSING)),
    R(ml_dataset_load_idx, ML_ERR_IO, PTR(2, PV_MISSING)),
    R(ml_dataset_load_idx, ML_ERR_FORMAT, PTR(1, PV_GARBAGE_FILE)),
    R(ml_dataset_load_idx, ML_ERR_FORMAT, PTR(2, PV_EMPTY_FILE)),

    R0(ml_dataset_free, 0),
    R(ml_dataset_free, 0, NULLH),
    R0(ml_dataset_size, 80),
    R(ml_dataset_size, 0, NULLH),
    R0(ml_dataset_num_classes, 5),
    R(ml_dataset_num_classes, 0, NULLH),
    R0(ml_dataset_input_size, 64),
    R(ml_dataset_input_size, 0, NULLH),
    R0(ml_dataset_shape, OK),
    R(ml_dataset_shape, EINVAL, NULLH),
    R(ml_dataset_shape, EINVAL, PTR(1, PV_NULL)),
    R(ml_dataset_shape, EINVAL, PTR(2, PV_NULL)),
    R0(ml_dataset_class_name, 2),
    R(ml_dataset_class_name, 0, NULLH),
    R(ml_dataset_class_name, 0, SZ(0, 5)),
    R(ml_dataset_class_name, 0, SZ(0, SIZE_MAX)),
    R0(ml_dataset_class_group, 1),
    R(ml_dataset_class_group, 0, NULLH),
    R(ml_dataset_class_group, 0, SZ(0, SIZE_MAX)),

    R0(ml_dataset_get, OK),
    R(ml_dataset_get, EINVAL, NULLH),
    R(ml_dataset_get, EINVAL, PTR(1, PV_NULL)),
    R(ml_dataset_get, OK, PTR(2, PV_NULL)),
    R(ml_dataset_get, ML_ERR_RANGE, SZ(0, 80)),
    R(ml_dataset_get, ML_ERR_RANGE, SZ(0, SIZE_MAX)),
    R(ml_dataset_get, ML_ERR_SHAPE, SZ(1, 63)),
    R(ml_dataset_get, ML_ERR_SHAPE, SZ(1, 0)),
    R(ml_dataset_get, ML_ERR_SHAPE, SZ(1, SIZE_MAX)),

    R0(ml_dataset_split, OK),
    R(ml_dataset_split, EINVAL, NULLH),
    R(ml_dataset_split, EINVAL, INT(0, 0)),
    R(ml_dataset_split, EINVAL, INT(0, 99)),
    R(ml_dataset_split, EINVAL, INT(0, -1)),
    R(ml_dataset_split, EINVAL, PTR(1, PV_NULL)),
    R(ml_dataset_split, EINVAL, STR(1, "")),
    R(ml_dataset_split, EINVAL, STR(1, "1.5")),
    R(ml_dataset_split, EINVAL, STR(1, "nan")),
    R(ml_dataset_split, EINVAL, STR(1, "inf")),
    R(ml_dataset_split, EINVAL, STR(1, "-0.5")),
    R(ml_dataset_split, EINVAL, STR(1, "0")),
    R(ml_dataset_split, EINVAL, STR(1, "0.5x")),
    R(ml_dataset_split, EINVAL, INT(0, ML_SPLIT_CLASSES), STR(1, "no such class")),
    R(ml_dataset_split, OK, INT(0, ML_SPLIT_CLASSES), STR(1, "0,3")),
    R(ml_dataset_split, EINVAL, INT(0, ML_SPLIT_CLASSES), STR(1, "0,1,2,3,4")),
    R(ml_dataset_split, EINVAL, INT(0, ML_SPLIT_GROUPS), STR(1, "nope")),
    R(ml_dataset_split, OK, PTR(2, PV_NULL)),
    R(ml_dataset_split, OK, PTR(2, PV_NULL), PTR(3, PV_NULL)),
    R0(ml_dataset_last_error, 1),
    R(ml_dataset_last_error, 1, NULLH),

    R0(ml_optimizer_create, OK),
    R(ml_optimizer_create, EINVAL, NULLH),
    R(ml_optimizer_create, EINVAL, INT(0, 0)),
    R(ml_optimizer_create, EINVAL, INT(0, -1)),
    R(ml_optimizer_create, EINVAL, INT(0, 99)),
    R(ml_optimizer_create, EINVAL, INT(0, INT_MAX)),

    R0(ml_optimizer_set, OK),
    R(ml_optimizer_set, EINVAL, NULLH),
    R(ml_optimizer_set, EINVAL, DBL(NAN)),
    R(ml_optimizer_set, EINVAL, DBL(1.0)),
    R(ml_optimizer_set, EINVAL, DBL(-0.1)),
    R(ml_optimizer_set, EINVAL, DBL(INFINITY)),
    R(ml_optimizer_set, EINVAL, INT(0, 0)),
    R(ml_optimizer_set, EINVAL, INT(0, 99)),
    R(ml_optimizer_set, EINVAL, INT(0, ML_OPT_BETA1)), /* an Adam key on SGD */
    R(ml_optimizer_set, EINVAL, INT(0, ML_OPT_LR), DBL(0)),
    R(ml_optimizer_set, EINVAL, INT(0, ML_OPT_LR), DBL(-INFINITY)),
    R(ml_optimizer_set, EINVAL, INT(0, ML_OPT_NESTEROV), DBL(0.5)),
    R(ml_optimizer_set, EINVAL, INT(0, ML_OPT_WEIGHT_DECAY), DBL(NAN)),
    R(ml_optimizer_set, EINVAL, PTR(0, PV_FRESH_OPT), INT(0, ML_OPT_MOMENTUM)),
    R(ml_optimizer_set, EINVAL, PTR(0, PV_FRESH_OPT), INT(0, ML_OPT_NESTEROV)),

    R0(ml_optimizer_get, OK),
    R(ml_optimizer_get, EINVAL, NULLH),
    R(ml_optimizer_get, EINVAL, PTR(1, PV_NULL)),
    R(ml_optimizer_get, EINVAL, INT(0, 0)),
    R(ml_optimizer_get, EINVAL, INT(0, ML_OPT_RMS_DECAY)),
    R0(ml_optimizer_kind_of, ML_OPTIMIZER_SGD),
    R(ml_optimizer_kind_of, 0, NULLH),

    R0(ml_optimizer_step, OK),
    R(ml_optimizer_step, EINVAL, NULLH),
    R(ml_optimizer_step, EINVAL, PTR(1, PV_NULL)),
    R(ml_optimizer_step, EINVAL, PTR(2, PV_NULL)),
    R(ml_optimizer_step, EINVAL, SZ(0, 0)),
    R(ml_optimizer_step, ML_ERR_SHAPE, SZ(0, 3)),
    R(ml_optimizer_step, ML_ERR_SHAPE, SZ(0, SIZE_MAX)),
    R(ml_optimizer_step, EINVAL, PTR(0, PV_FRESH_OPT), SZ(0, SIZE_MAX)),
    R(ml_optimizer_step, ML_ERR_NUMERIC, PTR(2, PV_NAN)),
    R(ml_optimizer_step, ML_ERR_NUMERIC, PTR(2, PV_INF)),
    R(ml_optimizer_step, ML_ERR_NUMERIC, PTR(0, PV_FRESH_OPT), PTR(2, PV_INF)),
    R(ml_optimizer_step, ML_ERR_NUMERIC, PTR(1, PV_NAN)),
    R0(ml_optimizer_reset, OK),
    R(ml_optimizer_reset, EINVAL, NULLH),
    R0(ml_optimizer_free, 0),
    R(ml_optimizer_free, 0, NULLH),
    R0(ml_optimizer_last_error, 1),
    R(ml_optimizer_last_error, 1, NULLH),

    R0(ml_problems_create_quadratic, OK),
    R(ml_problems_create_quadratic, EINVAL, NULLH),
    R(ml_problems_create_quadratic, EINVAL, SZ(0, 0)),
    R(ml_problems_create_quadratic, EINVAL, SZ(0, 4097)),
    R(ml_problems_create_quadratic, EINVAL, SZ(0, SIZE_MAX)),
    R0(ml_problems_create_mlp, OK),
    R(ml_problems_create_mlp, EINVAL, NULLH),
    R(ml_problems_create_mlp, EINVAL, PTR(1, PV_NULL)),
    R(ml_problems_create_mlp, EINVAL, PTR(1, PV_ONE_CLASS)),
    R(ml_problems_create_mlp, EINVAL, SZ(0, 0)),
    R(ml_problems_create_mlp, EINVAL, SZ(0, ((size_t)1 << 16) + 1)),
    R(ml_problems_create_mlp, EINVAL, SZ(1, 0)),
    R(ml_problems_create_mlp, EINVAL, SZ(1, SIZE_MAX)),
    R0(ml_problems_create_callback, OK),
    R(ml_problems_create_callback, EINVAL, NULLH),
    R(ml_problems_create_callback, EINVAL, SZ(0, 0)),
    R(ml_problems_create_callback, EINVAL, SZ(0, ((size_t)1 << 26) + 1)),
    R(ml_problems_create_callback, EINVAL, SZ(0, SIZE_MAX)),
    R(ml_problems_create_callback, EINVAL, PTR(1, PV_NULL)),
    R(ml_problems_create_callback, EINVAL, PTR(2, PV_NULL)),
    R(ml_problems_create_callback, OK, PTR(3, PV_NULL)),
    R(ml_problems_create_callback, OK, PTR(4, PV_NULL)),
    R0(ml_problems_dim, 4),
    R(ml_problems_dim, 0, NULLH),
    R0(ml_problems_run, OK),
    R(ml_problems_run, EINVAL, NULLH),
    R(ml_problems_run, EINVAL, PTR(1, PV_NULL)),
    R(ml_problems_run, EINVAL, PTR(2, PV_NULL)),
    R(ml_problems_run, EINVAL, SZ(1, 0)),
    R(ml_problems_run, EINVAL, SZ(1, SIZE_MAX)),
    R(ml_problems_run, EINVAL, SZ(1, SIZE_MAX / 4)),
    R(ml_problems_run, OK, SZ(0, SIZE_MAX)),
    R(ml_problems_run, ML_ERR_NUMERIC, PTR(1, PV_HUGE_LR_OPT)),
    R0(ml_problems_free, 0),
    R(ml_problems_free, 0, NULLH),

    R0(ml_optimizer_meta_step, OK),
    R(ml_optimizer_meta_step, EINVAL, NULLH),
    R(ml_optimizer_meta_step, EINVAL, PTR(1, PV_NULL)),
    R(ml_optimizer_meta_step, ML_ERR_UNSUPPORTED, PTR(0, PV_SGD_OPT)),
    R(ml_optimizer_meta_step, OK, PTR(2, PV_NULL)),
    R0(ml_optimizer_num_weights, HD_LSTM_WEIGHTS),
    R(ml_optimizer_num_weights, 0, NULLH),
    R(ml_optimizer_num_weights, 0, PTR(0, PV_SGD_OPT)),
    R0(ml_optimizer_get_weights, OK),
    R(ml_optimizer_get_weights, EINVAL, NULLH),
    R(ml_optimizer_get_weights, EINVAL, PTR(1, PV_NULL)),
    R(ml_optimizer_get_weights, EINVAL, PTR(0, PV_SGD_OPT)),
    R(ml_optimizer_get_weights, ML_ERR_SHAPE, SZ(0, HD_LSTM_WEIGHTS - 1)),
    R(ml_optimizer_get_weights, ML_ERR_SHAPE, SZ(0, 0)),
    R(ml_optimizer_get_weights, ML_ERR_SHAPE, SZ(0, SIZE_MAX)),
    R0(ml_optimizer_set_weights, OK),
    R(ml_optimizer_set_weights, EINVAL, NULLH),
    R(ml_optimizer_set_weights, EINVAL, PTR(1, PV_NULL)),
    R(ml_optimizer_set_weights, EINVAL, PTR(0, PV_SGD_OPT)),
    R(ml_optimizer_set_weights, ML_ERR_SHAPE, SZ(0, HD_LSTM_WEIGHTS + 1)),
    R(ml_optimizer_set_weights, ML_ERR_SHAPE, SZ(0, SIZE_MAX)),
    R(ml_optimizer_set_weights, ML_ERR_NUMERIC, PTR(1, PV_NAN)),
    R(ml_optimizer_set_weights, ML_ERR_NUMERIC, PTR(1, PV_INF)),

    R0(ml_optimizer_save, OK),
    R(ml_optimizer_save, EINVAL, NULLH),
    R(ml_optimizer_save, EINVAL, PTR(1, PV_NULL)),
    R(ml_optimizer_save, ML_ERR_IO, PTR(1, PV_MISSING)),
    R(ml_optimizer_save, ML_ERR_IO, PTR(1, PV_DIR)),
    R(ml_optimizer_save, OK, PTR(0, PV_SGD_OPT)),
    R0(ml_optimizer_save_buffer, OK),
    R(ml_optimizer_save_buffer, EINVAL, NULLH),
    R(ml_optimizer_save_buffer, EINVAL, PTR(1, PV_NULL)),
    R(ml_optimizer_save_buffer, EINVAL, PTR(2, PV_NULL)),
    R(ml_optimizer_save_buffer, OK, PTR(1, PV_NULL), SZ(0, 0)),
    R(ml_optimizer_save_buffer, ML_ERR_RANGE, SZ(0, 10)),
    R0(ml_optimizer_load, OK),
    R(ml_optimizer_load, EINVAL, NULLH),
    R(ml_optimizer_load, EINVAL, PTR(1, PV_NULL)),
    R(ml_optimizer_load, ML_ERR_IO, PTR(1, PV_MISSING)),
    R(ml_optimizer_load, ML_ERR_IO, PTR(1, PV_DIR)),
    R(ml_optimizer_load, ML_ERR_FORMAT, PTR(1, PV_EMPTY_FILE)),
    R(ml_optimizer_load, ML_ERR_FORMAT, PTR(1, PV_GARBAGE_FILE)),
    R(ml_optimizer_load, ML_ERR_FORMAT, PTR(1, PV_LEARNER_FILE)),
    R(ml_optimizer_load, ML_ERR_CORRUPT, PTR(1, PV_OPT_TRUNC_FILE)),
    R0(ml_optimizer_load_buffer, OK),
    R(ml_optimizer_load_buffer, EINVAL, NULLH),
    R(ml_optimizer_load_buffer, EINVAL, PTR(1, PV_NULL)),
    R(ml_optimizer_load_buffer, ML_ERR_FORMAT, PTR(1, PV_NULL), SZ(0, 0)),
    R(ml_optimizer_load_buffer, ML_ERR_CORRUPT, SZ(0, 30)),
    R(ml_optimizer_load_buffer, ML_ERR_CORRUPT, SZ(0, SIZE_MAX)),
    R(ml_optimizer_load_buffer, ML_ERR_FORMAT, PTR(1, PV_GARBAGE_BYTES), SZ(0, 40)),
    R(ml_optimizer_load_buffer, ML_ERR_CORRUPT, PTR(1, PV_OPT_FLIPPED)),

    R0(ml_learner_create, OK),
    R(ml_learner_create, EINVAL, NULLH),
    R(ml_learner_create, EINVAL, PTR(1, PV_NULL)),
    R(ml_learner_create, EINVAL, PTR(1, PV_EMPTY_MODEL)),
    R(ml_learner_create, EINVAL, PTR(1, PV_ACT_MODEL)),
    R(ml_learner_create, OK, PTR(1, PV_ACT_MODEL), INT(0, ML_STRATEGY_PROTONET)),
    R(ml_learner_create, EINVAL, INT(0, 0)),
    R(ml_learner_create, EINVAL, INT(0, -1)),
    R(ml_learner_create, EINVAL, INT(0, 99)),
    R(ml_learner_create, EINVAL, INT(0, INT_MIN)),
    R(ml_learner_create, OK, SZ(0, 0)),
    R(ml_learner_create, OK, SZ(0, SIZE_MAX)),
    R0(ml_learner_free, 0),
    R(ml_learner_free, 0, NULLH),
    R0(ml_learner_last_error, 1),
    R(ml_learner_last_error, 1, NULLH),
    R0(ml_learner_strategy, ML_STRATEGY_MAML),
    R(ml_learner_strategy, 0, NULLH),
    R0(ml_learner_model, 1),
    R(ml_learner_model, 0, NULLH),

    R0(ml_learner_set, OK),
    R(ml_learner_set, EINVAL, NULLH),
    R(ml_learner_set, EINVAL, DBL(NAN)),
    R(ml_learner_set, EINVAL, DBL(INFINITY)),
    R(ml_learner_set, EINVAL, DBL(0)),
    R(ml_learner_set, EINVAL, DBL(-1)),
    R(ml_learner_set, EINVAL, INT(0, 0)),
    R(ml_learner_set, EINVAL, INT(0, -1)),
    R(ml_learner_set, EINVAL, INT(0, 999)),
    R(ml_learner_set, EINVAL, INT(0, ML_LEARNER_ITERATION)),
    R(ml_learner_set, EINVAL, INT(0, ML_LEARNER_REPTILE_EPSILON), DBL(0.5)),
    R(ml_learner_set, EINVAL, INT(0, ML_LEARNER_INNER_STEPS), DBL(0)),
    R(ml_learner_set, EINVAL, INT(0, ML_LEARNER_INNER_STEPS), DBL(1.5)),
    R(ml_learner_set, EINVAL, INT(0, ML_LEARNER_INNER_STEPS), DBL(1e300)),
    R(ml_learner_set, EINVAL, INT(0, ML_LEARNER_INNER_STEPS), DBL(NAN)),
    R(ml_learner_set, EINVAL, INT(0, ML_LEARNER_THREADS), DBL(0)),
    R(ml_learner_set, EINVAL, INT(0, ML_LEARNER_THREADS), DBL(257)),
    R(ml_learner_set, EINVAL, INT(0, ML_LEARNER_THREADS), DBL(-INFINITY)),
    R(ml_learner_set, OK, INT(0, ML_LEARNER_THREADS), DBL(2)),

    R0(ml_learner_get, OK),
    R(ml_learner_get, EINVAL, NULLH),
    R(ml_learner_get, EINVAL, PTR(1, PV_NULL)),
    R(ml_learner_get, EINVAL, INT(0, 0)),
    R(ml_learner_get, EINVAL, INT(0, INT_MAX)),
    R(ml_learner_get, EINVAL, INT(0, ML_LEARNER_REPTILE_ANNEAL_ITERS)),
    R0(ml_learner_set_optimizer, OK),
    R(ml_learner_set_optimizer, EINVAL, NULLH),
    R(ml_learner_set_optimizer, EINVAL, PTR(1, PV_NULL)),
    R0(ml_learner_set_inner_optimizer, OK),
    R(ml_learner_set_inner_optimizer, EINVAL, NULLH),
    R(ml_learner_set_inner_optimizer, EINVAL, PTR(1, PV_NULL)),
    R(ml_learner_set_inner_optimizer, EINVAL, PTR(1, PV_SGD_OPT)),
    R(ml_learner_set_inner_optimizer, ML_ERR_UNSUPPORTED, PTR(0, PV_LEARNER)),
    R(ml_learner_set_inner_optimizer, ML_ERR_STATE, PTR(0, PV_TRAINED_LSTM_LEARNER)),
    R0(ml_learner_num_meta_params, 25),
    R(ml_learner_num_meta_params, 0, NULLH),

    R0(ml_learner_get_meta_params, OK),
    R(ml_learner_get_meta_params, EINVAL, NULLH),
    R(ml_learner_get_meta_params, EINVAL, PTR(1, PV_NULL)),
    R(ml_learner_get_meta_params, ML_ERR_SHAPE, SZ(0, 0)),
    R(ml_learner_get_meta_params, ML_ERR_SHAPE, SZ(0, 24)),
    R(ml_learner_get_meta_params, ML_ERR_SHAPE, SZ(0, SIZE_MAX)),
    R0(ml_learner_set_meta_params, OK),
    R(ml_learner_set_meta_params, EINVAL, NULLH),
    R(ml_learner_set_meta_params, EINVAL, PTR(1, PV_NULL)),
    R(ml_learner_set_meta_params, ML_ERR_SHAPE, SZ(0, 26)),
    R(ml_learner_set_meta_params, ML_ERR_SHAPE, SZ(0, SIZE_MAX)),
    R(ml_learner_set_meta_params, ML_ERR_NUMERIC, PTR(1, PV_NAN)),
    R(ml_learner_set_meta_params, ML_ERR_NUMERIC, PTR(1, PV_INF)),

    R0(ml_learner_meta_step, OK),
    R(ml_learner_meta_step, EINVAL, NULLH),
    R(ml_learner_meta_step, EINVAL, SZ(0, 0)),
    R(ml_learner_meta_step, EINVAL, SZ(0, SIZE_MAX)),
    R(ml_learner_meta_step, EINVAL, PTR(1, PV_NULL)),
    R(ml_learner_meta_step, EINVAL, PTR(1, PV_TASKS_NULL)),
    R(ml_learner_meta_step, EINVAL, PTR(1, PV_TASKS_NOQUERY)),
    R(ml_learner_meta_step, ML_ERR_SHAPE, PTR(1, PV_TASKS_SHAPE)),
    R(ml_learner_meta_step, ML_ERR_NUMERIC, PTR(1, PV_TASKS_HUGE)),
    R(ml_learner_meta_step, OK, PTR(2, PV_NULL)),

    R0(ml_learner_meta_gradient, OK),
    R(ml_learner_meta_gradient, EINVAL, NULLH),
    R(ml_learner_meta_gradient, EINVAL, SZ(0, 0)),
    R(ml_learner_meta_gradient, EINVAL, SZ(0, SIZE_MAX)),
    R(ml_learner_meta_gradient, EINVAL, PTR(1, PV_NULL)),
    R(ml_learner_meta_gradient, EINVAL, PTR(1, PV_TASKS_NULL)),
    R(ml_learner_meta_gradient, EINVAL, PTR(1, PV_TASKS_NOQUERY)),
    R(ml_learner_meta_gradient, ML_ERR_SHAPE, PTR(1, PV_TASKS_SHAPE)),
    R(ml_learner_meta_gradient, ML_ERR_NUMERIC, PTR(1, PV_TASKS_HUGE)),
    R(ml_learner_meta_gradient, EINVAL, PTR(2, PV_NULL)),
    R(ml_learner_meta_gradient, ML_ERR_SHAPE, SZ(1, 24)),
    R(ml_learner_meta_gradient, ML_ERR_SHAPE, SZ(1, SIZE_MAX)),
    R(ml_learner_meta_gradient, OK, PTR(3, PV_NULL)),

    R0(ml_learner_meta_gradient_parts, OK),
    R(ml_learner_meta_gradient_parts, EINVAL, NULLH),
    R(ml_learner_meta_gradient_parts, EINVAL, SZ(0, 0)),
    R(ml_learner_meta_gradient_parts, EINVAL, SZ(0, SIZE_MAX)),
    R(ml_learner_meta_gradient_parts, EINVAL, PTR(1, PV_NULL)),
    R(ml_learner_meta_gradient_parts, EINVAL, PTR(1, PV_TASKS_NULL)),
    R(ml_learner_meta_gradient_parts, EINVAL, PTR(1, PV_TASKS_NOQUERY)),
    R(ml_learner_meta_gradient_parts, ML_ERR_SHAPE, PTR(1, PV_TASKS_SHAPE)),
    R(ml_learner_meta_gradient_parts, EINVAL, PTR(2, PV_NULL)),
    R(ml_learner_meta_gradient_parts, ML_ERR_SHAPE, SZ(1, 2)),
    R(ml_learner_meta_gradient_parts, ML_ERR_SHAPE, SZ(1, 0)),
    R(ml_learner_meta_gradient_parts, OK, SZ(1, SIZE_MAX)),
    R(ml_learner_meta_gradient_parts, EINVAL, PTR(3, PV_NULL)),

    R0(ml_learner_meta_gradient_partial, OK),
    R(ml_learner_meta_gradient_partial, EINVAL, NULLH),
    R(ml_learner_meta_gradient_partial, EINVAL, SZ(0, 0)),
    R(ml_learner_meta_gradient_partial, EINVAL, SZ(0, SIZE_MAX)),
    R(ml_learner_meta_gradient_partial, EINVAL, PTR(1, PV_NULL)),
    R(ml_learner_meta_gradient_partial, EINVAL, PTR(1, PV_TASKS_NULL)),
    R(ml_learner_meta_gradient_partial, EINVAL, PTR(1, PV_TASKS_NOQUERY)),
    R(ml_learner_meta_gradient_partial, ML_ERR_SHAPE, PTR(1, PV_TASKS_SHAPE)),
    R(ml_learner_meta_gradient_partial, ML_ERR_NUMERIC, PTR(1, PV_TASKS_HUGE)),
    R(ml_learner_meta_gradient_partial, ML_ERR_SHAPE, SZ(1, 1)),
    R(ml_learner_meta_gradient_partial, EINVAL, SZ(1, 2)),
    R(ml_learner_meta_gradient_partial, EINVAL, SZ(1, SIZE_MAX)),
    R(ml_learner_meta_gradient_partial, EINVAL, SZ(2, 2)),
    R(ml_learner_meta_gradient_partial, EINVAL, SZ(2, SIZE_MAX)),
    R(ml_learner_meta_gradient_partial, EINVAL, PTR(2, PV_NULL)),
    R(ml_learner_meta_gradient_partial, ML_ERR_SHAPE, SZ(3, 24)),
    R(ml_learner_meta_gradient_partial, ML_ERR_SHAPE, SZ(3, SIZE_MAX)),
    R(ml_learner_meta_gradient_partial, OK, PTR(3, PV_NULL)),
    R(ml_learner_meta_gradient_partial, ML_ERR_SHAPE, SZ(4, 1)),
    R(ml_learner_meta_gradient_partial, ML_ERR_SHAPE, SZ(4, SIZE_MAX)),

    R0(ml_learner_apply_gradient, OK),
    R(ml_learner_apply_gradient, EINVAL, NULLH),
    R(ml_learner_apply_gradient, EINVAL, PTR(1, PV_NULL)),
    R(ml_learner_apply_gradient, ML_ERR_SHAPE, SZ(0, 24)),
    R(ml_learner_apply_gradient, ML_ERR_SHAPE, SZ(0, SIZE_MAX)),
    R(ml_learner_apply_gradient, ML_ERR_NUMERIC, PTR(1, PV_NAN)),
    R(ml_learner_apply_gradient, ML_ERR_NUMERIC, PTR(1, PV_INF)),

    R0(ml_learner_predict, OK),
    R(ml_learner_predict, EINVAL, NULLH),
    R(ml_learner_predict, EINVAL, PTR(1, PV_NULL)),
    R(ml_learner_predict, ML_ERR_SHAPE, PTR(1, PV_CLS_TASK)),
    R(ml_learner_predict, EINVAL, SZ(0, 0)),
    R(ml_learner_predict, EINVAL, SZ(0, SIZE_MAX)),
    R(ml_learner_predict, EINVAL, SZ(0, SIZE_MAX), SZ(1, SIZE_MAX)),
    R(ml_learner_predict, EINVAL, PTR(2, PV_NULL)),
    R(ml_learner_predict, EINVAL, PTR(3, PV_NULL)),
    R(ml_learner_predict, EINVAL, PTR(4, PV_INTS)),
    R(ml_learner_predict, ML_ERR_SHAPE, SZ(1, 3)),
    R(ml_learner_predict, ML_ERR_SHAPE, SZ(1, SIZE_MAX)),
    R(ml_learner_predict, ML_ERR_NUMERIC, PTR(2, PV_NAN)),
    R(ml_learner_predict, ML_ERR_NUMERIC, PTR(2, PV_INF)),
    R(ml_learner_predict, OK, INT(0, 0)),
    R(ml_learner_predict, OK, INT(0, INT_MIN)),

    R0(ml_learner_evaluate, OK),
    R(ml_learner_evaluate, EINVAL, NULLH),
    R(ml_learner_evaluate, EINVAL, SZ(0, 0)),
    R(ml_learner_evaluate, EINVAL, SZ(0, SIZE_MAX)),
    R(ml_learner_evaluate, EINVAL, PTR(1, PV_NULL)),
    R(ml_learner_evaluate, EINVAL, PTR(1, PV_TASKS_NULL)),
    R(ml_learner_evaluate, EINVAL, PTR(1, PV_TASKS_NOQUERY)),
    R(ml_learner_evaluate, ML_ERR_SHAPE, PTR(1, PV_TASKS_SHAPE)),
    R(ml_learner_evaluate, ML_ERR_NUMERIC, PTR(1, PV_TASKS_HUGE)),
    R(ml_learner_evaluate, OK, PTR(2, PV_NULL), PTR(3, PV_NULL)),
    R(ml_learner_evaluate, OK, PTR(4, PV_NULL)),
    R(ml_learner_evaluate, OK, INT(0, INT_MIN)),

    R0(ml_learner_save, OK),
    R(ml_learner_save, EINVAL, NULLH),
    R(ml_learner_save, EINVAL, PTR(1, PV_NULL)),
    R(ml_learner_save, ML_ERR_IO, PTR(1, PV_MISSING)),
    R(ml_learner_save, ML_ERR_IO, PTR(1, PV_DIR)),
    R(ml_learner_save, ML_ERR_IO, STR(1, "")),
    R0(ml_learner_save_buffer, OK),
    R(ml_learner_save_buffer, EINVAL, NULLH),
    R(ml_learner_save_buffer, EINVAL, PTR(1, PV_NULL)),
    R(ml_learner_save_buffer, EINVAL, PTR(2, PV_NULL)),
    R(ml_learner_save_buffer, OK, PTR(1, PV_NULL), SZ(0, 0)),
    R(ml_learner_save_buffer, ML_ERR_RANGE, SZ(0, 0)),
    R(ml_learner_save_buffer, ML_ERR_RANGE, SZ(0, 10)),
    R(ml_learner_save_buffer, OK, SZ(0, SIZE_MAX)),

    R0(ml_learner_load, OK),
    R(ml_learner_load, EINVAL, NULLH),
    R(ml_learner_load, EINVAL, PTR(1, PV_NULL)),
    R(ml_learner_load, ML_ERR_IO, PTR(1, PV_MISSING)),
    R(ml_learner_load, ML_ERR_IO, PTR(1, PV_DIR)),
    R(ml_learner_load, ML_ERR_IO, STR(1, "")),
    R(ml_learner_load, ML_ERR_FORMAT, PTR(1, PV_EMPTY_FILE)),
    R(ml_learner_load, ML_ERR_FORMAT, PTR(1, PV_GARBAGE_FILE)),
    R(ml_learner_load, ML_ERR_CORRUPT, PTR(1, PV_TRUNC_FILE)),
    R(ml_learner_load, ML_ERR_VERSION, PTR(1, PV_NEWER_FILE)),
    R0(ml_learner_load_buffer, OK),
    R(ml_learner_load_buffer, EINVAL, NULLH),
    R(ml_learner_load_buffer, EINVAL, PTR(1, PV_NULL)),
    R(ml_learner_load_buffer, ML_ERR_FORMAT, PTR(1, PV_NULL), SZ(0, 0)),
    R(ml_learner_load_buffer, ML_ERR_FORMAT, SZ(0, 0)),
    R(ml_learner_load_buffer, ML_ERR_CORRUPT, SZ(0, 3)),
    R(ml_learner_load_buffer, ML_ERR_CORRUPT, SZ(0, 30)),
    R(ml_learner_load_buffer, ML_ERR_CORRUPT, SZ(0, SIZE_MAX)),
    R(ml_learner_load_buffer, ML_ERR_FORMAT, PTR(1, PV_GARBAGE_BYTES), SZ(0, 40)),
    R(ml_learner_load_buffer, ML_ERR_CORRUPT, PTR(1, PV_FLIPPED_BYTES)),
    R(ml_learner_load_buffer, ML_ERR_VERSION, PTR(1, PV_NEWER_BYTES)),
};

const size_t hd_n_cases = sizeof hd_cases / sizeof hd_cases[0];
