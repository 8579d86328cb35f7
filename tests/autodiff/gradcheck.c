/* Finite-difference gradient and Hessian-vector-product checks. */
#include "gradcheck.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t gc_size(const gc_input *in)
{
    size_t n = 1;
    for (int i = 0; i < in->ndim; i++)
        n *= (size_t)in->shape[i];
    return n;
}

void gc_fill(ml_rng *r, float *x, size_t n, float lo, float hi, float margin)
{
    for (size_t i = 0; i < n; i++) {
        float v = ml_rng_range(r, lo, hi);
        for (int tries = 0; fabsf(v) < margin && tries < 1000; tries++)
            v = ml_rng_range(r, lo, hi);
        if (fabsf(v) < margin)
            v = v < 0.0f ? -margin : margin;
        x[i] = v;
    }
}

ml_ad_node *gc_loss(ml_ad_tape *t, ml_ad_node *y)
{
    if (!y)
        return NULL;
    ml_ad_node *w = ml_ad_zeros(t, y->ndim, y->shape);
    if (!w)
        return NULL;
    ml_rng r;
    ml_rng_seed(&r, 0xC0FFEEu + (uint64_t)y->size);
    for (size_t i = 0; i < w->size; i++)
        w->val[i] = ml_rng_range(&r, -1.0f, 1.0f);
    ml_ad_node *lin = ml_ad_sum(t, ml_ad_mul(t, y, w));
    ml_ad_node *quad = ml_ad_scale(t, ml_ad_sum(t, ml_ad_square(t, y)), 0.5f);
    return ml_ad_add(t, lin, quad);
}

/* ---- internals ---- */

typedef struct gc_state {
    gc_fn fn;
    void *ctx;
    int nin;
    gc_input *in;
    size_t size[GC_MAXIN];
    gc_opts o;
    ml_ad_tape t;
    ml_ad_node *leaves[GC_MAXIN];
    gc_result *res;
} gc_state;

static void fail(gc_result *r, const char *fmt, ...)
{
    if (!r->ok)
        return; /* keep the first message */
    r->ok = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
}

static int init_state(gc_state *s, gc_fn fn, void *ctx, int nin, gc_input *in,
                      const gc_opts *opts, gc_result *res)
{
    memset(s, 0, sizeof *s);
    memset(res, 0, sizeof *res);
    res->ok = 1;
    s->fn = fn;
    s->ctx = ctx;
    s->nin = nin;
    s->in = in;
    s->res = res;
    if (opts)
        s->o = *opts;
    if (s->o.eps <= 0.0)
        s->o.eps = 1e-2;
    if (s->o.tol <= 0.0)
        s->o.tol = 2e-2;
    if (s->o.floor <= 0.0)
        s->o.floor = 0.1;
    if (!s->o.seed)
        s->o.seed = 0x9E3779B97F4A7C15ULL;
    if (nin < 1 || nin > GC_MAXIN) {
        fail(res, "gradcheck: %d inputs (1 to %d allowed)", nin, GC_MAXIN);
        return 0;
    }
    for (int k = 0; k < nin; k++)
        s->size[k] = gc_size(&in[k]);
    ml_ad_tape_init(&s->t);
    return 1;
}

/* Runs the callback on a fresh tape; leaves with or without gradients. */
static ml_ad_node *build(gc_state *s, int requires_grad)
{
    ml_ad_tape_reset(&s->t);
    for (int k = 0; k < s->nin; k++)
        s->leaves[k] = ml_ad_leaf(&s->t, s->in[k].ndim, s->in[k].shape,
                                  s->in[k].data, requires_grad);
    ml_ad_node *L = s->fn(&s->t, s->leaves, s->ctx);
    if (ml_ad_tape_status(&s->t) != ML_OK || !L) {
        fail(s->res, "building the loss failed: status %d (%s)",
             (int)ml_ad_tape_status(&s->t), s->t.msg);
        return NULL;
    }
    if (L->size != 1) {
        fail(s->res, "the loss has %zu elements, not 1", L->size);
        return NULL;
    }
    if (!isfinite(L->val[0])) {
        fail(s->res, "the loss is not finite (%g)", (double)L->val[0]);
        return NULL;
    }
    return L;
}

/* Leaves with gradients even for plain values: a loss may itself take a
 * gradient of its inputs (MAML), which is zero for constant leaves. */
static int eval_loss(gc_state *s, double *out)
{
    ml_ad_node *L = build(s, 1);
    if (!L)
        return 0;
    *out = L->val[0];
    return 1;
}

