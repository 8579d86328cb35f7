/* Fuzz target: sequences of public API calls.
 *
 * The input is a little program (api_ops.h): each instruction creates,
 * changes, uses or frees a handle in a small table of slots (models,
 * tasks, samplers, data sets, optimisers of every kind and the learned
 * optimiser's problem families, learners of every strategy), with sizes,
 * keys and values from the input, NaN and infinities included.
 * Slots may be empty, so NULL handles are passed too; a freed handle is
 * never passed again.  Besides "no crash, no leak, no undefined
 * behaviour", every call must return a defined status with a message on
 * failure (fuzz_status), constructors give a handle exactly when they
 * succeed, and the documented promises are checked: a failed call leaves
 * its handle unchanged, prediction and evaluation do not touch the
 * meta-parameters, a saved learner or optimiser loads back to the same
 * bytes, a caller's problems are all released.
 *
 * Sizes are kept small (a few units per layer, at most MAX_LAYERS layers,
 * MAX_COUNT examples per class, MAX_STEPS inner steps, MAX_HEAVY training
 * calls) so that every input runs in milliseconds: a slow input is not a
 * finding, it only slows the search down. */
#include "api_ops.h"
#include "fuzz.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N_MODELS = 4, N_TASKS = 8, N_SAMPLERS = 2, N_DATASETS = 2, N_OPTS = 2,
       N_LEARNERS = 3, N_PROBLEMS = 2 };
enum { MAX_LAYERS = 12, MAX_STEPS = 3, MAX_COUNT = 8, MAX_THREADS = 2, MAX_BATCH = 4,
       MAX_HEAVY = 24 };
/* The learned optimiser's costs: hidden units, and for meta-training the
 * problems in flight, the unrolled steps and the horizon. */
enum { MAX_HIDDEN = 4, MAX_PROBLEMS = 2, MAX_UNROLL = 3, MAX_HORIZON = 6 };

/* A caller's problem family (ml_problems_create_callback): f(theta) =
 * |theta - c|^2 / 2 with c from the problem's seed, whose callbacks fail
 * or return NaN when the input says so.  It counts the problems it made
 * and released: at the end every one must have been released. */
typedef struct callback_family {
    unsigned fail_sample;     /* the k-th sample fails (0: none) */
    unsigned fail_objective;  /* the k-th objective call fails (0: none) */
    unsigned nan_objective;   /* the k-th objective call returns NaN (0: none) */
    unsigned samples, objectives;
    long live;                /* problems made and not released */
} callback_family;

typedef struct world {
    fuzz_in in;
    ml_model *model[N_MODELS];
    ml_task *task[N_TASKS];
    ml_sampler *sampler[N_SAMPLERS];
    ml_dataset *dataset[N_DATASETS];
    ml_optimizer *opt[N_OPTS];
    ml_learner *learner[N_LEARNERS];
    ml_problems *problems[N_PROBLEMS];
    callback_family family[N_PROBLEMS];   /* outlives every handle */
    int heavy;            /* training, prediction and evaluation calls so far */
} world;

/* A constructor gives a handle exactly when it succeeds. */
#define CREATED(st, handle) FUZZ_CHECK(((st) == ML_OK) == ((handle) != NULL))

static unsigned u8(world *w)
{
    return fuzz_u8(&w->in);
}

static unsigned pick(world *w, unsigned n)
{
    return u8(w) % n;
}

/* Usually the exact count a call needs, sometimes a little off, to reach
 * the size checks. */
static size_t near(world *w, size_t exact)
{
    unsigned b = u8(w);
    if (b < 224)
        return exact;
    long v = (long)exact + (long)b - 240;
    return v < 0 ? 0 : (size_t)v;
}

/* Buffers of exactly n elements, so AddressSanitizer sees any write past
 * what the call was told. */
static void *buffer(size_t n, size_t elem)
{
    void *p = malloc(n ? n * elem : 1);
    FUZZ_CHECK(p);
    return p;
}

/* A smooth pattern scaled by the mode byte, with optionally a few values
 * straight from the input (NaN, infinities, huge, denormal...): a whole
 * array from a couple of bytes keeps programs short. */
static void fill_floats(world *w, float *v, size_t n)
{
    unsigned mode = u8(w);
    float scale = (float)(mode % 32 + 1) / 8.0f;
    for (size_t i = 0; i < n; i++)
        v[i] = scale * (float)((int)((i * 37 + mode) % 17) - 8) / 8.0f;
    if (n && (mode & 0x80))
        for (unsigned k = u8(w) % 4 + 1; k > 0; k--)
            v[u8(w) % n] = fuzz_float(&w->in);
}

static void fill_labels(world *w, int *labels, size_t n, size_t ways)
{
    static const int odd[] = {-1, INT_MIN, INT_MAX, 255, 1 << 20};
    unsigned mode = u8(w);
    for (size_t i = 0; i < n; i++)
        labels[i] = (int)((i + mode) % (ways ? ways : 7));
    if (n && (mode & 0x80))
        labels[u8(w) % n] = mode & 0x40 ? (int)ways : odd[u8(w) % 5];
}

/* The tasks of a meta-batch: up to MAX_BATCH slots, possibly empty. */
static size_t pick_tasks(world *w, ml_task **batch)
{
    size_t n = pick(w, MAX_BATCH + 1);
    for (size_t i = 0; i < n; i++)
        batch[i] = w->task[pick(w, N_TASKS)];
    return n;
}

/* Inner steps: -1 (the learner's setting, itself bounded) to MAX_STEPS. */
static int pick_steps(world *w)
{
    return (int)pick(w, MAX_STEPS + 2) - 1;
}

/* The instructions that empty a slot. */
#define FREE_OP(name, slots, count, free_fn)    \
    static void name(world *w)                  \
    {                                           \
        unsigned s = pick(w, count);            \
        free_fn(w->slots[s]);                   \
        w->slots[s] = NULL;                     \
    }

/* Settings of learners and optimisers through one pair of functions, so
 * one instruction shape serves both. */
typedef struct settings {
    ml_status (*set)(void *handle, int key, double value);
    ml_status (*get)(const void *handle, int key, double *out);
} settings;

static ml_status learner_set(void *h, int key, double v)
{
    return ml_learner_set(h, (ml_learner_param)key, v);
}

static ml_status learner_get(const void *h, int key, double *out)
{
    return ml_learner_get(h, (ml_learner_param)key, out);
}

static ml_status optimizer_set(void *h, int key, double v)
{
    return ml_optimizer_set(h, (ml_optimizer_param)key, v);
}

static ml_status optimizer_get(const void *h, int key, double *out)
{
    return ml_optimizer_get(h, (ml_optimizer_param)key, out);
}

