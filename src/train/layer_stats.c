/* layer_stats.csv (see layer_stats.h). A tensor's rows are its output units: a dense weight
 * (I, O) has O rows of I values (its columns, gathered here), a conv2d weight (K, C, R, S) K
 * rows of C*R*S values, a bias one value per unit. Rows are compared bit for bit, so units
 * that moved identically since a symmetric (zero) init collapse to one distinct row.
 *
 * Letters: B batch rows, O values per image of a layer's output, U rows of a tensor, L values
 * per row, P parameters. */
#include "train/layer_stats.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/hash.h"
#include "util/status.h"

struct layer_stats {
    FILE *f;
    char *path;
    int batch;            /* B */
    float *act;           /* (B, O) of the widest layer */
    float *params;        /* (P) */
    float *grads;         /* (P) */
    float *rows_w;        /* (U, L) a tensor's weights, one row per unit */
    float *rows_g;        /* (U, L) its gradient */
    struct row_key *keys; /* (U) */
};

struct row_key {
    uint64_t hash;
    const float *row;
    size_t len; /* L */
};

#define HEADER                                                                                     \
    "iteration,layer,kind,tensor,act_zero,act_mean,act_std,rows,grad_zero,grad_zero_rows,"         \
    "distinct_rows,grad_norm,weight_norm\n"

/* A resumed run: the file as it was, less the records after `start` (written after the
 * checkpoint the run resumes from), opened for appending. */
static int reopen(struct layer_stats *s, long start)
{
    char *text = NULL;
    size_t len = 0;
    int status = fs_read_file((void **)&text, &len, s->path);
    if (status != CLNET_OK) return status;
    char *keep = strchr(text, '\n'); /* after the header */
    keep = keep ? keep + 1 : text + len;
    for (char *line = keep; line < text + len;) {
        char *end = strchr(line, '\n');
        if (!end || strtol(line, NULL, 10) > start) /* a line cut by a crash, or a later one */
            break;
        keep = line = end + 1;
    }
    status = fs_write_atomic(s->path, text, (size_t)(keep - text));
    free(text);
    if (status == CLNET_OK)
        status = fs_open_write(&s->f, s->path, true);
    return status;
}

int layer_stats_open(struct layer_stats **ls, const struct model *m, int batch, const char *path,
                     long start)
{
    size_t act = 0, tensor = 1, units = 1;
    for (int i = 0; i < m->n_layers; i++) {
        const struct layer *l = &m->layers[i];
        size_t a = (size_t)batch * l->out_size;
        act = a > act ? a : act;
        size_t w =
            (size_t)(l->shape->weights > l->shape->biases ? l->shape->weights : l->shape->biases);
        size_t u = (size_t)l->shape->out.dim[0];
        tensor = w > tensor ? w : tensor;
        units = u > units ? u : units;
    }
    size_t p = m->n_params ? m->n_params : 1;
    struct layer_stats *s = calloc(1, sizeof *s);
    if (s) {
        s->batch = batch;
        s->path = strdup(path);
        s->act = malloc((act ? act : 1) * sizeof *s->act);
        s->params = malloc(p * sizeof *s->params);
        s->grads = malloc(p * sizeof *s->grads);
        s->rows_w = malloc(tensor * sizeof *s->rows_w);
        s->rows_g = malloc(tensor * sizeof *s->rows_g);
        s->keys = malloc(units * sizeof *s->keys);
    }
    *ls = s;
    if (!s || !s->path || !s->act || !s->params || !s->grads || !s->rows_w || !s->rows_g ||
        !s->keys)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for layer statistics");
    if (start > 0 && fs_exists(path)) return reopen(s, start);
    int status = fs_open_write(&s->f, path, false);
    if (status != CLNET_OK) return status;
    fputs(HEADER, s->f);
    return CLNET_OK;
}

static int row_key_cmp(const void *pa, const void *pb)
{
    const struct row_key *a = pa, *b = pb;
    if (a->hash != b->hash) return a->hash < b->hash ? -1 : 1;
    return memcmp(a->row, b->row, a->len * sizeof *a->row);
}

/* Rows of U values of L floats that are bit-identical count once. */
static long distinct_rows(struct row_key *keys, const float *rows, size_t u, size_t len)
{
    for (size_t r = 0; r < u; r++) {
        const float *row = rows + r * len;
        keys[r] = (struct row_key){hash_bytes(row, len * sizeof *row, HASH_SEED), row, len};
    }
    qsort(keys, u, sizeof *keys, row_key_cmp);
    long n = u > 0;
    for (size_t r = 1; r < u; r++)
        n += row_key_cmp(&keys[r - 1], &keys[r]) != 0;
    return n;
}

