/* Writes the seed corpora of the fuzz targets: valid learner files from
 * the library itself (learners of every strategy, optimisers of every
 * kind), small PNG images of every colour type and bit depth
 * (libpng's classic writer), IDX files plain and gzip-compressed, and a
 * few API programs.  Usage: make_seeds CORPUS-DIR (tests/fuzz/corpus);
 * the subdirectories must exist.  Seeds are named seed-*, so inputs
 * added later (crash regressions, crash-*) stay apart.  Needed only when
 * a format changes: the corpora are committed. */
#include "api_ops.h"
#include "fuzz.h"
#include "metalearn.h"

#include <png.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char *root;

static void die(const char *what)
{
    fprintf(stderr, "make_seeds: %s (%s)\n", what, ml_last_error());
    exit(1);
}

typedef struct bytes {
    unsigned char *p;
    size_t n, cap;
} bytes;

static void put(bytes *b, const void *data, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = 2 * (b->n + n);
        if (!(b->p = realloc(b->p, b->cap)))
            die("out of memory");
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void put_byte(bytes *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    put(b, &c, 1);
}

/* Writes corpus/TARGET/PREFIX-NAME: seed-* for seeds, crash-* for
 * regressions. */
static void save_as(const char *target, const char *prefix, const char *name,
                    const bytes *b)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s-%s", root, target, prefix, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b->p, 1, b->n, f) != b->n || fclose(f) != 0)
        die(path);
}

static void save(const char *target, const char *name, const bytes *b)
{
    save_as(target, "seed", name, b);
}

/* ---- learner and optimiser files ---- */

/* A learner's or optimiser's *_save_buffer, seen through void pointers. */
typedef ml_status (*save_fn)(const void *obj, void *buf, size_t cap, size_t *size);

static void save_object(const char *target, const char *name, const void *obj,
                        save_fn fn)
{
    size_t n = 0;
    bytes b = {0};
    fn(obj, NULL, 0, &n);
    b.p = malloc(n);
    b.n = b.cap = n;
    if (!b.p || fn(obj, b.p, n, &n) != ML_OK)
        die("saving a seed");
    save(target, name, &b);
    free(b.p);
}

static ml_status save_learner(const void *l, void *buf, size_t cap, size_t *size)
{
    return ml_learner_save_buffer(l, buf, cap, size);
}

static void learner_seed(const char *name, ml_model *m, ml_strategy strategy, int trained)
{
    ml_learner *l;
    if (ml_learner_create(&l, m, strategy, 7) != ML_OK)
        die("ml_learner_create");
    if (strategy == ML_STRATEGY_LSTM) {
        /* Two hidden units: the default twenty would make a 20 kB seed. */
        ml_optimizer *inner;
        if (ml_optimizer_create(&inner, ML_OPTIMIZER_LSTM) != ML_OK ||
            ml_optimizer_set(inner, ML_OPT_LSTM_HIDDEN, 2) != ML_OK ||
            ml_learner_set_inner_optimizer(l, inner) != ML_OK)
            die("ml_learner_set_inner_optimizer");
        ml_optimizer_free(inner);
    }
    if (strategy == ML_STRATEGY_REPTILE &&
        (ml_learner_set(l, ML_LEARNER_REPTILE_INNER_ADAM, 1) != ML_OK ||
         ml_learner_set(l, ML_LEARNER_REPTILE_ANNEAL_ITERS, 100) != ML_OK))
        die("ml_learner_set");
    if (trained) {
        /* One meta-step, so the optimiser state is saved too. */
        size_t in = ml_model_input_size(m), out = ml_model_output_size(m);
        float x[64], y[16];
        int labels[4] = {0, 1, 0, 1};
        for (size_t i = 0; i < 4 * in; i++)
            x[i] = (float)(i % 5) / 5.0f;
        for (size_t i = 0; i < 4 * out; i++)
            y[i] = (float)(i % 3) / 3.0f;
        ml_task *t;
        ml_status st = fuzz_is_metric(strategy)
                           ? ml_task_create_classification(&t, in, 2, 4, x, labels, 4, x, labels)
                           : ml_task_create_regression(&t, in, out, 4, x, y, 4, x, y);
        if (st != ML_OK || ml_learner_meta_step(l, 1, &t, NULL) != ML_OK)
            die("meta-step");
        ml_task_free(t);
    }
    save_object("learner_load", name, l, save_learner);
    ml_learner_free(l);
}

