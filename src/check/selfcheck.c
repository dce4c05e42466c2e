/* `clnet selfcheck` (selfcheck.h): the comparison helpers, the per-kernel tally and the
 * report. The comparisons themselves are in selfcheck_cases.c. */
#include "check/selfcheck.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check/selfcheck_cases.h"
#include "report/report.h"
#include "util/status.h"

static_assert(SELFCHECK_LINES <= 64, "selfcheck line sets are 64-bit masks");

float sc_uniform(struct sc *c, float scale)
{
    uint64_t x = c->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    c->rng = x;
    double u = (double)((x * UINT64_C(0x2545f4914f6cdd1d)) >> 11) * 0x1.0p-53; /* [0, 1) */
    return (float)((2.0 * u - 1.0) * (double)scale);
}

float *sc_host(struct sc *c, size_t n, float scale, float fill)
{
    if (c->status != CLNET_OK) return NULL;
    if (c->n_host == (int)(sizeof c->host / sizeof c->host[0])) {
        c->status = clnet_errorf(CLNET_ERR_INTERNAL, "selfcheck: too many host arrays in a case");
        return NULL;
    }
    float *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) {
        c->status = clnet_errorf(CLNET_ERR_NOMEM, "selfcheck: out of host memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = scale > 0.0f ? sc_uniform(c, scale) : fill;
    c->host[c->n_host++] = v;
    return v;
}

cl_mem sc_buffer(struct sc *c, const void *data, size_t bytes)
{
    if (c->status != CLNET_OK) return NULL;
    if (c->n_dev == (int)(sizeof c->dev / sizeof c->dev[0])) {
        c->status = clnet_errorf(CLNET_ERR_INTERNAL, "selfcheck: too many buffers in a case");
        return NULL;
    }
    cl_mem m = NULL;
    c->status = runtime_alloc(c->rt, &m, bytes, "a selfcheck buffer");
    if (c->status == CLNET_OK && data) c->status = runtime_upload(c->rt, m, 0, data, bytes);
    if (m) c->dev[c->n_dev++] = m;
    return c->status == CLNET_OK ? m : NULL;
}

float *sc_download(struct sc *c, cl_mem buf, size_t n)
{
    float *v = sc_host(c, n, 0.0f, 0.0f);
    if (v) c->status = runtime_download(c->rt, v, buf, 0, n * sizeof *v);
    return c->status == CLNET_OK ? v : NULL;
}

void sc_release(struct sc *c)
{
    for (int i = 0; i < c->n_host; i++)
        free(c->host[i]);
    for (int i = 0; i < c->n_dev; i++)
        runtime_free(c->dev[i]);
    c->n_host = c->n_dev = 0;
}

double sc_scale(const float *v, size_t n)
{
    double m = 1e-30;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) m = fmax(m, fabs((double)v[i]));
    return m;
}

/* One value's relative error: 0 for equal NaNs or infinities, infinite for a mismatch. */
static double relative_error(float got, float want, double floor, double *abs_err)
{
    *abs_err = 0.0;
    if (isnan(want) || isnan(got) || isinf(want) || isinf(got)) {
        bool same = (isnan(want) && isnan(got)) || got == want;
        *abs_err = same ? 0.0 : INFINITY;
        return *abs_err;
    }
    *abs_err = fabs((double)got - (double)want);
    return *abs_err / fmax(fabs((double)want), floor);
}

/* How far beyond its tolerance an error is (for choosing a line's worst comparison). */
static double badness(double rel, double tolerance)
{
    if (tolerance > 0.0) return rel / tolerance;
    return rel > 0.0 ? INFINITY : 0.0;
}

void sc_compare(struct sc *c, uint64_t lines, const char *what, const float *got, const float *want,
                size_t n, double floor, double tolerance)
{
    if (c->status != CLNET_OK || !got || !want) return;
    double max_abs = 0.0, max_rel = 0.0;
    for (size_t i = 0; i < n; i++) {
        double abs_err, rel = relative_error(got[i], want[i], floor, &abs_err);
        max_abs = fmax(max_abs, abs_err);
        max_rel = fmax(max_rel, rel);
    }
    for (int id = 0; id < SELFCHECK_LINES; id++) {
        if (!(lines & SC_LINE(id))) continue;
        struct selfcheck_line *l = &c->report->lines[id];
        bool first = l->cases++ == 0;
        if (first || badness(max_rel, tolerance) > badness(l->max_rel, l->tolerance)) {
            l->tolerance = tolerance;
            snprintf(l->worst, sizeof l->worst, "%s", what);
        }
        l->max_abs = first ? max_abs : fmax(l->max_abs, max_abs);
        l->max_rel = first ? max_rel : fmax(l->max_rel, max_rel);
        l->ok = (first || l->ok) && max_rel <= tolerance;
    }
}

