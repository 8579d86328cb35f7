/* The library's saved objects in the fuzz targets: learners and optimisers
 * through one interface, the container's checksum, and the load-save
 * round trip (fuzz.h). */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum { HEADER = 24 };     /* io/binary.h: magic, versions, kind, reserved, length */

unsigned char *fuzz_fix_container(const uint8_t *data, size_t size)
{
    if (size < HEADER + 4)
        return NULL;
    unsigned char *fixed = malloc(size);
    FUZZ_CHECK(fixed);
    memcpy(fixed, data, size);
    uint64_t plen = size - HEADER - 4;
    for (int i = 0; i < 8; i++)
        fixed[16 + i] = (unsigned char)(plen >> 8 * i);
    /* Inputs are small: one crc32 call takes the whole length. */
    uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), fixed, (uInt)(size - 4));
    for (int i = 0; i < 4; i++)
        fixed[size - 4 + i] = (unsigned char)(crc >> 8 * i);
    if (memcmp(fixed, data, size) == 0) {
        free(fixed);
        return NULL;
    }
    return fixed;
}

/* ---- the two kinds ---- */

static ml_status learner_load(void **out, const void *buf, size_t size)
{
    ml_learner *l = *out;
    ml_status st = ml_learner_load_buffer(&l, buf, size);
    *out = l;
    return st;
}

static ml_status learner_save(const void *obj, void *buf, size_t cap, size_t *size)
{
    return ml_learner_save_buffer(obj, buf, cap, size);
}

static void learner_destroy(void *obj)
{
    ml_learner_free(obj);
}

static ml_status optimizer_load(void **out, const void *buf, size_t size)
{
    ml_optimizer *o = *out;
    ml_status st = ml_optimizer_load_buffer(&o, buf, size);
    *out = o;
    return st;
}

static ml_status optimizer_save(const void *obj, void *buf, size_t cap, size_t *size)
{
    return ml_optimizer_save_buffer(obj, buf, cap, size);
}

static void optimizer_destroy(void *obj)
{
    ml_optimizer_free(obj);
}

const fuzz_file_kind fuzz_learner_files = {learner_load, learner_save, learner_destroy};
const fuzz_file_kind fuzz_optimizer_files = {optimizer_load, optimizer_save,
                                             optimizer_destroy};

/* ---- the round trip ---- */

static unsigned char *save_all(const fuzz_file_kind *kind, const void *obj, size_t *size)
{
    FUZZ_CHECK(fuzz_status(kind->save(obj, NULL, 0, size)) == ML_OK);
    unsigned char *buf = malloc(*size);
    FUZZ_CHECK(buf);
    size_t again = 0;
    FUZZ_CHECK(fuzz_status(kind->save(obj, buf, *size, &again)) == ML_OK);
    FUZZ_CHECK(again == *size);
    return buf;
}

void *fuzz_reload(const fuzz_file_kind *kind, const unsigned char *buf, size_t n)
{
    void *obj = NULL;
    FUZZ_CHECK(fuzz_status(kind->load(&obj, buf, n)) == ML_OK && obj);
    size_t n2;
    unsigned char *again = save_all(kind, obj, &n2);
    FUZZ_CHECK(n2 == n && memcmp(again, buf, n) == 0);
    free(again);
    return obj;
}

static void load_and_check(const fuzz_file_kind *kind, void (*use)(void *obj),
                           const uint8_t *data, size_t size)
{
    void *obj = (void *)&obj;
    if (fuzz_status(kind->load(&obj, data, size)) != ML_OK) {
        FUZZ_CHECK(obj == NULL);
        return;
    }
    /* Saving what was loaded need not give the input back (unknown chunks
     * are dropped, for one), but from then on the bytes are fixed. */
    size_t n;
    unsigned char *saved = save_all(kind, obj, &n);
    kind->destroy(fuzz_reload(kind, saved, n));
    free(saved);
    use(obj);
    kind->destroy(obj);
}

int fuzz_file_target(const fuzz_file_kind *kind, void (*use)(void *obj),
                     const uint8_t *data, size_t size)
{
    load_and_check(kind, use, data, size);
    unsigned char *fixed = fuzz_fix_container(data, size);
    if (fixed)
        load_and_check(kind, use, fixed, size);
    free(fixed);
    return 0;
}
