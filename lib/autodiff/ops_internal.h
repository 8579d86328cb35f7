/* Shared between the op files: backward rules and broadcast helpers. */
#ifndef ML_AUTODIFF_OPS_INTERNAL_H
#define ML_AUTODIFF_OPS_INTERNAL_H

#include "ad.h"
#include "core/vmath.h"

#include <stdint.h>
#include <string.h>

void ml_ad_matmul_backward(ml_ad_tape *, ml_ad_node *, ml_ad_node *, const int *, ml_ad_node **);
void ml_ad_binary_backward(ml_ad_tape *, ml_ad_node *, ml_ad_node *, const int *, ml_ad_node **);
void ml_ad_unary_backward(ml_ad_tape *, ml_ad_node *, ml_ad_node *, const int *, ml_ad_node **);
void ml_ad_reduce_backward(ml_ad_tape *, ml_ad_node *, ml_ad_node *, const int *, ml_ad_node **);
void ml_ad_shape_backward(ml_ad_tape *, ml_ad_node *, ml_ad_node *, const int *, ml_ad_node **);
void ml_ad_loss_backward(ml_ad_tape *, ml_ad_node *, ml_ad_node *, const int *, ml_ad_node **);
void ml_ad_distance_backward(ml_ad_tape *, ml_ad_node *, ml_ad_node *, const int *, ml_ad_node **);
void ml_ad_conv_backward(ml_ad_tape *, ml_ad_node *, ml_ad_node *, const int *, ml_ad_node **);
void ml_ad_pool_backward(ml_ad_tape *, ml_ad_node *, ml_ad_node *, const int *, ml_ad_node **);
void ml_ad_lstm_backward(ml_ad_tape *, ml_ad_node *, ml_ad_node *, const int *, ml_ad_node **);
void ml_ad_norm_backward(ml_ad_tape *, ml_ad_node *, ml_ad_node *, const int *, ml_ad_node **);

/* For the functions holding the elementwise loops (core/vmath.h). */
#define ML_AD_VECTOR ML_VCLONES

/* c ? x : y on the bits: exact, and compilers keep it free of branches
 * (a float ?: of loaded values they turn into jumps, which random data
 * mispredicts), so the pooling loops vectorise. */
static inline float ml_ad_pick(int c, float x, float y)
{
    uint32_t a, b, m = 0u - (uint32_t)(c != 0);
    memcpy(&a, &x, sizeof a);
    memcpy(&b, &y, sizeof b);
    a = (a & m) | (b & ~m);
    memcpy(&x, &a, sizeof x);
    return x;
}

/* Strides of b (in elements) over a's 4-D index space, right-aligned, 0
 * along broadcast dims; a's shape padded on the left to 4 dims in dims.
 * Returns 0 if b does not broadcast into a. */
int ml_ad_broadcast_strides(int andim, const int *ashape, int bndim,
                            const int *bshape, int dims[4], size_t bstride[4]);

/* floats of the tape's arena for an op's scratch space, or NULL with the
 * tape failed (ML_ERR_NOMEM, the message naming what). */
float *ml_ad_scratch(ml_ad_tape *t, const char *what, size_t floats);

/* Either of the shapes' string form for messages ("[2, 3]"). */
const char *ml_ad_shape_str(const ml_ad_node *x, char *buf, size_t n);

#endif
