/* steps.csv (see steps.h). */
#define _GNU_SOURCE
#include "train/steps.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/num.h"
#include "util/status.h"

/* The bytes of text to keep for a run resuming at start: the header and the rows 1, 2, ...
 * up to start, each a whole line; *last is the last row kept (0: none). */
static size_t keep(const char *text, size_t len, long start, long *last)
{
    size_t h = sizeof STEPS_HEADER - 1, pos = h;
    *last = 0;
    if (len < h || memcmp(text, STEPS_HEADER, h) != 0)
        return 0;
    while (*last < start && pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        char *end;
        long it = strtol(text + pos, &end, 10);
        if (!nl || end == text + pos || *end != ',' || it != *last + 1)
            break;
        *last = it;
        pos = (size_t)(nl - text) + 1;
    }
    return pos;
}

static int resume(const char *path, long start)
{
    void *text = NULL;
    size_t len = 0;
    bool exists = fs_exists(path);
    int status = exists ? fs_read_file(&text, &len, path) : CLNET_OK;
    long last = 0;
    size_t kept = status == CLNET_OK ? keep(text, len, start, &last) : 0;
    if (status == CLNET_OK && kept == 0) /* missing, or not clnet's: a new one */
        status = fs_write_atomic(path, STEPS_HEADER, sizeof STEPS_HEADER - 1);
    else if (status == CLNET_OK && kept < len)
        status = fs_write_atomic(path, text, kept);
    if (status == CLNET_OK && last < start)
        fprintf(stderr, "clnet: warning: %s: %s; the checkpoint is at iteration %ld: the "
                "per-step curve has no rows from %ld to %ld\n", path,
                !exists ? "missing" : kept == 0 ? "not a clnet steps.csv, started again"
                                                : "its rows end early", start, last + 1, start);
    free(text);
    return status;
}

int steps_open(struct run_steps *s, const char *dir, long start)
{
    char *path = NULL;
    if (asprintf(&path, "%s/steps.csv", dir) < 0)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    int status = start > 0 ? resume(path, start)
                           : fs_write_atomic(path, STEPS_HEADER, sizeof STEPS_HEADER - 1);
    if (status == CLNET_OK)
        status = fs_open_write(&s->f, path, true);
    s->next = start + 1;
    free(path);
    return status;
}

int steps_append(struct run_steps *s, long first, const float *acc, int n, int batch,
                 bool sync)
{
    if (first + 1 != s->next)
        return clnet_errorf(CLNET_ERR_INTERNAL, "steps.csv: rows from %ld after %ld", first + 1,
                            s->next - 1);
    for (int k = 0; k < n; k++) {
        char loss[32], correct[32];
        float l = acc[2 * k] / batch, c = acc[2 * k + 1] / batch; /* as metrics.csv's */
        fprintf(s->f, "%ld,%s,%s\n", first + 1 + k, num_shortest(loss, sizeof loss, l),
                num_shortest(correct, sizeof correct, c));
    }
    s->next += n;
    if (fflush(s->f) != 0 || (sync && fsync(fileno(s->f)) != 0))
        return clnet_errorf(CLNET_ERR_IO, "steps.csv: write failed: %s", strerror(errno));
    return CLNET_OK;
}

int steps_close(struct run_steps *s)
{
    int rc = s->f && fclose(s->f) != 0
                 ? clnet_errorf(CLNET_ERR_IO, "steps.csv: write failed: %s", strerror(errno))
                 : CLNET_OK;
    s->f = NULL;
    return rc;
}
