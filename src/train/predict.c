/* clnet eval --inputs: CSV rows in, model outputs out, in chunks of up to 1024 rows. */
#include "train/predict.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "runtime/device.h"
#include "util/status.h"

#define PREDICT_ROWS 1024

/* Parses one line of exactly n numbers into v; a blank line gives 0 values. */
static int parse_row(float *v, size_t n, char *line, const char *name, long lineno,
                     size_t *got)
{
    *got = 0;
    char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0' || *p == '\n' || *p == '\r')
        return CLNET_OK;
    for (size_t col = 1;; col++) {
        errno = 0;
        char *end;
        double x = strtod(p, &end);
        char *stop = p + strcspn(p, ",\r\n");
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
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == '\0' || *p == '\n' || *p == '\r')
            break;
        return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: column %zu: unexpected '%c'", name, lineno,
                            col, *p);
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

static int run_chunk(struct model *m, cl_mem x, const float *in, float *out, int rows, FILE *f)
{
    cl_mem y;
    int status = runtime_upload(m->rt, x, 0, in, (size_t)rows * m->input_size * sizeof *in);
    if (status == CLNET_OK)
        status = model_forward(m, &y, x, rows, false);
    if (status == CLNET_OK)
        status = runtime_download(m->rt, out, y, 0, (size_t)rows * m->output_size * sizeof *out);
    for (int r = 0; status == CLNET_OK && r < rows; r++)
        for (size_t k = 0; k < m->output_size; k++)
            fprintf(f, "%.9g%s", out[(size_t)r * m->output_size + k],
                    k + 1 < m->output_size ? "," : "\n");
    return status;
}

int predict_csv(const struct experiment *e, const char *weights, const char *device_flag,
                const char *cl_dir, FILE *in, const char *name, FILE *out)
{
    struct runtime *rt = NULL;
    struct model m = {0};
    float *params = NULL, *xs = NULL, *ys = NULL;
    cl_mem x = NULL;
    char *line = NULL;
    size_t cap = 0;
    int status = runtime_open(&rt, runtime_device_spec(device_flag, e->device), cl_dir);
    if (status == CLNET_OK)
        status = model_build(&m, rt, e, PREDICT_ROWS);
    if (status == CLNET_OK) {
        params = malloc((m.n_params ? m.n_params : 1) * sizeof *params);
        xs = malloc(PREDICT_ROWS * m.input_size * sizeof *xs);
        ys = malloc(PREDICT_ROWS * m.output_size * sizeof *ys);
        if (!params || !xs || !ys)
            status = clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    }
    if (status == CLNET_OK)
        status = weights ? model_load_safetensors(&m, params, weights)
                         : model_init_params(&m, params);
    if (status == CLNET_OK)
        status = model_upload_params(&m, params);
    if (status == CLNET_OK)
        status = runtime_alloc(rt, &x, PREDICT_ROWS * m.input_size * sizeof(float), "input rows");
    int rows = 0;
    long lineno = 0;
    bool warned = false;
    while (status == CLNET_OK && getline(&line, &cap, in) >= 0) {
        size_t got;
        lineno++;
        float *row = xs + (size_t)rows * m.input_size;
        status = parse_row(row, m.input_size, line, name, lineno, &got);
        if (status == CLNET_OK)
            warn_scale(e, row, got, name, lineno, &warned);
        if (status == CLNET_OK && got > 0 && ++rows == PREDICT_ROWS) {
            status = run_chunk(&m, x, xs, ys, rows, out);
            rows = 0;
        }
    }
    if (status == CLNET_OK && rows > 0)
        status = run_chunk(&m, x, xs, ys, rows, out);
    free(line);
    free(params);
    free(xs);
    free(ys);
    runtime_free(x);
    if (m.layers)
        model_free(&m);
    if (rt)
        runtime_close(rt);
    return status;
}
