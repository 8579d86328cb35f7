/* Meta-training the LSTM optimiser by truncated back-propagation through
 * time (Andrychowicz et al. 2016).
 *
 * P problems of one family run side by side: their parameter vectors are
 * stacked into one column theta [P d, 1], so the network sees P d rows.
 * One meta-step unrolls U steps from the trajectory's current point:
 *
 *   theta_{s+1} = theta_s + m(grad f(theta_s), state_s; phi)
 *   L(phi) = 1/P sum_{s=1..U} w_s sum_p f_p(theta_{s,p})
 *
 * and updates phi with Adam on dL/dphi.  As in the paper, grad f(theta_s)
 * is an input that does not depend on phi (the objective's second
 * derivatives are dropped).  Then dL/dphi needs only f's gradient:
 * dL/dphi = 1/P sum_s w_s g_s^T dtheta_s/dphi with g_s = grad f(theta_s),
 * which is the gradient of the surrogate 1/P sum_s w_s <stop(g_s), theta_s>
 * built on the tape, so a caller's objective needs no graph.  The exact
 * variant builds f on the tape instead and differentiates through its
 * gradient (create_graph).  Between meta-steps the trajectory's parameters
 * and hidden state are kept as plain values: the truncation. */
#include "optim/lstm.h"

#include "core/alloc.h"
#include "optim/problems.h"

#include <math.h>
#include <string.h>

/* w_s for the s-th step of the trajectory (1..T). */
static float step_weight(const ml_lstm *l, int s)
{
    if (l->loss_power == 0)
        return 1.0f;
    return (float)pow((double)s / l->horizon, l->loss_power);
}

static ml_status start_trajectory(ml_lstm *l, const ml_problems *fam, char *msg)
{
    ml_lstm_clear_traj(l);
    ml_lstm_traj *tr = &l->traj;
    const size_t count = (size_t)l->problems, d = fam->dim, h = (size_t)l->shape.hidden;
    if (d > (size_t)INT32_MAX / count / (4 * h))
        return ml_error(msg, ML_ERR_INVALID_ARG,
                        "ml_optimizer_meta_step: %zu problems of %zu parameters is too many "
                        "coordinates", count, d);
    const size_t n = count * d;
    uint64_t *seeds = tr->seeds = ml_malloc(count * sizeof *seeds);
    tr->inst = ml_calloc(count, sizeof *tr->inst);
    tr->theta = ml_malloc(n * sizeof(float));
    tr->state = ml_calloc(4 * n * h, sizeof(float));
    tr->grad = ml_malloc(n * sizeof(float));
    tr->value = ml_malloc(count * sizeof(double));
    if (!seeds || !tr->inst || !tr->theta || !tr->state || !tr->grad || !tr->value) {
        ml_lstm_clear_traj(l);
        return ml_error(msg, ML_ERR_NOMEM, "ml_optimizer_meta_step: out of memory");
    }
    for (size_t i = 0; i < count; i++)
        seeds[i] = ml_rng_next(&l->rng);
    ml_status st = ml_problems_sample_all(fam, count, seeds, tr->theta, tr->inst, msg);
    if (st != ML_OK) {
        ml_free(tr->inst);
        tr->inst = NULL;
        ml_lstm_clear_traj(l);
        return st;
    }
    tr->fam = ml_problems_ref(fam);
    tr->count = count;
    tr->dim = d;
    return ML_OK;
}

/* Values and gradients of every problem at theta; *mean the mean value. */
static ml_status eval_all(ml_lstm_traj *tr, const float *theta, float *grad, double *value,
                          double *mean, char *msg)
{
    const ml_problems *fam = tr->fam;
    double sum = 0;
    for (size_t i = 0; i < tr->count; i++) {
        const size_t o = i * tr->dim;
        ml_status st = fam->ops->eval(fam, tr->inst[i], theta + o, grad + o, &value[i], msg);
        if (st != ML_OK)
            return st;
        for (size_t j = 0; j < tr->dim; j++)
            if (!isfinite(grad[o + j]))
                return ml_error(msg, ML_ERR_NUMERIC,
                                "ml_optimizer_meta_step: a gradient is not finite");
        if (!isfinite(value[i]))
            return ml_error(msg, ML_ERR_NUMERIC,
                            "ml_optimizer_meta_step: an objective is not finite");
        sum += value[i];
    }
    *mean = sum / (double)tr->count;
    return ML_OK;
}

