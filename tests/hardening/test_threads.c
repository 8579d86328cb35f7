/* Separate learners in separate threads at once: MAML and Reptile on sine
 * waves, a prototypical network on a small synthetic image data set, and
 * a MAML learner with two worker threads of its own, each with its own
 * handles, run in four threads at the same time must give bit for bit the
 * results of the same runs done one after the other.  And ml_last_error()
 * is per thread: errors raised in every thread at once each read back as
 * their own, and never as another thread's.
 *
 * scripts/test also runs this test in a ThreadSanitizer build.  No Check
 * assertion runs in the worker threads: they report failures as text. */
#include "hardening.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N_JOBS = 4, N_STEPS = 40, META_BATCH = 4, N_EVAL = 3 };

typedef struct job {
    int kind;                 /* 0 MAML, 1 ProtoNet, 2 Reptile (inner Adam), 3 MAML on 2 threads */
    uint64_t seed;
    pthread_barrier_t *start;  /* concurrent runs start together */
    float *params;            /* result: the final meta-parameters */
    size_t n;
    double losses[N_STEPS + 1];   /* every meta-loss, then the evaluation loss */
    char err[512];            /* empty, or what went wrong */
} job;

#define FAIL_IF(cond, ...)                                                     \
    do {                                                                       \
        if ((cond) && !j->err[0]) {                                            \
            snprintf(j->err, sizeof j->err, __VA_ARGS__);                      \
            goto done;                                                         \
        }                                                                      \
    } while (0)

/* The tasks of one meta-batch (or of the evaluation), from the job's own
 * sampler. */
static ml_status draw(ml_sampler *s, ml_task **t, int n)
{
    for (int i = 0; i < n; i++) {
        ml_status st = ml_sampler_sample(s, &t[i]);
        if (st != ML_OK)
            return st;
    }
    return ML_OK;
}

static void drop(ml_task **t, int n)
{
    for (int i = 0; i < n; i++) {
        ml_task_free(t[i]);
        t[i] = NULL;
    }
}

static void *run_job(void *arg)
{
    job *j = arg;
    ml_model *m = NULL;
    ml_learner *l = NULL;
    ml_sampler *s = NULL;
    ml_dataset *d = NULL;
    ml_task *t[META_BATCH] = {NULL};
    ml_status st;
    j->err[0] = '\0';
    if (j->start)
        pthread_barrier_wait(j->start);
    if (j->kind == 1) {
        /* The data set: like hd_image_dataset, built without Check. */
        enum { CLASSES = 5, PER = 6, PIX = 64 };
        float x[CLASSES * PER * PIX];
        int lab[CLASSES * PER];
        uint64_t z = j->seed;
        for (int i = 0; i < CLASSES * PER * PIX; i++) {
            z = z * 6364136223846793005ull + 1442695040888963407ull;
            int c = i / (PER * PIX), p = i % PIX;
            x[i] = (float)((c * 7 + p * 3) % 5 == 0) + (float)(z >> 40) / (float)(1 << 26);
        }
        for (int i = 0; i < CLASSES * PER; i++)
            lab[i] = i / PER;
        st = ml_dataset_create(&d, CLASSES * PER, 3, (size_t[]){1, 8, 8}, x, lab);
        FAIL_IF(st != ML_OK, "dataset: %s", ml_last_error());
        st = ml_sampler_create_episodes(&s, d, j->seed);
        FAIL_IF(st != ML_OK, "sampler: %s", ml_last_error());
        FAIL_IF(ml_sampler_set(s, ML_SAMPLER_WAYS, 3) != ML_OK ||
                    ml_sampler_set(s, ML_SAMPLER_QUERIES, 2) != ML_OK,
                "sampler settings: %s", ml_last_error());
        st = ml_model_create_conv4(&m, 1, 8, 8, 4, 1, 0);
        FAIL_IF(st != ML_OK, "model: %s", ml_last_error());
        st = ml_learner_create(&l, m, ML_STRATEGY_PROTONET, j->seed);
    } else {
        st = ml_sampler_create_sine(&s, j->seed);
        FAIL_IF(st != ML_OK, "sampler: %s", ml_last_error());
        FAIL_IF(ml_sampler_set(s, ML_SAMPLER_SHOTS, 5) != ML_OK, "shots: %s",
                ml_last_error());
        st = ml_model_create_mlp(&m, 1, 3, (size_t[]){16, 16, 1}, ML_LAYER_TANH);
        FAIL_IF(st != ML_OK, "model: %s", ml_last_error());
        st = ml_learner_create(&l, m, j->kind == 2 ? ML_STRATEGY_REPTILE : ML_STRATEGY_MAML,
                               j->seed);
        FAIL_IF(st != ML_OK, "learner: %s", ml_last_error());
        st = ml_learner_set(l, ML_LEARNER_INNER_STEPS, 2);
        if (st == ML_OK && j->kind == 2)
            st = ml_learner_set(l, ML_LEARNER_REPTILE_INNER_ADAM, 1);
        if (st == ML_OK && j->kind == 3)
            st = ml_learner_set(l, ML_LEARNER_THREADS, 2);
    }
    FAIL_IF(st != ML_OK, "learner: %s", ml_last_error());
    for (int k = 0; k < N_STEPS; k++) {
        st = draw(s, t, META_BATCH);
        FAIL_IF(st != ML_OK, "draw: %s", ml_last_error());
        st = ml_learner_meta_step(l, META_BATCH, t, &j->losses[k]);
        FAIL_IF(st != ML_OK, "meta-step %d: %s", k, ml_learner_last_error(l));
        drop(t, META_BATCH);
    }
    st = draw(s, t, N_EVAL);
    FAIL_IF(st != ML_OK, "draw: %s", ml_last_error());
    st = ml_learner_evaluate(l, N_EVAL, t, -1, &j->losses[N_STEPS], NULL, NULL);
    FAIL_IF(st != ML_OK, "evaluate: %s", ml_learner_last_error(l));
    j->n = ml_learner_num_meta_params(l);
    j->params = malloc(j->n * sizeof(float));
    FAIL_IF(!j->params, "out of memory");
    st = ml_learner_get_meta_params(l, j->params, j->n);
    FAIL_IF(st != ML_OK, "params: %s", ml_last_error());
done:
    drop(t, META_BATCH);
    ml_learner_free(l);
    ml_model_free(m);
    ml_sampler_free(s);
    ml_dataset_free(d);
    return NULL;
}

