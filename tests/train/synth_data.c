/* The synthetic MNIST-shaped data set of the end-to-end tests (see synth_data.h). */
#include "synth_data.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "data/idx.h"

/* The synthetic set: class c is a bright 6x6 square at one of ten positions (two rows of five,
 * jittered by a pixel) on uniform noise; classes are balanced, so chance is 0.1. */
#define N_TRAIN 600
#define N_TEST 200
#define SIDE 28


static uint32_t rng_state = 12345u;

static uint32_t rng_next(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

static void make_split(uint8_t *images, uint8_t *labels, int n)
{
    for (int i = 0; i < n; i++) {
        int c = i % 10;
        uint8_t *img = images + (size_t)i * SIDE * SIDE;
        labels[i] = (uint8_t)c;
        for (int p = 0; p < SIDE * SIDE; p++)
            img[p] = (uint8_t)(rng_next() % 64);
        int r0 = 3 + (c / 5) * 13 + (int)(rng_next() % 3) - 1;
        int c0 = 1 + (c % 5) * 5 + (int)(rng_next() % 3) - 1;
        for (int r = r0; r < r0 + 6; r++)
            for (int q = c0; q < c0 + 6; q++)
                if (r >= 0 && r < SIDE && q >= 0 && q < SIDE)
                    img[r * SIDE + q] = (uint8_t)(180 + rng_next() % 76);
    }
}

void synth_data_write(const char *dir)
{
    rng_state = 12345u;
    if (mkdir(dir, 0755) != 0) {
        perror(dir);
        abort();
    }
    uint8_t *ti = malloc((size_t)N_TRAIN * SIDE * SIDE), *tl = malloc(N_TRAIN);
    uint8_t *vi = malloc((size_t)N_TEST * SIDE * SIDE), *vl = malloc(N_TEST);
    if (!ti || !tl || !vi || !vl)
        abort();
    make_split(ti, tl, N_TRAIN);
    make_split(vi, vl, N_TEST);
    const struct {
        const char *name;
        const uint8_t *data;
        int rank;
        int dims[3];
    } files[] = {
        {"train-images-idx3-ubyte", ti, 3, {N_TRAIN, SIDE, SIDE}},
        {"train-labels-idx1-ubyte", tl, 1, {N_TRAIN}},
        {"t10k-images-idx3-ubyte", vi, 3, {N_TEST, SIDE, SIDE}},
        {"t10k-labels-idx1-ubyte", vl, 1, {N_TEST}},
    };
    for (int i = 0; i < 4; i++) {
        char path[4300];
        snprintf(path, sizeof path, "%s/%s", dir, files[i].name);
        if (idx_write(path, files[i].data, files[i].rank, files[i].dims) != 0) {
            fprintf(stderr, "idx_write %s failed\n", path);
            abort();
        }
    }
    free(ti);
    free(tl);
    free(vi);
    free(vl);
}

