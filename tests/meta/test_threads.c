/* Worker threads change nothing but speed: the same meta-batch gives the
 * same meta-gradient bit for bit with ML_LEARNER_THREADS 1, 2 and 3, for
 * every strategy, and 20 meta-steps give the same parameters; evaluation
 * too.  Also with fewer tasks than threads, and with the thread count
 * changed between calls. */
#include "metatest.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { N_TASKS = 8, N_STEPS = 20 };

static ml_task *tasks[N_TASKS];

static void make_tasks(void)
{
    sine_tasks_make(tasks, N_TASKS, 2024, 5, 6);
}

static void free_tasks(void)
{
    sine_tasks_free(tasks, N_TASKS);
}

/* Strategy variants: _i indexes this table. */
static const struct {
    const char *name;
    ml_strategy strategy;
    int inner_adam;
} variants[] = {
    {"maml", ML_STRATEGY_MAML, 0},
    {"fomaml", ML_STRATEGY_FOMAML, 0},
    {"reptile", ML_STRATEGY_REPTILE, 0},
    {"reptile inner adam", ML_STRATEGY_REPTILE, 1},
    {"metasgd", ML_STRATEGY_METASGD, 0},
    {"joint", ML_STRATEGY_JOINT, 0},
};
enum { N_VARIANTS = sizeof variants / sizeof variants[0] };

static ml_learner *make_learner(int v, int threads)
{
    ml_model *m;
    ck_assert_int_eq(ml_model_create_mlp(&m, 1, 3, (size_t[]){10, 10, 1}, ML_LAYER_TANH),
                     ML_OK);
    ml_learner *l;
    ck_assert_int_eq(ml_learner_create(&l, m, variants[v].strategy, 99), ML_OK);
    ml_model_free(m);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_LR, 0.05), ML_OK);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_STEPS, 2), ML_OK);
    if (variants[v].inner_adam)
        ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_REPTILE_INNER_ADAM, 1), ML_OK);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_THREADS, threads), ML_OK);
    double got;
    ck_assert_int_eq(ml_learner_get(l, ML_LEARNER_THREADS, &got), ML_OK);
    ck_assert_double_eq(got, threads);
    return l;
}

START_TEST(test_same_bits_any_thread_count)
{
    make_tasks();
    ml_learner *l[3];
    for (int k = 0; k < 3; k++)
        l[k] = make_learner(_i, k + 1);
    size_t n = ml_learner_num_meta_params(l[0]);
    float *g[3], *p[3];
    double loss[3];
    for (int k = 0; k < 3; k++) {
        g[k] = malloc(n * sizeof(float));
        ck_assert_ptr_nonnull(g[k]);
        ck_assert_int_eq(ml_learner_meta_gradient(l[k], N_TASKS, tasks, g[k], n, &loss[k]),
                         ML_OK);
    }
    for (int k = 1; k < 3; k++) {
        ck_assert_msg(memcmp(g[0], g[k], n * sizeof(float)) == 0,
                      "%s: meta-gradient with %d threads differs from 1 thread",
                      variants[_i].name, k + 1);
        ck_assert_msg(memcmp(&loss[0], &loss[k], sizeof(double)) == 0,
                      "%s: loss with %d threads differs", variants[_i].name, k + 1);
    }
    /* Not trivially zero. */
    double gmax = 0;
    for (size_t i = 0; i < n; i++)
        gmax = fmax(gmax, fabsf(g[0][i]));
    ck_assert(gmax > 1e-4);

    for (int s = 0; s < N_STEPS; s++)
        for (int k = 0; k < 3; k++) {
            double ls;
            ck_assert_int_eq(ml_learner_meta_step(l[k], N_TASKS, tasks, &ls), ML_OK);
            ck_assert(isfinite(ls));
        }
    for (int k = 0; k < 3; k++)
        p[k] = learner_params(l[k]);
    for (int k = 1; k < 3; k++)
        ck_assert_msg(memcmp(p[0], p[k], n * sizeof(float)) == 0,
                      "%s: parameters after %d steps with %d threads differ",
                      variants[_i].name, N_STEPS, k + 1);

    /* Evaluation: per-task losses identical too. */
    double per[3][N_TASKS], el[3], ea[3];
    for (int k = 0; k < 3; k++)
        ck_assert_int_eq(ml_learner_evaluate(l[k], N_TASKS, tasks, 3, &el[k], &ea[k], per[k]),
                         ML_OK);
    for (int k = 1; k < 3; k++) {
        ck_assert(memcmp(per[0], per[k], sizeof per[0]) == 0);
        ck_assert(memcmp(&el[0], &el[k], sizeof el[0]) == 0);
    }

    for (int k = 0; k < 3; k++) {
        free(g[k]);
        free(p[k]);
        ml_learner_free(l[k]);
    }
    free_tasks();
}
END_TEST

/* A meta-batch of 40 tasks of the same sizes goes in three graphs of 13
 * or 14 tasks (lib/meta/batch.c; task by task for the joint baseline and
 * Reptile's inner Adam), on whichever worker: the same bits with 1, 2 and
 * 3 threads, and the same meta-gradient (to rounding) as the tasks one at
 * a time. */
