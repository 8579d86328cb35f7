/**
 * @file metalearn.h
 * @brief libmetalearn: meta-learning and few-shot learning in C.
 *
 * This header is the whole public surface of the library.  Conventions:
 *
 * - Every public name starts with `ml_` (functions, types) or `ML_`
 *   (macros, enumeration values).
 * - Handles are opaque: the header declares the types, never their bodies,
 *   so the layout can change without breaking the ABI.
 * - Every fallible call returns an ::ml_status (::ML_OK is 0, errors are
 *   negative), writes its results through pointer arguments (named `out`
 *   where there is one result) and leaves its inputs untouched on failure.
 * - `*_create` / `*_free` pairs; every `*_free(NULL)` is a no-op.  The
 *   library never keeps a pointer to caller memory after a call returns
 *   unless that function's documentation says so.
 * - Error messages: each failing call stores a human-readable message for
 *   the calling thread, read with ml_last_error().  Handles also keep the
 *   message of their own last error (their `*_last_error` function), so a
 *   program that shares nothing between threads never sees another
 *   thread's message.
 * - Thread safety: distinct handles may be used from distinct threads at
 *   the same time; one handle must not be used by two threads at once.
 *
 * The header compiles as C99, C11 and C++ and contains no inline code,
 * macros that callers must run, varargs or public structs, so ctypes, cffi
 * and other foreign-function interfaces can call every function directly.
 */
#ifndef METALEARN_H
#define METALEARN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(ML_BUILDING_LIBRARY)
#define ML_API __declspec(dllexport)
#elif defined(__GNUC__) && defined(ML_BUILDING_LIBRARY)
#define ML_API __attribute__((visibility("default")))
#else
#define ML_API
#endif

/**
 * @brief Marks a declaration as deprecated: compilers warn at each use and
 * print `msg` (which names the replacement).
 *
 * A deprecated function or value keeps working for at least one minor
 * release and is removed only at a major one (docs/stability.md).  Define
 * ML_NO_DEPRECATION before including the header to drop the marks, as a
 * foreign-function interface must when it preprocesses the header (cffi's
 * parser does not read attributes).
 */
#if defined(ML_NO_DEPRECATION)
#define ML_DEPRECATED(msg)
#elif defined(__GNUC__) || defined(__clang__)
#define ML_DEPRECATED(msg) __attribute__((deprecated(msg)))
#elif defined(_MSC_VER)
#define ML_DEPRECATED(msg) __declspec(deprecated(msg))
#else
#define ML_DEPRECATED(msg)
#endif

/** @name Version
 * The version of the header.  Compare with ml_version_number() to detect a
 * program built against one version and run against another.
 * @{ */
#define ML_VERSION_MAJOR 0
#define ML_VERSION_MINOR 1
#define ML_VERSION_PATCH 0
/** The version as one number: major * 10000 + minor * 100 + patch. */
#define ML_VERSION_NUMBER \
    (ML_VERSION_MAJOR * 10000 + ML_VERSION_MINOR * 100 + ML_VERSION_PATCH)
/** @} */

/**
 * @brief The library's version as "MAJOR.MINOR.PATCH".
 * @return A static string owned by the library; never NULL.  Thread-safe.
 */
ML_API const char *ml_version_string(void);

/**
 * @brief The library's version as major * 10000 + minor * 100 + patch.
 * @return The run-time version number (compare with ::ML_VERSION_NUMBER).
 */
ML_API unsigned ml_version_number(void);

/**
 * @brief Status codes.  The values are pinned forever: a code is never
 * renumbered or reused, new codes are added at the end of their range.
 */
typedef enum ml_status {
    ML_OK = 0,                 /**< success */
    ML_ERR_INVALID_ARG = -1,   /**< an argument is NULL, out of range or inconsistent */
    ML_ERR_NOMEM = -2,         /**< memory allocation failed */
    ML_ERR_SHAPE = -3,         /**< array sizes or shapes do not agree */
    ML_ERR_STATE = -4,         /**< the handle is not in a state that allows the call */
    ML_ERR_IO = -5,            /**< a file could not be opened, read or written */
    ML_ERR_FORMAT = -6,        /**< data is not in the expected format (wrong magic, foreign file) */
    ML_ERR_CORRUPT = -7,       /**< data is damaged: bad checksum, truncated, inconsistent */
    ML_ERR_VERSION = -8,       /**< data written by an incompatible version */
    ML_ERR_UNSUPPORTED = -9,   /**< the operation is not supported for this kind of object */
    ML_ERR_NUMERIC = -10,      /**< a computation produced NaN or infinity */
    ML_ERR_RANGE = -11,        /**< an index or size is outside what the object holds */
    ML_ERR_INTERNAL = -12,     /**< an internal invariant failed (a bug: please report it) */
    ML_ERR_CALLBACK = -13      /**< a caller-supplied callback reported a failure */
} ml_status;

/**
 * @brief The name and meaning of a status code, e.g. "ML_ERR_NOMEM: out of memory".
 * @param status Any integer; unknown values give "unknown status".
 * @return A static string owned by the library; never NULL.  Thread-safe.
 */
ML_API const char *ml_status_str(int status);

/**
 * @brief The message of the calling thread's last failed call.
 *
 * Every library call that returns an error stores a message describing it
 * for the calling thread (successful calls leave it alone).
 * @return A string owned by the library, valid until the thread's next
 *         library call; "" if no call has failed.  Never NULL.
 */
ML_API const char *ml_last_error(void);

/** @name Handles
 * Opaque types; create and free them with their `*_create` and `*_free`
 * functions.
 * @{ */
/** A network description and its parameters. */
typedef struct ml_model ml_model;
/** One episode: a support set to adapt on and a query set to measure on. */
typedef struct ml_task ml_task;
/** A source of tasks (sine waves, n-way k-shot episodes from a data set). */
typedef struct ml_sampler ml_sampler;
/** A labelled collection of examples (arrays, image folders, IDX files). */
typedef struct ml_dataset ml_dataset;
/** A model, a meta-learning strategy and their meta-parameters. */
typedef struct ml_learner ml_learner;
/** An update rule: SGD, Adam or a learned LSTM optimiser. */
typedef struct ml_optimizer ml_optimizer;
/** @} */

/* ======================================================================
 * Models
 * ====================================================================== */

/** Layer kinds, as reported by ml_model_layer_kind(). */
typedef enum ml_layer_kind {
    ML_LAYER_DENSE = 1,        /**< fully connected: y = x W + b */
    ML_LAYER_RELU = 2,         /**< max(x, 0) */
    ML_LAYER_TANH = 3,         /**< tanh(x) */
    ML_LAYER_SIGMOID = 4,      /**< 1 / (1 + exp(-x)) */
    ML_LAYER_CONV2D = 5,       /**< 2-D convolution over (channels, height, width) */
    ML_LAYER_MAXPOOL = 6,      /**< max-pooling over square windows */
    ML_LAYER_BATCHNORM = 7,    /**< batch normalisation with the current batch's statistics */
    ML_LAYER_FLATTEN = 8       /**< (channels, height, width) to one vector */
} ml_layer_kind;

/**
 * @brief Creates an empty network description for inputs of the given shape.
 *
 * Layers are appended with the `ml_model_add_*` functions.  A model only
 * describes a network; the parameters live in the learner that is created
 * from it (see ml_learner_create()).
 * @param out Receives the new model; the caller owns it (ml_model_free()).
 * @param ndim Number of input dimensions, 1 to 3 (features; or channels,
 *        height, width for images).
 * @param shape The input shape, `ndim` sizes, each at least 1 (copied).
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG for NULL pointers, a bad ndim or a
 *         zero size; ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_model_create(ml_model **out, size_t ndim, const size_t *shape);

/**
 * @brief Appends a fully connected layer with `units` outputs.
 *
 * The input is flattened to a vector per example first.
 * @param model The model to extend (still owned by the caller).
 * @param units Outputs per example, 1 to 2^24.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG (NULL model, units 0 or over
 *         2^24); ::ML_ERR_NOMEM.  On error the model is unchanged.
 */
