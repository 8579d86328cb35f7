/* Saving and loading learners in the container of io/binary.h.
 * Chunks: MODL (model), LSET (strategy settings), RNG_ (generator),
 * META (meta-parameters), OPTM (outer optimiser and its state).  The
 * thread count is a property of the process, not of the model, and is
 * not saved: a run on 1 or 2 threads saves the same bytes. */
#include "io/binary.h"
#include "io/optimizer_io.h"
#include "meta/learner.h"

#include "core/alloc.h"

#include <math.h>
#include <string.h>

#define TAG_MODL ML_IO_TAG('M', 'O', 'D', 'L')
#define TAG_LSET ML_IO_TAG('L', 'S', 'E', 'T')
#define TAG_RNG ML_IO_TAG('R', 'N', 'G', '_')
#define TAG_META ML_IO_TAG('M', 'E', 'T', 'A')
#define TAG_OPTM ML_IO_TAG('O', 'P', 'T', 'M')
/* The LSTM strategy's inner network shape (only in its files). */
#define TAG_LINR ML_IO_TAG('L', 'I', 'N', 'R')

enum { MAX_LAYERS = 4096 };

static void write_learner(const ml_learner *l, ml_writer *w)
{
    const ml_model *m = l->model;
    ml_w_begin(w, ML_IO_KIND_LEARNER);

    ml_w_chunk(w, TAG_MODL);
    ml_w_u32(w, (uint32_t)m->ndim);
    for (size_t i = 0; i < m->ndim; i++)
        ml_w_u64(w, m->shape[i]);
    ml_w_u32(w, (uint32_t)m->nlayers);
    for (size_t i = 0; i < m->nlayers; i++) {
        ml_w_u32(w, (uint32_t)m->layers[i].kind);
        for (int k = 0; k < 4; k++)
            ml_w_u64(w, m->layers[i].p[k]);
    }
    ml_w_chunk_end(w);

    ml_w_chunk(w, TAG_LSET);
    ml_w_u32(w, (uint32_t)l->strategy);
    ml_w_f64(w, l->inner_lr);
    ml_w_u32(w, (uint32_t)l->inner_steps);
    ml_w_u64(w, l->iteration);
    ml_w_f64(w, l->rep_eps);
    ml_w_f64(w, l->rep_eps_final);
    ml_w_u64(w, l->rep_anneal);
    ml_w_u32(w, (uint32_t)l->rep_inner_adam);
    ml_w_chunk_end(w);

    ml_w_chunk(w, TAG_RNG);
    for (int i = 0; i < 4; i++)
        ml_w_u64(w, l->rng.s[i]);
    ml_w_chunk_end(w);

    ml_w_chunk(w, TAG_META);
    ml_w_u64(w, l->n_meta);
    ml_w_f32s(w, l->meta, l->n_meta);
    ml_w_chunk_end(w);

    if (l->strategy == ML_STRATEGY_LSTM) {
        ml_w_chunk(w, TAG_LINR);
        ml_w_u32(w, (uint32_t)l->lstm_shape.hidden);
        ml_w_u32(w, (uint32_t)l->lstm_shape.preprocess);
        ml_w_f64(w, l->lstm_scale);
        ml_w_chunk_end(w);
    }

    ml_w_chunk(w, TAG_OPTM);
    ml_io_write_opt_settings(w, &l->opt);
    ml_io_write_opt_state(w, &l->opt);
    ml_w_chunk_end(w);

    ml_w_finish(w);
}

