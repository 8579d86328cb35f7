/* The meta-batch as one graph: a group of tasks of the same sizes adapted
 * and differentiated together, for models made of dense layers and
 * elementwise activations (the sine MLP and its kind).
 *
 * A task's tape holds about a hundred nodes of a few hundred floats each;
 * book-keeping per node then costs as much as its arithmetic.  Here one
 * tape holds the T tasks of a group: the same hundred nodes, each T times
 * larger.  The examples of all tasks are stacked row-wise ([T n, in]), so
 * a layer with parameters shared by the group (theta) is one product for
 * all tasks, and a layer with one set of parameters per task (the adapted
 * phi, shapes [T, K, M] and [T, M]) is a batched product.
 *
 * Per-task inner gradients.  Differentiating sum_t L_t with respect to a
 * shared W would give their sum; but with z = x W + b a dense layer's
 * output, dL_t/dW = x_t^T dL/dz_t and dL_t/db = sum of the rows of
 * dL/dz_t, since only task t's rows of z depend on task t's loss.  So the
 * inner step differentiates with respect to the dense outputs z and forms
 * each task's weight gradient with a batched product, all on the tape
 * (differentiable again: exact second-order MAML through it).
 *
 * The loss of a group is the mean over its rows, (1/T) sum_t L_t (tasks of
 * equal sizes); gradients of sum_t L_t are taken with the seed T.  Each
 * task's loss value comes from the same loss op on that task's rows alone,
 * so the values reported equal the per-task path's. */
#include "meta/batch.h"

#include <string.h>

int ml_batch_same_sizes(const ml_task *a, const ml_task *b)
{
    return a->in_size == b->in_size && a->out_size == b->out_size &&
           a->ways == b->ways && a->n[0] == b->n[0] && a->n[1] == b->n[1];
}

int ml_batch_applies(const ml_learner *l)
{
    if (!l->ops->batch_gradient ||
        (l->strategy == ML_STRATEGY_REPTILE && l->rep_inner_adam))
        return 0;
    const ml_model *m = l->model;
    for (size_t i = 0; i < m->nlayers; i++) {
        int k = m->layers[i].kind;
        if (k != ML_LAYER_DENSE && k != ML_LAYER_RELU && k != ML_LAYER_TANH &&
            k != ML_LAYER_SIGMOID && k != ML_LAYER_FLATTEN)
            return 0;
    }
    return 1;
}

/* Room for n items of `size` bytes at *off in mem (64-byte aligned). */
static void *place(unsigned char *mem, size_t *off, size_t n, size_t size)
{
    void *p = mem ? mem + *off : NULL;
    *off += (n * size + 63) & ~(size_t)63;
    return p;
}

size_t ml_batch_layout(ml_batch *b, size_t T, ml_task *const *tasks, void *mem)
{
    const ml_task *k0 = tasks[0];
    memset(b, 0, sizeof *b);
    b->T = (int)T;
    b->in = (int)k0->in_size;
    b->out = (int)k0->out_size;
    b->classify = k0->ways != 0;
    size_t off = 0;
    for (int h = 0; h < 2; h++) {
        size_t n = k0->n[h], nx = n * k0->in_size, ny = n * k0->out_size;
        b->n[h] = (int)n;
        if (n == 0)
            continue;
        b->x[h] = place(mem, &off, T * nx, sizeof(float));
        if (b->classify)
            b->labels[h] = place(mem, &off, T * n, sizeof(int));
        else
            b->y[h] = place(mem, &off, T * ny, sizeof(float));
        for (size_t i = 0; mem && i < T; i++) {
            memcpy(b->x[h] + i * nx, tasks[i]->x[h], nx * sizeof(float));
            if (b->classify)
                memcpy(b->labels[h] + i * n, tasks[i]->labels[h], n * sizeof(int));
            else
                memcpy(b->y[h] + i * ny, tasks[i]->y[h], ny * sizeof(float));
        }
    }
    return off ? off : 64;
}

