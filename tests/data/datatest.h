/* Helpers shared by the data tests: temporary directories and writers of
 * real PNG and IDX files. */
#ifndef ML_TESTS_DATATEST_H
#define ML_TESTS_DATATEST_H

#include "metalearn.h"

#include <check.h>
#include <stddef.h>
#include <stdint.h>

/* For loops: ck_assert records a checkpoint on every success, slow under
 * valgrind. */
#define REQUIRE(cond)                                                    \
    do {                                                                 \
        if (!(cond))                                                     \
            ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #cond);        \
    } while (0)

/* ck_assert on a status, with the library's message on failure. */
#define CHECK_STATUS(call, want)                                           \
    do {                                                                   \
        ml_status st_ = (call);                                            \
        ck_assert_msg(st_ == (want), "%s = %d (%s), expected %d", #call,    \
                      (int)st_, ml_last_error(), (int)(want));             \
    } while (0)

/* Creates a new directory under $TMPDIR (or /tmp) and writes its path
 * into out (cap bytes). */
void dt_mkdtemp(char *out, size_t cap);
/* Removes a tree (files, directories, links: links are not followed). */
void dt_rm_rf(const char *path);
/* mkdir -p of path (relative parts joined with '/'). */
void dt_mkdirs(const char *path);
/* path = a "/" b, into a static rotating buffer (8 slots). */
const char *dt_join(const char *a, const char *b);
void dt_write_text(const char *path, const char *text);
void dt_write_bytes(const char *path, const void *data, size_t n);
/* Reads a whole file into a malloc'd buffer. */
unsigned char *dt_read_file(const char *path, size_t *n);

/* PNG writers.  gray8: h*w bytes; gray16: h*w 16-bit linear samples;
 * rgb: h*w*3 bytes; gray1: h*w bytes of 0 or 1, written as a 1-bit grey
 * PNG like Omniglot's (classic libpng API); palette: h*w indices into
 * `n_colors` RGB entries (simplified API colour-map). */
void dt_png_gray8(const char *path, int w, int h, const unsigned char *px);
void dt_png_gray16(const char *path, int w, int h, const uint16_t *px);
void dt_png_rgb(const char *path, int w, int h, const unsigned char *px);
void dt_png_gray1(const char *path, int w, int h, const unsigned char *bits);
void dt_png_palette(const char *path, int w, int h, const unsigned char *idx,
                    const unsigned char *rgb, int n_colors);
/* Any simplified-API format (PNG_FORMAT_*), e.g. with alpha. */
void dt_png_simple(const char *path, int w, int h, unsigned format, const void *px);
/* Rewrites the IHDR width and height of a PNG file and fixes its CRC. */
void dt_png_patch_size(const char *path, uint32_t w, uint32_t h);

/* IDX writer: magic, rank sizes, then n data bytes; gzip-compressed if gz. */
void dt_idx(const char *path, int gz, uint32_t magic, int rank, const uint32_t *dims,
            const unsigned char *data, size_t n);

#endif
