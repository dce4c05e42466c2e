/* safetensors reader and writer (see safetensors.h). The header goes through three steps:
 * a byte scan that accepts only JSON's lexical structure (so libyaml never sees YAML-only
 * syntax), libyaml's event parser building a small tree, and a validation pass over the
 * tree that fills the entries. Sizes are int64_t / size_t with every product checked. */
#define _GNU_SOURCE /* memmem */
#include "model/safetensors.h"

#include "util/fs.h"
#include "util/json.h"
#include "util/status.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include <zlib.h>

#define MAX_DEPTH 4 /* root, tensor or __metadata__, shape or data_offsets */
#define MAX_ARRAY ST_MAX_RANK

static const struct {
    const char *name;
    int size;
} dtypes[] = {
    {"F32", 4},     {"I32", 4},     {"U8", 1},  {"BOOL", 1}, {"I8", 1},
    {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2}, {"U16", 2},  {"F16", 2},
    {"BF16", 2},    {"U32", 4},     {"F64", 8}, {"I64", 8},  {"U64", 8},
};

static int dtype_index(const char *dtype)
{
    for (int i = 0; i < (int)(sizeof dtypes / sizeof dtypes[0]); i++)
        if (strcmp(dtypes[i].name, dtype) == 0) return i;
    return -1;
}

int safetensors_dtype_size(const char *dtype)
{
    int i = dtype ? dtype_index(dtype) : -1;
    return i < 0 ? 0 : dtypes[i].size;
}

/* ---- writing ---- */

static void put_le64(unsigned char *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

/* product(shape) * size, or -1 when it does not fit in int64_t (or a dimension is < 0). */
static int64_t tensor_bytes(const int64_t *shape, int rank, int size, int64_t *count)
{
    int64_t c = 1;
    for (int i = 0; i < rank; i++) {
        if (shape[i] < 0 || (shape[i] > 0 && c > INT64_MAX / shape[i])) return -1;
        c *= shape[i];
    }
    if (count) *count = c;
    return c > INT64_MAX / size ? -1 : c * size;
}

static int check_tensors(const char *path, const struct st_tensor *t, int n)
{
    int64_t off = 0;
    for (int i = 0; i < n; i++) {
        const char *name = t[i].name;
        int size = safetensors_dtype_size(t[i].dtype);
        if (!name || !*name || strcmp(name, "__metadata__") == 0)
            return clnet_errorf(CLNET_ERR_INTERNAL, "%s: tensor %d: bad name '%s'", path, i,
                                name ? name : "(null)");
        if (!size)
            return clnet_errorf(CLNET_ERR_INTERNAL, "%s: tensor '%s': unknown dtype '%s'", path,
                                name, t[i].dtype ? t[i].dtype : "(null)");
        if (t[i].rank < 0 || t[i].rank > ST_MAX_RANK)
            return clnet_errorf(CLNET_ERR_INTERNAL, "%s: tensor '%s': rank %d", path, name,
                                t[i].rank);
        int64_t bytes = tensor_bytes(t[i].shape, t[i].rank, size, NULL);
        if (bytes < 0 || (uint64_t)bytes != t[i].bytes || (bytes > 0 && !t[i].data))
            return clnet_errorf(CLNET_ERR_INTERNAL,
                                "%s: tensor '%s': %zu bytes of data do not match its shape", path,
                                name, t[i].bytes);
        if (off % size != 0)
            return clnet_errorf(CLNET_ERR_INTERNAL,
                                "%s: tensor '%s' would start at offset %lld, not a multiple of "
                                "its element size (write U8 tensors last)",
                                path, name, (long long)off);
        if (off > INT64_MAX - bytes)
            return clnet_errorf(CLNET_ERR_INTERNAL, "%s: tensors too large", path);
        off += bytes;
        for (int j = 0; j < i; j++)
            if (strcmp(t[j].name, name) == 0)
                return clnet_errorf(CLNET_ERR_INTERNAL, "%s: tensor '%s' given twice", path, name);
    }
    return 0;
}

/* The header's JSON, padded so the data starts at a multiple of 8; with crc, the metadata
 * ends with ST_CRC_KEY holding the placeholder "00000000". */
static int build_header(const char *path, const struct st_tensor *tensors, int n,
                        const char *const *meta_kv, bool crc, char **header, size_t *hlen)
{
    struct json_writer w;
    json_init_buffer(&w, 0);
    json_begin_object(&w);
    if ((meta_kv && meta_kv[0]) || crc) {
        json_key(&w, "__metadata__");
        json_begin_object(&w);
        for (int i = 0; meta_kv && meta_kv[i]; i += 2) {
            if (!meta_kv[i + 1] || !strcmp(meta_kv[i], ST_CRC_KEY)) {
                json_free_buffer(&w);
                return clnet_errorf(CLNET_ERR_INTERNAL, "%s: metadata '%s' %s", path, meta_kv[i],
                                    meta_kv[i + 1] ? "is the writer's own" : "has no value");
            }
            json_key(&w, meta_kv[i]);
            json_string(&w, meta_kv[i + 1]);
        }
        if (crc) {
            json_key(&w, ST_CRC_KEY);
            json_string(&w, "00000000");
        }
        json_end_object(&w);
    }
    int64_t off = 0;
    for (int i = 0; i < n; i++) {
        const struct st_tensor *t = &tensors[i];
        json_key(&w, t->name);
        json_begin_object(&w);
        json_key(&w, "dtype");
        json_string(&w, t->dtype);
        json_key(&w, "shape");
        json_begin_array(&w);
        for (int d = 0; d < t->rank; d++)
            json_int(&w, t->shape[d]);
        json_end_array(&w);
        json_key(&w, "data_offsets");
        json_begin_array(&w);
        json_int(&w, off);
        json_int(&w, off + (int64_t)t->bytes);
        json_end_array(&w);
        json_end_object(&w);
        off += (int64_t)t->bytes;
    }
    json_end_object(&w);
    /* Spaces (JSON whitespace) so the data starts at a multiple of 8. */
    while (w.len % 8)
        json_raw(&w, " ", 1);
    int rc = json_finish(&w);
    *header = json_take_buffer(&w, hlen);
    return rc ? rc : *header ? 0 : CLNET_ERR_NOMEM;
}

/* zlib's crc32 over n bytes, in pieces its uInt length can take. */
static uint32_t crc_more(uint32_t crc, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n > 0) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = (uint32_t)crc32(crc, b, k);
        b += k;
        n -= k;
    }
    return crc;
}