static const settings learner_settings = {learner_set, learner_get};
static const settings optimizer_settings = {optimizer_set, optimizer_get};

/* Reads a flag: odd reads the setting, even sets it to v, which must then
 * read back as v. */
static void set_or_get(world *w, const settings *kind, void *handle, int key, double v)
{
    double got = NAN;
    if (u8(w) & 1) {
        fuzz_status(kind->get(handle, key, &got));
        return;
    }
    if (fuzz_status(kind->set(handle, key, v)) == ML_OK) {
        FUZZ_CHECK(fuzz_status(kind->get(handle, key, &got)) == ML_OK);
        FUZZ_CHECK(got == v);
    }
}

/* ---- models ---- */

static void op_model_create(world *w)
{
    unsigned s = pick(w, N_MODELS);
    size_t ndim = pick(w, 4), shape[3] = {1, 1, 1};
    for (size_t k = 0; k < ndim; k++)
        shape[k] = pick(w, 7);
    ml_model_free(w->model[s]);
    w->model[s] = NULL;
    ml_status st = fuzz_status(ml_model_create(&w->model[s], ndim, shape));
    CREATED(st, w->model[s]);
}

static void op_model_add(world *w)
{
    ml_model *m = w->model[pick(w, N_MODELS)];
    unsigned kind = pick(w, 6);
    /* Operands by kind: dense units; activation kind; conv filters,
     * kernel, stride, padding; pooling size. */
    static const unsigned operands[6] = {1, 1, 4, 1, 0, 0};
    static const unsigned range[6][4] = {{9}, {10}, {5, 6, 4, 4}, {4}, {0}, {0}};
    size_t p[4] = {0, 0, 0, 0};
    for (unsigned i = 0; i < operands[kind]; i++)
        p[i] = pick(w, range[kind][i]);
    if (m && ml_model_num_layers(m) >= MAX_LAYERS)
        return;
    size_t layers = ml_model_num_layers(m), params = ml_model_num_params(m);
    ml_status st;
    switch (kind) {
    case 0: st = ml_model_add_dense(m, p[0]); break;
    case 1: st = ml_model_add_activation(m, (ml_layer_kind)p[0]); break;
    case 2: st = ml_model_add_conv2d(m, p[0], p[1], p[2], p[3]); break;
    case 3: st = ml_model_add_maxpool(m, p[0]); break;
    case 4: st = ml_model_add_batchnorm(m); break;
    default: st = ml_model_add_flatten(m); break;
    }
    fuzz_status(st);
    if (st != ML_OK)
        FUZZ_CHECK(ml_model_num_layers(m) == layers && ml_model_num_params(m) == params);
    else
        FUZZ_CHECK(ml_model_num_layers(m) == layers + 1);
}

static void op_model_mlp(world *w)
{
    unsigned s = pick(w, N_MODELS);
    size_t n_in = pick(w, 6), n_layers = pick(w, 4), sizes[3];
    for (int i = 0; i < 3; i++)
        sizes[i] = pick(w, 9);
    ml_layer_kind act = (ml_layer_kind)pick(w, 5);
    ml_model_free(w->model[s]);
    w->model[s] = NULL;
    ml_status st = fuzz_status(ml_model_create_mlp(&w->model[s], n_in, n_layers, sizes, act));
    CREATED(st, w->model[s]);
}

static void op_model_conv4(world *w)
{
    unsigned s = pick(w, N_MODELS);
    size_t c = pick(w, 3), h = pick(w, 9), wd = pick(w, 9), f = pick(w, 5);
    size_t blocks = pick(w, 4), n_out = pick(w, 6);
    ml_model_free(w->model[s]);
    w->model[s] = NULL;
    ml_status st =
        fuzz_status(ml_model_create_conv4(&w->model[s], c, h, wd, f, blocks, n_out));
    CREATED(st, w->model[s]);
}

/* Operands: model slot, channels, height, width, filters, blocks (0-4:
 * 0 must be refused), pooled (0-5: more than blocks must be refused). */
static void op_model_conv4_maps(world *w)
{
    unsigned s = pick(w, N_MODELS);
    size_t c = pick(w, 3), h = pick(w, 9), wd = pick(w, 9), f = pick(w, 5);
    size_t blocks = pick(w, 5), pooled = pick(w, 6);
    ml_model_free(w->model[s]);
    w->model[s] = NULL;
    ml_status st =
        fuzz_status(ml_model_create_conv4_maps(&w->model[s], c, h, wd, f, blocks, pooled));
    CREATED(st, w->model[s]);
    if (blocks == 0 || pooled > blocks)
        FUZZ_CHECK(st == ML_ERR_INVALID_ARG);
}

FREE_OP(op_model_free, model, N_MODELS, ml_model_free)

static void op_model_query(world *w)
{
    const ml_model *m = w->model[pick(w, N_MODELS)];
    size_t cap = pick(w, 80), len = 0;
    char *buf = buffer(cap, 1);
    ml_status st = fuzz_status(ml_model_describe(m, cap ? buf : NULL, cap, &len));
    if (!m)
        FUZZ_CHECK(st == ML_ERR_INVALID_ARG);
    else if (cap)
        FUZZ_CHECK(st == ML_OK ? strlen(buf) == len : st == ML_ERR_RANGE &&
                                                          strlen(buf) == cap - 1);
    free(buf);
    ml_model_layer_kind(m, pick(w, 16));
    FUZZ_CHECK(ml_model_last_error(m) != NULL);
    if (m && ml_model_num_layers(m))
        FUZZ_CHECK(ml_model_output_size(m) >= 1 && ml_model_input_size(m) >= 1);
}

/* ---- tasks ---- */

/* Checks a new task against the sizes it was made with. */
static void check_task(const ml_task *t, size_t in, size_t out, size_t ways, size_t ns,
                       size_t nq)
{
    FUZZ_CHECK(ml_task_input_size(t) == in && ml_task_output_size(t) == out);
    FUZZ_CHECK(ml_task_num_ways(t) == ways);
    FUZZ_CHECK(ml_task_size(t, ML_SUPPORT) == ns && ml_task_size(t, ML_QUERY) == nq);
}

/* Regression (ways 0) or classification task in slot s; `nulls` bits
 * replace arrays by NULL. */
