/* ml_learner_meta_gradient_parts / _partial: the parts' undivided sums,
 * combined as metalearn.h documents, give ml_learner_meta_gradient() bit
 * for bit, whichever ranges they were computed in and with any thread
 * count; a part's sum is the sum (not the mean) of its tasks' gradients;
 * bad ranges and counts are refused without writing anything.  The
 * meta-batch mixes two task sizes and is longer than one group, so the
 * plans of the grouping strategies have several parts of several tasks. */
#include "metatest.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { N_A = 20, N_B = 17, N_TASKS = N_A + N_B };

static ml_task *tasks[N_TASKS];

static void make_tasks(void)
{
    sine_tasks_make(tasks, N_A, 77, 5, 6);
    sine_tasks_make(tasks + N_A, N_B, 78, 7, 4);
}

static void free_tasks(void)
{
    sine_tasks_free(tasks, N_TASKS);
}

static const struct {
    const char *name;
    ml_strategy strategy;
    int inner_adam;
    int grouped; /* whether its parts hold several tasks */
} variants[] = {
    {"maml", ML_STRATEGY_MAML, 0, 1},
    {"fomaml", ML_STRATEGY_FOMAML, 0, 1},
    {"reptile", ML_STRATEGY_REPTILE, 0, 1},
    {"reptile inner adam", ML_STRATEGY_REPTILE, 1, 0},
    {"metasgd", ML_STRATEGY_METASGD, 0, 1},
    {"joint", ML_STRATEGY_JOINT, 0, 0},
};
enum { N_VARIANTS = sizeof variants / sizeof variants[0] };

static ml_learner *make_learner(int v, int threads)
{
    ml_model *m;
    ck_assert_int_eq(ml_model_create_mlp(&m, 1, 3, (size_t[]){12, 12, 1}, ML_LAYER_RELU),
                     ML_OK);
    ml_learner *l;
    ck_assert_int_eq(ml_learner_create(&l, m, variants[v].strategy, 5), ML_OK);
    ml_model_free(m);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_LR, 0.02), ML_OK);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_STEPS, 2), ML_OK);
    if (variants[v].inner_adam)
        ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_REPTILE_INNER_ADAM, 1), ML_OK);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_THREADS, threads), ML_OK);
    return l;
}

/* The mean as metalearn.h documents it: part sums added in part order in
 * float, then times 1.0f / n; the losses summed in task order in double. */
static void combine(const float *sums, size_t parts, size_t k, const double *losses,
                    float *out, double *loss)
{
    memcpy(out, sums, k * sizeof *out);
    for (size_t p = 1; p < parts; p++)
        for (size_t j = 0; j < k; j++)
            out[j] += sums[p * k + j];
    const float inv = 1.0f / (float)N_TASKS;
    for (size_t j = 0; j < k; j++)
        out[j] *= inv;
    double total = 0.0;
    for (size_t i = 0; i < N_TASKS; i++)
        total += losses[i];
    *loss = total / (double)N_TASKS;
}

