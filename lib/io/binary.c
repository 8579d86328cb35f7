#include "io/binary.h"

#include "core/alloc.h"
#include "core/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

void ml_w_init(ml_writer *w)
{
    memset(w, 0, sizeof *w);
}

void ml_w_free(ml_writer *w)
{
    ml_free(w->buf);
    ml_w_init(w);
}

static unsigned char *w_room(ml_writer *w, size_t n)
{
    if (w->failed)
        return NULL;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n)
            cap *= 2;
        unsigned char *b = ml_realloc(w->buf, cap);
        if (!b) {
            w->failed = 1;
            return NULL;
        }
        w->buf = b;
        w->cap = cap;
    }
    unsigned char *p = w->buf + w->len;
    w->len += n;
    return p;
}

static void put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

void ml_w_u32(ml_writer *w, uint32_t v)
{
    unsigned char *p = w_room(w, 4);
    if (p)
        put_le(p, v, 4);
}

void ml_w_u64(ml_writer *w, uint64_t v)
{
    unsigned char *p = w_room(w, 8);
    if (p)
        put_le(p, v, 8);
}

void ml_w_f64(ml_writer *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    ml_w_u64(w, bits);
}

void ml_w_f32s(ml_writer *w, const float *v, size_t n)
{
    unsigned char *p = w_room(w, 4 * n);
    for (size_t i = 0; p && i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &v[i], 4);
        put_le(p + 4 * i, bits, 4);
    }
}

void ml_w_begin(ml_writer *w, uint32_t kind)
{
    unsigned char *p = w_room(w, ML_IO_HEADER);
    if (!p)
        return;
    memcpy(p, ML_IO_MAGIC, 4);
    put_le(p + 4, ML_IO_MAJOR, 2);
    put_le(p + 6, ML_IO_MINOR, 2);
    put_le(p + 8, kind, 4);
    put_le(p + 12, 0, 4);
    put_le(p + 16, 0, 8);
}

void ml_w_chunk(ml_writer *w, uint32_t tag)
{
    ml_w_u32(w, tag);
    w->chunk_start = w->len;
    ml_w_u64(w, 0);
}

void ml_w_chunk_end(ml_writer *w)
{
    if (!w->failed)
        put_le(w->buf + w->chunk_start, w->len - w->chunk_start - 8, 8);
}

void ml_w_finish(ml_writer *w)
{
    if (w->failed)
        return;
    put_le(w->buf + 16, w->len - ML_IO_HEADER, 8);
    uLong crc = crc32(0L, Z_NULL, 0);
    /* zlib's crc32 takes a uInt length: feed large buffers in pieces. */
    for (size_t off = 0; off < w->len;) {
        size_t n = w->len - off > (1u << 30) ? (1u << 30) : w->len - off;
        crc = crc32(crc, w->buf + off, (uInt)n);
        off += n;
    }
    ml_w_u32(w, (uint32_t)crc);
}

static const unsigned char *r_take(ml_reader *r, size_t n)
{
    if (r->bad || r->len - r->off < n) {
        r->bad = 1;
        return NULL;
    }
    const unsigned char *p = r->p + r->off;
    r->off += n;
    return p;
}

uint32_t ml_r_u32(ml_reader *r)
{
    const unsigned char *p = r_take(r, 4);
    return p ? (uint32_t)get_le(p, 4) : 0;
}

uint64_t ml_r_u64(ml_reader *r)
{
    const unsigned char *p = r_take(r, 8);
    return p ? get_le(p, 8) : 0;
}

double ml_r_f64(ml_reader *r)
{
    uint64_t bits = ml_r_u64(r);
    double v;
    memcpy(&v, &bits, 8);
    return v;
}

void ml_r_f32s(ml_reader *r, float *v, size_t n)
{
    if (n > ml_r_left(r) / 4) {
        r->bad = 1;
        return;
    }
    const unsigned char *p = r_take(r, 4 * n);
    for (size_t i = 0; p && i < n; i++) {
        uint32_t bits = (uint32_t)get_le(p + 4 * i, 4);
        memcpy(&v[i], &bits, 4);
    }
}

size_t ml_r_left(const ml_reader *r)
{
    return r->bad ? 0 : r->len - r->off;
}

