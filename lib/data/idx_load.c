/* The IDX format of MNIST and Fashion-MNIST: a big-endian header (two zero
 * bytes, a type byte, the rank, then one 32-bit size per dimension) and the
 * data.  zlib's gz* functions read gzip files and pass plain files through
 * unchanged, so one reader serves both. */
#include "data/dataset.h"

#include "core/alloc.h"

#include <errno.h>
#include <string.h>
#include <zlib.h>

#define IDX_IMAGES_MAGIC 0x00000803u    /* unsigned bytes, rank 3 */
#define IDX_LABELS_MAGIC 0x00000801u    /* unsigned bytes, rank 1 */
/* Refused before reading: more bytes than any real IDX file holds. */
#define IDX_MAX_BYTES (((uint64_t)1 << 31) - 1)
#define IDX_MAX_SIDE 16384u

typedef struct idx_file {
    const char *path;
    gzFile gz;
} idx_file;

static ml_status idx_open(idx_file *f, const char *path)
{
    f->path = path;
    errno = 0;
    f->gz = gzopen(path, "rb");
    if (!f->gz)
        return ml_error(NULL, ML_ERR_IO, "%s: cannot open: %s", path,
                        errno ? strerror(errno) : "out of memory");
    return ML_OK;
}

/* Reads up to n bytes (in pieces: gzread takes an unsigned length) into
 * buf; *got < n means the file ended.  Errors are read errors and damaged
 * compressed data. */
static ml_status idx_fill(idx_file *f, void *buf, size_t n, size_t *got)
{
    unsigned char *p = buf;
    *got = 0;
    while (*got < n) {
        size_t want = n - *got > (1u << 30) ? (1u << 30) : n - *got;
        int r = gzread(f->gz, p + *got, (unsigned)want);
        if (r < 0) {
            int code;
            const char *msg = gzerror(f->gz, &code);
            if (code == Z_ERRNO)
                return ml_error(NULL, ML_ERR_IO, "%s: read error: %s", f->path,
                                strerror(errno));
            return ml_error(NULL, ML_ERR_FORMAT, "%s: damaged gzip data (%s)", f->path, msg);
        }
        if (r == 0)
            break;
        *got += (size_t)r;
    }
    return ML_OK;
}

/* Reads the magic number and `rank` sizes. */
static ml_status idx_header(idx_file *f, uint32_t magic, int rank, uint32_t *dims)
{
    unsigned char h[16];
    size_t want = 4 + 4 * (size_t)rank, got;
    ml_status st = idx_fill(f, h, want, &got);
    if (st != ML_OK)
        return st;
    if (got < 4)
        return ml_error(NULL, ML_ERR_FORMAT, "%s: too short for an IDX file", f->path);
    uint32_t v[4];
    for (int k = 0; k <= rank && 4 * (size_t)k + 4 <= got; k++)
        v[k] = (uint32_t)h[4 * k] << 24 | (uint32_t)h[4 * k + 1] << 16 |
               (uint32_t)h[4 * k + 2] << 8 | (uint32_t)h[4 * k + 3];
    if (v[0] != magic)
        return ml_error(NULL, ML_ERR_FORMAT,
                        "%s: magic number 0x%08x, expected 0x%08x (unsigned bytes of "
                        "rank %d)",
                        f->path, (unsigned)v[0], (unsigned)magic, rank);
    if (got < want)
        return ml_error(NULL, ML_ERR_FORMAT, "%s: truncated header", f->path);
    for (int k = 0; k < rank; k++)
        dims[k] = v[k + 1];
    return ML_OK;
}

/* Reads n bytes of data into a new buffer that grows with what the file
 * really holds, so a header claiming gigabytes costs nothing unless the
 * data is there.  Extra bytes after the data are refused: the header and
 * the file disagree. */
