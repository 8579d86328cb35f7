/* Saving and loading optimisers in the container of io/binary.h (object
 * kind 2).  Chunks: OSET (kind and hyperparameters), and for the learned
 * optimiser LSTM (network shape, meta-training settings, generator,
 * weights, and the Adam state of meta-training).  The per-parameter state
 * of ml_optimizer_step() is a property of the caller's run, not saved. */
#include "io/optimizer_io.h"

#include "core/alloc.h"
#include "optim/lstm.h"

#include <math.h>
#include <string.h>

#define TAG_OSET ML_IO_TAG('O', 'S', 'E', 'T')
#define TAG_LSTM ML_IO_TAG('L', 'S', 'T', 'M')

static const int opt_keys[] = {ML_OPT_LR, ML_OPT_MOMENTUM, ML_OPT_NESTEROV,
                               ML_OPT_BETA1, ML_OPT_BETA2, ML_OPT_EPS,
                               ML_OPT_WEIGHT_DECAY, ML_OPT_RMS_DECAY};
enum { N_OPT_KEYS = sizeof opt_keys / sizeof opt_keys[0] };

static double *opt_field(ml_optimizer *o, int i)
{
    double *f[N_OPT_KEYS] = {&o->lr, &o->momentum, &o->nesterov, &o->beta1,
                             &o->beta2, &o->eps, &o->weight_decay, &o->rms_decay};
    return f[i];
}

static ml_status corrupt(char *msg, const char *what)
{
    return ml_error(msg, ML_ERR_CORRUPT, "damaged file: %s", what);
}

void ml_io_write_opt_settings(ml_writer *w, const ml_optimizer *o)
{
    ml_w_u32(w, (uint32_t)o->kind);
    for (int i = 0; i < N_OPT_KEYS; i++)
        ml_w_f64(w, *opt_field((ml_optimizer *)o, i));
}

ml_status ml_io_read_opt_settings(ml_reader *r, ml_optimizer *o, int lstm_ok, char *msg)
{
    uint32_t kind = ml_r_u32(r);
    if (r->bad || !ml_opt_kind_valid((int)kind) ||
        (!lstm_ok && kind == ML_OPTIMIZER_LSTM))
        return corrupt(msg, "optimizer kind");
    ml_opt_init(o, (int)kind);
    for (int i = 0; i < N_OPT_KEYS; i++) {
        double v = ml_r_f64(r);
        double def = *opt_field(o, i);
        /* Keys a kind does not use keep their defaults in the file. */
        if (v != def && (kind == ML_OPTIMIZER_LSTM || ml_opt_set(o, opt_keys[i], v) != ML_OK))
            return corrupt(msg, "optimizer settings");
    }
    return r->bad ? corrupt(msg, "optimizer settings") : ML_OK;
}

void ml_io_write_opt_state(ml_writer *w, const ml_optimizer *o)
{
    ml_w_u64(w, o->t);
    ml_w_u64(w, o->n);
    ml_w_f32s(w, o->m, o->n);
    ml_w_f32s(w, o->v, o->n);
}

ml_status ml_io_read_opt_state(ml_reader *r, ml_optimizer *o, size_t want, char *msg)
{
    uint64_t t = ml_r_u64(r), n = ml_r_u64(r);
    if (r->bad || (n != 0 && n != want) || (n == 0 && t != 0) || n > ml_r_left(r) / 8)
        return corrupt(msg, "optimizer state");
    ml_opt_clear_state(o);
    if (!n)
        return ML_OK;
    o->m = ml_malloc(n * sizeof(float));
    o->v = ml_malloc(n * sizeof(float));
    if (!o->m || !o->v) {
        ml_opt_clear_state(o);
        return ml_error(msg, ML_ERR_NOMEM, "out of memory");
    }
    ml_r_f32s(r, o->m, n);
    ml_r_f32s(r, o->v, n);
    for (size_t i = 0; i < n && !r->bad; i++)
        if (!isfinite(o->m[i]) || !isfinite(o->v[i]) || o->v[i] < 0)
            r->bad = 1;
    if (r->bad) {
        ml_opt_clear_state(o);
        return corrupt(msg, "optimizer state");
    }
    o->n = n;
    o->t = t;
    return ML_OK;
}

/* ---- the LSTM chunk ---- */

