/* Saving and loading learners: round trips (meta-parameters, strategy,
 * settings, iteration count, outer optimiser state) shown by training on
 * after a load, files written through a temporary file, and damaged or
 * foreign data: empty, wrong magic, every truncation, every single-byte
 * change, another object kind, a newer format version, damaged contents
 * behind a valid checksum.  Each failure must leave *out NULL and a
 * message. */
#include "metatest.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

enum { N_TASKS = 4, HEADER = 24 };

static ml_task *tasks[N_TASKS];

static void make_tasks(void)
{
    sine_tasks_make(tasks, N_TASKS, 7, 4, 4);
}

static void free_tasks(void)
{
    sine_tasks_free(tasks, N_TASKS);
}

/* Learner variants: _i indexes this table. */
typedef struct variant {
    const char *name;
    ml_strategy strategy;
    int opt_kind;          /* 0: the default Adam */
    int reptile_settings;
} variant;

static const variant variants[] = {
    {"maml", ML_STRATEGY_MAML, 0, 0},
    {"fomaml sgd momentum", ML_STRATEGY_FOMAML, ML_OPTIMIZER_SGD, 0},
    {"reptile", ML_STRATEGY_REPTILE, 0, 1},
    {"metasgd", ML_STRATEGY_METASGD, 0, 0},
    {"joint rmsprop", ML_STRATEGY_JOINT, ML_OPTIMIZER_RMSPROP, 0},
};
enum { N_VARIANTS = sizeof variants / sizeof variants[0] };

/* A learner with non-default settings, trained for a few steps so the
 * optimiser has a state. */
static ml_learner *trained(int v, int threads, int steps)
{
    ml_model *m;
    ck_assert_int_eq(ml_model_create_mlp(&m, 1, 2, (size_t[]){8, 1}, ML_LAYER_TANH), ML_OK);
    ml_learner *l;
    ck_assert_int_eq(ml_learner_create(&l, m, variants[v].strategy, 31 + (uint64_t)v), ML_OK);
    ml_model_free(m);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_LR, 0.037), ML_OK);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_INNER_STEPS, 2), ML_OK);
    ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_THREADS, threads), ML_OK);
    if (variants[v].reptile_settings) {
        ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_REPTILE_EPSILON, 0.3), ML_OK);
        ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_REPTILE_EPSILON_FINAL, 0.05), ML_OK);
        ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_REPTILE_ANNEAL_ITERS, 9), ML_OK);
        ck_assert_int_eq(ml_learner_set(l, ML_LEARNER_REPTILE_INNER_ADAM, 1), ML_OK);
    }
    if (variants[v].opt_kind) {
        ml_optimizer *o;
        ck_assert_int_eq(ml_optimizer_create(&o, (ml_optimizer_kind)variants[v].opt_kind),
                         ML_OK);
        ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LR, 0.02), ML_OK);
        if (variants[v].opt_kind == ML_OPTIMIZER_SGD) {
            ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_MOMENTUM, 0.8), ML_OK);
            ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_NESTEROV, 1), ML_OK);
        } else {
            ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_RMS_DECAY, 0.7), ML_OK);
            ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_WEIGHT_DECAY, 0.01), ML_OK);
        }
        ck_assert_int_eq(ml_learner_set_optimizer(l, o), ML_OK);
        ml_optimizer_free(o);
    }
    for (int s = 0; s < steps; s++)
        ck_assert_int_eq(ml_learner_meta_step(l, N_TASKS, tasks, NULL), ML_OK);
    return l;
}

static unsigned char *save(const ml_learner *l, size_t *size)
{
    size_t need = 0;
    ck_assert_int_eq(ml_learner_save_buffer(l, NULL, 0, &need), ML_OK);
    ck_assert_uint_gt(need, HEADER + 4);
    unsigned char *b = malloc(need);
    ck_assert_ptr_nonnull(b);
    size_t got = 0;
    ck_assert_int_eq(ml_learner_save_buffer(l, b, need, &got), ML_OK);
    ck_assert_uint_eq(got, need);
    *size = need;
    return b;
}

