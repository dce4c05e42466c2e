/* The CPU's measured FMA limit in GFLOP/s, for 1 and 2 threads: each thread runs independent
 * chains of vector FMAs on registers (16 zmm accumulators with AVX-512F, 12 ymm with AVX2+FMA:
 * enough to cover the FMA latency on two pipes), for about SECONDS, best of REPEATS. What GEMM
 * kernels are measured against (bench/gemm_blas.py):
 *     build/bench/fma_peak [--json] [--isa avx512|avx2] [--seconds S] [--repeats R]
 * The ISA is the best the CPU has (checked at run time) unless --isa names one; it is printed
 * on every line. One FMA counts as 2 FLOP. */
#include <immintrin.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* acc = acc * mul + add converges to add / (1 - mul): no overflow, no denormals. */
#define FMA_MUL 0.999999f
#define FMA_ADD 1e-6f

/* 16 chains of 16-float FMAs: 512 FLOP per iteration. */
#define AVX512_FLOP_PER_ITER (16.0 * 16.0 * 2.0)
__attribute__((target("avx512f"))) static float fma_avx512(long iters)
{
    const __m512 m = _mm512_set1_ps(FMA_MUL), a = _mm512_set1_ps(FMA_ADD);
    __m512 r0 = _mm512_set1_ps(0.0f), r1 = _mm512_set1_ps(0.1f), r2 = _mm512_set1_ps(0.2f),
           r3 = _mm512_set1_ps(0.3f), r4 = _mm512_set1_ps(0.4f), r5 = _mm512_set1_ps(0.5f),
           r6 = _mm512_set1_ps(0.6f), r7 = _mm512_set1_ps(0.7f), r8 = _mm512_set1_ps(0.8f),
           r9 = _mm512_set1_ps(0.9f), r10 = _mm512_set1_ps(1.0f), r11 = _mm512_set1_ps(1.1f),
           r12 = _mm512_set1_ps(1.2f), r13 = _mm512_set1_ps(1.3f), r14 = _mm512_set1_ps(1.4f),
           r15 = _mm512_set1_ps(1.5f);
    for (long i = 0; i < iters; i++) {
        r0 = _mm512_fmadd_ps(r0, m, a);
        r1 = _mm512_fmadd_ps(r1, m, a);
        r2 = _mm512_fmadd_ps(r2, m, a);
        r3 = _mm512_fmadd_ps(r3, m, a);
        r4 = _mm512_fmadd_ps(r4, m, a);
        r5 = _mm512_fmadd_ps(r5, m, a);
        r6 = _mm512_fmadd_ps(r6, m, a);
        r7 = _mm512_fmadd_ps(r7, m, a);
        r8 = _mm512_fmadd_ps(r8, m, a);
        r9 = _mm512_fmadd_ps(r9, m, a);
        r10 = _mm512_fmadd_ps(r10, m, a);
        r11 = _mm512_fmadd_ps(r11, m, a);
        r12 = _mm512_fmadd_ps(r12, m, a);
        r13 = _mm512_fmadd_ps(r13, m, a);
        r14 = _mm512_fmadd_ps(r14, m, a);
        r15 = _mm512_fmadd_ps(r15, m, a);
    }
    __m512 s = _mm512_add_ps(
        _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(r0, r1), _mm512_add_ps(r2, r3)),
                      _mm512_add_ps(_mm512_add_ps(r4, r5), _mm512_add_ps(r6, r7))),
        _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(r8, r9), _mm512_add_ps(r10, r11)),
                      _mm512_add_ps(_mm512_add_ps(r12, r13), _mm512_add_ps(r14, r15))));
    return _mm512_reduce_add_ps(s);
}

/* 12 chains of 8-float FMAs (16 ymm registers hold them and the two constants): 192 FLOP. */
#define AVX2_FLOP_PER_ITER (12.0 * 8.0 * 2.0)
__attribute__((target("avx2,fma"))) static float fma_avx2(long iters)
{
    const __m256 m = _mm256_set1_ps(FMA_MUL), a = _mm256_set1_ps(FMA_ADD);
    __m256 r0 = _mm256_set1_ps(0.0f), r1 = _mm256_set1_ps(0.1f), r2 = _mm256_set1_ps(0.2f),
           r3 = _mm256_set1_ps(0.3f), r4 = _mm256_set1_ps(0.4f), r5 = _mm256_set1_ps(0.5f),
           r6 = _mm256_set1_ps(0.6f), r7 = _mm256_set1_ps(0.7f), r8 = _mm256_set1_ps(0.8f),
           r9 = _mm256_set1_ps(0.9f), r10 = _mm256_set1_ps(1.0f), r11 = _mm256_set1_ps(1.1f);
    for (long i = 0; i < iters; i++) {
        r0 = _mm256_fmadd_ps(r0, m, a);
        r1 = _mm256_fmadd_ps(r1, m, a);
        r2 = _mm256_fmadd_ps(r2, m, a);
        r3 = _mm256_fmadd_ps(r3, m, a);
        r4 = _mm256_fmadd_ps(r4, m, a);
        r5 = _mm256_fmadd_ps(r5, m, a);
        r6 = _mm256_fmadd_ps(r6, m, a);
        r7 = _mm256_fmadd_ps(r7, m, a);
        r8 = _mm256_fmadd_ps(r8, m, a);
        r9 = _mm256_fmadd_ps(r9, m, a);
        r10 = _mm256_fmadd_ps(r10, m, a);
        r11 = _mm256_fmadd_ps(r11, m, a);
    }
    __m256 s = _mm256_add_ps(
        _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(r0, r1), _mm256_add_ps(r2, r3)),
                      _mm256_add_ps(_mm256_add_ps(r4, r5), _mm256_add_ps(r6, r7))),
        _mm256_add_ps(_mm256_add_ps(r8, r9), _mm256_add_ps(r10, r11)));
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    return lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] + lanes[6] + lanes[7];
}