static void learner_seeds(void)
{
    ml_model *mlp, *conv, *maps;
    if (ml_model_create_mlp(&mlp, 2, 2, (const size_t[]){6, 2}, ML_LAYER_TANH) != ML_OK ||
        ml_model_create_conv4(&conv, 1, 4, 4, 2, 1, 0) != ML_OK ||
        ml_model_create_conv4_maps(&maps, 1, 4, 4, 2, 2, 1) != ML_OK)
        die("models");
    learner_seed("maml", mlp, ML_STRATEGY_MAML, 1);
    learner_seed("fomaml", mlp, ML_STRATEGY_FOMAML, 0);
    learner_seed("reptile", mlp, ML_STRATEGY_REPTILE, 1);
    learner_seed("metasgd", mlp, ML_STRATEGY_METASGD, 1);
    learner_seed("joint", mlp, ML_STRATEGY_JOINT, 0);
    learner_seed("lstm", mlp, ML_STRATEGY_LSTM, 1);
    learner_seed("protonet", conv, ML_STRATEGY_PROTONET, 1);
    learner_seed("siamese", conv, ML_STRATEGY_SIAMESE, 0);
    learner_seed("relation", conv, ML_STRATEGY_RELATION, 1);
    /* Feature maps: the relation module is convolutional. */
    learner_seed("relation-maps", maps, ML_STRATEGY_RELATION, 1);
    learner_seed("matching", conv, ML_STRATEGY_MATCHING, 1);
    ml_model_free(mlp);
    ml_model_free(conv);
    ml_model_free(maps);
}

static void set(ml_optimizer *o, ml_optimizer_param key, double v)
{
    if (ml_optimizer_set(o, key, v) != ML_OK)
        die("ml_optimizer_set");
}

static ml_status save_optimizer(const void *o, void *buf, size_t cap, size_t *size)
{
    return ml_optimizer_save_buffer(o, buf, cap, size);
}

static void optimizer_seed(const char *name, ml_optimizer *o)
{
    save_object("optimizer_load", name, o, save_optimizer);
    ml_optimizer_free(o);
}

static ml_optimizer *optimizer(ml_optimizer_kind kind)
{
    ml_optimizer *o;
    if (ml_optimizer_create(&o, kind) != ML_OK)
        die("ml_optimizer_create");
    return o;
}

static void optimizer_seeds(void)
{
    ml_optimizer *o = optimizer(ML_OPTIMIZER_SGD);
    set(o, ML_OPT_MOMENTUM, 0.9);
    set(o, ML_OPT_NESTEROV, 1);
    set(o, ML_OPT_WEIGHT_DECAY, 0.01);
    optimizer_seed("sgd-nesterov", o);
    o = optimizer(ML_OPTIMIZER_ADAM);
    set(o, ML_OPT_BETA1, 0.8);
    set(o, ML_OPT_EPS, 1e-6);
    optimizer_seed("adam", o);
    o = optimizer(ML_OPTIMIZER_RMSPROP);
    set(o, ML_OPT_RMS_DECAY, 0.9);
    optimizer_seed("rmsprop", o);
    /* Small learned optimisers: the weights are most of the file. */
    o = optimizer(ML_OPTIMIZER_LSTM);
    set(o, ML_OPT_LSTM_HIDDEN, 3);
    set(o, ML_OPT_LSTM_OUTPUT_SCALE, 0.2);
    optimizer_seed("lstm-hidden3", o);
    o = optimizer(ML_OPTIMIZER_LSTM);
    set(o, ML_OPT_LSTM_HIDDEN, 2);
    set(o, ML_OPT_LSTM_PREPROCESS, 0);
    set(o, ML_OPT_LSTM_PROBLEMS, 2);
    set(o, ML_OPT_LSTM_HORIZON, 4);
    set(o, ML_OPT_LSTM_UNROLL, 2);
    ml_problems *p;
    if (ml_problems_create_quadratic(&p, 3) != ML_OK || ml_optimizer_meta_step(o, p, NULL))
        die("meta-training the LSTM optimiser");
    ml_problems_free(p);
    optimizer_seed("lstm-trained", o);
}

/* ---- PNG images ---- */

static void png_put(png_structp png, png_bytep data, size_t n)
{
    put(png_get_io_ptr(png), data, n);
}

