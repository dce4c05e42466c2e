/* safetensors: the JSON writer it uses, a round trip of several dtypes with metadata, every
 * kind of malformed file (each must fail with CLNET_ERR_DATA and say what is wrong), and a
 * mutation sweep that must never crash. `test_safetensors --write-sample PATH` writes a file
 * and prints what tests/model/read_safetensors.py should read from it (meson runs that).
 * Host only. */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "model/safetensors.h"
#include "util/hash.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/rng.h"
#include "util/status.h"

/* ---- the JSON writer ---- */

static char *json_of(void (*build)(struct json_writer *), int indent)
{
    struct json_writer w;
    json_init_buffer(&w, indent);
    build(&w);
    ck_assert_int_eq(json_finish(&w), 0);
    size_t len;
    char *s = json_take_buffer(&w, &len);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(strlen(s), len);
    return s;
}

static void build_nested(struct json_writer *w)
{
    json_begin_object(w);
    json_key(w, "a");
    json_int(w, -3);
    json_key(w, "list");
    json_begin_array(w);
    json_bool(w, true);
    json_null(w);
    json_begin_object(w);
    json_end_object(w);
    json_begin_array(w);
    json_end_array(w);
    json_uint(w, UINT64_MAX);
    json_end_array(w);
    json_key(w, "s");
    json_string(w, "x");
    json_end_object(w);
}

START_TEST(test_json_compact_and_indented)
{
    char *s = json_of(build_nested, 0);
    ck_assert_str_eq(s, "{\"a\":-3,\"list\":[true,null,{},[],18446744073709551615],\"s\":\"x\"}");
    free(s);
    s = json_of(build_nested, 2);
    ck_assert_str_eq(s, "{\n  \"a\": -3,\n  \"list\": [\n    true,\n    null,\n    {},\n    [],\n"
                        "    18446744073709551615\n  ],\n  \"s\": \"x\"\n}");
    free(s);
}
END_TEST

