/* One scalar of a config to a typed value, for the validation pass (validate.c): integers and
 * numbers with their schema range, 32-bit floats, booleans, strings, run names, and paths
 * made absolute (a file's relative to the file's folder, a data folder looked for next to the
 * file, then in the working folder). Errors name the node and the key path. */
#define _GNU_SOURCE /* asprintf, realpath */
#include "config/validate.h"

#include "util/fs.h"
#include "util/status.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *value_text(const struct node *n)
{
    return n && n->kind == NODE_SCALAR && !node_is_null(n) ? n->text : NULL;
}

int value_scalar(struct vctx *v, const struct node *n, const char *what, const char **out)
{
    *out = value_text(n);
    if (!*out) return vctx_error(v, n, "expected %s, got %s", what, node_kind_word(n));
    return 0;
}

static void range_text(char *buf, size_t size, const struct field *f)
{
    unsigned r = f->rng;
    if ((r & (RNG_MIN | RNG_MIN_EXCL)) && (r & (RNG_MAX | RNG_MAX_EXCL)))
        snprintf(buf, size, "in %c%g, %g%c", r & RNG_MIN_EXCL ? '(' : '[', f->min, f->max,
                 r & RNG_MAX_EXCL ? ')' : ']');
    else if (r & (RNG_MIN | RNG_MIN_EXCL))
        snprintf(buf, size, "%s %g", r & RNG_MIN_EXCL ? ">" : ">=", f->min);
    else if (r & (RNG_MAX | RNG_MAX_EXCL))
        snprintf(buf, size, "%s %g", r & RNG_MAX_EXCL ? "<" : "<=", f->max);
    else
        buf[0] = '\0';
}

static bool in_range(const struct field *f, double x)
{
    unsigned r = f->rng;
    return !((r & RNG_MIN && x < f->min) || (r & RNG_MIN_EXCL && x <= f->min) ||
             (r & RNG_MAX && x > f->max) || (r & RNG_MAX_EXCL && x >= f->max));
}

static int check_range(struct vctx *v, const struct field *f, const struct node *n, double x)
{
    if (in_range(f, x)) return 0;
    char r[96];
    range_text(r, sizeof r, f);
    return vctx_error(v, n, "must be %s, got %s", r, n->text);
}

int value_integer(struct vctx *v, const struct field *f, const struct node *n, long long lo,
                       long long hi, long long *out)
{
    const char *t;
    int rc = value_scalar(v, n, "an integer", &t);
    if (rc) return rc;
    char *end;
    errno = 0;
    long long x = strtoll(t, &end, 10);
    bool digits = (t[0] >= '0' && t[0] <= '9') ||
                  ((t[0] == '-' || t[0] == '+') && t[1] >= '0' && t[1] <= '9');
    if (!digits || *end) return vctx_error(v, n, "expected an integer, got '%s'", t);
    if (errno == ERANGE || x < lo || x > hi)
        return vctx_error(v, n, "integer out of range, got %s (limit %lld)", t, x < lo ? lo : hi);
    *out = x;
    return check_range(v, f, n, (double)x);
}

int value_double(struct vctx *v, const struct field *f, const struct node *n, double *out)
{
    const char *t;
    int rc = value_scalar(v, n, "a number", &t);
    if (rc) return rc;
    char *end;
    errno = 0;
    double x = strtod(t, &end);
    if (end == t || *end ||
        (t[0] != '-' && t[0] != '+' && t[0] != '.' && (t[0] < '0' || t[0] > '9')))
        return vctx_error(v, n, "expected a number, got '%s'", t);
    if (!isfinite(x) || (errno == ERANGE && fabs(x) > 1))
        return vctx_error(v, n, "expected a finite number, got '%s'", t);
    *out = x;
    return f ? check_range(v, f, n, x) : 0;
}

int value_float(struct vctx *v, const struct node *n, float *out)
{
    double x;
    int rc = value_double(v, NULL, n, &x);
    if (rc) return rc;
    if (fabs(x) > 3.4028234663852886e38)
        return vctx_error(v, n, "%s does not fit a 32-bit float", n->text);
    *out = (float)x;
    return 0;
}

