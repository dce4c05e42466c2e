/* clnet eval --inputs: rows of numbers in, a CSV out (a header, then per row its line number
 * and the class and softmax probabilities of a classifier, or the raw outputs of a hand-set
 * model), in chunks of up to 1024 rows. */
#include "train/predict.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/digit_png.h"
#include "model/model.h"
#include "runtime/device.h"
#include "util/status.h"

#define PREDICT_ROWS 1024

/* A row's values are separated by commas (blanks around them allowed) or, in a row with no
 * comma, by blanks (np.savetxt's default). */
static char row_separator(const char *line)
{
    return strchr(line, ',') ? ',' : ' ';
}

/* After a value and the blanks that follow it (p), with the row's separator sep: moves p past
 * the separator; *done at the end of the row. A value after blanks in a comma row is refused:
 * "1 2,3" could be two columns or three. */
static int next_value(char **p, bool blanks, char sep, const char *name, long lineno,
                      size_t col, bool *done)
{
    *done = **p == '\0' || **p == '\n' || **p == '\r';
    if (*done || (sep == ' ' && blanks))
        return CLNET_OK;
    if (**p == ',') {
        (*p)++;
        return CLNET_OK;
    }
    if (blanks)
        return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: column %zu: a space between values in a "
                            "row of commas (separate a row's values by commas or by spaces, "
                            "not both)", name, lineno, col);
    return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: column %zu: unexpected '%c'", name, lineno,
                        col, **p);
}

int predict_parse_row(float *v, size_t n, char *line, const char *name, long lineno,
                      size_t *got)
{
    *got = 0;
    char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0' || *p == '\n' || *p == '\r')
        return CLNET_OK;
    char sep = row_separator(p);
    for (size_t col = 1;; col++) {
        errno = 0;
        char *end;
        double x = strtod(p, &end);
        char *stop = p + strcspn(p, sep == ',' ? ",\r\n" : " \t\r\n");
        if (end == p || errno == ERANGE)
            return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: column %zu: '%.*s' is not a number",
                                name, lineno, col, (int)(stop - p), p);
        /* strtod reads nan and inf, and a float overflows past FLT_MAX: none is an input the
         * model can give a meaningful output for. */
        if (!isfinite(x) || fabs(x) > FLT_MAX)
            return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: column %zu: '%.*s' is not a finite "
                                "32-bit float", name, lineno, col, (int)(stop - p), p);
        if (*got == n)
            return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: more than %zu values (the model's "
                                "input width)", name, lineno, n);
        v[(*got)++] = (float)x;
        p = end;
        while (*p == ' ' || *p == '\t')
            p++;
        bool done;
        int status = next_value(&p, p != end, sep, name, lineno, col + 1, &done);
        if (status != CLNET_OK)
            return status;
        if (done)
            break;
    }
    if (*got != n)
        return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: %zu values; the model's input has %zu",
                            name, lineno, *got, n);
    return CLNET_OK;
}

/* Inputs of a trained model are on the scale its training images were read at (pixels / 255,
 * README); a value outside [0, 1] is likely unscaled pixels. Not an error (a user may probe
 * the model), so one warning for the whole file. A hand-set model (no train:) has no scale. */
static void warn_scale(const struct experiment *e, const float *v, size_t n, const char *name,
                       long lineno, bool *warned)
{
    for (size_t i = 0; e->has_train && !*warned && i < n; i++)
        if (v[i] < 0.0f || v[i] > 1.0f) {
            fprintf(stderr, "clnet: warning: %s:%ld: column %zu: %.9g is outside [0, 1], the "
                    "scale of the training images (pixels / 255); warned once\n", name, lineno,
                    i + 1, v[i]);
            *warned = true;
        }
}

/* A model with a train: section is a classifier: its outputs are class scores (logits). */
static void write_header(FILE *f, bool classifier, size_t outputs)
{
    fputs(classifier ? "row,class" : "row", f);
    for (size_t k = 0; k < outputs; k++)
        fprintf(f, classifier ? ",p%zu" : ",y%zu", k);
    fputc('\n', f);
}

