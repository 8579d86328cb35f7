/* Allocation failures injected at every allocation of an operation in
 * turn (core/alloc.h: the k-th allocation from now fails), for k = 1, 2,
 * ... until the operation no longer reaches the k-th allocation.  Each
 * time the operation must return ML_OK or ML_ERR_NOMEM (with a message),
 * hand out nothing on failure, and leave its handles usable: the same call
 * without a failure then gives exactly the result of a handle that never
 * failed.  Leaks and invalid accesses on the failure paths are for the
 * valgrind and AddressSanitizer runs of this suite to find.
 *
 * Operations: creating a learner and taking a meta-step (several
 * strategies, one and three threads), an optimiser's first step, saving to
 * a buffer and to a file, loading from both (and a learned optimiser's
 * save and load), evaluation and prediction,
 * and the data side: a data set, an episode sampler and its draws, a sine
 * draw and a split.  HD_VERBOSE=1 prints how many allocations each walk
 * failed. */
#include "hardening.h"

#include "../data/datatest.h"
#include "core/alloc.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N_TASKS = 3 };

/* One operation under failure injection. */
typedef struct walk_ops {
    void (*prepare)(void *ctx);             /* before each try, no injection */
    ml_status (*attempt)(void *ctx);        /* the call that allocations fail in */
    void (*check)(void *ctx, ml_status st); /* after it, no injection */
} walk_ops;

/* Runs the operation with its k-th allocation failing for k = 1, 2, ...;
 * returns how many tries failed with ML_ERR_NOMEM. */
static long walk(const char *what, const walk_ops *ops, void *ctx)
{
    long failures = 0;
    for (long k = 1; k < 1000000; k++) {
        if (ops->prepare)
            ops->prepare(ctx);
        long c0 = ml_alloc_count();
        ml_alloc_fail_after(k);
        ml_status st = ops->attempt(ctx);
        ml_alloc_fail_after(0);
        long used = ml_alloc_count() - c0;
        HD_REQUIRE(st == ML_OK || st == ML_ERR_NOMEM,
                   "%s, allocation %ld failing: status %d (%s)", what, k, (int)st,
                   ml_last_error());
        if (st == ML_ERR_NOMEM) {
            failures++;
            HD_REQUIRE(ml_last_error()[0] != '\0', "%s, allocation %ld: no message", what, k);
        }
        ops->check(ctx, st);
        if (used < k) {
            /* Done: the k-th allocation was never reached. */
            HD_REQUIRE(st == ML_OK, "%s failed without an injected failure", what);
            HD_REQUIRE(failures > 0, "%s: no allocation was ever failed", what);
            if (getenv("HD_VERBOSE"))
                fprintf(stderr, "%s: %ld allocations, %ld failed calls\n", what, k - 1,
                        failures);
            return failures;
        }
    }
    ck_abort_msg("%s: no end to its allocations", what);
    return 0;
}

static int same_params(const ml_learner *a, const ml_learner *b)
{
    size_t n = ml_learner_num_meta_params(a);
    if (n != ml_learner_num_meta_params(b))
        return 0;
    float *pa = hd_params(a), *pb = hd_params(b);
    int same = memcmp(pa, pb, n * sizeof(float)) == 0;
    free(pa);
    free(pb);
    return same;
}

/* ---------------------------------------------------------------- create + meta-step */

typedef struct step_ctx {
    ml_strategy strategy;
    int threads;
    ml_model *model;
    ml_task *tasks[N_TASKS];
    ml_learner *ref;      /* never failed: created, one meta-step */
    double ref_loss;
    ml_learner *l;
    int created;
    double loss;
} step_ctx;

static void step_setup(ml_learner *l)
{
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_STEPS, 2), ML_OK);
}

static ml_status step_attempt(void *p)
{
    step_ctx *c = p;
    c->l = (ml_learner *)&c->l; /* must come back NULL on failure */
    ml_status st = ml_learner_create(&c->l, c->model, c->strategy, 17);
    c->created = st == ML_OK;
    if (st != ML_OK)
        return st;
    step_setup(c->l);
    if (c->threads > 1 && (st = ml_learner_set(c->l, ML_LEARNER_THREADS, c->threads)) != ML_OK)
        return st;
    return ml_learner_meta_step(c->l, N_TASKS, c->tasks, &c->loss);
}