static void jobs_init(job *jobs)
{
    for (int i = 0; i < N_JOBS; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].kind = i;
        jobs[i].seed = 100 + (uint64_t)i;
    }
}

static void jobs_free(job *jobs)
{
    for (int i = 0; i < N_JOBS; i++)
        free(jobs[i].params);
}

START_TEST(test_concurrent_equals_sequential)
{
    job seq[N_JOBS], par[N_JOBS];
    jobs_init(seq);
    jobs_init(par);
    for (int i = 0; i < N_JOBS; i++) {
        run_job(&seq[i]);
        ck_assert_msg(seq[i].err[0] == '\0', "job %d alone: %s", i, seq[i].err);
    }
    pthread_t th[N_JOBS];
    pthread_barrier_t start;
    ck_assert_int_eq(pthread_barrier_init(&start, NULL, N_JOBS), 0);
    for (int i = 0; i < N_JOBS; i++) {
        par[i].start = &start;
        ck_assert_int_eq(pthread_create(&th[i], NULL, run_job, &par[i]), 0);
    }
    for (int i = 0; i < N_JOBS; i++)
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < N_JOBS; i++) {
        ck_assert_msg(par[i].err[0] == '\0', "job %d in a thread: %s", i, par[i].err);
        ck_assert_uint_eq(par[i].n, seq[i].n);
        ck_assert_msg(memcmp(par[i].params, seq[i].params, seq[i].n * sizeof(float)) == 0,
                      "job %d: parameters differ from the sequential run", i);
        ck_assert_msg(memcmp(par[i].losses, seq[i].losses, sizeof seq[i].losses) == 0,
                      "job %d: losses differ from the sequential run", i);
    }
    jobs_free(seq);
    jobs_free(par);
}
END_TEST

/* ---------------------------------------------------------------- per-thread errors */

typedef struct err_job {
    int id;
    pthread_barrier_t *barrier;
    char got[512], got_after[512], handle_got[512];
    int status;
} err_job;

static void *raise_error(void *arg)
{
    err_job *e = arg;
    ml_learner *l = NULL;
    ml_model *m = NULL, *mlp = NULL;
    if (ml_model_create_mlp(&mlp, 1, 1, (size_t[]){1}, ML_LAYER_TANH) == ML_OK)
        ml_learner_create(&l, mlp, ML_STRATEGY_MAML, 1);
    /* A message that names this thread: "... 50<id> input dimensions". */
    e->status = ml_model_create(&m, (size_t)(500 + e->id), (size_t[]){1});
    /* Every thread has failed before any reads its message back. */
    pthread_barrier_wait(e->barrier);
    snprintf(e->got, sizeof e->got, "%s", ml_last_error());
    /* Again with a learner's error, its handle's message too. */
    pthread_barrier_wait(e->barrier);
    ml_learner_set(l, (ml_learner_param)(9000 + e->id), 1.0);
    pthread_barrier_wait(e->barrier);
    snprintf(e->got_after, sizeof e->got_after, "%s", ml_last_error());
    snprintf(e->handle_got, sizeof e->handle_got, "%s", ml_learner_last_error(l));
    ml_learner_free(l);
    ml_model_free(mlp);
    return NULL;
}

START_TEST(test_last_error_per_thread)
{
    enum { N = 8 };
    ml_model *m = NULL;
    ck_assert_int_eq(ml_model_create(&m, 777, (size_t[]){1}), ML_ERR_INVALID_ARG);
    char mine[512];
    snprintf(mine, sizeof mine, "%s", ml_last_error());
    pthread_barrier_t barrier;
    ck_assert_int_eq(pthread_barrier_init(&barrier, NULL, N), 0);
    err_job e[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        e[i] = (err_job){.id = i, .barrier = &barrier};
        ck_assert_int_eq(pthread_create(&th[i], NULL, raise_error, &e[i]), 0);
    }
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    pthread_barrier_destroy(&barrier);
    for (int i = 0; i < N; i++) {
        char want[32], want_key[32];
        snprintf(want, sizeof want, " %d input dimensions", 500 + i);
        snprintf(want_key, sizeof want_key, "parameter %d ", 9000 + i);
        ck_assert_int_eq(e[i].status, ML_ERR_INVALID_ARG);
        ck_assert_msg(strstr(e[i].got, want) != NULL,
                      "thread %d reads \"%s\" as its last error", i, e[i].got);
        ck_assert_msg(strstr(e[i].got_after, want_key) != NULL,
                      "thread %d reads \"%s\" as its last error", i, e[i].got_after);
        ck_assert_msg(strstr(e[i].handle_got, want_key) != NULL,
                      "thread %d's learner reads \"%s\"", i, e[i].handle_got);
    }
    /* The main thread's message is still its own. */
    ck_assert_str_eq(ml_last_error(), mine);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hardening_threads");
    TCase *tc = tcase_create("threads");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_concurrent_equals_sequential);
    tcase_add_test(tc, test_last_error_per_thread);
    suite_add_tcase(s, tc);
    return hd_run(s);
}