/* An absolute path for a FL_PATH value, relative to the folder of the file it came from. */
static int resolve_path(struct vctx *v, const struct node *n, char **out)
{
    const char *t = n->text;
    char cwd[4096] = "";
    size_t dir_len = 0;
    if (t[0] != '/') {
        if (n->file && n->line > 0) { /* --set values and defaults are relative to the cwd */
            const char *slash = strrchr(n->file, '/');
            dir_len = slash ? (size_t)(slash - n->file) + 1 : 0;
        }
        if ((dir_len == 0 || n->file[0] != '/') && !getcwd(cwd, sizeof cwd))
            return vctx_error(v, n, "cannot resolve '%s': %s", t, strerror(errno));
    }
    size_t size = strlen(cwd) + 1 + dir_len + strlen(t) + 1;
    char *p = malloc(size);
    if (!p) return clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    snprintf(p, size, "%s%s%.*s%s", cwd, cwd[0] ? "/" : "", (int)dir_len, n->file ? n->file : "",
             t);
    *out = p;
    return 0;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A FL_DIR value from a file: the folder next to the file, as base: and init files are found;
 * else, for configs written to be run from the folder above (`dir: data/mnist` run from the
 * repository's root), the working folder's when that one exists. Both made absolute, so the
 * resolved config records the folder used. Neither: kept as written, the config-relative one
 * noted in v->dir_looked for the error that names both. Defaults and --set values are the
 * working folder's, as written. */
static int resolve_dir(struct vctx *v, const struct node *n, char **out)
{
    const char *t = n->text;
    char *near = NULL, cwd[4096];
    if (t[0] == '/')
        return (*out = strdup(t)) ? 0 : clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    if (!n->file || n->line == 0) { /* --set or the default: the working folder's */
        char *real = is_dir(t) ? realpath(t, NULL) : NULL;
        *out = real ? real : strdup(t); /* recorded absolute, so a rerun of the run's own */
        return *out ? 0 : clnet_errorf(CLNET_ERR_NOMEM, "out of memory"); /* config.yaml matches */
    }
    int rc = resolve_path(v, n, &near);
    if (rc || is_dir(near)) {
        char *real = rc ? NULL : realpath(near, NULL); /* "configs/hw2/../../data": "data" */
        *out = real ? real : near;
        if (real)
            free(near);
        return rc;
    }
    if (is_dir(t) && getcwd(cwd, sizeof cwd)) {
        free(near);
        return asprintf(out, "%s/%s", cwd, t) < 0 ? clnet_errorf(CLNET_ERR_NOMEM, "out of memory")
                                                  : 0;
    }
    free(v->dir_looked);
    v->dir_looked = near;
    return (*out = strdup(t)) ? 0 : clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
}

int value_bool(struct vctx *v, const struct node *n, bool *out)
{
    const char *t;
    int rc = value_scalar(v, n, "true or false", &t);
    if (rc) return rc;
    if (!strcmp(t, "true") || !strcmp(t, "True") || !strcmp(t, "TRUE"))
        *out = true;
    else if (!strcmp(t, "false") || !strcmp(t, "False") || !strcmp(t, "FALSE"))
        *out = false;
    else
        return vctx_error(v, n, "expected true or false, got '%s'", t);
    return 0;
}

int value_string(struct vctx *v, const struct field *f, const struct node *n, char **out)
{
    const char *t;
    int rc = value_scalar(v, n, "a string", &t);
    if (rc) return rc;
    const char *why = f->flags & FL_NAME ? fs_name_problem(t) : NULL;
    if ((f->flags & FL_NONEMPTY) && !t[0])
        return vctx_error(v, n, "must not be empty");
    if (why) /* not echoed: it may hold a newline */
        return vctx_error(v, n, "cannot name a run folder: %s", why);
    if (f->flags & FL_DIR)
        return resolve_dir(v, n, out);
    if (f->flags & FL_PATH)
        return resolve_path(v, n, out);
    return (*out = strdup(t)) ? 0 : clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
}
