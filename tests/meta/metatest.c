/* Helpers of the meta-learning tests: see metatest.h. */
#include "metatest.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ref_net ref_mlp(size_t n_in, size_t n_layers, const size_t *sizes, int act)
{
    ref_net net;
    memset(&net, 0, sizeof net);
    ck_assert(n_layers >= 1 && n_layers <= REF_MAX_LAYERS);
    ck_assert(n_in <= REF_MAX_WIDTH);
    net.n_in = n_in;
    net.n_layers = n_layers;
    for (size_t i = 0; i < n_layers; i++) {
        ck_assert(sizes[i] >= 1 && sizes[i] <= REF_MAX_WIDTH);
        net.sizes[i] = sizes[i];
    }
    net.act = act;
    return net;
}

size_t ref_num_params(const ref_net *net)
{
    size_t n = 0, in = net->n_in;
    for (size_t l = 0; l < net->n_layers; l++) {
        n += in * net->sizes[l] + net->sizes[l];
        in = net->sizes[l];
    }
    return n;
}

ml_model *ref_model(const ref_net *net)
{
    ml_model *m = NULL;
    ck_assert_int_eq(ml_model_create_mlp(&m, net->n_in, net->n_layers, net->sizes,
                                         (ml_layer_kind)net->act),
                     ML_OK);
    ck_assert_uint_eq(ml_model_num_params(m), ref_num_params(net));
    return m;
}

void ref_task_load(ref_task *rt, const ml_task *task)
{
    memset(rt, 0, sizeof *rt);
    rt->in = ml_task_input_size(task);
    rt->out = ml_task_output_size(task);
    rt->ways = ml_task_num_ways(task);
    for (int h = 0; h < 2; h++) {
        size_t n = ml_task_size(task, (ml_set)h);
        rt->n[h] = n;
        if (n == 0)
            continue;
        float *fx = malloc(n * rt->in * sizeof *fx);
        ck_assert_ptr_nonnull(fx);
        ck_assert_int_eq(ml_task_get_inputs(task, (ml_set)h, fx, n * rt->in), ML_OK);
        rt->x[h] = dup_double(fx, n * rt->in);
        free(fx);
        if (rt->ways) {
            rt->labels[h] = malloc(n * sizeof(int));
            ck_assert_ptr_nonnull(rt->labels[h]);
            ck_assert_int_eq(ml_task_get_labels(task, (ml_set)h, rt->labels[h], n), ML_OK);
        } else {
            float *fy = malloc(n * rt->out * sizeof *fy);
            ck_assert_ptr_nonnull(fy);
            ck_assert_int_eq(ml_task_get_targets(task, (ml_set)h, fy, n * rt->out),
                             ML_OK);
            rt->y[h] = dup_double(fy, n * rt->out);
            free(fy);
        }
    }
}

void ref_task_free(ref_task *rt)
{
    for (int h = 0; h < 2; h++) {
        free(rt->x[h]);
        free(rt->y[h]);
        free(rt->labels[h]);
    }
    memset(rt, 0, sizeof *rt);
}

static double act_f(int act, double z)
{
    switch (act) {
    case ML_LAYER_TANH: return tanh(z);
    case ML_LAYER_RELU: return z > 0 ? z : 0;
    default: return 1.0 / (1.0 + exp(-z));
    }
}

/* Derivative from the pre-activation z and the activation h. */
static double act_d(int act, double z, double h)
{
    switch (act) {
    case ML_LAYER_TANH: return 1.0 - h * h;
    case ML_LAYER_RELU: return z > 0 ? 1.0 : 0.0;
    default: return h * (1.0 - h);
    }
}

/* One example through the net: z[l] pre-activations and h[l] outputs of
 * layer l (h of the last layer = z); h_in the input. */
typedef struct trace {
    double z[REF_MAX_LAYERS][REF_MAX_WIDTH];
    double h[REF_MAX_LAYERS][REF_MAX_WIDTH];
} trace;

