#define _XOPEN_SOURCE 700   /* nftw */
#include "datatest.h"

#include <errno.h>
#include <ftw.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

void dt_mkdtemp(char *out, size_t cap)
{
    const char *base = getenv("TMPDIR");
    snprintf(out, cap, "%s/ml-data-XXXXXX", base && *base ? base : "/tmp");
    ck_assert_msg(mkdtemp(out) != NULL, "mkdtemp: %s", strerror(errno));
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void dt_rm_rf(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void dt_mkdirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0755);
            *p = '/';
        }
    ck_assert_msg(mkdir(buf, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", buf,
                  strerror(errno));
}

const char *dt_join(const char *a, const char *b)
{
    static char slots[8][4096];
    static int next;
    char *s = slots[next++ % 8];
    snprintf(s, 4096, "%s/%s", a, b);
    return s;
}

void dt_write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "fopen %s: %s", path, strerror(errno));
    ck_assert(fwrite(data, 1, n, f) == n);
    ck_assert(fclose(f) == 0);
}

void dt_write_text(const char *path, const char *text)
{
    dt_write_bytes(path, text, strlen(text));
}

unsigned char *dt_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "fopen %s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(len > 0 ? (size_t)len : 1);
    ck_assert(buf != NULL);
    ck_assert(fread(buf, 1, (size_t)len, f) == (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return buf;
}

static void write_simple(const char *path, int w, int h, png_uint_32 format,
                         const void *px, const void *colormap, int n_colors)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)w;
    img.height = (png_uint_32)h;
    img.format = format;
    img.colormap_entries = (png_uint_32)n_colors;
    int ok = png_image_write_to_file(&img, path, 0, px, 0, colormap);
    ck_assert_msg(ok, "png_image_write_to_file %s: %s", path, img.message);
    png_image_free(&img);
}

void dt_png_simple(const char *path, int w, int h, unsigned format, const void *px)
{
    write_simple(path, w, h, format, px, NULL, 0);
}

void dt_png_gray8(const char *path, int w, int h, const unsigned char *px)
{
    write_simple(path, w, h, PNG_FORMAT_GRAY, px, NULL, 0);
}

void dt_png_gray16(const char *path, int w, int h, const uint16_t *px)
{
    write_simple(path, w, h, PNG_FORMAT_LINEAR_Y, px, NULL, 0);
}

void dt_png_rgb(const char *path, int w, int h, const unsigned char *px)
{
    write_simple(path, w, h, PNG_FORMAT_RGB, px, NULL, 0);
}

void dt_png_palette(const char *path, int w, int h, const unsigned char *idx,
                    const unsigned char *rgb, int n_colors)
{
    write_simple(path, w, h, PNG_FORMAT_RGB_COLORMAP, idx, rgb, n_colors);
}

/* The simplified writer has no 1-bit grey, so the classic API (with its
 * setjmp error handling, acceptable in a test helper). */
void dt_png_gray1(const char *path, int w, int h, const unsigned char *bits)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "fopen %s", path);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    ck_assert(png && info);
    unsigned char *row = calloc((size_t)(w + 7) / 8, 1);
    ck_assert(row != NULL);
    if (setjmp(png_jmpbuf(png))) {
        ck_abort_msg("libpng failed to write %s", path);
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 1, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < h; y++) {
        memset(row, 0, (size_t)(w + 7) / 8);
        for (int x = 0; x < w; x++)
            if (bits[y * w + x])
                row[x / 8] |= (unsigned char)(0x80 >> (x % 8));
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    ck_assert(fclose(f) == 0);
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

void dt_png_patch_size(const char *path, uint32_t w, uint32_t h)
{
    size_t n;
    unsigned char *b = dt_read_file(path, &n);
    /* Signature (8), then IHDR: length (4), "IHDR" (4), width, height, ... */
    ck_assert(n > 33 && memcmp(b + 12, "IHDR", 4) == 0);
    put_be32(b + 16, w);
    put_be32(b + 20, h);
    /* The CRC covers the chunk type and data (13 bytes). */
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, b + 12, 4 + 13);
    put_be32(b + 29, (uint32_t)crc);
    dt_write_bytes(path, b, n);
    free(b);
}

void dt_idx(const char *path, int gz, uint32_t magic, int rank, const uint32_t *dims,
            const unsigned char *data, size_t n)
{
    unsigned char head[4 + 4 * 4];
    ck_assert(rank >= 0 && rank <= 4);
    put_be32(head, magic);
    for (int k = 0; k < rank; k++)
        put_be32(head + 4 + 4 * k, dims[k]);
    size_t hn = 4 + 4 * (size_t)rank;
    if (!gz) {
        FILE *f = fopen(path, "wb");
        ck_assert(f != NULL);
        ck_assert(fwrite(head, 1, hn, f) == hn);
        ck_assert(n == 0 || fwrite(data, 1, n, f) == n);
        ck_assert(fclose(f) == 0);
        return;
    }
    gzFile g = gzopen(path, "wb");
    ck_assert(g != NULL);
    ck_assert(gzwrite(g, head, (unsigned)hn) == (int)hn);
    ck_assert(n == 0 || gzwrite(g, data, (unsigned)n) == (int)n);
    ck_assert(gzclose(g) == Z_OK);
}
