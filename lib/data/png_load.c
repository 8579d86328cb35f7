/* PNG decoding to grey floats, and the area-filter resize.
 *
 * libpng's simplified API does the decoding: it handles every bit depth,
 * palettes, transparency and colour (converted to luminance), and reports
 * errors through png_image.message instead of longjmp-ing through our
 * frames (it catches its own longjmp internally). */
#include "data/dataset.h"

#include "core/alloc.h"

#include <dirent.h>
#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Larger images are refused before any allocation: a corrupt or hostile
 * header must not make us allocate gigabytes. */
#define PNG_MAX_SIDE 16384u
#define PNG_MAX_PIXELS ((size_t)1 << 26)

void ml_png_scratch_free(ml_png_scratch *s)
{
    ml_free(s->pixels);
    ml_free(s->gray);
    ml_free(s->rows);
    memset(s, 0, sizeof *s);
}

/* Grows *buf to at least `bytes`, keeping nothing of its contents. */
static int reserve(void **buf, size_t *cap, size_t bytes)
{
    if (*cap >= bytes)
        return 1;
    void *p = ml_malloc(bytes);
    if (!p)
        return 0;
    ml_free(*buf);
    *buf = p;
    *cap = bytes;
    return 1;
}

/* One axis of the area filter: output cell o covers the input interval
 * [o * in / out, (o + 1) * in / out), input pixel k covers [k, k + 1);
 * pixels k0 .. k1-1 overlap the cell. */
static void cell_bounds(size_t o, size_t in, size_t out, double *lo, double *hi,
                        size_t *k0, size_t *k1)
{
    /* Exact in double for any sizes we accept (products below 2^53). */
    *lo = (double)(o * in) / (double)out;
    *hi = (double)((o + 1) * in) / (double)out;
    *k0 = (o * in) / out;                       /* floor(lo) */
    *k1 = ((o + 1) * in + out - 1) / out;       /* ceil(hi) */
    if (*k1 > in)
        *k1 = in;
}

static double overlap(double lo, double hi, size_t k)
{
    double a = lo > (double)k ? lo : (double)k;
    double b = hi < (double)(k + 1) ? hi : (double)(k + 1);
    return b > a ? b - a : 0.0;
}

void ml_resize_area(const float *in, size_t h, size_t w, float *out, size_t out_h,
                    size_t out_w, double *tmp)
{
    /* Separable: the box filter's weight is a product of per-axis
     * overlaps, so rows first, then columns.  Dividing by the summed
     * weights (not the nominal cell area) keeps a constant image exactly
     * constant. */
    for (size_t y = 0; y < h; y++)
        for (size_t o = 0; o < out_w; o++) {
            double lo, hi, sum = 0.0, wsum = 0.0;
            size_t k0, k1;
            cell_bounds(o, w, out_w, &lo, &hi, &k0, &k1);
            for (size_t k = k0; k < k1; k++) {
                double wt = overlap(lo, hi, k);
                sum += wt * in[y * w + k];
                wsum += wt;
            }
            tmp[y * out_w + o] = sum / wsum;
        }
    for (size_t o = 0; o < out_h; o++) {
        double lo, hi;
        size_t k0, k1;
        cell_bounds(o, h, out_h, &lo, &hi, &k0, &k1);
        for (size_t x = 0; x < out_w; x++) {
            double sum = 0.0, wsum = 0.0;
            for (size_t k = k0; k < k1; k++) {
                double wt = overlap(lo, hi, k);
                sum += wt * tmp[k * out_w + x];
                wsum += wt;
            }
            out[o * out_w + x] = (float)(sum / wsum);
        }
    }
}