/* Where ST_CRC_KEY's 8 digits are in a header as safetensors_write_checked writes it: after
 * the one occurrence of "KEY":" (JSON's escapes keep a string's own quotes from forming it;
 * a header whose key is written another way has no such place). NULL when there is not
 * exactly one. */
static const char *crc_digits(const char *h, size_t n)
{
    static const char pat[] = "\"" ST_CRC_KEY "\":\"";
    const size_t k = sizeof pat - 1;
    const char *found = NULL;
    for (const char *p = h; (size_t)(h + n - p) >= k + 8;) {
        const char *q = memmem(p, (size_t)(h + n - p), pat, k);
        if (!q || (size_t)(h + n - q) < k + 8)
            break;
        if (found)
            return NULL;
        found = q + k;
        p = q + 1;
    }
    return found;
}

/* The file's checksum with the digits at crc_at (inside header) read as "00000000". */
static uint32_t file_crc(const unsigned char *len8, const char *header, size_t hlen,
                         const char *crc_at, const struct st_tensor *t, int n,
                         const void *data, size_t data_len)
{
    uint32_t crc = crc_more((uint32_t)crc32(0, Z_NULL, 0), len8, 8);
    size_t before = (size_t)(crc_at - header);
    crc = crc_more(crc, header, before);
    crc = crc_more(crc, "00000000", 8);
    crc = crc_more(crc, crc_at + 8, hlen - before - 8);
    for (int i = 0; i < n; i++)
        crc = crc_more(crc, t[i].data, t[i].bytes);
    return data ? crc_more(crc, data, data_len) : crc;
}

