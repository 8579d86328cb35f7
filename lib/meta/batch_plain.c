/* Plain inner loops for a group of tasks in one graph (Reptile's several
 * SGD steps): nothing here is differentiated, so a step's graph is only
 * the forward pass and dL/dz of each dense layer, and the updates
 *
 *   W_t <- W_t - lr x_t^T G_t,   b_t <- b_t - lr (sum of G_t's rows)
 *
 * (G_t = dL/dz on task t's rows, x_t the layer's input) go straight into a
 * buffer of per-task parameters, the first by a product with beta = 1.
 * Neither the gradients nor the new parameters become nodes, and the tape
 * is reset every step: it stays the size of one step, in cache.  The
 * values are those of the per-task path's phi - lr g, up to the last bits
 * of dL/dz (the group's loss is differentiated with the seed T). */
#include "meta/batch.h"

#include "core/alloc.h"
#include "core/blas.h"

#include <string.h>

void ml_batch_phi_leaves(ml_ad_tape *t, const ml_model *m, size_t n, float *phi,
                         ml_ad_node **p)
{
    for (size_t k = 0; k < m->ntensors; k++) {
        const ml_nn_tensor *q = &m->tensors[k];
        int shape[ML_AD_MAXDIM] = {(int)n};
        for (int d = 0; d < q->ndim && d + 1 < ML_AD_MAXDIM; d++)
            shape[d + 1] = q->shape[d];
        p[k] = ml_ad_leaf(t, q->ndim + 1, shape, phi + n * q->offset, 1);
    }
}

static ml_status out_of_memory(ml_ad_tape *t)
{
    if (t->status == ML_OK)
        ml_ad_fail(t, ML_ERR_NOMEM, "batch: out of memory");
    return t->status;
}

/* Row sums of g [rows, cols] into s, row by row: the order of sum_to. */
static void row_sums(const float *g, int rows, int cols, float *s)
{
    memset(s, 0, (size_t)cols * sizeof *s);
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < cols; j++)
            s[j] += g[(size_t)r * (size_t)cols + (size_t)j];
}

void *ml_batch_plain_alloc(const ml_learner *l, ml_batch *b, size_t n,
                           ml_task *const *tasks, float **phi)
{
    size_t nphi = (n * l->n_params * sizeof(float) + 63) & ~(size_t)63;
    unsigned char *mem = ml_malloc(nphi + ml_batch_layout(b, n, tasks, NULL));
    if (mem)
        ml_batch_layout(b, n, tasks, mem + nphi);
    *phi = (float *)mem;
    return mem;
}

ml_status ml_batch_adapt_plain(ml_learner *l, ml_ad_tape *t, ml_batch *b, int steps,
                               float *phi, double *vals)
{
    const ml_model *m = l->model;
    size_t nt = m->ntensors, nl = m->nlayers, n = (size_t)b->T;
    /* phi_t = theta for every task (loops: tensors of a few dozen floats
     * make memcpy calls cost more than the copies) */
    for (size_t k = 0; k < nt; k++) {
        size_t off = m->tensors[k].offset, sz = m->tensors[k].size;
        const float *th = l->meta + off;
        for (size_t i = 0; i < n; i++) {
            float *dst = phi + n * off + i * sz;
            for (size_t j = 0; j < sz; j++)
                dst[j] = th[j];
        }
    }
    const float s = -(float)l->inner_lr;
    for (int st = 0; st < steps; st++) {
        /* Step 0 runs on theta's leaves (one product for the group), the
         * later ones on phi's.  The leaves over phi are dead once dL/dz is
         * known: phi is updated, then the tape reset before any reuse. */
        ml_ad_node **p = ml_batch_begin(l, t, b, n, NULL);
        ml_ad_node **z = p ? ml_arena_alloc(&t->arena, 5 * nl * sizeof *z) : NULL;
        float *sum = z ? ml_arena_alloc(&t->arena, l->n_params * sizeof *sum) : NULL;
        if (!sum)
            return out_of_memory(t);
        if (st > 0)
            ml_batch_phi_leaves(t, m, n, phi, p);
        if (ml_batch_layer_grads(t, m, p, NULL, b, 0, z, st == steps - 1 ? vals : NULL, 0) !=
            ML_OK)
            return t->status;
        int rows = b->n[0];
        for (size_t i = 0; i < nl; i++) {
            const ml_ad_node *G = z[2 * nl + i], *X = z[nl + i];
            if (!G)
                continue;
            const ml_nn_layer *L = &m->layers[i];
            const ml_nn_tensor *tw = &m->tensors[L->first_tensor],
                               *tb = &m->tensors[L->first_tensor + 1];
            int K = (int)L->in_size, M = (int)L->out_size;
            for (size_t q = 0; q < n; q++) {
                const float *x = X->val + q * (size_t)rows * (size_t)K,
                            *g = G->val + q * (size_t)rows * (size_t)M;
                ml_sgemm(1, 0, K, M, rows, s, x, K, g, M, 1.0f,
                         phi + n * tw->offset + q * tw->size, M);
                float *bias = phi + n * tb->offset + q * tb->size;
                row_sums(g, rows, M, sum);
                for (int j = 0; j < M; j++)
                    bias[j] = bias[j] + s * sum[j];
            }
        }
    }
    return t->status;
}
