/* Training a one-hidden-layer sigmoid MLP with softmax cross-entropy on
 * mini-batches of a data set: the learned optimiser paper's second family.
 * Parameters: W1 [in, H], b1 [H], W2 [H, C], b2 [C], in that order. */
#include "optim/problems.h"

#include "core/alloc.h"
#include "core/blas.h"
#include "core/rng.h"
#include "data/dataset.h"

#include <math.h>
#include <string.h>

typedef struct mlp {
    ml_data *data;     /* one reference */
    size_t in, hidden, classes, batch;
} mlp;

typedef struct run {
    ml_rng rng;        /* mini-batch draws */
    int *labels;       /* [B] */
    float *x;          /* [B, in] */
    float *h;          /* [B, H]: hidden activations */
    float *z;          /* [B, C]: logits, then dL/dlogits */
    float *dh;         /* [B, H] */
} run;

static void offsets(const mlp *m, size_t *w1, size_t *b1, size_t *w2, size_t *b2)
{
    *w1 = 0;
    *b1 = m->in * m->hidden;
    *w2 = *b1 + m->hidden;
    *b2 = *w2 + m->hidden * m->classes;
}

static ml_status sample(const ml_problems *p, uint64_t seed, float *theta0, void **inst,
                        char *msg)
{
    const mlp *m = p->impl;
    run *r = ml_calloc(1, sizeof *r);
    const size_t b = m->batch;
    if (r) {
        r->labels = ml_malloc(b * sizeof(int));
        r->x = ml_malloc(b * m->in * sizeof(float));
        r->h = ml_malloc(b * m->hidden * sizeof(float));
        r->z = ml_malloc(b * m->classes * sizeof(float));
        r->dh = ml_malloc(b * m->hidden * sizeof(float));
    }
    if (!r || !r->labels || !r->x || !r->h || !r->z || !r->dh) {
        p->ops->release(p, r);
        return ml_error(msg, ML_ERR_NOMEM, "mlp problems: out of memory");
    }
    ml_rng_seed(&r->rng, seed);
    size_t w1, b1, w2, b2;
    offsets(m, &w1, &b1, &w2, &b2);
    const float l1 = 1.0f / sqrtf((float)m->in), l2 = 1.0f / sqrtf((float)m->hidden);
    for (size_t i = w1; i < b1; i++)
        theta0[i] = ml_rng_range(&r->rng, -l1, l1);
    for (size_t i = w2; i < b2; i++)
        theta0[i] = ml_rng_range(&r->rng, -l2, l2);
    memset(theta0 + b1, 0, m->hidden * sizeof(float));
    memset(theta0 + b2, 0, m->classes * sizeof(float));
    *inst = r;
    return ML_OK;
}

/* The next mini-batch into r->x, r->labels. */
static void draw_batch(const mlp *m, run *r)
{
    const ml_data *d = m->data;
    for (size_t i = 0; i < m->batch; i++) {
        const size_t k = ml_rng_below(&r->rng, (uint32_t)d->n);
        memcpy(r->x + i * m->in, d->x + k * m->in, m->in * sizeof(float));
        r->labels[i] = d->labels[k];
    }
}

/* Forward and backward by hand (values and first derivatives are all the
 * paper's optimiser needs):
 *   h = sig(x W1 + b1), z = h W2 + b2, L = mean_i -log softmax(z_i)[y_i]
 *   dz = (softmax(z) - onehot(y)) / B
 *   dW2 = h^T dz, db2 = sum_i dz, dh = dz W2^T (.) h (1 - h)
 *   dW1 = x^T dh, db1 = sum_i dh */
static ml_status eval(const ml_problems *p, void *inst, const float *theta, float *grad,
                      double *value, char *msg)
{
    (void)msg;
    const mlp *m = p->impl;
    run *r = inst;
    const int b = (int)m->batch, in = (int)m->in, hd = (int)m->hidden,
              c = (int)m->classes;
    size_t w1, b1, w2, b2;
    offsets(m, &w1, &b1, &w2, &b2);
    draw_batch(m, r);

    for (int i = 0; i < b; i++)
        memcpy(r->h + (size_t)i * hd, theta + b1, (size_t)hd * sizeof(float));
    ml_sgemm(0, 0, b, hd, in, 1.0f, r->x, in, theta + w1, hd, 1.0f, r->h, hd);
    for (size_t i = 0; i < (size_t)b * hd; i++)
        r->h[i] = 1.0f / (1.0f + expf(-r->h[i]));
    for (int i = 0; i < b; i++)
        memcpy(r->z + (size_t)i * c, theta + b2, (size_t)c * sizeof(float));
    ml_sgemm(0, 0, b, c, hd, 1.0f, r->h, hd, theta + w2, c, 1.0f, r->z, c);

    double loss = 0;
    for (int i = 0; i < b; i++) {
        float *z = r->z + (size_t)i * c;
        float mx = z[0];
        for (int k = 1; k < c; k++)
            mx = z[k] > mx ? z[k] : mx;
        double s = 0;
        for (int k = 0; k < c; k++)
            s += exp((double)(z[k] - mx));
        loss += log(s) + mx - z[r->labels[i]];
        for (int k = 0; k < c; k++)
            z[k] = (float)(exp((double)(z[k] - mx)) / s / b);
        z[r->labels[i]] -= 1.0f / (float)b;
    }
    *value = loss / b;

    ml_sgemm(1, 0, hd, c, b, 1.0f, r->h, hd, r->z, c, 0.0f, grad + w2, c);
    for (int k = 0; k < c; k++) {
        float s = 0;
        for (int i = 0; i < b; i++)
            s += r->z[(size_t)i * c + k];
        grad[b2 + (size_t)k] = s;
    }
    ml_sgemm(0, 1, b, hd, c, 1.0f, r->z, c, theta + w2, c, 0.0f, r->dh, hd);
    for (size_t i = 0; i < (size_t)b * hd; i++)
        r->dh[i] *= r->h[i] * (1.0f - r->h[i]);
    ml_sgemm(1, 0, in, hd, b, 1.0f, r->x, in, r->dh, hd, 0.0f, grad + w1, hd);
    for (int k = 0; k < hd; k++) {
        float s = 0;
        for (int i = 0; i < b; i++)
            s += r->dh[(size_t)i * hd + k];
        grad[b1 + (size_t)k] = s;
    }
    return ML_OK;
}