static void png_flush(png_structp png)
{
    (void)png;
}

/* A w x h image of the given depth and colour type (palette: 4 entries),
 * pixels from a simple pattern, after the fuzz target's 3-byte prefix:
 * output size (big-endian) and flags. */
static void png_seed(const char *name, unsigned size, unsigned flags, int w, int h,
                     int depth, int color, int interlace, int gamma)
{
    bytes b = {0};
    put_byte(&b, size >> 8);
    put_byte(&b, size);
    put_byte(&b, flags);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info || setjmp(png_jmpbuf(png)))
        die("libpng");
    png_set_write_fn(png, &b, png_put, png_flush);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, color, interlace,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (color == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[4] = {{0, 0, 0}, {255, 255, 255}, {200, 30, 30}, {10, 90, 240}};
        png_byte alpha[2] = {0, 128};
        png_set_PLTE(png, info, pal, 4);
        png_set_tRNS(png, info, alpha, 2, NULL);
    }
    if (gamma)
        png_set_gAMA(png, info, 0.45455);
    png_write_info(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    png_bytepp rows = malloc((size_t)h * sizeof *rows);
    if (!rows)
        die("out of memory");
    for (int y = 0; y < h; y++) {
        rows[y] = malloc(row_bytes);
        if (!rows[y])
            die("out of memory");
        for (size_t i = 0; i < row_bytes; i++)
            rows[y][i] = (png_byte)((y * 31 + (int)i * 17) * (depth == 16 ? 7 : 1));
        if (color == PNG_COLOR_TYPE_PALETTE)
            for (size_t i = 0; i < row_bytes; i++)      /* indices below 4 */
                rows[y][i] &= depth == 8 ? 0x03 : 0x33;
    }
    png_write_image(png, rows);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    for (int y = 0; y < h; y++)
        free(rows[y]);
    free(rows);
    save("images", name, &b);
    free(b.p);
}

static void image_seeds(void)
{
    png_seed("gray1-interlaced", 8, 0, 13, 9, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_ADAM7, 0);
    png_seed("gray2", 5, 1, 6, 6, 2, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, 0);
    png_seed("gray8-classes", 4, 2 | 4 | 8, 8, 8, 8, PNG_COLOR_TYPE_GRAY,
             PNG_INTERLACE_NONE, 0);
    png_seed("gray16-gamma", 7, 1, 5, 3, 16, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, 1);
    png_seed("gray-alpha", 3, 0, 4, 7, 8, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_INTERLACE_NONE, 0);
    png_seed("rgb8", 6, 0, 6, 6, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, 0);
    png_seed("rgba16", 2, 1, 3, 5, 16, PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_ADAM7, 0);
    png_seed("palette4", 9, 0, 7, 4, 4, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, 0);
    png_seed("palette8-wide-size", 1, 16, 2, 2, 8, PNG_COLOR_TYPE_PALETTE,
             PNG_INTERLACE_NONE, 0);
    png_seed("size-zero", 0, 16, 2, 2, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, 0);
}

/* ---- IDX files ---- */

static void idx_file(bytes *b, unsigned magic, int rank, const unsigned *dims,
                     const unsigned char *data, size_t n)
{
    unsigned char h[16];
    for (int k = 0; k <= rank; k++) {
        unsigned v = k == 0 ? magic : dims[k - 1];
        h[4 * k] = (unsigned char)(v >> 24);
        h[4 * k + 1] = (unsigned char)(v >> 16);
        h[4 * k + 2] = (unsigned char)(v >> 8);
        h[4 * k + 3] = (unsigned char)v;
    }
    put(b, h, 4 + 4 * (size_t)rank);
    put(b, data, n);
}

/* gzip (not zlib) framing, as gzopen writes it. */
static void gzip(bytes *out, const bytes *in)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    unsigned char buf[4096];
    if (deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        die("deflateInit2");
    z.next_in = in->p;
    z.avail_in = (uInt)in->n;
    int r;
    do {
        z.next_out = buf;
        z.avail_out = sizeof buf;
        r = deflate(&z, Z_FINISH);
        put(out, buf, sizeof buf - z.avail_out);
    } while (r == Z_OK);
    deflateEnd(&z);
    if (r != Z_STREAM_END)
        die("deflate");
}