static void fix_crc(unsigned char *b, size_t size)
{
    uLong c = crc32(0L, Z_NULL, 0);
    c = crc32(c, b, (uInt)(size - 4));
    for (int i = 0; i < 4; i++)
        b[size - 4 + i] = (unsigned char)(c >> (8 * i));
}

static void put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Where a chunk's body starts and how long it is (0 if absent). */
static size_t find_chunk(const unsigned char *b, size_t size, const char *tag, size_t *len)
{
    size_t off = HEADER;
    while (off + 12 <= size - 4) {
        uint64_t n = get_le(b + off + 4, 8);
        if (memcmp(b + off, tag, 4) == 0) {
            *len = (size_t)n;
            return off + 12;
        }
        off += 12 + (size_t)n;
    }
    *len = 0;
    return 0;
}

static void assert_same_learner(const ml_learner *a, const ml_learner *b)
{
    ck_assert_int_eq(ml_learner_strategy(a), ml_learner_strategy(b));
    size_t n = ml_learner_num_meta_params(a);
    ck_assert_uint_eq(ml_learner_num_meta_params(b), n);
    float *pa = learner_params(a), *pb = learner_params(b);
    ck_assert_mem_eq(pa, pb, n * sizeof(float));
    free(pa);
    free(pb);
    char da[256], db[256];
    ck_assert_int_eq(ml_model_describe(ml_learner_model(a), da, sizeof da, NULL), ML_OK);
    ck_assert_int_eq(ml_model_describe(ml_learner_model(b), db, sizeof db, NULL), ML_OK);
    ck_assert_str_eq(da, db);
    static const ml_learner_param keys[] = {
        ML_LEARNER_INNER_LR, ML_LEARNER_INNER_STEPS, ML_LEARNER_ITERATION,
        ML_LEARNER_REPTILE_EPSILON, ML_LEARNER_REPTILE_EPSILON_FINAL,
        ML_LEARNER_REPTILE_ANNEAL_ITERS, ML_LEARNER_REPTILE_INNER_ADAM};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        double va = NAN, vb = NAN;
        ml_status sa = ml_learner_get(a, keys[k], &va), sb = ml_learner_get(b, keys[k], &vb);
        ck_assert_int_eq(sa, sb);
        if (sa == ML_OK)
            ck_assert_msg(va == vb, "setting %d: %g and %g", (int)keys[k], va, vb);
    }
}