ML_API ml_status ml_model_add_dense(ml_model *model, size_t units);

/**
 * @brief Appends an elementwise activation layer.
 * @param model The model to extend.
 * @param kind ::ML_LAYER_RELU, ::ML_LAYER_TANH or ::ML_LAYER_SIGMOID.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG for another kind; ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_model_add_activation(ml_model *model, ml_layer_kind kind);

/**
 * @brief Appends a 2-D convolution (cross-correlation) with `filters`
 * output channels, square `kernel`, `stride` and zero `padding`, and a
 * bias per filter.  The input must have rank 3 (channels, height, width).
 * Weights and biases start uniform in [-1/sqrt(n), 1/sqrt(n)] with
 * n = channels * kernel * kernel.
 * @param model The model to extend.
 * @param filters Output channels, 1 to 4096.
 * @param kernel Kernel height and width, 1 to 15.
 * @param stride At least 1.
 * @param padding Zero padding on every side, less than the kernel.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG (bad sizes, an input of the wrong
 *         rank, an output smaller than 1x1); ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_model_add_conv2d(ml_model *model, size_t filters, size_t kernel,
                                     size_t stride, size_t padding);

/**
 * @brief Appends max-pooling over `size` x `size` windows with stride
 * `size` (a trailing row or column that does not fill a window is dropped).
 * @param model The model to extend; its current output must have rank 3.
 * @param size Window size, at least 1 and at most the height and width.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG; ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_model_add_maxpool(ml_model *model, size_t size);

/**
 * @brief Appends batch normalisation per channel (rank 3) or per feature
 * (rank 1) with the statistics of the current batch, at training and at
 * test time (as MAML does), epsilon 1e-5, and a learned scale (starting
 * at 1) and shift (starting at 0).
 * @param model The model to extend.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG; ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_model_add_batchnorm(ml_model *model);

/**
 * @brief Appends a layer that flattens (channels, height, width) into one
 * vector per example (dense layers also do this implicitly).
 * @param model The model to extend.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG; ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_model_add_flatten(ml_model *model);

/**
 * @brief Convenience: the Conv-4 backbone of the few-shot literature.
 *
 * `blocks` blocks of [3x3 convolution with `filters` filters and padding
 * 1, batch normalisation, ReLU, 2x2 max-pooling] on (channels, height,
 * width) inputs, then a flatten; with `n_out` > 0 a final dense layer of
 * `n_out` outputs (for the gradient-based learners: the number of ways).
 * Conv-4 on 28x28x1 Omniglot images is (1, 28, 28, 64, 4, 0): a 64-d
 * embedding.  A block whose input is smaller than 2x2 skips its pooling.
 * @param out Receives the model; the caller owns it.
 * @param channels Input channels.
 * @param height Input height.
 * @param width Input width.
 * @param filters Filters per block (64 in the papers).
 * @param blocks Number of blocks (4 in the papers), 1 to 16.
 * @param n_out Outputs of the final dense layer, or 0 for none.
 * @return As ml_model_create() and the `ml_model_add_*` functions.
 */
ML_API ml_status ml_model_create_conv4(ml_model **out, size_t channels, size_t height,
                                       size_t width, size_t filters, size_t blocks,
                                       size_t n_out);

/**
 * @brief Convenience: a Conv-4 backbone that ends with feature maps, for
 * the relation network's convolutional relation module.
 *
 * `blocks` blocks of [3x3 convolution with `filters` filters and padding
 * 1, batch normalisation, ReLU], the first `pooled` of them followed by a
 * 2x2 max-pooling (skipped when a block's output is smaller than 2x2); no
 * flatten and no dense layer, so the output is `filters` maps.  The
 * relation network of Sung et al. (2018) on 28x28x1 Omniglot images is
 * (1, 28, 28, 64, 4, 2): 64 maps of 7x7.  With `pooled` = `blocks` the
 * layers are those of ml_model_create_conv4() without its flatten.
 * @param out Receives the model; the caller owns it.
 * @param channels Input channels.
 * @param height Input height.
 * @param width Input width.
 * @param filters Filters per block (64 in the paper).
 * @param blocks Number of blocks (4 in the paper), 1 to 16.
 * @param pooled Number of leading blocks that max-pool (2 in the paper),
 *        0 to `blocks`.
 * @return As ml_model_create() and the `ml_model_add_*` functions;
 *         ::ML_ERR_INVALID_ARG for `blocks` or `pooled` out of range.
 */
ML_API ml_status ml_model_create_conv4_maps(ml_model **out, size_t channels, size_t height,
                                            size_t width, size_t filters, size_t blocks,
                                            size_t pooled);

/**
 * @brief Convenience: a model for `n_in` inputs with dense layers of the
 * given sizes and the activation `act` after every layer but the last.
 *
 * ml_model_create_mlp(&m, 1, 3, (size_t[]){40, 40, 1}, ML_LAYER_RELU) is
 * the 1-40-40-1 ReLU network of the MAML sine experiments.
 * @param n_in Inputs per example.
 * @param n_layers Number of dense layers (at least 1).
 * @param sizes `n_layers` output sizes (copied).
 * @param act ::ML_LAYER_RELU, ::ML_LAYER_TANH or ::ML_LAYER_SIGMOID.
 * @param out Receives the model; the caller owns it.
 * @return As ml_model_create() and ml_model_add_dense().
 */
ML_API ml_status ml_model_create_mlp(ml_model **out, size_t n_in, size_t n_layers,
                                     const size_t *sizes, ml_layer_kind act);

/** @brief Frees a model.  NULL is a no-op. */
ML_API void ml_model_free(ml_model *model);

/** @brief Number of layers (0 for NULL). */
ML_API size_t ml_model_num_layers(const ml_model *model);

/** @brief Kind of layer `i`, or 0 if `i` is out of range or model is NULL. */
ML_API int ml_model_layer_kind(const ml_model *model, size_t i);

/** @brief Number of inputs per example (product of the input shape); 0 for NULL. */
ML_API size_t ml_model_input_size(const ml_model *model);

/** @brief Number of outputs per example of the last layer; 0 for NULL or an
 * empty model. */
ML_API size_t ml_model_output_size(const ml_model *model);

/** @brief Number of trainable parameters (weights and biases); 0 for NULL. */
ML_API size_t ml_model_num_params(const ml_model *model);

/**
 * @brief A one-line description, e.g. "in 1 | dense 40 | relu | dense 1".
 * @param model The model.
 * @param cap Size of `buf` in bytes.
 * @param buf Caller buffer of `cap` bytes, always NUL-terminated when cap > 0;
 *        may be NULL with cap 0 to query the length.
 * @param out_len Receives the full length without the NUL (may be NULL).
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG for a NULL model; ::ML_ERR_RANGE if
 *         the text was cut to fit (the buffer still holds its start).
 */
ML_API ml_status ml_model_describe(const ml_model *model, char *buf, size_t cap,
                                   size_t *out_len);

/** @brief The model's last error message; "" if none, never NULL (also for NULL).
 * The string is borrowed from the model: valid until the model is freed,
 * overwritten by its next failing call. */
ML_API const char *ml_model_last_error(const ml_model *model);

/* ======================================================================
 * Tasks
 * ====================================================================== */

/** Which half of a task. */
typedef enum ml_set {
    ML_SUPPORT = 0,            /**< the examples to adapt on */
    ML_QUERY = 1               /**< the examples to measure or predict on */
} ml_set;