/* The target's input: flags, where the images file ends, both files. */
static void idx_seed(const char *name, unsigned flags, int gz_here, unsigned count,
                     unsigned rows, unsigned cols, unsigned n_labels)
{
    unsigned char px[256], lab[64];
    for (unsigned i = 0; i < sizeof px; i++)
        px[i] = (unsigned char)(i * 29);
    for (unsigned i = 0; i < sizeof lab; i++)
        lab[i] = (unsigned char)(i % 3 + (i == 5 ? 7 : 0));
    bytes images = {0}, labels = {0};
    idx_file(&images, 0x803, 3, (const unsigned[]){count, rows, cols}, px,
             (size_t)count * rows * cols);
    idx_file(&labels, 0x801, 1, (const unsigned[]){n_labels}, lab, n_labels);
    if (gz_here) {
        /* Real .gz files, written as they are: damaged streams get fuzzed. */
        bytes gi = {0}, gl = {0};
        gzip(&gi, &images);
        gzip(&gl, &labels);
        free(images.p);
        free(labels.p);
        images = gi;
        labels = gl;
    }
    bytes b = {0};
    put_byte(&b, flags);
    put_byte(&b, (unsigned)images.n >> 8);
    put_byte(&b, (unsigned)images.n);
    put(&b, images.p, images.n);
    put(&b, labels.p, labels.n);
    save("idx", name, &b);
    free(b.p);
    free(images.p);
    free(labels.p);
}

static void idx_seeds(void)
{
    idx_seed("plain", 0, 0, 6, 4, 4, 6);
    idx_seed("gzip-by-target", 1 | 2, 0, 3, 5, 7, 3);
    idx_seed("gzip-files", 0, 1, 4, 3, 3, 4);
    idx_seed("mixed-fast", 2 | 4, 0, 2, 8, 8, 2);
    idx_seed("label-count-mismatch", 0, 0, 3, 2, 2, 4);
}

/* ---- API programs (operands: see fuzz_api.c) ---- */

/* One instruction: the opcode and its operand bytes, up to -1. */
static void ins(bytes *b, int op, ...)
{
    put_byte(b, (unsigned)op);
    va_list ap;
    va_start(ap, op);
    for (int v; (v = va_arg(ap, int)) >= 0;)
        put_byte(b, (unsigned)v);
    va_end(ap);
}

#define END (-1)
/* fuzz_double's tag for a multiple of 1/4 in [-16, 16). */
#define D(v) ((int)(64 + 4 * (v)))
/* Its special values, by their place in the table of fuzz_common.c. */
#define D_1E_3 (128 + 5)
#define D_NAN (128 + 20)
#define D_INF (128 + 22)

/* MAML on sine waves: sample, train, predict, evaluate, save and load. */
static void api_sine_maml(void)
{
    bytes b = {0};
    ins(&b, OP_MODEL_MLP, 0, 1, 3, 8, 8, 1, ML_LAYER_RELU, END);
    ins(&b, OP_LEARNER_CREATE, 0, 0, 0, 0, 1, END);
    ins(&b, OP_LEARNER_SET, 0, 1, D(2), 0, END);             /* inner steps 2 */
    ins(&b, OP_SAMPLER_SINE, 0, 0, 3, END);
    ins(&b, OP_SAMPLER_SET, 0, 0, D(5), END);                /* 5 shots */
    for (int t = 0; t < 3; t++)
        ins(&b, OP_SAMPLER_SAMPLE, 0, t, END);
    ins(&b, OP_LEARNER_STEP, 0, 3, 0, 1, 2, END);
    ins(&b, OP_LEARNER_PREDICT, 0, 0, 2, 4, 0, 0, 5, END);
    ins(&b, OP_LEARNER_EVALUATE, 0, 2, 0, 1, 3, 0, END);
    ins(&b, OP_LEARNER_RELOAD, 0, 1, 0, END);
    ins(&b, OP_LEARNER_STEP, 0, 1, 2, END);
    ins(&b, OP_MODEL_QUERY, 0, 40, 2, END);
    save("api", "sine-maml", &b);
    free(b.p);
}

/* A meta-batch in the library's parts (check_parts in fuzz_api.c): tasks
 * of two sizes, so first-order MAML plans two parts; an empty range, the
 * second part alone, a range past the plan, and the whole plan. */