START_TEST(test_roundtrip_and_continue)
{
    make_tasks();
    ml_learner *l = trained(_i, 1, 3);
    size_t size;
    unsigned char *b = save(l, &size);

    /* Too small a buffer: ML_ERR_RANGE and the size needed. */
    size_t need = 0;
    unsigned char *small = malloc(size);
    ck_assert_ptr_nonnull(small);
    prime_error();
    ck_assert_int_eq(ml_learner_save_buffer(l, small, size - 1, &need), ML_ERR_RANGE);
    ck_assert(fresh_error());
    ck_assert_uint_eq(need, size);
    need = 0;
    ck_assert_int_eq(ml_learner_save_buffer(l, small, 0, &need), ML_ERR_RANGE);
    ck_assert_uint_eq(need, size);
    /* A larger buffer is fine. */
    unsigned char *big = calloc(1, size + 10);
    ck_assert_ptr_nonnull(big);
    ck_assert_int_eq(ml_learner_save_buffer(l, big, size + 10, &need), ML_OK);
    ck_assert_uint_eq(need, size);
    ck_assert_mem_eq(big, b, size);
    free(big);
    free(small);

    ml_learner *c = NULL;
    ck_assert_int_eq(ml_learner_load_buffer(&c, b, size), ML_OK);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(ml_learner_last_error(c), "");
    assert_same_learner(l, c);
    double it;
    ck_assert_int_eq(ml_learner_get(c, ML_LEARNER_ITERATION, &it), ML_OK);
    ck_assert_double_eq(it, 3);
    double lr;
    ck_assert_int_eq(ml_learner_get(c, ML_LEARNER_INNER_LR, &lr), ML_OK);
    ck_assert_double_eq(lr, 0.037);
    if (variants[_i].reptile_settings) {
        double v;
        ck_assert_int_eq(ml_learner_get(c, ML_LEARNER_REPTILE_EPSILON, &v), ML_OK);
        ck_assert_double_eq(v, 0.3);
        ck_assert_int_eq(ml_learner_get(c, ML_LEARNER_REPTILE_ANNEAL_ITERS, &v), ML_OK);
        ck_assert_double_eq(v, 9);
        ck_assert_int_eq(ml_learner_get(c, ML_LEARNER_REPTILE_INNER_ADAM, &v), ML_OK);
        ck_assert_double_eq(v, 1);
    }
    /* The loaded learner saves the same bytes: nothing was lost. */
    size_t size2;
    unsigned char *b2 = save(c, &size2);
    ck_assert_uint_eq(size2, size);
    ck_assert_mem_eq(b2, b, size);
    free(b2);

    /* A control: the same parameters with a fresh optimiser state (or for
     * Reptile, a restarted annealing) train differently, so the
     * comparison below does see the saved state. */
    ml_learner *fresh = NULL;
    ck_assert_int_eq(ml_learner_load_buffer(&fresh, b, size), ML_OK);
    if (variants[_i].strategy == ML_STRATEGY_REPTILE) {
        float *p = learner_params(fresh);
        ml_learner *r = trained(_i, 1, 0); /* iteration 0 */
        ck_assert_int_eq(ml_learner_set_meta_params(r, p, ml_learner_num_meta_params(r)),
                         ML_OK);
        ml_learner_free(fresh);
        fresh = r;
        free(p);
    } else {
        ml_optimizer *o;
        int kind = variants[_i].opt_kind ? variants[_i].opt_kind : ML_OPTIMIZER_ADAM;
        ck_assert_int_eq(ml_optimizer_create(&o, (ml_optimizer_kind)kind), ML_OK);
        if (variants[_i].opt_kind) {
            ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_LR, 0.02), ML_OK);
            if (kind == ML_OPTIMIZER_SGD) {
                ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_MOMENTUM, 0.8), ML_OK);
                ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_NESTEROV, 1), ML_OK);
            } else {
                ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_RMS_DECAY, 0.7), ML_OK);
                ck_assert_int_eq(ml_optimizer_set(o, ML_OPT_WEIGHT_DECAY, 0.01), ML_OK);
            }
        }
        ck_assert_int_eq(ml_learner_set_optimizer(fresh, o), ML_OK);
        ml_optimizer_free(o);
    }

    /* Training on: bit-identical to the original. */
    for (int s = 0; s < 5; s++) {
        double la, lc;
        ck_assert_int_eq(ml_learner_meta_step(l, N_TASKS, tasks, &la), ML_OK);
        ck_assert_int_eq(ml_learner_meta_step(c, N_TASKS, tasks, &lc), ML_OK);
        ck_assert_int_eq(ml_learner_meta_step(fresh, N_TASKS, tasks, NULL), ML_OK);
        ck_assert(la == lc);
    }
    assert_same_learner(l, c);
    size_t n = ml_learner_num_meta_params(l);
    float *pl = learner_params(l), *pf = learner_params(fresh);
    ck_assert_msg(memcmp(pl, pf, n * sizeof(float)) != 0,
                  "%s: the control with a fresh state trained the same", variants[_i].name);
    free(pl);
    free(pf);
    double el, ec;
    ck_assert_int_eq(ml_learner_evaluate(l, N_TASKS, tasks, 2, &el, NULL, NULL), ML_OK);
    ck_assert_int_eq(ml_learner_evaluate(c, N_TASKS, tasks, 2, &ec, NULL, NULL), ML_OK);
    ck_assert(el == ec);

    free(b);
    ml_learner_free(l);
    ml_learner_free(c);
    ml_learner_free(fresh);
    free_tasks();
}
END_TEST

