/* The autodiff engine on its own: fit a small tanh network to
 * y = sin(x) on [-3, 3] with plain gradient descent, printing the loss as
 * it falls.  Uses the library's internal engine API (lib/autodiff/ad.h),
 * which is not installed: this program documents the engine, it is not a
 * template for users of the public API (see the other examples). */
#include "autodiff/ad.h"
#include "core/rng.h"

#include <math.h>
#include <stdio.h>

enum { N = 64, H = 16, STEPS = 2000 };

int main(void)
{
    static float x[N], y[N], w1[H], b1[H], w2[H], b2[1];
    ml_rng rng;
    ml_rng_seed(&rng, 42);
    for (int i = 0; i < N; i++) {
        x[i] = -3.0f + 6.0f * (float)i / (N - 1);
        y[i] = sinf(x[i]);
    }
    for (int j = 0; j < H; j++) {
        w1[j] = ml_rng_range(&rng, -1.0f, 1.0f);
        b1[j] = ml_rng_range(&rng, -1.0f, 1.0f);
        w2[j] = ml_rng_range(&rng, -0.5f, 0.5f);
    }
    float *params[4] = {w1, b1, w2, b2};
    const int sizes[4] = {H, H, H, 1};

    ml_ad_tape t;
    ml_ad_tape_init(&t);
    const int xs[2] = {N, 1}, w1s[2] = {1, H}, w2s[2] = {H, 1};
    float first = 0.0f, loss = 0.0f;
    for (int step = 0; step <= STEPS; step++) {
        ml_ad_tape_reset(&t);
        ml_ad_node *p[4] = {
            ml_ad_leaf(&t, 2, w1s, w1, 1), ml_ad_leaf(&t, 1, &sizes[1], b1, 1),
            ml_ad_leaf(&t, 2, w2s, w2, 1), ml_ad_leaf(&t, 1, &sizes[3], b2, 1)};
        ml_ad_node *in = ml_ad_leaf(&t, 2, xs, x, 0);
        ml_ad_node *target = ml_ad_leaf(&t, 2, xs, y, 0);
        ml_ad_node *h = ml_ad_tanh(&t, ml_ad_add(&t, ml_ad_matmul(&t, in, p[0], 0, 0), p[1]));
        ml_ad_node *out = ml_ad_add(&t, ml_ad_matmul(&t, h, p[2], 0, 0), p[3]);
        ml_ad_node *L = ml_ad_mse(&t, out, target);
        ml_ad_node *g[4];
        if (ml_ad_grad(&t, 1, &L, NULL, 4, p, g, 0) != ML_OK) {
            fprintf(stderr, "engine_demo: %s\n", t.msg);
            ml_ad_tape_release(&t);
            return 1;
        }
        loss = L->val[0];
        if (step == 0)
            first = loss;
        if (step % 200 == 0)
            printf("step %4d  loss %.5f\n", step, loss);
        for (int k = 0; k < 4; k++)
            for (int j = 0; j < sizes[k]; j++)
                params[k][j] -= 0.1f * g[k]->val[j];
    }
    ml_ad_tape_release(&t);
    printf("loss fell from %.4f to %.5f\n", first, loss);
    return loss < first ? 0 : 1;
}
