/* Little-endian binary encoding with bounds checks, and the container of
 * the library's files:
 *
 *   offset  size  field
 *   0       4     magic "MLRN"
 *   4       2     format major version (readers refuse a newer major)
 *   6       2     format minor version (newer minors only add chunks)
 *   8       4     object kind (1 learner, 2 optimizer)
 *   12      4     reserved, 0
 *   16      8     payload length P
 *   24      P     payload: chunks of (u32 tag, u64 length, bytes)
 *   24+P    4     CRC-32 (zlib) of bytes 0 .. 24+P-1
 *
 * Readers skip chunks whose tag they do not know. */
#ifndef ML_IO_BINARY_H
#define ML_IO_BINARY_H

#include "metalearn.h"

#include <stddef.h>
#include <stdint.h>

#define ML_IO_MAGIC "MLRN"
#define ML_IO_MAJOR 1
#define ML_IO_MINOR 0
#define ML_IO_HEADER 24
enum { ML_IO_KIND_LEARNER = 1, ML_IO_KIND_OPTIMIZER = 2 };

#define ML_IO_TAG(a, b, c, d) \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

typedef struct ml_writer {
    unsigned char *buf;
    size_t len, cap;
    int failed;            /* out of memory */
    size_t chunk_start;    /* offset of the open chunk's length field */
} ml_writer;

void ml_w_init(ml_writer *w);
void ml_w_free(ml_writer *w);
void ml_w_u32(ml_writer *w, uint32_t v);
void ml_w_u64(ml_writer *w, uint64_t v);
void ml_w_f64(ml_writer *w, double v);
void ml_w_f32s(ml_writer *w, const float *v, size_t n);
void ml_w_begin(ml_writer *w, uint32_t kind);     /* container header */
void ml_w_chunk(ml_writer *w, uint32_t tag);      /* opens a chunk */
void ml_w_chunk_end(ml_writer *w);
void ml_w_finish(ml_writer *w);                   /* length and CRC */

typedef struct ml_reader {
    const unsigned char *p;
    size_t len, off;
    int bad;               /* read past the end */
} ml_reader;

uint32_t ml_r_u32(ml_reader *r);
uint64_t ml_r_u64(ml_reader *r);
double ml_r_f64(ml_reader *r);
/* n floats, only if they are all there. */
void ml_r_f32s(ml_reader *r, float *v, size_t n);
/* Bytes left to read. */
size_t ml_r_left(const ml_reader *r);

/* Checks magic, version, kind, length and CRC; on success *payload reads
 * the chunks.  Error message into msg (ML_ERRMSG_MAX). */
ml_status ml_io_open(const void *buf, size_t size, uint32_t kind, ml_reader *payload,
                     char *msg);
/* Next chunk: its tag and a reader over its bytes; 0 at the end, -1 if
 * the chunk is cut short. */
int ml_io_next_chunk(ml_reader *payload, uint32_t *tag, ml_reader *chunk);

/* Writes buf to path through a temporary file in the same directory and a
 * rename, so the path always holds a complete file. */
ml_status ml_io_write_file(const char *path, const void *buf, size_t size, char *msg);
/* Reads a whole file into a new buffer (ml_free it). */
ml_status ml_io_read_file(const char *path, unsigned char **out, size_t *size, char *msg);

#endif