/* Untrained learners (no optimiser state yet) round-trip too. */
START_TEST(test_roundtrip_untrained)
{
    make_tasks();
    ml_learner *l = trained(_i, 1, 0);
    size_t size;
    unsigned char *b = save(l, &size);
    ml_learner *c = NULL;
    ck_assert_int_eq(ml_learner_load_buffer(&c, b, size), ML_OK);
    assert_same_learner(l, c);
    for (int s = 0; s < 2; s++) {
        ck_assert_int_eq(ml_learner_meta_step(l, N_TASKS, tasks, NULL), ML_OK);
        ck_assert_int_eq(ml_learner_meta_step(c, N_TASKS, tasks, NULL), ML_OK);
    }
    assert_same_learner(l, c);
    free(b);
    ml_learner_free(l);
    ml_learner_free(c);
    free_tasks();
}
END_TEST

START_TEST(test_threads_not_saved)
{
    make_tasks();
    ml_learner *a = trained(_i, 1, 2), *b = trained(_i, 3, 2);
    size_t sa, sb;
    unsigned char *ba = save(a, &sa), *bb = save(b, &sb);
    ck_assert_uint_eq(sa, sb);
    ck_assert_mem_eq(ba, bb, sa);
    ml_learner *c = NULL;
    ck_assert_int_eq(ml_learner_load_buffer(&c, bb, sb), ML_OK);
    double th;
    ck_assert_int_eq(ml_learner_get(c, ML_LEARNER_THREADS, &th), ML_OK);
    ck_assert_double_eq(th, 1);
    free(ba);
    free(bb);
    ml_learner_free(a);
    ml_learner_free(b);
    ml_learner_free(c);
    free_tasks();
}
END_TEST

static size_t dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

START_TEST(test_file)
{
    make_tasks();
    const char *tmp = getenv("TMPDIR");
    char dir[200];
    snprintf(dir, sizeof dir, "%s/metalearn-io-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256], missing[300];
    snprintf(path, sizeof path, "%s/learner.mlrn", dir);
    snprintf(missing, sizeof missing, "%s/no/such/dir/learner.mlrn", dir);

    ml_learner *l = trained(0, 1, 3);
    ck_assert_int_eq(ml_learner_save(l, path), ML_OK);
    ck_assert_uint_eq(dir_entries(dir), 1); /* no temporary file left */
    /* The file holds exactly the buffer's bytes. */
    size_t size;
    unsigned char *b = save(l, &size);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    unsigned char *fb = malloc(size + 1);
    ck_assert_ptr_nonnull(fb);
    ck_assert_uint_eq(fread(fb, 1, size + 1, f), size);
    fclose(f);
    ck_assert_mem_eq(fb, b, size);
    free(fb);

    ml_learner *c = NULL;
    ck_assert_int_eq(ml_learner_load(&c, path), ML_OK);
    assert_same_learner(l, c);
    ml_learner_free(c);

    /* Saving again replaces the file, still without leftovers. */
    ck_assert_int_eq(ml_learner_meta_step(l, N_TASKS, tasks, NULL), ML_OK);
    ck_assert_int_eq(ml_learner_save(l, path), ML_OK);
    ck_assert_uint_eq(dir_entries(dir), 1);
    c = NULL;
    ck_assert_int_eq(ml_learner_load(&c, path), ML_OK);
    assert_same_learner(l, c);
    ml_learner_free(c);

    /* Errors: a directory that does not exist, a missing file, a path that
     * is a directory. */
    prime_learner_error(l);
    ck_assert_int_eq(ml_learner_save(l, missing), ML_ERR_IO);
    ck_assert(fresh_error());
    ck_assert(fresh_learner_error(l));
    ck_assert_uint_eq(dir_entries(dir), 1);
    c = (ml_learner *)&c;
    prime_error();
    ck_assert_int_eq(ml_learner_load(&c, missing), ML_ERR_IO);
    ck_assert_ptr_null(c);
    ck_assert(fresh_error());
    c = (ml_learner *)&c;
    prime_error();
    ck_assert_int_eq(ml_learner_load(&c, dir), ML_ERR_IO);
    ck_assert_ptr_null(c);
    ck_assert(fresh_error());
    /* A damaged file: the error of the buffer loader. */
    f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, (long)size / 2, SEEK_SET), 0);
    int byte = fgetc(f);
    ck_assert_int_eq(fseek(f, (long)size / 2, SEEK_SET), 0);
    fputc(byte ^ 0x5A, f);
    fclose(f);
    c = (ml_learner *)&c;
    prime_error();
    ck_assert_int_eq(ml_learner_load(&c, path), ML_ERR_CORRUPT);
    ck_assert_ptr_null(c);
    ck_assert(fresh_error());
    /* An empty file. */
    f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    c = (ml_learner *)&c;
    ck_assert_int_eq(ml_learner_load(&c, path), ML_ERR_FORMAT);
    ck_assert_ptr_null(c);

    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(rmdir(dir), 0);
    free(b);
    ml_learner_free(l);
    free_tasks();
}
END_TEST

