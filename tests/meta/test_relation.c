/* The relation network on feature maps (ml_model_create_conv4_maps) against
 * an independent double-precision computation written here from the
 * definitions of Sung et al. (2018), sharing no code with the library:
 *
 * - the embedding f: blocks of [3x3 convolution (cross-correlation, padding
 *   1), batch normalisation with the batch's biased statistics (eps 1e-5),
 *   ReLU], a 2x2 max-pool after the first `pooled` blocks; support and query
 *   images form one batch;
 * - class k's representation: the sum of its support embeddings (maps);
 * - the relation module g on the channel concatenation [f(x_i), S_k]: two
 *   blocks [3x3 conv with C filters, batch norm, ReLU, 2x2 max-pool when
 *   the map is at least 2x2] over the batch of all pairs, dense 8, ReLU,
 *   dense 1, sigmoid;
 * - loss: the mean over pairs of (r_ik - [y_i = k])^2.
 *
 * Checked: the loss and the scores of the library at the same parameters
 * (this fixes the layout: a wrong concatenation, a mean instead of a sum,
 * or pairs in another order change them), the meta-gradient against central
 * finite differences of the reference, and the shapes, errors and save/load
 * of the feature-map backbone.
 *
 * Parameters are the library's flat layout: per layer in order, conv
 * W [F, C, 3, 3] then b [F]; batch norm gamma [C] then beta [C]; dense
 * W [in, units] then b [units]; the embedding's tensors, then the module's. */
#include "metatest.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { K_CONV = 1, K_BN, K_RELU, K_POOL, K_DENSE };

typedef struct rlayer {
    int kind;
    size_t units;                    /* conv filters or dense units */
} rlayer;

typedef struct rnet {
    size_t n;
    rlayer l[16];
} rnet;

/* A batch of n examples of shape (c, h, w) (h = w = 1 once dense). */
typedef struct rbatch {
    size_t n, c, h, w;
    double *v;
} rbatch;

static rbatch rb_new(size_t n, size_t c, size_t h, size_t w)
{
    rbatch b = {n, c, h, w, calloc(n * c * h * w, sizeof(double))};
    ck_assert_ptr_nonnull(b.v);
    return b;
}

static double *at(rbatch *b, size_t i, size_t c, size_t y, size_t x)
{
    return &b->v[((i * b->c + c) * b->h + y) * b->w + x];
}

static rbatch conv3(rbatch *in, size_t f, const double **p)
{
    const double *W = *p, *bias = W + f * in->c * 9;
    *p = bias + f;
    rbatch o = rb_new(in->n, f, in->h, in->w);
    for (size_t i = 0; i < in->n; i++)
        for (size_t k = 0; k < f; k++)
            for (size_t y = 0; y < in->h; y++)
                for (size_t x = 0; x < in->w; x++) {
                    double s = bias[k];
                    for (size_t c = 0; c < in->c; c++)
                        for (int dy = 0; dy < 3; dy++)
                            for (int dx = 0; dx < 3; dx++) {
                                long yy = (long)y + dy - 1, xx = (long)x + dx - 1;
                                if (yy < 0 || xx < 0 || yy >= (long)in->h || xx >= (long)in->w)
                                    continue;
                                s += W[((k * in->c + c) * 3 + (size_t)dy) * 3 + (size_t)dx] *
                                     *at(in, i, c, (size_t)yy, (size_t)xx);
                            }
                    *at(&o, i, k, y, x) = s;
                }
    return o;
}

static void batchnorm(rbatch *b, const double **p)
{
    const double *gamma = *p, *beta = gamma + b->c;
    *p = beta + b->c;
    double m = (double)(b->n * b->h * b->w);
    for (size_t c = 0; c < b->c; c++) {
        double mu = 0, var = 0;
        for (size_t i = 0; i < b->n; i++)
            for (size_t y = 0; y < b->h; y++)
                for (size_t x = 0; x < b->w; x++)
                    mu += *at(b, i, c, y, x);
        mu /= m;
        for (size_t i = 0; i < b->n; i++)
            for (size_t y = 0; y < b->h; y++)
                for (size_t x = 0; x < b->w; x++)
                    var += pow(*at(b, i, c, y, x) - mu, 2);
        var /= m;
        for (size_t i = 0; i < b->n; i++)
            for (size_t y = 0; y < b->h; y++)
                for (size_t x = 0; x < b->w; x++) {
                    double *v = at(b, i, c, y, x);
                    *v = (*v - mu) / sqrt(var + 1e-5) * gamma[c] + beta[c];
                }
    }
}