START_TEST(test_groups_any_thread_count)
{
    enum { N = 40 };
    ml_task *many[N];
    sine_tasks_make(many, N, 77, 5, 6);
    ml_learner *l[3];
    for (int k = 0; k < 3; k++)
        l[k] = make_learner(_i, k + 1);
    size_t n = ml_learner_num_meta_params(l[0]);
    float *g[3], *one = malloc(n * sizeof(float));
    double *mean = calloc(n, sizeof(double)), loss[3], lone, lmean = 0.0;
    ck_assert(one && mean);
    for (int k = 0; k < 3; k++) {
        g[k] = malloc(n * sizeof(float));
        ck_assert_ptr_nonnull(g[k]);
        ck_assert_int_eq(ml_learner_meta_gradient(l[k], N, many, g[k], n, &loss[k]), ML_OK);
    }
    for (int k = 1; k < 3; k++) {
        ck_assert_msg(memcmp(g[0], g[k], n * sizeof(float)) == 0,
                      "%s: 40 tasks, %d threads differ from 1", variants[_i].name, k + 1);
        ck_assert(memcmp(&loss[0], &loss[k], sizeof(double)) == 0);
    }
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(ml_learner_meta_gradient(l[0], 1, &many[i], one, n, &lone), ML_OK);
        lmean += lone / N;
        for (size_t j = 0; j < n; j++)
            mean[j] += (double)one[j] / N;
    }
    double gmax = 0.0;
    for (size_t j = 0; j < n; j++)
        gmax = fmax(gmax, fabs(mean[j]));
    ck_assert(gmax > 1e-4);
    for (size_t j = 0; j < n; j++)
        ck_assert_msg(fabs(g[0][j] - mean[j]) <= 1e-5 * gmax,
                      "%s: element %zu: %g in groups, %g task by task", variants[_i].name, j,
                      (double)g[0][j], mean[j]);
    ck_assert_double_eq_tol(loss[0], lmean, 1e-5 * (1.0 + lmean));
    for (int k = 0; k < 3; k++) {
        free(g[k]);
        ml_learner_free(l[k]);
    }
    free(one);
    free(mean);
    sine_tasks_free(many, N);
}
END_TEST

/* Fewer tasks than threads, and the thread count changed between calls
 * (workers rebuilt, the training state kept). */
START_TEST(test_few_tasks_and_changing_threads)
{
    make_tasks();
    ml_learner *a = make_learner(_i, 1), *b = make_learner(_i, 3);
    size_t n = ml_learner_num_meta_params(a);
    float *ga = malloc(n * sizeof(float)), *gb = malloc(n * sizeof(float));
    ck_assert(ga && gb);
    for (size_t nt = 1; nt <= 2; nt++) {
        ck_assert_int_eq(ml_learner_meta_gradient(a, nt, tasks, ga, n, NULL), ML_OK);
        ck_assert_int_eq(ml_learner_meta_gradient(b, nt, tasks, gb, n, NULL), ML_OK);
        ck_assert(memcmp(ga, gb, n * sizeof(float)) == 0);
    }
    static const int counts[] = {2, 1, 3, 2};
    for (int s = 0; s < 4; s++) {
        ck_assert_int_eq(ml_learner_set(b, ML_LEARNER_THREADS, counts[s]), ML_OK);
        ck_assert_int_eq(ml_learner_meta_step(a, N_TASKS, tasks, NULL), ML_OK);
        ck_assert_int_eq(ml_learner_meta_step(b, N_TASKS, tasks, NULL), ML_OK);
    }
    float *pa = learner_params(a), *pb = learner_params(b);
    ck_assert(memcmp(pa, pb, n * sizeof(float)) == 0);
    double ia, ib;
    ck_assert_int_eq(ml_learner_get(a, ML_LEARNER_ITERATION, &ia), ML_OK);
    ck_assert_int_eq(ml_learner_get(b, ML_LEARNER_ITERATION, &ib), ML_OK);
    ck_assert_double_eq(ia, 4);
    ck_assert_double_eq(ib, 4);
    free(ga);
    free(gb);
    free(pa);
    free(pb);
    ml_learner_free(a);
    ml_learner_free(b);
    free_tasks();
}
END_TEST

/* Errors found by a worker thread are reported like on one thread: the
 * first failing task in task order, nothing changed. */
START_TEST(test_error_from_worker)
{
    make_tasks();
    /* Targets so large that the squared error overflows to infinity. */
    static const float xs[] = {0.5f, 1.0f}, ys[] = {3e38f, -3e38f};
    ml_task *bad = make_reg_task(1, 1, 2, xs, ys, 2, xs, ys);
    ml_task *batch[N_TASKS];
    memcpy(batch, tasks, sizeof batch);
    batch[5] = bad;
    for (int threads = 1; threads <= 3; threads++) {
        ml_learner *l = make_learner(0, threads);
        size_t n = ml_learner_num_meta_params(l);
        float *p0 = learner_params(l);
        prime_learner_error(l);
        ml_status st = ml_learner_meta_step(l, N_TASKS, batch, NULL);
        ck_assert_int_eq(st, ML_ERR_NUMERIC);
        ck_assert(fresh_error());
        ck_assert(fresh_learner_error(l));
        float *p1 = learner_params(l);
        ck_assert(memcmp(p0, p1, n * sizeof(float)) == 0);
        double it;
        ck_assert_int_eq(ml_learner_get(l, ML_LEARNER_ITERATION, &it), ML_OK);
        ck_assert_double_eq(it, 0);
        /* The learner still works. */
        ck_assert_int_eq(ml_learner_meta_step(l, N_TASKS, tasks, NULL), ML_OK);
        free(p0);
        free(p1);
        ml_learner_free(l);
    }
    ml_task_free(bad);
    free_tasks();
}
END_TEST

static Suite *threads_suite(void)
{
    Suite *s = suite_create("meta_threads");
    TCase *tc = tcase_create("determinism");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_same_bits_any_thread_count, 0, N_VARIANTS);
    tcase_add_loop_test(tc, test_few_tasks_and_changing_threads, 0, N_VARIANTS);
    tcase_add_loop_test(tc, test_groups_any_thread_count, 0, N_VARIANTS);
    tcase_add_test(tc, test_error_from_worker);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(threads_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