enum isa { ISA_AVX512, ISA_AVX2 };

static const struct {
    const char *name, *json, *what;
    float (*fn)(long);
    double flop_per_iter;
} isas[] = {
    [ISA_AVX512] = {"AVX-512F", "avx512f", "16 zmm accumulators", fma_avx512,
                    AVX512_FLOP_PER_ITER},
    [ISA_AVX2] = {"AVX2+FMA", "avx2+fma", "12 ymm accumulators", fma_avx2, AVX2_FLOP_PER_ITER},
};

/* About 2 ms a chunk at 250 GFLOP/s: the clock is read rarely enough to cost nothing. */
#define CHUNK_ITERS (1L << 20)

struct worker {
    pthread_t thread;
    pthread_barrier_t *start;
    enum isa isa;
    double seconds;   /* how long to run */
    double flop, elapsed;
    float sink;       /* the chains' sum, stored so the compiler cannot drop them */
};

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    pthread_barrier_wait(w->start);
    double t0 = now(), t = t0;
    long chunks = 0;
    float sink = 0.0f;
    while (t - t0 < w->seconds) {
        sink += isas[w->isa].fn(CHUNK_ITERS);
        chunks++;
        t = now();
    }
    w->elapsed = t - t0;
    w->flop = (double)chunks * (double)CHUNK_ITERS * isas[w->isa].flop_per_iter;
    w->sink = sink;
    return NULL;
}

/* GFLOP/s of `threads` workers running at once: the sum of each one's rate. */
static int measure(double *gflops, enum isa isa, int threads, double seconds)
{
    struct worker w[2];
    pthread_barrier_t start;
    int err = pthread_barrier_init(&start, NULL, (unsigned)threads);
    if (err != 0) {
        fprintf(stderr, "fma_peak: pthread_barrier_init: %s\n", strerror(err));
        return 1;
    }
    int started = 0;
    for (; started < threads; started++) {
        w[started] = (struct worker){.start = &start, .isa = isa, .seconds = seconds};
        if ((err = pthread_create(&w[started].thread, NULL, worker_run, &w[started])) != 0)
            break;
    }
    if (err != 0) { /* the started ones wait at the barrier forever: nothing to join */
        fprintf(stderr, "fma_peak: pthread_create: %s\n", strerror(err));
        return 1;
    }
    *gflops = 0.0;
    for (int i = 0; i < threads; i++) {
        pthread_join(w[i].thread, NULL);
        *gflops += w[i].flop / w[i].elapsed * 1e-9;
    }
    pthread_barrier_destroy(&start);
    return 0;
}

static int usage(const char *what)
{
    fprintf(stderr,
            "fma_peak: %s (usage: fma_peak [--json] [--isa avx512|avx2] [--seconds S] "
            "[--repeats R])\n",
            what);
    return 2;
}

int main(int argc, char **argv)
{
    bool json = false;
    double seconds = 0.5;
    int repeats = 3;
    int isa = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char *end;
        if (strcmp(a, "--json") == 0)
            json = true;
        else if (strcmp(a, "--isa") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            if (strcmp(v, "avx512") == 0)
                isa = ISA_AVX512;
            else if (strcmp(v, "avx2") == 0)
                isa = ISA_AVX2;
            else
                return usage("--isa takes avx512 or avx2");
        } else if (strcmp(a, "--seconds") == 0 && i + 1 < argc) {
            seconds = strtod(argv[++i], &end);
            if (*end != '\0' || !(seconds > 0.0 && seconds <= 60.0))
                return usage("--seconds takes a number of seconds in (0, 60]");
        } else if (strcmp(a, "--repeats") == 0 && i + 1 < argc) {
            long r = strtol(argv[++i], &end, 10);
            if (*end != '\0' || r < 1 || r > 100)
                return usage("--repeats takes 1 to 100");
            repeats = (int)r;
        } else
            return usage(a);
    }
    bool has512 = __builtin_cpu_supports("avx512f");
    bool has2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (isa == ISA_AVX512 && !has512) {
        fprintf(stderr, "fma_peak: --isa avx512: this CPU has no AVX-512F\n");
        return 2;
    }
    if (isa == ISA_AVX2 && !has2) {
        fprintf(stderr, "fma_peak: --isa avx2: this CPU has no AVX2 and FMA\n");
        return 2;
    }
    if (isa < 0) {
        if (!has512 && !has2) {
            fprintf(stderr, "fma_peak: this CPU has neither AVX-512F nor AVX2 with FMA\n");
            return 1;
        }
        isa = has512 ? ISA_AVX512 : ISA_AVX2;
    }
    if (!json)
        printf("FMA peak: %s (%s%s), %.2f s per thread, best of %d\n", isas[isa].name,
               isas[isa].what,
               isa == ISA_AVX512 ? "" : has512 ? "; --isa" : "; the CPU has no AVX-512F",
               seconds, repeats);
    for (int threads = 1; threads <= 2; threads++) {
        double best = 0.0;
        for (int r = 0; r < repeats; r++) {
            double g;
            if (measure(&g, (enum isa)isa, threads, seconds) != 0)
                return 1;
            if (g > best)
                best = g;
        }
        if (json)
            printf("{\"isa\": \"%s\", \"threads\": %d, \"gflops\": %.1f, \"seconds\": %.2f, "
                   "\"repeats\": %d}\n",
                   isas[isa].json, threads, best, seconds, repeats);
        else
            printf("%s, %d thread%s %.1f GFLOP/s\n", isas[isa].name, threads,
                   threads == 1 ? ": " : "s:", best);
    }
    return 0;
}
