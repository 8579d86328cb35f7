#include "api_fixture.h"

#include "../data/datatest.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ files */

static struct {
    char dir[4096];
    char save[4200], missing[4200], empty[4200], garbage[4200], trunc[4200],
        newer[4200], images[4200], empty_dir[4200], badpng[4200], idx_img[4200],
        idx_lab[4200], opt_save[4200], opt_trunc[4200];
    unsigned char *saved, *flipped, *newer_bytes, *opt_saved, *opt_flipped;
    size_t saved_size, opt_size;
} files;

static const char GARBAGE[] = "this is not a libmetalearn file, just text\n";

static void path_in(char *out, const char *name)
{
    snprintf(out, 4200, "%s/%s", files.dir, name);
}

void hd_files_make(void)
{
    dt_mkdtemp(files.dir, sizeof files.dir);
    path_in(files.save, "saved.mlrn");
    path_in(files.missing, "no/such/file.mlrn");
    path_in(files.empty, "empty.mlrn");
    path_in(files.garbage, "garbage.mlrn");
    path_in(files.trunc, "trunc.mlrn");
    path_in(files.newer, "newer.mlrn");
    path_in(files.images, "images");
    path_in(files.empty_dir, "empty_dir");
    path_in(files.badpng, "badpng");
    path_in(files.idx_img, "images.idx");
    path_in(files.idx_lab, "labels.idx");
    path_in(files.opt_save, "optimizer.mlrn");
    path_in(files.opt_trunc, "optimizer-trunc.mlrn");

    /* A saved learner and damaged copies of it. */
    ml_learner *l = hd_learner(ML_STRATEGY_MAML, 11);
    size_t n = 0;
    ck_assert_int_eq(ml_learner_save_buffer(l, NULL, 0, &n), ML_OK);
    files.saved = malloc(n);
    files.flipped = malloc(n);
    files.newer_bytes = malloc(n);
    ck_assert(files.saved && files.flipped && files.newer_bytes);
    ck_assert_int_eq(ml_learner_save_buffer(l, files.saved, n, &files.saved_size), ML_OK);
    ml_learner_free(l);
    memcpy(files.flipped, files.saved, n);
    files.flipped[n / 2] ^= 0x10;
    memcpy(files.newer_bytes, files.saved, n);
    files.newer_bytes[4] = 99; /* format major version, little-endian */
    files.newer_bytes[5] = 0;
    dt_write_bytes(files.save, files.saved, n);
    dt_write_bytes(files.trunc, files.saved, n - 7);
    dt_write_bytes(files.newer, files.newer_bytes, n);
    dt_write_bytes(files.empty, "", 0);
    dt_write_bytes(files.garbage, GARBAGE, sizeof GARBAGE - 1);

    /* A saved learned optimiser, whole, cut short and damaged. */
    ml_optimizer *o = hd_lstm_optimizer();
    ck_assert_int_eq(ml_optimizer_save_buffer(o, NULL, 0, &n), ML_OK);
    files.opt_saved = malloc(n);
    files.opt_flipped = malloc(n);
    ck_assert(files.opt_saved && files.opt_flipped);
    ck_assert_int_eq(ml_optimizer_save_buffer(o, files.opt_saved, n, &files.opt_size), ML_OK);
    ml_optimizer_free(o);
    memcpy(files.opt_flipped, files.opt_saved, n);
    files.opt_flipped[n / 2] ^= 0x10;
    dt_write_bytes(files.opt_save, files.opt_saved, n);
    dt_write_bytes(files.opt_trunc, files.opt_saved, n - 5);

    /* Two classes of two 4x4 PNG images; a directory without images; one
     * whose only .png is text. */
    unsigned char px[16];
    for (int i = 0; i < 16; i++)
        px[i] = (unsigned char)(i * 16);
    const char *cls[2] = {"a", "b"};
    for (int c = 0; c < 2; c++) {
        char d[4300];
        snprintf(d, sizeof d, "%s/%s", files.images, cls[c]);
        dt_mkdirs(d);
        dt_png_gray8(dt_join(d, "0.png"), 4, 4, px);
        dt_png_gray8(dt_join(d, "1.png"), 4, 4, px);
    }
    dt_mkdirs(files.empty_dir);
    char bad[4300];
    snprintf(bad, sizeof bad, "%s/cls", files.badpng);
    dt_mkdirs(bad);
    dt_write_bytes(dt_join(bad, "x.png"), GARBAGE, sizeof GARBAGE - 1);

    /* IDX: three 2x2 images, labels 0 1 0. */
    const uint32_t idims[3] = {3, 2, 2}, ldims[1] = {3};
    const unsigned char pixels[12] = {0, 255, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    const unsigned char labels[3] = {0, 1, 0};
    dt_idx(files.idx_img, 0, 0x803u, 3, idims, pixels, sizeof pixels);
    dt_idx(files.idx_lab, 0, 0x801u, 1, ldims, labels, sizeof labels);
}

void hd_files_remove(void)
{
    dt_rm_rf(files.dir);
    free(files.saved);
    free(files.flipped);
    free(files.newer_bytes);
    free(files.opt_saved);
    free(files.opt_flipped);
}

const char *hd_save_path(void)
{
    return files.save;
}

const char *hd_images_dir(void)
{
    return files.images;
}

const char *hd_idx_path(int labels)
{
    return labels ? files.idx_lab : files.idx_img;
}

const char *hd_opt_save_path(void)
{
    return files.opt_save;
}

const unsigned char *hd_opt_bytes(size_t *size)
{
    *size = files.opt_size;
    return files.opt_saved;
}

const unsigned char *hd_saved_bytes(size_t *size)
{
    *size = files.saved_size;
    return files.saved;
}

/* ------------------------------------------------------------ fixture */

static ml_task *reg_task(const float *x, const float *y, size_t nq)
{
    ml_task *t = NULL;
    ck_assert_int_eq(ml_task_create_regression(&t, 1, 1, 3, x, y, nq, nq ? x + 3 : NULL,
                                               nq ? y + 3 : NULL),
                     ML_OK);
    return t;
}

hd_fix *hd_fix_new(void)
{
    hd_fix *f = calloc(1, sizeof *f);
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < HD_FLOATS; i++) {
        f->fbuf[i] = 0.01f * (float)(i % 100) - 0.5f;
        f->gbuf[i] = 0.01f;
        f->pbuf[i] = 0.1f;
        f->nan_buf[i] = f->inf_buf[i] = 0.25f;
    }
    f->nan_buf[1] = NAN;
    f->inf_buf[1] = INFINITY;
    for (int i = 0; i < HD_INTS; i++) {
        f->ibuf[i] = i % 2;
        f->neg_labels[i] = f->big_labels[i] = i % 2;
    }
    f->neg_labels[1] = -1;
    f->big_labels[1] = 1000;
    for (int i = 0; i < 3; i++) {
        f->huge_shape[i] = SIZE_MAX;
        f->ovf_shape[i] = (size_t)1 << 22;
    }

    f->model = hd_mlp();
    ck_assert_int_eq(ml_model_create(&f->empty_model, 1, (size_t[]){1}), ML_OK);
    f->act_model = hd_mlp();
    ck_assert_int_eq(ml_model_add_activation(f->act_model, ML_LAYER_TANH), ML_OK);
    ck_assert_int_eq(ml_model_create(&f->conv_model, 3, (size_t[]){1, 8, 8}), ML_OK);
    f->learner = hd_learner(ML_STRATEGY_MAML, 1);

    ck_assert_int_eq(ml_optimizer_create(&f->opt, ML_OPTIMIZER_SGD), ML_OK);
    ck_assert_int_eq(ml_optimizer_step(f->opt, 4, f->pbuf + 100, f->gbuf), ML_OK);
    ck_assert_int_eq(ml_optimizer_create(&f->fresh_opt, ML_OPTIMIZER_ADAM), ML_OK);
    ck_assert_int_eq(ml_optimizer_create(&f->huge_lr_opt, ML_OPTIMIZER_SGD), ML_OK);
    ck_assert_int_eq(ml_optimizer_set(f->huge_lr_opt, ML_OPT_LR, 1e30), ML_OK);
    f->lstm_opt = hd_lstm_optimizer();
    ck_assert_int_eq(ml_problems_create_quadratic(&f->quad, 4), ML_OK);
    f->lstm_learner = hd_learner(ML_STRATEGY_LSTM, 2);
    f->trained_lstm_learner = hd_learner(ML_STRATEGY_LSTM, 3);

    ck_assert_int_eq(ml_sampler_create_sine(&f->sine, 3), ML_OK);
    f->dataset = hd_image_dataset(5, 16, 5);
    f->one_class = hd_image_dataset(1, 4, 6);
    ck_assert_int_eq(ml_sampler_create_episodes(&f->episodes, f->dataset, 4), ML_OK);
    ck_assert_int_eq(ml_sampler_set(f->episodes, ML_SAMPLER_WAYS, 2), ML_OK);
    ck_assert_int_eq(ml_sampler_set(f->episodes, ML_SAMPLER_QUERIES, 1), ML_OK);
    ck_assert_int_eq(ml_sampler_create_episodes(&f->episodes_bad, f->dataset, 4), ML_OK);
    ck_assert_int_eq(ml_sampler_set(f->episodes_bad, ML_SAMPLER_WAYS, 2), ML_OK);
    ck_assert_int_eq(ml_sampler_set(f->episodes_bad, ML_SAMPLER_SHOTS, 4), ML_OK);

    f->reg = reg_task(f->fbuf, f->fbuf + 10, 2);
    f->reg2 = reg_task(f->fbuf + 20, f->fbuf + 30, 2);
    f->noquery = reg_task(f->fbuf, f->fbuf + 10, 0);
    float big[5] = {1e30f, -1e30f, 1e30f, 1e30f, -1e30f};
    f->huge = reg_task(f->fbuf, big, 2);
    ck_assert_int_eq(ml_task_create_classification(&f->cls, 64, 2, 2, f->fbuf, f->ibuf, 2,
                                                   f->fbuf + 128, f->ibuf),
                     ML_OK);
    ml_task *sets[5][2] = {{f->reg, f->reg2}, {f->reg, NULL}, {f->reg, f->noquery},
                           {f->reg, f->cls}, {f->reg, f->huge}};
    memcpy(f->tasks, sets[0], sizeof f->tasks);
    memcpy(f->tasks_null, sets[1], sizeof f->tasks);
    memcpy(f->tasks_noquery, sets[2], sizeof f->tasks);
    memcpy(f->tasks_shape, sets[3], sizeof f->tasks);
    memcpy(f->tasks_huge, sets[4], sizeof f->tasks);
    ck_assert_int_eq(ml_learner_meta_step(f->trained_lstm_learner, 2, f->tasks, NULL), ML_OK);
    return f;
}

