/* 3x3 stride-1 convolution by Winograd's F(2x2, 3x3): the same values as
 * im2col + GEMM up to rounding, for ops_conv.c's forward pass. */
#ifndef ML_AUTODIFF_CONV_WINOGRAD_H
#define ML_AUTODIFF_CONV_WINOGRAD_H

#include "ad.h"

/* 1 when a convolution of c input and f output channels, kernel k, stride
 * s, padding p and output ho x wo is computed faster by
 * ml_conv_winograd() than by im2col + GEMM. */
int ml_conv_winograd_fits(int c, int f, int k, int s, int p, int ho, int wo);

/* y [n, f, h + 2p - 2, w + 2p - 2] = conv2d(x [n, c, h, w], wt [f, c, 3, 3],
 * stride 1, padding p) + bias[f] (bias may be NULL), for sizes that
 * ml_conv_winograd_fits() accepts.  Scratch space comes from the tape's
 * arena; returns 0 with the tape failed (ML_ERR_NOMEM, message naming
 * what) when it runs out, 1 otherwise. */
int ml_conv_winograd(ml_ad_tape *t, const char *what, int n, int c, int h,
                     int w, int f, int p, const float *x, const float *wt,
                     const float *bias, float *y);

/* dw [f, c, 3, 3] = conv2d_dw(x [n, c, h, w], gy [n, f, h + 2p - 2,
 * w + 2p - 2], stride 1, padding p): the filters' gradient of the
 * convolution above, by the same tiles (dW = G^T [sum over tiles of
 * (A gy A^T) .* (B^T d B)] G), for sizes that ml_conv_winograd_fits()
 * accepts.  Scratch space and errors as for ml_conv_winograd(). */
int ml_conv_winograd_dw(ml_ad_tape *t, const char *what, int n, int c, int h,
                        int w, int f, int p, const float *x, const float *gy,
                        float *dw);

#endif