static void build_strings(struct json_writer *w)
{
    json_begin_array(w);
    json_string(w, "q\"b\\s/\n\r\t\b\f\x01\x1f\x7f");
    json_string(w, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");         /* valid UTF-8 */
    json_string(w, "\xff.\xc3(.\xed\xa0\x80.\xc0\xaf.\xf4\x90\x80\x80"); /* invalid */
    json_string_n(w, "a\0b", 3);
    json_end_array(w);
}

START_TEST(test_json_string_escapes)
{
    char *s = json_of(build_strings, 0);
    ck_assert_str_eq(s,
                     "[\"q\\\"b\\\\s/\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\","
                     "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\","
                     "\"\xef\xbf\xbd.\xef\xbf\xbd(.\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd."
                     "\xef\xbf\xbd\xef\xbf\xbd.\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\","
                     "\"a\\u0000b\"]");
    free(s);
}
END_TEST

static const double doubles[] = {0.1, 1.0 / 3, 1e300, 5e-324, -2.5, 123456789.0, 0.0};

static void build_doubles(struct json_writer *w)
{
    json_begin_array(w);
    for (size_t i = 0; i < sizeof doubles / sizeof doubles[0]; i++)
        json_double(w, doubles[i]);
    json_double(w, NAN);
    json_double(w, -INFINITY);
    json_double(w, -0.0);
    json_int(w, INT64_MIN);
    json_end_array(w);
}

START_TEST(test_json_doubles_round_trip)
{
    char *s = json_of(build_doubles, 0);
    ck_assert_str_eq(s, "[0.1,0.3333333333333333,1e+300,5e-324,-2.5,123456789,0,null,"
                        "null,-0,-9223372036854775808]");
    char *p = s + 1;
    for (size_t i = 0; i < sizeof doubles / sizeof doubles[0]; i++) {
        ck_assert(strtod(p, &p) == doubles[i]);
        p++;
    }
    free(s);
}
END_TEST

START_TEST(test_json_to_file)
{
    char *path = NULL;
    ck_assert_int_ge(asprintf(&path, "%s/j.json", harness_tmpdir()), 0);
    FILE *f = fopen(path, "w");
    struct json_writer w;
    json_init_file(&w, f, 1);
    build_nested(&w);
    json_raw(&w, "\n", 1);
    ck_assert_int_eq(json_finish(&w), 0);
    fclose(f);
    char buf[256] = {0};
    f = fopen(path, "r");
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    ck_assert_uint_gt(n, 0);
    ck_assert_str_eq(buf, "{\n \"a\": -3,\n \"list\": [\n  true,\n  null,\n  {},\n  [],\n"
                          "  18446744073709551615\n ],\n \"s\": \"x\"\n}\n");
    free(path);
}
END_TEST

START_TEST(test_hash_fnv1a)
{
    /* Reference values of FNV-1a 64 (the published test vectors). */
    ck_assert_uint_eq(hash_bytes("", 0, HASH_SEED), UINT64_C(0xcbf29ce484222325));
    ck_assert_uint_eq(hash_bytes("a", 1, HASH_SEED), UINT64_C(0xaf63dc4c8601ec8c));
    ck_assert_uint_eq(hash_bytes("foobar", 6, HASH_SEED), UINT64_C(0x85944171f73967e8));
    /* chaining equals one call */
    ck_assert_uint_eq(hash_bytes("bar", 3, hash_bytes("foo", 3, HASH_SEED)),
                      UINT64_C(0x85944171f73967e8));
}
END_TEST

/* ---- round trip ---- */

static float w0[6] = {1.5f, -2.25f, 3.0f, 0.125f, -0.5f, 1e-3f};
static float scalar = 42.0f;
static int32_t ints[5] = {-7, 0, 7, INT32_MAX, INT32_MIN};
static uint8_t bytes3[3] = {0, 128, 255};

#define N_SAMPLE 5
static const struct st_tensor sample[N_SAMPLE] = {
    {.name = "layers.0.weight",
     .dtype = "F32",
     .rank = 2,
     .shape = {2, 3},
     .data = w0,
     .bytes = sizeof w0},
    {.name = "empty", .dtype = "F32", .rank = 2, .shape = {0, 4}, .data = NULL, .bytes = 0},
    {.name = "scalar", .dtype = "F32", .rank = 0, .data = &scalar, .bytes = 4},
    {.name = "ints", .dtype = "I32", .rank = 1, .shape = {5}, .data = ints, .bytes = sizeof ints},
    {.name = "bytes", .dtype = "U8", .rank = 1, .shape = {3}, .data = bytes3, .bytes = 3},
};
static const char *const sample_meta[] = {"format", "pt", "note",
                                          "quote \" back \\ nl \n caf\xc3\xa9", NULL};

static char *tmp_path(const char *name)
{
    char *p = NULL;
    ck_assert_int_ge(asprintf(&p, "%s/%s", harness_tmpdir(), name), 0);
    return p;
}

START_TEST(test_round_trip)
{
    char *path = tmp_path("rt.safetensors");
    ck_assert_int_eq(safetensors_write(path, sample, N_SAMPLE, sample_meta), 0);
    struct safetensors st;
    ck_assert_int_eq(safetensors_read(&st, path), 0);
    ck_assert_int_eq(st.n, N_SAMPLE);
    for (int i = 0; i < N_SAMPLE; i++) {
        const struct st_entry *e = safetensors_find(&st, sample[i].name);
        ck_assert_ptr_nonnull(e);
        ck_assert_str_eq(e->dtype, sample[i].dtype);
        ck_assert_int_eq(e->rank, sample[i].rank);
        for (int d = 0; d < e->rank; d++)
            ck_assert_int_eq(e->shape[d], sample[i].shape[d]);
        ck_assert_uint_eq(e->bytes, sample[i].bytes);
        if (e->bytes) ck_assert_mem_eq(e->data, sample[i].data, e->bytes);
        ck_assert_uint_eq((uintptr_t)e->data % (uintptr_t)safetensors_dtype_size(e->dtype), 0);
    }
    ck_assert_int_eq(safetensors_find(&st, "scalar")->count, 1);
    ck_assert_int_eq(safetensors_find(&st, "empty")->count, 0);
    ck_assert_ptr_null(safetensors_find(&st, "nope"));
    ck_assert_str_eq(safetensors_meta(&st, "format"), "pt");
    ck_assert_str_eq(safetensors_meta(&st, "note"), sample_meta[3]);
    ck_assert_ptr_null(safetensors_meta(&st, "missing"));
    safetensors_free(&st);
    safetensors_free(&st); /* twice is fine */

    /* header padded to a multiple of 8 with spaces; no temp file left behind */
    void *raw;
    size_t len;
    ck_assert_int_eq(fs_read_file(&raw, &len, path), 0);
    const unsigned char *b = raw;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | b[i];
    ck_assert_uint_eq(hlen % 8, 0);
    ck_assert_uint_eq(len, 8 + hlen + sizeof w0 + 4 + sizeof ints + 3);
    ck_assert_int_eq(b[8], '{');
    free(raw);
    DIR *d = opendir(harness_tmpdir());
    for (struct dirent *de; (de = readdir(d));)
        ck_assert_msg(!strstr(de->d_name, ".tmp."), "left behind: %s", de->d_name);
    closedir(d);
    free(path);
}
END_TEST

START_TEST(test_writer_refuses_bad_arguments)
{
    char *path = tmp_path("bad.safetensors");
    struct st_tensor t[2] = {sample[0], sample[4]};
    t[0].bytes = 20; /* shape says 24 */
    ck_assert_int_eq(safetensors_write(path, t, 1, NULL), CLNET_ERR_INTERNAL);
    t[0] = sample[4];
    t[1] = sample[0]; /* F32 at offset 3 */
    ck_assert_int_eq(safetensors_write(path, t, 2, NULL), CLNET_ERR_INTERNAL);
    t[0] = sample[0];
    t[1] = sample[0];
    ck_assert_int_eq(safetensors_write(path, t, 2, NULL), CLNET_ERR_INTERNAL);
    t[1].name = "__metadata__";
    ck_assert_int_eq(safetensors_write(path, t, 2, NULL), CLNET_ERR_INTERNAL);
    t[1].name = "x";
    t[1].dtype = "F33";
    ck_assert_int_eq(safetensors_write(path, t, 2, NULL), CLNET_ERR_INTERNAL);
    const char *meta[] = {"k", NULL, NULL};
    ck_assert_int_eq(safetensors_write(path, sample, 1, meta), CLNET_ERR_INTERNAL);
    ck_assert(!fs_exists(path));
    ck_assert_int_eq(safetensors_write("/nonexistent-dir/x.safetensors", sample, 1, NULL),
                     CLNET_ERR_IO);
    free(path);
}
END_TEST

/* ---- reading what others wrote ---- */

/* 8-byte length + header + data, as bytes (malloc'd). */
static unsigned char *make(size_t *len, const char *header, const void *data, size_t data_len)
{
    size_t h = strlen(header);
    *len = 8 + h + data_len;
    unsigned char *b = malloc(*len + 1);
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)h >> (8 * i));
    memcpy(b + 8, header, h);
    if (data_len) memcpy(b + 8 + h, data, data_len);
    return b;
}

