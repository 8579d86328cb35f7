#include "nn/model.h"

#include "core/alloc.h"

#include <math.h>
#include <string.h>

/* Upper bounds that keep every size product far from overflow. */
#define MAX_UNITS ((size_t)1 << 24)
#define MAX_LAYER_PARAMS ((size_t)1 << 30)
#define MAX_MODEL_PARAMS ((size_t)1 << 31)

ml_status ml_nn_model_new(ml_model **out, size_t ndim, const size_t *shape)
{
    ml_model *m = ml_calloc(1, sizeof *m);
    if (!m)
        return ml_error(NULL, ML_ERR_NOMEM, "model: out of memory");
    m->ndim = ndim;
    for (size_t i = 0; i < ndim; i++)
        m->shape[i] = shape[i];
    *out = m;
    return ML_OK;
}

size_t ml_nn_input_size(const ml_model *m)
{
    size_t n = 1;
    for (size_t i = 0; i < m->ndim; i++)
        n *= m->shape[i];
    return n;
}

size_t ml_nn_output_size(const ml_model *m)
{
    return m->nlayers ? m->layers[m->nlayers - 1].out_size : ml_nn_input_size(m);
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 1;
    size_t ncap = *cap ? 2 * *cap : 8;
    while (ncap < need)
        ncap *= 2;
    void *p = ml_realloc(*arr, ncap * elem);
    if (!p)
        return 0;
    *arr = p;
    *cap = ncap;
    return 1;
}

static int add_tensor(ml_model *m, int ndim, const int *shape, size_t fan_in)
{
    if (!grow((void **)&m->tensors, &m->tensors_cap, m->ntensors + 1,
              sizeof *m->tensors))
        return -1;
    ml_nn_tensor *t = &m->tensors[m->ntensors];
    memset(t, 0, sizeof *t);
    t->offset = m->nparams;
    t->ndim = ndim;
    t->size = 1;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = shape[i];
        t->size *= (size_t)shape[i];
    }
    t->fan_in = fan_in;
    m->nparams += t->size;
    return (int)m->ntensors++;
}

ml_status ml_nn_add_layer(ml_model *m, int kind, size_t units)
{
    size_t in = ml_nn_output_size(m);
    if (!grow((void **)&m->layers, &m->layers_cap, m->nlayers + 1,
              sizeof *m->layers))
        return ml_error(m->err, ML_ERR_NOMEM, "model: out of memory");
    ml_nn_layer L = {kind, in, in, 0, -1};
    if (kind == ML_LAYER_DENSE) {
        if (units == 0 || units > MAX_UNITS || in > MAX_UNITS ||
            in * units > MAX_LAYER_PARAMS || m->nparams > MAX_MODEL_PARAMS - in * units)
            return ml_error(m->err, ML_ERR_INVALID_ARG,
                            "model: dense layer of %zu units on %zu inputs is too large",
                            units, in);
        size_t saved_n = m->ntensors, saved_p = m->nparams;
        int wshape[2] = {(int)in, (int)units}, bshape[1] = {(int)units};
        int w = add_tensor(m, 2, wshape, in);
        int b = w < 0 ? -1 : add_tensor(m, 1, bshape, in);
        if (b < 0) {
            m->ntensors = saved_n;
            m->nparams = saved_p;
            return ml_error(m->err, ML_ERR_NOMEM, "model: out of memory");
        }
        L.units = units;
        L.out_size = units;
        L.first_tensor = w;
    }
    m->layers[m->nlayers++] = L;
    return ML_OK;
}

ml_status ml_nn_model_copy(const ml_model *src, ml_model **out)
{
    ml_model *m = NULL;
    ml_status st = ml_nn_model_new(&m, src->ndim, src->shape);
    for (size_t i = 0; st == ML_OK && i < src->nlayers; i++)
        st = ml_nn_add_layer(m, src->layers[i].kind, src->layers[i].units);
    if (st != ML_OK) {
        ml_nn_model_free(m);
        return st;
    }
    *out = m;
    return ML_OK;
}

void ml_nn_model_free(ml_model *m)
{
    if (!m)
        return;
    ml_free(m->layers);
    ml_free(m->tensors);
    ml_free(m);
}

void ml_nn_init_params(const ml_model *m, float *params, ml_rng *rng)
{
    for (size_t k = 0; k < m->ntensors; k++) {
        const ml_nn_tensor *t = &m->tensors[k];
        float bound = 1.0f / sqrtf((float)t->fan_in);
        for (size_t i = 0; i < t->size; i++)
            params[t->offset + i] = ml_rng_range(rng, -bound, bound);
    }
}

void ml_nn_param_leaves(ml_ad_tape *t, const ml_model *m, float *flat,
                        int requires_grad, ml_ad_node **out)
{
    for (size_t k = 0; k < m->ntensors; k++) {
        const ml_nn_tensor *p = &m->tensors[k];
        out[k] = ml_ad_leaf(t, p->ndim, p->shape, flat + p->offset, requires_grad);
    }
}

ml_ad_node *ml_nn_forward(ml_ad_tape *t, const ml_model *m,
                          ml_ad_node *const *params, ml_ad_node *x)
{
    ml_ad_node *h = x;
    for (size_t i = 0; i < m->nlayers && h; i++) {
        const ml_nn_layer *L = &m->layers[i];
        switch (L->kind) {
        case ML_LAYER_DENSE: {
            int rows = (int)(h->size / L->in_size);
            int shape[2] = {rows, (int)L->in_size};
            if (h->ndim != 2)
                h = ml_ad_reshape(t, h, 2, shape);
            /* y = x W + b, with b a row vector broadcast over the rows */
            h = ml_ad_linear(t, h, params[L->first_tensor],
                             params[L->first_tensor + 1]);
            break;
        }
        case ML_LAYER_RELU: h = ml_ad_relu(t, h); break;
        case ML_LAYER_TANH: h = ml_ad_tanh(t, h); break;
        case ML_LAYER_SIGMOID: h = ml_ad_sigmoid(t, h); break;
        default:
            return ml_ad_fail(t, ML_ERR_INTERNAL, "model: unknown layer kind %d",
                              L->kind);
        }
    }
    return h;
}
