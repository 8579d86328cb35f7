/* Random quadratics f(theta) = ||W theta - y||^2, W [d, d] and y [d] from
 * N(0, 1), theta0 from N(0, 0.01^2): the learned optimiser paper's first
 * family. */
#include "optim/problems.h"

#include "core/alloc.h"
#include "core/rng.h"

typedef struct quad {
    float *w;   /* [d, d] */
    float *y;   /* [d] */
} quad;

static ml_status sample(const ml_problems *p, uint64_t seed, float *theta0, void **inst,
                        char *msg)
{
    const size_t d = p->dim;
    quad *q = ml_malloc(sizeof *q);
    float *buf = ml_malloc((d * d + d) * sizeof(float));
    if (!q || !buf) {
        ml_free(q);
        ml_free(buf);
        return ml_error(msg, ML_ERR_NOMEM, "quadratic problems: out of memory");
    }
    q->w = buf;
    q->y = buf + d * d;
    ml_rng r;
    ml_rng_seed(&r, seed);
    for (size_t i = 0; i < d * d + d; i++)
        buf[i] = ml_rng_normal(&r);
    for (size_t i = 0; i < d; i++)
        theta0[i] = 0.01f * ml_rng_normal(&r);
    *inst = q;
    return ML_OK;
}

/* r = W theta - y, f = r.r, grad = 2 W^T r (accumulated in double: d is
 * small, and the value is what the comparisons report). */
static ml_status eval(const ml_problems *p, void *inst, const float *theta, float *grad,
                      double *value, char *msg)
{
    (void)msg;
    const quad *q = inst;
    const size_t d = p->dim;
    double f = 0;
    for (size_t j = 0; j < d; j++)
        grad[j] = 0;
    for (size_t i = 0; i < d; i++) {
        const float *row = q->w + i * d;
        double r = -q->y[i];
        for (size_t j = 0; j < d; j++)
            r += (double)row[j] * theta[j];
        f += r * r;
        const float r2 = (float)(2 * r);
        for (size_t j = 0; j < d; j++)
            grad[j] += r2 * row[j];
    }
    *value = f;
    return ML_OK;
}

static ml_ad_node *eval_graph(const ml_problems *p, void *inst, ml_ad_tape *t,
                              ml_ad_node *theta)
{
    const quad *q = inst;
    int wshape[2] = {(int)p->dim, (int)p->dim}, yshape[2] = {(int)p->dim, 1};
    ml_ad_node *w = ml_ad_leaf(t, 2, wshape, q->w, 0);
    ml_ad_node *y = ml_ad_leaf(t, 2, yshape, q->y, 0);
    ml_ad_node *r = ml_ad_sub(t, ml_ad_matmul(t, w, theta, 0, 0), y);
    return ml_ad_sum(t, ml_ad_square(t, r));
}

static void release(const ml_problems *p, void *inst)
{
    (void)p;
    quad *q = inst;
    if (q)
        ml_free(q->w);
    ml_free(q);
}

static void destroy(ml_problems *p)
{
    (void)p;
}

const ml_problems_ops ml_problems_quadratic_ops = {
    .name = "quadratic",
    .sample = sample,
    .eval = eval,
    .eval_graph = eval_graph,
    .release = release,
    .destroy = destroy,
};
