/* Where each training step of a network goes: trains CONFIG as `clnet train` does (the same
 * settings from the environment, the same plan, chunks and kernels) with the queue's profiling
 * on (runtime/profile.h), then prints each kernel of the step in launch order with its median
 * time on the device, the median idle time before it, and the step's totals:
 *     build/bench/net_profile [--iterations N] [--set KEY=VALUE ...] CONFIG
 * N (default 300) steps and one evaluation at the end, into a temporary run folder. The first
 * step (its kernels' compiles) is left out. Per step:
 *   busy   the launches' own times (end - start) summed;
 *   period the time from the end of the step's last launch to the end of the previous step's
 *          last launch: what a step costs the device's queue, waits between launches included;
 *          "in chunks" is its median over steps enqueued back to back (a chunk's inside),
 *          "overall" (last end - first end) / steps, chunk ends and their reads included;
 *   gap    period - busy: the queue idle between launches (PoCL's launch overhead, the
 *          workers' wake-ups, the host's enqueueing when it falls behind).
 * summary.json's iterations_per_second is printed beside 1 / overall period: profiling's own
 * cost is the difference from an unprofiled run (bench/RESULTS.md measures it).
 * PoCL runs every work-group of a launch on its worker threads and tells OpenCL nothing of
 * which ran where; the per-thread CPU times of the process's threads over the run are printed
 * from /proc/self/task (Linux) to show how busy each thread was. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "runtime/cache.h"
#include "runtime/profile.h"
#include "runtime/quirks.h"
#include "runtime/runtime.h"
#include "train/train.h"
#include "util/options.h"

#include "bench.h"

extern char **environ;

#define MAX_SETS 32
#define MAX_POS 256     /* launches in one step */
#define MAX_THREADS 128

struct args {
    const char *config;
    const char *sets[MAX_SETS + 2];
    int n_sets;
    long iterations;
    char out[64];
    bool by_place; /* --by-place: each launch in a chunk's first steps and in the others */
};

static void usage(void)
{
    fprintf(stderr,
            "usage: net_profile [--iterations N] [--by-place] [--set KEY=VALUE ...] CONFIG\n");
    exit(2);
}

static void parse(struct args *a, int argc, char **argv)
{
    static char iters[64], every[64];
    memset(a, 0, sizeof *a);
    a->iterations = 300;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--iterations") && i + 1 < argc) {
            char *end;
            a->iterations = strtol(argv[++i], &end, 10);
            if (*end || a->iterations < 3 || a->iterations > 1000000) {
                fprintf(stderr, "net_profile: --iterations %s: a whole number from 3 to "
                                "1000000\n", argv[i]);
                exit(2);
            }
        } else if (!strcmp(argv[i], "--by-place")) {
            a->by_place = true;
        } else if (!strcmp(argv[i], "--set") && i + 1 < argc && a->n_sets < MAX_SETS) {
            a->sets[a->n_sets++] = argv[++i];
        } else if (argv[i][0] != '-' && !a->config) {
            a->config = argv[i];
        } else {
            usage();
        }
    }
    if (!a->config)
        usage();
    snprintf(iters, sizeof iters, "train.iterations=%ld", a->iterations);
    snprintf(every, sizeof every, "train.eval_every=%ld", a->iterations);
    a->sets[a->n_sets++] = iters;
    a->sets[a->n_sets++] = every;
}

/* The settings `clnet train` takes from the environment, applied as main.c applies them. */
static void configure(struct clnet_options *o)
{
    CK(options_from_env(o, environ));
    quirks_configure(o);
    runtime_configure(o);
    char dir[4096];
    bool cached = options_cache_dir(o, dir, sizeof dir);
    CK(!cache_set_dir(cached ? dir : NULL));
}

/* Each thread's CPU time in ns (the first field of /proc/self/task/TID/schedstat). */
struct threads {
    int n;
    long tid[MAX_THREADS];
    double ns[MAX_THREADS];
};

static void threads_read(struct threads *t)
{
    t->n = 0;
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    while (d && (e = readdir(d)) && t->n < MAX_THREADS) {
        if (e->d_name[0] == '.')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/self/task/%s/schedstat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (fscanf(f, "%lf", &t->ns[t->n]) == 1)
            t->tid[t->n++] = atol(e->d_name);
        fclose(f);
    }
    if (d)
        closedir(d);
}

