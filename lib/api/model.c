/* Public model functions: argument checks over nn/model.c. */
#include "nn/model.h"

#include <stdio.h>
#include <string.h>

ml_status ml_model_create(ml_model **out, size_t ndim, const size_t *shape)
{
    if (out)
        *out = NULL;
    if (!out || !shape)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_model_create: NULL argument");
    if (ndim < 1 || ndim > ML_NN_MAX_INPUT_DIMS)
        return ml_error(NULL, ML_ERR_INVALID_ARG,
                        "ml_model_create: %zu input dimensions (1 to %d allowed)",
                        ndim, ML_NN_MAX_INPUT_DIMS);
    size_t total = 1;
    for (size_t i = 0; i < ndim; i++) {
        if (shape[i] == 0 || shape[i] > (1u << 24) || total * shape[i] > (1u << 24))
            return ml_error(NULL, ML_ERR_INVALID_ARG,
                            "ml_model_create: input size %zu at dimension %zu",
                            shape[i], i);
        total *= shape[i];
    }
    return ml_nn_model_new(out, ndim, shape);
}

ml_status ml_model_add_dense(ml_model *model, size_t units)
{
    if (!model)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_model_add_dense: NULL model");
    const size_t p[4] = {units, 0, 0, 0};
    return ml_nn_add_layer(model, ML_LAYER_DENSE, p);
}

ml_status ml_model_add_activation(ml_model *model, ml_layer_kind kind)
{
    if (!model)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_model_add_activation: NULL model");
    if (kind != ML_LAYER_RELU && kind != ML_LAYER_TANH && kind != ML_LAYER_SIGMOID)
        return ml_error(model->err, ML_ERR_INVALID_ARG,
                        "ml_model_add_activation: %d is not an activation", (int)kind);
    return ml_nn_add_layer(model, kind, NULL);
}

ml_status ml_model_add_conv2d(ml_model *model, size_t filters, size_t kernel,
                              size_t stride, size_t padding)
{
    if (!model)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_model_add_conv2d: NULL model");
    const size_t p[4] = {filters, kernel, stride, padding};
    return ml_nn_add_layer(model, ML_LAYER_CONV2D, p);
}

ml_status ml_model_add_maxpool(ml_model *model, size_t size)
{
    if (!model)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_model_add_maxpool: NULL model");
    const size_t p[4] = {size, 0, 0, 0};
    return ml_nn_add_layer(model, ML_LAYER_MAXPOOL, p);
}

ml_status ml_model_add_batchnorm(ml_model *model)
{
    if (!model)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_model_add_batchnorm: NULL model");
    return ml_nn_add_layer(model, ML_LAYER_BATCHNORM, NULL);
}

ml_status ml_model_add_flatten(ml_model *model)
{
    if (!model)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_model_add_flatten: NULL model");
    return ml_nn_add_layer(model, ML_LAYER_FLATTEN, NULL);
}

/* Conv-4 and its feature-map variant: `blocks` blocks of [3x3 conv,
 * batch norm, ReLU], the first `pooled` of them followed by a 2x2
 * max-pool (skipped once the map is below 2x2); then a flatten and an
 * optional dense layer, or nothing (`maps`). */
static ml_status conv_backbone(ml_model **out, const char *fn, const size_t shape[3],
                               size_t filters, size_t blocks, size_t pooled, int maps,
                               size_t n_out)
{
    if (!out)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "%s: NULL out", fn);
    *out = NULL;
    if (blocks < 1 || blocks > 16)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "%s: %zu blocks (1 to 16 allowed)", fn,
                        blocks);
    if (pooled > blocks)
        return ml_error(NULL, ML_ERR_INVALID_ARG,
                        "%s: %zu pooled blocks of %zu (0 to blocks allowed)", fn, pooled,
                        blocks);
    ml_model *m = NULL;
    ml_status st = ml_model_create(&m, 3, shape);
    for (size_t b = 0; st == ML_OK && b < blocks; b++) {
        size_t cur[ML_NN_MAX_INPUT_DIMS];
        st = ml_model_add_conv2d(m, filters, 3, 1, 1);
        if (st == ML_OK)
            st = ml_model_add_batchnorm(m);
        if (st == ML_OK)
            st = ml_model_add_activation(m, ML_LAYER_RELU);
        ml_nn_output_shape(m, cur);
        if (st == ML_OK && b < pooled && cur[1] >= 2 && cur[2] >= 2)
            st = ml_model_add_maxpool(m, 2);
    }
    if (st == ML_OK && !maps)
        st = ml_model_add_flatten(m);
    if (st == ML_OK && n_out > 0)
        st = ml_model_add_dense(m, n_out);
    if (st != ML_OK) {
        if (m)
            ml_error(NULL, st, "%s: %s", fn, m->err);
        ml_nn_model_free(m);
        return st;
    }
    *out = m;
    return ML_OK;
}

ml_status ml_model_create_conv4(ml_model **out, size_t channels, size_t height,
                                size_t width, size_t filters, size_t blocks, size_t n_out)
{
    const size_t shape[3] = {channels, height, width};
    return conv_backbone(out, "ml_model_create_conv4", shape, filters, blocks, blocks, 0,
                         n_out);
}