static const float data16[4] = {1, 2, 3, 4};

START_TEST(test_reads_reference_style)
{
    /* The reference writer's compact form, a header length that leaves the data misaligned,
     * tabs and newlines as JSON whitespace, and \u escapes. */
    size_t len;
    unsigned char *b = make(&len,
                            "{\"__metadata__\":{\"format\":\"pt\"},\t\n"
                            "\"b\\u0041\":{\"dtype\":\"F32\",\"shape\":[2],"
                            "\"data_offsets\":[8,16]},"
                            "\"a\":{\"shape\":[1,2],\"dtype\":\"F32\",\"data_offsets\":[0,8]}}",
                            data16, sizeof data16);
    struct safetensors st;
    ck_assert_int_eq(safetensors_parse(&st, b, len, "ref.safetensors"), 0);
    const struct st_entry *a = safetensors_find(&st, "a"), *bb = safetensors_find(&st, "bA");
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(bb);
    ck_assert_uint_eq((uintptr_t)a->data % 8, 0);
    ck_assert_float_eq(((const float *)a->data)[1], 2.0f);
    ck_assert_float_eq(((const float *)bb->data)[0], 3.0f);
    ck_assert_str_eq(safetensors_meta(&st, "format"), "pt");
    safetensors_free(&st);
    free(b);

    b = make(&len, "{}", NULL, 0);
    ck_assert_int_eq(safetensors_parse(&st, b, len, "empty"), 0);
    ck_assert_int_eq(st.n, 0);
    safetensors_free(&st);
    free(b);
}
END_TEST

struct bad_case {
    const char *header;
    size_t data_len;    /* bytes of data after the header (zeros) */
    const char *expect; /* part of the message */
};