void hd_fix_release_outs(hd_fix *f)
{
    char buf[64];
    if (f->o_model)
        HD_REQUIRE(ml_model_describe(f->o_model, buf, 0, NULL) == ML_OK ||
                       ml_model_num_layers(f->o_model) == 0,
                   "a created model does not work");
    if (f->o_task)
        HD_REQUIRE(ml_task_size(f->o_task, ML_SUPPORT) > 0, "a created task is empty");
    if (f->o_sampler) {
        ml_task *t = NULL;
        HD_REQUIRE(ml_sampler_sample(f->o_sampler, &t) == ML_OK,
                   "a created sampler cannot draw: %s", ml_last_error());
        ml_task_free(t);
    }
    ml_dataset *ds[2] = {f->o_dataset, f->o_dataset2};
    for (int i = 0; i < 2; i++)
        if (ds[i]) {
            float x[HD_FLOATS];
            size_t n = ml_dataset_input_size(ds[i]);
            HD_REQUIRE(n <= HD_FLOATS && ml_dataset_get(ds[i], 0, x, n, NULL) == ML_OK,
                       "a created data set does not work");
        }
    if (f->o_opt)
        HD_REQUIRE(ml_optimizer_step(f->o_opt, 4, f->pbuf + 200, f->gbuf) == ML_OK,
                   "a created optimiser cannot step: %s", ml_last_error());
    if (f->o_problems)
        HD_REQUIRE(ml_problems_dim(f->o_problems) > 0, "a created family has no parameters");
    if (f->o_learner) {
        size_t n = ml_learner_num_meta_params(f->o_learner);
        HD_REQUIRE(n <= HD_FLOATS && ml_learner_get_meta_params(f->o_learner, f->fout, n) ==
                                         ML_OK,
                   "a created learner does not work");
    }
    ml_model_free(f->o_model);
    ml_task_free(f->o_task);
    ml_sampler_free(f->o_sampler);
    ml_dataset_free(f->o_dataset);
    ml_dataset_free(f->o_dataset2);
    ml_optimizer_free(f->o_opt);
    ml_learner_free(f->o_learner);
    ml_problems_free(f->o_problems);
    f->o_problems = NULL;
    f->o_model = NULL;
    f->o_task = NULL;
    f->o_sampler = NULL;
    f->o_dataset = f->o_dataset2 = NULL;
    f->o_opt = NULL;
    f->o_learner = NULL;
}

