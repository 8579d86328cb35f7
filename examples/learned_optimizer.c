/* The learned LSTM optimiser on your own problems from C: meta-train it
 * on a family of small logistic regressions defined below, use it in a
 * training loop of your own, and compare it with Adam on fresh problems.
 * Usage: learned_optimizer [META_STEPS]  (default 300) */
#include <metalearn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define D 8     /* parameters: the weights of a linear classifier */
#define M 32    /* examples per problem */
#define STEPS 40

#define CHECK(call)                                                        \
    do {                                                                   \
        if ((call) != ML_OK) {                                             \
            fprintf(stderr, "learned_optimizer: %s\n", ml_last_error());   \
            return 1;                                                      \
        }                                                                  \
    } while (0)

typedef struct problem {
    float x[M][D];
    float y[M]; /* labels 0 or 1 */
} problem;

/* A uniform number in [-1, 1) from a 64-bit state (splitmix64). */
static float uniform(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (float)((z ^ (z >> 31)) >> 40) / 8388608.0f - 1.0f;
}

/* Problem `seed`: points labelled by a random hyperplane, 10% of the
 * labels flipped, features on scales from 0.1 to 3.  The same seed must
 * give the same problem: everything comes from the seed. */
static int sample(void *user, uint64_t seed, size_t n, float *theta0, void **out)
{
    (void)user, (void)n; /* n is D: the family was made with D */
    problem *p = malloc(sizeof *p);
    if (!p)
        return 1; /* any non-zero return: ML_ERR_CALLBACK */
    float w[D], scale[D];
    for (int j = 0; j < D; j++) {
        w[j] = uniform(&seed);
        scale[j] = 1.55f + 1.45f * uniform(&seed);
        theta0[j] = 0;
    }
    for (int i = 0; i < M; i++) {
        float dot = 0;
        for (int j = 0; j < D; j++) {
            p->x[i][j] = scale[j] * uniform(&seed);
            dot += w[j] * p->x[i][j];
        }
        p->y[i] = (dot > 0) != (uniform(&seed) > 0.8f);
    }
    *out = p;
    return 0;
}

/* Mean cross-entropy of sigmoid(x . theta) and its gradient. */
static int objective(void *user, void *prob, size_t n, const float *theta, float *grad,
                     double *value)
{
    (void)user, (void)n;
    const problem *p = prob;
    double f = 0;
    for (int j = 0; j < D; j++)
        grad[j] = 0;
    for (int i = 0; i < M; i++) {
        double z = 0;
        for (int j = 0; j < D; j++)
            z += (double)p->x[i][j] * theta[j];
        /* log(1 + e^z) - y z, written so that it never overflows */
        f += (z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))) - p->y[i] * z;
        const double err = 1 / (1 + exp(-z)) - p->y[i];
        for (int j = 0; j < D; j++)
            grad[j] += (float)(err * p->x[i][j] / M);
    }
    *value = f / M;
    return 0;
}

static void release(void *user, void *prob)
{
    (void)user;
    free(prob);
}

/* The mean final loss of `opt` over `count` problems from seed `first`. */
static ml_status mean_final_loss(const ml_problems *fam, ml_optimizer *opt,
                                 uint64_t first, int count, double *mean)
{
    double losses[STEPS + 1], sum = 0;
    for (int k = 0; k < count; k++) {
        ml_status st = ml_problems_run(fam, opt, first + (uint64_t)k, STEPS, losses);
        if (st != ML_OK)
            return st;
        sum += losses[STEPS];
    }
    *mean = sum / count;
    return ML_OK;
}

int main(int argc, char **argv)
{
    int meta_steps = argc > 1 ? atoi(argv[1]) : 300;
    ml_problems *fam;
    ml_optimizer *lstm, *adam;
    CHECK(ml_problems_create_callback(&fam, D, sample, objective, release, NULL));
    CHECK(ml_optimizer_create(&lstm, ML_OPTIMIZER_LSTM));
    CHECK(ml_optimizer_set(lstm, ML_OPT_LSTM_PROBLEMS, 32));
    CHECK(ml_optimizer_set(lstm, ML_OPT_LSTM_HORIZON, STEPS));
    CHECK(ml_optimizer_set(lstm, ML_OPT_LSTM_UNROLL, 10));
    for (int s = 1; s <= meta_steps; s++) {
        double loss;
        CHECK(ml_optimizer_meta_step(lstm, fam, &loss));
        if (s % (meta_steps / 5 > 0 ? meta_steps / 5 : 1) == 0)
            printf("meta-step %5d  meta-loss %.4f\n", s, loss);
    }

    /* Your own training loop: the learned optimiser as an update rule. */
    float theta[D], grad[D];
    void *prob;
    double f;
    if (sample(NULL, 12345, D, theta, &prob) != 0)
        return 1;
    CHECK(ml_optimizer_reset(lstm)); /* a fresh hidden state per problem */
    for (int t = 0; t < STEPS; t++) {
        objective(NULL, prob, D, theta, grad, &f);
        CHECK(ml_optimizer_step(lstm, D, theta, grad));
    }
    objective(NULL, prob, D, theta, grad, &f);
    release(NULL, prob);
    printf("own loop, %d steps: loss %.4f\n", STEPS, f);

    /* The fair comparison: Adam's learning rate tuned on other problems,
     * then the same fresh problems for both (meta-training drew its own
     * from 64-bit seeds: these small ones are new). */
    static const double rates[] = {0.01, 0.03, 0.1, 0.3, 1.0};
    double best = INFINITY, lr = 0, mean_lstm, mean_adam;
    CHECK(ml_optimizer_create(&adam, ML_OPTIMIZER_ADAM));
    for (int r = 0; r < 5; r++) {
        CHECK(ml_optimizer_set(adam, ML_OPT_LR, rates[r]));
        CHECK(mean_final_loss(fam, adam, 500, 10, &mean_adam));
        if (mean_adam < best)
            best = mean_adam, lr = rates[r];
    }
    CHECK(ml_optimizer_set(adam, ML_OPT_LR, lr));
    CHECK(mean_final_loss(fam, lstm, 1000, 20, &mean_lstm));
    CHECK(mean_final_loss(fam, adam, 1000, 20, &mean_adam));
    printf("20 fresh problems, %d steps: mean loss LSTM %.4f, Adam (lr %g) %.4f\n",
           STEPS, mean_lstm, lr, mean_adam);
    ml_optimizer_free(adam);
    ml_optimizer_free(lstm); /* releases the problems it had in flight */
    ml_problems_free(fam);
    return 0;
}
