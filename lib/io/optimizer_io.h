/* Encoding optimisers: the pieces a learner file's OPTM chunk shares with
 * an optimiser file (io/optimizer_io.c). */
#ifndef ML_IO_OPTIMIZER_IO_H
#define ML_IO_OPTIMIZER_IO_H

#include "io/binary.h"
#include "optim/optimizer.h"

/* u32 kind, then the eight hand-designed hyperparameters as f64
 * (LR, MOMENTUM, NESTEROV, BETA1, BETA2, EPS, WEIGHT_DECAY, RMS_DECAY). */
void ml_io_write_opt_settings(ml_writer *w, const ml_optimizer *o);
/* Reads them into a freshly initialised *o (no state, no LSTM) through the
 * setters' bounds.  lstm_ok: whether the LSTM kind is acceptable. */
ml_status ml_io_read_opt_settings(ml_reader *r, ml_optimizer *o, int lstm_ok, char *msg);

/* u64 steps, u64 n, then n floats of each moment buffer. */
void ml_io_write_opt_state(ml_writer *w, const ml_optimizer *o);
/* Reads a state for exactly `n` parameters (or none) into o. */
ml_status ml_io_read_opt_state(ml_reader *r, ml_optimizer *o, size_t n, char *msg);

#endif