static const struct bad_case bad_cases[] = {
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]", 8, "ends inside"},
    {"{\"a\" 1}", 0, "not valid JSON"},
    {"{\"a\":{\"dtype\":\"F32\",,\"shape\":[2]}}", 0, "not valid JSON"},
    {"[1]", 0, "start with '{'"},
    {"", 0, "start with '{'"},
    {"{} x", 0, "text after"},
    {"{}{}", 0, "text after"},
    {"{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "has no dtype"},
    {"{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, "has no shape"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "has no data_offsets"},
    {"{\"a\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown dtype 'F33'"},
    {"{\"a\":{\"dtype\":7,\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown dtype"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "need 12"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "go past"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "end before"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
     "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
     12, "overlaps"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
     "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
     8, "overlaps"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "unused bytes"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, "after the last"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "negative"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8, "negative"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}", 8,
     "too large"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,8]}}", 8,
     "shape too large"},
    {"{\"a\":{\"dtype\":\"U8\",\"shape\":[9223372036854775807],"
     "\"data_offsets\":[0,9223372036854775807]}}",
     8, "go past"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8, "not an integer"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[02],\"data_offsets\":[0,8]}}", 8, "not valid JSON"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[true],\"data_offsets\":[0,8]}}", 8, "not an integer"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8, "integers"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}", 8, "[begin, end]"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4,
     "array longer"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8, "not a list"},
    {"{\"a\":[1]}", 0, "not an object"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", 8, "unknown key"},
    {"{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
     "given twice"},
    {"{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]},"
     "\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}",
     0, "given twice"},
    {"{\"\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0, "empty name"},
    {"{\"__metadata__\":{\"k\":1}}", 0, "not a string"},
    {"{\"__metadata__\":[]}", 0, "not an object"},
    {"{\"__metadata__\":{\"k\":\"v\",\"k\":\"w\"}}", 0, "given twice"},
    {"{\"__metadata__\":{},\"__metadata__\":{}}", 0, "given twice"},
    {"{\"a\\u0000b\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0, "NUL"},
    {"{\"a\tb\":1}", 0, "control character"},
    {"{\"a\\x41\":1}", 0, "not valid JSON"},
    {"{\"a\":{\"b\":{\"c\":[[1]]}}}", 0, "unknown key 'b'"},
    {"{1:2}", 0, "not valid JSON"},
    {"{# comment\n}", 0, "not valid JSON"},
    {"{\"a\": &x {}}", 0, "not valid JSON"},
    {"{\"a\": !!map {}}", 0, "not valid JSON"},
    {"{'a': 1}", 0, "not valid JSON"},
    {"{\"a\": *x}", 0, "not valid JSON"},
    {"{\"a\": \"b\"\n---\n}", 0, "not valid JSON"},
    {"{\"a\": tru}", 0, "not valid JSON"},
    {"  \n", 0, "start with '{'"},
    {"{\"__metadata__\":{\"k\":\"a\\u0000\"}}", 0, "NUL"},
    {"{\"__metadata__\":{\"k\":\"\xff\"}}", 0, "not valid JSON"},     /* not UTF-8 */
    {"{\"__metadata__\":{\"k\":\"\\ud800\"}}", 0, "not valid JSON"}, /* lone surrogate */
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1e999],\"data_offsets\":[0,8]}}", 8, "too large"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[null],\"data_offsets\":[0,8]}}", 8, "not an integer"},
    /* a key given twice with the same value: refused, not read as the last one */
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"shape\":[2]}}", 8,
     "given twice"},
};

/* Characters JSON allows raw in strings that the reader once mangled or refused when it went
 * through libyaml (found by fuzzing): DEL, C1 controls, U+0085 (YAML folded it to a space),
 * U+2028/U+2029 (refused in a key), U+FFFE/U+FFFF. They read back exactly. */
