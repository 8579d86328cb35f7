/* Fuzz target: ml_optimizer_load_buffer on arbitrary bytes.
 *
 * As fuzz_learner_load.c: each input is loaded as it is and again with the
 * container's length and CRC-32 rewritten to match.  An optimiser that
 * loads must save, load again and save the same bytes, and must step:
 * its kind, hyperparameters and (for the learned LSTM optimiser) weights
 * came from the file. */
#include "fuzz.h"

#include <math.h>
#include <string.h>

/* Two steps on four parameters: a step may fail only because it would
 * leave them non-finite, and then it leaves them alone. */
static void use(void *obj)
{
    float p[4] = {0.5f, -1.0f, 2.0f, 0.0f}, g[4] = {0.1f, -0.2f, 0.0f, 1.0f};
    for (int k = 0; k < 2; k++) {
        float before[4];
        memcpy(before, p, sizeof p);
        ml_status st = fuzz_status(ml_optimizer_step(obj, 4, p, g));
        FUZZ_CHECK(st == ML_OK || st == ML_ERR_NUMERIC);
        if (st != ML_OK)
            FUZZ_CHECK(memcmp(before, p, sizeof p) == 0);
        for (int i = 0; st == ML_OK && i < 4; i++)
            FUZZ_CHECK(isfinite(p[i]));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_file_target(&fuzz_optimizer_files, use, data, size);
}