static void forward_one(const ref_net *net, const double *p, const double *x, trace *tr)
{
    const double *in = x;
    size_t nin = net->n_in, off = 0;
    for (size_t l = 0; l < net->n_layers; l++) {
        size_t nu = net->sizes[l];
        const double *W = p + off, *b = p + off + nin * nu;
        for (size_t j = 0; j < nu; j++) {
            double s = b[j];
            for (size_t i = 0; i < nin; i++)
                s += in[i] * W[i * nu + j];
            tr->z[l][j] = s;
            tr->h[l][j] = l + 1 < net->n_layers ? act_f(net->act, s) : s;
        }
        off += nin * nu + nu;
        in = tr->h[l];
        nin = nu;
    }
}

/* Adds the gradient of <dout, output> at example x into grad. */
static void backward_one(const ref_net *net, const double *p, const double *x,
                         const trace *tr, const double *dout, double *grad)
{
    size_t offs[REF_MAX_LAYERS], nin_of[REF_MAX_LAYERS];
    size_t off = 0, nin = net->n_in;
    for (size_t l = 0; l < net->n_layers; l++) {
        offs[l] = off;
        nin_of[l] = nin;
        off += nin * net->sizes[l] + net->sizes[l];
        nin = net->sizes[l];
    }
    double dh[REF_MAX_WIDTH], dz[REF_MAX_WIDTH];
    size_t L = net->n_layers - 1;
    memcpy(dh, dout, net->sizes[L] * sizeof(double));
    for (size_t l = L + 1; l-- > 0;) {
        size_t nu = net->sizes[l], ni = nin_of[l];
        for (size_t j = 0; j < nu; j++)
            dz[j] = l == L ? dh[j] : dh[j] * act_d(net->act, tr->z[l][j], tr->h[l][j]);
        const double *in = l == 0 ? x : tr->h[l - 1];
        const double *W = p + offs[l];
        double *gW = grad + offs[l], *gb = grad + offs[l] + ni * nu;
        for (size_t j = 0; j < nu; j++)
            gb[j] += dz[j];
        for (size_t i = 0; i < ni; i++) {
            double s = 0.0;
            for (size_t j = 0; j < nu; j++) {
                gW[i * nu + j] += in[i] * dz[j];
                s += W[i * nu + j] * dz[j];
            }
            dh[i] = s;
        }
    }
}

void ref_forward(const ref_net *net, const double *params, size_t n, const double *x,
                 double *out)
{
    trace *tr = malloc(sizeof *tr);
    ck_assert_ptr_nonnull(tr);
    size_t no = net->sizes[net->n_layers - 1];
    for (size_t e = 0; e < n; e++) {
        forward_one(net, params, x + e * net->n_in, tr);
        memcpy(out + e * no, tr->h[net->n_layers - 1], no * sizeof(double));
    }
    free(tr);
}

/* Loss of one half, its gradient scaled by `w` added into grad. */
static double half_loss(const ref_net *net, const double *p, const ref_task *t, int h,
                        double w, double *grad)
{
    size_t n = t->n[h], no = net->sizes[net->n_layers - 1];
    ck_assert_uint_eq(no, t->out);
    ck_assert_uint_eq(net->n_in, t->in);
    trace *tr = malloc(sizeof *tr);
    ck_assert_ptr_nonnull(tr);
    double total = 0.0, d[REF_MAX_WIDTH];
    for (size_t e = 0; e < n; e++) {
        const double *x = t->x[h] + e * t->in;
        forward_one(net, p, x, tr);
        const double *o = tr->h[net->n_layers - 1];
        if (t->ways) {
            /* -log softmax(o)[label], max-shifted */
            double mx = o[0], s = 0.0;
            for (size_t j = 1; j < no; j++)
                mx = o[j] > mx ? o[j] : mx;
            for (size_t j = 0; j < no; j++)
                s += exp(o[j] - mx);
            int lab = t->labels[h][e];
            total += log(s) + mx - o[lab];
            for (size_t j = 0; j < no; j++)
                d[j] = w * (exp(o[j] - mx) / s - (j == (size_t)lab)) / (double)n;
        } else {
            const double *y = t->y[h] + e * no;
            for (size_t j = 0; j < no; j++) {
                double r = o[j] - y[j];
                total += r * r;
                d[j] = w * 2.0 * r / (double)(n * no);
            }
        }
        if (grad)
            backward_one(net, p, x, tr, d, grad);
    }
    free(tr);
    return t->ways ? total / (double)n : total / (double)(n * no);
}

