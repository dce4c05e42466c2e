/* The JSON writer (see json.h). Byte-level UTF-8 validation follows RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF. */
#include "util/json.h"

#include "util/num.h"
#include "util/status.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void init(struct json_writer *w, FILE *f, int indent)
{
    memset(w, 0, sizeof *w);
    w->f = f;
    w->indent = indent < 0 ? 0 : indent;
    w->first[0] = true;
}

void json_init_file(struct json_writer *w, FILE *f, int indent)
{
    init(w, f, indent);
}

void json_init_buffer(struct json_writer *w, int indent)
{
    init(w, NULL, indent);
}

void json_raw(struct json_writer *w, const char *s, size_t n)
{
    if (w->error || n == 0) return;
    if (w->f) {
        if (fwrite(s, 1, n, w->f) != n)
            w->error = clnet_errorf(CLNET_ERR_IO, "json: write error: %s", strerror(errno));
        return;
    }
    if (n >= w->cap - w->len || !w->buf) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap - w->len <= n) {
            if (cap > SIZE_MAX / 2) {
                w->error = clnet_errorf(CLNET_ERR_NOMEM, "json: out of memory");
                return;
            }
            cap *= 2;
        }
        char *p = realloc(w->buf, cap);
        if (!p) {
            w->error = clnet_errorf(CLNET_ERR_NOMEM, "json: out of memory (%zu bytes)", cap);
            return;
        }
        w->buf = p;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void put(struct json_writer *w, const char *s)
{
    json_raw(w, s, strlen(s));
}

static void newline(struct json_writer *w, int depth)
{
    static const char spaces[] = "                                ";
    if (!w->indent) return;
    json_raw(w, "\n", 1);
    for (long left = (long)depth * w->indent; left > 0; left -= (long)(sizeof spaces - 1))
        json_raw(w, spaces, left < (long)(sizeof spaces - 1) ? (size_t)left : sizeof spaces - 1);
}

/* Separator and indentation before a value (or, in an object, before its key). */
static void before_value(struct json_writer *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    assert(!w->is_object[w->depth] && "json: a value inside an object needs json_key first");
    if (w->depth == 0) return;
    if (!w->first[w->depth]) json_raw(w, ",", 1);
    w->first[w->depth] = false;
    newline(w, w->depth);
}

static void begin(struct json_writer *w, bool object)
{
    before_value(w);
    assert(w->depth < JSON_MAX_DEPTH && "json: nested too deep");
    json_raw(w, object ? "{" : "[", 1);
    w->depth++;
    w->first[w->depth] = true;
    w->is_object[w->depth] = object;
}

static void end(struct json_writer *w, bool object)
{
    assert(w->depth > 0 && w->is_object[w->depth] == object && !w->after_key &&
           "json: unbalanced end");
    bool empty = w->first[w->depth];
    w->depth--;
    if (!empty) newline(w, w->depth);
    json_raw(w, object ? "}" : "]", 1);
}

void json_begin_object(struct json_writer *w)
{
    begin(w, true);
}

void json_end_object(struct json_writer *w)
{
    end(w, true);
}

void json_begin_array(struct json_writer *w)
{
    begin(w, false);
}

void json_end_array(struct json_writer *w)
{
    end(w, false);
}

/* Length of the valid UTF-8 sequence at s (1 to 4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t cp, min;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, cp = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, cp = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, cp = c & 0x07, min = 0x10000;
    else
        return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

static void write_string(struct json_writer *w, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    json_raw(w, "\"", 1);
    size_t run = 0; /* bytes at s[i - run .. i) to copy unchanged */
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        const char *esc = NULL;
        char buf[8];
        size_t len = 1;
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            if (c < 0x20) {
                snprintf(buf, sizeof buf, "\\u%04x", c);
                esc = buf;
            } else if (c >= 0x80 && !(len = utf8_len(s + i, n - i))) {
                esc = "\xEF\xBF\xBD"; /* U+FFFD for one invalid byte */
                len = 1;
            }
        }
        if (esc) {
            json_raw(w, (const char *)s + i - run, run);
            run = 0;
            put(w, esc);
        } else {
            run += len;
        }
        i += len;
    }
    json_raw(w, (const char *)s + n - run, run);
    json_raw(w, "\"", 1);
}

void json_key(struct json_writer *w, const char *key)
{
    assert(w->depth > 0 && w->is_object[w->depth] && !w->after_key &&
           "json: a key belongs inside an object");
    if (!w->first[w->depth]) json_raw(w, ",", 1);
    w->first[w->depth] = false;
    newline(w, w->depth);
    write_string(w, key, strlen(key));
    json_raw(w, w->indent ? ": " : ":", w->indent ? 2 : 1);
    w->after_key = true;
}

void json_string_n(struct json_writer *w, const char *s, size_t n)
{
    before_value(w);
    write_string(w, s, n);
}

void json_string(struct json_writer *w, const char *s)
{
    json_string_n(w, s, strlen(s));
}

void json_int(struct json_writer *w, int64_t v)
{
    char buf[32];
    before_value(w);
    snprintf(buf, sizeof buf, "%" PRId64, v);
    put(w, buf);
}

void json_uint(struct json_writer *w, uint64_t v)
{
    char buf[32];
    before_value(w);
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    put(w, buf);
}

void json_double(struct json_writer *w, double v)
{
    before_value(w);
    if (!isfinite(v)) {
        put(w, "null");
        return;
    }
    char buf[40];
    put(w, num_shortest(buf, sizeof buf, v));
}

void json_bool(struct json_writer *w, bool v)
{
    before_value(w);
    put(w, v ? "true" : "false");
}

void json_null(struct json_writer *w)
{
    before_value(w);
    put(w, "null");
}

int json_finish(struct json_writer *w)
{
    assert(w->depth == 0 && !w->after_key && "json: unclosed container");
    if (!w->error && w->f && ferror(w->f))
        w->error = clnet_errorf(CLNET_ERR_IO, "json: write error");
    return w->error;
}

char *json_take_buffer(struct json_writer *w, size_t *len)
{
    char *b = NULL;
    if (!w->error) {
        b = w->buf ? w->buf : calloc(1, 1);
        if (!b)
            w->error = clnet_errorf(CLNET_ERR_NOMEM, "json: out of memory");
        else if (len)
            *len = w->len;
        w->buf = NULL;
    }
    json_free_buffer(w);
    return b;
}

void json_free_buffer(struct json_writer *w)
{
    free(w->buf);
    w->buf = NULL;
    w->len = w->cap = 0;
}