static double norm(const float *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)v[i] * (double)v[i];
    return sqrt(s);
}

/* One tensor's columns after the layer's activation columns: the tensor (U rows of L values)
 * is gathered row by row from the arena, where a tensor whose units are its last axis (a
 * dense weight, layer_kind.param) keeps them as columns. */
static void write_tensor(struct layer_stats *s, const struct layer *l, bool bias)
{
    size_t off = bias ? l->b_off : l->w_off;
    size_t n = (size_t)(bias ? l->shape->biases : l->shape->weights);
    size_t u = (size_t)l->shape->out.dim[0], len = n / u; /* units or filters */
    const float *w = s->params + off, *g = s->grads + off;
    struct param_tensor t;
    layer_param_tensor(l, bias, &t, NULL, 0);
    bool columns = t.rank > 1 && t.unit_axis == t.rank - 1; /* dense (I, O): unit o is column o */
    for (size_t r = 0; r < u; r++)
        for (size_t k = 0; k < len; k++) {
            size_t src = columns ? k * u + r : r * len + k;
            s->rows_w[r * len + k] = w[src];
            s->rows_g[r * len + k] = g[src];
        }
    size_t zero = 0, zero_rows = 0;
    for (size_t r = 0; r < u; r++) {
        size_t z = 0;
        for (size_t k = 0; k < len; k++)
            z += s->rows_g[r * len + k] == 0.0f;
        zero += z;
        zero_rows += z == len;
    }
    fprintf(s->f, "%zu,%.9g,%.9g,%ld,%.9g,%.9g\n", u, (double)zero / (double)n,
            (double)zero_rows / (double)u, distinct_rows(s->keys, s->rows_w, u, len), norm(g, n),
            norm(w, n));
}

int layer_stats_record(struct layer_stats *s, struct model *m, long iteration)
{
    int status = model_download_params(m, s->params);
    if (status == CLNET_OK && m->n_params > 0)
        status = runtime_download(m->rt, s->grads, m->grads, 0, m->n_params * sizeof *s->grads);
    for (int i = 0; i < m->n_layers && status == CLNET_OK; i++) {
        const struct layer *l = &m->layers[i];
        size_t n = (size_t)s->batch * l->out_size;
        status = runtime_download(m->rt, s->act, l->out, 0, n * sizeof *s->act);
        if (status != CLNET_OK) break;
        double sum = 0, sq = 0;
        size_t zero = 0;
        for (size_t k = 0; k < n; k++) {
            zero += s->act[k] == 0.0f;
            sum += s->act[k];
        }
        double mean = sum / (double)n;
        for (size_t k = 0; k < n; k++)
            sq += ((double)s->act[k] - mean) * ((double)s->act[k] - mean);
        char head[192];
        snprintf(head, sizeof head, "%ld,%d,%s,", iteration, i, layer_type_name(l->spec->type));
        char act[96];
        snprintf(act, sizeof act, "%.9g,%.9g,%.9g,", (double)zero / (double)n, mean,
                 sqrt(sq / (double)n));
        if (l->shape->weights + l->shape->biases == 0) fprintf(s->f, "%s,%s,,,,,\n", head, act);
        for (int bias = 0; bias < 2; bias++) {
            if ((bias ? l->shape->biases : l->shape->weights) == 0) continue;
            fprintf(s->f, "%s%s,%s", head, bias ? "bias" : "weight", act);
            write_tensor(s, l, bias);
        }
    }
    if (status == CLNET_OK && fflush(s->f) != 0)
        status = clnet_errorf(CLNET_ERR_IO, "%s: write failed: %s", s->path, strerror(errno));
    return status;
}

int layer_stats_close(struct layer_stats *s)
{
    if (!s) return CLNET_OK;
    int status = CLNET_OK;
    if (s->f && fclose(s->f) != 0)
        status = clnet_errorf(CLNET_ERR_IO, "%s: write failed: %s", s->path, strerror(errno));
    free(s->path);
    free(s->act);
    free(s->params);
    free(s->grads);
    free(s->rows_w);
    free(s->rows_g);
    free(s->keys);
    free(s);
    return status;
}
