/* A tiny streaming JSON writer, to a FILE * or to a growable buffer: safetensors headers,
 * summary.json. Values are written as they come (no tree); commas, colons and indentation are
 * placed by the writer. Errors are sticky: the first failed write or allocation is kept and
 * every later call does nothing, so callers check once, at json_finish.
 *
 * Conventions: strings are UTF-8; invalid byte sequences are written as U+FFFD, so the output
 * is always valid JSON. '"' and '\\' are escaped, \b \f \n \r \t by their short forms, other
 * control characters as \u00XX. Numbers are written in the shortest form that reads back
 * exactly (util/num.h: a float-valued double as the float it is); NaN and infinities, which
 * JSON cannot express, are written as null. */
#ifndef CLNET_UTIL_JSON_H
#define CLNET_UTIL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json_writer {
    FILE *f;   /* the stream, or NULL when writing to buf */
    char *buf; /* buffer output: malloc'd, NUL-terminated, len bytes used */
    size_t len, cap;
    int indent; /* spaces per level; 0 writes everything on one line, without spaces */
    int depth;
    bool first[JSON_MAX_DEPTH + 1]; /* no item written yet at this level */
    bool is_object[JSON_MAX_DEPTH + 1];
    bool after_key; /* a key was written; its value comes next */
    int error;      /* 0, CLNET_ERR_IO or CLNET_ERR_NOMEM */
};

/* Writing to f (not closed by the writer). */
void json_init_file(struct json_writer *w, FILE *f, int indent);

/* Writing to a buffer; take it with json_take_buffer, or drop it with json_free_buffer. */
void json_init_buffer(struct json_writer *w, int indent);

/* Containers. Inside an object every value is preceded by json_key. Misuse (a value without
 * a key in an object, unbalanced ends, nesting deeper than JSON_MAX_DEPTH) is a programmer
 * bug and asserts. */
void json_begin_object(struct json_writer *w);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w);
void json_end_array(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);

void json_string(struct json_writer *w, const char *s);
void json_string_n(struct json_writer *w, const char *s, size_t n);
void json_int(struct json_writer *w, int64_t v);
void json_uint(struct json_writer *w, uint64_t v);
void json_double(struct json_writer *w, double v); /* non-finite: null */
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);

/* Appends raw bytes (padding, a trailing newline); no separators are added. */
void json_raw(struct json_writer *w, const char *s, size_t n);

/* Checks that every container was closed and returns the sticky status: 0, or CLNET_ERR_IO
 * ("json: write error: ...") / CLNET_ERR_NOMEM with a message recorded. For a stream it also
 * checks ferror but does not flush or close. */
int json_finish(struct json_writer *w);

/* The buffer (NUL-terminated, *len bytes without the NUL) now owned by the caller; NULL when
 * an error happened (it is freed then). The writer is left empty. */
char *json_take_buffer(struct json_writer *w, size_t *len);
void json_free_buffer(struct json_writer *w);

#endif