/* Engine gradient of the loss into g[k][0..size-1]. */
static int eval_grad(gc_state *s, int create_graph, double **g)
{
    ml_ad_node *L = build(s, 1);
    if (!L)
        return 0;
    ml_ad_node *grads[GC_MAXIN];
    ml_status st = ml_ad_grad(&s->t, 1, &L, NULL, s->nin, s->leaves, grads,
                              create_graph);
    if (st != ML_OK) {
        fail(s->res, "ml_ad_grad(create_graph=%d) failed: %d (%s)",
             create_graph, (int)st, s->t.msg);
        return 0;
    }
    for (int k = 0; k < s->nin; k++) {
        ml_ad_node *gk = grads[k];
        if (!gk || gk->size != s->size[k] || gk->ndim != s->in[k].ndim ||
            memcmp(gk->shape, s->in[k].shape,
                   (size_t)gk->ndim * sizeof(int)) != 0) {
            fail(s->res, "gradient %d has the wrong shape", k);
            return 0;
        }
        if (!create_graph && gk->id != -1) {
            fail(s->res, "create_graph=0 gave a recorded gradient (id %d)",
                 gk->id);
            return 0;
        }
        for (size_t i = 0; i < gk->size; i++) {
            g[k][i] = gk->val[i];
            if (!isfinite(g[k][i])) {
                fail(s->res, "gradient %d[%zu] is not finite", k, i);
                return 0;
            }
        }
    }
    return 1;
}

static void compare(gc_state *s, const char *what, int k, size_t i, double a,
                    double n)
{
    gc_result *r = s->res;
    double scale = fmax(s->o.floor, fmax(fabs(a), fabs(n)));
    double err = fabs(a - n) / scale;
    r->checked++;
    if (err > r->max_err)
        r->max_err = err;
    if (fabs(a) > r->max_abs)
        r->max_abs = fabs(a);
    if (!(err <= s->o.tol))
        fail(r, "%s: input %d element %zu: engine %.7g, finite differences "
             "%.7g (error %.3g > tol %.3g)", what, k, i, a, n, err,
             s->o.tol);
}

static double **alloc_arrays(const gc_state *s)
{
    double **g = calloc((size_t)s->nin, sizeof *g);
    if (!g)
        return NULL;
    for (int k = 0; k < s->nin; k++)
        g[k] = calloc(s->size[k] ? s->size[k] : 1, sizeof **g);
    return g;
}

static void free_arrays(const gc_state *s, double **g)
{
    if (!g)
        return;
    for (int k = 0; k < s->nin; k++)
        free(g[k]);
    free(g);
}

static void finish(gc_state *s, const char *what)
{
    gc_result *r = s->res;
    if (r->ok && s->o.min_abs > 0.0 && r->max_abs < s->o.min_abs)
        fail(r, "%s: max |engine value| %g below the expected %g (is the "
             "check trivially zero?)", what, r->max_abs, s->o.min_abs);
    if (getenv("GC_VERBOSE"))
        fprintf(stderr, "gradcheck %s: %d checked, max err %.3g, max abs "
                "%.3g%s\n", what, r->checked, r->max_err, r->max_abs,
                r->ok ? "" : " FAILED");
    ml_ad_tape_release(&s->t);
}

/* ---- first order ---- */

gc_result gc_check_first(gc_fn fn, void *ctx, int nin, gc_input *in,
                         const gc_opts *opts)
{
    gc_result res;
    gc_state s;
    if (!init_state(&s, fn, ctx, nin, in, opts, &res))
        return res;
    double **ga = alloc_arrays(&s), **gb = alloc_arrays(&s);
    if (!ga || !gb) {
        fail(&res, "gradcheck: out of memory");
        goto out;
    }
    if (!eval_grad(&s, 0, ga) || !eval_grad(&s, 1, gb))
        goto out;
    /* Recording the backward pass must not change its numbers. */
    for (int k = 0; k < nin && res.ok; k++)
        for (size_t i = 0; i < s.size[k]; i++)
            if (fabs(ga[k][i] - gb[k][i]) > 1e-6 * fmax(1.0, fabs(ga[k][i]))) {
                fail(&res, "input %d element %zu: create_graph=0 gives %.7g, "
                     "create_graph=1 gives %.7g", k, i, ga[k][i], gb[k][i]);
                break;
            }
    for (int k = 0; k < nin && res.ok; k++) {
        float *x = in[k].data;
        for (size_t i = 0; i < s.size[k] && res.ok; i++) {
            float x0 = x[i];
            float xp = (float)(x0 + s.o.eps), xm = (float)(x0 - s.o.eps);
            double lp, lm;
            x[i] = xp;
            int ok = eval_loss(&s, &lp);
            x[i] = xm;
            ok = ok && eval_loss(&s, &lm);
            x[i] = x0;
            if (!ok)
                break;
            double num = (lp - lm) / ((double)xp - (double)xm);
            compare(&s, "first order", k, i, ga[k][i], num);
        }
    }
out:
    free_arrays(&s, ga);
    free_arrays(&s, gb);
    finish(&s, "first order");
    return res;
}

/* ---- second order ---- */

/* Hv through the engine: grad of sum_k <g_k, v_k> with g from a recorded
 * first backward pass; cross-checked against the seeded form
 * grad(outs = g, seeds = v). */