void hd_fix_probe(hd_fix *f)
{
    void *h = f->handle;
    switch (f->hkind) {
    case HK_MODEL: {
        size_t len = 0;
        HD_REQUIRE(ml_model_describe(h, NULL, 0, &len) == ML_OK && len > 0,
                   "the model no longer describes itself");
        break;
    }
    case HK_TASK:
        HD_REQUIRE(ml_task_input_size(h) > 0 && ml_task_size(h, ML_SUPPORT) > 0,
                   "the task lost its contents");
        break;
    case HK_SAMPLER: {
        ml_task *t = NULL;
        /* This one cannot draw by design until it asks for less. */
        if (h == f->episodes_bad)
            HD_REQUIRE(ml_sampler_set(h, ML_SAMPLER_SHOTS, 1) == ML_OK, "cannot set shots");
        HD_REQUIRE(ml_sampler_sample(h, &t) == ML_OK, "the sampler cannot draw: %s",
                   ml_last_error());
        ml_task_free(t);
        break;
    }
    case HK_DATASET:
        HD_REQUIRE(ml_dataset_get(h, 0, f->fout, ml_dataset_input_size(h), NULL) == ML_OK,
                   "the data set cannot be read: %s", ml_last_error());
        break;
    case HK_OPTIMIZER: {
        float p[4] = {1, 2, 3, 4};
        HD_REQUIRE(ml_optimizer_step(h, 4, p, f->gbuf) == ML_OK,
                   "the optimiser cannot step: %s", ml_last_error());
        HD_REQUIRE(p[0] != 1.0f, "the optimiser's step did nothing");
        break;
    }
    case HK_LEARNER: {
        double loss = NAN;
        HD_REQUIRE(ml_learner_meta_step(h, 2, f->tasks, &loss) == ML_OK,
                   "the learner cannot take a meta-step: %s", ml_last_error());
        HD_REQUIRE(isfinite(loss), "the learner's meta-loss is not finite");
        break;
    }
    default:
        break;
    }
}