static void step_check(void *p, ml_status st)
{
    step_ctx *c = p;
    if (!c->created) {
        HD_REQUIRE(c->l == NULL, "a failed ml_learner_create handed out a learner");
        return;
    }
    if (st != ML_OK) {
        /* The step failed: the same learner takes it now, and ends where a
         * learner that never failed does. */
        HD_REQUIRE(ml_learner_meta_step(c->l, N_TASKS, c->tasks, &c->loss) == ML_OK,
                   "meta-step after a failed one: %s", ml_last_error());
        double it = 0;
        ck_assert_int_eq(ml_learner_get(c->l, ML_LEARNER_ITERATION, &it), ML_OK);
        HD_REQUIRE(it == 1, "the failed meta-step was counted");
    }
    HD_REQUIRE(same_params(c->l, c->ref) && c->loss == c->ref_loss,
               "strategy %d: the result differs from a learner that never failed",
               (int)c->strategy);
    ml_learner_free(c->l);
    c->l = NULL;
}

static void step_tasks(step_ctx *c)
{
    if (c->strategy < ML_STRATEGY_PROTONET) {
        c->model = hd_mlp();
        hd_sine_tasks(c->tasks, N_TASKS, 5);
        return;
    }
    c->model = hd_image_embedding();
    ml_dataset *d = hd_image_dataset(4, 5, 3);
    ml_sampler *s = NULL;
    ck_assert_int_eq(ml_sampler_create_episodes(&s, d, 2), ML_OK);
    ck_assert_int_eq(ml_sampler_set(s, ML_SAMPLER_WAYS, 3), ML_OK);
    ck_assert_int_eq(ml_sampler_set(s, ML_SAMPLER_QUERIES, 2), ML_OK);
    for (int i = 0; i < N_TASKS; i++)
        ck_assert_int_eq(ml_sampler_sample(s, &c->tasks[i]), ML_OK);
    ml_sampler_free(s);
    ml_dataset_free(d);
}

static const struct {
    ml_strategy strategy;
    int threads;
} STEP_CASES[] = {
    {ML_STRATEGY_MAML, 1},     {ML_STRATEGY_FOMAML, 1},  {ML_STRATEGY_REPTILE, 1},
    {ML_STRATEGY_METASGD, 1},  {ML_STRATEGY_JOINT, 1},   {ML_STRATEGY_PROTONET, 1},
    {ML_STRATEGY_RELATION, 1}, {ML_STRATEGY_MATCHING, 1}, {ML_STRATEGY_MAML, 3},
};

START_TEST(test_create_and_meta_step)
{
    step_ctx c;
    memset(&c, 0, sizeof c);
    c.strategy = STEP_CASES[_i].strategy;
    c.threads = STEP_CASES[_i].threads;
    step_tasks(&c);
    ck_assert_int_eq(ml_learner_create(&c.ref, c.model, c.strategy, 17), ML_OK);
    step_setup(c.ref);
    ck_assert_int_eq(ml_learner_meta_step(c.ref, N_TASKS, c.tasks, &c.ref_loss), ML_OK);
    walk_ops ops = {NULL, step_attempt, step_check};
    walk("learner create + meta-step", &ops, &c);
    ml_learner_free(c.ref);
    ml_model_free(c.model);
    hd_tasks_free(c.tasks, N_TASKS);
}
END_TEST

/* ---------------------------------------------------------------- optimiser */

typedef struct opt_ctx {
    ml_optimizer *o;
    float p[5];
} opt_ctx;

static const float OPT_G[5] = {0.5f, -1, 2, 0, 1};

static void opt_prepare(void *p)
{
    opt_ctx *c = p;
    ml_optimizer_free(c->o);
    ck_assert_int_eq(ml_optimizer_create(&c->o, ML_OPTIMIZER_ADAM), ML_OK);
    for (int i = 0; i < 5; i++)
        c->p[i] = (float)i;
}

static ml_status opt_attempt(void *p)
{
    opt_ctx *c = p;
    return ml_optimizer_step(c->o, 5, c->p, OPT_G);
}

static void opt_check(void *p, ml_status st)
{
    opt_ctx *c = p;
    for (int i = 0; st != ML_OK && i < 5; i++)
        HD_REQUIRE(c->p[i] == (float)i, "a failed step changed the parameters");
    if (st != ML_OK)
        HD_REQUIRE(ml_optimizer_step(c->o, 5, c->p, OPT_G) == ML_OK, "step after a failure");
    /* Adam's first step moves every parameter with a gradient by lr. */
    HD_REQUIRE(fabsf(c->p[0] - (0.0f - 0.001f)) < 1e-6f && c->p[3] == 3.0f,
               "the first step after a failure is not a first step");
}