/**
 * @brief A regression task from caller arrays (copied).
 *
 * Inputs are row-major, `input_size` floats per example; targets
 * `output_size` floats per example.  The query set may be empty
 * (n_query 0, x_query and y_query NULL) for a task used only to adapt.
 * @param input_size Floats per input example (at least 1).
 * @param output_size Floats per target (at least 1).
 * @param n_support Support examples (at least 1).
 * @param x_support `n_support * input_size` floats.
 * @param y_support `n_support * output_size` floats.
 * @param n_query Query examples (may be 0).
 * @param x_query `n_query * input_size` floats, or NULL when n_query is 0.
 * @param y_query `n_query * output_size` floats, or NULL when n_query is 0.
 * @param out Receives the task; the caller owns it (ml_task_free()).
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG (NULL out, a NULL array with a
 *         non-zero count, zero sizes, n_support 0); ::ML_ERR_NUMERIC for a
 *         non-finite value; ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_task_create_regression(ml_task **out, size_t input_size,
                                           size_t output_size, size_t n_support,
                                           const float *x_support,
                                           const float *y_support, size_t n_query,
                                           const float *x_query,
                                           const float *y_query);

/**
 * @brief A classification task (an N-way episode) from caller arrays (copied).
 *
 * Labels are 0..n_ways-1 inside the task.
 * @param out Receives the task; the caller owns it (ml_task_free()).
 * @param input_size Floats per input example (at least 1).
 * @param n_ways Number of classes (at least 1).
 * @param n_support Support examples (at least 1).
 * @param x_support `n_support * input_size` floats.
 * @param labels_support `n_support` labels, each in 0..n_ways-1.
 * @param n_query Query examples (may be 0).
 * @param x_query `n_query * input_size` floats, or NULL when n_query is 0.
 * @param labels_query `n_query` labels, or NULL when n_query is 0.
 * @return As ml_task_create_regression(), and ::ML_ERR_RANGE for a label
 *         outside 0..n_ways-1.
 */
ML_API ml_status ml_task_create_classification(ml_task **out, size_t input_size,
                                               size_t n_ways, size_t n_support,
                                               const float *x_support,
                                               const int *labels_support,
                                               size_t n_query, const float *x_query,
                                               const int *labels_query);

/** @brief Frees a task.  NULL is a no-op. */
ML_API void ml_task_free(ml_task *task);

/** @brief Number of examples in one half of the task (0 for NULL). */
ML_API size_t ml_task_size(const ml_task *task, ml_set set);

/** @brief Floats per input example (0 for NULL). */
ML_API size_t ml_task_input_size(const ml_task *task);

/** @brief Floats per target (regression) or classes (classification); 0 for NULL. */
ML_API size_t ml_task_output_size(const ml_task *task);

/** @brief Number of classes for a classification task, 0 for regression or NULL. */
ML_API size_t ml_task_num_ways(const ml_task *task);

/**
 * @brief Copies the inputs of one half into `out` (size * input_size floats).
 * @param task The task.
 * @param set ::ML_SUPPORT or ::ML_QUERY.
 * @param out Caller buffer.
 * @param count Capacity of `out` in floats.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG for NULL pointers or a bad set;
 *         ::ML_ERR_SHAPE if `count` is not exactly the number of floats.
 */
ML_API ml_status ml_task_get_inputs(const ml_task *task, ml_set set, float *out,
                                    size_t count);

/** @brief Copies the regression targets of one half (size * output_size
 * floats).  ::ML_ERR_UNSUPPORTED for a classification task; otherwise as
 * ml_task_get_inputs(). */
ML_API ml_status ml_task_get_targets(const ml_task *task, ml_set set, float *out,
                                     size_t count);

/** @brief Copies the labels of one half of a classification task.
 * ::ML_ERR_UNSUPPORTED for a regression task; otherwise as ml_task_get_inputs(). */
ML_API ml_status ml_task_get_labels(const ml_task *task, ml_set set, int *out,
                                    size_t count);

/* ======================================================================
 * Task samplers
 * ====================================================================== */

/** Sampler parameters, for ml_sampler_set() / ml_sampler_get(). */
typedef enum ml_sampler_param {
    ML_SAMPLER_SHOTS = 1,      /**< support examples per task (per class for classification) */
    ML_SAMPLER_QUERIES = 2,    /**< query examples per task (per class for classification) */
    ML_SAMPLER_WAYS = 3,       /**< classes per episode (classification) */
    ML_SAMPLER_ROTATIONS = 4,  /**< episodes: 1 to add 90/180/270-degree rotations as new classes; default 0 */
    ML_SAMPLER_SHIFT = 5,      /**< episodes: move each example by a random whole number of pixels, up to this many each way; default 0 */
    ML_SAMPLER_AMP_MIN = 100,  /**< sine: amplitude range, default [0.1, 5.0] */
    ML_SAMPLER_AMP_MAX = 101,
    ML_SAMPLER_PHASE_MIN = 102, /**< sine: phase range, default [0, pi] */
    ML_SAMPLER_PHASE_MAX = 103,
    ML_SAMPLER_X_MIN = 104,    /**< sine: input range, default [-5, 5] */
    ML_SAMPLER_X_MAX = 105
} ml_sampler_param;

/**
 * @brief A sampler of sine-wave regression tasks y = A sin(x - phase), with
 * A, phase and x uniform over their ranges (the MAML paper's
 * distribution: A in [0.1, 5], phase in [0, pi], x in [-5, 5]; 10 shots and
 * 10 queries by default).
 * @param out Receives the sampler; the caller owns it (ml_sampler_free()).
 * @param seed Seed of the sampler's own random number generator.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG; ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_sampler_create_sine(ml_sampler **out, uint64_t seed);

/**
 * @brief A sampler of N-way K-shot episodes from a data set.
 *
 * Each episode draws ::ML_SAMPLER_WAYS classes (default 5) without
 * replacement, then ::ML_SAMPLER_SHOTS support and ::ML_SAMPLER_QUERIES
 * query examples (defaults 1 and 15) from each class, all distinct; labels
 * are 0..N-1 in the order the classes were drawn.  With
 * ::ML_SAMPLER_ROTATIONS set to 1, every class also appears rotated by 90,
 * 180 and 270 degrees as three new classes (square images only), as in
 * the usual Omniglot meta-training.  With ::ML_SAMPLER_SHIFT set to S > 0
 * (a whole number below the images' side; square images only), every
 * example drawn, support and query, is then moved by dy rows and dx
 * columns, each uniform in -S..S and drawn from the sampler's stream, with
 * zeros where it moves in from outside: data augmentation for
 * meta-training (not in the papers' setups; off by default, and episodes
 * without it are the same as before it existed).
 * @param out Receives the sampler; the caller owns it.
 * @param dataset Its data is shared, not copied; the data set may be freed
 *        before the sampler.
 * @param seed Seed of the sampler's own generator.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG; ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_sampler_create_episodes(ml_sampler **out, const ml_dataset *dataset,
                                            uint64_t seed);

/**
 * @brief Sets a sampler parameter.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG for a NULL sampler, a key this kind
 *         of sampler does not have, a non-finite value, a count that is not
 *         a whole number (shots and ways at least 1, queries at least 0 —
 *         tasks without queries serve only to adapt), a range whose
 *         minimum would exceed its maximum, rotations other than 0 or 1, a
 *         shift outside 0..side-1, or rotations or a shift on images that
 *         are not square; ::ML_ERR_NOMEM if a shift's scratch space cannot
 *         be allocated.  On failure the sampler keeps its settings.
 */
ML_API ml_status ml_sampler_set(ml_sampler *sampler, ml_sampler_param key, double value);

/** @brief Reads a sampler parameter into `*out`; errors as ml_sampler_set(). */
ML_API ml_status ml_sampler_get(const ml_sampler *sampler, ml_sampler_param key,
                                double *out);

/** @brief Restarts the sampler's random stream from `seed`.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG for a NULL sampler. */
ML_API ml_status ml_sampler_reseed(ml_sampler *sampler, uint64_t seed);

/**
 * @brief Draws a new task.
 * @param sampler The sampler; its random stream advances.
 * @param out Receives the task; the caller owns it (ml_task_free()).
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG; ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_sampler_sample(ml_sampler *sampler, ml_task **out);

/** @brief Frees a sampler.  NULL is a no-op. */
ML_API void ml_sampler_free(ml_sampler *sampler);

/** @brief The sampler's last error message; "" if none, never NULL (also
 * for NULL).  Borrowed from the sampler: valid until it is freed,
 * overwritten by its next failing call. */