static int write_file(const char *path, const struct st_tensor *tensors, int n,
                      const char *const *meta_kv, bool crc)
{
    int rc = check_tensors(path, tensors, n);
    char *header = NULL;
    size_t hlen = 0;
    if (!rc)
        rc = build_header(path, tensors, n, meta_kv, crc, &header, &hlen);
    if (rc) {
        free(header);
        return rc;
    }
    unsigned char len8[8];
    put_le64(len8, hlen);
    char *digits = crc ? (char *)crc_digits(header, hlen) : NULL;
    if (crc && !digits) {
        free(header);
        return clnet_errorf(CLNET_ERR_INTERNAL, "%s: no place for the checksum", path);
    }
    if (digits) {
        char hex[9];
        snprintf(hex, sizeof hex, "%08x", file_crc(len8, header, hlen, digits, tensors, n,
                                                   NULL, 0));
        memcpy(digits, hex, 8);
    }
    struct fs_atomic a;
    rc = fs_atomic_open(&a, path);
    if (rc) {
        free(header);
        return rc;
    }
    bool ok = fwrite(len8, 1, 8, a.f) == 8 && fwrite(header, 1, hlen, a.f) == hlen;
    for (int i = 0; ok && i < n; i++)
        ok = tensors[i].bytes == 0 ||
             fwrite(tensors[i].data, 1, tensors[i].bytes, a.f) == tensors[i].bytes;
    free(header);
    if (!ok) {
        rc = clnet_errorf(CLNET_ERR_IO, "%s: write error: %s", a.tmp, strerror(errno));
        fs_atomic_abort(&a);
        return rc;
    }
    return fs_atomic_commit(&a);
}

int safetensors_write(const char *path, const struct st_tensor *tensors, int n,
                      const char *const *meta_kv)
{
    return write_file(path, tensors, n, meta_kv, false);
}

int safetensors_write_checked(const char *path, const struct st_tensor *tensors, int n,
                              const char *const *meta_kv)
{
    return write_file(path, tensors, n, meta_kv, true);
}

/* ---- reading: lexical scan ---- */

/* Accepts exactly JSON's tokens outside strings (numbers and true/false/null only by their
 * characters; libyaml and the validation pass check their shape), JSON's escapes inside them,
 * one top-level object and nothing but whitespace after it. */