static void make_task(world *w, unsigned s, size_t in, size_t out, size_t ways, size_t ns,
                      size_t nq, unsigned nulls)
{
    float *xs = buffer(ns * in, sizeof(float)), *xq = buffer(nq * in, sizeof(float));
    float *ys = buffer(ns * out, sizeof(float)), *yq = buffer(nq * out, sizeof(float));
    int *ls = buffer(ns, sizeof(int)), *lq = buffer(nq, sizeof(int));
    fill_floats(w, xs, ns * in);
    fill_floats(w, xq, nq * in);
    if (ways) {
        fill_labels(w, ls, ns, ways);
        fill_labels(w, lq, nq, ways);
    } else {
        fill_floats(w, ys, ns * out);
        fill_floats(w, yq, nq * out);
    }
    ml_task_free(w->task[s]);
    w->task[s] = NULL;
    ml_status st;
    if (ways)
        st = ml_task_create_classification(&w->task[s], in, ways, ns, nulls & 1 ? NULL : xs,
                                           nulls & 2 ? NULL : ls, nq, nulls & 4 ? NULL : xq,
                                           nulls & 8 ? NULL : lq);
    else
        st = ml_task_create_regression(&w->task[s], in, out, ns, nulls & 1 ? NULL : xs,
                                       nulls & 2 ? NULL : ys, nq, nulls & 4 ? NULL : xq,
                                       nulls & 8 ? NULL : yq);
    CREATED(fuzz_status(st), w->task[s]);
    if (st == ML_OK)
        check_task(w->task[s], in, ways ? ways : out, ways, ns, nq);
    free(xs), free(xq), free(ys), free(yq), free(ls), free(lq);
}

static void op_task_regression(world *w)
{
    unsigned s = pick(w, N_TASKS);
    size_t in = pick(w, 5), out = pick(w, 4), ns = pick(w, 9), nq = pick(w, 9);
    unsigned nulls = u8(w) & 0xf0 ? 0 : u8(w);
    make_task(w, s, in, out, 0, ns, nq, nulls);
}

static void op_task_classification(world *w)
{
    unsigned s = pick(w, N_TASKS);
    size_t in = pick(w, 5), ways = pick(w, 5), ns = pick(w, 9), nq = pick(w, 9);
    unsigned nulls = u8(w) & 0xf0 ? 0 : u8(w);
    if (ways == 0) {
        /* Classification without classes: only the constructor's check. */
        float x = 0.0f;
        int l = 0;
        ml_task_free(w->task[s]);
        w->task[s] = NULL;
        ml_status st = fuzz_status(
            ml_task_create_classification(&w->task[s], in, 0, ns, &x, &l, 0, NULL, NULL));
        FUZZ_CHECK(st == ML_ERR_INVALID_ARG && !w->task[s]);
        return;
    }
    make_task(w, s, in, ways, ways, ns, nq, nulls);
}

/* A task that fits a learner's (or a model's) sizes, so calls get past
 * the shape checks and into the strategies. */
static void op_task_fit(world *w)
{
    unsigned s = pick(w, N_TASKS), src = u8(w), mode = u8(w);
    const ml_learner *l = w->learner[src % N_LEARNERS];
    const ml_model *m = src & 0x80 ? w->model[src % N_MODELS] : ml_learner_model(l);
    if (!m || !ml_model_num_layers(m))
        return;
    size_t in = ml_model_input_size(m), out = ml_model_output_size(m);
    size_t ns = 1 + pick(w, MAX_COUNT), nq = pick(w, MAX_COUNT + 1);
    size_t ways = 0;
    if (l && fuzz_is_metric(ml_learner_strategy(l)) && !(src & 0x80))
        ways = 1 + mode % 4;                 /* metric: any number of ways */
    else if (mode & 1)
        ways = out;                          /* classify with the model's outputs */
    make_task(w, s, in, ways ? ways : out, ways, ns, nq, 0);
}

FREE_OP(op_task_free, task, N_TASKS, ml_task_free)

_Static_assert(sizeof(int) == sizeof(float), "one buffer serves floats and labels");

static void op_task_get(world *w)
{
    const ml_task *t = w->task[pick(w, N_TASKS)];
    unsigned what = pick(w, 3);
    ml_set set = (ml_set)pick(w, 3);
    size_t n = ml_task_size(t, set);
    size_t exact = what == 0 ? n * ml_task_input_size(t)
                             : what == 1 ? n * ml_task_output_size(t) : n;
    size_t count = near(w, exact);
    void *buf = buffer(count, sizeof(float));
    ml_status st = what == 0   ? ml_task_get_inputs(t, set, buf, count)
                   : what == 1 ? ml_task_get_targets(t, set, buf, count)
                               : ml_task_get_labels(t, set, buf, count);
    fuzz_status(st);
    if (!t || set > ML_QUERY)
        FUZZ_CHECK(st != ML_OK);
    free(buf);
}

/* ---- samplers ---- */

static void op_sampler_sine(world *w)
{
    unsigned s = pick(w, N_SAMPLERS);
    ml_sampler_free(w->sampler[s]);
    w->sampler[s] = NULL;
    ml_status st = fuzz_status(ml_sampler_create_sine(&w->sampler[s], fuzz_u16(&w->in)));
    CREATED(st, w->sampler[s]);
}

static void op_sampler_episodes(world *w)
{
    unsigned s = pick(w, N_SAMPLERS);
    const ml_dataset *d = w->dataset[pick(w, N_DATASETS)];
    ml_sampler_free(w->sampler[s]);
    w->sampler[s] = NULL;
    ml_status st =
        fuzz_status(ml_sampler_create_episodes(&w->sampler[s], d, fuzz_u16(&w->in)));
    CREATED(st, w->sampler[s]);
}

static const int sampler_keys[] = {
    ML_SAMPLER_SHOTS, ML_SAMPLER_QUERIES, ML_SAMPLER_WAYS, ML_SAMPLER_ROTATIONS,
    ML_SAMPLER_AMP_MIN, ML_SAMPLER_AMP_MAX, ML_SAMPLER_PHASE_MIN, ML_SAMPLER_PHASE_MAX,
    ML_SAMPLER_X_MIN, ML_SAMPLER_X_MAX, 0, 5, 99, 106, -1,
    /* appended, so committed programs keep their meaning: 5 above became
     * ML_SAMPLER_SHIFT; 6 is the next key no sampler has */
    6,
};

static void op_sampler_set(world *w)
{
    ml_sampler *sp = w->sampler[pick(w, N_SAMPLERS)];
    int key = sampler_keys[pick(w, sizeof sampler_keys / sizeof *sampler_keys)];
    double v = fuzz_double(&w->in);
    /* Valid counts above MAX_COUNT only make tasks slow. */
    if ((key == ML_SAMPLER_SHOTS || key == ML_SAMPLER_QUERIES || key == ML_SAMPLER_WAYS) &&
        v > MAX_COUNT && v <= (1 << 20))
        v = MAX_COUNT;
    ml_status st = fuzz_status(ml_sampler_set(sp, (ml_sampler_param)key, v));
    if (st == ML_OK) {
        double got = NAN;
        FUZZ_CHECK(fuzz_status(ml_sampler_get(sp, (ml_sampler_param)key, &got)) == ML_OK);
        FUZZ_CHECK(got == v);
    }
}