/* A row's class (the first largest of its n scores) and, in *sum, the softmax denominator
 * relative to that score: class k's probability is exp(z[k] - z[best]) / *sum. */
static size_t scores_class(const float *z, size_t n, double *sum)
{
    size_t best = 0;
    for (size_t k = 1; k < n; k++)
        if (z[k] > z[best])
            best = k;
    *sum = 0.0;
    for (size_t k = 0; k < n; k++)
        *sum += exp((double)z[k] - z[best]);
    return best;
}

static void write_classes(FILE *f, const float *z, size_t n)
{
    double sum;
    size_t best = scores_class(z, n, &sum);
    fprintf(f, ",%zu", best);
    for (size_t k = 0; k < n; k++)
        fprintf(f, ",%.6g", exp((double)z[k] - z[best]) / sum);
}

static void write_outputs(FILE *f, const float *y, size_t n)
{
    for (size_t k = 0; k < n; k++)
        fprintf(f, ",%.9g", y[k]);
}

/* Up to PREDICT_ROWS input rows and the line each was read from (the output's row column). */
struct chunk {
    float *xs, *ys;
    long lines[PREDICT_ROWS];
    int rows;
};

static int run_chunk(struct model *m, cl_mem x, struct chunk *c, bool classifier, FILE *f)
{
    cl_mem y;
    size_t n = m->output_size;
    int status = runtime_upload(m->rt, x, 0, c->xs,
                                (size_t)c->rows * m->input_size * sizeof *c->xs);
    if (status == CLNET_OK)
        status = model_forward(m, &y, x, c->rows, false);
    if (status == CLNET_OK)
        status = runtime_download(m->rt, c->ys, y, 0, (size_t)c->rows * n * sizeof *c->ys);
    for (int r = 0; status == CLNET_OK && r < c->rows; r++) {
        fprintf(f, "%ld", c->lines[r]);
        (classifier ? write_classes : write_outputs)(f, c->ys + (size_t)r * n, n);
        fputc('\n', f);
    }
    c->rows = 0;
    return status;
}

/* Writes the chunk's outputs, the header before the first: a file refused at its first bad row
 * writes nothing. */
static int flush_chunk(const struct experiment *e, struct model *m, cl_mem x, struct chunk *c,
                       FILE *out, bool *header)
{
    if (!*header)
        write_header(out, e->has_train, m->output_size);
    *header = true;
    return c->rows > 0 ? run_chunk(m, x, c, e->has_train, out) : CLNET_OK;
}

/* Reads in's rows into chunks and writes each chunk's outputs (a file of no rows: the header). */
static int predict_rows(const struct experiment *e, struct model *m, cl_mem x, struct chunk *c,
                        FILE *in, const char *name, FILE *out)
{
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    bool warned = false, header = false;
    int status = CLNET_OK;
    while (status == CLNET_OK && getline(&line, &cap, in) >= 0) {
        size_t got;
        lineno++;
        float *row = c->xs + (size_t)c->rows * m->input_size;
        status = predict_parse_row(row, m->input_size, line, name, lineno, &got);
        if (status == CLNET_OK)
            warn_scale(e, row, got, name, lineno, &warned);
        if (status == CLNET_OK && got > 0)
            c->lines[c->rows++] = lineno;
        if (status == CLNET_OK && c->rows == PREDICT_ROWS)
            status = flush_chunk(e, m, x, c, out, &header);
    }
    if (status == CLNET_OK)
        status = flush_chunk(e, m, x, c, out, &header);
    free(line);
    return status;
}

/* A model ready to run chunks of up to PREDICT_ROWS rows: xs in, ys out, on the host. */
struct predictor {
    struct runtime *rt;
    struct model m;
    cl_mem x;
    struct chunk c;
};

static void predictor_close(struct predictor *p)
{
    free(p->c.xs);
    free(p->c.ys);
    runtime_free(p->x);
    if (p->m.layers)
        model_free(&p->m);
    if (p->rt)
        runtime_close(p->rt);
}