static void api_gradient_parts(void)
{
    bytes b = {0};
    ins(&b, OP_MODEL_MLP, 1, 2, 2, 4, 3, 0, ML_LAYER_TANH, END);
    ins(&b, OP_LEARNER_CREATE, 0, 1, 1, 0, 5, END);          /* first-order MAML */
    ins(&b, OP_TASK_FIT, 0, 0, 0, 3, 4, 5, 6, 7, 8, END);
    ins(&b, OP_TASK_FIT, 1, 0, 0, 2, 2, 9, 10, 11, 12, END);
    ins(&b, OP_TASK_FIT, 2, 0, 0, 3, 4, 13, 14, 15, 16, END);
    ins(&b, OP_LEARNER_GRADIENT, 0, 3, 0, 2, 1, 4, 0, END);
    ins(&b, OP_LEARNER_GRADIENT, 0, 3, 0, 2, 1, 4 | 8 | 64, 0, END);
    ins(&b, OP_LEARNER_GRADIENT, 0, 3, 0, 2, 1, 4 | 16 | 64, 0, END);
    ins(&b, OP_LEARNER_GRADIENT, 0, 3, 0, 2, 1, 4 | 128, 0, END);
    save("api", "gradient-parts", &b);
    free(b.p);
}

/* Reptile with its settings, first-order MAML with an optimiser, Meta-SGD
 * and the joint baseline, on tasks made to fit. */
static void api_gradient_strategies(void)
{
    bytes b = {0};
    ins(&b, OP_MODEL_MLP, 1, 2, 2, 4, 3, 0, ML_LAYER_TANH, END);
    ins(&b, OP_LEARNER_CREATE, 0, 1, 2, 0, 9, END);          /* reptile */
    ins(&b, OP_LEARNER_SET, 0, 7, D(1), 0, END);             /* inner Adam */
    ins(&b, OP_LEARNER_SET, 0, 4, D(0.5), 0, END);           /* epsilon */
    ins(&b, OP_LEARNER_SET, 0, 6, D(4), 0, END);             /* anneal */
    ins(&b, OP_TASK_FIT, 0, 0, 0, 3, 4, 5, 6, 7, 8, END);
    ins(&b, OP_TASK_FIT, 1, 0, 0, 2, 2, 9, 10, 11, 12, END);
    ins(&b, OP_LEARNER_STEP, 0, 2, 0, 1, END);
    ins(&b, OP_LEARNER_CREATE, 1, 1, 1, 0, 5, END);          /* first-order MAML */
    ins(&b, OP_OPT_CREATE, 0, ML_OPTIMIZER_SGD, END);
    ins(&b, OP_OPT_SET, 0, ML_OPT_MOMENTUM, D(0.5), 0, END);
    ins(&b, OP_OPT_SET, 0, ML_OPT_NESTEROV, D(1), 0, END);
    ins(&b, OP_LEARNER_SET_OPT, 1, 0, END);
    ins(&b, OP_LEARNER_GRADIENT, 1, 2, 0, 1, 1, 0, END);     /* and apply it */
    ins(&b, OP_LEARNER_CREATE, 2, 1, 3, 0, 2, END);          /* Meta-SGD */
    ins(&b, OP_LEARNER_SET, 2, 0, D_1E_3, 0, END);
    ins(&b, OP_LEARNER_STEP, 2, 2, 1, 0, END);
    ins(&b, OP_LEARNER_RELOAD, 2, 1, 0, END);
    ins(&b, OP_LEARNER_CREATE, 2, 1, 4, 0, 2, END);          /* joint */
    ins(&b, OP_LEARNER_SET, 2, 2, D(2), 0, END);             /* two threads */
    ins(&b, OP_LEARNER_STEP, 2, 2, 1, 0, END);
    ins(&b, OP_LEARNER_EVALUATE, 2, 2, 0, 1, 1, 4, END);
    save("api", "gradient-strategies", &b);
    free(b.p);
}