ml_ad_node **ml_batch_begin(ml_learner *l, ml_ad_tape *t, ml_batch *b, size_t n,
                            ml_task *const *tasks)
{
    const ml_model *m = l->model;
    size_t nt = m->ntensors;
    ml_ad_tape_reset(t);
    ml_ad_node **s = ml_arena_alloc(&t->arena, 5 * nt * sizeof *s);
    void *mem = s && tasks ? ml_arena_alloc(&t->arena, ml_batch_layout(b, n, tasks, NULL)) : s;
    if (!mem)
        return ml_ad_fail(t, ML_ERR_NOMEM, "batch: out of memory"), NULL;
    if (tasks)
        ml_batch_layout(b, n, tasks, mem);
    ml_nn_param_leaves(t, m, l->meta, 1, s);
    if (l->ops->has_alpha)
        ml_nn_param_leaves(t, m, l->meta + l->n_params, 1, s + nt);
    return t->status == ML_OK ? s : NULL;
}

/* Whether tensor k's node holds one copy per task (a leading T dim). */
static int per_task(const ml_model *m, size_t k, const ml_ad_node *p)
{
    return p->ndim > m->tensors[k].ndim;
}

/* Layer i's low-rank corrections for rows h [T r, K] of every task, added
 * to z [T r, M]: coef (h_t x_t^T + 1) g_t for each term (x_t [n, K],
 * g_t [n, M] of task t; the 1 carries the bias's correction). */
static ml_ad_node *low_rank(ml_ad_tape *t, const ml_batch_terms *lr, size_t i,
                            const ml_batch *b, int r, ml_ad_node *h, ml_ad_node *z)
{
    int T = b->T, n = b->n[0], K = h->shape[1], M = z->shape[1], one = 1;
    int h3[3] = {T, r, K}, x3[3] = {T, n, K}, g3[3] = {T, n, M}, z2[2] = {T * r, M};
    ml_ad_node *ones = ml_ad_fill(t, 1, &one, 1.0f);
    for (int s = 0; s < lr->steps && z; s++) {
        ml_ad_node *x = lr->x[i * (size_t)lr->cap + (size_t)s],
                   *g = lr->g[i * (size_t)lr->cap + (size_t)s];
        ml_ad_node *a = ml_ad_matmul(t, ml_ad_reshape(t, h, 3, h3), ml_ad_reshape(t, x, 3, x3),
                                     0, 1);
        ml_ad_node *c = ml_ad_matmul(t, ml_ad_add(t, a, ones), ml_ad_reshape(t, g, 3, g3), 0, 0);
        z = ml_ad_axpy(t, z, lr->coef, ml_ad_reshape(t, c, 2, z2));
    }
    return z;
}

ml_ad_node *ml_batch_forward(ml_ad_tape *t, const ml_model *m,
                             ml_ad_node *const *params, const ml_batch_terms *lr,
                             const ml_batch *b, int set, ml_ad_node **z, ml_ad_node **zin)
{
    int T = b->T, n = b->n[set], rows = T * n;
    int xs[2] = {rows, b->in};
    ml_ad_node *h = ml_ad_leaf(t, 2, xs, b->x[set], 0);
    for (size_t i = 0; i < m->nlayers && h; i++) {
        const ml_nn_layer *L = &m->layers[i];
        switch (L->kind) {
        case ML_LAYER_DENSE: {
            size_t k = (size_t)L->first_tensor;
            ml_ad_node *w = params[k], *bias = params[k + 1];
            int K = (int)L->in_size, M = (int)L->out_size;
            if (zin)
                zin[i] = h;
            if (!per_task(m, k, w)) {
                ml_ad_node *x = h;
                h = ml_ad_linear(t, h, w, bias);
                if (lr && lr->steps && lr->x[i * (size_t)lr->cap])
                    h = low_rank(t, lr, i, b, n, x, h);
            } else { /* z_t = x_t W_t + b_t: a batched layer */
                int x3[3] = {T, n, K}, z2[2] = {rows, M};
                h = ml_ad_reshape(t, ml_ad_linear(t, ml_ad_reshape(t, h, 3, x3), w, bias), 2,
                                  z2);
            }
            if (z)
                z[i] = h;
            break;
        }
        case ML_LAYER_RELU: h = ml_ad_relu(t, h); break;
        case ML_LAYER_TANH: h = ml_ad_tanh(t, h); break;
        case ML_LAYER_SIGMOID: h = ml_ad_sigmoid(t, h); break;
        default: break; /* flatten: the rows are flat already */
        }
    }
    return h;
}