static rbatch maxpool2(rbatch *in)
{
    rbatch o = rb_new(in->n, in->c, in->h / 2, in->w / 2);
    for (size_t i = 0; i < in->n; i++)
        for (size_t c = 0; c < in->c; c++)
            for (size_t y = 0; y < o.h; y++)
                for (size_t x = 0; x < o.w; x++) {
                    double m = -INFINITY;
                    for (size_t d = 0; d < 4; d++)
                        m = fmax(m, *at(in, i, c, 2 * y + d / 2, 2 * x + d % 2));
                    *at(&o, i, c, y, x) = m;
                }
    return o;
}

static rbatch dense(rbatch *in, size_t units, const double **p)
{
    size_t nin = in->c * in->h * in->w;
    const double *W = *p, *bias = W + nin * units;
    *p = bias + units;
    rbatch o = rb_new(in->n, units, 1, 1);
    for (size_t i = 0; i < in->n; i++)
        for (size_t u = 0; u < units; u++) {
            double s = bias[u];
            for (size_t j = 0; j < nin; j++)
                s += in->v[i * nin + j] * W[j * units + u];
            o.v[i * units + u] = s;
        }
    return o;
}

/* Runs `net` on b in place (b is replaced); *p advances over its parameters. */
static void run(const rnet *net, rbatch *b, const double **p)
{
    for (size_t k = 0; k < net->n; k++) {
        rbatch o = {0, 0, 0, 0, NULL};
        switch (net->l[k].kind) {
        case K_CONV: o = conv3(b, net->l[k].units, p); break;
        case K_BN: batchnorm(b, p); break;
        case K_RELU:
            for (size_t j = 0; j < b->n * b->c * b->h * b->w; j++)
                b->v[j] = fmax(b->v[j], 0.0);
            break;
        case K_POOL: o = maxpool2(b); break;
        case K_DENSE: o = dense(b, net->l[k].units, p); break;
        default: ck_abort_msg("reference: layer kind %d", net->l[k].kind);
        }
        if (o.v) {
            free(b->v);
            *b = o;
        }
    }
}

/* The embedding of conv4_maps(c, s, s, filters, blocks, pooled). */
static rnet embedding_net(size_t filters, size_t blocks, size_t pooled)
{
    rnet n = {0};
    for (size_t b = 0; b < blocks; b++) {
        n.l[n.n++] = (rlayer){K_CONV, filters};
        n.l[n.n++] = (rlayer){K_BN, 0};
        n.l[n.n++] = (rlayer){K_RELU, 0};
        if (b < pooled)
            n.l[n.n++] = (rlayer){K_POOL, 0};
    }
    return n;
}

/* The paper's relation module on maps of (2C, h, w). */
static rnet module_net(size_t c, size_t h)
{
    rnet n = {0};
    for (int b = 0; b < 2; b++) {
        n.l[n.n++] = (rlayer){K_CONV, c};
        n.l[n.n++] = (rlayer){K_BN, 0};
        n.l[n.n++] = (rlayer){K_RELU, 0};
        if (h >= 2) {
            n.l[n.n++] = (rlayer){K_POOL, 0};
            h /= 2;
        }
    }
    n.l[n.n++] = (rlayer){K_DENSE, 8};
    n.l[n.n++] = (rlayer){K_RELU, 0};
    n.l[n.n++] = (rlayer){K_DENSE, 1};
    return n;
}

/* A tiny relation case: images (1, S, S), one task. */
typedef struct rcase {
    size_t side, filters, blocks, pooled, ways, ns, nq;
    const int *ls, *lq;
} rcase;

enum { SIDE_MAX = 8, N_MAX = 12 };

/* 1: a class is the mean of its supports instead of the sum (a wrong
 * reference, to show the checks tell the two apart). */
static int ref_mean;