static ml_status idx_body(idx_file *f, size_t n, unsigned char **out)
{
    *out = NULL;
    size_t cap = n < (1u << 20) ? n : (1u << 20), got = 0;
    unsigned char *buf = ml_malloc(cap);
    if (!buf)
        return ml_error(NULL, ML_ERR_NOMEM, "%s: out of memory", f->path);
    ml_status st = ML_OK;
    while (got < n) {
        if (got == cap) {
            size_t ncap = cap > n / 2 ? n : 2 * cap;
            unsigned char *b = ml_realloc(buf, ncap);
            if (!b) {
                st = ml_error(NULL, ML_ERR_NOMEM, "%s: out of memory for %zu bytes",
                              f->path, ncap);
                break;
            }
            buf = b;
            cap = ncap;
        }
        size_t piece = cap - got, n_read;
        st = idx_fill(f, buf + got, piece, &n_read);
        if (st != ML_OK)
            break;
        got += n_read;
        if (n_read < piece) {
            st = ml_error(NULL, ML_ERR_FORMAT,
                          "%s: truncated: %zu of the %zu bytes of data the header "
                          "announces",
                          f->path, got, n);
            break;
        }
    }
    /* One more read: reaching the end also checks the gzip trailer's CRC. */
    unsigned char extra;
    size_t more = 0;
    if (st == ML_OK)
        st = idx_fill(f, &extra, 1, &more);
    if (st == ML_OK && more)
        st = ml_error(NULL, ML_ERR_FORMAT,
                      "%s: more data than the header's %zu bytes", f->path, n);
    if (st != ML_OK) {
        ml_free(buf);
        return st;
    }
    *out = buf;
    return ML_OK;
}

static ml_status read_images(const char *path, uint32_t *dims, unsigned char **pixels)
{
    idx_file f;
    ml_status st = idx_open(&f, path);
    if (st != ML_OK)
        return st;
    st = idx_header(&f, IDX_IMAGES_MAGIC, 3, dims);
    if (st == ML_OK &&
        (dims[0] == 0 || dims[1] == 0 || dims[2] == 0 || dims[1] > IDX_MAX_SIDE ||
         dims[2] > IDX_MAX_SIDE ||
         (uint64_t)dims[0] * dims[1] * dims[2] > IDX_MAX_BYTES))
        st = ml_error(NULL, ML_ERR_FORMAT, "%s: absurd sizes %u x %u x %u", path,
                      (unsigned)dims[0], (unsigned)dims[1], (unsigned)dims[2]);
    if (st == ML_OK)
        st = idx_body(&f, (size_t)dims[0] * dims[1] * dims[2], pixels);
    gzclose(f.gz);
    return st;
}

static ml_status read_labels(const char *path, uint32_t count, unsigned char **labels)
{
    idx_file f;
    ml_status st = idx_open(&f, path);
    if (st != ML_OK)
        return st;
    uint32_t n = 0;
    st = idx_header(&f, IDX_LABELS_MAGIC, 1, &n);
    if (st == ML_OK && n != count)
        st = ml_error(NULL, ML_ERR_FORMAT, "%s: %u labels for %u images", path,
                      (unsigned)n, (unsigned)count);
    if (st == ML_OK)
        st = idx_body(&f, n, labels);
    gzclose(f.gz);
    return st;
}

ml_status ml_data_load_idx(ml_data **out, const char *images_path, const char *labels_path)
{
    *out = NULL;
    uint32_t dims[3] = {0, 0, 0};
    unsigned char *pixels = NULL, *bytes = NULL;
    int *labels = NULL;
    ml_data *d = NULL;
    ml_status st = read_images(images_path, dims, &pixels);
    if (st == ML_OK)
        st = read_labels(labels_path, dims[0], &bytes);
    size_t n = st == ML_OK ? dims[0] : 0;
    if (st == ML_OK && !(labels = ml_malloc(n * sizeof *labels)))
        st = ml_error(NULL, ML_ERR_NOMEM, "out of memory for %zu labels", n);
    if (st == ML_OK) {
        for (size_t i = 0; i < n; i++)
            labels[i] = bytes[i];
        st = ml_data_new_numeric(&d, n, 3, (const size_t[]){1, dims[1], dims[2]},
                                 labels);
    }
    if (st == ML_OK) {
        size_t total = n * d->input_size;
        for (size_t i = 0; i < total; i++)
            d->x[i] = (float)pixels[i] / 255.0f;
        *out = d;
    }
    ml_free(pixels);
    ml_free(bytes);
    ml_free(labels);
    return st;
}