START_TEST(test_reads_yaml_unsafe_characters)
{
    static const char *const raw[] = {"\x7f", "\xc2\x80", "\xc2\x85", "\xc2\x91", "\xc2\x9f",
                                      "\xe2\x80\xa8", "\xe2\x80\xa9", "\xef\xbf\xbe",
                                      "\xef\xbf\xbf"};
    for (int i = 0; i < (int)(sizeof raw / sizeof raw[0]); i++) {
        char header[128], want[32];
        snprintf(want, sizeof want, "a%sb", raw[i]);
        snprintf(header, sizeof header,
                 "{\"__metadata__\":{\"k%s\":\"%s\"},\"t%s\":{\"dtype\":\"U8\",\"shape\":[0],"
                 "\"data_offsets\":[0,0]}}",
                 raw[i], want, raw[i]);
        size_t len;
        unsigned char *b = make(&len, header, NULL, 0);
        struct safetensors st;
        clnet_error_clear();
        ck_assert_msg(safetensors_parse(&st, b, len, "c.safetensors") == 0, "%d: %s", i,
                      clnet_error_message());
        char key[16];
        snprintf(key, sizeof key, "k%s", raw[i]);
        ck_assert_msg(safetensors_meta(&st, key), "%d: metadata key changed", i);
        ck_assert_str_eq(safetensors_meta(&st, key), want);
        snprintf(key, sizeof key, "t%s", raw[i]);
        ck_assert_msg(safetensors_find(&st, key), "%d: tensor name changed", i);
        safetensors_free(&st);
        free(b);
    }
}
END_TEST

START_TEST(test_rejects_malformed)
{
    const struct bad_case *c = &bad_cases[_i];
    static const unsigned char zeros[64];
    size_t len;
    unsigned char *b = make(&len, c->header, zeros, c->data_len);
    struct safetensors st;
    clnet_error_clear();
    int rc = safetensors_parse(&st, b, len, "bad.safetensors");
    ck_assert_msg(rc == CLNET_ERR_DATA, "case %d (%s): rc %d, message '%s'", _i, c->header, rc,
                  clnet_error_message());
    ck_assert_msg(strstr(clnet_error_message(), "bad.safetensors: ") == clnet_error_message() &&
                      strstr(clnet_error_message(), c->expect),
                  "case %d: message '%s' lacks '%s'", _i, clnet_error_message(), c->expect);
    ck_assert_int_eq(st.n, 0);
    ck_assert_ptr_null(st.entries);
    free(b);
}
END_TEST

START_TEST(test_rejects_short_and_long_header)
{
    struct safetensors st;
    clnet_error_clear();
    ck_assert_int_eq(safetensors_parse(&st, "\x02\0\0\0\0", 5, "s"), CLNET_ERR_DATA);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "too short"));
    clnet_error_clear();
    ck_assert_int_eq(safetensors_parse(&st, "\x10\0\0\0\0\0\0\0{}", 10, "s"), CLNET_ERR_DATA);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "more than the 2 bytes"));
    clnet_error_clear();
    ck_assert_int_eq(safetensors_parse(&st, "\xff\xff\xff\xff\xff\xff\xff\xff{}", 10, "s"),
                     CLNET_ERR_DATA);
    clnet_error_clear();
    ck_assert_int_eq(safetensors_read(&st, "/nonexistent/x.safetensors"), CLNET_ERR_IO);
    /* a truncated copy of a real file */
    char *path = tmp_path("trunc.safetensors");
    ck_assert_int_eq(safetensors_write(path, sample, N_SAMPLE, sample_meta), 0);
    void *raw;
    size_t len;
    ck_assert_int_eq(fs_read_file(&raw, &len, path), 0);
    clnet_error_clear();
    ck_assert_int_eq(safetensors_parse(&st, raw, len - 1, path), CLNET_ERR_DATA);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "go past"));
    free(raw);
    free(path);
}
END_TEST

/* Nesting far deeper than a header has (jansson stops at its own depth limit): refused with
 * one line, no crash, in an array and in objects. */
START_TEST(test_rejects_deep_nesting)
{
    enum { DEPTH = 100000 };
    char *h = malloc(5 * DEPTH + 16);
    ck_assert_ptr_nonnull(h);
    for (int kind = 0; kind < 2; kind++) {
        size_t n = (size_t)sprintf(h, "{\"a\":");
        for (int i = 0; i < DEPTH; i++)
            n += (size_t)sprintf(h + n, "%s", kind ? "{\"a\":" : "[");
        size_t len;
        unsigned char *b = make(&len, h, NULL, 0);
        struct safetensors st;
        clnet_error_clear();
        ck_assert_int_eq(safetensors_parse(&st, b, len, "deep"), CLNET_ERR_DATA);
        ck_assert_msg(strstr(clnet_error_message(), "deep: header"), "%s", clnet_error_message());
        free(b);
    }
    free(h);
}
END_TEST

/* Every truncation, every single-byte change to a few values, and random multi-byte
 * mutations of a valid file: any result is fine except a crash (Check forks per test, so a
 * crash fails it) or a success that hands out data outside the buffer. */