/* Episodes from a data set for the metric strategies, with a split. */
static void api_metric_strategies(void)
{
    bytes b = {0};
    ins(&b, OP_DATASET_CREATE, 0, 16, 3, 1, 4, 4, 3, 5, 0, END);   /* 4 classes */
    ins(&b, OP_DATASET_SPLIT, 0, 1, ML_SPLIT_FRACTION, 1, D(0.5), 3, END);
    ins(&b, OP_DATASET_QUERY, 1, 2, 1, 0, END);
    ins(&b, OP_SAMPLER_EPISODES, 0, 0, 0, 5, END);
    ins(&b, OP_SAMPLER_SET, 0, 2, D(2), END);                /* 2 ways */
    ins(&b, OP_SAMPLER_SET, 0, 1, D(2), END);                /* 2 queries */
    ins(&b, OP_SAMPLER_SET, 0, 3, D(1), END);                /* rotations */
    for (int t = 0; t < 3; t++)
        ins(&b, OP_SAMPLER_SAMPLE, 0, t, END);
    ins(&b, OP_MODEL_CONV4, 0, 1, 4, 4, 2, 1, 0, END);
    for (int s = 0; s < 3; s++) {
        ins(&b, OP_LEARNER_CREATE, s, 0, 5 + s, 0, 1, END);  /* proto, siamese, relation */
        ins(&b, OP_LEARNER_STEP, s, 2, 0, 1, END);
        ins(&b, OP_LEARNER_EVALUATE, s, 1, 2, 0, 0, END);
        ins(&b, OP_LEARNER_PREDICT, s, 2, 0, 2, 0, 1, 3, END);
    }
    ins(&b, OP_DATASET_FREE, 0, END);
    ins(&b, OP_SAMPLER_SAMPLE, 0, 4, END);                   /* outlives its data set */
    save("api", "metric-strategies", &b);
    free(b.p);
}

/* The relation network's own backbone (feature maps, convolutional
 * relation module), trained, saved and reloaded; then refused shapes. */
static void api_relation_maps(void)
{
    bytes b = {0};
    ins(&b, OP_DATASET_CREATE, 0, 16, 3, 1, 4, 4, 3, 5, 0, END);   /* 4 classes */
    ins(&b, OP_SAMPLER_EPISODES, 0, 0, 0, 5, END);
    ins(&b, OP_SAMPLER_SET, 0, 2, D(2), END);                /* 2 ways */
    ins(&b, OP_SAMPLER_SET, 0, 1, D(2), END);                /* 2 queries */
    for (int t = 0; t < 2; t++)
        ins(&b, OP_SAMPLER_SAMPLE, 0, t, END);
    ins(&b, OP_MODEL_CONV4_MAPS, 0, 1, 4, 4, 2, 2, 1, END);  /* 2 maps of 2x2 */
    ins(&b, OP_LEARNER_CREATE, 0, 0, 7, 0, 1, END);          /* relation */
    ins(&b, OP_LEARNER_STEP, 0, 2, 0, 1, END);
    ins(&b, OP_LEARNER_EVALUATE, 0, 1, 1, 0, 0, END);
    ins(&b, OP_LEARNER_PREDICT, 0, 1, 0, 2, 0, 1, 3, END);
    ins(&b, OP_LEARNER_RELOAD, 0, 1, 0, END);
    ins(&b, OP_LEARNER_STEP, 0, 1, 1, END);
    ins(&b, OP_MODEL_CONV4_MAPS, 1, 1, 4, 4, 2, 0, 0, END);  /* no blocks */
    ins(&b, OP_MODEL_CONV4_MAPS, 1, 1, 4, 4, 2, 2, 3, END);  /* pooled > blocks */
    ins(&b, OP_MODEL_CONV4_MAPS, 1, 1, 8, 8, 2, 4, 4, END);  /* 8x8 pooled down to 1x1 */
    ins(&b, OP_LEARNER_CREATE, 1, 1, 7, 0, 1, END);
    ins(&b, OP_LEARNER_STEP, 1, 1, 1, END);
    save("api", "relation-maps", &b);
    free(b.p);
}

/* Values that must be refused: NaN parameters, infinite rates, wrong
 * counts, and a hand-built convolutional model. */
