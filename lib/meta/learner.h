/* Learners: a model, a strategy and their meta-parameters.  A strategy is
 * a small table of functions (meta/strategies.c registers them). */
#ifndef ML_META_LEARNER_H
#define ML_META_LEARNER_H

#include "autodiff/ad.h"
#include "core/pool.h"
#include "core/rng.h"
#include "data/task.h"
#include "nn/model.h"
#include "optim/lstm.h"
#include "optim/optimizer.h"

/* Per-thread scratch: a tape and buffers reused task after task. */
typedef struct ml_worker {
    ml_ad_tape tape;
    float *phi;           /* adapted parameters (plain adaptation) */
    float *grad;          /* gradient scratch, n_params */
    ml_optimizer inner;   /* Reptile's inner Adam */
    float *lstm_state;    /* LSTM strategy: [4][n_params * H], allocated on first use */
} ml_worker;

/* A metric strategy's episode: class scores [n, ways] of the inputs x
 * given the task's support set, and with labels the episode loss.  params
 * holds the embedding's tensors then the head's (if any). */
typedef struct ml_episode_out {
    ml_ad_node *scores;   /* [n, ways]: higher is more likely */
    ml_ad_node *loss;     /* NULL without labels */
} ml_episode_out;

typedef struct ml_strategy_ops {
    const char *name;
    int needs_query;      /* meta-training uses the query set */
    int has_alpha;        /* meta-parameters hold per-parameter step sizes */
    /* The meta-gradient of one task (n_meta floats) and its meta-loss. */
    ml_status (*task_gradient)(ml_learner *l, ml_worker *w, const ml_task *task,
                               float *grad, double *loss);
    /* Optional (NULL: task by task): the sum of the meta-gradients of n
     * tasks of the same sizes, computed in one graph (meta/batch.c), into
     * grad; vals[2 i] receives task i's meta-loss.  Used when
     * ml_batch_applies(). */
    ml_status (*batch_gradient)(ml_learner *l, ml_worker *w, size_t n,
                                ml_task *const *tasks, float *grad, double *vals);
    /* Metric strategies only (NULL for the gradient-based ones). */
    /* The head model on the embedding's output (NULL: no head). */
    ml_status (*make_head)(const ml_model *embedding, ml_model **out);
    ml_episode_out (*episode)(ml_learner *l, ml_ad_tape *t, ml_ad_node *const *params,
                              const ml_task *task, const float *x, size_t n,
                              const int *labels);
} ml_strategy_ops;

struct ml_learner {
    ml_model *model;
    ml_model *head;       /* metric strategies' head (siamese, relation); NULL otherwise */
    int strategy;
    const ml_strategy_ops *ops;
    size_t n_params;      /* model parameters */
    size_t n_meta;        /* meta-parameters: n_params, plus alpha or the head's */
    float *meta;          /* theta, then Meta-SGD's alpha or the head's parameters */

    double inner_lr;
    int inner_steps;
    int threads;
    uint64_t iteration;
    double rep_eps, rep_eps_final;
    uint64_t rep_anneal;
    int rep_inner_adam;
    ml_lstm_shape lstm_shape; /* LSTM strategy: the inner update rule's network */
    double lstm_scale;        /* and its output scale */

    ml_optimizer opt;     /* outer optimiser */
    ml_rng rng;
    ml_pool *pool;
    ml_worker *workers;   /* one per thread */

    float *step_grad;     /* n_meta: the mean gradient of ml_learner_meta_step */
    float *task_grads;    /* n_tasks x n_meta, per-task results */
    double *task_vals;    /* n_tasks x 2: loss, accuracy */
    size_t task_cap;

    char err[ML_ERRMSG_MAX];
};

/* The strategy table. */
const ml_strategy_ops *ml_strategy_lookup(int strategy);
extern const ml_strategy_ops ml_strategy_maml, ml_strategy_fomaml, ml_strategy_lstm,
    ml_strategy_metasgd, ml_strategy_reptile, ml_strategy_joint, ml_strategy_protonet,
    ml_strategy_siamese, ml_strategy_relation, ml_strategy_matching;
/* Whether a model suits a strategy (gradient-based: ends in a dense layer;
 * metric: any embedding); a message into msg when not. */
int ml_strategy_model_ok(int strategy, const ml_model *m, char *msg);

/* Shared by the metric strategies (meta/metric.c). */
/* Leaves over the meta-parameters: the model's tensors, then the head's. */
ml_ad_node **ml_metric_params(ml_learner *l, ml_ad_tape *t, int requires_grad);
/* The embeddings of the support set and of x, computed in one batch (so
 * batch normalisation sees both, as in the papers' implementations):
 * *support [Ns, D], *inputs [n, D]. */
void ml_metric_embed(ml_learner *l, ml_ad_tape *t, ml_ad_node *const *params,
                     const ml_task *task, const float *x, size_t n,
                     ml_ad_node **support, ml_ad_node **inputs);
/* A constant [ways, Ns] matrix that averages (mean != 0) or sums the
 * support rows of each class. */
ml_ad_node *ml_metric_class_matrix(ml_ad_tape *t, const ml_task *task, int mean);
/* The metric strategies' task gradient and evaluation share one episode
 * function: gradient of the query loss with respect to all meta-parameters. */
ml_status ml_metric_task_gradient(ml_learner *l, ml_worker *w, const ml_task *task,
                                  float *grad, double *loss);

/* Learner lifecycle (meta/learner.c). */
ml_status ml_learner_new(ml_learner **out, const ml_model *model, int strategy);
void ml_learner_destroy(ml_learner *l);
ml_status ml_learner_set_threads(ml_learner *l, int threads);
/* Default settings and freshly drawn parameters from `seed`. */
void ml_learner_init_params(ml_learner *l, uint64_t seed);

/* The LSTM strategy (meta/lstm_inner.c). */
/* Meta-parameters after the model's: the LSTM's weights. */
size_t ml_meta_lstm_num_weights(const ml_learner *l);
/* One plain inner update of w->phi from w->grad with the learned rule;
 * `first` starts from a zero hidden state. */
ml_status ml_meta_lstm_plain_update(ml_learner *l, ml_worker *w, int first);
/* Adopts another LSTM's shape, scale and weights (untrained learners). */
ml_status ml_meta_lstm_adopt(ml_learner *l, const ml_lstm *src);

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
/* The parts a meta-batch's gradient is computed in: part p is tasks
 * bounds[p] .. bounds[p + 1] - 1 (bounds: n + 1 entries); returns the
 * count.  They depend on the tasks and the learner, never on threads. */
size_t ml_meta_plan(const ml_learner *l, size_t n, ml_task *const *tasks, size_t *bounds);
/* Parts first .. end - 1 of that plan: part first + i's undivided
 * gradient sum into l->task_grads + i n_meta, task j's loss into
 * l->task_vals[2 j] (task_vals holds n tasks). */
ml_status ml_meta_parts_run(ml_learner *l, size_t n, ml_task *const *tasks,
                            const size_t *bounds, size_t first, size_t end);
ml_status ml_meta_gradient_run(ml_learner *l, size_t n, ml_task *const *tasks,
                               float *out, double *loss);
ml_status ml_meta_apply(ml_learner *l, const float *grad);
ml_status ml_meta_evaluate(ml_learner *l, size_t n, ml_task *const *tasks, int steps,
                           double *loss, double *acc, double *per_task);
ml_status ml_meta_predict(ml_learner *l, const ml_task *task, int steps, size_t n,
                          const float *inputs, float *out, int *labels);
#endif