/* The relation loss of the task; scores [nq, ways] into `scores` if not NULL. */
static double ref_relation(const rcase *rc, const double *theta, const double *xs,
                           const double *xq, double *scores)
{
    size_t n = rc->ns + rc->nq, px = rc->side * rc->side;
    rbatch e = rb_new(n, 1, rc->side, rc->side);
    memcpy(e.v, xs, rc->ns * px * sizeof(double));
    memcpy(e.v + rc->ns * px, xq, rc->nq * px * sizeof(double));
    const double *p = theta;
    rnet emb = embedding_net(rc->filters, rc->blocks, rc->pooled);
    run(&emb, &e, &p);
    size_t c = e.c, hw = e.h * e.w, f = c * hw, pairs = rc->nq * rc->ways;
    rbatch pr = rb_new(pairs, 2 * c, e.h, e.w);
    for (size_t i = 0; i < rc->nq; i++)
        for (size_t k = 0; k < rc->ways; k++) {
            double *dst = pr.v + (i * rc->ways + k) * 2 * f;
            memcpy(dst, e.v + (rc->ns + i) * f, f * sizeof(double));
            double count = 0;
            for (size_t j = 0; j < rc->ns; j++)
                count += (size_t)rc->ls[j] == k;
            for (size_t j = 0; j < rc->ns; j++)
                if ((size_t)rc->ls[j] == k)
                    for (size_t q = 0; q < f; q++)
                        dst[f + q] += e.v[j * f + q] / (ref_mean ? count : 1.0);
        }
    rnet mod = module_net(c, e.h);
    run(&mod, &pr, &p);
    double loss = 0;
    for (size_t i = 0; i < rc->nq; i++)
        for (size_t k = 0; k < rc->ways; k++) {
            double r = 1.0 / (1.0 + exp(-pr.v[i * rc->ways + k]));
            if (scores)
                scores[i * rc->ways + k] = r;
            loss += pow(r - ((size_t)rc->lq[i] == k ? 1.0 : 0.0), 2);
        }
    free(e.v);
    free(pr.v);
    return loss / (double)pairs;
}

static const int L3s[] = {0, 1, 2}, L3q[] = {0, 1, 2, 1, 0};
static const int L2s[] = {1, 0, 0, 1}, L2q[] = {0, 1, 1};
static const int L4s[] = {0, 1, 2, 3, 3, 2, 1, 0}, L4q[] = {3, 0, 2, 1};

/* 3-way 1-shot, 3 blocks, maps 4x4 of 8x8 images (module 4 -> 2 -> 1);
 * 2-way 2-shot, maps 3x3 (module 3 -> 1 -> 1, an odd size floored as the
 * paper's 7 -> 3 -> 1); 4-way 2-shot without pooling, maps 4x4. */
static const rcase cases[] = {
    {8, 3, 3, 1, 3, 3, 5, L3s, L3q},
    {6, 2, 2, 1, 2, 4, 3, L2s, L2q},
    {4, 2, 2, 0, 4, 8, 4, L4s, L4q},
};

static cls_setup setup(const rcase *rc, uint64_t seed)
{
    ml_model *m = NULL;
    ml_learner *l = NULL;
    ck_assert_int_eq(ml_model_create_conv4_maps(&m, 1, rc->side, rc->side, rc->filters,
                                                rc->blocks, rc->pooled), ML_OK);
    ck_assert_int_eq(ml_learner_create(&l, m, ML_STRATEGY_RELATION, seed), ML_OK);
    ml_model_free(m);
    size_t n = ml_learner_num_meta_params(l);
    float *p = learner_params(l);
    /* The initial batch-norm parameters are 1 and 0: perturb everything so
     * that no parameter sits at a special value. */
    uint64_t r = seed;
    for (size_t i = 0; i < n; i++)
        p[i] += (float)(0.2 * ref_lcg(&r));
    ck_assert_int_eq(ml_learner_set_meta_params(l, p, n), ML_OK);
    free(p);
    return cls_setup_make(l, &r, 1.0, rc->side * rc->side, rc->ways, rc->ns, rc->ls, rc->nq,
                          rc->lq);
}

/* ref_relation as a function of theta alone, for ref_central_diff. */
typedef struct rfd {
    const rcase *rc;
    const cls_setup *s;
} rfd;

static double ref_relation_at(const void *ctx, const double *theta)
{
    const rfd *c = ctx;
    return ref_relation(c->rc, theta, c->s->xs, c->s->xq, NULL);
}

/* Meta-parameters of the reference: embedding, then the module. */
static size_t ref_count(const rcase *rc)
{
    size_t f = rc->filters, n = 0, c = 1, h = rc->side;
    for (size_t b = 0; b < rc->blocks; b++) {
        n += f * c * 9 + f + 2 * f;
        c = f;
        if (b < rc->pooled)
            h /= 2;
    }
    n += f * 2 * f * 9 + f + 2 * f;           /* module block 1 on 2C channels */
    if (h >= 2)
        h /= 2;
    n += f * f * 9 + f + 2 * f;               /* block 2 */
    if (h >= 2)
        h /= 2;
    return n + f * h * h * 8 + 8 + 8 + 1;
}