static void api_bad_values(void)
{
    bytes b = {0};
    ins(&b, OP_MODEL_CREATE, 0, 3, 1, 5, 5, END);
    ins(&b, OP_MODEL_ADD, 0, 2, 2, 3, 1, 1, END);            /* conv 2 filters 3x3 */
    ins(&b, OP_MODEL_ADD, 0, 4, END);                        /* batch norm */
    ins(&b, OP_MODEL_ADD, 0, 1, ML_LAYER_SIGMOID, END);
    ins(&b, OP_MODEL_ADD, 0, 3, 2, END);                     /* max-pool 2 */
    ins(&b, OP_MODEL_ADD, 0, 5, END);                        /* flatten */
    ins(&b, OP_MODEL_ADD, 0, 0, 3, END);                     /* dense 3 */
    ins(&b, OP_LEARNER_CREATE, 0, 0, 0, 0, 4, END);
    ins(&b, OP_LEARNER_PARAMS, 0, 0, 0, 0x80, 0, 3, D_NAN, END);
    ins(&b, OP_LEARNER_SET, 0, 0, D_INF, 0, END);
    ins(&b, OP_TASK_FIT, 0, 0, 1, 2, 2, 1, 2, 3, 4, END);    /* 3-way classification */
    ins(&b, OP_LEARNER_PREDICT, 0, 0, 1, 2, 0, 1, 0x80, 0, 0, D_INF, END);
    ins(&b, OP_LEARNER_STEP, 0, 1, 0, END);
    ins(&b, OP_OPT_CREATE, 1, ML_OPTIMIZER_ADAM, END);
    ins(&b, OP_OPT_SET, 1, ML_OPT_BETA1, D(1), 0, END);
    ins(&b, OP_OPT_STEP, 1, 4, 1, 0x80, 0, 2, D_NAN, END);
    ins(&b, OP_OPT_STEP, 1, 4, 1, 2, END);
    ins(&b, OP_OPT_STEP, 1, 5, 1, 2, END);                   /* another size */
    ins(&b, OP_TASK_GET, 0, 2, 1, 250, END);
    ins(&b, OP_TASK_REGRESSION, 1, 1, 1, 3, 0, 0, 1, 2, 3, 4, 5, END);   /* NULL x */
    ins(&b, OP_LEARNER_RELOAD, 0, 0, 230, END);              /* buffer too small */
    save("api", "bad-values", &b);
    free(b.p);
}

/* The learned optimiser: settings, meta-training on a quadratic and on a
 * caller's family that fails, weights, files, and an LSTM learner. */
static void api_learned_optimizer(void)
{
    bytes b = {0};
    ins(&b, OP_OPT_CREATE, 0, ML_OPTIMIZER_LSTM, END);
    ins(&b, OP_OPT_LSTM_SET, 0, 0, D(3), 0, END);            /* 3 hidden units */
    ins(&b, OP_OPT_LSTM_SET, 0, 6, D(2), 0, END);            /* 2 problems */
    ins(&b, OP_OPT_LSTM_SET, 0, 3, D(4), 0, END);            /* horizon 4 */
    ins(&b, OP_OPT_LSTM_SET, 0, 4, D(2), 0, END);            /* unroll 2 */
    ins(&b, OP_PROBLEMS_CREATE, 0, 0, 3, 0, 0, END);         /* quadratic, 3-d */
    ins(&b, OP_OPT_META_STEP, 0, 0, END);
    ins(&b, OP_PROBLEMS_RUN, 0, 0, 0, 7, 4, END);
    ins(&b, OP_PROBLEMS_CREATE, 1, 2, 3, 0, 2, 0, END);      /* callback, fails later */
    ins(&b, OP_OPT_META_STEP, 0, 1, END);
    ins(&b, OP_OPT_META_STEP, 0, 1, END);
    ins(&b, OP_PROBLEMS_FREE, 1, END);
    ins(&b, OP_OPT_META_STEP, 0, 1, END);                    /* no family */
    ins(&b, OP_OPT_WEIGHTS, 0, 1, 0, END);
    ins(&b, OP_OPT_WEIGHTS, 0, 0, 0, 0x80, 0, 1, D_NAN, END);
    ins(&b, OP_OPT_RELOAD, 0, 1, 0, END);
    ins(&b, OP_MODEL_MLP, 0, 1, 2, 4, 1, 0, ML_LAYER_RELU, END);
    ins(&b, OP_LEARNER_CREATE, 0, 0, 9, 0, 3, END);          /* the LSTM strategy */
    ins(&b, OP_LEARNER_SET_INNER, 0, 0, END);
    ins(&b, OP_SAMPLER_SINE, 0, 0, 1, END);
    ins(&b, OP_SAMPLER_SET, 0, 0, D(3), END);
    ins(&b, OP_SAMPLER_SAMPLE, 0, 0, END);
    ins(&b, OP_SAMPLER_SAMPLE, 0, 1, END);
    ins(&b, OP_LEARNER_STEP, 0, 2, 0, 1, END);
    ins(&b, OP_LEARNER_EVALUATE, 0, 1, 1, 2, 0, END);
    ins(&b, OP_LEARNER_RELOAD, 0, 1, 0, END);
    ins(&b, OP_DATASET_CREATE, 0, 8, 1, 4, 1, 3, 0, END);
    ins(&b, OP_PROBLEMS_CREATE, 1, 1, 0, 3, 2, END);         /* MLP on the data set */
    ins(&b, OP_OPT_CREATE, 1, ML_OPTIMIZER_ADAM, END);
    ins(&b, OP_PROBLEMS_RUN, 1, 1, 0, 5, 3, END);
    save("api", "learned-optimizer", &b);
    free(b.p);
}