ml_status ml_learner_save_buffer(const ml_learner *l, void *buf, size_t cap,
                                 size_t *out_size)
{
    if (!l || !out_size || (!buf && cap))
        return ml_error(l ? (char *)l->err : NULL, ML_ERR_INVALID_ARG,
                        "ml_learner_save_buffer: NULL argument");
    ml_writer w;
    ml_w_init(&w);
    write_learner(l, &w);
    if (w.failed) {
        ml_w_free(&w);
        return ml_error((char *)l->err, ML_ERR_NOMEM, "ml_learner_save_buffer: out of memory");
    }
    *out_size = w.len;
    ml_status st = ML_OK;
    if (cap < w.len)
        st = buf ? ml_error((char *)l->err, ML_ERR_RANGE,
                            "ml_learner_save_buffer: %zu bytes needed, %zu given", w.len, cap)
                 : ML_OK;
    else
        memcpy(buf, w.buf, w.len);
    ml_w_free(&w);
    return st;
}

ml_status ml_learner_save(const ml_learner *l, const char *path)
{
    if (!l || !path)
        return ml_error(l ? (char *)l->err : NULL, ML_ERR_INVALID_ARG,
                        "ml_learner_save: NULL argument");
    ml_writer w;
    ml_w_init(&w);
    write_learner(l, &w);
    ml_status st = w.failed ? ml_error((char *)l->err, ML_ERR_NOMEM,
                                       "ml_learner_save: out of memory")
                            : ml_io_write_file(path, w.buf, w.len, (char *)l->err);
    ml_w_free(&w);
    return st;
}

/* ---- loading ---- */

typedef struct load_state {
    ml_reader modl, lset, rng, meta, optm;
    int have[5];
    ml_reader linr;
    int have_linr;
} load_state;

static ml_status corrupt(char *msg, const char *what)
{
    return ml_error(msg, ML_ERR_CORRUPT, "damaged file: %s", what);
}

static ml_status read_model(ml_reader *r, ml_model **out, char *msg)
{
    uint32_t ndim = ml_r_u32(r);
    size_t shape[ML_NN_MAX_INPUT_DIMS];
    if (r->bad || ndim < 1 || ndim > ML_NN_MAX_INPUT_DIMS)
        return corrupt(msg, "model input shape");
    for (uint32_t i = 0; i < ndim; i++)
        shape[i] = (size_t)ml_r_u64(r);
    uint32_t nl = ml_r_u32(r);
    if (r->bad || nl > MAX_LAYERS)
        return corrupt(msg, "model layers");
    ml_model *m;
    ml_status st = ml_model_create(&m, ndim, shape);
    /* Out of memory is not damage: the file may be fine. */
    if (st == ML_ERR_NOMEM)
        return ml_error(msg, st, "out of memory");
    if (st != ML_OK)
        return corrupt(msg, "model input shape");
    for (uint32_t i = 0; i < nl && st == ML_OK; i++) {
        uint32_t kind = ml_r_u32(r);
        size_t p[4];
        for (int k = 0; k < 4; k++) {
            uint64_t v = ml_r_u64(r);
            /* Anything past 2^40 is no layer size; it would only wrap. */
            p[k] = v > ((uint64_t)1 << 40) ? ((size_t)1 << 40) : (size_t)v;
        }
        st = r->bad ? ML_ERR_CORRUPT : ml_nn_add_layer(m, (int)kind, p);
    }
    if (st == ML_OK && nl == 0)
        st = ML_ERR_CORRUPT;
    if (st != ML_OK) {
        ml_model_free(m);
        return st == ML_ERR_NOMEM ? ml_error(msg, st, "out of memory")
                                  : corrupt(msg, "model layers");
    }
    *out = m;
    return ML_OK;
}

