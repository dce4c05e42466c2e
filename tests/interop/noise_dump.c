/* noise_dump: one noisy batch made on an OpenCL device, for noise_parity.py to compare with
 * its numpy twin (clnet_noise.py) and with other devices, bit for bit.
 *
 *     noise_dump DEVICE IMAGES.u8 N F INDEX.i32 SEED SIGMA SPLIT POS0|eval OUT.f32 [TABLE.f32]
 *
 * IMAGES.u8 holds N images of F bytes, INDEX.i32 the batch's rows (little-endian int32);
 * POS0 is the sampler's item number of row 0 (training: row b is on pass (POS0 + b) / N), or
 * `eval` for evaluation's fixed draw. Writes the batch as float32 to OUT.f32 and, when named,
 * the host's noise table to TABLE.f32. Exit 0, 1 on a device error, 2 on bad arguments.
 *
 *     noise_dump --sampler N BATCH SEED STEPS OUT.i32
 *
 * writes the indices of the first STEPS batches the shuffling sampler (data/sampler.h) draws,
 * for the twin's port of it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/noise.h"
#include "data/sampler.h"
#include "ops/ops.h"
#include "runtime/kernels.h"
#include "runtime/runtime.h"
#include "util/status.h"

static void *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        fclose(f);
        *len = (size_t)n;
        return buf;
    }
    if (f)
        fclose(f);
    free(buf);
    fprintf(stderr, "noise_dump: cannot read %s\n", path);
    exit(2);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "noise_dump: cannot write %s\n", path);
        exit(2);
    }
}

/* Gathers and noises the batch on rt; the status of the first failure. */
static int run(struct runtime *rt, float *x, const uint8_t *images, size_t img_len,
               const int32_t *index, int rows, int n, int f, const struct op_noise *draw_in,
               const float *table)
{
    cl_mem im = NULL, lb = NULL, ix = NULL, clean = NULL, noisy = NULL, y = NULL, tb = NULL;
    uint8_t *labels = calloc((size_t)n, 1);
    size_t xb = (size_t)rows * (size_t)f * sizeof *x;
    int st = labels ? runtime_alloc_from(rt, &im, images, img_len, "images") : CLNET_ERR_NOMEM;
    if (st == CLNET_OK) st = runtime_alloc_from(rt, &lb, labels, (size_t)n, "labels");
    if (st == CLNET_OK)
        st = runtime_alloc_from(rt, &ix, index, (size_t)rows * sizeof *index, "index");
    if (st == CLNET_OK)
        st = runtime_alloc_from(rt, &tb, table, NOISE_TABLE_SIZE * sizeof *table, "table");
    if (st == CLNET_OK) st = runtime_alloc(rt, &clean, xb, "clean");
    if (st == CLNET_OK) st = runtime_alloc(rt, &noisy, xb, "noisy");
    if (st == CLNET_OK) st = runtime_alloc(rt, &y, (size_t)rows * 4, "labels out");
    struct op_noise draw = *draw_in;
    draw.table = tb;
    if (st == CLNET_OK) st = op_gather_batch(rt, clean, y, im, lb, ix, 0, rows, f, n);
    if (st == CLNET_OK) st = op_noise_batch(rt, noisy, clean, ix, 0, rows, f, n, &draw);
    if (st == CLNET_OK) st = runtime_download(rt, x, noisy, 0, xb);
    cl_mem all[] = {im, lb, ix, clean, noisy, y, tb};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        runtime_free(all[i]);
    free(labels);
    return st;
}

static int dump_sampler(char **argv)
{
    int n = atoi(argv[2]), batch = atoi(argv[3]), steps = atoi(argv[5]);
    struct sampler s;
    if (steps <= 0 || sampler_init(&s, n, batch, true, strtoull(argv[4], NULL, 10)) != 0) {
        fprintf(stderr, "noise_dump: bad sampler arguments\n");
        return 2;
    }
    int32_t *index = malloc((size_t)steps * (size_t)batch * sizeof *index);
    if (!index)
        return 1;
    for (int t = 0; t < steps; t++)
        sampler_next(&s, index + (size_t)t * (size_t)batch);
    write_file(argv[6], index, (size_t)steps * (size_t)batch * sizeof *index);
    free(index);
    sampler_free(&s);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 7 && strcmp(argv[1], "--sampler") == 0)
        return dump_sampler(argv);
    if (argc != 11 && argc != 12) {
        fprintf(stderr, "usage: noise_dump DEVICE IMAGES.u8 N F INDEX.i32 SEED SIGMA SPLIT "
                        "POS0|eval OUT.f32 [TABLE.f32]\n");
        return 2;
    }
    int n = atoi(argv[3]), f = atoi(argv[4]);
    size_t img_len, ix_len;
    uint8_t *images = read_file(argv[2], &img_len);
    int32_t *index = read_file(argv[5], &ix_len);
    int rows = (int)(ix_len / sizeof *index);
    if (n <= 0 || f <= 0 || rows <= 0 || img_len != (size_t)n * (size_t)f) {
        fprintf(stderr, "noise_dump: %zu bytes of images are not %d of %d\n", img_len, n, f);
        return 2;
    }
    bool eval = strcmp(argv[9], "eval") == 0;
    float table[NOISE_TABLE_SIZE];
    noise_table(table);
    struct op_noise draw = {.key = noise_key(strtoull(argv[6], NULL, 10)),
                            .split = (uint32_t)atoi(argv[8]),
                            .pos0 = eval ? 0 : strtoull(argv[9], NULL, 10),
                            .per_pass = eval ? 0 : n, .sigma = strtof(argv[7], NULL)};
    float *x = malloc((size_t)rows * (size_t)f * sizeof *x);
    struct runtime *rt = NULL;
    struct runtime_options options = {.programs = RUNTIME_PROGRAM(PROGRAM_DATA)};
    int st = x ? runtime_open_with(&rt, argv[1], NULL, &options) : CLNET_ERR_NOMEM;
    if (st == CLNET_OK)
        st = run(rt, x, images, img_len, index, rows, n, f, &draw, table);
    runtime_close(rt);
    if (st != CLNET_OK) {
        fprintf(stderr, "noise_dump: %s\n", clnet_error_message());
        return 1;
    }
    write_file(argv[10], x, (size_t)rows * (size_t)f * sizeof *x);
    if (argc == 12)
        write_file(argv[11], table, sizeof table);
    free(x);
    free(images);
    free(index);
    return 0;
}