/* The objective summed over the problems, on the tape (exact variant). */
static ml_ad_node *objective_graph(ml_lstm_traj *tr, ml_ad_tape *t, ml_ad_node *theta)
{
    const ml_problems *fam = tr->fam;
    ml_ad_node *sum = NULL;
    for (size_t i = 0; i < tr->count; i++) {
        ml_ad_node *th = ml_ad_slice(t, theta, 0, (int)(i * tr->dim), (int)tr->dim);
        ml_ad_node *f = fam->ops->eval_graph(fam, tr->inst[i], t, th);
        sum = sum ? ml_ad_add(t, sum, f) : f;
    }
    return sum;
}

/* Unrolls `steps` steps from the trajectory; the meta-loss (surrogate) into
 * *loss, the final parameters into *theta, the state into s. */
static ml_status unroll_dropped(ml_lstm *l, ml_ad_node *const w[6], int steps,
                                ml_ad_node **theta, ml_ad_node *s[4], ml_ad_node **loss,
                                double *report, char *msg)
{
    ml_lstm_traj *tr = &l->traj;
    ml_ad_tape *t = &l->tape;
    const size_t n = tr->count * tr->dim;
    int col[2] = {(int)n, 1};
    ml_ad_node *th = *theta, *total = NULL;
    const float *g = tr->grad;
    double sum = 0;
    for (int u = 0; u < steps; u++) {
        ml_ad_node *upd = ml_lstm_forward(t, l->shape, w, (float)l->scale,
                                          ml_lstm_inputs(t, l->shape, g, n), s);
        th = ml_ad_add(t, th, upd);
        ml_ad_node *gn = ml_ad_zeros(t, 2, col);
        if (ml_ad_tape_status(t) != ML_OK)
            return ml_error(msg, ml_ad_tape_status(t), "ml_optimizer_meta_step: %s", t->msg);
        double mean;
        ml_status st = eval_all(tr, th->val, gn->val, tr->value, &mean, msg);
        if (st != ML_OK)
            return st;
        sum += mean;
        const float wt = step_weight(l, tr->t + u + 1) / (float)tr->count;
        ml_ad_node *term = ml_ad_scale(t, ml_ad_sum(t, ml_ad_mul(t, gn, th)), wt);
        total = total ? ml_ad_add(t, total, term) : term;
        g = gn->val;
    }
    memcpy(tr->grad, g, n * sizeof(float));
    tr->have_grad = 1;
    *theta = th;
    *loss = total;
    *report = sum / steps;
    return ML_OK;
}

static ml_status unroll_exact(ml_lstm *l, ml_ad_node *const w[6], int steps,
                              ml_ad_node **theta, ml_ad_node *s[4], ml_ad_node **loss,
                              double *report, char *msg)
{
    ml_lstm_traj *tr = &l->traj;
    ml_ad_tape *t = &l->tape;
    ml_ad_node *th = *theta, *total = NULL;
    double sum = 0;
    ml_ad_node *f = objective_graph(tr, t, th);
    for (int u = 0; u < steps; u++) {
        ml_ad_node *g = NULL;
        if (ml_ad_grad(t, 1, &f, NULL, 1, &th, &g, 1) != ML_OK)
            break;
        ml_ad_node *upd = ml_lstm_forward(t, l->shape, w, (float)l->scale,
                                          ml_lstm_inputs_graph(t, l->shape, g), s);
        th = ml_ad_add(t, th, upd);
        f = objective_graph(tr, t, th);
        if (ml_ad_tape_status(t) != ML_OK)
            break;
        const double mean = f->val[0] / (double)tr->count;
        if (!isfinite(mean))
            return ml_error(msg, ML_ERR_NUMERIC,
                            "ml_optimizer_meta_step: an objective is not finite");
        sum += mean;
        const float wt = step_weight(l, tr->t + u + 1) / (float)tr->count;
        ml_ad_node *term = ml_ad_scale(t, f, wt);
        total = total ? ml_ad_add(t, total, term) : term;
    }
    if (ml_ad_tape_status(t) != ML_OK)
        return ml_error(msg, ml_ad_tape_status(t), "ml_optimizer_meta_step: %s", t->msg);
    tr->have_grad = 0;
    *theta = th;
    *loss = total;
    *report = sum / steps;
    return ML_OK;
}