START_TEST(test_null_arguments)
{
    make_tasks();
    ml_learner *l = trained(0, 1, 1);
    size_t size;
    unsigned char *b = save(l, &size);
    ml_learner *c = (ml_learner *)&c;
    prime_error();
    ck_assert_int_eq(ml_learner_load_buffer(NULL, b, size), ML_ERR_INVALID_ARG);
    ck_assert(fresh_error());
    prime_error();
    ck_assert_int_eq(ml_learner_load_buffer(&c, NULL, size), ML_ERR_INVALID_ARG);
    ck_assert(fresh_error());
    ck_assert_int_eq(ml_learner_load(NULL, "x"), ML_ERR_INVALID_ARG);
    c = (ml_learner *)&c;
    ck_assert_int_eq(ml_learner_load(&c, NULL), ML_ERR_INVALID_ARG);
    ck_assert_ptr_null(c);
    size_t need;
    prime_error();
    ck_assert_int_eq(ml_learner_save_buffer(NULL, NULL, 0, &need), ML_ERR_INVALID_ARG);
    ck_assert(fresh_error());
    ck_assert_int_eq(ml_learner_save_buffer(l, NULL, 0, NULL), ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_learner_save_buffer(l, NULL, 10, &need), ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_learner_save(NULL, "/tmp/x"), ML_ERR_INVALID_ARG);
    prime_error();
    ck_assert_int_eq(ml_learner_save(l, NULL), ML_ERR_INVALID_ARG);
    ck_assert(fresh_error());
    /* Still usable. */
    ck_assert_int_eq(ml_learner_meta_step(l, N_TASKS, tasks, NULL), ML_OK);
    free(b);
    ml_learner_free(l);
    free_tasks();
}
END_TEST

/* Loads that must fail with one of the given codes, leave *out NULL and
 * store a message. */
static void expect_fail(const unsigned char *b, size_t size, ml_status a, ml_status c2,
                        const char *what, size_t at)
{
    ml_learner *out = (ml_learner *)&out;
    prime_error();
    ml_status st = ml_learner_load_buffer(&out, b, size);
    if (st == ML_OK)
        ml_learner_free(out);
    ck_assert_msg(st == a || st == c2, "%s %zu: status %d (%s)", what, at, (int)st,
                  ml_status_str(st));
    ck_assert_msg(out == NULL, "%s %zu: *out not NULL", what, at);
    ck_assert_msg(fresh_error(), "%s %zu: no message", what, at);
}