void hd_fix_free(hd_fix *f)
{
    hd_fix_release_outs(f);
    ml_model_free(f->model);
    ml_model_free(f->empty_model);
    ml_model_free(f->act_model);
    ml_model_free(f->conv_model);
    ml_learner_free(f->learner);
    ml_learner_free(f->lstm_learner);
    ml_learner_free(f->trained_lstm_learner);
    ml_optimizer_free(f->opt);
    ml_optimizer_free(f->fresh_opt);
    ml_optimizer_free(f->huge_lr_opt);
    ml_optimizer_free(f->lstm_opt);
    ml_problems_free(f->quad);
    ml_dataset_free(f->one_class);
    ml_sampler_free(f->sine);
    ml_sampler_free(f->episodes);
    ml_sampler_free(f->episodes_bad);
    ml_dataset_free(f->dataset);
    ml_task *t[5] = {f->reg, f->reg2, f->cls, f->noquery, f->huge};
    for (int i = 0; i < 5; i++)
        ml_task_free(t[i]);
    free(f);
}

/* ------------------------------------------------------------ mutations */

static const hd_mut *find(const hd_case *c, hd_mkind kind, int slot)
{
    for (int i = 0; i < HD_MUTS; i++)
        if (c->mut[i].kind == kind && c->mut[i].slot == slot)
            return &c->mut[i];
    return NULL;
}