static double median(double *x, int n)
{
    for (int i = 1; i < n; i++) /* insertion sort: a few hundred values */
        for (int j = i; j > 0 && x[j - 1] > x[j]; j--) {
            double s = x[j];
            x[j] = x[j - 1];
            x[j - 1] = s;
        }
    return n == 0 ? 0 : n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/* The steps found in the launches: first[k] .. first[k] + len[k] - 1 are step k's launches
 * (steps in order, the first step of the run excluded); after_gap[k]: launches outside steps
 * came between step k - 1 and step k (a chunk's end). */
struct steps {
    int n;
    size_t *first, *prev_last; /* prev_last: the previous step's last launch */
    int *len;
    bool *after_gap;
};

static void find_steps(struct steps *s, const struct profile_launch *l, size_t n)
{
    s->first = calloc(n + 1, sizeof *s->first);
    s->len = calloc(n + 1, sizeof *s->len);
    s->after_gap = calloc(n + 1, sizeof *s->after_gap);
    s->prev_last = calloc(n + 1, sizeof *s->prev_last);
    if (!s->first || !s->len || !s->after_gap || !s->prev_last)
        exit(1);
    s->n = 0;
    long first_step = -1, prev = -1;
    size_t last = 0; /* the last launch of a step seen so far */
    bool outside = false;
    for (size_t i = 0; i < n; i++) {
        if (l[i].step < 0) {
            outside = true;
            continue;
        }
        if (first_step < 0)
            first_step = l[i].step;
        if (l[i].step != first_step && l[i].step != prev) { /* the first step: compiles */
            s->first[s->n] = i;
            s->prev_last[s->n] = last;
            s->after_gap[s->n] = outside;
            s->n++;
        }
        if (l[i].step != first_step)
            s->len[s->n - 1]++;
        prev = l[i].step;
        last = i;
        outside = false;
    }
}

static double us(cl_ulong a, cl_ulong b)
{
    return b > a ? (double)(b - a) / 1000.0 : 0.0;
}

/* Whether step k launched the same kernels in the same order as step 0. */
static bool same_as_first(const struct steps *s, const struct profile_launch *l, int k)
{
    if (s->len[k] != s->len[0])
        return false;
    for (int p = 0; p < s->len[0]; p++)
        if (l[s->first[k] + p].kernel != l[s->first[0] + p].kernel)
            return false;
    return true;
}

/* Per step (us): busy and period (the median over steps, the mean of the periods inside
 * chunks, the overall mean), gap; sum: the launches' medians summed (print_positions). */
struct totals {
    double busy, period_in, mean_in, overall, gap, sum;
    int n_like, n_in;
};

static void step_totals(const struct steps *s, const struct profile_launch *l, double *tmp,
                        struct totals *t)
{
    int n = s->n;
    double *busy = tmp, *period = tmp + n, *gap = tmp + 2 * n;
    t->n_in = 0;
    t->n_like = 0;
    t->mean_in = 0;
    for (int k = 0; k < n; k++) {
        busy[k] = 0;
        for (int p = 0; p < s->len[k]; p++)
            busy[k] += us(l[s->first[k] + p].start, l[s->first[k] + p].end);
        t->n_like += same_as_first(s, l, k);
        if (s->after_gap[k])
            continue;
        double per = us(l[s->prev_last[k]].end, l[s->first[k] + s->len[k] - 1].end);
        gap[t->n_in] = per - busy[k];
        period[t->n_in++] = per;
        t->mean_in += per;
    }
    t->mean_in /= t->n_in > 0 ? t->n_in : 1;
    size_t last = s->first[n - 1] + s->len[n - 1] - 1;
    t->overall = us(l[s->prev_last[0]].end, l[last].end) / n;
    t->busy = median(busy, n);
    t->period_in = median(period, t->n_in);
    t->gap = median(gap, t->n_in);
}

/* The periods of the steps inside chunks as a distribution (10th, 50th, 90th, 99th
 * percentiles) and by place in the chunk: the mean of its first CHUNK_HEAD steps (run while
 * the host is still enqueueing the chunk's rest) against the mean of the others; by_place:
 * also each launch's mean time and idle time before it in both. */
#define CHUNK_HEAD 10
static void print_period_spread(const struct steps *s, const struct profile_launch *l,
                                double *tmp, bool by_place)
{
    int n = 0, head_n = 0, rest_n = 0, place = 0;
    double head = 0, rest = 0;
    for (int k = 0; k < s->n; k++) {
        place = s->after_gap[k] || k == 0 ? 0 : place + 1;
        if (s->after_gap[k])
            continue;
        double per = us(l[s->prev_last[k]].end, l[s->first[k] + s->len[k] - 1].end);
        tmp[n++] = per;
        if (place < CHUNK_HEAD)
            head += per, head_n++;
        else
            rest += per, rest_n++;
    }
    if (n == 0)
        return;
    if (by_place) {
        for (int p = 0; p < s->len[0] && p < MAX_POS; p++) {
            double d[2] = {0, 0}, idle[2] = {0, 0};
            int cnt[2] = {0, 0};
            place = 0;
            for (int k = 0; k < s->n; k++) {
                place = s->after_gap[k] || k == 0 ? 0 : place + 1;
                if (s->after_gap[k] || s->len[k] != s->len[0]) continue;
                const struct profile_launch *x = &l[s->first[k] + p];
                const struct profile_launch *prev = p ? x - 1 : &l[s->prev_last[k]];
                int h = place < CHUNK_HEAD ? 0 : 1;
                d[h] += us(x->start, x->end);
                idle[h] += us(prev->end, x->start);
                cnt[h]++;
            }
            printf("launch %d: a chunk's first %d steps %.1f us (idle before %.1f), the others "
                   "%.1f us (idle before %.1f)\n", p + 1, CHUNK_HEAD,
                   d[0] / (cnt[0] ? cnt[0] : 1), idle[0] / (cnt[0] ? cnt[0] : 1),
                   d[1] / (cnt[1] ? cnt[1] : 1), idle[1] / (cnt[1] ? cnt[1] : 1));
        }
    }
    median(tmp, n); /* sorts */
    printf("periods inside chunks: 10th percentile %.1f us, 50th %.1f, 90th %.1f, 99th %.1f; "
           "mean of a chunk's first %d steps %.1f us (%d steps), of the others %.1f (%d)\n",
           tmp[n / 10], tmp[n / 2], tmp[n * 9 / 10], tmp[n * 99 / 100], CHUNK_HEAD,
           head_n ? head / head_n : 0.0, head_n, rest_n ? rest / rest_n : 0.0, rest_n);
}

/* "global / local = groups": the range, its work-groups' size and how many there are (PoCL
 * hands whole work-groups to its workers; "?" where the driver picked the size). */
static void global_text(const struct profile_launch *x, char *buf, size_t size)
{
    char g[48] = "", lo[48] = "";
    size_t groups = 1;
    bool known = true;
    for (unsigned d = 0; d < x->dims; d++) {
        size_t k = strlen(g), m = strlen(lo);
        snprintf(g + k, sizeof g - k, "%s%zu", d ? "x" : "", x->global[d]);
        snprintf(lo + m, sizeof lo - m, "%s%zu", d ? "x" : "", x->local[d]);
        known = known && x->local[d] > 0;
        groups *= known ? x->global[d] / x->local[d] : 1;
    }
    if (known)
        snprintf(buf, size, "%s / %s = %zu", g, lo, groups);
    else
        snprintf(buf, size, "%s / ?", g);
}

/* Each launch of the step in order: median time, share of the median busy time, median idle
 * time before it (from the previous launch's end; the first launch's from the previous step's
 * last, inside chunks only). */
static void print_positions(const struct steps *s, const struct profile_launch *l, double *tmp,
                            struct totals *t, double *pos_median)
{
    t->sum = 0;
    for (int p = 0; p < s->len[0] && p < MAX_POS; p++) {
        double *dur = tmp;
        int n = 0;
        for (int k = 0; k < s->n; k++)
            if (same_as_first(s, l, k))
                dur[n++] = us(l[s->first[k] + p].start, l[s->first[k] + p].end);
        pos_median[p] = median(dur, n);
        t->sum += pos_median[p];
    }
    printf("| # | kernel | global / local = groups | median us | share "
           "| idle before, median us |\n");
    printf("| --- | --- | --- | --- | --- | --- |\n");
    for (int p = 0; p < s->len[0] && p < MAX_POS; p++) {
        int ng = 0;
        double *idle = tmp;
        for (int k = 0; k < s->n; k++) {
            if (!same_as_first(s, l, k))
                continue;
            const struct profile_launch *x = &l[s->first[k] + p];
            if (p > 0)
                idle[ng++] = us(x[-1].end, x->start);
            else if (!s->after_gap[k])
                idle[ng++] = us(l[s->prev_last[k]].end, x->start);
        }
        char g[160];
        global_text(&l[s->first[0] + p], g, sizeof g);
        printf("| %d | %s | %s | %.1f | %.1f%% | %.1f |\n", p + 1,
               kernel_name(l[s->first[0] + p].kernel), g, pos_median[p],
               100.0 * pos_median[p] / t->sum, median(idle, ng));
    }
}

/* The positions' medians summed by kernel, in the order each kernel first appears. */
static void print_kernels(const struct steps *s, const struct profile_launch *l,
                          const double *pos_median, const struct totals *t)
{
    printf("\n| kernel | launches per step | us per step (sum of medians) | share |\n");
    printf("| --- | --- | --- | --- |\n");
    int len = s->len[0] < MAX_POS ? s->len[0] : MAX_POS;
    for (int p = 0; p < len; p++) {
        enum kernel_id id = l[s->first[0] + p].kernel;
        bool seen = false;
        for (int q = 0; q < p; q++)
            seen = seen || l[s->first[0] + q].kernel == id;
        if (seen)
            continue;
        int count = 0;
        double sum = 0;
        for (int q = p; q < len; q++)
            if (l[s->first[0] + q].kernel == id) {
                count++;
                sum += pos_median[q];
            }
        printf("| %s | %d | %.1f | %.1f%% |\n", kernel_name(id), count, sum,
               100.0 * sum / t->sum);
    }
}

/* Threads that used CPU time during the run (the ones alive at its end), busiest first. */
static void print_threads(const struct threads *before, const struct threads *after,
                          double seconds)
{
    printf("\nCPU time of the process's threads over the run (%.2f s wall, start-up, "
           "compiles and evaluation included):", seconds);
    bool used[MAX_THREADS] = {0};
    for (int shown = 0; shown < after->n; shown++) {
        int best = -1;
        double best_ms = 0;
        for (int i = 0; i < after->n; i++) {
            double was = 0;
            for (int j = 0; j < before->n; j++)
                if (before->tid[j] == after->tid[i]) was = before->ns[j];
            double ms = (after->ns[i] - was) / 1e6;
            if (!used[i] && ms >= best_ms) {
                best = i;
                best_ms = ms;
            }
        }
        if (best < 0 || best_ms < 1.0)
            break;
        used[best] = true;
        printf(" %s %.0f ms", after->tid[best] == (long)getpid() ? "main" : "thread", best_ms);
    }
    printf("\n");
}

static double summary_rate(const char *out)
{
    char path[128], buf[1 << 16];
    snprintf(path, sizeof path, "%s/summary.json", out);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    const char *k = strstr(buf, "\"iterations_per_second\":");
    return k ? atof(k + strlen("\"iterations_per_second\":")) : 0;
}

static void load_text(char *buf, size_t size)
{
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f || !fgets(buf, (int)size, f))
        snprintf(buf, size, "unknown\n");
    if (f)
        fclose(f);
    buf[strcspn(buf, "\n")] = 0;
}