static void write_lstm(ml_writer *w, const ml_lstm *l)
{
    ml_w_u32(w, (uint32_t)l->shape.hidden);
    ml_w_u32(w, (uint32_t)l->shape.preprocess);
    ml_w_f64(w, l->scale);
    ml_w_u32(w, (uint32_t)l->horizon);
    ml_w_u32(w, (uint32_t)l->unroll);
    ml_w_f64(w, l->meta_lr);
    ml_w_u32(w, (uint32_t)l->problems);
    ml_w_u32(w, (uint32_t)l->exact);
    ml_w_f64(w, l->loss_power);
    ml_w_u64(w, l->seed);
    ml_w_u64(w, l->meta_steps);
    for (int i = 0; i < 4; i++)
        ml_w_u64(w, l->rng.s[i]);
    ml_w_u64(w, l->n_w);
    ml_w_f32s(w, l->w, l->n_w);
    ml_io_write_opt_state(w, &l->adam);
}

static ml_status read_lstm(ml_reader *r, ml_lstm *l, char *msg)
{
    uint32_t hidden = ml_r_u32(r), pre = ml_r_u32(r);
    double scale = ml_r_f64(r);
    uint32_t horizon = ml_r_u32(r), unroll = ml_r_u32(r);
    double meta_lr = ml_r_f64(r);
    uint32_t problems = ml_r_u32(r), exact = ml_r_u32(r);
    double power = ml_r_f64(r);
    uint64_t seed = ml_r_u64(r), steps = ml_r_u64(r);
    if (r->bad)
        return corrupt(msg, "LSTM settings");
    /* Through the setters, so a file obeys the same bounds. */
    char ignored[ML_ERRMSG_MAX];
    int ok = ml_lstm_set(l, ML_OPT_LSTM_HORIZON, horizon, ignored) == ML_OK &&
             ml_lstm_set(l, ML_OPT_LSTM_UNROLL, unroll, ignored) == ML_OK &&
             ml_lstm_set(l, ML_OPT_LSTM_OUTPUT_SCALE, scale, ignored) == ML_OK &&
             ml_lstm_set(l, ML_OPT_LSTM_META_LR, meta_lr, ignored) == ML_OK &&
             ml_lstm_set(l, ML_OPT_LSTM_PROBLEMS, problems, ignored) == ML_OK &&
             ml_lstm_set(l, ML_OPT_LSTM_EXACT, exact, ignored) == ML_OK &&
             ml_lstm_set(l, ML_OPT_LSTM_LOSS_POWER, power, ignored) == ML_OK &&
             ml_lstm_set(l, ML_OPT_LSTM_SEED, (double)seed, ignored) == ML_OK &&
             hidden >= 1 && hidden <= ML_LSTM_MAX_HIDDEN && pre <= 1;
    if (!ok)
        return corrupt(msg, "LSTM settings out of range");
    ml_status st = ml_lstm_reshape(l, (ml_lstm_shape){(int)hidden, (int)pre});
    if (st != ML_OK)
        return ml_error(msg, st, "out of memory");
    for (int i = 0; i < 4; i++)
        l->rng.s[i] = ml_r_u64(r);
    uint64_t n = ml_r_u64(r);
    if (r->bad || (l->rng.s[0] | l->rng.s[1] | l->rng.s[2] | l->rng.s[3]) == 0)
        return corrupt(msg, "LSTM random generator state");
    if (n != l->n_w)
        return corrupt(msg, "LSTM weight count does not match its shape");
    ml_r_f32s(r, l->w, l->n_w);
    for (size_t i = 0; i < l->n_w && !r->bad; i++)
        if (!isfinite(l->w[i]))
            r->bad = 1;
    if (r->bad)
        return corrupt(msg, "LSTM weights");
    l->meta_steps = steps;
    return ml_io_read_opt_state(r, &l->adam, l->n_w, msg);
}

/* ---- files ---- */

static void write_optimizer(const ml_optimizer *o, ml_writer *w)
{
    ml_w_begin(w, ML_IO_KIND_OPTIMIZER);
    ml_w_chunk(w, TAG_OSET);
    ml_io_write_opt_settings(w, o);
    ml_w_chunk_end(w);
    if (o->lstm) {
        ml_w_chunk(w, TAG_LSTM);
        write_lstm(w, o->lstm);
        ml_w_chunk_end(w);
    }
    ml_w_finish(w);
}