static const char *extra_names[SELFCHECK_EXTRA_COUNT] = {
    [SELFCHECK_CLBLAST] = "gemm (CLBlast)",
    [SELFCHECK_FILL] = "fill",
    [SELFCHECK_COPY] = "copy",
};

static const char *kind_names[LAYER_TYPE_COUNT] = {
#define LAYER_KIND(ENUM, name, form, cl) [LAYER_##ENUM] = "layer " #name,
#include "layers/kinds.def"
#undef LAYER_KIND
};

static const char *line_name(int id)
{
    if (id < KERNEL_COUNT) return kernel_name((enum kernel_id)id);
    id -= KERNEL_COUNT;
    return id < SELFCHECK_EXTRA_COUNT ? extra_names[id] : kind_names[id - SELFCHECK_EXTRA_COUNT];
}

static void print_report(FILE *out, const struct runtime *rt, const struct selfcheck_report *r)
{
    const struct runtime_device_info *d = runtime_device(rt);
    fprintf(out, "selfcheck on %s (%s): every kernel against the host reference\n", d->name,
            d->platform_name);
    fprintf(out, "  %-26s %5s  %11s  %11s  %9s  %-6s %s\n", "kernel", "cases", "max abs err",
            "max rel err", "tolerance", "result", "worst case");
    for (int id = 0; id < SELFCHECK_LINES; id++) {
        const struct selfcheck_line *l = &r->lines[id];
        fprintf(out, "  %-26s %5d  %11.3g  %11.3g  %9.3g  %-6s %s\n", l->name, l->cases, l->max_abs,
                l->max_rel, l->tolerance, l->ok ? "ok" : "FAIL", l->worst);
    }
    if (r->denormal_skips)
        fprintf(out, "note: %s does not promise denormals (no CL_FP_DENORM): %d cases ran "
                "without their denormal values\n", d->name, r->denormal_skips);
    fprintf(out, "selfcheck: %d of %d kernels of the table and %d more, %s (%.2f s)\n", r->covered,
            KERNEL_COUNT, SELFCHECK_LINES - KERNEL_COUNT, r->failed ? "FAILED" : "all within tolerance",
            r->seconds);
}

int selfcheck_run(struct runtime *rt, FILE *out, struct selfcheck_report *report)
{
    double t0 = clock_seconds();
    struct selfcheck_report local;
    struct selfcheck_report *r = report ? report : &local;
    memset(r, 0, sizeof *r);
    for (int id = 0; id < SELFCHECK_LINES; id++)
        r->lines[id].name = line_name(id);
    struct sc c = {.rt = rt, .report = r, .rng = UINT64_C(0x5e1fc4ec4d1a7b35),
                   .denorms = (runtime_device(rt)->fp_flags & RUNTIME_FP_DENORM) != 0};
    int status = selfcheck_cases(&c);
    if (status == CLNET_OK)
        status = selfcheck_layers(&c);
    sc_release(&c);
    if (status == CLNET_OK) status = runtime_finish(rt);
    if (status != CLNET_OK) return status;
    r->seconds = clock_seconds() - t0;
    char failed[512] = "";
    const char *missing = NULL;
    for (int id = 0; id < SELFCHECK_LINES; id++) {
        const struct selfcheck_line *l = &r->lines[id];
        if (l->cases == 0 && !missing) missing = l->name;
        r->covered += id < KERNEL_COUNT && l->cases > 0;
        if (l->cases == 0 || l->ok) continue;
        size_t used = strlen(failed);
        snprintf(failed + used, sizeof failed - used, "%s%s (relative error %.3g > %.3g in %s)",
                 r->failed ? ", " : "", l->name, l->max_rel, l->tolerance, l->worst);
        r->failed++;
    }
    if (missing)
        return clnet_errorf(CLNET_ERR_INTERNAL,
                            "selfcheck: %s has no comparison (add one to "
                            "src/check/selfcheck_cases.c, or examples to its kind)",
                            missing);
    if (out) print_report(out, rt, r);
    if (r->failed)
        return clnet_errorf(CLNET_ERR_CHECK, "selfcheck on %s: %d kernel%s beyond tolerance: %s",
                            runtime_device(rt)->name, r->failed, r->failed == 1 ? "" : "s", failed);
    return CLNET_OK;
}