static bool is_ws(unsigned c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int scan_json(const char *file, const unsigned char *h, size_t n)
{
    size_t i = 0;
    int depth = 0;
    bool closed = false; /* the top-level object has ended */
    while (i < n && is_ws(h[i]))
        i++;
    if (i == n || h[i] != '{')
        return clnet_errorf(CLNET_ERR_DATA, "%s: header does not start with '{'", file);
    for (; i < n; i++) {
        unsigned c = h[i];
        if (closed && !is_ws(c))
            return clnet_errorf(CLNET_ERR_DATA, "%s: header byte %zu: text after the header object",
                                file, i);
        if (c == '"') {
            for (i++; i < n && h[i] != '"'; i++) {
                if (h[i] < 0x20)
                    return clnet_errorf(CLNET_ERR_DATA,
                                        "%s: header byte %zu: control character in a string", file,
                                        i);
                if (h[i] != '\\') continue;
                if (++i == n) break;
                if (!h[i] || !strchr("\"\\/bfnrtu", h[i]))
                    return clnet_errorf(CLNET_ERR_DATA,
                                        "%s: header byte %zu: '\\%c' is not a JSON escape", file,
                                        i - 1, h[i] >= 0x20 && h[i] < 0x7F ? h[i] : '?');
            }
            if (i == n)
                return clnet_errorf(CLNET_ERR_DATA, "%s: header ends inside a string", file);
        } else if (c == '{' || c == '[') {
            if (++depth > MAX_DEPTH)
                return clnet_errorf(CLNET_ERR_DATA, "%s: header nested deeper than %d levels", file,
                                    MAX_DEPTH);
        } else if (c == '}' || c == ']') {
            closed = --depth == 0;
        } else if (!c || !strchr(" \t\n\r,:0123456789+-.eEtrufalsn", (int)c)) {
            return clnet_errorf(CLNET_ERR_DATA,
                                "%s: header byte %zu: '%c' is not JSON (YAML comments, anchors, "
                                "tags and quotes are not accepted)",
                                file, i, c >= 0x20 && c < 0x7F ? (int)c : '?');
        }
    }
    if (!closed)
        return clnet_errorf(CLNET_ERR_DATA, "%s: header ends inside an object or array", file);
    return 0;
}

/* ---- reading: libyaml events to a tree ---- */

enum jkind { J_OBJ, J_ARR, J_STR, J_LIT }; /* J_LIT: a number, true, false or null */

struct jnode {
    enum jkind kind;
    char *text;            /* J_STR, J_LIT: malloc'd, NUL-terminated */
    int first, last, next; /* children (an object's alternate key, value), -1 when none */
    int count;             /* children */
};

struct jtree {
    const char *file;
    struct jnode *nodes;
    int n, cap;
    int stack[MAX_DEPTH];
    int depth;
};

static void jtree_free(struct jtree *t)
{
    for (int i = 0; i < t->n; i++)
        free(t->nodes[i].text);
    free(t->nodes);
    t->nodes = NULL;
    t->n = t->cap = 0;
}

static int jtree_add(struct jtree *t, enum jkind kind, const char *text, size_t len)
{
    const char *file = t->file;
    if (t->depth == 0 && t->n > 0)
        return clnet_errorf(CLNET_ERR_DATA, "%s: header has more than one value", file);
    if (t->depth > 0) {
        const struct jnode *p = &t->nodes[t->stack[t->depth - 1]];
        if (p->kind == J_OBJ && p->count % 2 == 0 && kind != J_STR)
            return clnet_errorf(CLNET_ERR_DATA, "%s: header: an object key is not a string", file);
        if (p->kind == J_ARR && p->count >= MAX_ARRAY)
            return clnet_errorf(CLNET_ERR_DATA, "%s: header: array longer than %d", file,
                                MAX_ARRAY);
    }
    if (t->n == t->cap) {
        int cap = t->cap ? t->cap * 2 : 64;
        struct jnode *nodes =
            t->cap < INT32_MAX / 2 ? realloc(t->nodes, sizeof *nodes * (size_t)cap) : NULL;
        if (!nodes) return clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory", file);
        t->nodes = nodes;
        t->cap = cap;
    }
    struct jnode *nd = &t->nodes[t->n];
    *nd = (struct jnode){.kind = kind, .first = -1, .last = -1, .next = -1};
    if (text) {
        if (strlen(text) != len)
            return clnet_errorf(CLNET_ERR_DATA, "%s: header: NUL character in a string", file);
        if (!(nd->text = malloc(len + 1)))
            return clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory", file);
        memcpy(nd->text, text, len + 1);
    }
    int id = t->n++;
    if (t->depth > 0) {
        struct jnode *p = &t->nodes[t->stack[t->depth - 1]];
        if (p->last >= 0)
            t->nodes[p->last].next = id;
        else
            p->first = id;
        p->last = id;
        p->count++;
    }
    if (kind == J_OBJ || kind == J_ARR) t->stack[t->depth++] = id; /* scan_json bounded it */
    return 0;
}

static int jtree_event(struct jtree *t, const yaml_event_t *ev)
{
    const char *file = t->file;
    const unsigned char *anchor = NULL, *tag = NULL;
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        return clnet_errorf(CLNET_ERR_DATA, "%s: header: YAML alias, not JSON", file);
    case YAML_SCALAR_EVENT: {
        const yaml_char_t *v = ev->data.scalar.value;
        anchor = ev->data.scalar.anchor;
        tag = ev->data.scalar.tag;
        if (anchor || tag) break;
        if (ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
            return jtree_add(t, J_STR, (const char *)v, ev->data.scalar.length);
        if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
            return jtree_add(t, J_LIT, (const char *)v, ev->data.scalar.length);
        return clnet_errorf(CLNET_ERR_DATA,
                            "%s: header: a value is neither a JSON string nor "
                            "a number",
                            file);
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        bool map = ev->type == YAML_MAPPING_START_EVENT;
        anchor = map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
        tag = map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
        if (anchor || tag) break;
        if (map ? ev->data.mapping_start.style != YAML_FLOW_MAPPING_STYLE
                : ev->data.sequence_start.style != YAML_FLOW_SEQUENCE_STYLE)
            return clnet_errorf(CLNET_ERR_DATA, "%s: header: YAML block syntax, not JSON", file);
        if (t->depth == MAX_DEPTH)
            return clnet_errorf(CLNET_ERR_DATA, "%s: header nested too deep", file);
        return jtree_add(t, map ? J_OBJ : J_ARR, NULL, 0);
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (t->depth > 0) t->depth--;
        return 0;
    default:
        return 0;
    }
    return clnet_errorf(CLNET_ERR_DATA, "%s: header: YAML %s, not JSON", file,
                        anchor ? "anchor" : "tag");
}

/* Characters JSON allows raw inside strings but YAML does not read as themselves: DEL, the
 * C1 controls U+0080..U+009F and U+FFFE/U+FFFF (libyaml refuses them), U+0085, U+2028 and
 * U+2029 (line breaks to YAML: folded to a space, or refused in a key). Returns how many
 * bytes the character at h[i] takes when it is one of them, else 0. scan_json has already
 * refused them outside strings. */
static size_t yaml_unsafe(const unsigned char *h, size_t n, size_t i, unsigned *code)
{
    if (h[i] == 0x7F) return *code = 0x7F, 1;
    if (h[i] == 0xC2 && i + 1 < n && h[i + 1] >= 0x80 && h[i + 1] <= 0x9F)
        return *code = h[i + 1], 2;
    if (h[i] == 0xE2 && i + 2 < n && h[i + 1] == 0x80 && (h[i + 2] == 0xA8 || h[i + 2] == 0xA9))
        return *code = 0x2000u | (h[i + 2] - 0x80u), 3;
    if (h[i] == 0xEF && i + 2 < n && h[i + 1] == 0xBF && (h[i + 2] == 0xBE || h[i + 2] == 0xBF))
        return *code = 0xFF00u | (h[i + 2] + 0x40u), 3;
    return 0;
}

/* The header with those characters written as \uXXXX escapes, which libyaml decodes to the
 * same characters; *out is NULL when there are none. */
static int escape_yaml_unsafe(const char *file, const unsigned char *h, size_t n, char **out,
                              size_t *out_len)
{
    size_t extra = 0;
    unsigned code;
    *out = NULL;
    for (size_t i = 0; i < n; i++) {
        size_t k = yaml_unsafe(h, n, i, &code);
        if (k) extra += 6 - k, i += k - 1;
    }
    if (!extra) return 0;
    char *e = malloc(n + extra + 1);
    if (!e) return clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory", file);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = yaml_unsafe(h, n, i, &code);
        if (!k) {
            e[o++] = (char)h[i];
            continue;
        }
        snprintf(e + o, 7, "\\u%04X", code);
        o += 6;
        i += k - 1;
    }
    *out = e;
    *out_len = o;
    return 0;
}

static int jtree_parse(struct jtree *t, const char *h, size_t n)
{
    yaml_parser_t y;
    if (!yaml_parser_initialize(&y))
        return clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory", t->file);
    yaml_parser_set_input_string(&y, (const unsigned char *)h, n);
    int rc = 0;
    for (bool done = false; !done && !rc;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&y, &ev)) {
            size_t at = y.error == YAML_READER_ERROR ? y.problem_offset : y.problem_mark.index;
            if (y.error == YAML_MEMORY_ERROR)
                rc = clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory", t->file);
            else
                rc = clnet_errorf(CLNET_ERR_DATA, "%s: header is not valid JSON: %s (byte %zu)",
                                  t->file, y.problem ? y.problem : "syntax error", at);
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        rc = jtree_event(t, &ev);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&y);
    if (!rc && (t->n == 0 || t->nodes[0].kind != J_OBJ))
        rc = clnet_errorf(CLNET_ERR_DATA, "%s: header is not a JSON object", t->file);
    return rc;
}

