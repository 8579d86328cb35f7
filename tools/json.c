/* JSON output.  Strings are escaped per RFC 8259 (quote, backslash and
 * every control character), so file names with odd characters still give
 * a parseable line; non-finite numbers, which JSON cannot represent,
 * become null. */
#include "json.h"

#include <math.h>

void json_init(json_writer *w, FILE *f)
{
    w->f = f;
    w->depth = 0;
    w->count[0] = 0;
}

/* Length of the valid UTF-8 sequence at p, 0 if it is not one (overlong
 * forms, surrogates and code points above U+10FFFF included). */
static int utf8_len(const unsigned char *p)
{
    int n;
    unsigned char lo = 0x80, hi = 0xbf;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        n = 2;
    else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;
        if (p[0] == 0xe0)
            lo = 0xa0;
        else if (p[0] == 0xed)
            hi = 0x9f;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
        if (p[0] == 0xf0)
            lo = 0x90;
        else if (p[0] == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (int i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return n;
}

/* Bytes that are not UTF-8 (a Latin-1 file name...) become U+FFFD: JSON
 * text must be Unicode, and one odd name must not break the line. */
static void put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        case '\b': fputs("\\b", f); break;
        case '\f': fputs("\\f", f); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(f, "\\u%04x", *p);
            else if (*p < 0x80)
                fputc(*p, f);
            else {
                int n = utf8_len(p);
                if (n == 0)
                    fputs("\\ufffd", f);
                else {
                    fwrite(p, 1, (size_t)n, f);
                    p += n - 1;
                }
            }
        }
    }
    fputc('"', f);
}

/* The separator and key before a value. */
static void member(json_writer *w, const char *key)
{
    if (w->count[w->depth]++ > 0)
        fputc(',', w->f);
    if (key) {
        put_string(w->f, key);
        fputc(':', w->f);
    }
}

static void open_level(json_writer *w, const char *key, int c)
{
    member(w, key);
    fputc(c, w->f);
    if (w->depth + 1 < JSON_MAX_DEPTH)
        w->count[++w->depth] = 0;
}

void json_begin_object(json_writer *w, const char *key) { open_level(w, key, '{'); }
void json_begin_array(json_writer *w, const char *key) { open_level(w, key, '['); }

void json_end_object(json_writer *w)
{
    fputc('}', w->f);
    if (w->depth > 0)
        w->depth--;
}

void json_end_array(json_writer *w)
{
    fputc(']', w->f);
    if (w->depth > 0)
        w->depth--;
}

void json_string(json_writer *w, const char *key, const char *value)
{
    member(w, key);
    if (value)
        put_string(w->f, value);
    else
        fputs("null", w->f);
}

void json_number(json_writer *w, const char *key, double value)
{
    member(w, key);
    if (isfinite(value))
        fprintf(w->f, "%.9g", value);
    else
        fputs("null", w->f);
}

void json_uint(json_writer *w, const char *key, uint64_t value)
{
    member(w, key);
    fprintf(w->f, "%llu", (unsigned long long)value);
}

void json_bool(json_writer *w, const char *key, int value)
{
    member(w, key);
    fputs(value ? "true" : "false", w->f);
}

void json_null(json_writer *w, const char *key)
{
    member(w, key);
    fputs("null", w->f);
}

void json_finish(json_writer *w)
{
    fputc('\n', w->f);
    fflush(w->f);
}