static ml_ad_node *eval_graph(const ml_problems *p, void *inst, ml_ad_tape *t,
                              ml_ad_node *theta)
{
    const mlp *m = p->impl;
    run *r = inst;
    const int b = (int)m->batch, in = (int)m->in, hd = (int)m->hidden,
              c = (int)m->classes;
    size_t w1, b1, w2, b2;
    offsets(m, &w1, &b1, &w2, &b2);
    draw_batch(m, r);
    int xs[2] = {b, in}, s1[2] = {in, hd}, s2[2] = {hd, c};
    ml_ad_node *x = ml_ad_leaf(t, 2, xs, r->x, 0);
    ml_ad_node *W1 = ml_ad_reshape(t, ml_ad_slice(t, theta, 0, (int)w1, in * hd), 2, s1);
    ml_ad_node *B1 = ml_ad_reshape(t, ml_ad_slice(t, theta, 0, (int)b1, hd), 1, &hd);
    ml_ad_node *W2 = ml_ad_reshape(t, ml_ad_slice(t, theta, 0, (int)w2, hd * c), 2, s2);
    ml_ad_node *B2 = ml_ad_reshape(t, ml_ad_slice(t, theta, 0, (int)b2, c), 1, &c);
    ml_ad_node *h = ml_ad_sigmoid(t, ml_ad_linear(t, x, W1, B1));
    return ml_ad_softmax_ce(t, ml_ad_linear(t, h, W2, B2), r->labels);
}

static void release(const ml_problems *p, void *inst)
{
    (void)p;
    run *r = inst;
    if (!r)
        return;
    ml_free(r->labels);
    ml_free(r->x);
    ml_free(r->h);
    ml_free(r->z);
    ml_free(r->dh);
    ml_free(r);
}

static void destroy(ml_problems *p)
{
    mlp *m = p->impl;
    if (m)
        ml_data_unref(m->data);
    ml_free(m);
}

const ml_problems_ops ml_problems_mlp_ops = {
    .name = "mlp",
    .sample = sample,
    .eval = eval,
    .eval_graph = eval_graph,
    .release = release,
    .destroy = destroy,
};

ml_status ml_problems_create_mlp(ml_problems **out, const ml_dataset *data, size_t hidden,
                                 size_t batch)
{
    if (!out)
        return ml_error(NULL, ML_ERR_INVALID_ARG, "ml_problems_create_mlp: NULL out");
    *out = NULL;
    if (!data || hidden == 0 || batch == 0 || hidden > 65536 || batch > 65536)
        return ml_error(NULL, ML_ERR_INVALID_ARG,
                        "ml_problems_create_mlp: NULL data set, or hidden or batch "
                        "outside 1..65536");
    ml_data *d = data->data;
    if (d->n_classes < 2 || d->n > UINT32_MAX)
        return ml_error(NULL, ML_ERR_INVALID_ARG,
                        "ml_problems_create_mlp: the data set needs at least 2 classes");
    size_t dim = d->input_size * hidden + hidden + hidden * d->n_classes + d->n_classes;
    if (dim > (size_t)1 << 26 || (size_t)batch * d->input_size > (size_t)1 << 28)
        return ml_error(NULL, ML_ERR_INVALID_ARG,
                        "ml_problems_create_mlp: %zu parameters is too many", dim);
    mlp *m = ml_malloc(sizeof *m);
    if (!m)
        return ml_error(NULL, ML_ERR_NOMEM, "ml_problems_create_mlp: out of memory");
    m->data = ml_data_ref(d);
    m->in = d->input_size;
    m->hidden = hidden;
    m->classes = d->n_classes;
    m->batch = batch;
    ml_status st = ml_problems_new(out, &ml_problems_mlp_ops, dim, m);
    if (st != ML_OK) {
        ml_data_unref(m->data);
        ml_free(m);
    }
    return st;
}