ml_status ml_model_create_conv4_maps(ml_model **out, size_t channels, size_t height,
                                     size_t width, size_t filters, size_t blocks,
                                     size_t pooled)
{
    const size_t shape[3] = {channels, height, width};
    return conv_backbone(out, "ml_model_create_conv4_maps", shape, filters, blocks, pooled,
                         1, 0);
}

ml_status ml_model_create_mlp(ml_model **out, size_t n_in, size_t n_layers,
                              const size_t *sizes, ml_layer_kind act)
{
    if (out)
        *out = NULL;
    if (!out || !sizes || n_layers == 0)
        return ml_error(NULL, ML_ERR_INVALID_ARG,
                        "ml_model_create_mlp: NULL argument or no layers");
    if (act != ML_LAYER_RELU && act != ML_LAYER_TANH && act != ML_LAYER_SIGMOID)
        return ml_error(NULL, ML_ERR_INVALID_ARG,
                        "ml_model_create_mlp: %d is not an activation", (int)act);
    ml_model *m = NULL;
    ml_status st = ml_model_create(&m, 1, &n_in);
    for (size_t i = 0; st == ML_OK && i < n_layers; i++) {
        st = ml_model_add_dense(m, sizes[i]);
        if (st == ML_OK && i + 1 < n_layers)
            st = ml_model_add_activation(m, act);
    }
    if (st != ML_OK) {
        if (m)
            ml_error(NULL, st, "ml_model_create_mlp: %s", m->err);
        ml_nn_model_free(m);
        return st;
    }
    *out = m;
    return ML_OK;
}

void ml_model_free(ml_model *model)
{
    ml_nn_model_free(model);
}

size_t ml_model_num_layers(const ml_model *model)
{
    return model ? model->nlayers : 0;
}

int ml_model_layer_kind(const ml_model *model, size_t i)
{
    return model && i < model->nlayers ? model->layers[i].kind : 0;
}

size_t ml_model_input_size(const ml_model *model)
{
    return model ? ml_nn_input_size(model) : 0;
}

size_t ml_model_output_size(const ml_model *model)
{
    return model && model->nlayers ? ml_nn_output_size(model) : 0;
}

size_t ml_model_num_params(const ml_model *model)
{
    return model ? model->nparams : 0;
}

static const char *layer_name(int kind)
{
    switch (kind) {
    case ML_LAYER_DENSE: return "dense";
    case ML_LAYER_RELU: return "relu";
    case ML_LAYER_TANH: return "tanh";
    case ML_LAYER_SIGMOID: return "sigmoid";
    case ML_LAYER_BATCHNORM: return "batchnorm";
    case ML_LAYER_FLATTEN: return "flatten";
    default: return "?";
    }
}

ml_status ml_model_describe(const ml_model *model, char *buf, size_t cap,
                            size_t *out_len)
{
    if (!model || (!buf && cap))
        return ml_error(model ? (char *)model->err : NULL, ML_ERR_INVALID_ARG,
                        "ml_model_describe: NULL argument");
    /* Two passes of the same printer: measure, then write what fits. */
    char tmp[64];
    size_t len = 0;
    /* Terminated up front: with cap 1 not even the first piece fits. */
    if (cap)
        buf[0] = '\0';
    for (size_t i = 0; i <= model->nlayers; i++) {
        int n;
        if (i == 0) {
            n = snprintf(tmp, sizeof tmp, "in %zu", model->shape[0]);
            for (size_t d = 1; d < model->ndim; d++) {
                size_t k = (size_t)n;
                n += snprintf(tmp + k, sizeof tmp - k, "x%zu", model->shape[d]);
            }
        } else {
            const ml_nn_layer *L = &model->layers[i - 1];
            if (L->kind == ML_LAYER_DENSE)
                n = snprintf(tmp, sizeof tmp, " | dense %zu", L->p[0]);
            else if (L->kind == ML_LAYER_CONV2D)
                n = snprintf(tmp, sizeof tmp, " | conv %zux%zu/%zu+%zu %zu", L->p[1],
                             L->p[1], L->p[2], L->p[3], L->p[0]);
            else if (L->kind == ML_LAYER_MAXPOOL)
                n = snprintf(tmp, sizeof tmp, " | maxpool %zu", L->p[0]);
            else
                n = snprintf(tmp, sizeof tmp, " | %s", layer_name(L->kind));
        }
        if (cap && len < cap - 1) {
            size_t room = cap - 1 - len, k = (size_t)n < room ? (size_t)n : room;
            memcpy(buf + len, tmp, k);
            buf[len + k] = '\0';
        }
        len += (size_t)n;
    }
    if (out_len)
        *out_len = len;
    if (cap && len >= cap)
        return ml_error((char *)model->err, ML_ERR_RANGE,
                        "ml_model_describe: buffer of %zu bytes too small", cap);
    return ML_OK;
}

const char *ml_model_last_error(const ml_model *model)
{
    return model ? model->err : "";
}
