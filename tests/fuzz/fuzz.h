/* Shared by the fuzz targets, the replay driver and the seed writer.
 *
 * Every target defines LLVMFuzzerTestOneInput.  Built with
 * -fsanitize=fuzzer it is driven by libFuzzer (scripts/fuzz); built without,
 * replay.c's main() feeds it the committed corpora (meson test --suite
 * fuzz).  A broken invariant calls fuzz_fail(), which aborts: to libFuzzer
 * and to the replay alike that is a crash, with the input saved. */
#ifndef ML_TESTS_FUZZ_H
#define ML_TESTS_FUZZ_H

#include "metalearn.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                \
    do {                                                \
        if (!(cond))                                    \
            fuzz_fail(__FILE__, __LINE__, #cond);       \
    } while (0)

_Noreturn void fuzz_fail(const char *file, int line, const char *what);

/* Every call returns a status: it must be one of the defined codes, and a
 * failure must leave a message for the thread.  Returns st.  With
 * FUZZ_VERBOSE set in the environment each status is printed. */
ml_status fuzz_status(ml_status st);

/* Whether a strategy is a metric one (episodes of a classification task,
 * no inner loop), from the library's own strategy table, so a new
 * strategy needs no edit here. */
int fuzz_is_metric(int strategy);

/* A directory private to this process (under $TMPDIR, else /dev/shm or
 * /tmp), made on first use and removed at exit. */
const char *fuzz_tmpdir(void);
/* path = fuzz_tmpdir() "/" rel, into out (4096 bytes). */
void fuzz_path(char *out, const char *rel);
/* mkdir -p below fuzz_tmpdir(); aborts on failure (the disk, not the
 * library, would be at fault). */
void fuzz_mkdirs(const char *rel);
/* Writes a file below fuzz_tmpdir(); gz_level 0 writes the bytes as they
 * are, 1 to 9 gzip-compresses them at that level.  Aborts on failure. */
void fuzz_write(const char *rel, const void *data, size_t n, int gz_level);
/* Removes a tree below fuzz_tmpdir() (links are not followed). */
void fuzz_rm(const char *rel);

/* ---- the library's saved objects (fuzz_files.c) ---- */

/* The library's files (io/binary.h) end in a CRC-32 and state their
 * payload length, so nearly every mutation dies at those two checks.
 * Returns a copy (free it) of the `size` bytes with both rewritten to
 * match, or NULL when the input is too short for the container or already
 * matches. */
unsigned char *fuzz_fix_container(const uint8_t *data, size_t size);

/* A kind of object the library saves in its container, seen through void
 * pointers so that one piece of code serves learners and optimisers. */
typedef struct fuzz_file_kind {
    /* *out holds a sentinel on entry: a failed load must set it to NULL. */
    ml_status (*load)(void **out, const void *buf, size_t size);
    ml_status (*save)(const void *obj, void *buf, size_t cap, size_t *out_size);
    void (*destroy)(void *obj);
} fuzz_file_kind;

extern const fuzz_file_kind fuzz_learner_files, fuzz_optimizer_files;

/* Loads `n` bytes that kind->save wrote, which must work, and saves the
 * result again, which must give the same bytes.  Returns the object. */
void *fuzz_reload(const fuzz_file_kind *kind, const unsigned char *buf, size_t n);

/* The whole fuzz target for a kind: loads the input as it is and with
 * fuzz_fix_container(); what loads must save and reload to the same
 * bytes (fuzz_reload), then goes to `use`, which exercises it with checks
 * of its own.  Returns 0 (libFuzzer's convention). */
int fuzz_file_target(const fuzz_file_kind *kind, void (*use)(void *obj),
                     const uint8_t *data, size_t size);

/* Reading an input as a stream of small fields.  Past the end every read
 * gives 0, so any input is a complete program. */
typedef struct fuzz_in {
    const uint8_t *p;
    size_t n, off;
} fuzz_in;

unsigned fuzz_u8(fuzz_in *in);
unsigned fuzz_u16(fuzz_in *in);        /* big-endian */
uint64_t fuzz_u64(fuzz_in *in);
size_t fuzz_left(const fuzz_in *in);
/* Mostly small values, sometimes a special one (0, -0, huge, tiny,
 * denormal, NaN, +-Inf) or four / eight raw bytes: see fuzz_common.c. */
float fuzz_float(fuzz_in *in);
double fuzz_double(fuzz_in *in);

#endif
