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

size_t ml_nn_output_shape(const ml_model *m, size_t *shape)
{
    const size_t *src = m->nlayers ? m->layers[m->nlayers - 1].out_shape : m->shape;
    size_t nd = m->nlayers ? m->layers[m->nlayers - 1].out_ndim : m->ndim;
    for (size_t i = 0; i < nd; i++)
        shape[i] = src[i];
    return nd;
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

static int add_tensor(ml_model *m, int ndim, const size_t *shape, size_t fan_in, int init)
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
        t->shape[i] = (int)shape[i];
        t->size *= shape[i];
    }
    t->fan_in = fan_in;
    t->init = init;
    m->nparams += t->size;
    return (int)m->ntensors++;
}

/* The layer's output shape and parameter tensors from its kind, p and the
 * current shape (in_nd, in); 0 and a message on bad sizes. */
static int plan_layer(ml_model *m, ml_nn_layer *L, size_t in_nd, const size_t *in,
                      size_t tshape[2][4], int tnd[2], size_t fan[2], int init[2],
                      int *ntens)
{
    const size_t *p = L->p;
    size_t in_size = 1;
    for (size_t i = 0; i < in_nd; i++)
        in_size *= in[i];
    *ntens = 0;
    L->out_ndim = in_nd;
    for (size_t i = 0; i < in_nd; i++)
        L->out_shape[i] = in[i];
    switch (L->kind) {
    case ML_LAYER_DENSE:
        if (p[0] == 0 || p[0] > MAX_UNITS || in_size * p[0] > MAX_LAYER_PARAMS ||
            m->nparams > MAX_MODEL_PARAMS - in_size * p[0]) {
            ml_error(m->err, ML_ERR_INVALID_ARG,
                     "model: dense layer of %zu units on %zu inputs is too large",
                     p[0], in_size);
            return 0;
        }
        L->out_ndim = 1;
        L->out_shape[0] = p[0];
        tshape[0][0] = in_size, tshape[0][1] = p[0], tnd[0] = 2;
        tshape[1][0] = p[0], tnd[1] = 1;
        fan[0] = fan[1] = in_size;
        init[0] = init[1] = ML_NN_INIT_UNIFORM;
        *ntens = 2;
        return 1;
    case ML_LAYER_CONV2D: {
        size_t f = p[0], k = p[1], st = p[2], pad = p[3];
        if (in_nd != 3 || f == 0 || f > 4096 || k == 0 || k > 15 || st == 0 ||
            st > 64 || pad >= k || in[1] + 2 * pad < k || in[2] + 2 * pad < k) {
            ml_error(m->err, ML_ERR_INVALID_ARG,
                     "model: conv2d (%zu filters, kernel %zu, stride %zu, padding %zu) "
                     "does not fit an input of rank %zu", f, k, st, pad, in_nd);
            return 0;
        }
        size_t c = in[0], fan_in = c * k * k;
        if (f * fan_in > MAX_LAYER_PARAMS || m->nparams > MAX_MODEL_PARAMS - f * fan_in) {
            ml_error(m->err, ML_ERR_INVALID_ARG, "model: conv2d layer too large");
            return 0;
        }
        L->out_shape[0] = f;
        L->out_shape[1] = (in[1] + 2 * pad - k) / st + 1;
        L->out_shape[2] = (in[2] + 2 * pad - k) / st + 1;
        tshape[0][0] = f, tshape[0][1] = c, tshape[0][2] = k, tshape[0][3] = k;
        tnd[0] = 4;
        tshape[1][0] = f, tnd[1] = 1;
        fan[0] = fan[1] = fan_in;
        init[0] = init[1] = ML_NN_INIT_UNIFORM;
        *ntens = 2;
        return 1;
    }
    case ML_LAYER_MAXPOOL:
        if (in_nd != 3 || p[0] == 0 || p[0] > in[1] || p[0] > in[2]) {
            ml_error(m->err, ML_ERR_INVALID_ARG,
                     "model: max-pooling of size %zu does not fit the input", p[0]);
            return 0;
        }
        L->out_shape[1] = in[1] / p[0];
        L->out_shape[2] = in[2] / p[0];
        return 1;
    case ML_LAYER_BATCHNORM:
        tshape[0][0] = tshape[1][0] = in[0];
        tnd[0] = tnd[1] = 1;
        fan[0] = fan[1] = 1;
        init[0] = ML_NN_INIT_ONES;
        init[1] = ML_NN_INIT_ZEROS;
        *ntens = 2;
        return 1;
    case ML_LAYER_FLATTEN:
        L->out_ndim = 1;
        L->out_shape[0] = in_size;
        return 1;
    case ML_LAYER_RELU:
    case ML_LAYER_TANH:
    case ML_LAYER_SIGMOID:
        return 1;
    default:
        ml_error(m->err, ML_ERR_INVALID_ARG, "model: unknown layer kind %d", L->kind);
        return 0;
    }
}

