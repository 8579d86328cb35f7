/* Update rules on flat parameter vectors: SGD (momentum, Nesterov), Adam,
 * RMSprop, and the learned LSTM optimiser (optim/lstm.h). */
#ifndef ML_OPTIM_OPTIMIZER_H
#define ML_OPTIM_OPTIMIZER_H

#include "core/error.h"
#include "metalearn.h"

#include <stdint.h>

struct ml_optimizer {
    int kind;
    double lr, momentum, nesterov, beta1, beta2, eps, weight_decay, rms_decay;
    size_t n;          /* parameters, fixed by the first step; 0 before */
    float *m;          /* momentum buffer / Adam first moment */
    float *v;          /* Adam second moment / RMSprop mean square */
    uint64_t t;        /* steps taken */
    struct ml_lstm *lstm; /* ML_OPTIMIZER_LSTM: the network and its state */
    char err[ML_ERRMSG_MAX];
};

/* Kind and default hyperparameters, no state.  The LSTM kind also needs
 * o->lstm (ml_lstm_new). */
void ml_opt_init(ml_optimizer *o, int kind);
int ml_opt_kind_valid(int kind);
/* The hyperparameters of src into dst; dst's state is cleared.  Not for
 * the LSTM kind. */
void ml_opt_copy_settings(ml_optimizer *dst, const ml_optimizer *src);
void ml_opt_clear_state(ml_optimizer *o);
/* Frees the state and the LSTM network (not o itself). */
void ml_opt_release(ml_optimizer *o);
ml_status ml_opt_set(ml_optimizer *o, int key, double value);
ml_status ml_opt_get(const ml_optimizer *o, int key, double *out);
/* One step; grads must be finite (checked by the caller or here). */
ml_status ml_opt_step(ml_optimizer *o, size_t n, float *restrict params,
                      const float *restrict grads);

#endif