START_TEST(test_optimizer_first_step)
{
    opt_ctx c = {NULL, {0}};
    walk_ops ops = {opt_prepare, opt_attempt, opt_check};
    walk("optimizer step", &ops, &c);
    ml_optimizer_free(c.o);
}
END_TEST

/* ---------------------------------------------------------------- save, load */

typedef struct io_ctx {
    ml_learner *l;         /* MAML after two meta-steps */
    unsigned char *bytes;  /* its saved bytes */
    size_t size;
    unsigned char *old;    /* another learner's bytes, in the file before a save */
    size_t old_size;
    char dir[4096], path[4200];
    unsigned char *buf;
    size_t got;
    ml_learner *loaded;
    int from_file;
} io_ctx;

static unsigned char *saved_bytes(const ml_learner *l, size_t *n)
{
    ck_assert_int_eq(ml_learner_save_buffer(l, NULL, 0, n), ML_OK);
    unsigned char *b = malloc(*n);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(ml_learner_save_buffer(l, b, *n, n), ML_OK);
    return b;
}

static void io_make(io_ctx *c)
{
    ml_task *t[N_TASKS];
    hd_sine_tasks(t, N_TASKS, 8);
    c->l = hd_learner(ML_STRATEGY_MAML, 12);
    for (int k = 0; k < 2; k++)
        ck_assert_int_eq(ml_learner_meta_step(c->l, N_TASKS, t, NULL), ML_OK);
    hd_tasks_free(t, N_TASKS);
    c->bytes = saved_bytes(c->l, &c->size);
    ml_learner *other = hd_learner(ML_STRATEGY_REPTILE, 13);
    c->old = saved_bytes(other, &c->old_size);
    ml_learner_free(other);
    c->buf = malloc(c->size);
    ck_assert_ptr_nonnull(c->buf);
    dt_mkdtemp(c->dir, sizeof c->dir);
    snprintf(c->path, sizeof c->path, "%s/learner.mlrn", c->dir);
}

static void io_free(io_ctx *c)
{
    dt_rm_rf(c->dir);
    ml_learner_free(c->l);
    free(c->bytes);
    free(c->old);
    free(c->buf);
}

static ml_status save_buffer_attempt(void *p)
{
    io_ctx *c = p;
    memset(c->buf, 0, c->size);
    return ml_learner_save_buffer(c->l, c->buf, c->size, &c->got);
}

static void save_buffer_check(void *p, ml_status st)
{
    io_ctx *c = p;
    if (st != ML_OK)
        HD_REQUIRE(save_buffer_attempt(c) == ML_OK, "save after a failed save: %s",
                   ml_last_error());
    HD_REQUIRE(c->got == c->size && memcmp(c->buf, c->bytes, c->size) == 0,
               "the saved bytes differ");
}

/* The file holds the previous save until a save succeeds, and no
 * temporary file is left behind. */
static void save_file_prepare(void *p)
{
    io_ctx *c = p;
    dt_write_bytes(c->path, c->old, c->old_size);
}

static ml_status save_file_attempt(void *p)
{
    io_ctx *c = p;
    return ml_learner_save(c->l, c->path);
}

static void save_file_check(void *p, ml_status st)
{
    io_ctx *c = p;
    size_t n = 0;
    unsigned char *b = dt_read_file(c->path, &n);
    const unsigned char *want = st == ML_OK ? c->bytes : c->old;
    size_t want_n = st == ML_OK ? c->size : c->old_size;
    HD_REQUIRE(n == want_n && memcmp(b, want, n) == 0,
               st == ML_OK ? "the saved file differs" : "a failed save damaged the file");
    free(b);
    DIR *d = opendir(c->dir);
    ck_assert_ptr_nonnull(d);
    int entries = 0;
    for (struct dirent *e; (e = readdir(d));)
        entries += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    HD_REQUIRE(entries == 1, "a save left %d files behind", entries - 1);
    if (st != ML_OK)
        HD_REQUIRE(ml_learner_save(c->l, c->path) == ML_OK, "save after a failed save: %s",
                   ml_last_error());
}