/* ---- reading: validation ---- */

/* A non-negative JSON integer that fits in int64_t. */
static int parse_count(const char *file, const char *name, const char *what, const struct jnode *n,
                       int64_t *out)
{
    const char *s = n->text;
    if (n->kind != J_LIT || !s || !*s)
        return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s': %s must hold integers", file, name,
                            what);
    if (s[0] == '-')
        return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s': %s holds a negative number (%s)",
                            file, name, what, s);
    if (s[0] == '0' && s[1])
        return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s': %s: '%.40s' is not an integer", file,
                            name, what, s);
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s': %s: '%.40s' is not an integer",
                                file, name, what, s);
        if (v > (INT64_MAX - (*p - '0')) / 10)
            return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s': %s: %.40s is too large", file,
                                name, what, s);
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return 0;
}

struct span {
    int64_t begin, end;
    int entry;
};

/* Fills e and sp from a tensor's object; takes no ownership. */
static int read_tensor(const char *file, struct jtree *t, const char *name, int obj,
                       struct st_entry *e, struct span *sp)
{
    const struct jnode *o = &t->nodes[obj];
    if (o->kind != J_OBJ)
        return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s' is not an object", file, name);
    int dtype = -1, shape = -1, offsets = -1;
    for (int k = o->first; k >= 0; k = t->nodes[t->nodes[k].next].next) {
        const char *key = t->nodes[k].text;
        int v = t->nodes[k].next;
        int *slot = !strcmp(key, "dtype")          ? &dtype
                    : !strcmp(key, "shape")        ? &shape
                    : !strcmp(key, "data_offsets") ? &offsets
                                                   : NULL;
        if (!slot)
            return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s': unknown key '%.40s'", file, name,
                                key);
        if (*slot >= 0)
            return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s': '%s' given twice", file, name,
                                key);
        *slot = v;
    }
    const char *missing = dtype < 0     ? "dtype"
                          : shape < 0   ? "shape"
                          : offsets < 0 ? "data_offsets"
                                        : NULL;
    if (missing)
        return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s' has no %s", file, name, missing);
    const struct jnode *d = &t->nodes[dtype], *s = &t->nodes[shape], *f = &t->nodes[offsets];
    int di = d->kind == J_STR ? dtype_index(d->text) : -1;
    if (di < 0)
        return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s': unknown dtype '%.40s'", file, name,
                            d->kind == J_STR ? d->text : "(not a string)");
    if (s->kind != J_ARR)
        return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s': shape is not a list", file, name);
    if (f->kind != J_ARR || f->count != 2)
        return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s': data_offsets is not [begin, end]",
                            file, name);
    e->dtype = dtypes[di].name;
    e->rank = 0;
    for (int c = s->first; c >= 0; c = t->nodes[c].next) {
        int rc = parse_count(file, name, "shape", &t->nodes[c], &e->shape[e->rank++]);
        if (rc) return rc;
    }
    int rc = parse_count(file, name, "data_offsets", &t->nodes[f->first], &sp->begin);
    if (!rc)
        rc = parse_count(file, name, "data_offsets", &t->nodes[t->nodes[f->first].next], &sp->end);
    if (rc) return rc;
    int64_t bytes = tensor_bytes(e->shape, e->rank, dtypes[di].size, &e->count);
    if (bytes < 0 || (uint64_t)bytes > SIZE_MAX)
        return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s': shape too large", file, name);
    if (sp->begin > sp->end)
        return clnet_errorf(CLNET_ERR_DATA,
                            "%s: tensor '%s': data_offsets [%lld, %lld] end "
                            "before they begin",
                            file, name, (long long)sp->begin, (long long)sp->end);
    if (sp->end - sp->begin != bytes)
        return clnet_errorf(CLNET_ERR_DATA,
                            "%s: tensor '%s': data_offsets [%lld, %lld] hold %lld bytes, its "
                            "shape and dtype need %lld",
                            file, name, (long long)sp->begin, (long long)sp->end,
                            (long long)(sp->end - sp->begin), (long long)bytes);
    e->bytes = (size_t)bytes;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_span(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return x->entry - y->entry;
}