double ref_loss(const ref_net *net, const double *params, const ref_task *t, int set,
                double *grad)
{
    if (grad)
        memset(grad, 0, ref_num_params(net) * sizeof(double));
    if (set < 2) {
        ck_assert_uint_gt(t->n[set], 0);
        return half_loss(net, params, t, set, 1.0, grad);
    }
    double ns = (double)t->n[0], nq = (double)t->n[1];
    double ws = ns / (ns + nq), wq = nq / (ns + nq);
    double L = ws * half_loss(net, params, t, 0, ws, grad);
    if (t->n[1])
        L += wq * half_loss(net, params, t, 1, wq, grad);
    return L;
}

void ref_adapt(const ref_net *net, const double *theta, const double *alpha, double lr,
               int steps, const ref_task *t, double *phi)
{
    size_t n = ref_num_params(net);
    double *g = malloc(n * sizeof *g);
    ck_assert_ptr_nonnull(g);
    memcpy(phi, theta, n * sizeof(double));
    for (int s = 0; s < steps; s++) {
        ref_loss(net, phi, t, 0, g);
        for (size_t i = 0; i < n; i++)
            phi[i] -= (alpha ? alpha[i] : lr) * g[i];
    }
    free(g);
}

double ref_maml_objective(const ref_net *net, const double *theta, const double *alpha,
                          double lr, int steps, const ref_task *t)
{
    size_t n = ref_num_params(net);
    double *phi = malloc(n * sizeof *phi);
    ck_assert_ptr_nonnull(phi);
    ref_adapt(net, theta, alpha, lr, steps, t, phi);
    double L = ref_loss(net, phi, t, 1, NULL);
    free(phi);
    return L;
}

void ref_maml_fd(const ref_net *net, const double *theta, const double *alpha,
                 double lr, int steps, const ref_task *t, double h, double *g_theta,
                 double *g_alpha)
{
    size_t n = ref_num_params(net);
    double *th = malloc(n * sizeof *th), *al = NULL;
    ck_assert_ptr_nonnull(th);
    memcpy(th, theta, n * sizeof(double));
    if (alpha) {
        al = malloc(n * sizeof *al);
        ck_assert_ptr_nonnull(al);
        memcpy(al, alpha, n * sizeof(double));
    }
    for (size_t i = 0; i < n; i++) {
        double keep = th[i];
        th[i] = keep + h;
        double fp = ref_maml_objective(net, th, al, lr, steps, t);
        th[i] = keep - h;
        double fm = ref_maml_objective(net, th, al, lr, steps, t);
        th[i] = keep;
        g_theta[i] = (fp - fm) / (2.0 * h);
    }
    for (size_t i = 0; al && g_alpha && i < n; i++) {
        double keep = al[i];
        al[i] = keep + h;
        double fp = ref_maml_objective(net, th, al, lr, steps, t);
        al[i] = keep - h;
        double fm = ref_maml_objective(net, th, al, lr, steps, t);
        al[i] = keep;
        g_alpha[i] = (fp - fm) / (2.0 * h);
    }
    free(th);
    free(al);
}

void to_double(const float *in, double *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (double)in[i];
}

double *dup_double(const float *in, size_t n)
{
    double *d = malloc((n ? n : 1) * sizeof *d);
    ck_assert_ptr_nonnull(d);
    to_double(in, d, n);
    return d;
}

