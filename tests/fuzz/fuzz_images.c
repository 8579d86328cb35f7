/* Fuzz target: ml_dataset_load_images on a PNG file of arbitrary bytes.
 *
 * Input: two bytes choose the output size, one byte of flags, then the
 * file.  The bytes are written as <tmp>/img/Alphabet/character01/x.png
 * (the Omniglot layout); flags add a second class, a second image and
 * files the loader must skip.  What loads must hold what was laid out:
 * the right counts, names and shape, every pixel finite and in [0, 1]. */
#include "fuzz.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
    F_INVERT = 1,          /* invert intensities */
    F_SECOND_CLASS = 2,    /* the same file as Alphabet/character02/y.png */
    F_SECOND_IMAGE = 4,    /* and as character01/z.PNG (upper-case suffix) */
    F_DISTRACTORS = 8,     /* a hidden ._x.png and a notes.txt, both skipped */
    F_WIDE_SIZE = 16       /* a size at or past the ends of the range */
};

static size_t size_of(unsigned raw, unsigned flags)
{
    /* Mostly valid small sizes, where the resize does real work; with
     * F_WIDE_SIZE the ends of the accepted range 1..1024 and beyond.  (Any
     * large size would do, but each costs a megapixel resize: the search
     * would slow down to a crawl.) */
    static const size_t wide[] = {0, 1024, 1025, 4096, SIZE_MAX};
    return flags & F_WIDE_SIZE ? wide[raw % 5] : raw % 64 + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = {data, size, 0};
    unsigned raw = fuzz_u16(&in), flags = fuzz_u8(&in);
    size_t side = size_of(raw, flags);
    const uint8_t *png = data + in.off;
    size_t n = fuzz_left(&in);

    fuzz_rm("img");
    fuzz_mkdirs("img/Alphabet/character01");
    fuzz_write("img/Alphabet/character01/x.png", png, n, 0);
    size_t images = 1, classes = 1;
    if (flags & F_SECOND_CLASS) {
        fuzz_mkdirs("img/Alphabet/character02");
        fuzz_write("img/Alphabet/character02/y.png", png, n, 0);
        images++, classes++;
    }
    if (flags & F_SECOND_IMAGE) {
        fuzz_write("img/Alphabet/character01/z.PNG", png, n, 0);
        images++;
    }
    if (flags & F_DISTRACTORS) {
        fuzz_write("img/Alphabet/character01/._x.png", "junk", 4, 0);
        fuzz_write("img/Alphabet/notes.txt", png, n, 0);
    }

    char dir[4096];
    fuzz_path(dir, "img");
    ml_dataset *ds = (ml_dataset *)&ds;   /* must be cleared on failure */
    ml_status st = fuzz_status(ml_dataset_load_images(&ds, dir, side, flags & F_INVERT));
    if (side == 0 || side > 1024)
        FUZZ_CHECK(st == ML_ERR_INVALID_ARG);
    if (st != ML_OK) {
        FUZZ_CHECK(ds == NULL);
        return 0;
    }
    FUZZ_CHECK(ml_dataset_size(ds) == images);
    FUZZ_CHECK(ml_dataset_num_classes(ds) == classes);
    FUZZ_CHECK(strcmp(ml_dataset_class_name(ds, 0), "Alphabet/character01") == 0);
    FUZZ_CHECK(strcmp(ml_dataset_class_group(ds, 0), "Alphabet") == 0);
    size_t nd = 0, shape[3] = {0, 0, 0};
    FUZZ_CHECK(fuzz_status(ml_dataset_shape(ds, &nd, shape)) == ML_OK);
    FUZZ_CHECK(nd == 3 && shape[0] == 1 && shape[1] == side && shape[2] == side);
    float *x = malloc(side * side * sizeof *x);
    FUZZ_CHECK(x);
    for (size_t i = 0; i < images; i++) {
        int label = -1;
        FUZZ_CHECK(fuzz_status(ml_dataset_get(ds, i, x, side * side, &label)) == ML_OK);
        FUZZ_CHECK(label >= 0 && (size_t)label < classes);
        /* The area filter averages values in [0, 1]; rounding may leave a
         * hair outside. */
        for (size_t k = 0; k < side * side; k++)
            FUZZ_CHECK(isfinite(x[k]) && x[k] >= -1e-6f && x[k] <= 1.0f + 1e-6f);
    }
    free(x);
    ml_dataset_free(ds);
    return 0;
}