START_TEST(test_relation_matches_reference)
{
    const rcase *rc = &cases[_i];
    cls_setup s = setup(rc, 11 + (uint64_t)_i);
    ck_assert_uint_eq(s.n, ref_count(rc));

    float *grad = malloc(s.n * sizeof *grad);
    double *fd = malloc(s.n * sizeof *fd);
    ck_assert(grad && fd);
    double loss = -1;
    ck_assert_int_eq(ml_learner_meta_gradient(s.l, 1, &s.task, grad, s.n, &loss), ML_OK);

    double want_scores[N_MAX * 4];
    double want = ref_relation(rc, s.theta, s.xs, s.xq, want_scores);
    float got_loss = (float)loss;
    check_close("loss", &got_loss, &want, 1, 1e-6, 1e-4);

    float scores[N_MAX * 4];
    int labels[N_MAX];
    ck_assert_int_eq(ml_learner_predict(s.l, s.task, -1, rc->nq, s.fxq, scores,
                                        rc->nq * rc->ways, labels), ML_OK);
    check_close("scores", scores, want_scores, rc->nq * rc->ways, 1e-6, 1e-4);
    for (size_t i = 0; i < rc->nq; i++)
        ck_assert_int_eq(labels[i], (int)ref_argmax(want_scores + i * rc->ways, rc->ways));

    /* Central differences in double: step 1e-6 keeps the truncation error
     * (h^2) and the rounding (1e-16 / h) far below the tolerance, and the
     * ReLU kinks and max-pool ties out of reach of the perturbation. */
    rfd ctx = {rc, &s};
    ref_central_diff(ref_relation_at, &ctx, s.theta, s.n, 1e-6, fd);
    check_gradient_fd(grad, fd, s.n);
    free(grad);
    free(fd);
    cls_setup_free(&s);
}
END_TEST

/* The K-shot classes are sums of the supports' maps (the paper's choice):
 * the library's loss matches the summing reference and not a reference
 * that averages, on a 2-shot task where the two differ. */
START_TEST(test_relation_sums_supports)
{
    const rcase *rc = &cases[1];
    cls_setup s = setup(rc, 5);
    double loss;
    ck_assert_int_eq(ml_learner_evaluate(s.l, 1, &s.task, -1, &loss, NULL, NULL), ML_OK);
    double sum = ref_relation(rc, s.theta, s.xs, s.xq, NULL);
    ref_mean = 1;
    double mean = ref_relation(rc, s.theta, s.xs, s.xq, NULL);
    ref_mean = 0;
    ck_assert_double_lt(fabs(loss - sum), 1e-6 + 1e-4 * sum);
    ck_assert_double_gt(fabs(loss - mean), 1e-3 * sum);
    cls_setup_free(&s);
}
END_TEST

START_TEST(test_conv4_maps_shapes)
{
    static const int paper[] = {
        ML_LAYER_CONV2D, ML_LAYER_BATCHNORM, ML_LAYER_RELU, ML_LAYER_MAXPOOL,
        ML_LAYER_CONV2D, ML_LAYER_BATCHNORM, ML_LAYER_RELU, ML_LAYER_MAXPOOL,
        ML_LAYER_CONV2D, ML_LAYER_BATCHNORM, ML_LAYER_RELU,
        ML_LAYER_CONV2D, ML_LAYER_BATCHNORM, ML_LAYER_RELU,
    };
    ml_model *m = NULL, *c4 = NULL;
    ck_assert_int_eq(ml_model_create_conv4_maps(&m, 1, 28, 28, 64, 4, 2), ML_OK);
    ck_assert_uint_eq(ml_model_num_layers(m), 14);
    for (size_t i = 0; i < 14; i++)
        ck_assert_int_eq(ml_model_layer_kind(m, i), paper[i]);
    ck_assert_uint_eq(ml_model_output_size(m), 64 * 7 * 7);
    ck_assert_uint_eq(ml_model_input_size(m), 784);
    /* 4 blocks of 3x3 convolutions and batch norm: 1->64 then 64->64. */
    ck_assert_uint_eq(ml_model_num_params(m), 640 + 128 + 3 * (36928 + 128));
    char buf[512];
    ck_assert_int_eq(ml_model_describe(m, buf, sizeof buf, NULL), ML_OK);
    ck_assert_ptr_null(strstr(buf, "flatten"));

    /* The paper's module on 128 x 7 x 7 (7 -> 3 -> 1), dense 8, dense 1. */
    ml_learner *l = NULL;
    ck_assert_int_eq(ml_learner_create(&l, m, ML_STRATEGY_RELATION, 1), ML_OK);
    ck_assert_uint_eq(ml_learner_num_meta_params(l),
                      ml_model_num_params(m) + (73792 + 128) + (36928 + 128) + 520 + 9);
    ml_learner_free(l);
    ml_model_free(m);

    /* Every block pooling: Conv-4 without its flatten. */
    ck_assert_int_eq(ml_model_create_conv4_maps(&m, 1, 28, 28, 64, 4, 4), ML_OK);
    ck_assert_int_eq(ml_model_create_conv4(&c4, 1, 28, 28, 64, 4, 0), ML_OK);
    ck_assert_uint_eq(ml_model_num_layers(m) + 1, ml_model_num_layers(c4));
    for (size_t i = 0; i < ml_model_num_layers(m); i++)
        ck_assert_int_eq(ml_model_layer_kind(m, i), ml_model_layer_kind(c4, i));
    ck_assert_int_eq(ml_model_layer_kind(c4, ml_model_num_layers(m)), ML_LAYER_FLATTEN);
    ck_assert_uint_eq(ml_model_output_size(m), ml_model_output_size(c4));
    ck_assert_uint_eq(ml_model_num_params(m), ml_model_num_params(c4));
    ml_model_free(m);
    ml_model_free(c4);

    /* No pooling: the input's size; 3 channels, 5 filters. */
    ck_assert_int_eq(ml_model_create_conv4_maps(&m, 3, 10, 12, 5, 2, 0), ML_OK);
    ck_assert_uint_eq(ml_model_output_size(m), 5 * 10 * 12);
    ml_model_free(m);
}
END_TEST