static void op_sampler_get(world *w)
{
    ml_sampler *sp = w->sampler[pick(w, N_SAMPLERS)];
    int key = sampler_keys[pick(w, sizeof sampler_keys / sizeof *sampler_keys)];
    double v;
    fuzz_status(ml_sampler_get(sp, (ml_sampler_param)key, &v));
    if (u8(w) & 1)
        FUZZ_CHECK((fuzz_status(ml_sampler_reseed(sp, fuzz_u16(&w->in))) == ML_OK) == !!sp);
    FUZZ_CHECK(ml_sampler_last_error(sp) != NULL);
}

static void op_sampler_sample(world *w)
{
    ml_sampler *sp = w->sampler[pick(w, N_SAMPLERS)];
    unsigned s = pick(w, N_TASKS);
    ml_task_free(w->task[s]);
    w->task[s] = NULL;
    ml_status st = fuzz_status(ml_sampler_sample(sp, &w->task[s]));
    CREATED(st, w->task[s]);
    if (st != ML_OK)
        return;
    double shots, queries, ways = 1;
    FUZZ_CHECK(ml_sampler_get(sp, ML_SAMPLER_SHOTS, &shots) == ML_OK);
    FUZZ_CHECK(ml_sampler_get(sp, ML_SAMPLER_QUERIES, &queries) == ML_OK);
    int classify = ml_task_num_ways(w->task[s]) > 0;
    if (classify)
        FUZZ_CHECK(ml_sampler_get(sp, ML_SAMPLER_WAYS, &ways) == ML_OK);
    FUZZ_CHECK(ml_task_size(w->task[s], ML_SUPPORT) == (size_t)(shots * ways));
    FUZZ_CHECK(ml_task_size(w->task[s], ML_QUERY) == (size_t)(queries * ways));
    FUZZ_CHECK(!classify || ml_task_num_ways(w->task[s]) == (size_t)ways);
}

FREE_OP(op_sampler_free, sampler, N_SAMPLERS, ml_sampler_free)

/* ---- data sets ---- */

static void op_dataset_create(world *w)
{
    unsigned s = pick(w, N_DATASETS);
    size_t n = pick(w, 17), ndim = pick(w, 4), shape[3] = {1, 1, 1};
    for (size_t k = 0; k < ndim; k++)
        shape[k] = pick(w, 5);
    size_t in = shape[0] * shape[1] * shape[2], classes = 1 + pick(w, 6);
    float *x = buffer(n * in, sizeof(float));
    int *labels = buffer(n, sizeof(int));
    fill_floats(w, x, n * in);
    fill_labels(w, labels, n, classes);
    ml_dataset_free(w->dataset[s]);
    w->dataset[s] = NULL;
    ml_status st = fuzz_status(ml_dataset_create(&w->dataset[s], n, ndim, shape, x, labels));
    CREATED(st, w->dataset[s]);
    /* Classes are the distinct labels: fill_labels' values, perhaps one odd
     * one more. */
    if (st == ML_OK)
        FUZZ_CHECK(ml_dataset_size(w->dataset[s]) == n &&
                   ml_dataset_input_size(w->dataset[s]) == in &&
                   ml_dataset_num_classes(w->dataset[s]) <= classes + 1);
    free(x);
    free(labels);
}

static void op_dataset_split(world *w)
{
    const ml_dataset *d = w->dataset[pick(w, N_DATASETS)];
    unsigned dst = pick(w, N_DATASETS), rule = pick(w, 5), mode = u8(w);
    char spec[32];
    if (mode & 1) {
        /* A number as text: "0.5", "nan", "1e+300", "-inf"... */
        snprintf(spec, sizeof spec, "%g", fuzz_double(&w->in));
    } else {
        size_t len = pick(w, sizeof spec);
        for (size_t i = 0; i < len; i++)
            spec[i] = (char)u8(w);
        spec[len] = '\0';
    }
    ml_dataset *sel = (ml_dataset *)&sel, *rest = (ml_dataset *)&rest;
    ml_status st = fuzz_status(ml_dataset_split(d, (ml_split_rule)rule, spec, u8(w),
                                                mode & 2 ? NULL : &sel,
                                                mode & 4 ? NULL : &rest));
    if (mode & 2)
        sel = NULL;
    if (mode & 4)
        rest = NULL;
    if (st != ML_OK) {
        FUZZ_CHECK(!sel && !rest);
        return;
    }
    FUZZ_CHECK(!(mode & 2) == !!sel && !(mode & 4) == !!rest);
    if (sel && rest) {
        FUZZ_CHECK(ml_dataset_size(sel) + ml_dataset_size(rest) == ml_dataset_size(d));
        FUZZ_CHECK(ml_dataset_num_classes(sel) + ml_dataset_num_classes(rest) ==
                   ml_dataset_num_classes(d));
    }
    /* One half replaces a slot (perhaps d's): it feeds samplers and
     * further splits. */
    ml_dataset_free(w->dataset[dst]);
    w->dataset[dst] = sel ? sel : rest;
    if (sel)
        ml_dataset_free(rest);
}

static void op_dataset_query(world *w)
{
    const ml_dataset *d = w->dataset[pick(w, N_DATASETS)];
    size_t i = pick(w, 20), c = pick(w, 8);
    size_t count = near(w, ml_dataset_input_size(d));
    float *x = buffer(count, sizeof(float));
    int label = -1;
    ml_status st = fuzz_status(ml_dataset_get(d, i, x, count, &label));
    if (st == ML_OK)
        FUZZ_CHECK(label >= 0 && (size_t)label < ml_dataset_num_classes(d));
    free(x);
    FUZZ_CHECK(!ml_dataset_class_name(d, c) == (c >= ml_dataset_num_classes(d)));
    FUZZ_CHECK(!ml_dataset_class_group(d, c) == (c >= ml_dataset_num_classes(d)));
    size_t nd = 0, shape[3];
    FUZZ_CHECK((fuzz_status(ml_dataset_shape(d, &nd, shape)) == ML_OK) == !!d);
    FUZZ_CHECK(ml_dataset_last_error(d) != NULL);
}

FREE_OP(op_dataset_free, dataset, N_DATASETS, ml_dataset_free)

/* ---- optimisers ---- */

static void op_opt_create(world *w)
{
    unsigned s = pick(w, N_OPTS);
    ml_optimizer_free(w->opt[s]);
    w->opt[s] = NULL;
    ml_status st =
        fuzz_status(ml_optimizer_create(&w->opt[s], (ml_optimizer_kind)pick(w, 5)));
    CREATED(st, w->opt[s]);
}