ml_status ml_nn_add_layer(ml_model *m, int kind, const size_t *p)
{
    size_t in[ML_NN_MAX_INPUT_DIMS];
    size_t in_nd = ml_nn_output_shape(m, in);
    if (!grow((void **)&m->layers, &m->layers_cap, m->nlayers + 1,
              sizeof *m->layers))
        return ml_error(m->err, ML_ERR_NOMEM, "model: out of memory");
    ml_nn_layer L;
    memset(&L, 0, sizeof L);
    L.kind = kind;
    for (int i = 0; i < 4; i++)
        L.p[i] = p ? p[i] : 0;
    L.first_tensor = -1;
    size_t tshape[2][4];
    int tnd[2], init[2], ntens;
    size_t fan[2];
    if (!plan_layer(m, &L, in_nd, in, tshape, tnd, fan, init, &ntens))
        return ML_ERR_INVALID_ARG;
    L.in_size = 1;
    for (size_t i = 0; i < in_nd; i++)
        L.in_size *= in[i];
    L.out_size = 1;
    for (size_t i = 0; i < L.out_ndim; i++)
        L.out_size *= L.out_shape[i];
    size_t saved_n = m->ntensors, saved_p = m->nparams;
    for (int k = 0; k < ntens; k++) {
        int id = add_tensor(m, tnd[k], tshape[k], fan[k], init[k]);
        if (id < 0) {
            m->ntensors = saved_n;
            m->nparams = saved_p;
            return ml_error(m->err, ML_ERR_NOMEM, "model: out of memory");
        }
        if (k == 0)
            L.first_tensor = id;
    }
    m->layers[m->nlayers++] = L;
    return ML_OK;
}

ml_status ml_nn_model_copy(const ml_model *src, ml_model **out)
{
    ml_model *m = NULL;
    ml_status st = ml_nn_model_new(&m, src->ndim, src->shape);
    for (size_t i = 0; st == ML_OK && i < src->nlayers; i++)
        st = ml_nn_add_layer(m, src->layers[i].kind, src->layers[i].p);
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
        float *v = params + t->offset;
        if (t->init != ML_NN_INIT_UNIFORM) {
            for (size_t i = 0; i < t->size; i++)
                v[i] = t->init == ML_NN_INIT_ONES ? 1.0f : 0.0f;
            continue;
        }
        float bound = 1.0f / sqrtf((float)t->fan_in);
        for (size_t i = 0; i < t->size; i++)
            v[i] = ml_rng_range(rng, -bound, bound);
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
    if (!x)
        return NULL;
    int n = x->shape[0];
    /* One example per row: [N, in] viewed as [N, shape...]. */
    int shape[ML_AD_MAXDIM] = {n};
    for (size_t i = 0; i < m->ndim; i++)
        shape[i + 1] = (int)m->shape[i];
    ml_ad_node *h = ml_ad_reshape(t, x, (int)m->ndim + 1, shape);
    for (size_t i = 0; i < m->nlayers && h; i++) {
        const ml_nn_layer *L = &m->layers[i];
        ml_ad_node *const *w = L->first_tensor >= 0 ? params + L->first_tensor : NULL;
        switch (L->kind) {
        case ML_LAYER_DENSE: {
            int flat[2] = {n, (int)L->in_size};
            if (h->ndim != 2)
                h = ml_ad_reshape(t, h, 2, flat);
            h = ml_ad_linear(t, h, w[0], w[1]);
            break;
        }
        case ML_LAYER_CONV2D:
            h = ml_ad_conv2d(t, h, w[0], w[1], (int)L->p[2], (int)L->p[3]);
            break;
        case ML_LAYER_MAXPOOL: h = ml_ad_maxpool(t, h, (int)L->p[0]); break;
        case ML_LAYER_BATCHNORM:
            /* Followed by relu and 2x2 max-pooling, or by relu alone (the
             * Conv-4 block): one op for all. */
            if (i + 2 < m->nlayers && m->layers[i + 1].kind == ML_LAYER_RELU &&
                m->layers[i + 2].kind == ML_LAYER_MAXPOOL && m->layers[i + 2].p[0] == 2) {
                h = ml_ad_batchnorm_relu_pool(t, h, w[0], w[1], 1e-5f);
                i += 2;
            } else if (i + 1 < m->nlayers && m->layers[i + 1].kind == ML_LAYER_RELU) {
                h = ml_ad_batchnorm_relu(t, h, w[0], w[1], 1e-5f);
                i++;
            } else {
                h = ml_ad_batchnorm(t, h, w[0], w[1], 1e-5f);
            }
            break;
        case ML_LAYER_FLATTEN: {
            int flat[2] = {n, (int)L->out_size};
            h = ml_ad_reshape(t, h, 2, flat);
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
    /* Callers see [N, output size] whatever the last layer's rank. */
    if (h && h->ndim != 2) {
        int flat[2] = {n, (int)ml_nn_output_size(m)};
        h = ml_ad_reshape(t, h, 2, flat);
    }
    return h;
}