START_TEST(test_foreign_and_truncated)
{
    make_tasks();
    ml_learner *l = trained(_i, 1, 2);
    size_t size;
    unsigned char *b = save(l, &size);
    unsigned char *d = malloc(size + 64);
    ck_assert_ptr_nonnull(d);

    /* Empty. */
    expect_fail(NULL, 0, ML_ERR_FORMAT, ML_ERR_FORMAT, "empty", 0);
    expect_fail(b, 0, ML_ERR_FORMAT, ML_ERR_FORMAT, "empty", 0);
    /* Wrong magic (the checksum recomputed so only the magic is wrong). */
    memcpy(d, b, size);
    memcpy(d, "MLRX", 4);
    fix_crc(d, size);
    expect_fail(d, size, ML_ERR_FORMAT, ML_ERR_FORMAT, "magic", 0);
    memcpy(d, b, size);
    memcpy(d, "\x89PNG", 4);
    expect_fail(d, size, ML_ERR_FORMAT, ML_ERR_FORMAT, "magic", 0);
    /* Every truncation. */
    for (size_t k = 0; k < size; k++) {
        memcpy(d, b, k);
        expect_fail(d, k, ML_ERR_FORMAT, ML_ERR_CORRUPT, "truncated to", k);
    }
    /* Padding after the checksum. */
    memcpy(d, b, size);
    memset(d + size, 0, 8);
    expect_fail(d, size + 8, ML_ERR_CORRUPT, ML_ERR_CORRUPT, "padded by", 8);
    /* Another object kind in a valid container. */
    memcpy(d, b, size);
    put_le(d + 8, 2, 4);
    fix_crc(d, size);
    expect_fail(d, size, ML_ERR_FORMAT, ML_ERR_FORMAT, "kind", 2);
    put_le(d + 8, 77, 4);
    fix_crc(d, size);
    expect_fail(d, size, ML_ERR_FORMAT, ML_ERR_FORMAT, "kind", 77);
    /* A newer major version. */
    for (unsigned major = 2; major <= 0xFFFF; major = major * 7 + 3) {
        memcpy(d, b, size);
        ck_assert_uint_eq(get_le(d + 4, 2), 1);
        put_le(d + 4, major, 2);
        fix_crc(d, size);
        expect_fail(d, size, ML_ERR_VERSION, ML_ERR_VERSION, "major", major);
    }
    /* A newer minor version loads (newer minors only add chunks) ... */
    memcpy(d, b, size);
    put_le(d + 6, get_le(d + 6, 2) + 1, 2);
    fix_crc(d, size);
    ml_learner *c = NULL;
    ck_assert_int_eq(ml_learner_load_buffer(&c, d, size), ML_OK);
    assert_same_learner(l, c);
    ml_learner_free(c);
    /* ... and so does a file with a chunk this version does not know. */
    static const unsigned char extra[] = {'Z', 'Z', 'Z', 'Z', 5, 0, 0, 0, 0, 0, 0, 0,
                                          1, 2, 3, 4, 5};
    memcpy(d, b, size - 4);
    memcpy(d + size - 4, extra, sizeof extra);
    size_t esize = size + sizeof extra;
    put_le(d + 16, esize - HEADER - 4, 8);
    fix_crc(d, esize);
    c = NULL;
    ck_assert_int_eq(ml_learner_load_buffer(&c, d, esize), ML_OK);
    assert_same_learner(l, c);
    ml_learner_free(c);

    free(d);
    free(b);
    ml_learner_free(l);
    free_tasks();
}
END_TEST

/* Every single-byte change is caught (by the checksum, the magic or the
 * version check). */
START_TEST(test_every_byte_changed)
{
    make_tasks();
    ml_learner *l = trained(_i, 1, 2);
    size_t size;
    unsigned char *b = save(l, &size);
    unsigned char *d = malloc(size);
    ck_assert_ptr_nonnull(d);
    static const unsigned char flips[] = {0x01, 0x80, 0xFF};
    for (size_t k = 0; k < size; k++)
        for (size_t f = 0; f < sizeof flips; f++) {
            memcpy(d, b, size);
            d[k] ^= flips[f];
            ml_status other = k >= 4 && k < 6 ? ML_ERR_VERSION : ML_ERR_CORRUPT;
            expect_fail(d, size, ML_ERR_FORMAT, other, "byte changed at", k);
        }
    free(d);
    free(b);
    ml_learner_free(l);
    free_tasks();
}
END_TEST

