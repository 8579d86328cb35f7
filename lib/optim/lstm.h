/* The learned coordinatewise LSTM optimiser (Andrychowicz et al. 2016).
 *
 * Every coordinate of the optimisee's parameter vector is a row of one
 * batch: a 2-layer LSTM with H hidden units per layer, its weights shared
 * by all rows, each row with its own hidden and cell state, maps the
 * (preprocessed) gradient of the coordinate to its update:
 *
 *   theta_{t+1} = theta_t + scale * (h2_t Wo + bo),
 *   (h1, c1) = cell(x_t, h1, c1; W1, b1),  (h2, c2) = cell(h1, h2, c2; W2, b2)
 *
 * cell(x, h, c): z = [x, h] W + b, split into the input, forget, cell and
 * output gates (i, f, g, o) = (sig, sig, tanh, sig)(z), then
 * c' = f c + i g and h' = o tanh(c').
 *
 * The network is written with the autodiff engine's ops, so it is
 * differentiable to any order: meta-training back-propagates through it,
 * and the LSTM learner strategy differentiates through the gradient fed
 * into it. */
#ifndef ML_OPTIM_LSTM_H
#define ML_OPTIM_LSTM_H

#include "autodiff/ad.h"
#include "core/rng.h"
#include "optim/optimizer.h"

#define ML_LSTM_MAX_HIDDEN 1024
/* Preprocessing constant p: (log|g| / p, sign g) for |g| >= e^-p. */
#define ML_LSTM_PRE_P 10.0f

/* The network's shape: everything the weight layout depends on. */
typedef struct ml_lstm_shape {
    int hidden;       /* H */
    int preprocess;   /* inputs per coordinate: 2 with, 1 without */
} ml_lstm_shape;

/* Number of weights for a shape (the public layout). */
size_t ml_lstm_num_weights(ml_lstm_shape s);
/* Offsets of the six tensors W1 b1 W2 b2 Wo bo in the flat vector and
 * their 2-D shapes (biases as [1, n]). */
void ml_lstm_layout(ml_lstm_shape s, size_t off[6], int rows[6], int cols[6]);
/* Fresh weights: uniform in +-1/sqrt(H), forget-gate biases 1, the output
 * layer uniform in +-0.1/sqrt(H) so the first updates are small. */
void ml_lstm_init_weights(ml_lstm_shape s, float *w, ml_rng *rng);

/* The six weight tensors as leaves over w (borrowed), recorded when
 * requires_grad: W1 [in + H, 4H], b1 [4H, 1], W2, b2, Wo [H, 1], bo [1, 1]. */
void ml_lstm_weight_leaves(ml_ad_tape *t, ml_lstm_shape s, float *w, int requires_grad,
                           ml_ad_node *out[6]);

/* Preprocessed inputs for n plain gradients, one coordinate per column:
 * [1, n] (raw) or [2, n]. */
ml_ad_node *ml_lstm_inputs(ml_ad_tape *t, ml_lstm_shape s, const float *g, size_t n);
/* The same for a gradient node of n elements (any shape) on the tape,
 * differentiable in g
 * (the exact variant and the learner strategy): log|g| / p and sign g
 * where |g| >= e^-p (the sign's derivative is 0), else -1 and e^p g. */
ml_ad_node *ml_lstm_inputs_graph(ml_ad_tape *t, ml_lstm_shape s, ml_ad_node *g);

/* One step of the network for the n coordinates (columns) of x:
 * state[0..3] are h1, c1, h2, c2 ([H, n]) and are replaced by the new
 * state; returns the update as a column [n, 1], already multiplied by
 * scale. */
ml_ad_node *ml_lstm_forward(ml_ad_tape *t, ml_lstm_shape s, ml_ad_node *const w[6],
                            float scale, ml_ad_node *x, ml_ad_node *state[4]);

/* Hidden-state zeros [H, n] as four constants. */
void ml_lstm_zero_state(ml_ad_tape *t, ml_lstm_shape s, size_t n, ml_ad_node *state[4]);

/* ---- the optimiser kind ---- */

/* A trajectory of problems in flight during meta-training. */
typedef struct ml_lstm_traj {
    const ml_problems *fam;   /* the family the problems belong to; NULL: none */
    size_t count, dim;        /* problems, parameters per problem */
    void **inst;              /* [count] problem instances */
    uint64_t *seeds;          /* [count] their seeds */
    float *theta;             /* [count * dim] */
    float *state;             /* [4][count * dim * H] */
    float *grad;              /* [count * dim]: gradient at theta (when have_grad) */
    double *value;            /* [count]: objectives at theta */
    int have_grad;
    int t;                    /* steps taken along the trajectory */
} ml_lstm_traj;

typedef struct ml_lstm {
    ml_lstm_shape shape;
    double scale;
    size_t n_w;
    float *w;                 /* the learned weights */

    /* meta-training settings */
    int horizon, unroll, problems, exact;
    double meta_lr, loss_power;
    uint64_t seed, meta_steps;
    ml_optimizer adam;        /* on w */
    ml_rng rng;               /* seeds of the problems drawn */
    ml_lstm_traj traj;
    float *meta_grad;         /* n_w */

    /* ml_optimizer_step's per-coordinate state */
    size_t n;
    float *state;             /* [4][n * H] */
    ml_ad_tape tape;          /* scratch for steps and meta-steps */
} ml_lstm;

/* Defaults, weights drawn from the seed.  ML_ERR_NOMEM. */
ml_status ml_lstm_new(ml_lstm **out);
void ml_lstm_free(ml_lstm *l);
/* New shape: reallocate and redraw the weights from the seed. */
ml_status ml_lstm_reshape(ml_lstm *l, ml_lstm_shape s);
/* Drops the step state and the trajectory in flight. */
void ml_lstm_clear_state(ml_lstm *l);
void ml_lstm_clear_traj(ml_lstm *l);
ml_status ml_lstm_set(ml_lstm *l, int key, double v, char *msg);
/* 1 if the key is an LSTM key (value into *out), 0 if not. */
int ml_lstm_get(const ml_lstm *l, int key, double *out);
/* One update of n parameters. */
ml_status ml_lstm_step(ml_lstm *l, size_t n, float *params, const float *grads,
                       char *msg);
/* The meta-gradient of one truncated-BPTT unroll into grad (n_w floats),
 * advancing the trajectory; the weights are not changed (lstm_train.c). */
ml_status ml_lstm_meta_gradient(ml_lstm *l, const ml_problems *fam, float *grad,
                                double *out_loss, char *msg);
/* ml_lstm_meta_gradient, then Adam on the weights. */
ml_status ml_lstm_meta_step(ml_lstm *l, const ml_problems *fam, double *out_loss,
                            char *msg);

#endif