START_TEST(test_parts_rebuild_the_mean)
{
    make_tasks();
    ml_learner *l = make_learner(_i, 1), *l2 = make_learner(_i, 2);
    size_t k = ml_learner_num_meta_params(l), bounds[N_TASKS + 1], parts = 0;
    ck_assert_int_eq(ml_learner_meta_gradient_parts(l, N_TASKS, tasks, bounds,
                                                    N_TASKS + 1, &parts),
                     ML_OK);
    ck_assert_uint_ge(parts, 1);
    ck_assert_uint_le(parts, N_TASKS);
    ck_assert_uint_eq(bounds[0], 0);
    ck_assert_uint_eq(bounds[parts], N_TASKS);
    for (size_t p = 0; p < parts; p++)
        ck_assert_uint_lt(bounds[p], bounds[p + 1]);
    if (variants[_i].grouped) {
        ck_assert_msg(parts < N_TASKS, "%s: no part holds two tasks", variants[_i].name);
        /* A part never mixes the two task sizes. */
        for (size_t p = 0; p < parts; p++)
            ck_assert(bounds[p] >= N_A || bounds[p + 1] <= N_A);
    } else {
        ck_assert_uint_eq(parts, N_TASKS);
    }

    float *want = malloc(k * sizeof *want), *got = malloc(k * sizeof *got);
    float *all = malloc(parts * k * sizeof *all), *one = malloc(parts * k * sizeof *one);
    float *split = malloc(parts * k * sizeof *split);
    double want_loss, got_loss, losses[N_TASKS], losses1[N_TASKS];
    ck_assert_ptr_nonnull(want && got && all && one && split ? want : NULL);
    ck_assert_int_eq(ml_learner_meta_gradient(l, N_TASKS, tasks, want, k, &want_loss),
                     ML_OK);

    /* All parts in one call, with 2 threads. */
    ck_assert_int_eq(ml_learner_meta_gradient_partial(l2, N_TASKS, tasks, 0, parts, all,
                                                      parts * k, losses, N_TASKS),
                     ML_OK);
    combine(all, parts, k, losses, got, &got_loss);
    ck_assert_msg(memcmp(got, want, k * sizeof *got) == 0,
                  "%s: the combined parts differ from ml_learner_meta_gradient",
                  variants[_i].name);
    ck_assert_msg(memcmp(&got_loss, &want_loss, sizeof got_loss) == 0,
                  "%s: the combined losses differ", variants[_i].name);

    /* Part by part, and in two uneven ranges: the same bits. */
    for (size_t p = 0; p < parts; p++) {
        size_t nt = bounds[p + 1] - bounds[p];
        ck_assert_int_eq(ml_learner_meta_gradient_partial(l, N_TASKS, tasks, p, p + 1,
                                                          one + p * k, k,
                                                          losses1 + bounds[p], nt),
                         ML_OK);
    }
    size_t cut = parts / 3;
    ck_assert_int_eq(ml_learner_meta_gradient_partial(l, N_TASKS, tasks, 0, cut, split,
                                                      cut * k, NULL, 0),
                     ML_OK);
    ck_assert_int_eq(ml_learner_meta_gradient_partial(l, N_TASKS, tasks, cut, parts,
                                                      split + cut * k, (parts - cut) * k,
                                                      NULL, 0),
                     ML_OK);
    ck_assert(memcmp(one, all, parts * k * sizeof *one) == 0);
    ck_assert(memcmp(split, all, parts * k * sizeof *one) == 0);
    ck_assert(memcmp(losses1, losses, sizeof losses) == 0);

    /* A part's sum is the sum of its tasks' own gradients (each task
     * alone: a mean of one), not their mean. */
    size_t p = parts - 1, nt = bounds[p + 1] - bounds[p];
    double *ref = calloc(k, sizeof *ref);
    ck_assert_ptr_nonnull(ref);
    for (size_t t = bounds[p]; t < bounds[p + 1]; t++) {
        ck_assert_int_eq(ml_learner_meta_gradient(l, 1, &tasks[t], got, k, NULL), ML_OK);
        for (size_t j = 0; j < k; j++)
            ref[j] += got[j];
    }
    double scale = max_abs(ref, k), worst = 0.0;
    for (size_t j = 0; j < k; j++)
        worst = fmax(worst, fabs(all[p * k + j] - ref[j]));
    ck_assert_msg(worst <= 1e-5 * scale * (double)nt,
                  "%s: part %zu's sum is %g from its tasks' sum (scale %g)",
                  variants[_i].name, p, worst, scale);

    free(ref);
    free(want);
    free(got);
    free(all);
    free(one);
    free(split);
    ml_learner_free(l);
    ml_learner_free(l2);
    free_tasks();
}
END_TEST

START_TEST(test_bad_ranges)
{
    make_tasks();
    ml_learner *l = make_learner(0, 1);
    size_t k = ml_learner_num_meta_params(l), bounds[N_TASKS + 1], parts;
    ck_assert_int_eq(ml_learner_meta_gradient_parts(l, N_TASKS, tasks, bounds, N_TASKS,
                                                    &parts),
                     ML_ERR_SHAPE);
    ck_assert_int_eq(ml_learner_meta_gradient_parts(l, N_TASKS, tasks, bounds,
                                                    N_TASKS + 1, &parts),
                     ML_OK);
    float *buf = malloc((parts + 1) * k * sizeof *buf);
    ck_assert_ptr_nonnull(buf);
    for (size_t j = 0; j < (parts + 1) * k; j++)
        buf[j] = 123.0f;
    double losses[N_TASKS];
    struct {
        size_t first, end, count, nloss;
        ml_status want;
    } bad[] = {
        {0, parts + 1, (parts + 1) * k, 0, ML_ERR_INVALID_ARG},
        {2, 1, 0, 0, ML_ERR_INVALID_ARG},
        {0, 1, k - 1, 0, ML_ERR_SHAPE},
        {0, 1, k, bounds[1] + 1, ML_ERR_SHAPE},
        {1, 1, k, 0, ML_ERR_SHAPE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        prime_learner_error(l);
        ck_assert_int_eq(ml_learner_meta_gradient_partial(l, N_TASKS, tasks, bad[i].first,
                                                          bad[i].end, buf, bad[i].count,
                                                          bad[i].nloss ? losses : NULL,
                                                          bad[i].nloss),
                         bad[i].want);
        ck_assert(fresh_learner_error(l));
    }
    for (size_t j = 0; j < (parts + 1) * k; j++)
        ck_assert(buf[j] == 123.0f);
    /* An empty range computes nothing and succeeds. */
    ck_assert_int_eq(ml_learner_meta_gradient_partial(l, N_TASKS, tasks, 1, 1, NULL, 0,
                                                      NULL, 0),
                     ML_OK);
    free(buf);
    ml_learner_free(l);
    free_tasks();
}
END_TEST

static Suite *partial_suite(void)
{
    Suite *s = suite_create("meta_partial");
    TCase *tc = tcase_create("partial");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_parts_rebuild_the_mean, 0, N_VARIANTS);
    tcase_add_test(tc, test_bad_ranges);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(partial_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
