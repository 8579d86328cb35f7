/* Learners: a model, a strategy and their meta-parameters.  A strategy is
 * a small table of functions (meta/strategies.c registers them). */
#ifndef ML_META_LEARNER_H
#define ML_META_LEARNER_H

#include "autodiff/ad.h"
#include "core/pool.h"
#include "core/rng.h"
#include "data/task.h"
#include "nn/model.h"
#include "optim/optimizer.h"

/* Per-thread scratch: a tape and buffers reused task after task. */
typedef struct ml_worker {
    ml_ad_tape tape;
    float *phi;           /* adapted parameters (plain adaptation) */
    float *grad;          /* gradient scratch, n_params */
    ml_optimizer inner;   /* Reptile's inner Adam */
} ml_worker;

typedef struct ml_strategy_ops {
    const char *name;
    int needs_query;      /* meta-training uses the query set */
    int has_alpha;        /* meta-parameters hold per-parameter step sizes */
    /* The meta-gradient of one task (n_meta floats) and its meta-loss. */
    ml_status (*task_gradient)(ml_learner *l, ml_worker *w, const ml_task *task,
                               float *grad, double *loss);
} ml_strategy_ops;

struct ml_learner {
    ml_model *model;
    int strategy;
    const ml_strategy_ops *ops;
    size_t n_params;      /* model parameters */
    size_t n_meta;        /* meta-parameters: n_params, or 2 n_params with alpha */
    float *meta;          /* theta, then alpha for Meta-SGD */

    double inner_lr;
    int inner_steps;
    int threads;
    uint64_t iteration;
    double rep_eps, rep_eps_final;
    uint64_t rep_anneal;
    int rep_inner_adam;

    ml_optimizer opt;     /* outer optimiser */
    ml_rng rng;
    ml_pool *pool;
    ml_worker *workers;   /* one per thread */

    float *task_grads;    /* n_tasks x n_meta, per-task results */
    double *task_vals;    /* n_tasks x 2: loss, accuracy */
    size_t task_cap;

    char err[ML_ERRMSG_MAX];
};

/* The strategy table. */
const ml_strategy_ops *ml_strategy_lookup(int strategy);
extern const ml_strategy_ops ml_strategy_maml, ml_strategy_fomaml,
    ml_strategy_metasgd, ml_strategy_reptile, ml_strategy_joint;

/* Learner lifecycle (meta/learner.c). */
ml_status ml_learner_new(ml_learner **out, const ml_model *model, int strategy);
void ml_learner_destroy(ml_learner *l);
ml_status ml_learner_set_threads(ml_learner *l, int threads);
/* Default settings and freshly drawn parameters from `seed`. */
void ml_learner_init_params(ml_learner *l, uint64_t seed);

/* Shared inner loops (meta/adapt.c). */
/* Loss of `params` on one half of a task (set 0, 1) or both (set 2). */
ml_ad_node *ml_meta_task_loss(ml_ad_tape *t, const ml_model *m,
                              ml_ad_node *const *params, const ml_task *task, int set);
/* Differentiable adaptation: phi = theta - alpha (.) grad, `steps` times,
 * recorded on the tape when create_graph.  alpha: per-tensor step-size
 * nodes, or NULL for the scalar inner learning rate. */
ml_status ml_meta_adapt_graph(ml_learner *l, ml_ad_tape *t, const ml_task *task,
                              ml_ad_node *const *theta, ml_ad_node *const *alpha,
                              int steps, int create_graph, ml_ad_node **phi);
/* Plain adaptation into w->phi: `steps` updates from the meta-parameters
 * with the strategy's inner rule (SGD, Meta-SGD's alpha, or Adam for
 * Reptile with ML_LEARNER_REPTILE_INNER_ADAM).  *last_loss receives the
 * support loss before the last update (NULL allowed). */
ml_status ml_meta_adapt_plain(ml_learner *l, ml_worker *w, const ml_task *task,
                              int steps, double *last_loss);
/* Gradient of the loss on one half (or both) of a task at `params`
 * (n_params floats) into grad; the loss into *loss. */
ml_status ml_meta_plain_grad(ml_learner *l, ml_worker *w, const ml_task *task, int set,
                             float *params, float *grad, double *loss);



/* Running over tasks (meta/run.c); errors go to the learner's message. */
ml_status ml_meta_gradient_run(ml_learner *l, size_t n, ml_task *const *tasks,
                               float *out, double *loss);
ml_status ml_meta_apply(ml_learner *l, const float *grad);
ml_status ml_meta_evaluate(ml_learner *l, size_t n, ml_task *const *tasks, int steps,
                           double *loss, double *acc, double *per_task);
ml_status ml_meta_predict(ml_learner *l, const ml_task *task, int steps, size_t n,
                          const float *inputs, float *out, int *labels);
#endif
