/* Fuzz target: ml_dataset_load_idx on an images file and a labels file of
 * arbitrary bytes, plain or gzip-compressed.
 *
 * Input: a flags byte, two bytes giving where the images file ends, then
 * the bytes of both files.  Flags choose for each file whether its bytes
 * are written as they are (seeds hold real .gz files, so damaged gzip
 * streams get fuzzed too) or gzip-compressed here first (so the IDX
 * parser behind zlib gets fuzzed through the gzip path).  What loads must
 * be consistent: as many labels as images, at most 256 classes, pixels in
 * [0, 1]. */
#include "fuzz.h"

#include <stdlib.h>

enum {
    F_GZ_IMAGES = 1,       /* compress the images file */
    F_GZ_LABELS = 2,       /* compress the labels file */
    F_GZ_FAST = 4          /* level 1 instead of 9 */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = {data, size, 0};
    unsigned flags = fuzz_u8(&in), split = fuzz_u16(&in);
    const uint8_t *rest = data + in.off;
    size_t n = fuzz_left(&in), n_images = split <= n ? split : n;
    int level = flags & F_GZ_FAST ? 1 : 9;

    fuzz_write("images.idx", rest, n_images, flags & F_GZ_IMAGES ? level : 0);
    fuzz_write("labels.idx", rest + n_images, n - n_images,
               flags & F_GZ_LABELS ? level : 0);
    char images[4096], labels[4096];
    fuzz_path(images, "images.idx");
    fuzz_path(labels, "labels.idx");
    ml_dataset *ds = (ml_dataset *)&ds;   /* must be cleared on failure */
    ml_status st = fuzz_status(ml_dataset_load_idx(&ds, images, labels));
    if (st != ML_OK) {
        FUZZ_CHECK(ds == NULL);
        return 0;
    }
    size_t count = ml_dataset_size(ds), classes = ml_dataset_num_classes(ds);
    FUZZ_CHECK(count >= 1 && classes >= 1 && classes <= 256 && classes <= count);
    size_t nd = 0, shape[3] = {0, 0, 0};
    FUZZ_CHECK(fuzz_status(ml_dataset_shape(ds, &nd, shape)) == ML_OK);
    FUZZ_CHECK(nd == 3 && shape[0] == 1 && shape[1] >= 1 && shape[2] >= 1);
    size_t in_size = ml_dataset_input_size(ds);
    FUZZ_CHECK(in_size == shape[1] * shape[2]);
    /* The file held every pixel, so the sizes are bounded by the input. */
    FUZZ_CHECK(count * in_size <= (size_t)1 << 31);
    float *x = malloc(in_size * sizeof *x);
    FUZZ_CHECK(x);
    for (size_t i = 0; i < count; i++) {
        int label = -1;
        FUZZ_CHECK(fuzz_status(ml_dataset_get(ds, i, x, in_size, &label)) == ML_OK);
        FUZZ_CHECK(label >= 0 && (size_t)label < classes);
        for (size_t k = 0; k < in_size; k++)
            FUZZ_CHECK(x[k] >= 0.0f && x[k] <= 1.0f);
    }
    FUZZ_CHECK(fuzz_status(ml_dataset_get(ds, count, x, in_size, NULL)) == ML_ERR_RANGE);
    free(x);
    ml_dataset_free(ds);
    return 0;
}