ML_API const char *ml_sampler_last_error(const ml_sampler *sampler);

/* ======================================================================
 * Data sets (labelled examples for few-shot classification)
 * ====================================================================== */

/** Rules for ml_dataset_split(). */
typedef enum ml_split_rule {
    ML_SPLIT_GROUPS = 1,       /**< the classes whose group (Omniglot: alphabet) is listed in `spec` */
    ML_SPLIT_CLASSES = 2,      /**< the classes whose name is listed in `spec` */
    ML_SPLIT_FRACTION = 3      /**< a seeded random fraction of the classes: `spec` is e.g. "0.8" */
} ml_split_rule;

/**
 * @brief A data set from caller arrays (copied).
 * @param out Receives the data set; the caller owns it (ml_dataset_free()).
 * @param n Number of examples (at least 1).
 * @param ndim Rank of one example, 1 to 3 (features; or channels, height, width).
 * @param shape The shape of one example, `ndim` sizes.
 * @param x `n` examples, row-major, each of the shape's product of floats.
 * @param labels `n` class labels, each >= 0; classes are named by their
 *        number ("0", "1", ...) and have no group.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG (NULL pointers, zero sizes, a
 *         negative label); ::ML_ERR_NUMERIC for a non-finite value;
 *         ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_dataset_create(ml_dataset **out, size_t n, size_t ndim,
                                   const size_t *shape, const float *x,
                                   const int *labels);

/**
 * @brief Loads a directory of PNG images in the Omniglot layout.
 *
 * Every directory that directly holds `.png` files is one class, named by
 * its path below `dir` (e.g. "Greek/character03"); the class's group is the
 * first component of that path (the alphabet).  Any depth of grouping
 * works: `dir/<alphabet>/<character>/<image>.png` as Omniglot ships, or
 * `dir/<class>/<image>.png` (group = class).  Classes are sorted by name
 * and images by file name, so the result is the same on every machine.
 * Images are decoded with libpng (any bit depth, grey or colour, which is
 * converted to grey luminance), scaled to [0, 1], inverted (1 - v, so
 * Omniglot's dark strokes on white become 1 on 0) when `invert` is
 * non-zero, and resized to `size` x `size` with an area (box) filter: each
 * output pixel is the mean of the input area it covers, with fractional
 * pixels weighted by their overlap.
 * @param out Receives the data set; the caller owns it.
 * @param dir The root directory.
 * @param size Output height and width in pixels (28 for the usual
 *        benchmarks), 1 to 1024.
 * @param invert Non-zero to invert intensities.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG; ::ML_ERR_IO (unreadable
 *         directory or file); ::ML_ERR_FORMAT (a `.png` file that is not a
 *         valid PNG, or no PNG found); ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_dataset_load_images(ml_dataset **out, const char *dir, size_t size,
                                        int invert);

/**
 * @brief Loads images and labels in the IDX format of MNIST and
 * Fashion-MNIST, gzip-compressed or not (detected from the content).
 *
 * Images must be unsigned bytes of rank 3 (count, rows, columns), scaled to
 * [0, 1]; labels unsigned bytes of rank 1 with the same count.  Classes
 * are the label values present, named by their number.
 * @param out Receives the data set; the caller owns it.
 * @param images_path The images file (e.g. train-images-idx3-ubyte.gz).
 * @param labels_path The labels file.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG; ::ML_ERR_IO; ::ML_ERR_FORMAT
 *         (wrong magic number, type or rank, absurd or inconsistent sizes,
 *         truncated data); ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_dataset_load_idx(ml_dataset **out, const char *images_path,
                                     const char *labels_path);

/** @brief Frees a data set.  NULL is a no-op.  Samplers made from it keep
 * working: they hold their own reference to the data. */
ML_API void ml_dataset_free(ml_dataset *dataset);

/** @brief Number of examples (0 for NULL). */
ML_API size_t ml_dataset_size(const ml_dataset *dataset);

/** @brief Number of classes (0 for NULL). */
ML_API size_t ml_dataset_num_classes(const ml_dataset *dataset);

/** @brief Floats per example (0 for NULL). */
ML_API size_t ml_dataset_input_size(const ml_dataset *dataset);

/**
 * @brief The shape of one example.
 * @param dataset The data set.
 * @param out_ndim Receives the rank (1 to 3).
 * @param shape Receives the sizes; room for 3.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG for NULL pointers.
 */
ML_API ml_status ml_dataset_shape(const ml_dataset *dataset, size_t *out_ndim,
                                  size_t *shape);

/** @brief Name of class `i`, borrowed from the data set (valid until it is
 * freed); NULL if out of range. */
ML_API const char *ml_dataset_class_name(const ml_dataset *dataset, size_t i);

/** @brief Group of class `i` (Omniglot: the alphabet), borrowed from the
 * data set (valid until it is freed); NULL if out of range or for NULL. */
ML_API const char *ml_dataset_class_group(const ml_dataset *dataset, size_t i);

/**
 * @brief Copies example `i` into `x` and its class index into `*label`.
 * @param dataset The data set.
 * @param i Example index.
 * @param x Receives the example (`count` floats, exactly the input size).
 * @param count Capacity of `x` in floats.
 * @param label Receives the class index (0..classes-1); may be NULL.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG; ::ML_ERR_RANGE for `i` out of
 *         range; ::ML_ERR_SHAPE for a wrong count.
 */
ML_API ml_status ml_dataset_get(const ml_dataset *dataset, size_t i, float *x,
                                size_t count, int *label);

/**
 * @brief Splits the classes in two by a named rule: the classes the rule
 * selects (and all their examples) go to `out_selected`, the others to
 * `out_rest`.
 *
 * The result depends only on the data set, the rule, `spec` and `seed`,
 * never on the machine: classes keep their sorted order, and
 * ::ML_SPLIT_FRACTION shuffles the sorted class list with the library's
 * own generator seeded with `seed`, then takes round(fraction * classes).
 * @param dataset The data set (not changed).
 * @param rule An ::ml_split_rule.
 * @param spec Comma-separated group or class names, or a fraction in (0, 1).
 * @param seed Used by ::ML_SPLIT_FRACTION only.
 * @param out_selected Receives the selected classes (caller owns); may be NULL.
 * @param out_rest Receives the other classes (caller owns); may be NULL.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG (bad rule or spec, a listed name
 *         that does not exist, an empty side); ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_dataset_split(const ml_dataset *dataset, ml_split_rule rule,
                                  const char *spec, uint64_t seed,
                                  ml_dataset **out_selected, ml_dataset **out_rest);

/** @brief The data set's last error message; "" if none, never NULL (also
 * for NULL).  Borrowed from the data set: valid until it is freed,
 * overwritten by its next failing call. */
ML_API const char *ml_dataset_last_error(const ml_dataset *dataset);

/* ======================================================================
 * Optimisers
 * ====================================================================== */

/** Kinds of update rule. */
typedef enum ml_optimizer_kind {
    ML_OPTIMIZER_SGD = 1,      /**< SGD with optional (Nesterov) momentum */
    ML_OPTIMIZER_ADAM = 2,     /**< Adam (Kingma and Ba), bias-corrected */
    ML_OPTIMIZER_RMSPROP = 3,  /**< RMSprop (Tieleman and Hinton) */
    ML_OPTIMIZER_LSTM = 4      /**< the learned coordinatewise LSTM optimiser (Andrychowicz et al. 2016) */
} ml_optimizer_kind;

