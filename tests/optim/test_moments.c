/* The optimisers' moments never hold subnormal floats (lib/optim/
 * optimizer.c stores a moment below FLT_MIN as 0), while the parameters
 * stay bit for bit those of the same float update without the flush; a
 * non-finite step is still refused with nothing written.  Linked against
 * the internal library to read the state (m, v) directly. */
#include "optim/optimizer.h"

#include <check.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { N = 4, STEPS = 3000 };

/* A gradient on the first step only: afterwards every moment decays
 * geometrically towards 0 (beta1^t, beta2^t, mu^t, decay^t), through the
 * subnormal range without the flush.  Coordinate 3 never has a gradient. */
static const float P0[N] = {0.5f, -0.25f, 1e-3f, 0.75f};
static const float G1[N] = {1.0f, -2e-3f, 3e-19f, 0.0f};

/* The update rules as optimizer.c writes them, in float, without the
 * flush: the parameters must come out the same bit for bit. */
typedef struct plain {
    float p[N], m[N], v[N];
    int subnormal; /* whether a moment ever was subnormal */
} plain;

static void plain_step(plain *s, const ml_optimizer *o, const float *g, uint64_t t)
{
    const float lr = (float)o->lr;
    for (int i = 0; i < N; i++) {
        float gi = g[i];
        switch (o->kind) {
        case ML_OPTIMIZER_SGD: {
            const float mom = (float)o->momentum;
            s->m[i] = mom * s->m[i] + gi;
            s->p[i] = s->p[i] - lr * s->m[i];
            break;
        }
        case ML_OPTIMIZER_ADAM: {
            const float b1 = (float)o->beta1, b2 = (float)o->beta2, eps = (float)o->eps;
            const double c1 = 1.0 - pow(o->beta1, (double)t);
            const double c2 = 1.0 - pow(o->beta2, (double)t);
            const float step = (float)(o->lr / c1), inv_c2 = (float)(1.0 / sqrt(c2));
            s->m[i] = b1 * s->m[i] + (1.0f - b1) * gi;
            s->v[i] = b2 * s->v[i] + (1.0f - b2) * gi * gi;
            s->p[i] = s->p[i] - step * s->m[i] / (sqrtf(s->v[i]) * inv_c2 + eps);
            break;
        }
        default: {
            const float a = (float)o->rms_decay, eps = (float)o->eps;
            s->v[i] = a * s->v[i] + (1.0f - a) * gi * gi;
            s->p[i] = s->p[i] - lr * gi / (sqrtf(s->v[i]) + eps);
            break;
        }
        }
        s->subnormal |= fpclassify(s->m[i]) == FP_SUBNORMAL ||
                        fpclassify(s->v[i]) == FP_SUBNORMAL;
    }
}

static void run_kind(int kind, double momentum)
{
    ml_optimizer o;
    ml_opt_init(&o, kind);
    if (momentum > 0)
        ck_assert_int_eq(ml_opt_set(&o, ML_OPT_MOMENTUM, momentum), ML_OK);
    plain ref;
    memset(&ref, 0, sizeof ref);
    memcpy(ref.p, P0, sizeof P0);
    float p[N], zero[N] = {0};
    memcpy(p, P0, sizeof p);
    int flushed = 0;
    for (uint64_t t = 1; t <= STEPS; t++) {
        const float *g = t == 1 ? G1 : zero;
        ck_assert_int_eq(ml_opt_step(&o, N, p, g), ML_OK);
        plain_step(&ref, &o, g, t);
        for (int i = 0; i < N; i++) {
            ck_assert_msg(memcmp(&p[i], &ref.p[i], sizeof p[i]) == 0,
                          "kind %d step %d param %d: %a, without the flush %a", kind, (int)t,
                          i, (double)p[i], (double)ref.p[i]);
            ck_assert_msg(fpclassify(o.m[i]) != FP_SUBNORMAL &&
                              fpclassify(o.v[i]) != FP_SUBNORMAL,
                          "kind %d step %d: a subnormal moment", kind, (int)t);
            /* where the flush acted, the moment is 0 */
            if ((ref.m[i] != 0 && o.m[i] == 0) || (ref.v[i] != 0 && o.v[i] == 0))
                flushed = 1;
        }
    }
    /* The run does reach the subnormal range (so the test can fail). */
    ck_assert(ref.subnormal);
    ck_assert(flushed);
    ml_opt_release(&o);
}

START_TEST(test_adam_moments_flushed)
{
    run_kind(ML_OPTIMIZER_ADAM, 0);
}
END_TEST

START_TEST(test_rmsprop_moments_flushed)
{
    run_kind(ML_OPTIMIZER_RMSPROP, 0);
}
END_TEST

START_TEST(test_momentum_flushed)
{
    run_kind(ML_OPTIMIZER_SGD, 0.9);
}
END_TEST

/* One check pass covers the gradient and the new values: a non-finite
 * gradient, or a step that would overflow, is refused and nothing
 * (parameters, moments, step count) changes. */
START_TEST(test_non_finite_refused)
{
    const int kinds[3] = {ML_OPTIMIZER_SGD, ML_OPTIMIZER_ADAM, ML_OPTIMIZER_RMSPROP};
    for (int k = 0; k < 3; k++) {
        for (int c = 0; c < 4; c++) {
            ml_optimizer o;
            ml_opt_init(&o, kinds[k]);
            if (kinds[k] == ML_OPTIMIZER_SGD)
                ck_assert_int_eq(ml_opt_set(&o, ML_OPT_MOMENTUM, 0.5), ML_OK);
            float p[N], g[N];
            memcpy(p, P0, sizeof p);
            ck_assert_int_eq(ml_opt_step(&o, N, p, G1), ML_OK);
            float p1[N], m1[N], v1[N];
            memcpy(p1, p, sizeof p);
            memcpy(m1, o.m, sizeof m1);
            memcpy(v1, o.v, sizeof v1);
            memcpy(g, G1, sizeof g);
            const float bad[4] = {NAN, INFINITY, -INFINITY, 3e38f};
            g[c % N] = bad[c];
            if (c == 3) /* finite, but its square (or lr times it) overflows */
                ck_assert_int_eq(ml_opt_set(&o, ML_OPT_LR, 1e30), ML_OK);
            ck_assert_int_eq(ml_opt_step(&o, N, p, g), ML_ERR_NUMERIC);
            ck_assert_msg(strstr(o.err, c < 3 ? "gradient" : "non-finite") != NULL, "%s",
                          o.err);
            ck_assert(memcmp(p, p1, sizeof p) == 0);
            ck_assert(memcmp(o.m, m1, sizeof m1) == 0);
            ck_assert(memcmp(o.v, v1, sizeof v1) == 0);
            ck_assert_uint_eq(o.t, 1);
            ml_opt_release(&o);
        }
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("optimizer_moments");
    TCase *tc = tcase_create("moments");
    tcase_add_test(tc, test_adam_moments_flushed);
    tcase_add_test(tc, test_rmsprop_moments_flushed);
    tcase_add_test(tc, test_momentum_flushed);
    tcase_add_test(tc, test_non_finite_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