static ml_status load_buffer_attempt(void *p)
{
    io_ctx *c = p;
    c->loaded = (ml_learner *)c;
    return ml_learner_load_buffer(&c->loaded, c->bytes, c->size);
}

static ml_status load_file_attempt(void *p)
{
    io_ctx *c = p;
    c->loaded = (ml_learner *)c;
    return ml_learner_load(&c->loaded, c->path);
}

static void load_check(void *p, ml_status st)
{
    io_ctx *c = p;
    if (st != ML_OK) {
        HD_REQUIRE(c->loaded == NULL, "a failed load handed out a learner");
        HD_REQUIRE((c->from_file ? load_file_attempt(c) : load_buffer_attempt(c)) == ML_OK,
                   "load after a failed load: %s", ml_last_error());
    }
    HD_REQUIRE(same_params(c->loaded, c->l), "the loaded learner differs");
    /* It saves to the same bytes: settings, optimiser state, generator. */
    unsigned char *again = malloc(c->size);
    size_t n = 0;
    ck_assert_ptr_nonnull(again);
    HD_REQUIRE(ml_learner_save_buffer(c->loaded, again, c->size, &n) == ML_OK &&
                   n == c->size && memcmp(again, c->bytes, n) == 0,
               "the loaded learner does not save to the same bytes");
    free(again);
    ml_learner_free(c->loaded);
    c->loaded = NULL;
}

START_TEST(test_save_and_load)
{
    io_ctx c;
    memset(&c, 0, sizeof c);
    io_make(&c);
    walk_ops save_buf = {NULL, save_buffer_attempt, save_buffer_check};
    walk_ops save_file = {save_file_prepare, save_file_attempt, save_file_check};
    walk_ops load_buf = {NULL, load_buffer_attempt, load_check};
    walk_ops load_file = {NULL, load_file_attempt, load_check};
    walk("save to a buffer", &save_buf, &c);
    walk("save to a file", &save_file, &c);
    dt_write_bytes(c.path, c.bytes, c.size);
    walk("load from a buffer", &load_buf, &c);
    c.from_file = 1;
    walk("load from a file", &load_file, &c);
    io_free(&c);
}
END_TEST

/* The learned optimiser's save and load (buffers). */
typedef struct opt_io_ctx {
    ml_optimizer *o, *loaded;
    unsigned char *bytes, *buf;
    size_t size, got;
} opt_io_ctx;

static ml_status opt_save_attempt(void *p)
{
    opt_io_ctx *c = p;
    memset(c->buf, 0, c->size);
    return ml_optimizer_save_buffer(c->o, c->buf, c->size, &c->got);
}

static void opt_save_check(void *p, ml_status st)
{
    opt_io_ctx *c = p;
    if (st != ML_OK)
        HD_REQUIRE(opt_save_attempt(c) == ML_OK, "save after a failed save: %s",
                   ml_last_error());
    HD_REQUIRE(c->got == c->size && memcmp(c->buf, c->bytes, c->size) == 0,
               "the saved optimiser differs");
}

static ml_status opt_load_attempt(void *p)
{
    opt_io_ctx *c = p;
    c->loaded = (ml_optimizer *)c;
    return ml_optimizer_load_buffer(&c->loaded, c->bytes, c->size);
}

static void opt_load_check(void *p, ml_status st)
{
    opt_io_ctx *c = p;
    if (st != ML_OK) {
        HD_REQUIRE(c->loaded == NULL, "a failed load handed out an optimiser");
        HD_REQUIRE(opt_load_attempt(c) == ML_OK, "load after a failed load: %s",
                   ml_last_error());
    }
    size_t n = 0;
    HD_REQUIRE(ml_optimizer_save_buffer(c->loaded, c->buf, c->size, &n) == ML_OK &&
                   n == c->size && memcmp(c->buf, c->bytes, n) == 0,
               "the loaded optimiser does not save to the same bytes");
    ml_optimizer_free(c->loaded);
    c->loaded = NULL;
}

