/* clnet's own CSV files (see csv.h). */
#include "util/csv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/status.h"

void csv_free(struct csv *c)
{
    free(c->path);
    free(c->names);
    free(c->fields);
    free(c->text);
    memset(c, 0, sizeof *c);
}

/* The next line of [*p, end) cut out and NUL-terminated (a final '\r' dropped); *p moves past
 * it. A NUL byte inside it is an error. */
static int next_line(char **line, char **p, char *end, const char *path, long lineno)
{
    char *nl = memchr(*p, '\n', (size_t)(end - *p));
    char *stop = nl ? nl : end;
    *line = *p;
    *p = nl ? nl + 1 : end;
    *stop = '\0';
    size_t ll = strlen(*line);
    if (ll != (size_t)(stop - *line))
        return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: a NUL byte in the text", path, lineno);
    if (ll > 0 && (*line)[ll - 1] == '\r')
        (*line)[ll - 1] = '\0';
    return CLNET_OK;
}

/* Appends line's fields (cut at each comma) to *out, which holds *n of *cap. */
static int split(char ***out, int *n, int *cap, char *line, const char *path)
{
    for (char *p = line;;) {
        if (*n == *cap) {
            int want = *cap ? 2 * *cap : 64;
            char **grown = realloc(*out, (size_t)want * sizeof *grown);
            if (!grown)
                return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory reading %s", path);
            *out = grown;
            *cap = want;
        }
        (*out)[(*n)++] = p;
        char *comma = strchr(p, ',');
        if (!comma)
            return CLNET_OK;
        *comma = '\0';
        p = comma + 1;
    }
}

static int header(struct csv *c, char *line)
{
    int cap = 0;
    int status = split(&c->names, &c->n_cols, &cap, line, c->path);
    for (int i = 0; i < c->n_cols && status == CLNET_OK; i++)
        for (int k = 0; k < i && status == CLNET_OK; k++)
            if (strcmp(c->names[i], c->names[k]) == 0)
                status = clnet_errorf(CLNET_ERR_DATA, "%s:1: column '%s' appears twice",
                                      c->path, c->names[i]);
    return status;
}

static int row(struct csv *c, char *line, int *cap, long lineno)
{
    if (!*line)
        return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: an empty line", c->path, lineno);
    int n = c->n_rows * c->n_cols;
    int status = split(&c->fields, &n, cap, line, c->path);
    if (status == CLNET_OK && n != (c->n_rows + 1) * c->n_cols)
        return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: %d values; the header has %d columns",
                            c->path, lineno, n - c->n_rows * c->n_cols, c->n_cols);
    c->n_rows += status == CLNET_OK;
    return status;
}

int csv_parse(struct csv *c, const char *text, size_t len, const char *path)
{
    memset(c, 0, sizeof *c);
    c->path = strdup(path);
    c->text = malloc(len + 1);
    if (!c->path || !c->text) {
        csv_free(c);
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory reading %s", path);
    }
    memcpy(c->text, text, len);
    c->text[len] = '\0';
    int status = CLNET_OK, cap = 0;
    long lineno = 0;
    for (char *p = c->text, *line; status == CLNET_OK && p < c->text + len;) {
        status = next_line(&line, &p, c->text + len, path, ++lineno);
        if (status == CLNET_OK)
            status = lineno == 1 ? header(c, line) : row(c, line, &cap, lineno);
    }
    if (status != CLNET_OK)
        csv_free(c);
    return status;
}

int csv_read(struct csv *c, const char *path)
{
    memset(c, 0, sizeof *c);
    void *data;
    size_t len;
    int status = fs_read_file(&data, &len, path);
    if (status != CLNET_OK)
        return status;
    status = csv_parse(c, data, len, path);
    free(data);
    return status;
}

int csv_column(const struct csv *c, const char *name)
{
    for (int i = 0; i < c->n_cols; i++)
        if (strcmp(c->names[i], name) == 0)
            return i;
    return -1;
}

int csv_require(const struct csv *c, const char *name, const char *file, int *col)
{
    *col = csv_column(c, name);
    return *col >= 0 ? CLNET_OK
                     : clnet_errorf(CLNET_ERR_DATA, "%s:1: no '%s' column (not a clnet %s)",
                                    c->path, name, file);
}

const char *csv_field(const struct csv *c, int r, int col)
{
    return c->fields[(size_t)r * (size_t)c->n_cols + (size_t)col];
}

long csv_line(int r)
{
    return (long)r + 2;
}

int csv_number(const struct csv *c, int r, int col, double *v)
{
    const char *text = csv_field(c, r, col);
    char *end;
    *v = strtod(text, &end); /* out of range: inf or 0, as the writer would print them */
    if (end == text || *end != '\0')
        return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: column %d (%s): '%s' is not a number",
                            c->path, csv_line(r), col + 1, c->names[col], text);
    return CLNET_OK;
}

int csv_whole(const struct csv *c, int r, int col, double lo, double hi, long long *v)
{
    double d;
    int status = csv_number(c, r, col, &d);
    if (status != CLNET_OK)
        return status;
    if (d >= lo && d <= hi && d == floor(d) && d < 1e15) {
        *v = (long long)d;
        return CLNET_OK;
    }
    char range[64];
    if (hi < 1e15)
        snprintf(range, sizeof range, "from %.0f to %.0f", lo, hi);
    else
        snprintf(range, sizeof range, ">= %.0f", lo);
    return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: column %d (%s): '%s' is not a whole number %s",
                        c->path, csv_line(r), col + 1, c->names[col], csv_field(c, r, col),
                        range);
}