/* Decodes into s->gray (h * w floats in [0, 1], not inverted). */
static ml_status decode(FILE *f, const char *path, ml_png_scratch *s, size_t *out_h,
                        size_t *out_w)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_stdio(&img, f)) {
        ml_status st = ml_error(NULL, ML_ERR_FORMAT, "%s: not a valid PNG file (%s)", path,
                                img.message);
        png_image_free(&img);
        return st;
    }
    size_t w = img.width, h = img.height;
    if (w == 0 || h == 0 || w > PNG_MAX_SIDE || h > PNG_MAX_SIDE ||
        w * h > PNG_MAX_PIXELS) {
        png_image_free(&img);
        return ml_error(NULL, ML_ERR_FORMAT,
                        "%s: image of %zu x %zu pixels is larger than the %u x %u "
                        "(and %zu pixels) accepted",
                        path, w, h, PNG_MAX_SIDE, PNG_MAX_SIDE, PNG_MAX_PIXELS);
    }
    /* Files of 16 bits per sample are read as 16-bit linear grey with
     * alpha (exact sample / 65535 when the file has no gamma or gamma 1);
     * the others as 8-bit grey, composited on white like paper. */
    int wide = (img.format & PNG_FORMAT_FLAG_LINEAR) != 0;
    img.format = wide ? PNG_FORMAT_LINEAR_Y_ALPHA : PNG_FORMAT_GRAY;
    size_t bytes = PNG_IMAGE_SIZE(img);
    if (!reserve(&s->pixels, &s->pixels_cap, bytes) ||
        !reserve(&s->gray, &s->gray_cap, h * w * sizeof(float))) {
        png_image_free(&img);
        return ml_error(NULL, ML_ERR_NOMEM, "%s: out of memory for %zu x %zu pixels", path,
                        w, h);
    }
    png_color white = {255, 255, 255};
    if (!png_image_finish_read(&img, &white, s->pixels, 0, NULL) ||
        (img.warning_or_error & PNG_IMAGE_ERROR)) {
        ml_status st = ml_error(NULL, ML_ERR_FORMAT, "%s: damaged PNG file (%s)", path,
                                img.message);
        png_image_free(&img);
        return st;
    }
    png_image_free(&img);
    if (wide) {
        /* Alpha is associated (premultiplied): on white, v = Y + (1 - A). */
        const png_uint_16 *p = s->pixels;
        float *g = s->gray;
        for (size_t i = 0; i < h * w; i++)
            g[i] = (float)((p[2 * i] + (65535.0 - p[2 * i + 1])) / 65535.0);
    } else {
        const png_byte *p = s->pixels;
        float *g = s->gray;
        for (size_t i = 0; i < h * w; i++)
            g[i] = (float)p[i] / 255.0f;
    }
    *out_h = h;
    *out_w = w;
    return ML_OK;
}

