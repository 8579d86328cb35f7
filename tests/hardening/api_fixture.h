/* The table-driven argument tests: a fixture of valid handles and buffers,
 * and cases that each call one public function with one or two arguments
 * replaced by a bad value (NULL, a zero or huge size, NaN, an unknown
 * enumeration value, a damaged file...).
 *
 * A case is a row {function name, adapter, expected result, mutations}.
 * The adapter makes the valid call of its function from the fixture; the
 * S(), P(), D(), I() and H() macros substitute the row's mutations for the
 * matching arguments.  Every function also has a row without mutation, so
 * the valid call is known to succeed and each failing row fails because of
 * its mutation, not because the adapter is wrong. */
#ifndef ML_TESTS_API_FIXTURE_H
#define ML_TESTS_API_FIXTURE_H

#include "hardening.h"

#include <stddef.h>

enum { HD_FLOATS = 512, HD_INTS = 64, HD_SAVE_CAP = 1 << 16 };

/* The learned optimiser of the fixture: 4 hidden units, so 261 weights. */
enum { HD_LSTM_HIDDEN = 4, HD_LSTM_WEIGHTS = 261 };

/* What a pointer argument can be replaced with: resolved against the
 * fixture when the case runs. */
typedef enum hd_pv {
    PV_NULL = 1,
    PV_NAN,            /* floats, all finite but [1] = NaN */
    PV_INF,            /* floats, all finite but [1] = +Inf */
    PV_NEG_LABELS,     /* labels with a -1 */
    PV_BIG_LABELS,     /* labels with a 1000 */
    PV_INTS,           /* a valid int buffer (e.g. labels asked of a regression) */
    PV_ZERO_SHAPE,     /* {0, 0, 0} */
    PV_HUGE_SHAPE,     /* {SIZE_MAX, SIZE_MAX, SIZE_MAX} */
    PV_OVF_SHAPE,      /* {2^22, 2^22, 2^22}: each fine, the product is not */
    PV_DENSE_MODEL,    /* the MLP (rank-1 input) */
    PV_EMPTY_MODEL,    /* no layers */
    PV_ACT_MODEL,      /* ends with an activation, not a dense layer */
    PV_REG_TASK,
    PV_CLS_TASK,
    PV_FRESH_OPT,      /* an Adam optimiser that has never stepped */
    PV_EPISODES,       /* the episode sampler */
    PV_EPISODES_BAD,   /* asks for more examples per class than there are */
    PV_TASKS_NULL,     /* {task, NULL} */
    PV_TASKS_NOQUERY,  /* {task, task without a query set} */
    PV_TASKS_SHAPE,    /* {task, classification task of 64 inputs} */
    PV_TASKS_HUGE,     /* {task, task with targets of 1e30}: the loss overflows */
    PV_MISSING,        /* a path that does not exist */
    PV_DIR,            /* a directory */
    PV_EMPTY_FILE,
    PV_GARBAGE_FILE,   /* bytes that are no libmetalearn file */
    PV_TRUNC_FILE,     /* a saved learner cut short */
    PV_NEWER_FILE,     /* a saved learner claiming format major 99 */
    PV_EMPTY_DIR,      /* a directory without PNG files */
    PV_BADPNG_DIR,     /* a class directory whose .png is not a PNG */
    PV_GARBAGE_BYTES,
    PV_FLIPPED_BYTES,  /* a saved learner with one payload byte changed */
    PV_NEWER_BYTES,
    PV_SGD_OPT,        /* the SGD optimiser (not a learned one) */
    PV_HUGE_LR_OPT,    /* SGD with a learning rate of 1e30 */
    PV_LEARNER,        /* the MAML learner */
    PV_TRAINED_LSTM_LEARNER, /* an LSTM-strategy learner after a meta-step */
    PV_ONE_CLASS,      /* a data set of a single class */
    PV_LEARNER_FILE,   /* a saved learner (not an optimiser) */
    PV_OPT_TRUNC_FILE, /* a saved optimiser cut short */
    PV_OPT_FLIPPED,    /* a saved optimiser with one payload byte changed */
} hd_pv;

typedef enum hd_mkind { M_NONE, M_PTR, M_STR, M_SIZE, M_DBL, M_INT } hd_mkind;

typedef struct hd_mut {
    hd_mkind kind;
    int slot;               /* which argument of its kind (0 = first) */
    union {
        int pv;             /* M_PTR: an hd_pv */
        const char *str;    /* M_STR */
        size_t size;        /* M_SIZE */
        double dbl;         /* M_DBL */
        long i;             /* M_INT */
    } v;
} hd_mut;

