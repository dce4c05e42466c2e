/* libFuzzer target: the experiment loader, from YAML text through base: merging, --set
 * overrides, validation, shape inference and the layer table, and the promise of
 * config_write_resolved: the resolved YAML loads again and writes the same bytes.
 *
 * Input: up to three sections split at lines "#---": the experiment file (main.yaml), the
 * file main.yaml can name with `base: base.yaml` (which may name main.yaml back: a cycle),
 * and --set arguments, one a line. Without a second section base.yaml does not exist. */
#define _GNU_SOURCE /* memmem, open_memstream */
#include "config/config.h"
#include "fuzz_util.h"
#include "model/shape.h"
#include "util/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEP "\n#---\n"
#define MAX_SETS 8

/* The resolved YAML of e (malloc'd, *len bytes). */
static char *resolved(const struct experiment *e, size_t *len)
{
    char *buf = NULL;
    FILE *m = open_memstream(&buf, len);
    FUZZ_CHECK(m, "open_memstream failed");
    int rc = config_write_resolved(e, m);
    FUZZ_CHECK(fclose(m) == 0 && rc == CLNET_OK, "config_write_resolved failed: %s",
               clnet_error_message());
    return buf;
}

static void check_loaded(const struct experiment *e)
{
    static FILE *devnull;
    if (!devnull) FUZZ_CHECK(devnull = fopen("/dev/null", "w"), "cannot open /dev/null");
    struct model_shape s;
    memset(&s, 0, sizeof s);
    int rc = shape_infer(&s, e);
    fuzz_check_status(rc, CLNET_ERR_CONFIG, "shape_infer");
    if (rc == CLNET_OK) FUZZ_CHECK(shape_print_table(devnull, e, &s) == CLNET_OK, "table");
    shape_free(&s);

    size_t len1, len2;
    char *text1 = resolved(e, &len1);
    const char *path = fuzz_path("resolved.yaml");
    fuzz_write(path, text1, len1);
    struct experiment e2;
    rc = config_load(&e2, path, NULL, 0);
    FUZZ_CHECK(rc == CLNET_OK, "the resolved config does not load: %s\n%s",
               clnet_error_message(), text1);
    char *text2 = resolved(&e2, &len2);
    FUZZ_CHECK(len1 == len2 && !memcmp(text1, text2, len1),
               "resolved config changes when loaded and written again:\n%s\n---\n%s", text1,
               text2);
    experiment_free(&e2);
    free(text1);
    free(text2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *main_path = fuzz_path("main.yaml"), *base_path = fuzz_path("base.yaml");
    const char *text = (const char *)data, *end = text + size;
    const char *cut = memmem(text, size, SEP, strlen(SEP));
    fuzz_write(main_path, text, cut ? (size_t)(cut - text) : size);
    const char *sets_text = NULL;
    size_t sets_len = 0;
    unlink(base_path);
    if (cut) {
        const char *b = cut + strlen(SEP);
        const char *cut2 = memmem(b, (size_t)(end - b), SEP, strlen(SEP));
        fuzz_write(base_path, b, cut2 ? (size_t)(cut2 - b) : (size_t)(end - b));
        if (cut2) {
            sets_text = cut2 + strlen(SEP);
            sets_len = (size_t)(end - sets_text);
        }
    }
    char *sets_buf = strndup(sets_text ? sets_text : "", sets_len);
    FUZZ_CHECK(sets_buf, "out of memory");
    const char *sets[MAX_SETS];
    int n_sets = 0;
    for (char *line = sets_buf, *next; line && *line && n_sets < MAX_SETS; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        sets[n_sets++] = line;
    }

    struct experiment e;
    clnet_error_clear();
    int rc = config_load(&e, main_path, sets, n_sets);
    fuzz_check_status(rc, CLNET_ERR_CONFIG, "config_load");
    if (rc == CLNET_OK) {
        check_loaded(&e);
        experiment_free(&e);
    }
    free(sets_buf);
    return 0;
}