static int engine_hvp(gc_state *s, float **v, double **hv)
{
    ml_ad_tape *t = &s->t;
    ml_ad_node *L = build(s, 1);
    if (!L)
        return 0;
    ml_ad_node *g[GC_MAXIN], *vn[GC_MAXIN], *hvn[GC_MAXIN], *hv2[GC_MAXIN];
    if (ml_ad_grad(t, 1, &L, NULL, s->nin, s->leaves, g, 1) != ML_OK) {
        fail(s->res, "first grad (create_graph=1) failed: %s", t->msg);
        return 0;
    }
    ml_ad_node *h = NULL;
    for (int k = 0; k < s->nin; k++) {
        vn[k] = ml_ad_const(t, s->in[k].ndim, s->in[k].shape, v[k]);
        ml_ad_node *d = ml_ad_sum(t, ml_ad_mul(t, g[k], vn[k]));
        h = h ? ml_ad_add(t, h, d) : d;
    }
    if (ml_ad_grad(t, 1, &h, NULL, s->nin, s->leaves, hvn, 0) != ML_OK) {
        fail(s->res, "second grad failed: %s", t->msg);
        return 0;
    }
    if (ml_ad_grad(t, s->nin, g, vn, s->nin, s->leaves, hv2, 0) != ML_OK) {
        fail(s->res, "seeded second grad failed: %s", t->msg);
        return 0;
    }
    for (int k = 0; k < s->nin; k++) {
        if (hvn[k]->size != s->size[k] || hv2[k]->size != s->size[k]) {
            fail(s->res, "Hv %d has the wrong size", k);
            return 0;
        }
        if (hvn[k]->id != -1) {
            fail(s->res, "create_graph=0 gave a recorded Hv (id %d)",
                 hvn[k]->id);
            return 0;
        }
        for (size_t i = 0; i < s->size[k]; i++) {
            double a = hvn[k]->val[i], b = hv2[k]->val[i];
            if (!isfinite(a) ||
                fabs(a - b) > 1e-5 * fmax(1.0, fmax(fabs(a), fabs(b)))) {
                fail(s->res, "Hv %d[%zu]: via sum(g*v) %.7g, via seeds %.7g",
                     k, i, a, b);
                return 0;
            }
            hv[k][i] = a;
        }
    }
    return 1;
}

gc_result gc_check_hvp(gc_fn fn, void *ctx, int nin, gc_input *in,
                       const gc_opts *opts)
{
    gc_result res;
    gc_state s;
    if (!init_state(&s, fn, ctx, nin, in, opts, &res))
        return res;
    double **hv = alloc_arrays(&s), **gp = alloc_arrays(&s),
           **gm = alloc_arrays(&s);
    float *v[GC_MAXIN] = {NULL}, *x0[GC_MAXIN] = {NULL};
    int have = hv && gp && gm;
    for (int k = 0; k < nin && have; k++) {
        v[k] = malloc(s.size[k] * sizeof(float));
        x0[k] = malloc(s.size[k] * sizeof(float));
        have = v[k] && x0[k];
    }
    if (!have) {
        fail(&res, "gradcheck: out of memory");
        goto out;
    }
    ml_rng r;
    ml_rng_seed(&r, s.o.seed);
    for (int k = 0; k < nin; k++) {
        for (size_t i = 0; i < s.size[k]; i++)
            v[k][i] = ml_rng_range(&r, -1.0f, 1.0f);
        memcpy(x0[k], in[k].data, s.size[k] * sizeof(float));
    }
    if (!engine_hvp(&s, v, hv))
        goto out;
    /* (g(x + eps v) - g(x - eps v)) / (2 eps), all inputs moved at once. */
    for (int k = 0; k < nin; k++)
        for (size_t i = 0; i < s.size[k]; i++)
            in[k].data[i] = (float)(x0[k][i] + s.o.eps * v[k][i]);
    int ok = eval_grad(&s, 0, gp);
    for (int k = 0; k < nin; k++)
        for (size_t i = 0; i < s.size[k]; i++)
            in[k].data[i] = (float)(x0[k][i] - s.o.eps * v[k][i]);
    ok = ok && eval_grad(&s, 0, gm);
    for (int k = 0; k < nin; k++)
        memcpy(in[k].data, x0[k], s.size[k] * sizeof(float));
    if (!ok)
        goto out;
    for (int k = 0; k < nin; k++)
        for (size_t i = 0; i < s.size[k]; i++)
            compare(&s, "Hessian-vector product", k, i, hv[k][i],
                    (gp[k][i] - gm[k][i]) / (2.0 * s.o.eps));
out:
    for (int k = 0; k < nin; k++) {
        free(v[k]);
        free(x0[k]);
    }
    free_arrays(&s, hv);
    free_arrays(&s, gp);
    free_arrays(&s, gm);
    finish(&s, "HVP");
    return res;
}