static ml_status read_settings(ml_reader *r, ml_learner *l, char *msg)
{
    double inner_lr = ml_r_f64(r);
    uint32_t steps = ml_r_u32(r);
    uint64_t iteration = ml_r_u64(r);
    double eps = ml_r_f64(r), eps_final = ml_r_f64(r);
    uint64_t anneal = ml_r_u64(r);
    uint32_t inner_adam = ml_r_u32(r);
    if (r->bad)
        return corrupt(msg, "learner settings");
    /* Through the public setters, so a file obeys the same bounds. */
    int ok = ml_learner_set(l, ML_LEARNER_INNER_LR, inner_lr) == ML_OK &&
             ml_learner_set(l, ML_LEARNER_INNER_STEPS, steps) == ML_OK;
    if (l->strategy == ML_STRATEGY_REPTILE)
        ok = ok && ml_learner_set(l, ML_LEARNER_REPTILE_EPSILON, eps) == ML_OK &&
             ml_learner_set(l, ML_LEARNER_REPTILE_EPSILON_FINAL, eps_final) == ML_OK &&
             ml_learner_set(l, ML_LEARNER_REPTILE_ANNEAL_ITERS, (double)anneal) == ML_OK &&
             ml_learner_set(l, ML_LEARNER_REPTILE_INNER_ADAM, inner_adam) == ML_OK;
    if (!ok)
        return corrupt(msg, "learner settings out of range");
    l->iteration = iteration;
    return ML_OK;
}

static ml_status read_optimizer(ml_reader *r, ml_learner *l, char *msg)
{
    ml_optimizer o;
    ml_status st = ml_io_read_opt_settings(r, &o, 0, msg);
    if (st != ML_OK)
        return st;
    ml_opt_copy_settings(&l->opt, &o);
    return ml_io_read_opt_state(r, &l->opt, l->n_meta, msg);
}

/* The LSTM strategy's network shape from the file (its weights come with
 * the meta-parameters). */
static ml_status adopt_shape(ml_learner *l, ml_lstm_shape s, double scale, char *msg)
{
    ml_lstm *tmp;
    ml_status st = ml_lstm_new(&tmp);
    if (st == ML_OK)
        st = ml_lstm_reshape(tmp, s);
    if (st == ML_OK) {
        tmp->scale = scale;
        st = ml_meta_lstm_adopt(l, tmp);
    }
    ml_lstm_free(tmp);
    return st == ML_OK ? ML_OK : ml_error(msg, st, "out of memory");
}