static void op_opt_set(world *w)
{
    ml_optimizer *o = w->opt[pick(w, N_OPTS)];
    int key = (int)pick(w, 10);
    double v = fuzz_double(&w->in);
    set_or_get(w, &optimizer_settings, o, key, v);
}

static void op_opt_step(world *w)
{
    ml_optimizer *o = w->opt[pick(w, N_OPTS)];
    size_t n = pick(w, MAX_COUNT + 1);
    float *p = buffer(n, sizeof(float)), *g = buffer(n, sizeof(float));
    float *before = buffer(n, sizeof(float));
    fill_floats(w, p, n);
    fill_floats(w, g, n);
    memcpy(before, p, n * sizeof(float));
    ml_status st = fuzz_status(ml_optimizer_step(o, n, p, g));
    if (st != ML_OK)
        FUZZ_CHECK(memcmp(before, p, n * sizeof(float)) == 0);
    free(p), free(g), free(before);
    FUZZ_CHECK(ml_optimizer_last_error(o) != NULL);
}

static void op_opt_free(world *w)
{
    unsigned s = pick(w, N_OPTS);
    if (u8(w) & 1) {
        FUZZ_CHECK((fuzz_status(ml_optimizer_reset(w->opt[s])) == ML_OK) == !!w->opt[s]);
        return;
    }
    ml_optimizer_free(w->opt[s]);
    w->opt[s] = NULL;
}

/* ---- learners ---- */

static void op_learner_create(world *w)
{
    /* 0, 14 and -1 are invalid strategies (14 took the place of 13 when
     * 13 became ML_STRATEGY_MATCHING); new strategies are appended, so the
     * indices the seed programs pick keep their meaning. */
    static const int strategies[] = {
        ML_STRATEGY_MAML, ML_STRATEGY_FOMAML, ML_STRATEGY_REPTILE, ML_STRATEGY_METASGD,
        ML_STRATEGY_JOINT, ML_STRATEGY_PROTONET, ML_STRATEGY_SIAMESE, ML_STRATEGY_RELATION,
        0, ML_STRATEGY_LSTM, 14, -1, ML_STRATEGY_MATCHING,
    };
    unsigned s = pick(w, N_LEARNERS);
    const ml_model *m = w->model[pick(w, N_MODELS)];
    int strategy = strategies[pick(w, sizeof strategies / sizeof *strategies)];
    ml_learner_free(w->learner[s]);
    w->learner[s] = NULL;
    ml_status st = fuzz_status(
        ml_learner_create(&w->learner[s], m, (ml_strategy)strategy, fuzz_u16(&w->in)));
    CREATED(st, w->learner[s]);
    /* (A metric strategy may have no meta-parameters at all: an embedding
     * of activations only.) */
    if (st == ML_OK)
        FUZZ_CHECK(ml_learner_strategy(w->learner[s]) == strategy);
}

static void op_learner_set(world *w)
{
    static const int keys[] = {
        ML_LEARNER_INNER_LR, ML_LEARNER_INNER_STEPS, ML_LEARNER_THREADS,
        ML_LEARNER_ITERATION, ML_LEARNER_REPTILE_EPSILON,
        ML_LEARNER_REPTILE_EPSILON_FINAL, ML_LEARNER_REPTILE_ANNEAL_ITERS,
        ML_LEARNER_REPTILE_INNER_ADAM, 0, 5, 99, 104,
    };
    ml_learner *l = w->learner[pick(w, N_LEARNERS)];
    int key = keys[pick(w, sizeof keys / sizeof *keys)];
    double v = fuzz_double(&w->in);
    /* Valid but costly settings are brought down to the bounds. */
    if (key == ML_LEARNER_INNER_STEPS && v > MAX_STEPS && v <= 100000)
        v = MAX_STEPS;
    if (key == ML_LEARNER_THREADS && v > MAX_THREADS && v <= 256)
        v = MAX_THREADS;
    set_or_get(w, &learner_settings, l, key, v);
}

static void op_learner_set_opt(world *w)
{
    ml_learner *l = w->learner[pick(w, N_LEARNERS)];
    const ml_optimizer *o = w->opt[pick(w, N_OPTS)];
    ml_status st = fuzz_status(ml_learner_set_optimizer(l, o));
    /* The learned optimiser is refused: it serves as an inner rule. */
    if (!l || !o)
        FUZZ_CHECK(st == ML_ERR_INVALID_ARG);
    else
        FUZZ_CHECK((st == ML_OK) == (ml_optimizer_kind_of(o) != ML_OPTIMIZER_LSTM));
}

/* A copy of the meta-parameters (NULL for no learner), to check that a
 * call left them alone. */
static float *snapshot(const ml_learner *l)
{
    if (!l)
        return NULL;
    size_t n = ml_learner_num_meta_params(l);
    float *v = buffer(n, sizeof(float));
    FUZZ_CHECK(fuzz_status(ml_learner_get_meta_params(l, v, n)) == ML_OK);
    return v;
}

static void same_params(const ml_learner *l, float *before)
{
    if (!l)
        return;
    float *now = snapshot(l);
    FUZZ_CHECK(memcmp(now, before, ml_learner_num_meta_params(l) * sizeof(float)) == 0);
    free(now);
}

static void op_learner_params(world *w)
{
    ml_learner *l = w->learner[pick(w, N_LEARNERS)];
    unsigned mode = u8(w);
    size_t n = ml_learner_num_meta_params(l), count = near(w, n);
    float *v = buffer(count, sizeof(float));
    if (mode & 1) {
        fuzz_status(ml_learner_get_meta_params(l, v, count));
        free(v);
        return;
    }
    fill_floats(w, v, count);
    float *before = snapshot(l);
    ml_status st = fuzz_status(ml_learner_set_meta_params(l, v, count));
    if (st == ML_OK)
        same_params(l, v);
    else
        same_params(l, before);
    free(before);
    free(v);
}

static void op_learner_step(world *w)
{
    ml_learner *l = w->learner[pick(w, N_LEARNERS)];
    ml_task *batch[MAX_BATCH];
    size_t n = pick_tasks(w, batch);
    if (w->heavy++ >= MAX_HEAVY)
        return;
    double it0 = 0, it1 = 0, loss = NAN;
    if (l)
        ml_learner_get(l, ML_LEARNER_ITERATION, &it0);
    float *before = snapshot(l);
    ml_status st = fuzz_status(ml_learner_meta_step(l, n, batch, &loss));
    if (l)
        ml_learner_get(l, ML_LEARNER_ITERATION, &it1);
    if (st == ML_OK)
        FUZZ_CHECK(it1 == it0 + 1 && isfinite(loss));
    else {
        FUZZ_CHECK(it1 == it0);
        same_params(l, before);
    }
    free(before);
}

