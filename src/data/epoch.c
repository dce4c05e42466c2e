/* Epoch arithmetic and its text (see epoch.h). Integers only: a double would print the same
 * digits here too, but a rounding tie (234.375 to two places) would then depend on the
 * binary value, and the metrics.csv bytes must not. */
#include "data/epoch.h"

#include <string.h>

struct epoch_ratio epoch_count(int64_t iterations, int batch, int n)
{
    /* iterations = q n + r: the product is q batch + r batch / n, and r batch < n batch
     * cannot overflow where iterations * batch could. */
    int64_t q = iterations / n, rb = iterations % n * (int64_t)batch;
    return (struct epoch_ratio){q * batch + rb / n, rb % n, n};
}

struct epoch_ratio epoch_iterations(int n, int batch)
{
    return (struct epoch_ratio){n / batch, n % batch, batch};
}

/* v with a comma every three digits when group, into buf (cap >= 32). */
static void whole_text(char *buf, size_t cap, int64_t v, int group)
{
    char digits[24];
    int len = snprintf(digits, sizeof digits, "%lld", (long long)v);
    size_t o = 0;
    for (int k = 0; k < len && o + 2 < cap; k++) {
        buf[o++] = digits[k];
        int left = len - k - 1;
        if (group && left > 0 && left % 3 == 0 && digits[k] != '-')
            buf[o++] = ',';
    }
    buf[o] = '\0';
}

char *epoch_decimal(char *buf, size_t cap, struct epoch_ratio r, int decimals, unsigned flags)
{
    int64_t scale = 1;
    for (int i = 0; i < decimals; i++)
        scale *= 10;
    /* rem * scale < 2^31 * 10^9 fits; round half up: floor((2 rem scale + den) / 2 den) */
    int64_t frac = (2 * r.rem * scale + r.den) / (2 * r.den), whole = r.whole;
    int exact = r.rem * scale % r.den == 0;
    if (frac == scale) { /* 0.99995 to four places: 1.0000 */
        whole++;
        frac = 0;
    }
    char w[40], f[16] = "";
    whole_text(w, sizeof w, whole, (flags & EPOCH_GROUP) != 0);
    if (decimals > 0)
        snprintf(f, sizeof f, ".%0*lld", decimals, (long long)frac);
    if ((flags & EPOCH_TRIM) && exact) {
        size_t n = strlen(f);
        while (n > 0 && f[n - 1] == '0')
            f[--n] = '\0';
        if (n == 1)
            f[0] = '\0';
    }
    snprintf(buf, cap, "%s%s", w, f);
    return buf;
}

char *epoch_line(char *buf, size_t cap, int n, int batch, int64_t iterations)
{
    char images[40], b[40], per[48], its[40], epochs[48];
    unsigned show = EPOCH_TRIM | EPOCH_GROUP;
    struct epoch_ratio done = epoch_count(iterations, batch, n);
    epoch_decimal(images, sizeof images, (struct epoch_ratio){n, 0, 1}, 0, EPOCH_GROUP);
    epoch_decimal(b, sizeof b, (struct epoch_ratio){batch, 0, 1}, 0, EPOCH_GROUP);
    epoch_decimal(per, sizeof per, epoch_iterations(n, batch), 2, show);
    epoch_decimal(its, sizeof its, (struct epoch_ratio){iterations, 0, 1}, 0, EPOCH_GROUP);
    epoch_decimal(epochs, sizeof epochs, done, 2, show);
    snprintf(buf, cap, "%s images / %s = %s iteration%s per epoch; %s iteration%s = %s epoch%s",
             images, b, per, strcmp(per, "1") == 0 ? "" : "s", its,
             strcmp(its, "1") == 0 ? "" : "s", epochs, strcmp(epochs, "1") == 0 ? "" : "s");
    return buf;
}

/* Which batch first crosses an epoch's end, and how its images split between the two. */
static void print_crossing(FILE *f, int n, int batch, const char *nt, const char *bt)
{
    if (batch > n) {
        fprintf(f, "  a batch of %s is more than the %s training images: each batch spans "
                   "more than one epoch\n", bt, nt);
    } else if (n % batch == 0) {
        fprintf(f, "  %s divides %s: every epoch ends exactly at the end of a batch\n", bt, nt);
    } else {
        int tail = n % batch;
        fprintf(f, "  %s does not divide %s: iteration %d is the first batch across an epoch's "
                   "end,\n  the last %d images of epoch 1 and the first %d of epoch 2, each "
                   "counted towards its own epoch\n", bt, nt, n / batch + 1, tail, batch - tail);
    }
}

void epoch_print_summary(FILE *f, int n, int batch, int64_t iterations, int shuffle)
{
    char line[256], nt[40], bt[40];
    epoch_decimal(nt, sizeof nt, (struct epoch_ratio){n, 0, 1}, 0, EPOCH_GROUP);
    epoch_decimal(bt, sizeof bt, (struct epoch_ratio){batch, 0, 1}, 0, EPOCH_GROUP);
    fprintf(f, "epochs: %s\n", epoch_line(line, sizeof line, n, batch, iterations));
    fprintf(f, "  an epoch: one pass over the %s training images, %s\n", nt,
            shuffle ? "in a new shuffle each epoch" : "in file order (data.shuffle: false)");
    fprintf(f, "  a batch that reaches an epoch's end takes the images left and goes on into "
               "the next\n  epoch, so every batch has %s images and none is dropped "
               "(PyTorch's DataLoader would\n  end the epoch with a short batch): epochs = "
               "iterations x %s / %s\n", bt, bt, nt);
    print_crossing(f, n, batch, nt, bt);
}
