/* Network descriptions and their forward pass on the autodiff tape. */
#ifndef ML_NN_MODEL_H
#define ML_NN_MODEL_H

#include "autodiff/ad.h"
#include "core/rng.h"
#include "metalearn.h"

#define ML_NN_MAX_INPUT_DIMS 3

typedef struct ml_nn_layer {
    int kind;            /* ml_layer_kind */
    size_t p[4];         /* dense: units; conv: filters, kernel, stride, padding;
                          * maxpool: size */
    size_t in_size;      /* inputs per example */
    size_t out_size;     /* outputs per example */
    size_t out_ndim;     /* rank of one output example (1 or 3) */
    size_t out_shape[ML_NN_MAX_INPUT_DIMS];
    int first_tensor;    /* index of the layer's first parameter tensor, -1 if none */
} ml_nn_layer;

enum { ML_NN_INIT_UNIFORM, ML_NN_INIT_ONES, ML_NN_INIT_ZEROS };

/* One parameter tensor inside the flat parameter vector. */
typedef struct ml_nn_tensor {
    size_t offset;
    int ndim;
    int shape[ML_AD_MAXDIM];
    size_t size;
    size_t fan_in;       /* for initialisation */
    int init;            /* ML_NN_INIT_* */
} ml_nn_tensor;

struct ml_model {
    size_t ndim;
    size_t shape[ML_NN_MAX_INPUT_DIMS];
    ml_nn_layer *layers;
    size_t nlayers, layers_cap;
    ml_nn_tensor *tensors;
    size_t ntensors, tensors_cap;
    size_t nparams;
    char err[ML_ERRMSG_MAX];
};

ml_status ml_nn_model_new(ml_model **out, size_t ndim, const size_t *shape);
/* Appends a layer; p holds its parameters as in ml_nn_layer.p (unused
 * entries 0).  Validates the sizes against the current output shape. */
ml_status ml_nn_add_layer(ml_model *m, int kind, const size_t *p);
/* Rank and shape of the model's current output (the input if no layer). */
size_t ml_nn_output_shape(const ml_model *m, size_t *shape);
ml_status ml_nn_model_copy(const ml_model *src, ml_model **out);
void ml_nn_model_free(ml_model *m);
size_t ml_nn_input_size(const ml_model *m);
size_t ml_nn_output_size(const ml_model *m);

/* Weights and biases uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)];
 * batch-norm scales 1 and shifts 0. */
void ml_nn_init_params(const ml_model *m, float *params, ml_rng *rng);

/* Forward pass of n examples x [n, input size] with the parameter tensors
 * params[0..ntensors-1]; returns [n, output size]. */
ml_ad_node *ml_nn_forward(ml_ad_tape *t, const ml_model *m,
                          ml_ad_node *const *params, ml_ad_node *x);

/* Leaves over the flat vector `flat` for every tensor, into out[]. */
void ml_nn_param_leaves(ml_ad_tape *t, const ml_model *m, float *flat,
                        int requires_grad, ml_ad_node **out);

#endif