/* The meta-batch in the library's parts (mode bits 2-7, no further input
 * read, so older programs decode as before): the parts' sums, combined as
 * metalearn.h documents, must be the mean `g` bit for bit whenever that
 * succeeded; a fuzzed sub-range must succeed exactly when it is inside the
 * plan and its counts fit. */
static void check_parts(ml_learner *l, size_t n, ml_task *const *batch, unsigned mode,
                        ml_status st, const float *g, size_t count)
{
    size_t *bounds = buffer(n + 1, sizeof *bounds), parts = 0;
    if (fuzz_status(ml_learner_meta_gradient_parts(l, n, batch, bounds, n + 1, &parts)) !=
        ML_OK) {
        free(bounds);
        return;
    }
    FUZZ_CHECK(parts >= 1 && parts <= n && bounds[0] == 0 && bounds[parts] == n);
    for (size_t p = 0; p < parts; p++)
        FUZZ_CHECK(bounds[p] < bounds[p + 1]);
    const size_t k = ml_learner_num_meta_params(l);
    float *sums = buffer(parts * k, sizeof *sums), *mean = buffer(k, sizeof *mean);
    double *losses = buffer(n, sizeof *losses);
    ml_status sq = fuzz_status(ml_learner_meta_gradient_partial(l, n, batch, 0, parts, sums,
                                                                parts * k, losses, n));
    if (st == ML_OK && sq != ML_ERR_NOMEM)
        FUZZ_CHECK(sq == ML_OK);
    if (st == ML_OK && sq == ML_OK && count == k) {
        memcpy(mean, sums, k * sizeof *mean);
        for (size_t p = 1; p < parts; p++)
            for (size_t j = 0; j < k; j++)
                mean[j] += sums[p * k + j];
        for (size_t j = 0; j < k; j++)
            mean[j] *= 1.0f / (float)n;
        FUZZ_CHECK(memcmp(mean, g, k * sizeof *mean) == 0);
    }
    size_t first = (mode >> 3) % (parts + 2), end = first + (mode >> 6);
    size_t nt = first <= end && end <= parts ? bounds[end] - bounds[first] : 0;
    size_t kk = end >= first ? (end - first) * k : 0;
    float *part = buffer(kk, sizeof *part);
    ml_status sr = fuzz_status(ml_learner_meta_gradient_partial(l, n, batch, first, end, part,
                                                                kk, losses, nt));
    if (end > parts)
        FUZZ_CHECK(sr == ML_ERR_INVALID_ARG);
    else if (sr == ML_OK && sq == ML_OK && kk)
        FUZZ_CHECK(memcmp(part, sums + first * k, kk * sizeof *part) == 0);
    free(part);
    free(sums);
    free(mean);
    free(losses);
    free(bounds);
}

static void op_learner_gradient(world *w)
{
    ml_learner *l = w->learner[pick(w, N_LEARNERS)];
    ml_task *batch[MAX_BATCH];
    size_t n = pick_tasks(w, batch);
    unsigned mode = u8(w);
    size_t count = near(w, ml_learner_num_meta_params(l));
    if (w->heavy++ >= MAX_HEAVY)
        return;
    float *g = buffer(count, sizeof(float));
    float *before = snapshot(l);
    double loss;
    ml_status st = fuzz_status(ml_learner_meta_gradient(l, n, batch, g, count, &loss));
    same_params(l, before);
    if (mode & 4 && l && n) {
        check_parts(l, n, batch, mode, st, g, count);
        same_params(l, before);
    }
    free(before);
    /* What is read must not depend on the call's result: a seed program
     * decodes as it was written whatever the library answers. */
    if (mode & 2)
        fill_floats(w, g, count);       /* apply something else */
    else if (st != ML_OK)
        memset(g, 0, count * sizeof(float));
    if (mode & 1) {
        before = snapshot(l);
        st = fuzz_status(ml_learner_apply_gradient(l, g, count));
        if (st != ML_OK)
            same_params(l, before);
        free(before);
    }
    free(g);
}

static void op_learner_predict(world *w)
{
    ml_learner *l = w->learner[pick(w, N_LEARNERS)];
    const ml_task *t = w->task[pick(w, N_TASKS)];
    int steps = pick_steps(w);
    size_t n = pick(w, 5), in = t ? ml_task_input_size(t) : 1;
    size_t count = near(w, n * ml_task_output_size(t));
    unsigned want_labels = u8(w) & 1;
    float *x = buffer(n * in, sizeof(float)), *out = buffer(count, sizeof(float));
    int *labels = buffer(n, sizeof(int));
    fill_floats(w, x, n * in);
    if (w->heavy++ < MAX_HEAVY) {
        float *before = snapshot(l);
        ml_status st = fuzz_status(ml_learner_predict(l, t, steps, n, x, out, count,
                                                      want_labels ? labels : NULL));
        same_params(l, before);
        free(before);
        for (size_t i = 0; st == ML_OK && want_labels && i < n; i++)
            FUZZ_CHECK(labels[i] >= 0 && (size_t)labels[i] < ml_task_num_ways(t));
        for (size_t i = 0; st == ML_OK && i < count; i++)
            FUZZ_CHECK(isfinite(out[i]));
    }
    free(x), free(out), free(labels);
}

static void op_learner_evaluate(world *w)
{
    ml_learner *l = w->learner[pick(w, N_LEARNERS)];
    ml_task *batch[MAX_BATCH];
    size_t n = pick_tasks(w, batch);
    int steps = pick_steps(w);
    unsigned mode = u8(w);
    if (w->heavy++ >= MAX_HEAVY)
        return;
    double loss = NAN, acc = NAN, per_task[MAX_BATCH];
    float *before = snapshot(l);
    ml_status st = fuzz_status(ml_learner_evaluate(l, n, batch, steps,
                                                   mode & 1 ? NULL : &loss,
                                                   mode & 2 ? NULL : &acc,
                                                   mode & 4 ? per_task : NULL));
    same_params(l, before);
    free(before);
    if (st == ML_OK && !(mode & 1))
        FUZZ_CHECK(isfinite(loss) && loss >= 0);
    if (st == ML_OK && !(mode & 2))
        FUZZ_CHECK(isnan(acc) || (acc >= 0 && acc <= 1));
}

/* Saves into a buffer of a fuzzed size, which must work exactly when the
 * buffer is large enough; what was saved must load back to the same
 * bytes.  Returns the loaded copy if `keep` (for the caller's slot). */