ml_status ml_optimizer_save_buffer(const ml_optimizer *o, void *buf, size_t cap,
                                   size_t *out_size)
{
    if (!o || !out_size || (!buf && cap))
        return ml_error(o ? (char *)o->err : NULL, ML_ERR_INVALID_ARG,
                        "ml_optimizer_save_buffer: NULL argument");
    ml_writer w;
    ml_w_init(&w);
    write_optimizer(o, &w);
    if (w.failed) {
        ml_w_free(&w);
        return ml_error((char *)o->err, ML_ERR_NOMEM,
                        "ml_optimizer_save_buffer: out of memory");
    }
    *out_size = w.len;
    ml_status st = ML_OK;
    if (cap < w.len)
        st = buf ? ml_error((char *)o->err, ML_ERR_RANGE,
                            "ml_optimizer_save_buffer: %zu bytes needed, %zu given", w.len,
                            cap)
                 : ML_OK;
    else
        memcpy(buf, w.buf, w.len);
    ml_w_free(&w);
    return st;
}

ml_status ml_optimizer_save(const ml_optimizer *o, const char *path)
{
    if (!o || !path)
        return ml_error(o ? (char *)o->err : NULL, ML_ERR_INVALID_ARG,
                        "ml_optimizer_save: NULL argument");
    ml_writer w;
    ml_w_init(&w);
    write_optimizer(o, &w);
    ml_status st = w.failed ? ml_error((char *)o->err, ML_ERR_NOMEM,
                                       "ml_optimizer_save: out of memory")
                            : ml_io_write_file(path, w.buf, w.len, (char *)o->err);
    ml_w_free(&w);
    return st;
}

ml_status ml_optimizer_load_buffer(ml_optimizer **out, const void *buf, size_t size)
{
    char msg[ML_ERRMSG_MAX];
    if (out)
        *out = NULL;
    if (!out || (!buf && size))
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_optimizer_load_buffer: NULL argument");
    ml_reader payload, chunk, oset = {0}, lstm = {0};
    ml_status st = ml_io_open(buf, size, ML_IO_KIND_OPTIMIZER, &payload, msg);
    if (st != ML_OK)
        return ml_error(NULL, st, "%s", msg);
    int have_oset = 0, have_lstm = 0, more;
    uint32_t tag;
    while ((more = ml_io_next_chunk(&payload, &tag, &chunk)) > 0) {
        if (tag == TAG_OSET)
            oset = chunk, have_oset = 1;
        else if (tag == TAG_LSTM)
            lstm = chunk, have_lstm = 1;
    }
    if (more < 0)
        return ml_error(NULL, ML_ERR_CORRUPT, "damaged file: a chunk is cut short");
    if (!have_oset)
        return ml_error(NULL, ML_ERR_CORRUPT, "damaged file: a section is missing");
    ml_optimizer *o = ml_calloc(1, sizeof *o);
    if (!o)
        return ml_error(NULL, ML_ERR_NOMEM, "ml_optimizer_load_buffer: out of memory");
    st = ml_io_read_opt_settings(&oset, o, 1, msg);
    if (st == ML_OK && o->kind == ML_OPTIMIZER_LSTM) {
        if (!have_lstm)
            st = corrupt(msg, "the LSTM section is missing");
        else if (ml_lstm_new(&o->lstm) != ML_OK)
            st = ml_error(msg, ML_ERR_NOMEM, "out of memory");
        else
            st = read_lstm(&lstm, o->lstm, msg);
    }
    if (st != ML_OK) {
        ml_opt_release(o);
        ml_free(o);
        return ml_error(NULL, st, "%s", msg);
    }
    *out = o;
    return ML_OK;
}

ml_status ml_optimizer_load(ml_optimizer **out, const char *path)
{
    char msg[ML_ERRMSG_MAX];
    if (out)
        *out = NULL;
    if (!out || !path)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_optimizer_load: NULL argument");
    unsigned char *buf;
    size_t size;
    ml_status st = ml_io_read_file(path, &buf, &size, msg);
    if (st != ML_OK)
        return ml_error(NULL, st, "%s", msg);
    st = ml_optimizer_load_buffer(out, buf, size);
    ml_free(buf);
    if (st != ML_OK) {
        memcpy(msg, ml_last_error(), ML_ERRMSG_MAX);
        return ml_error(NULL, st, "%s: %s", path, msg);
    }
    return ML_OK;
}