/* The first name that occurs twice in names (sorted in place), or NULL. */
static const char *find_duplicate(const char **names, int n)
{
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 1; i < n; i++)
        if (!strcmp(names[i - 1], names[i])) return names[i];
    return NULL;
}

static int read_metadata(struct safetensors *st, struct jtree *t, int obj)
{
    const struct jnode *o = &t->nodes[obj];
    if (o->kind != J_OBJ)
        return clnet_errorf(CLNET_ERR_DATA, "%s: __metadata__ is not an object", st->path);
    int n = o->count / 2;
    st->meta_keys = calloc((size_t)n + 1, sizeof *st->meta_keys);
    st->meta_vals = calloc((size_t)n + 1, sizeof *st->meta_vals);
    if (!st->meta_keys || !st->meta_vals)
        return clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory", st->path);
    for (int k = o->first; k >= 0; k = t->nodes[t->nodes[k].next].next) {
        struct jnode *key = &t->nodes[k], *val = &t->nodes[key->next];
        if (val->kind != J_STR)
            return clnet_errorf(CLNET_ERR_DATA, "%s: metadata '%.40s' is not a string", st->path,
                                key->text);
        st->meta_keys[st->n_meta] = key->text;
        st->meta_vals[st->n_meta++] = val->text;
        key->text = val->text = NULL; /* now owned by st */
    }
    const char **names = malloc(sizeof *names * ((size_t)n + 1));
    if (!names) return clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory", st->path);
    memcpy(names, st->meta_keys, sizeof *names * (size_t)n);
    const char *dup = find_duplicate(names, n);
    int rc =
        dup ? clnet_errorf(CLNET_ERR_DATA, "%s: metadata '%.40s' given twice", st->path, dup) : 0;
    free(names);
    return rc;
}

