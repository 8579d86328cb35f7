/* Helpers of the fuzz targets: invariant checks, a private scratch
 * directory, and the input reader (fuzz.h).  The library's saved objects
 * have theirs in fuzz_files.c. */
#include "fuzz.h"

#include "meta/learner.h"

#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

_Noreturn void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: fuzz invariant failed: %s (last error: %s)\n", file, line,
            what, ml_last_error());
    abort();
}

ml_status fuzz_status(ml_status st)
{
    /* FUZZ_VERBOSE=1 traces every status: to see what a seed reaches. */
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("FUZZ_VERBOSE") != NULL;
    if (verbose)
        fprintf(stderr, "  status %d %s\n", (int)st, st == ML_OK ? "" : ml_last_error());
    /* ml_status_str knows every defined code, new ones included. */
    if (st > ML_OK || strcmp(ml_status_str(st), "unknown status") == 0) {
        fprintf(stderr, "undefined status %d\n", (int)st);
        FUZZ_CHECK(!"a call returned an undefined status");
    }
    /* ML_ERR_INTERNAL means a library invariant failed: a bug by
     * definition, so the fuzzer reports it like a crash. */
    FUZZ_CHECK(st != ML_ERR_INTERNAL);
    if (st != ML_OK)
        FUZZ_CHECK(ml_last_error()[0] != '\0');
    return st;
}

/* ---- the scratch directory ---- */

static char tmp_root[4096];

static void rm_tree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                    continue;
                char sub[4096];
                if (snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) < (int)sizeof sub)
                    rm_tree(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void remove_root(void)
{
    if (tmp_root[0])
        rm_tree(tmp_root);
}

const char *fuzz_tmpdir(void)
{
    if (!tmp_root[0]) {
        /* Memory-backed /dev/shm when there is one: the image and IDX
         * targets write and remove files for every input, which on a disk
         * costs ten times the decoding. */
        const char *base = getenv("TMPDIR");
        if (!base || !*base)
            base = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(tmp_root, sizeof tmp_root, "%s/mlfuzz.XXXXXX", base);
        if (!mkdtemp(tmp_root)) {
            fprintf(stderr, "mkdtemp %s: %s\n", tmp_root, strerror(errno));
            abort();
        }
        atexit(remove_root);
    }
    return tmp_root;
}

void fuzz_path(char *out, const char *rel)
{
    if (snprintf(out, 4096, "%s/%s", fuzz_tmpdir(), rel) >= 4096)
        FUZZ_CHECK(!"scratch path too long");
}

void fuzz_mkdirs(const char *rel)
{
    char path[4096];
    fuzz_path(path, rel);
    /* Each '/' after the root's own path ends one level to create. */
    for (char *p = path + strlen(fuzz_tmpdir()) + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(path, 0700) != 0 && errno != EEXIST) {
                fprintf(stderr, "mkdir %s: %s\n", path, strerror(errno));
                abort();
            }
            *p = c;
            if (!c)
                break;
        }
    }
}

void fuzz_write(const char *rel, const void *data, size_t n, int gz_level)
{
    char path[4096];
    fuzz_path(path, rel);
    int ok;
    if (gz_level) {
        char mode[4] = {'w', 'b', (char)('0' + gz_level), '\0'};
        gzFile g = gzopen(path, mode);
        ok = g != NULL;
        /* gzwrite takes an unsigned length; fuzz inputs are small. */
        if (ok && n)
            ok = gzwrite(g, data, (unsigned)n) == (int)n;
        if (g)
            ok = gzclose(g) == Z_OK && ok;
    } else {
        FILE *f = fopen(path, "wb");
        ok = f != NULL;
        if (ok && n)
            ok = fwrite(data, 1, n, f) == n;
        if (f)
            ok = fclose(f) == 0 && ok;
    }
    if (!ok) {
        fprintf(stderr, "cannot write %s\n", path);
        abort();
    }
}

void fuzz_rm(const char *rel)
{
    char path[4096];
    fuzz_path(path, rel);
    rm_tree(path);
}

/* ---- the input reader ---- */

unsigned fuzz_u8(fuzz_in *in)
{
    return in->off < in->n ? in->p[in->off++] : 0;
}

unsigned fuzz_u16(fuzz_in *in)
{
    unsigned hi = fuzz_u8(in);
    return hi << 8 | fuzz_u8(in);
}

uint64_t fuzz_u64(fuzz_in *in)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | fuzz_u8(in);
    return v;
}

size_t fuzz_left(const fuzz_in *in)
{
    return in->n - in->off;
}

/* Values that break arithmetic: signed zero, the ends of the ranges,
 * denormals, NaN and the infinities. */
static const double special_d[] = {
    0.0, -0.0, 1.0, -1.0, 0.5, 1e-3, 1e-8, 0.999, 1e3, 1e6, 1e9, 1e15, 1e30,
    -1e30, 1e300, -1e300, DBL_MAX, -DBL_MAX, DBL_MIN, 4.9e-324, NAN, -NAN,
    INFINITY, -INFINITY, 2147483648.0, 4294967296.0, 18446744073709551616.0,
};
static const float special_f[] = {
    0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 1e-3f, 1e-8f, 0.999f, 1e3f, 1e6f, 1e9f, 1e15f,
    1e30f, -1e30f, 1e38f, -1e38f, FLT_MAX, -FLT_MAX, FLT_MIN, 1.4e-45f, NAN, -NAN,
    INFINITY, -INFINITY, 2147483648.0f, 4294967296.0f, 18446744073709551616.0f,
};
enum { N_SPECIAL = sizeof special_d / sizeof special_d[0] };
_Static_assert(sizeof special_f / sizeof special_f[0] == N_SPECIAL, "one table size");

/* What a tag byte means.  t < 128: (t - 64) / 4, small whole and
 * fractional values, the common case; the next N_SPECIAL tags: an entry of
 * the tables (*index); 255: raw bits follow; the rest: powers of two from
 * 2^-46 to 2^53 (exact in float as in double). */
enum tag_kind { TAG_VALUE, TAG_TABLE, TAG_RAW };

static enum tag_kind tag(unsigned t, double *value, unsigned *index)
{
    if (t < 128) {
        *value = ((double)t - 64.0) / 4.0;
        return TAG_VALUE;
    }
    if (t < 128 + N_SPECIAL) {
        *index = t - 128;
        return TAG_TABLE;
    }
    if (t == 255)
        return TAG_RAW;
    *value = ldexp(1.0, (int)t - 128 - N_SPECIAL - 46);
    return TAG_VALUE;
}

double fuzz_double(fuzz_in *in)
{
    double v = 0.0;
    unsigned i = 0;
    switch (tag(fuzz_u8(in), &v, &i)) {
    case TAG_TABLE:
        return special_d[i];
    case TAG_RAW: {
        uint64_t bits = fuzz_u64(in);
        memcpy(&v, &bits, sizeof v);
        return v;
    }
    default:
        return v;
    }
}

/* A table of its own: converting DBL_MAX or 1e300 to float is undefined. */
float fuzz_float(fuzz_in *in)
{
    double v = 0.0;
    unsigned i = 0;
    switch (tag(fuzz_u8(in), &v, &i)) {
    case TAG_TABLE:
        return special_f[i];
    case TAG_RAW: {
        uint32_t bits = (uint32_t)fuzz_u16(in) << 16 | fuzz_u16(in);
        float f;
        memcpy(&f, &bits, sizeof f);
        return f;
    }
    default:
        return (float)v;
    }
}

int fuzz_is_metric(int strategy)
{
    const ml_strategy_ops *ops = ml_strategy_lookup(strategy);
    return ops && ops->episode;
}
