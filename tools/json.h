/* A minimal streaming JSON writer for the --json result lines: one object
 * on one line, commas and string escaping handled here. */
#ifndef METALEARN_TOOL_JSON_H
#define METALEARN_TOOL_JSON_H

#include <stdint.h>
#include <stdio.h>

enum { JSON_MAX_DEPTH = 16 };

typedef struct json_writer {
    FILE *f;
    int depth;
    int count[JSON_MAX_DEPTH];  /* members written at each level */
} json_writer;

void json_init(json_writer *w, FILE *f);

/* `key` is NULL inside arrays and at the top level. */
void json_begin_object(json_writer *w, const char *key);
void json_end_object(json_writer *w);
void json_begin_array(json_writer *w, const char *key);
void json_end_array(json_writer *w);

void json_string(json_writer *w, const char *key, const char *value); /* NULL: null */
void json_number(json_writer *w, const char *key, double value);     /* NaN, inf: null */
void json_uint(json_writer *w, const char *key, uint64_t value);
void json_bool(json_writer *w, const char *key, int value);
void json_null(json_writer *w, const char *key);

/* Ends the line after the top-level value. */
void json_finish(json_writer *w);

#endif