/* Fills st's entries and metadata from the tree and checks that the tensors tile the
 * data_len bytes of data exactly. */
static int read_header(struct safetensors *st, struct jtree *t, const unsigned char *data,
                       size_t data_len)
{
    const char *file = st->path;
    const struct jnode *root = &t->nodes[0];
    int members = root->count / 2;
    struct span *spans = calloc((size_t)members + 1, sizeof *spans);
    const char **names = calloc((size_t)members + 1, sizeof *names);
    st->entries = calloc((size_t)members + 1, sizeof *st->entries);
    int rc = 0;
    if (!spans || !names || !st->entries) {
        rc = clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory", file);
        goto done;
    }
    int n_names = 0;
    for (int k = root->first; k >= 0 && !rc; k = t->nodes[t->nodes[k].next].next) {
        struct jnode *key = &t->nodes[k];
        names[n_names++] = key->text;
        if (!strcmp(key->text, "__metadata__")) {
            if (st->meta_keys)
                rc = clnet_errorf(CLNET_ERR_DATA, "%s: __metadata__ given twice", file);
            else
                rc = read_metadata(st, t, key->next);
            continue;
        }
        if (!*key->text) { /* safetensors_write refuses it too: no way to name it back */
            rc = clnet_errorf(CLNET_ERR_DATA, "%s: a tensor with an empty name", file);
            break;
        }
        struct st_entry *e = &st->entries[st->n];
        struct span *sp = &spans[st->n];
        rc = read_tensor(file, t, key->text, key->next, e, sp);
        if (rc) break;
        if ((uint64_t)sp->end > data_len) {
            rc = clnet_errorf(CLNET_ERR_DATA,
                              "%s: tensor '%s': data_offsets [%lld, %lld] go "
                              "past the %zu bytes of data (truncated file?)",
                              file, key->text, (long long)sp->begin, (long long)sp->end, data_len);
            break;
        }
        sp->entry = st->n++;
        e->name = key->text;
        key->text = NULL; /* now owned by the entry */
    }
    if (rc) goto done;
    const char *dup = find_duplicate(names, n_names);
    if (dup) {
        rc = clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%.40s' given twice", file, dup);
        goto done;
    }
    qsort(spans, (size_t)st->n, sizeof *spans, cmp_span);
    int64_t at = 0;
    for (int i = 0; i < st->n; i++) {
        const char *name = st->entries[spans[i].entry].name;
        if (spans[i].begin < at)
            rc = clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s' overlaps tensor '%s'", file, name,
                              st->entries[spans[i - 1].entry].name);
        else if (spans[i].begin > at)
            rc = clnet_errorf(CLNET_ERR_DATA, "%s: %lld unused bytes before tensor '%s'", file,
                              (long long)(spans[i].begin - at), name);
        if (rc) goto done;
        at = spans[i].end;
    }
    if ((uint64_t)at != data_len)
        rc = clnet_errorf(CLNET_ERR_DATA, "%s: %llu bytes after the last tensor's data", file,
                          (unsigned long long)(data_len - (uint64_t)at));
    for (int i = 0; i < st->n && !rc; i++)
        st->entries[spans[i].entry].data = data + spans[i].begin;
done:
    free(spans);
    free(names);
    return rc;
}

/* A file holding ST_CRC_KEY must match it: clnet wrote it, and anything else is damage. */
static int verify_crc(struct safetensors *st, const unsigned char *buf, size_t hlen,
                      size_t data_len)
{
    const char *want = safetensors_meta(st, ST_CRC_KEY);
    if (!want)
        return 0;
    const char *h = (const char *)buf + 8, *at = crc_digits(h, hlen);
    bool hex = strlen(want) == 8 && strspn(want, "0123456789abcdef") == 8;
    if (!at || !hex || memcmp(at, want, 8) != 0)
        return clnet_errorf(CLNET_ERR_DATA, "%s: damaged: its checksum entry (%s) is not as "
                            "clnet writes it", st->path, ST_CRC_KEY);
    uint32_t got = file_crc(buf, h, hlen, at, NULL, 0, h + hlen, data_len);
    if (strtoul(want, NULL, 16) != got)
        return clnet_errorf(CLNET_ERR_DATA, "%s: damaged: its contents do not match the "
                            "checksum it was written with (%s %s, contents %08x)",
                            st->path, ST_CRC_KEY, want, (unsigned)got);
    st->checked = true;
    return 0;
}

