/* metalearn info on an optimiser file: its kind and settings, and for a
 * learned one the network and how it was meta-trained. */
#include "lstm_cli.h"

#include "cli.h"
#include "json.h"

#include <math.h>
#include <stdio.h>

typedef struct setting {
    const char *label, *key;   /* text and JSON names */
    ml_optimizer_param param;
} setting;

static const setting hand[] = {
    {"learning rate", "lr", ML_OPT_LR},
    {"momentum", "momentum", ML_OPT_MOMENTUM},
    {"nesterov", "nesterov", ML_OPT_NESTEROV},
    {"beta1", "beta1", ML_OPT_BETA1},
    {"beta2", "beta2", ML_OPT_BETA2},
    {"epsilon", "eps", ML_OPT_EPS},
    {"weight decay", "weight_decay", ML_OPT_WEIGHT_DECAY},
    {"rms decay", "rms_decay", ML_OPT_RMS_DECAY},
};

static const setting learned[] = {
    {"hidden units", "hidden", ML_OPT_LSTM_HIDDEN},
    {"preprocessing", "preprocess", ML_OPT_LSTM_PREPROCESS},
    {"output scale", "output_scale", ML_OPT_LSTM_OUTPUT_SCALE},
    {"meta-steps", "iterations", ML_OPT_LSTM_META_STEPS},
    {"problems", "problems", ML_OPT_LSTM_PROBLEMS},
    {"unroll", "unroll", ML_OPT_LSTM_UNROLL},
    {"horizon", "horizon", ML_OPT_LSTM_HORIZON},
    {"meta lr", "meta_lr", ML_OPT_LSTM_META_LR},
    {"loss power", "loss_power", ML_OPT_LSTM_LOSS_POWER},
    {"exact", "exact", ML_OPT_LSTM_EXACT},
    {"seed", "seed", ML_OPT_LSTM_SEED},
};

static void print_text(const char *path, const ml_optimizer *o, const setting *set,
                       size_t n)
{
    int lstm = ml_optimizer_kind_of(o) == ML_OPTIMIZER_LSTM;
    printf("file:             %s (%lld bytes)\n", path, cli_file_size(path));
    printf("optimizer:        %s\n", opt_kind_name(ml_optimizer_kind_of(o)));
    if (lstm)
        printf("network:          coordinatewise 2-layer LSTM, %zu learned weights\n",
               ml_optimizer_num_weights(o));
    for (size_t i = 0; i < n; i++) {
        double v;
        if (ml_optimizer_get(o, set[i].param, &v) != ML_OK)
            continue;
        char label[32];
        snprintf(label, sizeof label, "%s:", set[i].label);
        printf("%-17s %g\n", label, v);
    }
}

static void print_json(const char *path, const ml_optimizer *o, const setting *set,
                       size_t n)
{
    json_writer w;
    json_init(&w, stdout);
    json_begin_object(&w, NULL);
    json_string(&w, "command", "info");
    json_string(&w, "file", path);
    json_number(&w, "file_size", (double)cli_file_size(path));
    json_string(&w, "kind", "optimizer");
    json_string(&w, "optimizer", opt_kind_name(ml_optimizer_kind_of(o)));
    json_uint(&w, "weights", ml_optimizer_num_weights(o));
    for (size_t i = 0; i < n; i++) {
        double v;
        json_number(&w, set[i].key,
                    ml_optimizer_get(o, set[i].param, &v) == ML_OK ? v : NAN);
    }
    json_end_object(&w);
    json_finish(&w);
}

int lstm_info_run(const char *path, int json)
{
    ml_optimizer *o;
    if (ml_optimizer_load(&o, path) != ML_OK)
        return cli_lib_error(NULL);
    int lstm = ml_optimizer_kind_of(o) == ML_OPTIMIZER_LSTM;
    const setting *set = lstm ? learned : hand;
    size_t n = lstm ? sizeof learned / sizeof learned[0] : sizeof hand / sizeof hand[0];
    if (json)
        print_json(path, o, set, n);
    else
        print_text(path, o, set, n);
    ml_optimizer_free(o);
    return EXIT_OK;
}