static int predictor_open(struct predictor *p, const struct experiment *e, const char *weights,
                          const char *device_flag, const char *cl_dir)
{
    float *params = NULL;
    memset(p, 0, sizeof *p);
    int status = runtime_open(&p->rt, runtime_device_spec(device_flag, e->device), cl_dir);
    if (status == CLNET_OK)
        status = model_build(&p->m, p->rt, e, PREDICT_ROWS);
    if (status == CLNET_OK) {
        params = malloc((p->m.n_params ? p->m.n_params : 1) * sizeof *params);
        p->c.xs = malloc(PREDICT_ROWS * p->m.input_size * sizeof *p->c.xs);
        p->c.ys = malloc(PREDICT_ROWS * p->m.output_size * sizeof *p->c.ys);
        if (!params || !p->c.xs || !p->c.ys)
            status = clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    }
    if (status == CLNET_OK)
        status = weights ? model_load_safetensors(&p->m, params, weights)
                         : model_init_params(&p->m, params);
    if (status == CLNET_OK)
        status = model_upload_params(&p->m, params);
    if (status == CLNET_OK)
        status = runtime_alloc(p->rt, &p->x, PREDICT_ROWS * p->m.input_size * sizeof(float),
                               "input rows");
    free(params);
    if (status != CLNET_OK)
        predictor_close(p);
    return status;
}

int predict_csv(const struct experiment *e, const char *weights, const char *device_flag,
                const char *cl_dir, FILE *in, const char *name, FILE *out)
{
    struct predictor p;
    int status = predictor_open(&p, e, weights, device_flag, cl_dir);
    if (status != CLNET_OK)
        return status;
    status = predict_rows(e, &p.m, p.x, &p.c, in, name, out);
    predictor_close(&p);
    return status;
}

/* One image's line: its class and probability, then the next two classes. */
static void write_top3(FILE *f, const char *path, const float *z, size_t n)
{
    double sum;
    size_t best = scores_class(z, n, &sum), top[3] = {best, n, n};
    for (int t = 1; t < 3 && (size_t)t < n; t++)
        for (size_t k = 0; k < n; k++)
            if (k != top[0] && k != top[1] && (top[t] == n || z[k] > z[top[t]]))
                top[t] = k;
    fprintf(f, "%s: %zu (p %.4f)", path, best, 1.0 / sum);
    for (int t = 1; t < 3 && top[t] < n; t++)
        fprintf(f, "%s%zu (p %.4f)", t == 1 ? "; then " : ", ", top[t],
                exp((double)z[top[t]] - z[best]) / sum);
    fputc('\n', f);
}

int predict_images(const struct experiment *e, const char *weights, const char *device_flag,
                   const char *cl_dir, const char *const *paths, int n, FILE *out)
{
    struct predictor p;
    int status = predictor_open(&p, e, weights, device_flag, cl_dir);
    if (status != CLNET_OK)
        return status;
    if (p.m.input_size != DIGIT_PIXELS || !e->has_train)
        status = clnet_errorf(CLNET_ERR_USAGE, "predict reads 28x28 digit images for a "
                              "classifier with 784 inputs; this model %s %zu inputs",
                              e->has_train ? "has" : "is not a classifier and has",
                              p.m.input_size);
    for (int i = 0; status == CLNET_OK && i < n; i += PREDICT_ROWS) {
        int rows = n - i < PREDICT_ROWS ? n - i : PREDICT_ROWS;
        for (int r = 0; status == CLNET_OK && r < rows; r++)
            status = digit_png_read(paths[i + r], p.c.xs + (size_t)r * DIGIT_PIXELS);
        cl_mem y;
        if (status == CLNET_OK)
            status = runtime_upload(p.rt, p.x, 0, p.c.xs, (size_t)rows * DIGIT_PIXELS *
                                    sizeof *p.c.xs);
        if (status == CLNET_OK)
            status = model_forward(&p.m, &y, p.x, rows, false);
        if (status == CLNET_OK)
            status = runtime_download(p.rt, p.c.ys, y, 0, (size_t)rows * p.m.output_size *
                                      sizeof *p.c.ys);
        for (int r = 0; status == CLNET_OK && r < rows; r++)
            write_top3(out, paths[i + r], p.c.ys + (size_t)r * p.m.output_size,
                       p.m.output_size);
    }
    predictor_close(&p);
    return status;
}