/* ---- regressions ----
 * Short programs for what fuzzing found, when the fuzzer's own input no
 * longer reproduces it (it stops meaning the same program once the
 * instruction set grows). */

/* A prototypical network on an embedding without parameters: every
 * meta-step leaked the outer optimiser's state. */
static void api_protonet_no_params(void)
{
    bytes b = {0};
    ins(&b, OP_MODEL_CREATE, 0, 1, 3, END);
    ins(&b, OP_MODEL_ADD, 0, 1, ML_LAYER_RELU, END);
    ins(&b, OP_LEARNER_CREATE, 0, 0, 5, 0, 1, END);
    ins(&b, OP_TASK_FIT, 0, 0, 1, 3, 2, 1, 2, 3, 4, END);    /* 2 ways */
    ins(&b, OP_LEARNER_STEP, 0, 1, 0, END);
    ins(&b, OP_LEARNER_STEP, 0, 1, 0, END);
    ins(&b, OP_LEARNER_GRADIENT, 0, 1, 0, 1, 0, END);
    ins(&b, OP_LEARNER_RELOAD, 0, 0, 0, END);
    save_as("api", "crash", "protonet-no-params-leak", &b);
    free(b.p);
}

/* A finite but huge meta-gradient overflowed Adam's second moment; the
 * learner saved then was refused as damaged when loaded. */
static void api_adam_overflow(void)
{
    bytes b = {0};
    ins(&b, OP_MODEL_MLP, 0, 1, 2, 4, 1, 0, ML_LAYER_RELU, END);
    ins(&b, OP_LEARNER_CREATE, 0, 0, 0, 0, 1, END);          /* MAML, Adam */
    /* No tasks; then apply a gradient of zeros but one 1e30. */
    ins(&b, OP_LEARNER_GRADIENT, 0, 0, 3, 0, 0x80, 0, 0, 128 + 12, END);
    ins(&b, OP_LEARNER_RELOAD, 0, 0, 0, END);
    save_as("api", "crash", "adam-overflow-unloadable", &b);
    free(b.p);
}

/* A setting of -0 was kept as -0 but written to a file as a value equal
 * to the default, so it loaded back as +0: saving again gave other bytes,
 * for an optimiser and for a learner given it. */
static void api_negative_zero(void)
{
    bytes b = {0};
    ins(&b, OP_OPT_CREATE, 0, ML_OPTIMIZER_SGD, END);
    ins(&b, OP_OPT_SET, 0, ML_OPT_WEIGHT_DECAY, 128 + 1, 0, END);   /* -0.0 */
    ins(&b, OP_OPT_RELOAD, 0, 0, 0, END);
    ins(&b, OP_MODEL_MLP, 0, 1, 1, 1, 0, 0, ML_LAYER_RELU, END);
    ins(&b, OP_LEARNER_CREATE, 0, 0, 0, 0, 1, END);
    ins(&b, OP_LEARNER_SET_OPT, 0, 0, END);
    ins(&b, OP_LEARNER_RELOAD, 0, 0, 0, END);
    save_as("api", "crash", "optimizer-negative-zero", &b);
    free(b.p);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds CORPUS-DIR\n");
        return 2;
    }
    root = argv[1];
    learner_seeds();
    optimizer_seeds();
    image_seeds();
    idx_seeds();
    api_sine_maml();
    api_gradient_strategies();
    api_gradient_parts();
    api_metric_strategies();
    api_relation_maps();
    api_bad_values();
    api_learned_optimizer();
    api_protonet_no_params();
    api_adam_overflow();
    api_negative_zero();
    return 0;
}
