/* A safetensors header to a file's entries and metadata. The JSON is parsed by jansson,
 * strictly: one object and nothing after it but whitespace, valid UTF-8, no raw control
 * characters, no \u0000, a key given twice refused (JSON_REJECT_DUPLICATES). Then every layout
 * check: each tensor has a known dtype, a shape and data_offsets of non-negative integers
 * whose byte count matches, and the tensors tile the data exactly (no overlap, no gap, nothing
 * after the last one). Sizes are int64_t / size_t with every product checked. */
#include "model/safetensors_internal.h"

#include "util/status.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct span {
    int64_t begin, end;
    int entry;
};

/* jansson's refusal as one line: what, and where in the header. */
static int json_refusal(const char *file, const json_error_t *e)
{
    int at = e->position;
    switch (json_error_code(e)) {
    case json_error_out_of_memory:
        return clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory", file);
    case json_error_premature_end_of_input:
        return clnet_errorf(CLNET_ERR_DATA, "%s: header ends inside its JSON object: %s", file,
                            e->text);
    case json_error_end_of_input_expected:
        return clnet_errorf(CLNET_ERR_DATA, "%s: header byte %d: text after the header object",
                            file, at);
    case json_error_null_character:
    case json_error_null_byte_in_key:
        return clnet_errorf(CLNET_ERR_DATA, "%s: header byte %d: NUL character (\\u0000) in a "
                            "string", file, at);
    case json_error_duplicate_key:
        return clnet_errorf(CLNET_ERR_DATA, "%s: header byte %d: a key given twice: %s", file,
                            at, e->text);
    case json_error_numeric_overflow:
        return clnet_errorf(CLNET_ERR_DATA, "%s: header byte %d: number too large: %s", file,
                            at, e->text);
    default:
        return clnet_errorf(CLNET_ERR_DATA, "%s: header is not valid JSON: %s (byte %d)", file,
                            e->text, at);
    }
}

/* A non-negative JSON integer (jansson's json_int_t is 64 bits: larger ones were refused). */
static int read_count(const char *file, const char *name, const char *what, const json_t *v,
                      int64_t *out)
{
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        if (x < 0)
            return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s': %s holds a negative number "
                                "(%lld)", file, name, what, (long long)x);
        *out = x;
        return 0;
    }
    if (json_is_string(v) || json_is_array(v) || json_is_object(v))
        return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s': %s must hold integers", file, name,
                            what);
    /* a fraction, true, false or null */
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    int rc = clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s': %s: '%.40s' is not an integer", file,
                          name, what, text ? text : "?");
    free(text);
    return rc;
}

/* A tensor's three members; any other is refused. */
static int tensor_members(const char *file, const char *name, json_t *o, json_t **dtype,
                          json_t **shape, json_t **offsets)
{
    if (!json_is_object(o))
        return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s' is not an object", file, name);
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        if (strcmp(key, "dtype") && strcmp(key, "shape") && strcmp(key, "data_offsets"))
            return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s': unknown key '%.40s'", file,
                                name, key);
    }
    *dtype = json_object_get(o, "dtype");
    *shape = json_object_get(o, "shape");
    *offsets = json_object_get(o, "data_offsets");
    const char *missing = !*dtype ? "dtype" : !*shape ? "shape" : !*offsets ? "data_offsets" : NULL;
    if (missing)
        return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s' has no %s", file, name, missing);
    return 0;
}

/* The offsets hold exactly the bytes that e's shape and dtype (size bytes each) need. */
static int check_extent(const char *file, const char *name, struct st_entry *e, int size,
                        const struct span *sp)
{
    int64_t bytes = st_tensor_bytes(e->shape, e->rank, size, &e->count);
    if (bytes < 0 || (uint64_t)bytes > SIZE_MAX)
        return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s': shape too large", file, name);
    if (sp->begin > sp->end)
        return clnet_errorf(CLNET_ERR_DATA,
                            "%s: tensor '%s': data_offsets [%lld, %lld] end before they begin",
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

/* Fills e (but its name) and sp from a tensor's object. */
static int read_tensor(const char *file, const char *name, json_t *o, struct st_entry *e,
                       struct span *sp)
{
    json_t *dtype = NULL, *shape = NULL, *offsets = NULL;
    int rc = tensor_members(file, name, o, &dtype, &shape, &offsets);
    if (rc) return rc;
    int size = 0;
    const char *known = json_is_string(dtype) ? st_dtype_known(json_string_value(dtype), &size)
                                              : NULL;
    if (!known)
        return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s': unknown dtype '%.40s'", file, name,
                            json_is_string(dtype) ? json_string_value(dtype) : "(not a string)");
    if (!json_is_array(shape))
        return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s': shape is not a list", file, name);
    if (json_array_size(shape) > ST_MAX_RANK)
        return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s': shape: array longer than %d", file,
                            name, ST_MAX_RANK);
    if (!json_is_array(offsets) || json_array_size(offsets) != 2)
        return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s': data_offsets is not [begin, end]",
                            file, name);
    e->dtype = known;
    e->rank = (int)json_array_size(shape);
    for (int d = 0; d < e->rank && !rc; d++)
        rc = read_count(file, name, "shape", json_array_get(shape, (size_t)d), &e->shape[d]);
    if (!rc) rc = read_count(file, name, "data_offsets", json_array_get(offsets, 0), &sp->begin);
    if (!rc) rc = read_count(file, name, "data_offsets", json_array_get(offsets, 1), &sp->end);
    return rc ? rc : check_extent(file, name, e, size, sp);
}

