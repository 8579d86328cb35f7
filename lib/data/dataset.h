/* Data sets: immutable, reference-counted storage of labelled examples,
 * shared by the public handles and the episode samplers made from them. */
#ifndef ML_DATA_DATASET_H
#define ML_DATA_DATASET_H

#include "core/error.h"
#include "metalearn.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Largest number of examples or classes: labels and the generator's
 * shuffles work on int and uint32_t. */
#define ML_DATA_MAX_N ((size_t)INT32_MAX)

/* Never changed after it is built, so any number of threads may read it;
 * only the reference count moves, atomically. */
typedef struct ml_data {
    atomic_size_t refs;
    size_t n;               /* examples */
    size_t input_size;      /* floats per example */
    size_t ndim;            /* rank of one example, 1 to 3 */
    size_t shape[3];
    size_t n_classes;
    float *x;               /* [n, input_size] */
    int *labels;            /* [n], 0..n_classes-1 */
    char **names;           /* [n_classes] */
    char **groups;          /* [n_classes]; "" for classes without a group */
    /* Examples by class: the indices of class c's examples, ascending, are
     * by_class[class_start[c] .. class_start[c + 1]). */
    size_t *by_class;       /* [n] */
    size_t *class_start;    /* [n_classes + 1] */
} ml_data;

struct ml_dataset {
    ml_data *data;          /* one reference */
    char err[ML_ERRMSG_MAX];
};

/* Storage for n examples of the given shape and n_classes classes, with a
 * reference count of 1.  x and labels are uninitialised, names and groups
 * NULL: the caller fills them in, then calls ml_data_index(). */
ml_status ml_data_new(ml_data **out, size_t n, size_t ndim, const size_t *shape,
                      size_t n_classes);
/* Builds by_class and class_start from labels; fills NULL groups with "".
 * ML_ERR_INTERNAL for a label out of range or a class without examples. */
ml_status ml_data_index(ml_data *d);
/* Storage whose classes are the distinct values of `labels` (each >= 0), in
 * ascending numeric order, named by their number, without a group; labels
 * are mapped to 0..k-1, x is left for the caller to fill. */
ml_status ml_data_new_numeric(ml_data **out, size_t n, size_t ndim, const size_t *shape,
                              const int *labels);
ml_data *ml_data_ref(ml_data *d);
/* Drops one reference; the last one frees the storage.  NULL is a no-op. */
void ml_data_unref(ml_data *d);
/* A copy of s from ml_malloc, or NULL. */
char *ml_data_strdup(const char *s);

/* Loaders and the splitter; errors go to the thread's message only, as
 * there is no handle yet. */
ml_status ml_data_load_images(ml_data **out, const char *dir, size_t size, int invert);
ml_status ml_data_load_idx(ml_data **out, const char *images_path,
                           const char *labels_path);
ml_status ml_data_split(const ml_data *d, ml_split_rule rule, const char *spec,
                        uint64_t seed, ml_data **out_selected, ml_data **out_rest);

/* PNG decoding (png_load.c).  Reusable buffers, so loading thousands of
 * images allocates only when an image is larger than all before it. */
typedef struct ml_png_scratch {
    /* void * so one helper can grow them all; capacities in bytes. */
    void *pixels;           /* the decoded image, as libpng writes it */
    size_t pixels_cap;
    void *gray;             /* floats: the image in [0, 1] */
    size_t gray_cap;
    void *rows;             /* doubles: the rows resized horizontally */
    size_t rows_cap;
} ml_png_scratch;

/* Decodes the PNG file at `path` to grey in [0, 1], inverts it if asked
 * and resizes it with an area filter into out[size * size].
 * ML_ERR_IO if the file cannot be opened, ML_ERR_FORMAT if it is not a
 * valid PNG or its size is absurd, ML_ERR_NOMEM. */
ml_status ml_png_load_gray(const char *path, size_t size, int invert,
                           ml_png_scratch *scratch, float *out);
void ml_png_scratch_free(ml_png_scratch *scratch);

/* Area (box) resize of a grey h x w image of floats in [0, 1] to
 * out_h x out_w: each output pixel is the overlap-weighted mean of the
 * input area it covers.  `tmp` holds h * out_w doubles. */
void ml_resize_area(const float *in, size_t h, size_t w, float *out, size_t out_h,
                    size_t out_w, double *tmp);

#endif