float *learner_params(const ml_learner *l)
{
    size_t n = ml_learner_num_meta_params(l);
    float *p = malloc(n * sizeof *p);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(ml_learner_get_meta_params(l, p, n), ML_OK);
    return p;
}

void check_close(const char *what, const float *got, const double *want, size_t n,
                 double abs_tol, double rel_tol)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double g = (double)got[i], w = want[i];
        double tol = abs_tol + rel_tol * fabs(w);
        worst = fmax(worst, fabs(g - w) / tol);
        ck_assert_msg(isfinite(g) && fabs(g - w) <= tol,
                      "%s[%zu]: got %.9g, want %.9g (diff %.3g > tol %.3g)", what, i, g,
                      w, fabs(g - w), tol);
    }
    /* METATEST_VERBOSE=1 shows how much of each tolerance was used. */
    if (getenv("METATEST_VERBOSE"))
        fprintf(stderr, "check_close %s: %zu values, worst error %.3g of the tolerance\n",
                what, n, worst);
}

double max_abs_diff(const double *a, const double *b, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

double max_abs(const double *a, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i]));
    return m;
}

ml_task *make_reg_task(size_t in, size_t out, size_t ns, const float *xs,
                       const float *ys, size_t nq, const float *xq, const float *yq)
{
    ml_task *t = NULL;
    ck_assert_int_eq(ml_task_create_regression(&t, in, out, ns, xs, ys, nq, xq, yq),
                     ML_OK);
    ck_assert_ptr_nonnull(t);
    return t;
}

static char primed[512];
static char primed_learner[512];

void prime_error(void)
{
    /* A message no test provokes otherwise ("... 1003 input dimensions"). */
    ml_model *m = NULL;
    const size_t shape[1] = {1};
    ck_assert_int_eq(ml_model_create(&m, 1003, shape), ML_ERR_INVALID_ARG);
    ck_assert_ptr_null(m);
    snprintf(primed, sizeof primed, "%s", ml_last_error());
    ck_assert(primed[0] != '\0');
}

int fresh_error(void)
{
    const char *m = ml_last_error();
    return m && m[0] != '\0' && strcmp(m, primed) != 0;
}

void prime_learner_error(ml_learner *l)
{
    ck_assert_int_eq(ml_learner_set(l, (ml_learner_param)9999, 0.0), ML_ERR_INVALID_ARG);
    snprintf(primed_learner, sizeof primed_learner, "%s", ml_learner_last_error(l));
    ck_assert(primed_learner[0] != '\0');
    prime_error();
}

int fresh_learner_error(const ml_learner *l)
{
    const char *m = ml_learner_last_error(l);
    return m && m[0] != '\0' && strcmp(m, primed_learner) != 0;
}

double ref_min_abs_preact(const ref_net *net, const double *params, const ref_task *t)
{
    trace *tr = malloc(sizeof *tr);
    ck_assert_ptr_nonnull(tr);
    double m = INFINITY;
    for (int h = 0; h < 2; h++)
        for (size_t e = 0; e < t->n[h]; e++) {
            forward_one(net, params, t->x[h] + e * t->in, tr);
            for (size_t l = 0; l + 1 < net->n_layers; l++)
                for (size_t j = 0; j < net->sizes[l]; j++)
                    m = fmin(m, fabs(tr->z[l][j]));
        }
    free(tr);
    return m;
}

void sine_tasks_make(ml_task **tasks, int n, uint64_t seed, int shots, int queries)
{
    ml_sampler *s;
    ck_assert_int_eq(ml_sampler_create_sine(&s, seed), ML_OK);
    ck_assert_int_eq(ml_sampler_set(s, ML_SAMPLER_SHOTS, shots), ML_OK);
    ck_assert_int_eq(ml_sampler_set(s, ML_SAMPLER_QUERIES, queries), ML_OK);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(ml_sampler_sample(s, &tasks[i]), ML_OK);
    ml_sampler_free(s);
}