/** Optimiser hyperparameters, for ml_optimizer_set() / ml_optimizer_get(). */
typedef enum ml_optimizer_param {
    ML_OPT_LR = 1,             /**< learning rate; default 0.01 (SGD, RMSprop), 0.001 (Adam) */
    ML_OPT_MOMENTUM = 2,       /**< SGD momentum in [0, 1); default 0 */
    ML_OPT_NESTEROV = 3,       /**< SGD: 1 for Nesterov momentum; default 0 */
    ML_OPT_BETA1 = 4,          /**< Adam; default 0.9 */
    ML_OPT_BETA2 = 5,          /**< Adam; default 0.999 */
    ML_OPT_EPS = 6,            /**< Adam, RMSprop; default 1e-8 */
    ML_OPT_WEIGHT_DECAY = 7,   /**< L2 penalty added to the gradient; default 0 */
    ML_OPT_RMS_DECAY = 8,      /**< RMSprop smoothing constant; default 0.99 */
    /* The learned LSTM optimiser (::ML_OPTIMIZER_LSTM) only: */
    ML_OPT_LSTM_HIDDEN = 20,       /**< hidden units per LSTM layer, 1..1024; default 20.  Setting it re-initialises the weights */
    ML_OPT_LSTM_PREPROCESS = 21,   /**< 1 (default): log/sign gradient preprocessing (p = 10); 0: the raw gradient.  Setting it re-initialises the weights */
    ML_OPT_LSTM_OUTPUT_SCALE = 22, /**< factor on the network's output, > 0; default 0.1 */
    ML_OPT_LSTM_HORIZON = 23,      /**< meta-training: trajectory length T in steps; default 100 */
    ML_OPT_LSTM_UNROLL = 24,       /**< meta-training: steps per truncated back-propagation U, >= 1 (cut at the horizon); default 20 */
    ML_OPT_LSTM_META_LR = 25,      /**< meta-training: Adam learning rate on the LSTM weights; default 0.003 */
    ML_OPT_LSTM_PROBLEMS = 26,     /**< meta-training: problems optimised side by side per outer step; default 128 */
    ML_OPT_LSTM_EXACT = 27,        /**< meta-training: 1 keeps the objective's second derivatives (built-in families only); default 0 drops them as the paper does */
    ML_OPT_LSTM_LOSS_POWER = 28,   /**< meta-training: the loss at step t of T is weighted by (t / T)^power, >= 0; default 0 (plain sum) */
    ML_OPT_LSTM_SEED = 29,         /**< seed (a whole number) of the weights and of the problems drawn; setting it re-initialises the weights; default 1 */
    ML_OPT_LSTM_META_STEPS = 30    /**< meta-training steps done so far (read-only) */
} ml_optimizer_param;

/**
 * @brief Creates an optimiser of the given kind with default hyperparameters.
 * @param kind An ::ml_optimizer_kind.
 * @param out Receives it; the caller owns it (ml_optimizer_free()).
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG for an unknown kind; ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_optimizer_create(ml_optimizer **out, ml_optimizer_kind kind);

/**
 * @brief Sets a hyperparameter.  Takes effect at the next step; the state
 * (moments) is kept.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG for a NULL optimiser, a key the kind
 *         does not use, or a value out of range (learning rate <= 0 or not
 *         finite, betas outside [0, 1), ...).
 */
ML_API ml_status ml_optimizer_set(ml_optimizer *opt, ml_optimizer_param key, double value);

/** @brief Reads a hyperparameter into `*out`; errors as ml_optimizer_set(). */
ML_API ml_status ml_optimizer_get(const ml_optimizer *opt, ml_optimizer_param key,
                                  double *out);

/** @brief The optimiser's kind, or 0 for NULL. */
ML_API int ml_optimizer_kind_of(const ml_optimizer *opt);

/**
 * @brief One update of `n` parameters in place from their gradients.
 *
 * The first call fixes the number of parameters; the optimiser keeps its
 * state (momentum, moments; the LSTM's hidden state per coordinate)
 * between calls until ml_optimizer_reset().  The learned LSTM optimiser
 * adds its network's output to each parameter (no learning rate).
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG for NULL pointers or n 0;
 *         ::ML_ERR_SHAPE if n differs from the first call's;
 *         ::ML_ERR_NUMERIC if a gradient is not finite (params unchanged);
 *         ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_optimizer_step(ml_optimizer *opt, size_t n, float *params,
                                   const float *grads);

/** @brief Clears the state (moments, step count) so the next step starts afresh.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG for a NULL optimiser. */
ML_API ml_status ml_optimizer_reset(ml_optimizer *opt);

/** @brief Frees an optimiser.  NULL is a no-op. */
ML_API void ml_optimizer_free(ml_optimizer *opt);

/** @brief The optimiser's last error message; "" if none, never NULL
 * (also for NULL).  Borrowed from the optimiser: valid until it is freed,
 * overwritten by its next failing call. */
ML_API const char *ml_optimizer_last_error(const ml_optimizer *opt);

/* ======================================================================
 * The learned optimiser and the problem families it learns on
 * ====================================================================== */

/**
 * @brief A family of optimisation problems: the learned optimiser is
 * meta-trained on problems drawn from it and compared with hand-designed
 * optimisers on fresh ones.
 *
 * A family is read-only after creation: one family may be used by several
 * optimisers and threads at once.  Every problem in a family has the same
 * number of parameters (ml_problems_dim()).  A problem is identified by a
 * 64-bit seed: the same seed gives the same problem, starting point and
 * (for the MLP family) mini-batches.
 */
typedef struct ml_problems ml_problems;

/**
 * @brief Random quadratics f(theta) = ||W theta - y||^2 with W [dim, dim]
 * and y [dim] drawn from N(0, 1), starting at theta ~ N(0, 0.01^2).
 * @param out Receives the family; the caller owns it (ml_problems_free()).
 * @param dim Parameters per problem, 1..4096 (the paper uses 10).
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG; ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_problems_create_quadratic(ml_problems **out, size_t dim);

/**
 * @brief Training a small classifier: an MLP with one hidden layer of
 * `hidden` sigmoid units and a softmax output over the data set's classes,
 * on mini-batches of `batch` examples drawn (with replacement across steps)
 * from `data`, with cross-entropy loss.  Weights start uniform in
 * [-1/sqrt(n), 1/sqrt(n)] for n inputs per unit, biases at 0.  Inputs are
 * the data set's pixel values as stored (0..1 for loaded images).
 * The paper's set-up is hidden 20, batch 128 on MNIST-like images
 * (Fashion-MNIST through ml_dataset_load_idx()).
 * @param out Receives the family; the caller owns it (ml_problems_free()).
 * @param data The family keeps its own reference to the examples: the
 *        data set handle may be freed at once.
 * @param hidden Hidden sigmoid units.
 * @param batch Examples per mini-batch.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG (NULL, hidden or batch 0 or over
 *         2^16, a data set with fewer than 2 classes); ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_problems_create_mlp(ml_problems **out, const ml_dataset *data,
                                        size_t hidden, size_t batch);

/**
 * @brief Makes one problem of a caller's family.
 * @param user The `user` pointer given to ml_problems_create_callback().
 * @param seed Identifies the problem: the same seed must give the same
 *        problem and starting point.
 * @param n Parameters per problem.
 * @param theta0 Receives the `n` starting parameters.
 * @param problem Receives the caller's handle of the problem (any value,
 *        passed back to the objective and to release).
 * @return 0 on success, anything else for failure (reported as
 *         ::ML_ERR_CALLBACK).
 */
typedef int (*ml_problem_sample_fn)(void *user, uint64_t seed, size_t n, float *theta0,
                                    void **problem);

/**
 * @brief The objective of one problem of a caller's family: its value at
 * `theta` into `*value` and its gradient into `grad` (`n` floats).
 * Called once per optimisation step.  Stochastic objectives (mini-batches)
 * are allowed.
 * @return 0 on success, anything else for failure (::ML_ERR_CALLBACK).
 */
typedef int (*ml_problem_objective_fn)(void *user, void *problem, size_t n,
                                       const float *theta, float *grad, double *value);

/** @brief Releases a problem made by the sample callback. */
typedef void (*ml_problem_release_fn)(void *user, void *problem);