static void *resolve(hd_fix *f, int pv)
{
    switch ((hd_pv)pv) {
    case PV_NULL: return NULL;
    case PV_NAN: return f->nan_buf;
    case PV_INF: return f->inf_buf;
    case PV_NEG_LABELS: return f->neg_labels;
    case PV_BIG_LABELS: return f->big_labels;
    case PV_INTS: return f->iout;
    case PV_ZERO_SHAPE: return f->zero_shape;
    case PV_HUGE_SHAPE: return f->huge_shape;
    case PV_OVF_SHAPE: return f->ovf_shape;
    case PV_DENSE_MODEL: return f->model;
    case PV_EMPTY_MODEL: return f->empty_model;
    case PV_ACT_MODEL: return f->act_model;
    case PV_REG_TASK: return f->reg;
    case PV_CLS_TASK: return f->cls;
    case PV_FRESH_OPT: return f->fresh_opt;
    case PV_EPISODES: return f->episodes;
    case PV_EPISODES_BAD: return f->episodes_bad;
    case PV_TASKS_NULL: return f->tasks_null;
    case PV_TASKS_NOQUERY: return f->tasks_noquery;
    case PV_TASKS_SHAPE: return f->tasks_shape;
    case PV_TASKS_HUGE: return f->tasks_huge;
    case PV_MISSING: return files.missing;
    case PV_DIR: return files.dir;
    case PV_EMPTY_FILE: return files.empty;
    case PV_GARBAGE_FILE: return files.garbage;
    case PV_TRUNC_FILE: return files.trunc;
    case PV_NEWER_FILE: return files.newer;
    case PV_EMPTY_DIR: return files.empty_dir;
    case PV_BADPNG_DIR: return files.badpng;
    case PV_GARBAGE_BYTES: return (void *)GARBAGE;
    case PV_FLIPPED_BYTES: return files.flipped;
    case PV_NEWER_BYTES: return files.newer_bytes;
    case PV_SGD_OPT: return f->opt;
    case PV_HUGE_LR_OPT: return f->huge_lr_opt;
    case PV_LEARNER: return f->learner;
    case PV_TRAINED_LSTM_LEARNER: return f->trained_lstm_learner;
    case PV_ONE_CLASS: return f->one_class;
    case PV_LEARNER_FILE: return files.save;
    case PV_OPT_TRUNC_FILE: return files.opt_trunc;
    case PV_OPT_FLIPPED: return files.opt_flipped;
    }
    ck_abort_msg("unknown pointer substitute %d", pv);
    return NULL;
}

void *hd_ptr(hd_fix *f, const hd_case *c, int slot, void *dflt)
{
    const hd_mut *m = find(c, M_PTR, slot);
    if (m)
        return resolve(f, m->v.pv);
    m = find(c, M_STR, slot);
    return m ? (void *)m->v.str : dflt;
}

void *hd_handle(hd_fix *f, const hd_case *c, int slot, hd_hkind kind, void *dflt)
{
    void *h = hd_ptr(f, c, slot, dflt);
    f->hkind = h ? kind : HK_NONE;
    f->handle = h;
    return h;
}

int hd_mutates_ptr(const hd_case *c, int slot)
{
    return find(c, M_PTR, slot) || find(c, M_STR, slot);
}

size_t hd_size(const hd_case *c, int slot, size_t dflt)
{
    const hd_mut *m = find(c, M_SIZE, slot);
    return m ? m->v.size : dflt;
}

double hd_dbl(const hd_case *c, double dflt)
{
    const hd_mut *m = find(c, M_DBL, 0);
    return m ? m->v.dbl : dflt;
}

long hd_int(const hd_case *c, int slot, long dflt)
{
    const hd_mut *m = find(c, M_INT, slot);
    return m ? m->v.i : dflt;
}