ml_status ml_png_load_gray(const char *path, size_t size, int invert,
                           ml_png_scratch *s, float *out)
{
    /* We open the file ourselves so that an unreadable file (ML_ERR_IO)
     * is told apart from one that is not a PNG (ML_ERR_FORMAT). */
    FILE *f = fopen(path, "rb");
    if (!f)
        return ml_error(NULL, ML_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t h = 0, w = 0;
    ml_status st = decode(f, path, s, &h, &w);
    fclose(f);
    if (st != ML_OK)
        return st;
    float *g = s->gray;
    if (invert)
        for (size_t i = 0; i < h * w; i++)
            g[i] = 1.0f - g[i];
    if (!reserve(&s->rows, &s->rows_cap, h * size * sizeof(double)))
        return ml_error(NULL, ML_ERR_NOMEM, "%s: out of memory", path);
    ml_resize_area(g, h, w, out, size, size, s->rows);
    return ML_OK;
}

/* ---------------------------------------------------------------------
 * Directory walking: every directory that directly holds .png files is a
 * class named by its path below the root.
 * --------------------------------------------------------------------- */

/* Deeper trees are refused: the Omniglot layout has depth 2, and a bound
 * keeps a pathological tree from exhausting the stack. */
#define WALK_MAX_DEPTH 16

typedef struct walk_class {
    char *name;             /* path below the root, '/'-separated; "." for the root */
    char **files;           /* full paths, sorted by file name */
    size_t n_files;
} walk_class;

typedef struct walk {
    const char *root;
    walk_class *classes;
    size_t n, cap;
    size_t images;
} walk;

typedef struct name_list {
    char **v;
    size_t n, cap;
} name_list;

static void list_free(name_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        ml_free(l->v[i]);
    ml_free(l->v);
    memset(l, 0, sizeof *l);
}

/* Appends s (taken over, freed on failure). */
static int list_push(name_list *l, char *s)
{
    if (!s)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        char **v = ml_realloc(l->v, cap * sizeof *v);
        if (!v) {
            ml_free(s);
            return 0;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    return 1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* a + "/" + b, or a copy of the other when one is empty. */
static char *join(const char *a, const char *b)
{
    if (!*a)
        return ml_data_strdup(b);
    if (!*b)
        return ml_data_strdup(a);
    size_t la = strlen(a), lb = strlen(b);
    char *s = ml_malloc(la + lb + 2);
    if (s) {
        memcpy(s, a, la);
        s[la] = '/';
        memcpy(s + la + 1, b, lb + 1);
    }
    return s;
}

/* Case-insensitive ".png" suffix, in ASCII whatever the locale. */
static int is_png_name(const char *name)
{
    size_t len = strlen(name);
    if (len < 5)
        return 0;
    const char *e = name + len - 4;
    return e[0] == '.' && (e[1] | 0x20) == 'p' && (e[2] | 0x20) == 'n' &&
           (e[3] | 0x20) == 'g';
}

static void walk_free(walk *wk)
{
    for (size_t c = 0; c < wk->n; c++) {
        ml_free(wk->classes[c].name);
        for (size_t i = 0; i < wk->classes[c].n_files; i++)
            ml_free(wk->classes[c].files[i]);
        ml_free(wk->classes[c].files);
    }
    ml_free(wk->classes);
    memset(wk, 0, sizeof *wk);
}

/* Reads one directory's entries into files (.png, full paths) and dirs
 * (names).  Hidden entries (a leading '.', such as macOS's "._x.png"
 * resource forks) are skipped; so are symbolic links to directories,
 * which could form loops.  Links to files are followed. */
static ml_status read_dir(const char *path, name_list *files, name_list *dirs)
{
    DIR *d = opendir(path);
    if (!d)
        return ml_error(NULL, ML_ERR_IO, "%s: cannot open directory: %s", path,
                        strerror(errno));
    ml_status st = ML_OK;
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e) {
            if (errno)
                st = ml_error(NULL, ML_ERR_IO, "%s: cannot read directory: %s", path,
                              strerror(errno));
            break;
        }
        if (e->d_name[0] == '.')
            continue;
        char *full = join(path, e->d_name);
        if (!full) {
            st = ml_error(NULL, ML_ERR_NOMEM, "out of memory");
            break;
        }
        struct stat sb;
        if (lstat(full, &sb) != 0) {
            st = ml_error(NULL, ML_ERR_IO, "%s: %s", full, strerror(errno));
            ml_free(full);
            break;
        }
        int link = S_ISLNK(sb.st_mode);
        if (link && stat(full, &sb) != 0) {
            ml_free(full);          /* a dangling link: nothing to read */
            continue;
        }
        int ok = 1;
        if (S_ISDIR(sb.st_mode) && !link)
            ok = list_push(dirs, ml_data_strdup(e->d_name));
        else if (S_ISREG(sb.st_mode) && is_png_name(e->d_name)) {
            ok = list_push(files, full);
            full = NULL;
        }
        ml_free(full);
        if (!ok) {
            st = ml_error(NULL, ML_ERR_NOMEM, "out of memory");
            break;
        }
    }
    closedir(d);
    return st;
}

static ml_status walk_dir(walk *wk, const char *rel, int depth)
{
    char *path = join(wk->root, rel);
    if (!path)
        return ml_error(NULL, ML_ERR_NOMEM, "out of memory");
    name_list files = {0}, dirs = {0};
    ml_status st = read_dir(path, &files, &dirs);
    ml_free(path);
    if (st == ML_OK && files.n) {
        if (wk->n == wk->cap) {
            size_t cap = wk->cap ? 2 * wk->cap : 64;
            walk_class *v = ml_realloc(wk->classes, cap * sizeof *v);
            if (!v)
                st = ml_error(NULL, ML_ERR_NOMEM, "out of memory");
            else {
                wk->classes = v;
                wk->cap = cap;
            }
        }
        if (st == ML_OK) {
            walk_class *c = &wk->classes[wk->n];
            c->name = ml_data_strdup(*rel ? rel : ".");
            if (!c->name)
                st = ml_error(NULL, ML_ERR_NOMEM, "out of memory");
            else {
                /* Full paths share the directory prefix, so sorting them
                 * sorts the file names. */
                qsort(files.v, files.n, sizeof *files.v, cmp_str);
                c->files = files.v;
                c->n_files = files.n;
                wk->images += files.n;
                wk->n++;
                memset(&files, 0, sizeof files);
            }
        }
    }
    list_free(&files);
    if (st == ML_OK && dirs.n && depth >= WALK_MAX_DEPTH)
        st = ml_error(NULL, ML_ERR_FORMAT,
                      "%s: directories nested deeper than %d levels below %s", rel,
                      WALK_MAX_DEPTH, wk->root);
    if (st == ML_OK && dirs.n)      /* qsort wants a non-NULL array, even empty */
        qsort(dirs.v, dirs.n, sizeof *dirs.v, cmp_str);
    for (size_t i = 0; st == ML_OK && i < dirs.n; i++) {
        char *sub = join(rel, dirs.v[i]);
        if (!sub) {
            st = ml_error(NULL, ML_ERR_NOMEM, "out of memory");
            break;
        }
        st = walk_dir(wk, sub, depth + 1);
        ml_free(sub);
    }
    list_free(&dirs);
    return st;
}

static int cmp_class(const void *a, const void *b)
{
    return strcmp(((const walk_class *)a)->name, ((const walk_class *)b)->name);
}

/* The group: the class name up to its first '/'. */
static char *group_of(const char *name)
{
    const char *slash = strchr(name, '/');
    size_t len = slash ? (size_t)(slash - name) : strlen(name);
    char *g = ml_malloc(len + 1);
    if (g) {
        memcpy(g, name, len);
        g[len] = '\0';
    }
    return g;
}

ml_status ml_data_load_images(ml_data **out, const char *dir, size_t size, int invert)
{
    *out = NULL;
    walk wk = {0};
    wk.root = dir;
    ml_status st = walk_dir(&wk, "", 0);
    if (st == ML_OK && wk.images == 0)
        st = ml_error(NULL, ML_ERR_FORMAT, "%s: no .png file found", dir);
    if (st != ML_OK) {
        walk_free(&wk);
        return st;
    }
    /* The walk visits directories depth first; the documented order is
     * the names' byte order ("A-b" before "A/b"), so sort once at the end. */
    qsort(wk.classes, wk.n, sizeof *wk.classes, cmp_class);
    ml_data *d;
    st = ml_data_new(&d, wk.images, 3, (const size_t[]){1, size, size}, wk.n);
    if (st != ML_OK) {
        walk_free(&wk);
        return st;
    }
    ml_png_scratch scratch = {0};
    size_t i = 0;
    for (size_t c = 0; st == ML_OK && c < wk.n; c++) {
        d->names[c] = ml_data_strdup(wk.classes[c].name);
        d->groups[c] = group_of(wk.classes[c].name);
        if (!d->names[c] || !d->groups[c]) {
            st = ml_error(NULL, ML_ERR_NOMEM, "out of memory");
            break;
        }
        for (size_t f = 0; st == ML_OK && f < wk.classes[c].n_files; f++, i++) {
            d->labels[i] = (int)c;
            st = ml_png_load_gray(wk.classes[c].files[f], size, invert, &scratch,
                                  d->x + i * d->input_size);
        }
    }
    ml_png_scratch_free(&scratch);
    walk_free(&wk);
    if (st == ML_OK)
        st = ml_data_index(d);
    if (st != ML_OK) {
        ml_data_unref(d);
        return st;
    }
    *out = d;
    return ML_OK;
}