START_TEST(test_conv4_maps_errors)
{
    ml_model *m = (ml_model *)&m;
    prime_error();
    ck_assert_int_eq(ml_model_create_conv4_maps(&m, 1, 28, 28, 64, 4, 5), ML_ERR_INVALID_ARG);
    ck_assert_ptr_null(m);
    ck_assert(fresh_error());
    ck_assert_ptr_nonnull(strstr(ml_last_error(), "pooled"));
    m = (ml_model *)&m;
    ck_assert_int_eq(ml_model_create_conv4_maps(&m, 1, 28, 28, 64, 0, 0), ML_ERR_INVALID_ARG);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(ml_model_create_conv4_maps(&m, 1, 28, 28, 64, 17, 2), ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_model_create_conv4_maps(NULL, 1, 28, 28, 64, 4, 2), ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_model_create_conv4_maps(&m, 0, 28, 28, 64, 4, 2), ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_model_create_conv4_maps(&m, 1, 28, 28, 0, 4, 2), ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_model_create_conv4_maps(&m, 1, 28, 28, 64, 4, SIZE_MAX),
                     ML_ERR_INVALID_ARG);
    ck_assert_int_eq(ml_model_create_conv4_maps(&m, 1, SIZE_MAX, 28, 64, 4, 2),
                     ML_ERR_INVALID_ARG);
    ck_assert_ptr_null(m);
    /* A gradient-based strategy needs a final dense layer: refused. */
    ck_assert_int_eq(ml_model_create_conv4_maps(&m, 1, 8, 8, 2, 2, 2), ML_OK);
    ml_learner *l = (ml_learner *)&l;
    ck_assert_int_ne(ml_learner_create(&l, m, ML_STRATEGY_MAML, 1), ML_OK);
    ck_assert_ptr_null(l);
    ml_model_free(m);
}
END_TEST

/* A relation learner on maps and one on a flattened Conv-4 (the layout of
 * the files written before the maps existed: the format is unchanged) come
 * back with the same model, meta-parameters and loss. */
START_TEST(test_relation_save_load)
{
    const rcase *rc = &cases[0];
    cls_setup s = setup(rc, 3);
    ml_learner *flat = NULL;
    ml_model *c4 = NULL;
    ck_assert_int_eq(ml_model_create_conv4(&c4, 1, rc->side, rc->side, 3, 2, 0), ML_OK);
    ck_assert_int_eq(ml_learner_create(&flat, c4, ML_STRATEGY_RELATION, 4), ML_OK);
    ml_model_free(c4);
    ml_learner *pair[2] = {s.l, flat};
    for (int k = 0; k < 2; k++)
        ml_learner_free(check_round_trip(pair[k], s.task));
    ml_learner_free(flat);
    cls_setup_free(&s);
}
END_TEST

static Suite *relation_suite(void)
{
    Suite *s = suite_create("meta_relation");
    TCase *tc = tcase_create("relation");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_relation_matches_reference, 0,
                        (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, test_relation_sums_supports);
    tcase_add_test(tc, test_relation_save_load);
    suite_add_tcase(s, tc);
    tc = tcase_create("conv4_maps");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_conv4_maps_shapes);
    tcase_add_test(tc, test_conv4_maps_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(relation_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