static void report(const struct args *a, const struct profile_launch *l, size_t n,
                   size_t dropped, double rate)
{
    struct steps s;
    find_steps(&s, l, n);
    if (s.n < 2) {
        fprintf(stderr, "net_profile: %s: fewer than 2 steps were timed\n", a->config);
        exit(1);
    }
    double *tmp = calloc(3 * (size_t)s.n, sizeof *tmp), pos_median[MAX_POS];
    struct totals t;
    step_totals(&s, l, tmp, &t);
    char load[128];
    load_text(load, sizeof load);
    const char *w = getenv("POCL_MAX_PTHREAD_COUNT");
    printf("%s: %d steps timed (steps 2-%ld), %d launches a step, %d of the steps alike; "
           "PoCL workers %s; load %s%s\n\n", a->config, s.n, a->iterations, s.len[0], t.n_like,
           w ? w : "as the driver picks (unset)", load, dropped ? "; LAUNCHES DROPPED" : "");
    print_positions(&s, l, tmp, &t, pos_median);
    print_kernels(&s, l, pos_median, &t);
    printf("\nper step: launches' medians summed %.1f us; medians over steps: busy %.1f us, "
           "period %.1f us (%d steps inside chunks; their mean %.1f), gap %.1f us (%.1f%% of "
           "the period); overall period %.1f us = %.0f it/s; summary.json %.0f it/s\n",
           t.sum, t.busy, t.period_in, t.n_in, t.mean_in, t.gap, 100.0 * t.gap / t.period_in,
           t.overall, 1e6 / t.overall, rate);
    print_period_spread(&s, l, tmp, a->by_place);
    free(tmp);
    free(s.first);
    free(s.prev_last);
    free(s.len);
    free(s.after_gap);
}

int main(int argc, char **argv)
{
    struct args a;
    struct clnet_options opt;
    parse(&a, argc, argv);
    configure(&opt);
    snprintf(a.out, sizeof a.out, "/tmp/net_profile.XXXXXX");
    if (!mkdtemp(a.out)) {
        perror("net_profile: mkdtemp");
        return 1;
    }
    struct experiment e;
    CK(config_load(&e, a.config, a.sets, a.n_sets));
    struct train_options o = {.out_dir = a.out, .quiet = true, .restart = true,
                              .process_start = now(), .fused_sgd = opt.fused_sgd,
                              .dense_stack = opt.dense_stack};
    struct threads before, after;
    threads_read(&before);
    runtime_profile_enable(true, (size_t)1 << 22);
    double t0 = now();
    CK(train_run(&e, &o));
    double seconds = now() - t0;
    threads_read(&after);
    size_t n, dropped;
    const struct profile_launch *l = runtime_profile_launches(&n, &dropped);
    report(&a, l, n, dropped, summary_rate(a.out));
    print_threads(&before, &after, seconds);
    experiment_free(&e);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", a.out);
    return system(cmd) == 0 ? 0 : 1;
}