START_TEST(test_mutations_never_crash)
{
    char *path = tmp_path("mut.safetensors");
    ck_assert_int_eq(safetensors_write(path, sample, N_SAMPLE, sample_meta), 0);
    void *raw;
    size_t len;
    ck_assert_int_eq(fs_read_file(&raw, &len, path), 0);
    unsigned char *orig = raw, *b = malloc(len);
    struct safetensors st;
    int ok = 0;
    for (size_t cut = 0; cut < len; cut++) {
        if (safetensors_parse(&st, orig, cut, "m") == 0) ok++;
        safetensors_free(&st);
    }
    static const unsigned char values[] = {0,   '"', '{', '}',  '[',  ']',  ',', ':',
                                           '0', '9', '-', '\\', 0x80, 0xff, ' ', 'e'};
    for (size_t i = 0; i < len && i < 8 + 400; i++)
        for (size_t v = 0; v < sizeof values; v++) {
            memcpy(b, orig, len);
            b[i] = values[v];
            clnet_error_clear();
            if (safetensors_parse(&st, b, len, "m") == 0) {
                for (int k = 0; k < st.n; k++) {
                    volatile unsigned char sink = 0;
                    const unsigned char *d = st.entries[k].data;
                    for (size_t j = 0; j < st.entries[k].bytes; j++)
                        sink ^= d[j];
                    (void)sink;
                }
                ok++;
            }
            safetensors_free(&st);
        }
    struct rng r;
    rng_seed(&r, 99);
    for (int it = 0; it < 20000; it++) {
        memcpy(b, orig, len);
        int k = 1 + (int)rng_below(&r, 4);
        for (int j = 0; j < k; j++)
            b[rng_below(&r, (uint32_t)len)] = (unsigned char)rng_below(&r, 256);
        if (safetensors_parse(&st, b, len, "m") == 0) ok++;
        safetensors_free(&st);
    }
    ck_assert_int_gt(ok, 0); /* some changes (inside data) stay valid */
    free(b);
    free(raw);
    free(path);
}
END_TEST

/* ---- the plain-Python check's helper ---- */

static int write_sample(const char *path)
{
    if (safetensors_write(path, sample, N_SAMPLE, sample_meta)) {
        fprintf(stderr, "%s\n", clnet_error_message());
        return 1;
    }
    for (int i = 0; i < N_SAMPLE; i++) {
        const struct st_tensor *t = &sample[i];
        printf("%s %s [", t->name, t->dtype);
        int64_t count = 1;
        for (int d = 0; d < t->rank; d++) {
            printf("%s%" PRId64, d ? ", " : "", t->shape[d]);
            count *= t->shape[d];
        }
        double sum = 0;
        for (int64_t j = 0; j < count; j++)
            sum += !strcmp(t->dtype, "F32")   ? (double)((const float *)t->data)[j]
                   : !strcmp(t->dtype, "I32") ? (double)((const int32_t *)t->data)[j]
                                              : (double)((const uint8_t *)t->data)[j];
        printf("] %.17g\n", sum);
    }
    /* metadata sorted by key, values as JSON strings (as the Python side prints them) */
    struct json_writer w;
    for (int i = 0; i < 4; i += 2) {
        printf("meta %s ", sample_meta[i]);
        fflush(stdout);
        json_init_file(&w, stdout, 0);
        json_string(&w, sample_meta[i + 1]);
        json_raw(&w, "\n", 1);
        if (json_finish(&w)) return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--write-sample")) return write_sample(argv[2]);
    Suite *s = suite_create("model_safetensors");
    TCase *json = tcase_create("json");
    tcase_add_test(json, test_json_compact_and_indented);
    tcase_add_test(json, test_json_string_escapes);
    tcase_add_test(json, test_json_doubles_round_trip);
    tcase_add_test(json, test_json_to_file);
    tcase_add_test(json, test_hash_fnv1a);
    suite_add_tcase(s, json);
    TCase *tc = tcase_create("safetensors");
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_writer_refuses_bad_arguments);
    tcase_add_test(tc, test_reads_reference_style);
    tcase_add_test(tc, test_reads_yaml_unsafe_characters);
    tcase_add_loop_test(tc, test_rejects_malformed, 0,
                        (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(tc, test_rejects_short_and_long_header);
    tcase_add_test(tc, test_rejects_deep_nesting);
    tcase_add_test(tc, test_mutations_never_crash);
    suite_add_tcase(s, tc);
    return harness_run(s, true);
}