/**
 * @brief A family defined by the caller: a sampler that makes problems and
 * an objective that returns value and gradient.  Only first derivatives
 * are needed: the learned optimiser is meta-trained with the objective's
 * second derivatives dropped (::ML_OPT_LSTM_EXACT is unsupported here).
 * The callbacks are called from the thread that calls
 * ml_optimizer_meta_step() or ml_problems_run(); they must be safe to call
 * from several threads if the family is used from several threads.
 * @param out Receives the family; the caller owns it (ml_problems_free()).
 * @param n_params Parameters per problem, 1..2^26.
 * @param sample Makes a problem (required).
 * @param objective Value and gradient of a problem (required).
 * @param release May be NULL when problems need no release.
 * @param user Passed to every callback; not touched by the library.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG; ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_problems_create_callback(ml_problems **out, size_t n_params,
                                             ml_problem_sample_fn sample,
                                             ml_problem_objective_fn objective,
                                             ml_problem_release_fn release, void *user);

/** @brief Parameters per problem of the family; 0 for NULL. */
ML_API size_t ml_problems_dim(const ml_problems *problems);

/**
 * @brief Optimises the problem `seed` of the family with `opt` for `steps`
 * steps from its starting point and records the objective.
 *
 * The optimiser is reset first (its hyperparameters, and an LSTM
 * optimiser's weights, are kept).  losses[0] is the objective at the start
 * and losses[s] after s updates, so `losses` holds steps + 1 values; the
 * same seed gives the same problem for every optimiser, which makes this
 * the call for fair comparisons.
 * @param problems The family (read-only; may be shared between threads).
 * @param opt Any kind of optimiser; its state is overwritten.
 * @param seed The problem.
 * @param steps Optimisation steps, >= 1.
 * @param losses steps + 1 doubles, written.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG (NULL, steps 0); ::ML_ERR_NUMERIC
 *         (the objective or a gradient became NaN or infinite: the losses
 *         up to there are written, the rest set to NaN);
 *         ::ML_ERR_CALLBACK; ::ML_ERR_NOMEM.  The message is in
 *         ml_optimizer_last_error(opt) and ml_last_error().
 */
ML_API ml_status ml_problems_run(const ml_problems *problems, ml_optimizer *opt,
                                 uint64_t seed, size_t steps, double *losses);

/** @brief Releases the caller's handle of a family; it is freed when no
 * optimiser holds problems of it any more.  NULL is a no-op. */
ML_API void ml_problems_free(ml_problems *problems);

/**
 * @brief One meta-training step of a learned LSTM optimiser by truncated
 * back-propagation through time.
 *
 * The optimiser keeps ::ML_OPT_LSTM_PROBLEMS problems of the family in
 * flight; this call runs them ::ML_OPT_LSTM_UNROLL steps further with the
 * current weights, back-propagates the meta-loss (the weighted sum of the
 * objectives along those steps, averaged over the problems) into the
 * weights and updates them with Adam.  After ::ML_OPT_LSTM_HORIZON steps
 * the problems are replaced by fresh ones drawn from the optimiser's seed.
 * The trajectories in flight are not saved: a loaded optimiser starts
 * fresh ones.  Changing the family between calls also starts fresh ones.
 * The optimiser keeps a reference to the family while problems are in
 * flight (until the family changes or the optimiser is freed), so the
 * caller may free its handle at any time; a callback family's release
 * callback may be called until then.
 * @param opt An ::ML_OPTIMIZER_LSTM optimiser.
 * @param problems The family to learn on (borrowed for the call).
 * @param out_loss Receives the mean objective over the unrolled steps and
 *        problems before the update (may be NULL).
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG (NULL); ::ML_ERR_UNSUPPORTED (not
 *         an LSTM optimiser; exact mode on a callback family);
 *         ::ML_ERR_NUMERIC (a non-finite objective or meta-gradient: the
 *         weights are left as they were and the trajectories restart);
 *         ::ML_ERR_CALLBACK; ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_optimizer_meta_step(ml_optimizer *opt, const ml_problems *problems,
                                        double *out_loss);

/**
 * @brief Number of learned weights: 0 for the hand-designed kinds; for the
 * LSTM, (in + H) 4H + 4H + 2H 4H + 4H + H + 1 with H hidden units and
 * in = 2 with preprocessing, 1 without.
 */
ML_API size_t ml_optimizer_num_weights(const ml_optimizer *opt);

/**
 * @brief Copies the learned weights into `out` (`n` floats, n =
 * ml_optimizer_num_weights()).  Layout: layer 1 W [in + H, 4H] (rows:
 * inputs then previous hidden state; columns: input, forget, cell and
 * output gates) and b [4H], layer 2 the same with 2H rows, then the output
 * layer W [H, 1] and b [1].
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG; ::ML_ERR_SHAPE (n differs).
 */
ML_API ml_status ml_optimizer_get_weights(const ml_optimizer *opt, float *out, size_t n);

/** @brief Replaces the learned weights (layout as ml_optimizer_get_weights())
 * and clears the hidden and meta-training state; errors as there, and
 * ::ML_ERR_NUMERIC for a non-finite weight (nothing changed). */
ML_API ml_status ml_optimizer_set_weights(ml_optimizer *opt, const float *w, size_t n);

/**
 * @brief Saves an optimiser (kind, hyperparameters, learned weights and
 * their meta-training state) in the library's file format, through a
 * temporary file and a rename like ml_learner_save().  The per-parameter
 * state of ml_optimizer_step() is not saved.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG; ::ML_ERR_IO; ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_optimizer_save(const ml_optimizer *opt, const char *path);

/** @brief Serialises an optimiser into a caller buffer; `buf` may be NULL
 * with cap 0 to ask the size.  Errors as ml_learner_save_buffer(). */
ML_API ml_status ml_optimizer_save_buffer(const ml_optimizer *opt, void *buf, size_t cap,
                                          size_t *out_size);

/**
 * @brief Loads an optimiser saved by ml_optimizer_save().
 * @param out Receives it; the caller owns it.
 * @param path File written by ml_optimizer_save().
 * @return As ml_learner_load(): ::ML_ERR_IO, ::ML_ERR_FORMAT (not an
 *         optimiser file), ::ML_ERR_VERSION, ::ML_ERR_CORRUPT,
 *         ::ML_ERR_NOMEM.  Never crashes on bad data.
 */
ML_API ml_status ml_optimizer_load(ml_optimizer **out, const char *path);

/** @brief Loads an optimiser from `size` bytes at `buf` (not kept); errors
 * as ml_optimizer_load(). */
ML_API ml_status ml_optimizer_load_buffer(ml_optimizer **out, const void *buf, size_t size);

/* ======================================================================
 * Learners
 * ====================================================================== */

/** Meta-learning strategies: the second argument of ml_learner_create(). */
typedef enum ml_strategy {
    ML_STRATEGY_MAML = 1,      /**< MAML, exact second order through every inner step */
    ML_STRATEGY_FOMAML = 2,    /**< first-order MAML */
    ML_STRATEGY_REPTILE = 3,   /**< Reptile */
    ML_STRATEGY_METASGD = 4,   /**< Meta-SGD: per-parameter inner step sizes, meta-learned */
    ML_STRATEGY_JOINT = 5,     /**< baseline: trained on all tasks jointly, fine-tuned at test */
    ML_STRATEGY_LSTM = 6,      /**< MAML whose inner update is a learned LSTM optimiser, meta-learned with the initialisation */
    ML_STRATEGY_PROTONET = 10, /**< prototypical network: nearest class mean, squared Euclidean */
    ML_STRATEGY_SIAMESE = 11,  /**< siamese network: L1-distance head on pairs, binary cross-entropy */
    ML_STRATEGY_RELATION = 12, /**< relation network: a learned relation module, MSE to one-hot */
    ML_STRATEGY_MATCHING = 13  /**< matching network: softmax attention over the support set by cosine similarity, no full-context embeddings */
} ml_strategy;