/* Damaged contents behind a valid checksum: whatever the change, the
 * loader returns an error or a learner that works, and never crashes (the
 * sanitizer and valgrind runs watch the reads).  The model section is
 * changed only by the targeted cases below: a changed layer size is a
 * valid, possibly huge, model. */
START_TEST(test_valid_checksum_fuzz)
{
    make_tasks();
    ml_learner *l = trained(_i, 1, 2);
    size_t size;
    unsigned char *b = save(l, &size);
    size_t mlen, mstart = find_chunk(b, size, "MODL", &mlen);
    ck_assert_uint_gt(mstart, 0);
    unsigned char *d = malloc(size);
    ck_assert_ptr_nonnull(d);
    static const unsigned char flips[] = {0x01, 0x10, 0x80, 0xFF};
    size_t loaded = 0, refused = 0;
    for (size_t k = HEADER; k < size - 4; k++) {
        if (k >= mstart && k < mstart + mlen)
            continue;
        for (size_t f = 0; f < sizeof flips; f++) {
            memcpy(d, b, size);
            d[k] ^= flips[f];
            fix_crc(d, size);
            ml_learner *c = (ml_learner *)&c;
            prime_error();
            ml_status st = ml_learner_load_buffer(&c, d, size);
            if (st == ML_OK) {
                loaded++;
                ck_assert_ptr_nonnull(c);
                /* Usable: parameters readable, saved again, a prediction
                 * with the meta-parameters as they are. */
                size_t n = ml_learner_num_meta_params(c);
                ck_assert_uint_gt(n, 0);
                float *p = learner_params(c);
                for (size_t i = 0; i < n; i++)
                    ck_assert(isfinite(p[i]));
                free(p);
                size_t s2;
                unsigned char *b2 = save(c, &s2);
                free(b2);
                float x = 0.5f, y;
                ml_status ps = ml_learner_predict(c, tasks[0], 0, 1, &x, &y, 1, NULL);
                ck_assert(ps == ML_OK || ps == ML_ERR_NUMERIC);
                ml_learner_free(c);
            } else {
                refused++;
                ck_assert_msg(st == ML_ERR_CORRUPT || st == ML_ERR_FORMAT,
                              "byte %zu ^ %#x: status %d", k, flips[f], (int)st);
                ck_assert_ptr_null(c);
                ck_assert(fresh_error());
            }
        }
    }
    /* Both outcomes occurred: the loader does check the contents. */
    ck_assert_uint_gt(refused, 0);
    ck_assert_uint_gt(loaded, 0);
    free(d);
    free(b);
    ml_learner_free(l);
    free_tasks();
}
END_TEST