ml_status ml_io_open(const void *buf, size_t size, uint32_t kind, ml_reader *payload,
                     char *msg)
{
    const unsigned char *b = buf;
    if (size == 0)
        return ml_error(msg, ML_ERR_FORMAT, "the file is empty: not a libmetalearn file");
    if (size < 4 && memcmp(b, ML_IO_MAGIC, size) == 0)
        return ml_error(msg, ML_ERR_CORRUPT, "file truncated: %zu bytes", size);
    if (size < 4 || memcmp(b, ML_IO_MAGIC, 4) != 0)
        return ml_error(msg, ML_ERR_FORMAT, "not a libmetalearn file (bad magic)");
    if (size < ML_IO_HEADER + 4)
        return ml_error(msg, ML_ERR_CORRUPT, "file truncated: %zu bytes", size);
    unsigned major = (unsigned)get_le(b + 4, 2);
    if (major != ML_IO_MAJOR)
        return ml_error(msg, ML_ERR_VERSION,
                        "format version %u, this library reads version %d", major,
                        ML_IO_MAJOR);
    uint64_t plen = get_le(b + 16, 8);
    if (plen != size - ML_IO_HEADER - 4)
        return ml_error(msg, ML_ERR_CORRUPT,
                        "file truncated or padded: payload of %llu bytes in a %zu-byte file",
                        (unsigned long long)plen, size);
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t off = 0; off < size - 4;) {
        size_t n = size - 4 - off > (1u << 30) ? (1u << 30) : size - 4 - off;
        crc = crc32(crc, b + off, (uInt)n);
        off += n;
    }
    if ((uint32_t)crc != (uint32_t)get_le(b + size - 4, 4))
        return ml_error(msg, ML_ERR_CORRUPT, "checksum mismatch: the file is damaged");
    uint32_t k = (uint32_t)get_le(b + 8, 4);
    if (k != kind)
        return ml_error(msg, ML_ERR_FORMAT, "the file holds object kind %u, expected %u",
                        k, kind);
    payload->p = b + ML_IO_HEADER;
    payload->len = (size_t)plen;
    payload->off = 0;
    payload->bad = 0;
    return ML_OK;
}

int ml_io_next_chunk(ml_reader *payload, uint32_t *tag, ml_reader *chunk)
{
    if (ml_r_left(payload) == 0)
        return 0;
    *tag = ml_r_u32(payload);
    uint64_t n = ml_r_u64(payload);
    if (payload->bad || n > ml_r_left(payload))
        return -1;
    chunk->p = payload->p + payload->off;
    chunk->len = (size_t)n;
    chunk->off = 0;
    chunk->bad = 0;
    payload->off += (size_t)n;
    return 1;
}

ml_status ml_io_write_file(const char *path, const void *buf, size_t size, char *msg)
{
    size_t n = strlen(path);
    char *tmp = ml_malloc(n + 16);
    if (!tmp)
        return ml_error(msg, ML_ERR_NOMEM, "out of memory");
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp.XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        ml_status st = ml_error(msg, ML_ERR_IO, "cannot create a temporary file for %s: %s",
                                path, strerror(errno));
        ml_free(tmp);
        return st;
    }
    const unsigned char *p = buf;
    size_t done = 0;
    while (done < size) {
        ssize_t k = write(fd, p + done, size - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        done += (size_t)k;
    }
    int ok = done == size && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (ok && rename(tmp, path) != 0)
        ok = 0;
    ml_status st = ML_OK;
    if (!ok) {
        st = ml_error(msg, ML_ERR_IO, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    ml_free(tmp);
    return st;
}

ml_status ml_io_read_file(const char *path, unsigned char **out, size_t *size, char *msg)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ml_error(msg, ML_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = ml_malloc(cap);
    ml_status st = buf ? ML_OK : ML_ERR_NOMEM;
    while (st == ML_OK) {
        if (len == cap) {
            if (cap > ((size_t)1 << 34)) {
                st = ml_error(msg, ML_ERR_FORMAT, "%s is too large", path);
                break;
            }
            unsigned char *b = ml_realloc(buf, cap * 2);
            if (!b) {
                st = ML_ERR_NOMEM;
                break;
            }
            buf = b;
            cap *= 2;
        }
        size_t k = fread(buf + len, 1, cap - len, f);
        len += k;
        if (k == 0) {
            if (ferror(f))
                st = ml_error(msg, ML_ERR_IO, "cannot read %s", path);
            break;
        }
    }
    fclose(f);
    if (st == ML_ERR_NOMEM)
        ml_error(msg, st, "out of memory reading %s", path);
    if (st != ML_OK) {
        ml_free(buf);
        return st;
    }
    *out = buf;
    *size = len;
    return ML_OK;
}