ml_status ml_learner_load_buffer(ml_learner **out, const void *buf, size_t size)
{
    char msg[ML_ERRMSG_MAX];
    if (out)
        *out = NULL;
    if (!out || (!buf && size))
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_learner_load_buffer: NULL argument");
    ml_reader payload;
    ml_status st = ml_io_open(buf, size, ML_IO_KIND_LEARNER, &payload, msg);
    if (st != ML_OK)
        return ml_error(NULL, st, "%s", msg);
    load_state ls;
    memset(&ls, 0, sizeof ls);
    uint32_t tag;
    ml_reader chunk;
    int more;
    while ((more = ml_io_next_chunk(&payload, &tag, &chunk)) > 0) {
        static const uint32_t tags[5] = {TAG_MODL, TAG_LSET, TAG_RNG, TAG_META, TAG_OPTM};
        ml_reader *slots[5] = {&ls.modl, &ls.lset, &ls.rng, &ls.meta, &ls.optm};
        if (tag == TAG_LINR)
            ls.linr = chunk, ls.have_linr = 1;
        for (int i = 0; i < 5; i++)
            if (tag == tags[i]) {
                *slots[i] = chunk;
                ls.have[i] = 1;
            }
    }
    if (more < 0)
        return ml_error(NULL, ML_ERR_CORRUPT, "damaged file: a chunk is cut short");
    for (int i = 0; i < 5; i++)
        if (!ls.have[i])
            return ml_error(NULL, ML_ERR_CORRUPT, "damaged file: a section is missing");

    uint32_t strategy = ml_r_u32(&ls.lset);
    if (ls.lset.bad || !ml_strategy_lookup((int)strategy))
        return ml_error(NULL, ML_ERR_CORRUPT, "damaged file: unknown strategy");
    ml_model *m = NULL;
    if ((st = read_model(&ls.modl, &m, msg)) != ML_OK)
        return ml_error(NULL, st, "%s", msg);
    if (!ml_strategy_model_ok((int)strategy, m, msg)) {
        ml_model_free(m);
        return ml_error(NULL, ML_ERR_CORRUPT, "damaged file: %s", msg);
    }
    /* The META chunk must hold exactly the model's meta-parameters before
     * anything of the model's size is allocated. */
    /* (The head of a metric strategy is rebuilt from the model: its size
     * is checked once the learner exists.) */
    ml_lstm_shape lshape = {0, 0};
    double lscale = 0;
    if (strategy == ML_STRATEGY_LSTM) {
        lshape.hidden = (int)ml_r_u32(&ls.linr);
        lshape.preprocess = (int)ml_r_u32(&ls.linr);
        lscale = ml_r_f64(&ls.linr);
        if (!ls.have_linr || ls.linr.bad || lshape.hidden < 1 ||
            lshape.hidden > ML_LSTM_MAX_HIDDEN || (unsigned)lshape.preprocess > 1 ||
            !(lscale > 0) || !isfinite(lscale)) {
            ml_model_free(m);
            return ml_error(NULL, ML_ERR_CORRUPT, "damaged file: LSTM inner settings");
        }
    }
    size_t want = (ml_strategy_lookup((int)strategy)->has_alpha ? 2 * m->nparams
                                                                  : m->nparams) +
                  (lshape.hidden ? ml_lstm_num_weights(lshape) : 0);
    if (ls.meta.len < 8 + 4 * want) {
        ml_model_free(m);
        return ml_error(NULL, ML_ERR_CORRUPT,
                        "damaged file: meta-parameter count does not match the model");
    }
    ml_learner *l = NULL;
    st = ml_learner_new(&l, m, (int)strategy);
    ml_model_free(m);
    if (st != ML_OK)
        return st;
    if (lshape.hidden)
        st = adopt_shape(l, lshape, lscale, msg);
    if (st == ML_OK)
        st = read_settings(&ls.lset, l, msg);
    if (st == ML_OK) {
        for (int i = 0; i < 4; i++)
            l->rng.s[i] = ml_r_u64(&ls.rng);
        if (ls.rng.bad || (l->rng.s[0] | l->rng.s[1] | l->rng.s[2] | l->rng.s[3]) == 0)
            st = corrupt(msg, "random generator state");
    }
    if (st == ML_OK) {
        uint64_t n = ml_r_u64(&ls.meta);
        if (n != l->n_meta)
            st = corrupt(msg, "meta-parameter count does not match the model");
        else {
            ml_r_f32s(&ls.meta, l->meta, l->n_meta);
            for (size_t i = 0; i < l->n_meta && !ls.meta.bad; i++)
                if (!isfinite(l->meta[i]))
                    ls.meta.bad = 1;
            if (ls.meta.bad)
                st = corrupt(msg, "meta-parameters");
        }
    }
    if (st == ML_OK)
        st = read_optimizer(&ls.optm, l, msg);
    if (st != ML_OK) {
        ml_learner_destroy(l);
        return ml_error(NULL, st, "%s", msg);
    }
    l->err[0] = '\0';
    *out = l;
    return ML_OK;
}

ml_status ml_learner_load(ml_learner **out, const char *path)
{
    char msg[ML_ERRMSG_MAX];
    if (out)
        *out = NULL;
    if (!out || !path)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_learner_load: NULL argument");
    unsigned char *buf;
    size_t size;
    ml_status st = ml_io_read_file(path, &buf, &size, msg);
    if (st != ML_OK)
        return ml_error(NULL, st, "%s", msg);
    st = ml_learner_load_buffer(out, buf, size);
    ml_free(buf);
    if (st != ML_OK) {
        memcpy(msg, ml_last_error(), ML_ERRMSG_MAX);
        return ml_error(NULL, st, "%s: %s", path, msg);
    }
    return ML_OK;
}