/** Learner parameters, for ml_learner_set() / ml_learner_get(). */
typedef enum ml_learner_param {
    ML_LEARNER_INNER_LR = 1,       /**< inner-loop step size alpha; default 0.01 */
    ML_LEARNER_INNER_STEPS = 2,    /**< inner steps in meta-training; default 1 */
    ML_LEARNER_THREADS = 3,        /**< worker threads for a meta-batch; default 1 */
    ML_LEARNER_ITERATION = 4,      /**< meta-updates done so far (read-only) */
    ML_LEARNER_REPTILE_EPSILON = 100,       /**< Reptile outer step size on the mean of a meta-batch; default 1.0 */
    ML_LEARNER_REPTILE_EPSILON_FINAL = 101, /**< value epsilon is annealed to; default 0 */
    ML_LEARNER_REPTILE_ANNEAL_ITERS = 102,  /**< iterations of the linear annealing; 0 (default) = none */
    ML_LEARNER_REPTILE_INNER_ADAM = 103     /**< 1: inner loop uses Adam (beta1 0), 0 (default): SGD */
} ml_learner_param;

/**
 * @brief Creates a learner: a copy of `model`, a strategy and freshly
 * initialised parameters.
 *
 * For the gradient-based strategies (MAML, first-order MAML, Reptile,
 * Meta-SGD, joint) the model maps inputs to outputs and must end with a
 * dense layer (one output per class for classification).  For the metric
 * strategies (prototypical, siamese, relation, matching) the model is the
 * embedding network and may end with any layer; the siamese and relation
 * networks add a head of their own (a dense unit on |f(x1) - f(x2)|; the
 * relation module) whose parameters follow the model's in the
 * meta-parameters.
 * Weights and biases of a layer with n inputs per output are drawn
 * uniformly in [-1/sqrt(n), 1/sqrt(n)] from a generator seeded with
 * `seed`, which the learner keeps for everything random it does later.
 * The outer optimiser is Adam with learning rate 0.001 until
 * ml_learner_set_optimizer().
 * @param out Receives the learner; the caller owns it (ml_learner_free()).
 * @param model Copied; the caller keeps ownership of `model`.
 * @param strategy An ::ml_strategy.
 * @param seed Seed of the learner's random number generator.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG (NULL pointers, unknown strategy, a
 *         model without layers, a gradient-based strategy on a model whose
 *         last layer is not dense); ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_learner_create(ml_learner **out, const ml_model *model,
                                   ml_strategy strategy, uint64_t seed);

/** @brief Frees a learner.  NULL is a no-op. */
ML_API void ml_learner_free(ml_learner *learner);

/** @brief The learner's last error message; "" if none, never NULL (also
 * for NULL).  Borrowed from the learner: valid until it is freed,
 * overwritten by its next failing call. */
ML_API const char *ml_learner_last_error(const ml_learner *learner);

/** @brief The learner's strategy (an ::ml_strategy), or 0 for NULL. */
ML_API int ml_learner_strategy(const ml_learner *learner);

/** @brief The learner's model, borrowed: valid until the learner is freed
 * (do not free it); NULL for NULL. */
ML_API const ml_model *ml_learner_model(const ml_learner *learner);

/**
 * @brief Sets a learner parameter.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG for a NULL learner, an unknown or
 *         read-only key, a key of another strategy, or a value out of range
 *         (counts must be whole numbers >= 1, rates finite and > 0).
 */
ML_API ml_status ml_learner_set(ml_learner *learner, ml_learner_param key, double value);

/** @brief Reads a learner parameter into `*out`; errors as ml_learner_set(). */
ML_API ml_status ml_learner_get(const ml_learner *learner, ml_learner_param key,
                                double *out);

/**
 * @brief Replaces the outer (meta) optimiser by a copy of `opt`'s kind and
 * hyperparameters, with fresh state.  `opt` is not kept.
 * Reptile ignores it (its outer step is epsilon).
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG; ::ML_ERR_UNSUPPORTED for the
 *         learned LSTM optimiser (see ml_learner_set_inner_optimizer());
 *         ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_learner_set_optimizer(ml_learner *learner, const ml_optimizer *opt);

/**
 * @brief Gives an ::ML_STRATEGY_LSTM learner its inner update rule: a copy
 * of the learned optimiser's settings (hidden size, preprocessing, output
 * scale) and weights, which meta-training then refines together with the
 * initialisation.  Without this call the learner starts from freshly drawn
 * LSTM weights of 20 hidden units.  `opt` is not kept.
 * The meta-parameter vector changes length, so this is allowed only before
 * the first meta-training step.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG (NULL, not an LSTM optimiser);
 *         ::ML_ERR_UNSUPPORTED (another strategy); ::ML_ERR_STATE (the
 *         learner has been trained); ::ML_ERR_NOMEM (learner unchanged).
 */
ML_API ml_status ml_learner_set_inner_optimizer(ml_learner *learner, const ml_optimizer *opt);

/**
 * @brief Length of the meta-parameter vector: the model's parameters, and
 * for Meta-SGD as many step sizes after them, for the LSTM strategy the
 * LSTM's weights after them (ml_optimizer_get_weights() layout).
 */
ML_API size_t ml_learner_num_meta_params(const ml_learner *learner);

/**
 * @brief Copies the meta-parameters into `out` (exactly `count` floats).
 * @param learner The learner.
 * @param out Caller buffer of `count` floats.
 * @param count ml_learner_num_meta_params().
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG; ::ML_ERR_SHAPE for a wrong count.
 */
ML_API ml_status ml_learner_get_meta_params(const ml_learner *learner, float *out,
                                            size_t count);

/**
 * @brief Overwrites the meta-parameters from `values` (exactly `count`
 * floats, copied).  The optimiser state is kept.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG; ::ML_ERR_SHAPE; ::ML_ERR_NUMERIC
 *         for a non-finite value (nothing changed).
 */
ML_API ml_status ml_learner_set_meta_params(ml_learner *learner, const float *values,
                                            size_t count);

/**
 * @brief One meta-training step on a meta-batch of tasks.
 *
 * Equivalent to ml_learner_meta_gradient() followed by
 * ml_learner_apply_gradient().  Tasks run on the learner's worker threads;
 * per-task gradients are summed in task order, so the result is the same
 * bit for bit whatever ::ML_LEARNER_THREADS is.
 * @param learner The learner; its meta-parameters and optimiser state change.
 * @param n_tasks Number of tasks (the meta-batch size).
 * @param tasks `n_tasks` tasks, borrowed for the call.
 * @param out_loss Receives the mean meta-loss (the query loss after
 *        adaptation; for Reptile the support loss of the last inner step;
 *        for the joint baseline the loss on all examples); may be NULL.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG (NULL pointers, n_tasks 0, a task
 *         without a query set where the strategy needs one);
 *         ::ML_ERR_SHAPE (a task's sizes do not fit the model);
 *         ::ML_ERR_NUMERIC (a non-finite loss or gradient: the parameters
 *         are left as they were); ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_learner_meta_step(ml_learner *learner, size_t n_tasks,
                                      ml_task *const *tasks, double *out_loss);

/**
 * @brief The meta-gradient of a meta-batch as a flat vector, without
 * applying it: the mean over the tasks of each task's meta-gradient
 * (for Reptile, the mean of theta - phi_T).
 * @param learner The learner (its meta-parameters are not changed).
 * @param n_tasks Number of tasks.
 * @param tasks `n_tasks` tasks, borrowed for the call.
 * @param count Capacity of `out` in floats.
 * @param out_loss Receives the mean meta-loss; may be NULL.
 * @param out `count` floats (ml_learner_num_meta_params()).
 * @return As ml_learner_meta_step(), and ::ML_ERR_SHAPE for a wrong count.
 */
ML_API ml_status ml_learner_meta_gradient(ml_learner *learner, size_t n_tasks,
                                          ml_task *const *tasks, float *out,
                                          size_t count, double *out_loss);

