/* The strategy registry: adding a strategy is one file and one line here. */
#include "meta/learner.h"

#include <stdio.h>

const ml_strategy_ops *ml_strategy_lookup(int strategy)
{
    switch (strategy) {
    case ML_STRATEGY_MAML: return &ml_strategy_maml;
    case ML_STRATEGY_FOMAML: return &ml_strategy_fomaml;
    case ML_STRATEGY_REPTILE: return &ml_strategy_reptile;
    case ML_STRATEGY_METASGD: return &ml_strategy_metasgd;
    case ML_STRATEGY_JOINT: return &ml_strategy_joint;
    case ML_STRATEGY_LSTM: return &ml_strategy_lstm;
    case ML_STRATEGY_PROTONET: return &ml_strategy_protonet;
    case ML_STRATEGY_SIAMESE: return &ml_strategy_siamese;
    case ML_STRATEGY_RELATION: return &ml_strategy_relation;
    case ML_STRATEGY_MATCHING: return &ml_strategy_matching;
    default: return NULL;
    }
}

int ml_strategy_model_ok(int strategy, const ml_model *m, char *msg)
{
    const ml_strategy_ops *ops = ml_strategy_lookup(strategy);
    if (!ops) {
        snprintf(msg, ML_ERRMSG_MAX, "unknown strategy %d", strategy);
        return 0;
    }
    if (m->nlayers == 0) {
        snprintf(msg, ML_ERRMSG_MAX, "the model has no layers");
        return 0;
    }
    /* Gradient-based strategies predict with the model's outputs directly. */
    if (!ops->episode && m->layers[m->nlayers - 1].kind != ML_LAYER_DENSE) {
        snprintf(msg, ML_ERRMSG_MAX, "strategy %s needs a model that ends with a dense layer",
                 ops->name);
        return 0;
    }
    return 1;
}