START_TEST(test_optimizer_save_and_load)
{
    opt_io_ctx c;
    memset(&c, 0, sizeof c);
    c.o = hd_lstm_optimizer();
    ml_problems *quad = NULL;
    ck_assert_int_eq(ml_problems_create_quadratic(&quad, 3), ML_OK);
    ck_assert_int_eq(ml_optimizer_meta_step(c.o, quad, NULL), ML_OK);
    ml_problems_free(quad);
    ck_assert_int_eq(ml_optimizer_save_buffer(c.o, NULL, 0, &c.size), ML_OK);
    c.bytes = malloc(c.size);
    c.buf = malloc(c.size);
    ck_assert(c.bytes && c.buf);
    ck_assert_int_eq(ml_optimizer_save_buffer(c.o, c.bytes, c.size, &c.got), ML_OK);
    walk_ops save = {NULL, opt_save_attempt, opt_save_check};
    walk_ops load = {NULL, opt_load_attempt, opt_load_check};
    walk("optimizer save", &save, &c);
    walk("optimizer load", &load, &c);
    free(c.bytes);
    free(c.buf);
    ml_optimizer_free(c.o);
}
END_TEST

/* ---------------------------------------------------------------- evaluate, predict */

typedef struct eval_ctx {
    ml_learner *l;
    ml_task *tasks[N_TASKS];
    float *p0;
    double loss, ref_loss;
    float y[4], ref_y[4];
    int predict;
} eval_ctx;

static const float EVAL_X[4] = {-2, -1, 0.5f, 3};

/* A fresh learner for each try: a used one has its scratch memory and
 * would allocate nothing. */
static void eval_prepare(void *p)
{
    eval_ctx *c = p;
    ml_learner_free(c->l);
    c->l = hd_learner(ML_STRATEGY_METASGD, 3);
}

static ml_status eval_attempt(void *p)
{
    eval_ctx *c = p;
    if (c->predict)
        return ml_learner_predict(c->l, c->tasks[0], 3, 4, EVAL_X, c->y, 4, NULL);
    return ml_learner_evaluate(c->l, N_TASKS, c->tasks, 3, &c->loss, NULL, NULL);
}

static void eval_check(void *p, ml_status st)
{
    eval_ctx *c = p;
    float *p1 = hd_params(c->l);
    HD_REQUIRE(memcmp(c->p0, p1, ml_learner_num_meta_params(c->l) * sizeof(float)) == 0,
               "evaluation changed the learner");
    free(p1);
    if (st != ML_OK)
        HD_REQUIRE(eval_attempt(c) == ML_OK, "evaluation after a failure: %s",
                   ml_last_error());
    HD_REQUIRE(c->predict ? memcmp(c->y, c->ref_y, sizeof c->y) == 0 : c->loss == c->ref_loss,
               "the result after a failure differs");
}

START_TEST(test_evaluate_and_predict)
{
    eval_ctx c;
    memset(&c, 0, sizeof c);
    eval_prepare(&c);
    hd_sine_tasks(c.tasks, N_TASKS, 4);
    c.p0 = hd_params(c.l);
    ck_assert_int_eq(ml_learner_evaluate(c.l, N_TASKS, c.tasks, 3, &c.ref_loss, NULL, NULL),
                     ML_OK);
    ck_assert_int_eq(ml_learner_predict(c.l, c.tasks[0], 3, 4, EVAL_X, c.ref_y, 4, NULL),
                     ML_OK);
    walk_ops ops = {eval_prepare, eval_attempt, eval_check};
    walk("evaluate", &ops, &c);
    c.predict = 1;
    walk("predict", &ops, &c);
    free(c.p0);
    hd_tasks_free(c.tasks, N_TASKS);
    ml_learner_free(c.l);
}
END_TEST

/* ---------------------------------------------------------------- data */

typedef struct data_ctx {
    int what;              /* 0 data set, 1 episode sampler, 2 episode draw, 3 sine draw, 4 split */
    ml_dataset *d;
    ml_sampler *s;         /* the sampler draws come from (episodes or sine) */
    ml_task *ref;          /* the first draw of a twin sampler */
    ml_dataset *out_d, *out_d2;
    ml_sampler *out_s;
    ml_task *out_t;
} data_ctx;

static void data_prepare(void *p)
{
    data_ctx *c = p;
    ml_sampler_free(c->s);
    c->s = NULL;
    if (c->what == 2) {
        ck_assert_int_eq(ml_sampler_create_episodes(&c->s, c->d, 6), ML_OK);
        ck_assert_int_eq(ml_sampler_set(c->s, ML_SAMPLER_WAYS, 3), ML_OK);
    } else if (c->what == 3) {
        ck_assert_int_eq(ml_sampler_create_sine(&c->s, 6), ML_OK);
    }
}