static uint64_t get_le64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

/* Takes ownership of buf (len bytes, malloc'd) whatever happens. */
static int parse_owned(struct safetensors *st, unsigned char *buf, size_t len, const char *name)
{
    memset(st, 0, sizeof *st);
    st->file = buf;
    size_t nl = strlen(name) + 1;
    if (!(st->path = malloc(nl))) {
        safetensors_free(st);
        return clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory", name);
    }
    memcpy(st->path, name, nl);
    struct jtree t = {.file = st->path};
    int rc = 0;
    if (len < 8) {
        rc = clnet_errorf(CLNET_ERR_DATA, "%s: %zu bytes: too short for a safetensors file", name,
                          len);
        goto done;
    }
    uint64_t hlen = get_le64(buf);
    if (hlen > len - 8) {
        rc = clnet_errorf(CLNET_ERR_DATA,
                          "%s: header length %llu is more than the %zu bytes "
                          "after it (truncated, or not a safetensors file)",
                          name, (unsigned long long)hlen, len - 8);
        goto done;
    }
    if (hlen > ST_MAX_HEADER) {
        rc = clnet_errorf(CLNET_ERR_DATA, "%s: header length %llu is over the %u byte limit", name,
                          (unsigned long long)hlen, ST_MAX_HEADER);
        goto done;
    }
    const unsigned char *data = buf + 8 + hlen;
    size_t data_len = len - 8 - (size_t)hlen;
    if ((uintptr_t)data % 8 != 0) {
        if (!(st->data_copy = malloc(data_len ? data_len : 1))) {
            rc = clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory", name);
            goto done;
        }
        memcpy(st->data_copy, data, data_len);
        data = st->data_copy;
    }
    rc = scan_json(name, buf + 8, (size_t)hlen);
    char *escaped = NULL;
    size_t escaped_len = 0;
    if (!rc) rc = escape_yaml_unsafe(name, buf + 8, (size_t)hlen, &escaped, &escaped_len);
    if (!rc && escaped) rc = jtree_parse(&t, escaped, escaped_len);
    else if (!rc) rc = jtree_parse(&t, (const char *)buf + 8, (size_t)hlen);
    free(escaped);
    if (!rc) rc = read_header(st, &t, data, data_len);
    if (!rc) rc = verify_crc(st, buf, (size_t)hlen, data_len);
done:
    jtree_free(&t);
    if (rc) safetensors_free(st);
    return rc;
}

int safetensors_read(struct safetensors *st, const char *path)
{
    void *buf;
    size_t len;
    memset(st, 0, sizeof *st);
    int rc = fs_read_file(&buf, &len, path);
    return rc ? rc : parse_owned(st, buf, len, path);
}

int safetensors_parse(struct safetensors *st, const void *bytes, size_t len, const char *name)
{
    memset(st, 0, sizeof *st);
    unsigned char *buf = malloc(len ? len : 1);
    if (!buf) return clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory (%zu bytes)", name, len);
    if (len) memcpy(buf, bytes, len);
    return parse_owned(st, buf, len, name);
}

const struct st_entry *safetensors_find(const struct safetensors *st, const char *name)
{
    for (int i = 0; i < st->n; i++)
        if (!strcmp(st->entries[i].name, name)) return &st->entries[i];
    return NULL;
}

const char *safetensors_meta(const struct safetensors *st, const char *key)
{
    for (int i = 0; i < st->n_meta; i++)
        if (!strcmp(st->meta_keys[i], key)) return st->meta_vals[i];
    return NULL;
}

void safetensors_free(struct safetensors *st)
{
    if (st->entries)
        for (int i = 0; i < st->n; i++)
            free((char *)st->entries[i].name);
    if (st->meta_keys)
        for (int i = 0; i < st->n_meta; i++) {
            free(st->meta_keys[i]);
            free(st->meta_vals[i]);
        }
    free(st->entries);
    free(st->meta_keys);
    free(st->meta_vals);
    free(st->file);
    free(st->data_copy);
    free(st->path);
    memset(st, 0, sizeof *st);
}