static void *reload(world *w, const fuzz_file_kind *kind, const void *obj, int keep)
{
    size_t need = 0, got = 0;
    ml_status st = fuzz_status(kind->save(obj, NULL, 0, &need));
    FUZZ_CHECK((st == ML_OK) == !!obj);
    size_t cap = near(w, need);
    unsigned char *buf = buffer(cap, 1);
    st = fuzz_status(kind->save(obj, buf, cap, &got));
    void *copy = NULL;
    if (!obj || cap < need) {
        FUZZ_CHECK(st != ML_OK);
    } else {
        FUZZ_CHECK(st == ML_OK && got == need);
        copy = fuzz_reload(kind, buf, got);
    }
    free(buf);
    if (copy && !keep) {
        kind->destroy(copy);
        copy = NULL;
    }
    return copy;
}

/* With a flag, carries on with the loaded copy in the slot. */
static void op_learner_reload(world *w)
{
    unsigned s = pick(w, N_LEARNERS), mode = u8(w);
    ml_learner *copy = reload(w, &fuzz_learner_files, w->learner[s], mode & 1);
    if (copy) {
        ml_learner_free(w->learner[s]);
        w->learner[s] = copy;
    }
}

FREE_OP(op_learner_free, learner, N_LEARNERS, ml_learner_free)

/* ---- the learned optimiser and its problem families ---- */

static int cb_sample(void *user, uint64_t seed, size_t n, float *theta0, void **problem)
{
    callback_family *f = user;
    if (++f->samples == f->fail_sample)
        return 1;
    float *c = malloc(sizeof *c);
    if (!c)
        return 1;
    *c = (float)(seed % 5) - 2.0f;
    for (size_t i = 0; i < n; i++)
        theta0[i] = (float)((seed + i) % 7) * 0.25f - 0.75f;
    f->live++;
    *problem = c;
    return 0;
}

static int cb_objective(void *user, void *problem, size_t n, const float *theta,
                        float *grad, double *value)
{
    callback_family *f = user;
    f->objectives++;
    if (f->objectives == f->fail_objective)
        return 1;
    const float c = *(const float *)problem;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        grad[i] = theta[i] - c;
        sum += 0.5 * (double)grad[i] * grad[i];
    }
    *value = f->objectives == f->nan_objective ? NAN : sum;
    return 0;
}

static void cb_release(void *user, void *problem)
{
    callback_family *f = user;
    f->live--;
    free(problem);
}

static void op_problems_create(world *w)
{
    unsigned s = pick(w, N_PROBLEMS), kind = pick(w, 3);
    size_t a = pick(w, 10), b = pick(w, 6), c = pick(w, 6);
    ml_problems_free(w->problems[s]);
    w->problems[s] = NULL;
    ml_status st;
    if (kind == 0) {
        st = ml_problems_create_quadratic(&w->problems[s], a);
    } else if (kind == 1) {
        st = ml_problems_create_mlp(&w->problems[s], w->dataset[a % N_DATASETS], b, c);
    } else {
        /* The family's state outlives the handle: optimisers may hold its
         * problems after the handle is freed. */
        callback_family *f = &w->family[s];
        f->fail_sample = b ? f->samples + b : 0;
        f->fail_objective = c ? f->objectives + 4 * c : 0;
        f->nan_objective = u8(w) & 1 ? f->objectives + 3 : 0;
        st = ml_problems_create_callback(&w->problems[s], a, cb_sample, cb_objective,
                                         cb_release, f);
    }
    CREATED(fuzz_status(st), w->problems[s]);
}

FREE_OP(op_problems_free, problems, N_PROBLEMS, ml_problems_free)

/* Bounds an LSTM optimiser's costs before it runs (harmless for the
 * other kinds, which refuse the keys). */
static void bound_lstm(ml_optimizer *o)
{
    static const struct { int key; double max; } bounds[] = {
        {ML_OPT_LSTM_HIDDEN, MAX_HIDDEN}, {ML_OPT_LSTM_PROBLEMS, MAX_PROBLEMS},
        {ML_OPT_LSTM_UNROLL, MAX_UNROLL}, {ML_OPT_LSTM_HORIZON, MAX_HORIZON},
    };
    if (ml_optimizer_kind_of(o) != ML_OPTIMIZER_LSTM)
        return;
    for (size_t i = 0; i < sizeof bounds / sizeof *bounds; i++) {
        double v;
        ml_optimizer_param key = (ml_optimizer_param)bounds[i].key;
        if (ml_optimizer_get(o, key, &v) == ML_OK && v > bounds[i].max)
            FUZZ_CHECK(fuzz_status(ml_optimizer_set(o, key, bounds[i].max)) == ML_OK);
    }
}

static void op_problems_run(world *w)
{
    const ml_problems *p = w->problems[pick(w, N_PROBLEMS)];
    ml_optimizer *o = w->opt[pick(w, N_OPTS)];
    unsigned seed = fuzz_u16(&w->in);
    size_t steps = pick(w, 6);
    double *losses = buffer(steps + 1, sizeof(double));
    if (w->heavy++ < MAX_HEAVY) {
        bound_lstm(o);
        ml_status st = fuzz_status(ml_problems_run(p, o, seed, steps, losses));
        for (size_t i = 0; st == ML_OK && i <= steps; i++)
            FUZZ_CHECK(isfinite(losses[i]));
    }
    free(losses);
}

/* The learned weights (NULL for none), to check a call left them alone. */
static float *weights(const ml_optimizer *o)
{
    size_t n = ml_optimizer_num_weights(o);
    if (!n)
        return NULL;
    float *v = buffer(n, sizeof(float));
    FUZZ_CHECK(fuzz_status(ml_optimizer_get_weights(o, v, n)) == ML_OK);
    return v;
}

static void same_weights(const ml_optimizer *o, float *before)
{
    float *now = weights(o);
    if (now || before)
        FUZZ_CHECK(now && before &&
                   !memcmp(now, before, ml_optimizer_num_weights(o) * sizeof(float)));
    free(now);
}

static const int lstm_keys[] = {
    ML_OPT_LSTM_HIDDEN, ML_OPT_LSTM_PREPROCESS, ML_OPT_LSTM_OUTPUT_SCALE,
    ML_OPT_LSTM_HORIZON, ML_OPT_LSTM_UNROLL, ML_OPT_LSTM_META_LR, ML_OPT_LSTM_PROBLEMS,
    ML_OPT_LSTM_EXACT, ML_OPT_LSTM_LOSS_POWER, ML_OPT_LSTM_SEED, ML_OPT_LSTM_META_STEPS,
    ML_OPT_LR, 19, 31,
};