/* Handle kinds, to check the handle afterwards. */
typedef enum hd_hkind {
    HK_NONE, HK_MODEL, HK_TASK, HK_SAMPLER, HK_DATASET, HK_OPTIMIZER, HK_LEARNER
} hd_hkind;

typedef struct hd_fix {
    ml_model *model, *empty_model, *act_model, *conv_model;
    ml_learner *learner, *lstm_learner, *trained_lstm_learner;
    ml_optimizer *opt, *fresh_opt, *lstm_opt, *huge_lr_opt;
    ml_problems *quad;
    ml_dataset *one_class;
    ml_sampler *sine, *episodes, *episodes_bad;
    ml_dataset *dataset;
    ml_task *reg, *reg2, *cls, *noquery, *huge;
    ml_task *tasks[2], *tasks_null[2], *tasks_noquery[2], *tasks_shape[2],
        *tasks_huge[2];

    float fbuf[HD_FLOATS], fout[HD_FLOATS], gbuf[HD_FLOATS], pbuf[HD_FLOATS];
    float nan_buf[HD_FLOATS], inf_buf[HD_FLOATS];
    int ibuf[HD_INTS], iout[HD_INTS], neg_labels[HD_INTS], big_labels[HD_INTS];
    double dout[HD_INTS];
    size_t zero_shape[3], huge_shape[3], ovf_shape[3];

    /* Results of the calls: out handles are NULL before each call and
     * freed (after a check that they work) after it. */
    ml_model *o_model;
    ml_task *o_task;
    ml_sampler *o_sampler;
    ml_dataset *o_dataset, *o_dataset2;
    ml_optimizer *o_opt;
    ml_learner *o_learner;
    ml_problems *o_problems;
    double d, d2;
    size_t z, zs[3];
    int k;
    char cbuf[512];
    unsigned char sbuf[HD_SAVE_CAP];

    /* The handle the last call used (set by H()). */
    hd_hkind hkind;
    void *handle;
} hd_fix;

/* Arguments a row may replace: a handle, a key and a value at most. */
enum { HD_MUTS = 3 };

typedef struct hd_case hd_case;
typedef long (*hd_call)(hd_fix *f, const hd_case *c);

struct hd_case {
    const char *fn;       /* the public function's name */
    hd_call call;
    long want;            /* an ml_status, or the value a query returns */
    hd_mut mut[HD_MUTS];
};

/* Files the cases read and write, made once per process. */
void hd_files_make(void);
void hd_files_remove(void);
/* Path of the learner the baseline save writes; a folder of PNG images
 * (two classes); IDX images (labels 0) or labels (1) of three examples. */
const char *hd_save_path(void);
const char *hd_images_dir(void);
const char *hd_idx_path(int labels);
/* Where the baseline optimiser save writes; a saved LSTM optimiser's bytes. */
const char *hd_opt_save_path(void);
const unsigned char *hd_opt_bytes(size_t *size);
/* The bytes of a saved learner (for the buffer loads). */
const unsigned char *hd_saved_bytes(size_t *size);

hd_fix *hd_fix_new(void);
void hd_fix_free(hd_fix *f);
/* Checks that every out handle the call produced works, then frees it. */
void hd_fix_release_outs(hd_fix *f);
/* A successful call on the handle of its kind (a meta-step, a draw...). */
void hd_fix_probe(hd_fix *f);

/* Argument substitution, used through the macros below.  hd_handle
 * replaces pointer argument `slot` and records it as the handle. */
void *hd_handle(hd_fix *f, const hd_case *c, int slot, hd_hkind kind, void *dflt);
void *hd_ptr(hd_fix *f, const hd_case *c, int slot, void *dflt);
size_t hd_size(const hd_case *c, int slot, size_t dflt);
double hd_dbl(const hd_case *c, double dflt);
long hd_int(const hd_case *c, int slot, long dflt);
/* Whether the case replaces pointer `slot` (the handle is slot 0). */
int hd_mutates_ptr(const hd_case *c, int slot);

#define H(kind, dflt) hd_handle(f, c, 0, kind, (void *)(dflt))
/* The handle is another argument (the optimiser of ml_problems_run()). */
#define HS(slot, kind, dflt) hd_handle(f, c, slot, kind, (void *)(dflt))
#define P(slot, dflt) hd_ptr(f, c, slot, (void *)(dflt))
#define S(slot, dflt) hd_size(c, slot, dflt)
#define D(dflt) hd_dbl(c, dflt)
#define I(slot, dflt) hd_int(c, slot, dflt)

/* The table (api_cases.c). */
extern const hd_case hd_cases[];
extern const size_t hd_n_cases;

#endif