/* Task i's loss on its own rows of out: the op the per-task path uses. */
static double task_loss(ml_ad_tape *t, const ml_batch *b, ml_ad_node *out, int set, int i)
{
    int n = b->n[set], s[2] = {n, b->out};
    size_t off = (size_t)i * (size_t)n * (size_t)b->out;
    ml_ad_node *p = ml_ad_leaf(t, 2, s, out->val + off, 0), *L;
    if (b->classify)
        L = ml_ad_softmax_ce(t, p, b->labels[set] + (size_t)i * (size_t)n);
    else
        L = ml_ad_mse(t, p, ml_ad_leaf(t, 2, s, b->y[set] + off, 0));
    return L ? (double)L->val[0] : 0.0;
}

ml_ad_node *ml_batch_loss(ml_ad_tape *t, const ml_batch *b, ml_ad_node *out, int set,
                          double *vals)
{
    if (!out)
        return NULL;
    for (int i = 0; vals && i < b->T; i++)
        vals[2 * i] = task_loss(t, b, out, set, i);
    if (b->classify)
        return ml_ad_softmax_ce(t, out, b->labels[set]);
    int s[2] = {b->T * b->n[set], b->out};
    return ml_ad_mse(t, out, ml_ad_leaf(t, 2, s, b->y[set], 0));
}

ml_status ml_batch_grad(ml_ad_tape *t, const ml_batch *b, ml_ad_node *loss, int nin,
                        ml_ad_node *const *ins, ml_ad_node **grads, int create_graph)
{
    /* d(sum_t L_t) = T d(mean over the rows) */
    int one = 1;
    ml_ad_node *seed = ml_ad_fill(t, 1, &one, (float)b->T);
    if (!loss || !seed)
        return t->status != ML_OK ? t->status : ML_ERR_INTERNAL;
    return ml_ad_grad(t, 1, &loss, &seed, nin, ins, grads, create_graph);
}

/* p - alpha (.) g for the per-task gradients g [T, ...]: with a scalar
 * step p + (-lr) g, or p - g alpha with per-parameter steps alpha (shared
 * by the tasks, broadcast).  A shared p (the first step) is broadcast too:
 * the sums are written with p second, the operand that broadcasts; x + p
 * is the same float as p + x, and g (-alpha) + p as p - g alpha (negation
 * is exact). */
static ml_ad_node *step(ml_ad_tape *t, ml_ad_node *p, int shared, ml_ad_node *g,
                        ml_ad_node *alpha, float lr)
{
    if (alpha) /* the negation on alpha, not on the T times larger product */
        return shared ? ml_ad_add(t, ml_ad_mul(t, g, ml_ad_neg(t, alpha)), p)
                      : ml_ad_sub(t, p, ml_ad_mul(t, g, alpha));
    return shared ? ml_ad_add(t, ml_ad_scale(t, g, -lr), p) : ml_ad_axpy(t, p, -lr, g);
}

ml_status ml_batch_layer_grads(ml_ad_tape *t, const ml_model *m, ml_ad_node *const *p,
                               const ml_batch_terms *lr, const ml_batch *b, int set,
                               ml_ad_node **z, double *vals, int create_graph)
{
    size_t nl = m->nlayers;
    ml_ad_node **zin = z + nl, **gz = z + 2 * nl, **ins = z + 3 * nl, **gd = z + 4 * nl;
    memset(z, 0, 5 * nl * sizeof *z);
    ml_ad_node *out = ml_batch_forward(t, m, p, lr, b, set, z, zin);
    ml_ad_node *loss = ml_batch_loss(t, b, out, set, vals);
    int nd = 0;
    for (size_t i = 0; i < nl; i++)
        if (z[i])
            ins[nd++] = z[i];
    if (ml_batch_grad(t, b, loss, nd, ins, gd, create_graph) != ML_OK)
        return t->status;
    nd = 0;
    for (size_t i = 0; i < nl; i++)
        if (z[i])
            gz[i] = gd[nd++];
    return ML_OK;
}