void sine_tasks_free(ml_task **tasks, int n)
{
    for (int i = 0; i < n; i++) {
        ml_task_free(tasks[i]);
        tasks[i] = NULL;
    }
}

double ref_lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / (double)(1ULL << 52) - 1.0;
}

static float *random_inputs(uint64_t *rng, double scale, size_t n)
{
    float *x = malloc((n ? n : 1) * sizeof *x);
    ck_assert_ptr_nonnull(x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(scale * ref_lcg(rng));
    return x;
}

cls_setup cls_setup_make(ml_learner *l, uint64_t *rng, double scale, size_t in, size_t ways,
                         size_t ns, const int *ls, size_t nq, const int *lq)
{
    cls_setup s;
    s.l = l;
    s.n = ml_learner_num_meta_params(l);
    float *p = learner_params(l);
    s.theta = dup_double(p, s.n);
    free(p);
    s.fxs = random_inputs(rng, scale, ns * in);
    s.fxq = random_inputs(rng, scale, nq * in);
    s.xs = dup_double(s.fxs, ns * in);
    s.xq = dup_double(s.fxq, nq * in);
    s.task = NULL;
    ck_assert_int_eq(ml_task_create_classification(&s.task, in, ways, ns, s.fxs, ls, nq, s.fxq,
                                                   lq), ML_OK);
    return s;
}

void cls_setup_free(cls_setup *s)
{
    ml_task_free(s->task);
    ml_learner_free(s->l);
    free(s->theta);
    free(s->xs);
    free(s->xq);
    free(s->fxs);
    free(s->fxq);
}

void ref_central_diff(double (*f)(const void *ctx, const double *theta), const void *ctx,
                      const double *theta, size_t n, double h, double *out)
{
    double *th = malloc((n ? n : 1) * sizeof *th);
    ck_assert_ptr_nonnull(th);
    memcpy(th, theta, n * sizeof *th);
    for (size_t i = 0; i < n; i++) {
        th[i] = theta[i] + h;
        double up = f(ctx, th);
        th[i] = theta[i] - h;
        double down = f(ctx, th);
        th[i] = theta[i];
        out[i] = (up - down) / (2 * h);
    }
    free(th);
}

ml_learner *check_round_trip(ml_learner *l, ml_task *task)
{
    size_t size = 0;
    ck_assert_int_eq(ml_learner_save_buffer(l, NULL, 0, &size), ML_OK);
    unsigned char *buf = malloc(size);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(ml_learner_save_buffer(l, buf, size, &size), ML_OK);
    ml_learner *back = NULL;
    ck_assert_int_eq(ml_learner_load_buffer(&back, buf, size), ML_OK);
    free(buf);
    ck_assert_int_eq(ml_learner_strategy(back), ml_learner_strategy(l));
    size_t n = ml_learner_num_meta_params(l);
    ck_assert_uint_eq(ml_learner_num_meta_params(back), n);
    float *a = learner_params(l), *b = learner_params(back);
    ck_assert_mem_eq(a, b, n * sizeof *a);
    free(a);
    free(b);
    double la, lb;
    ck_assert_int_eq(ml_learner_evaluate(l, 1, &task, -1, &la, NULL, NULL), ML_OK);
    ck_assert_int_eq(ml_learner_evaluate(back, 1, &task, -1, &lb, NULL, NULL), ML_OK);
    ck_assert_double_eq(la, lb);
    return back;
}

void check_gradient_fd(const float *grad, const double *fd, size_t n)
{
    double m = max_abs(fd, n);
    ck_assert_double_gt(m, 1e-3);
    check_close("meta-gradient", grad, fd, n, 5e-6 * m, 1e-4);
}

size_t ref_argmax(const double *v, size_t n)
{
    size_t best = 0;
    for (size_t k = 1; k < n; k++)
        if (v[k] > v[best])
            best = k;
    return best;
}
