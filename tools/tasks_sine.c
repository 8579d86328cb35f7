/* --task sine: y = A sin(x - phase) regression (the MAML paper's first
 * benchmark) with the 1-40-40-1 ReLU network the papers use. */
#include "tasks.h"

#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const ml_sampler_param range_keys[6] = {
    ML_SAMPLER_AMP_MIN,   ML_SAMPLER_AMP_MAX, ML_SAMPLER_PHASE_MIN,
    ML_SAMPLER_PHASE_MAX, ML_SAMPLER_X_MIN,   ML_SAMPLER_X_MAX,
};
static const char *const range_names[3] = {"amp", "phase", "x"};

/* Ranges the user left alone come from the library, so the tool can
 * never disagree with the sampler about the paper's distribution. */
static int sine_resolve(task_spec *ts, const char *cmd)
{
    task_opts *o = &ts->opts;
    int rc = task_refuse_image_options(ts, cmd);
    if (rc != EXIT_OK)
        return rc;
    ml_sampler *s;
    if (ml_sampler_create_sine(&s, 0) != ML_OK)
        return cli_lib_error(NULL);
    for (int i = 0; i < 6; i++)
        if (!o->range_given[i] && ml_sampler_get(s, range_keys[i], &o->range[i]) != ML_OK) {
            ml_sampler_free(s);
            return cli_lib_error(NULL);
        }
    ml_sampler_free(s);
    for (int p = 0; p < 6; p += 2)
        if (o->range[p] > o->range[p + 1])
            return cli_usage_error("%s: --%s-min %g is above --%s-max %g", cmd,
                                   range_names[p / 2], o->range[p], range_names[p / 2],
                                   o->range[p + 1]);
    return EXIT_OK;
}

static ml_status sine_model(const task_spec *ts, int strategy, ml_model **out)
{
    (void)ts;
    (void)strategy;
    const size_t sizes[3] = {40, 40, 1};
    return ml_model_create_mlp(out, 1, 3, sizes, ML_LAYER_RELU);
}

static ml_status sine_sampler(const task_spec *ts, uint64_t seed, ml_sampler **out)
{
    const task_opts *o = &ts->opts;
    ml_sampler *s;
    ml_status st = ml_sampler_create_sine(&s, seed);
    if (st != ML_OK)
        return st;
    st = ml_sampler_set(s, ML_SAMPLER_SHOTS, (double)o->shots);
    if (st == ML_OK)
        st = ml_sampler_set(s, ML_SAMPLER_QUERIES, (double)o->queries);
    for (int p = 0; p < 6 && st == ML_OK; p += 2) {
        /* The sampler refuses a minimum above its current maximum, so a
         * range moved wholly upwards must have its maximum set first. */
        double cur_max;
        st = ml_sampler_get(s, range_keys[p + 1], &cur_max);
        int max_first = st == ML_OK && o->range[p] > cur_max;
        for (int j = 0; j < 2 && st == ML_OK; j++) {
            int k = p + (max_first ? 1 - j : j);
            st = ml_sampler_set(s, range_keys[k], o->range[k]);
        }
    }
    if (st != ML_OK) {
        ml_sampler_free(s);
        return st;
    }
    *out = s;
    return ML_OK;
}

static int sine_plot_task(const task_spec *ts, uint64_t *rng, size_t n_grid,
                                plot_task *pt)
{
    const double *r = ts->opts.range;
    size_t k = ts->opts.shots;
    double amp = task_rng_uniform(rng, r[0], r[1]);
    double phase = task_rng_uniform(rng, r[2], r[3]);
    pt->k = k;
    pt->n_grid = n_grid;
    pt->sx = malloc(k * sizeof(float));
    pt->sy = malloc(k * sizeof(float));
    pt->gx = malloc(n_grid * sizeof(float));
    pt->gy = malloc(n_grid * sizeof(float));
    if (!pt->sx || !pt->sy || !pt->gx || !pt->gy) {
        plot_task_free(pt);
        return cli_fail("out of memory");
    }
    for (size_t i = 0; i < k; i++) {
        double x = task_rng_uniform(rng, r[4], r[5]);
        pt->sx[i] = (float)x;
        pt->sy[i] = (float)(amp * sin(x - phase));
    }
    for (size_t i = 0; i < n_grid; i++) {
        double x = r[4] + (r[5] - r[4]) * (double)i / (double)(n_grid > 1 ? n_grid - 1 : 1);
        pt->gx[i] = (float)x;
        pt->gy[i] = (float)(amp * sin(x - phase));
    }
    snprintf(pt->title, sizeof pt->title, "A = %.2f, phase = %.2f, K = %zu", amp, phase, k);
    if (ml_task_create_regression(&pt->task, 1, 1, k, pt->sx, pt->sy, n_grid, pt->gx,
                                  pt->gy) != ML_OK) {
        plot_task_free(pt);
        return cli_lib_error(NULL);
    }
    return EXIT_OK;
}

const task_kind task_kind_sine = {
    .name = "sine",
    .arg_name = NULL,
    .summary = "y = A sin(x - phase) regression, 1-40-40-1 ReLU network",
    .classification = 0,
    .resolve = sine_resolve,
    .make_model = sine_model,
    .make_sampler = sine_sampler,
    .make_plot_task = sine_plot_task,
};