/* Targeted damage with a valid checksum, one field at a time. */
START_TEST(test_inconsistent_contents)
{
    make_tasks();
    ml_learner *l = trained(0, 1, 2); /* MAML, Adam state */
    size_t size;
    unsigned char *b = save(l, &size);
    unsigned char *d = malloc(size);
    ck_assert_ptr_nonnull(d);
    size_t ml, ms = find_chunk(b, size, "MODL", &ml);
    size_t ll, ls = find_chunk(b, size, "LSET", &ll);
    size_t rl, rs = find_chunk(b, size, "RNG_", &rl);
    size_t el, es = find_chunk(b, size, "META", &el);
    size_t ol, os = find_chunk(b, size, "OPTM", &ol);
    ck_assert(ms && ls && rs && es && os);
    /* MODL: u32 ndim, ndim u64 sizes, u32 layers, (u32 kind, 4 x u64
     * parameters, units first) each: 36 bytes a layer.
     * Model 1-8-1 tanh: ndim 1, shape 1, 3 layers. */
    ck_assert_uint_eq(get_le(b + ms, 4), 1);
    ck_assert_uint_eq(get_le(b + ms + 12, 4), 3);
    const size_t layer0 = ms + 16;
    struct {
        const char *what;
        size_t at;
        int width;
        uint64_t value;
    } cases[] = {
        {"ndim 0", ms, 4, 0},
        {"ndim 4", ms, 4, 4},
        {"ndim huge", ms, 4, 0xFFFFFFFFu},
        {"input size 0", ms + 4, 8, 0},
        {"input size 2^40", ms + 4, 8, (uint64_t)1 << 40},
        {"no layers", ms + 12, 4, 0},
        {"more layers than written", ms + 12, 4, 4},
        {"layers 2^31", ms + 12, 4, 0x80000000u},
        {"layer kind 0", layer0, 4, 0},
        {"layer kind 99", layer0, 4, 99},
        {"units 0", layer0 + 4, 8, 0},
        {"units 2^40", layer0 + 4, 8, (uint64_t)1 << 40},
        {"last layer an activation", layer0 + 2 * 36, 4, ML_LAYER_TANH},
        {"hidden units changed", layer0 + 4, 8, 9}, /* META count no longer fits */
        {"strategy 0", ls, 4, 0},
        {"strategy 6", ls, 4, 6},
        {"inner lr 0", ls + 4, 8, 0},
        {"inner lr NaN", ls + 4, 8, 0x7FF8000000000000ull},
        {"inner lr -1", ls + 4, 8, 0xBFF0000000000000ull},
        {"rng all zero", rs, 8, 0},
        {"meta count + 1", es, 8, 26},
        {"meta count huge", es, 8, ~(uint64_t)0},
        {"meta NaN", es + 8, 4, 0x7FC00000u},
        {"meta +inf", es + 8 + 4 * 3, 4, 0x7F800000u},
        {"optimizer kind 0", os, 4, 0},
        {"optimizer kind 9", os, 4, 9},
        {"optimizer lr 0", os + 4, 8, 0},
        {"optimizer lr NaN", os + 4, 8, 0x7FF8000000000000ull},
        {"optimizer n 3", os + 4 + 64 + 8, 8, 3},
        {"optimizer n huge", os + 4 + 64 + 8, 8, ~(uint64_t)0},
        {"optimizer v negative", os + ol - 4, 4, 0xBF800000u},
        {"optimizer m NaN", os + 4 + 64 + 16, 4, 0x7FC00000u},
        {"chunk length huge", os - 8, 8, ~(uint64_t)0},
        {"chunk length + 1", os - 8, 8, ol + 1},
        {"chunk tag", ls - 12, 4, 0x41414141u},
    };
    (void)rl;
    (void)el;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        memcpy(d, b, size);
        if (strcmp(cases[k].what, "rng all zero") == 0)
            memset(d + rs, 0, 32);
        else
            put_le(d + cases[k].at, cases[k].value, cases[k].width);
        fix_crc(d, size);
        expect_fail(d, size, ML_ERR_CORRUPT, ML_ERR_FORMAT, cases[k].what, k);
    }
    /* The untouched bytes load (the cases above were the only damage). */
    ml_learner *c = NULL;
    memcpy(d, b, size);
    fix_crc(d, size);
    ck_assert_int_eq(ml_learner_load_buffer(&c, d, size), ML_OK);
    ml_learner_free(c);
    free(d);
    free(b);
    ml_learner_free(l);
    free_tasks();
}
END_TEST

static Suite *io_suite(void)
{
    Suite *s = suite_create("meta_io");
    TCase *tc = tcase_create("roundtrip");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_roundtrip_and_continue, 0, N_VARIANTS);
    tcase_add_loop_test(tc, test_roundtrip_untrained, 0, N_VARIANTS);
    tcase_add_loop_test(tc, test_threads_not_saved, 0, N_VARIANTS);
    tcase_add_test(tc, test_file);
    suite_add_tcase(s, tc);
    tc = tcase_create("damaged");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_null_arguments);
    tcase_add_loop_test(tc, test_foreign_and_truncated, 0, N_VARIANTS);
    tcase_add_loop_test(tc, test_every_byte_changed, 0, 2);
    tcase_add_loop_test(tc, test_valid_checksum_fuzz, 0, N_VARIANTS);
    tcase_add_test(tc, test_inconsistent_contents);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(io_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
