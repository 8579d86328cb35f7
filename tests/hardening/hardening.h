/* Helpers of the hardening suite: small models, tasks and data sets built
 * the same way by every test, so a failure-injection or thread test can
 * compare a run against a reference run bit for bit. */
#ifndef ML_TESTS_HARDENING_H
#define ML_TESTS_HARDENING_H

#include "metalearn.h"
#include "metatest.h"

#include <check.h>
#include <stddef.h>
#include <stdint.h>

/* ck_assert records a checkpoint on every success, which is slow in the
 * loops of these tests under valgrind: this one only reports failures. */
#define HD_REQUIRE(cond, ...)                                                  \
    do {                                                                       \
        if (!(cond))                                                           \
            ck_abort_msg(__VA_ARGS__);                                         \
    } while (0)

/* Runs a suite; the exit status of the test program. */
int hd_run(Suite *s);

/* A 1-8-1 tanh MLP, the regression model of the suite (25 parameters). */
ml_model *hd_mlp(void);
/* A learner of `strategy` on hd_mlp() with 2 inner steps, seeded. */
ml_learner *hd_learner(ml_strategy strategy, uint64_t seed);
/* n sine tasks (5 support, 5 query points) drawn from a sampler seeded
 * with seed (tests/meta's helper); hd_tasks_free frees them. */
#define hd_sine_tasks(tasks, n, seed) sine_tasks_make(tasks, n, seed, 5, 5)
#define hd_tasks_free sine_tasks_free

/* A synthetic image data set: `classes` classes of `per_class` 1x8x8
 * images, each class a noisy copy of its own random pattern.  Cheap to
 * make and easy enough for a prototypical network to learn. */
ml_dataset *hd_image_dataset(size_t classes, size_t per_class, uint64_t seed);
/* The Conv-4-style embedding used with it: 1 block of 4 filters on 8x8. */
ml_model *hd_image_embedding(void);

/* A learned LSTM optimiser of 4 hidden units, meta-trained on 4 problems
 * unrolled 5 steps at a time (small enough to be cheap). */
ml_optimizer *hd_lstm_optimizer(void);

/* The learner's meta-parameters, malloc'd (the caller frees them). */
float *hd_params(const ml_learner *l);

#endif