static void op_opt_lstm_set(world *w)
{
    ml_optimizer *o = w->opt[pick(w, N_OPTS)];
    int key = lstm_keys[pick(w, sizeof lstm_keys / sizeof *lstm_keys)];
    double v = fuzz_double(&w->in);
    /* Drawing the weights of 1024 hidden units alone takes half a second;
     * the other costly settings are bounded where they cost (bound_lstm). */
    if (key == ML_OPT_LSTM_HIDDEN && v > MAX_HIDDEN && v <= 1024)
        v = MAX_HIDDEN;
    set_or_get(w, &optimizer_settings, o, key, v);
}

static void op_opt_meta_step(world *w)
{
    ml_optimizer *o = w->opt[pick(w, N_OPTS)];
    const ml_problems *p = w->problems[pick(w, N_PROBLEMS)];
    if (w->heavy++ >= MAX_HEAVY)
        return;
    bound_lstm(o);
    float *before = weights(o);
    double loss = NAN;
    ml_status st = fuzz_status(ml_optimizer_meta_step(o, p, &loss));
    if (st == ML_OK)
        FUZZ_CHECK(isfinite(loss));
    else
        same_weights(o, before);
    free(before);
}

static void op_opt_weights(world *w)
{
    ml_optimizer *o = w->opt[pick(w, N_OPTS)];
    unsigned mode = u8(w);
    size_t count = near(w, ml_optimizer_num_weights(o));
    float *v = buffer(count, sizeof(float));
    if (mode & 1) {
        fuzz_status(ml_optimizer_get_weights(o, v, count));
        free(v);
        return;
    }
    fill_floats(w, v, count);
    float *before = weights(o);
    if (fuzz_status(ml_optimizer_set_weights(o, v, count)) == ML_OK)
        same_weights(o, v);
    else
        same_weights(o, before);
    free(before);
    free(v);
}

static void op_opt_reload(world *w)
{
    unsigned s = pick(w, N_OPTS), mode = u8(w);
    ml_optimizer *copy = reload(w, &fuzz_optimizer_files, w->opt[s], mode & 1);
    if (copy) {
        ml_optimizer_free(w->opt[s]);
        w->opt[s] = copy;
    }
}

static void op_learner_set_inner(world *w)
{
    ml_learner *l = w->learner[pick(w, N_LEARNERS)];
    const ml_optimizer *o = w->opt[pick(w, N_OPTS)];
    size_t n = ml_learner_num_meta_params(l);
    ml_status st = fuzz_status(ml_learner_set_inner_optimizer(l, o));
    if (st != ML_OK)
        FUZZ_CHECK(ml_learner_num_meta_params(l) == n);
}

typedef void (*op_fn)(world *w);

static const op_fn ops[OP_COUNT] = {
    [OP_MODEL_CREATE] = op_model_create,
    [OP_MODEL_ADD] = op_model_add,
    [OP_MODEL_MLP] = op_model_mlp,
    [OP_MODEL_CONV4] = op_model_conv4,
    [OP_MODEL_FREE] = op_model_free,
    [OP_MODEL_QUERY] = op_model_query,
    [OP_TASK_REGRESSION] = op_task_regression,
    [OP_TASK_CLASSIFICATION] = op_task_classification,
    [OP_TASK_FIT] = op_task_fit,
    [OP_TASK_FREE] = op_task_free,
    [OP_TASK_GET] = op_task_get,
    [OP_SAMPLER_SINE] = op_sampler_sine,
    [OP_SAMPLER_EPISODES] = op_sampler_episodes,
    [OP_SAMPLER_SET] = op_sampler_set,
    [OP_SAMPLER_GET] = op_sampler_get,
    [OP_SAMPLER_SAMPLE] = op_sampler_sample,
    [OP_SAMPLER_FREE] = op_sampler_free,
    [OP_DATASET_CREATE] = op_dataset_create,
    [OP_DATASET_SPLIT] = op_dataset_split,
    [OP_DATASET_QUERY] = op_dataset_query,
    [OP_DATASET_FREE] = op_dataset_free,
    [OP_OPT_CREATE] = op_opt_create,
    [OP_OPT_SET] = op_opt_set,
    [OP_OPT_STEP] = op_opt_step,
    [OP_OPT_FREE] = op_opt_free,
    [OP_LEARNER_CREATE] = op_learner_create,
    [OP_LEARNER_SET] = op_learner_set,
    [OP_LEARNER_SET_OPT] = op_learner_set_opt,
    [OP_LEARNER_PARAMS] = op_learner_params,
    [OP_LEARNER_STEP] = op_learner_step,
    [OP_LEARNER_GRADIENT] = op_learner_gradient,
    [OP_LEARNER_PREDICT] = op_learner_predict,
    [OP_LEARNER_EVALUATE] = op_learner_evaluate,
    [OP_LEARNER_RELOAD] = op_learner_reload,
    [OP_LEARNER_FREE] = op_learner_free,
    [OP_PROBLEMS_CREATE] = op_problems_create,
    [OP_PROBLEMS_RUN] = op_problems_run,
    [OP_PROBLEMS_FREE] = op_problems_free,
    [OP_OPT_LSTM_SET] = op_opt_lstm_set,
    [OP_OPT_META_STEP] = op_opt_meta_step,
    [OP_OPT_WEIGHTS] = op_opt_weights,
    [OP_OPT_RELOAD] = op_opt_reload,
    [OP_LEARNER_SET_INNER] = op_learner_set_inner,
    [OP_MODEL_CONV4_MAPS] = op_model_conv4_maps,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    world w;
    memset(&w, 0, sizeof w);
    w.in = (fuzz_in){data, size, 0};
    while (fuzz_left(&w.in))
        ops[u8(&w) % OP_COUNT](&w);
    /* Data sets, models and problem families go before what was made
     * from them (samplers, learners, optimisers): those must not need them. */
    for (int i = 0; i < N_DATASETS; i++)
        ml_dataset_free(w.dataset[i]);
    for (int i = 0; i < N_MODELS; i++)
        ml_model_free(w.model[i]);
    for (int i = 0; i < N_PROBLEMS; i++)
        ml_problems_free(w.problems[i]);
    for (int i = 0; i < N_SAMPLERS; i++)
        ml_sampler_free(w.sampler[i]);
    for (int i = 0; i < N_TASKS; i++)
        ml_task_free(w.task[i]);
    for (int i = 0; i < N_OPTS; i++)
        ml_optimizer_free(w.opt[i]);
    for (int i = 0; i < N_LEARNERS; i++)
        ml_learner_free(w.learner[i]);
    /* Every problem a caller's family made has been released by now. */
    for (int i = 0; i < N_PROBLEMS; i++)
        FUZZ_CHECK(w.family[i].live == 0);
    return 0;
}
