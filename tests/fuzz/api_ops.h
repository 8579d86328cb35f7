/* The instruction set of the API-sequence fuzz target (fuzz_api.c),
 * shared with the seed writer (make_seeds.c) that assembles the seed
 * programs.  An input is a sequence of instructions: an opcode byte (taken
 * modulo OP_COUNT) and its operands, read with fuzz.h's reader.  Operands
 * are listed per opcode in fuzz_api.c.  Values are only ever appended, so
 * committed corpora keep their meaning. */
#ifndef ML_TESTS_FUZZ_API_OPS_H
#define ML_TESTS_FUZZ_API_OPS_H

enum fuzz_api_op {
    OP_MODEL_CREATE,
    OP_MODEL_ADD,
    OP_MODEL_MLP,
    OP_MODEL_CONV4,
    OP_MODEL_FREE,
    OP_MODEL_QUERY,
    OP_TASK_REGRESSION,
    OP_TASK_CLASSIFICATION,
    OP_TASK_FIT,
    OP_TASK_FREE,
    OP_TASK_GET,
    OP_SAMPLER_SINE,
    OP_SAMPLER_EPISODES,
    OP_SAMPLER_SET,
    OP_SAMPLER_GET,
    OP_SAMPLER_SAMPLE,
    OP_SAMPLER_FREE,
    OP_DATASET_CREATE,
    OP_DATASET_SPLIT,
    OP_DATASET_QUERY,
    OP_DATASET_FREE,
    OP_OPT_CREATE,
    OP_OPT_SET,
    OP_OPT_STEP,
    OP_OPT_FREE,
    OP_LEARNER_CREATE,
    OP_LEARNER_SET,
    OP_LEARNER_SET_OPT,
    OP_LEARNER_PARAMS,
    OP_LEARNER_STEP,
    OP_LEARNER_GRADIENT,
    OP_LEARNER_PREDICT,
    OP_LEARNER_EVALUATE,
    OP_LEARNER_RELOAD,
    OP_LEARNER_FREE,
    OP_PROBLEMS_CREATE,
    OP_PROBLEMS_RUN,
    OP_PROBLEMS_FREE,
    OP_OPT_LSTM_SET,
    OP_OPT_META_STEP,
    OP_OPT_WEIGHTS,
    OP_OPT_RELOAD,
    OP_LEARNER_SET_INNER,
    OP_MODEL_CONV4_MAPS,
    OP_COUNT
};

#endif