/* Whether dense layer L's adapted weights are cheaper kept as low-rank
 * corrections: per task and inner step, those cost about 3 r n (K + M)
 * multiply-adds (forward and backward) against 3 (n + r) K M for forming
 * and using the weights (n support rows, r the most rows a forward pass
 * of the task has).  For the sine MLP's 40x40 layer, 24,000 against
 * 96,000; its 1x40 and 40x1 layers stay formed. */
static int keep_low_rank(const ml_nn_layer *L, const ml_batch *b, int steps)
{
    long n = b->n[0], r = b->n[1] > n ? b->n[1] : n;
    long K = (long)L->in_size, M = (long)L->out_size;
    return (long)steps * r * n * (K + M) < (n + r) * K * M;
}

ml_status ml_batch_adapt(ml_learner *l, ml_ad_tape *t, const ml_batch *b,
                         ml_ad_node *const *theta, ml_ad_node *const *alpha, int steps,
                         int create_graph, ml_ad_node **phi, ml_batch_terms *lr,
                         double *vals)
{
    const ml_model *m = l->model;
    size_t nt = m->ntensors, nl = m->nlayers;
    ml_ad_node **z = ml_arena_alloc(&t->arena, 5 * nl * sizeof *z);
    ml_ad_node **terms = ml_arena_alloc(&t->arena, 2 * nl * (size_t)(steps + 1) * sizeof *terms);
    if (!z || !terms)
        return ml_ad_fail(t, ML_ERR_NOMEM, "batch: out of memory"), t->status;
    memset(terms, 0, 2 * nl * (size_t)(steps + 1) * sizeof *terms);
    *lr = (ml_batch_terms){0, steps + 1, -(float)l->inner_lr, terms, terms + nl * (size_t)(steps + 1)};
    ml_ad_node **zin = z + nl, **gz = z + 2 * nl;
    for (size_t k = 0; k < nt; k++)
        phi[k] = theta[k];
    int T = b->T, n = b->n[0];
    for (int s = 0; s < steps && t->status == ML_OK; s++) {
        if (ml_batch_layer_grads(t, m, phi, lr, b, 0, z, s == steps - 1 ? vals : NULL,
                                 create_graph) != ML_OK)
            break;
        for (size_t i = 0; i < nl; i++) {
            if (!gz[i])
                continue;
            const ml_nn_layer *L = &m->layers[i];
            /* Without create_graph the inner gradients are constants
             * (first-order MAML): so are the layer inputs they are made of */
            ml_ad_node *X = create_graph ? zin[i]
                                         : ml_ad_leaf(t, 2, zin[i]->shape, zin[i]->val, 0);
            if (!alpha && keep_low_rank(L, b, steps)) {
                lr->x[i * (size_t)lr->cap + (size_t)s] = X;
                lr->g[i * (size_t)lr->cap + (size_t)s] = gz[i];
                continue;
            }
            size_t k = (size_t)L->first_tensor;
            int K = (int)L->in_size, M = (int)L->out_size;
            int x3[3] = {T, n, K}, g3[3] = {T, n, M}, s3[3] = {T, 1, M}, b2[2] = {T, M};
            /* dL_t/dW = x_t^T G_t, dL_t/db = the sum of G_t's rows */
            ml_ad_node *G = ml_ad_reshape(t, gz[i], 3, g3);
            ml_ad_node *gw = ml_ad_matmul(t, ml_ad_reshape(t, X, 3, x3), G, 1, 0);
            ml_ad_node *gb = ml_ad_reshape(t, ml_ad_sum_to(t, G, 3, s3), 2, b2);
            for (size_t j = 0; j < 2; j++) {
                ml_ad_node *a = alpha ? alpha[k + j] : NULL;
                phi[k + j] = step(t, phi[k + j], !per_task(m, k + j, phi[k + j]),
                                  j ? gb : gw, a, (float)l->inner_lr);
            }
        }
        lr->steps = s + 1;
    }
    return t->status;
}
