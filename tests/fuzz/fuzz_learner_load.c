/* Fuzz target: ml_learner_load_buffer on arbitrary bytes.
 *
 * Each input is loaded twice: as it is (the container's own checks: magic,
 * version, length, checksum) and with its payload length and CRC-32
 * rewritten to match, so mutations reach the chunk parser instead of
 * dying at the checksum.  A learner that loads must save, load again and
 * save the same bytes, and must be usable: it predicts for a task that
 * fits its model (fuzz_file_target() in fuzz_files.c does the rest). */
#include "fuzz.h"

/* One adaptation step and a prediction on a task built for the model.
 * Only small models: a file can describe a network whose forward pass
 * alone takes seconds, which is no bug. */
static void use(void *obj)
{
    ml_learner *l = obj;
    const ml_model *m = ml_learner_model(l);
    size_t in = ml_model_input_size(m), out = ml_model_output_size(m);
    if (in == 0 || in > 64 || out == 0 || out > 64 || ml_model_num_params(m) > 4096)
        return;
    int s = ml_learner_strategy(l);
    int metric = fuzz_is_metric(s);
    float x[2 * 64], y[2 * 64], pred[2 * 64];
    int labels[2] = {0, 1};
    for (size_t i = 0; i < 2 * in; i++)
        x[i] = (float)(i % 7) / 7.0f;
    for (size_t i = 0; i < 2 * out; i++)
        y[i] = (float)(i % 3) / 3.0f;
    ml_task *t = NULL;
    /* Metric strategies classify (2 ways); the others regress onto the
     * model's outputs. */
    ml_status st = metric ? ml_task_create_classification(&t, in, 2, 2, x, labels, 2, x, labels)
                          : ml_task_create_regression(&t, in, out, 2, x, y, 2, x, y);
    FUZZ_CHECK(fuzz_status(st) == ML_OK);
    size_t n_out = 2 * (metric ? 2 : out);
    st = fuzz_status(ml_learner_predict(l, t, 1, 2, x, pred, n_out, NULL));
    /* A loaded learner may diverge (ML_ERR_NUMERIC) or be too large for
     * memory; nothing else is acceptable for a valid task. */
    FUZZ_CHECK(st == ML_OK || st == ML_ERR_NUMERIC || st == ML_ERR_NOMEM);
    ml_task_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_file_target(&fuzz_learner_files, use, data, size);
}