static ml_status data_attempt(void *p)
{
    data_ctx *c = p;
    c->out_d = c->out_d2 = (ml_dataset *)c;
    c->out_s = (ml_sampler *)c;
    c->out_t = (ml_task *)c;
    switch (c->what) {
    case 0: {
        float x[12] = {0};
        int lab[4] = {0, 1, 0, 2};
        return ml_dataset_create(&c->out_d, 4, 1, (size_t[]){3}, x, lab);
    }
    case 1: return ml_sampler_create_episodes(&c->out_s, c->d, 1);
    case 4: return ml_dataset_split(c->d, ML_SPLIT_FRACTION, "0.5", 2, &c->out_d, &c->out_d2);
    default: return ml_sampler_sample(c->s, &c->out_t);
    }
}

static int same_task(const ml_task *a, const ml_task *b)
{
    int same = 1;
    for (int h = 0; h < 2 && same; h++) {
        size_t n = ml_task_size(a, (ml_set)h) * ml_task_input_size(a);
        float *xa = malloc(n * sizeof *xa + 1), *xb = malloc(n * sizeof *xb + 1);
        ck_assert(xa && xb);
        same = n == ml_task_size(b, (ml_set)h) * ml_task_input_size(b) &&
               ml_task_get_inputs(a, (ml_set)h, xa, n) == ML_OK &&
               ml_task_get_inputs(b, (ml_set)h, xb, n) == ML_OK &&
               memcmp(xa, xb, n * sizeof *xa) == 0;
        free(xa);
        free(xb);
    }
    return same;
}

static void data_check(void *p, ml_status st)
{
    data_ctx *c = p;
    if (st != ML_OK) {
        HD_REQUIRE(c->what != 0 || c->out_d == NULL, "a failed create handed out a data set");
        HD_REQUIRE(c->what != 4 || (c->out_d == NULL && c->out_d2 == NULL),
                   "a failed split handed out a data set");
        HD_REQUIRE(c->what != 1 || c->out_s == NULL, "a failed create handed out a sampler");
        HD_REQUIRE(c->what < 2 || c->what > 3 || c->out_t == NULL,
                   "a failed draw handed out a task");
        HD_REQUIRE(data_attempt(c) == ML_OK, "the call after a failure: %s", ml_last_error());
    }
    if (c->what == 2 || c->what == 3)
        HD_REQUIRE(same_task(c->out_t, c->ref), "a failed draw moved the sampler's stream");
    if (c->what == 0 || c->what == 4)
        HD_REQUIRE(ml_dataset_size(c->out_d) > 0, "the data set is empty");
    if (c->what == 1) {
        ml_task *t = NULL;
        HD_REQUIRE(ml_sampler_sample(c->out_s, &t) == ML_OK, "the new sampler cannot draw");
        ml_task_free(t);
    }
    if (c->what == 4)
        ml_dataset_free(c->out_d2);
    if (c->what == 0 || c->what == 4)
        ml_dataset_free(c->out_d);
    if (c->what == 1)
        ml_sampler_free(c->out_s);
    if (c->what == 2 || c->what == 3)
        ml_task_free(c->out_t);
}

START_TEST(test_data)
{
    static const char *const names[] = {"data set", "episode sampler", "episode draw",
                                        "sine draw", "split"};
    data_ctx c;
    memset(&c, 0, sizeof c);
    c.what = _i;
    c.d = hd_image_dataset(5, 17, 4);
    data_prepare(&c);
    if (c.s)
        ck_assert_int_eq(ml_sampler_sample(c.s, &c.ref), ML_OK);
    walk_ops ops = {data_prepare, data_attempt, data_check};
    walk(names[_i], &ops, &c);
    ml_task_free(c.ref);
    ml_sampler_free(c.s);
    ml_dataset_free(c.d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hardening_alloc");
    TCase *tc = tcase_create("alloc");
    tcase_set_timeout(tc, 240);
    tcase_add_loop_test(tc, test_create_and_meta_step, 0,
                        (int)(sizeof STEP_CASES / sizeof STEP_CASES[0]));
    tcase_add_test(tc, test_optimizer_first_step);
    tcase_add_test(tc, test_save_and_load);
    tcase_add_test(tc, test_optimizer_save_and_load);
    tcase_add_test(tc, test_evaluate_and_predict);
    tcase_add_loop_test(tc, test_data, 0, 5);
    suite_add_tcase(s, tc);
    return hd_run(s);
}