/* The flat meta-gradient from the weight tensors' gradient nodes, if it
 * is finite. */
static ml_status gather_gradient(ml_lstm *l, ml_ad_node *const gw[6], float *grad,
                                 char *msg)
{
    size_t o = 0;
    for (int k = 0; k < 6; k++) {
        memcpy(grad + o, gw[k]->val, gw[k]->size * sizeof(float));
        o += gw[k]->size;
    }
    for (size_t i = 0; i < l->n_w; i++)
        if (!isfinite(grad[i]))
            return ml_error(msg, ML_ERR_NUMERIC,
                            "ml_optimizer_meta_step: the meta-gradient is not finite");
    return ML_OK;
}

ml_status ml_lstm_meta_gradient(ml_lstm *l, const ml_problems *fam, float *grad,
                                double *out_loss, char *msg)
{
    if (l->exact && !fam->ops->eval_graph)
        return ml_error(msg, ML_ERR_UNSUPPORTED,
                        "ml_optimizer_meta_step: the %s family has no exact variant",
                        fam->ops->name);
    ml_lstm_traj *tr = &l->traj;
    ml_status st = ML_OK;
    if (tr->fam != fam || tr->dim != fam->dim || tr->t >= l->horizon)
        st = start_trajectory(l, fam, msg);
    if (st != ML_OK)
        return st;
    const size_t n = tr->count * tr->dim, h = (size_t)l->shape.hidden;
    double mean0;
    if (!l->exact && !tr->have_grad)
        st = eval_all(tr, tr->theta, tr->grad, tr->value, &mean0, msg);
    if (st != ML_OK) {
        ml_lstm_clear_traj(l);
        return st;
    }

    ml_ad_tape *t = &l->tape;
    ml_ad_tape_reset(t);
    ml_ad_node *w[6], *s[4], *loss = NULL, *gw[6];
    ml_lstm_weight_leaves(t, l->shape, l->w, 1, w);
    int col[2] = {(int)n, 1}, hs[2] = {(int)h, (int)n};
    ml_ad_node *th = ml_ad_leaf(t, 2, col, tr->theta, l->exact);
    for (int k = 0; k < 4; k++)
        s[k] = ml_ad_leaf(t, 2, hs, tr->state + (size_t)k * n * h, 0);
    int steps = l->unroll < l->horizon - tr->t ? l->unroll : l->horizon - tr->t;
    double report = 0;
    st = l->exact ? unroll_exact(l, w, steps, &th, s, &loss, &report, msg)
                  : unroll_dropped(l, w, steps, &th, s, &loss, &report, msg);
    if (st == ML_OK && ml_ad_grad(t, 1, &loss, NULL, 6, w, gw, 0) != ML_OK)
        st = ml_error(msg, ml_ad_tape_status(t), "ml_optimizer_meta_step: %s", t->msg);
    if (st == ML_OK)
        st = gather_gradient(l, gw, grad, msg);
    if (st != ML_OK) {
        ml_lstm_clear_traj(l);
        return st;
    }
    /* The truncation: the trajectory goes on from plain values. */
    memcpy(tr->theta, th->val, n * sizeof(float));
    for (int k = 0; k < 4; k++)
        memcpy(tr->state + (size_t)k * n * h, s[k]->val, n * h * sizeof(float));
    tr->t += steps;
    if (out_loss)
        *out_loss = report;
    return ML_OK;
}

ml_status ml_lstm_meta_step(ml_lstm *l, const ml_problems *fam, double *out_loss,
                            char *msg)
{
    ml_status st = ml_lstm_meta_gradient(l, fam, l->meta_grad, out_loss, msg);
    if (st == ML_OK)
        st = ml_opt_step(&l->adam, l->n_w, l->w, l->meta_grad);
    if (st == ML_OK)
        l->meta_steps++;
    return st;
}
