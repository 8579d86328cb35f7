#include "hardening.h"

#include <stdlib.h>
#include <string.h>

ml_model *hd_mlp(void)
{
    ml_model *m = NULL;
    ck_assert_int_eq(ml_model_create_mlp(&m, 1, 2, (size_t[]){8, 1}, ML_LAYER_TANH), ML_OK);
    return m;
}

ml_learner *hd_learner(ml_strategy strategy, uint64_t seed)
{
    ml_model *m = hd_mlp();
    ml_learner *l = NULL;
    ck_assert_int_eq(ml_learner_create(&l, m, strategy, seed), ML_OK);
    ml_model_free(m);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_STEPS, 2), ML_OK);
    return l;
}

int hd_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

/* splitmix64: the test's own numbers, independent of the library's
 * generator. */
static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static float unit(uint64_t *s)
{
    return (float)(mix(s) >> 40) / (float)(1 << 24);
}

ml_dataset *hd_image_dataset(size_t classes, size_t per_class, uint64_t seed)
{
    enum { SIDE = 8, PIX = SIDE * SIDE };
    size_t n = classes * per_class;
    float *x = malloc(n * PIX * sizeof *x);
    int *labels = malloc(n * sizeof *labels);
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_nonnull(labels);
    for (size_t c = 0; c < classes; c++) {
        float pattern[PIX];
        for (int p = 0; p < PIX; p++)
            pattern[p] = unit(&seed) < 0.3f ? 1.0f : 0.0f;
        for (size_t k = 0; k < per_class; k++) {
            size_t i = c * per_class + k;
            for (int p = 0; p < PIX; p++)
                x[i * PIX + p] = pattern[p] + 0.2f * (unit(&seed) - 0.5f);
            labels[i] = (int)c;
        }
    }
    ml_dataset *d = NULL;
    ck_assert_int_eq(ml_dataset_create(&d, n, 3, (size_t[]){1, SIDE, SIDE}, x, labels),
                     ML_OK);
    free(x);
    free(labels);
    return d;
}

ml_model *hd_image_embedding(void)
{
    ml_model *m = NULL;
    ck_assert_int_eq(ml_model_create_conv4(&m, 1, 8, 8, 4, 1, 0), ML_OK);
    return m;
}

ml_optimizer *hd_lstm_optimizer(void)
{
    ml_optimizer *o = NULL;
    ck_assert_int_eq(ml_optimizer_create(&o, ML_OPTIMIZER_LSTM), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_HIDDEN, 4), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_PROBLEMS, 4), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_UNROLL, 5), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LSTM_HORIZON, 10), ML_OK);
    return o;
}

float *hd_params(const ml_learner *l)
{
    size_t n = ml_learner_num_meta_params(l);
    float *p = malloc(n * sizeof *p);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(ml_learner_get_meta_params(l, p, n), ML_OK);
    return p;
}