/**
 * @brief How ml_learner_meta_gradient() divides a meta-batch into parts:
 * for hosts that spread a meta-batch over processes (MPI) and want the
 * one-process result bit for bit.
 *
 * The library computes each part's meta-gradient sum on its own: a part is
 * one task, or, for strategies that differentiate several tasks in one
 * graph, a run of up to 16 consecutive tasks of the same sizes.  The plan
 * depends on the strategy, the model and the tasks' sizes, never on
 * ::ML_LEARNER_THREADS.  How the parts' sums make the mean is documented
 * at ml_learner_meta_gradient_partial().
 * @param learner The learner (not changed).
 * @param n_tasks Number of tasks in the meta-batch.
 * @param tasks `n_tasks` tasks, borrowed for the call.
 * @param bounds Caller buffer of `bounds_count` entries; receives
 *        `*out_parts + 1` bounds: part p is tasks `bounds[p]` to
 *        `bounds[p + 1] - 1`, with `bounds[0]` 0 and `bounds[*out_parts]`
 *        `n_tasks`.
 * @param bounds_count Capacity of `bounds`: at least `n_tasks + 1`.
 * @param out_parts Receives the number of parts (1 to `n_tasks`).
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG (NULL pointers, n_tasks 0, a task
 *         the strategy cannot use); ::ML_ERR_SHAPE (a task's sizes do not
 *         fit the model, `bounds_count` too small).
 */
ML_API ml_status ml_learner_meta_gradient_parts(const ml_learner *learner, size_t n_tasks,
                                                ml_task *const *tasks, size_t *bounds,
                                                size_t bounds_count, size_t *out_parts);

/**
 * @brief The undivided meta-gradient sums of a range of a meta-batch's
 * parts (ml_learner_meta_gradient_parts()), and their tasks' meta-losses.
 *
 * ml_learner_meta_gradient() on the same tasks gives, bit for bit: part
 * 0's sum, part 1's sum added to it elementwise in float, then part 2's,
 * and so on in part order; then every element multiplied by the float
 * `1.0f / n_tasks`.  Its loss is the tasks' losses added in task order in
 * double, divided by `n_tasks`.  Processes that each compute a contiguous
 * range of parts and exchange the sums (and losses) therefore reproduce
 * the one-process meta-gradient exactly; pass the mean to
 * ml_learner_apply_gradient().  Only the tasks of the range are computed,
 * on the learner's worker threads.
 * @param learner The learner; its meta-parameters are not changed.
 * @param n_tasks Number of tasks in the whole meta-batch.
 * @param tasks The whole meta-batch, as given to
 *        ml_learner_meta_gradient_parts(); borrowed for the call.
 * @param first_part First part to compute.
 * @param end_part One past the last part to compute (`first_part` <=
 *        `end_part` <= the number of parts; equal: nothing is computed).
 * @param out_sums Caller buffer: part `first_part + i`'s sum at
 *        `i * ml_learner_num_meta_params()`; may be NULL only when the
 *        range is empty.
 * @param count Floats in `out_sums`: exactly `(end_part - first_part) *
 *        ml_learner_num_meta_params()`.
 * @param out_losses Receives the meta-loss of each task of the range, in
 *        task order; may be NULL.
 * @param losses_count Entries in `out_losses` (ignored when it is NULL):
 *        exactly the number of tasks in the range.
 * @return As ml_learner_meta_gradient() (::ML_ERR_NUMERIC for a non-finite
 *         sum or loss; the outputs are then not written);
 *         ::ML_ERR_INVALID_ARG for a part range outside the plan;
 *         ::ML_ERR_SHAPE for a wrong `count` or `losses_count`.
 */
ML_API ml_status ml_learner_meta_gradient_partial(ml_learner *learner, size_t n_tasks,
                                                  ml_task *const *tasks, size_t first_part,
                                                  size_t end_part, float *out_sums,
                                                  size_t count, double *out_losses,
                                                  size_t losses_count);

/**
 * @brief Applies a meta-gradient (for example one summed across processes
 * and divided by their number) with the outer optimiser, and counts one
 * iteration.  For Reptile: theta -= epsilon * gradient, epsilon annealed.
 * @param learner The learner; its meta-parameters and optimiser state change.
 * @param grad `count` floats (caller memory, read only).
 * @param count ml_learner_num_meta_params().
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG; ::ML_ERR_SHAPE for a wrong count;
 *         ::ML_ERR_NUMERIC for a non-finite gradient (nothing changed).
 */
ML_API ml_status ml_learner_apply_gradient(ml_learner *learner, const float *grad,
                                           size_t count);

/**
 * @brief Adapts to the support set of `task` and predicts for `n` inputs.
 *
 * The learner's meta-parameters are not changed.  Gradient-based
 * strategies take `steps` inner steps (a negative value means
 * ::ML_LEARNER_INNER_STEPS; 0 predicts with the meta-parameters as they are).
 * @param learner The learner.
 * @param task Its support set is adapted on (borrowed for the call).
 * @param steps Inner steps; negative for ::ML_LEARNER_INNER_STEPS.
 * @param n Number of inputs.
 * @param count Capacity of `out` in floats.
 * @param inputs `n` examples of the task's input size (caller memory, read only).
 * @param out `count` floats: n * output size (regression outputs, or class
 *        scores for classification).
 * @param out_labels For classification, receives `n` predicted labels; may be NULL.
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG; ::ML_ERR_SHAPE; ::ML_ERR_NUMERIC; ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_learner_predict(ml_learner *learner, const ml_task *task, int steps,
                                    size_t n, const float *inputs, float *out,
                                    size_t count, int *out_labels);

/**
 * @brief Adapts to each task's support set and measures its query set.
 * @param learner The learner (not changed).
 * @param n_tasks Number of tasks.
 * @param tasks `n_tasks` tasks with query sets, borrowed for the call.
 * @param steps Inner steps; negative for ::ML_LEARNER_INNER_STEPS.
 * @param out_loss Receives the mean query loss over the tasks (MSE or
 *        cross-entropy); may be NULL.
 * @param out_accuracy Receives the mean query accuracy for classification
 *        tasks (NaN for regression); may be NULL.
 * @param out_per_task If not NULL, receives each task's query loss
 *        (`n_tasks` doubles), for confidence intervals.
 * @return As ml_learner_predict().
 */
ML_API ml_status ml_learner_evaluate(ml_learner *learner, size_t n_tasks,
                                     ml_task *const *tasks, int steps,
                                     double *out_loss, double *out_accuracy,
                                     double *out_per_task);

/**
 * @brief Saves the learner (model, strategy, parameters and settings,
 * meta-parameters, outer optimiser state, random generator state) to a file.
 *
 * Written to a temporary file in the same directory and renamed over
 * `path`, so a crash never leaves a half-written model.
 * @param learner The learner (not changed).
 * @param path The file to write (replaced if it exists).
 * @return ::ML_OK; ::ML_ERR_INVALID_ARG; ::ML_ERR_IO; ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_learner_save(const ml_learner *learner, const char *path);

/**
 * @brief Serialises the learner into a caller buffer.
 * @param learner The learner.
 * @param cap Size of `buf` in bytes.
 * @param buf `cap` bytes; may be NULL with cap 0 to ask for the size.
 * @param out_size Receives the number of bytes the learner needs.
 * @return ::ML_OK; ::ML_ERR_RANGE if cap is too small (out_size says how
 *         much is needed); ::ML_ERR_INVALID_ARG; ::ML_ERR_NOMEM.
 */
ML_API ml_status ml_learner_save_buffer(const ml_learner *learner, void *buf,
                                        size_t cap, size_t *out_size);

/**
 * @brief Loads a learner saved by ml_learner_save().
 * @param path File written by ml_learner_save().
 * @param out Receives the learner; the caller owns it.
 * @return ::ML_OK; ::ML_ERR_IO (cannot read); ::ML_ERR_FORMAT (not a
 *         libmetalearn file, or not a learner); ::ML_ERR_VERSION (a newer
 *         format); ::ML_ERR_CORRUPT (checksum mismatch, truncated or
 *         inconsistent contents); ::ML_ERR_NOMEM.  Never crashes on bad data.
 */
ML_API ml_status ml_learner_load(ml_learner **out, const char *path);

/** @brief Loads a learner from `size` bytes at `buf` (not kept); errors as
 * ml_learner_load(). */
ML_API ml_status ml_learner_load_buffer(ml_learner **out, const void *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* METALEARN_H */