static int read_metadata(struct safetensors *st, json_t *o)
{
    if (!json_is_object(o))
        return clnet_errorf(CLNET_ERR_DATA, "%s: __metadata__ is not an object", st->path);
    size_t n = json_object_size(o);
    st->meta_keys = calloc(n + 1, sizeof *st->meta_keys);
    st->meta_vals = calloc(n + 1, sizeof *st->meta_vals);
    if (!st->meta_keys || !st->meta_vals)
        return clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory", st->path);
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        if (!json_is_string(v))
            return clnet_errorf(CLNET_ERR_DATA, "%s: metadata '%.40s' is not a string", st->path,
                                key);
        st->meta_keys[st->n_meta] = strdup(key);
        st->meta_vals[st->n_meta] = strdup(json_string_value(v));
        if (!st->meta_keys[st->n_meta++] || !st->meta_vals[st->n_meta - 1])
            return clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory", st->path);
    }
    return 0;
}

/* One member of the header's object: the metadata or the next entry (with spans[st->n]). */
static int read_member(struct safetensors *st, const char *key, json_t *v, struct span *spans,
                       size_t data_len)
{
    if (!strcmp(key, "__metadata__"))
        return read_metadata(st, v);
    if (!*key) /* safetensors_write refuses it too: no way to name it back */
        return clnet_errorf(CLNET_ERR_DATA, "%s: a tensor with an empty name", st->path);
    struct st_entry *e = &st->entries[st->n];
    struct span *sp = &spans[st->n];
    int rc = read_tensor(st->path, key, v, e, sp);
    if (rc) return rc;
    if ((uint64_t)sp->end > data_len)
        return clnet_errorf(CLNET_ERR_DATA,
                            "%s: tensor '%s': data_offsets [%lld, %lld] go past the %zu bytes "
                            "of data (truncated file?)",
                            st->path, key, (long long)sp->begin, (long long)sp->end, data_len);
    if (!(e->name = strdup(key)))
        return clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory", st->path);
    sp->entry = st->n++;
    return 0;
}

static int cmp_span(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return x->entry - y->entry;
}

/* The spans (sorted here) cover [0, data_len) exactly; then each entry points at its data. */
static int check_tiling(struct safetensors *st, struct span *spans, const unsigned char *data,
                        size_t data_len)
{
    qsort(spans, (size_t)st->n, sizeof *spans, cmp_span);
    int64_t at = 0;
    for (int i = 0; i < st->n; i++) {
        const char *name = st->entries[spans[i].entry].name;
        if (spans[i].begin < at)
            return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s' overlaps tensor '%s'", st->path,
                                name, st->entries[spans[i - 1].entry].name);
        if (spans[i].begin > at)
            return clnet_errorf(CLNET_ERR_DATA, "%s: %lld unused bytes before tensor '%s'",
                                st->path, (long long)(spans[i].begin - at), name);
        at = spans[i].end;
    }
    if ((uint64_t)at != data_len)
        return clnet_errorf(CLNET_ERR_DATA, "%s: %llu bytes after the last tensor's data",
                            st->path, (unsigned long long)(data_len - (uint64_t)at));
    for (int i = 0; i < st->n; i++)
        st->entries[spans[i].entry].data = data + spans[i].begin;
    return 0;
}

int st_header_read(struct safetensors *st, const char *header, size_t hlen,
                   const unsigned char *data, size_t data_len)
{
    size_t i = 0;
    while (i < hlen && (header[i] == ' ' || header[i] == '\t' || header[i] == '\n' ||
                        header[i] == '\r'))
        i++;
    if (i == hlen || header[i] != '{') /* so the top level can only be an object */
        return clnet_errorf(CLNET_ERR_DATA, "%s: header does not start with '{'", st->path);
    json_error_t err;
    json_t *root = json_loadb(header, hlen, JSON_REJECT_DUPLICATES, &err);
    if (!root) return json_refusal(st->path, &err);
    size_t members = json_object_size(root);
    struct span *spans = calloc(members + 1, sizeof *spans);
    st->entries = calloc(members + 1, sizeof *st->entries);
    int rc = spans && st->entries ? 0 : clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory",
                                                      st->path);
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if (rc) break;
        rc = read_member(st, key, v, spans, data_len);
    }
    if (!rc) rc = check_tiling(st, spans, data, data_len);
    free(spans);
    json_decref(root);
    return rc;
}
