/* The strategy registry: adding a strategy is one file and one line here. */
#include "meta/learner.h"

const ml_strategy_ops *ml_strategy_lookup(int strategy)
{
    switch (strategy) {
    case ML_STRATEGY_MAML: return &ml_strategy_maml;
    case ML_STRATEGY_FOMAML: return &ml_strategy_fomaml;
    case ML_STRATEGY_REPTILE: return &ml_strategy_reptile;
    case ML_STRATEGY_METASGD: return &ml_strategy_metasgd;
    case ML_STRATEGY_JOINT: return &ml_strategy_joint;
    default: return NULL;
    }
}
