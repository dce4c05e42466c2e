/* `clnet report DIR... [--format png|pdf|both]`: draws the plots and writes the pages
 * (index.html, report/page.h) again from what runs wrote, without training. A DIR holding
 * metrics.csv is a run; a DIR whose subfolders hold runs is a sweep: each run's plots, then
 * the comparison plots and the sweep's page and its runs' pages in DIR. */
#define _GNU_SOURCE
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "config/config.h"
#include "report/page.h"
#include "report/plot.h"
#include "util/fs.h"
#include "util/status.h"

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_run(const char *dir)
{
    char *metrics = NULL;
    if (asprintf(&metrics, "%s/metrics.csv", dir) < 0)
        return false;
    bool yes = fs_exists(metrics);
    free(metrics);
    return yes;
}

static int parse_format(enum report_format *fmt, const char *text)
{
    static const char *const names[REPORT_FORMAT_COUNT] = {
        [REPORT_PNG] = "png", [REPORT_PDF] = "pdf", [REPORT_BOTH] = "both"};
    for (int i = 0; i < REPORT_FORMAT_COUNT; i++)
        if (strcmp(text, names[i]) == 0) {
            *fmt = (enum report_format)i;
            return CLNET_OK;
        }
    return clnet_errorf(CLNET_ERR_USAGE, "report: --format %s: expected png, pdf or both", text);
}

/* The --format flag, or else the run's own report.format. */
static int run_format(enum report_format *fmt, const char *dir, const char *flag)
{
    if (flag)
        return parse_format(fmt, flag);
    char *config = NULL;
    if (asprintf(&config, "%s/config.yaml", dir) < 0)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    if (!fs_exists(config)) {
        free(config);
        return clnet_errorf(CLNET_ERR_USAGE, "%s: no config.yaml: not a run directory", dir);
    }
    struct experiment e;
    int status = config_load(&e, config, NULL, 0);
    if (status == CLNET_OK) {
        *fmt = e.report.format;
        experiment_free(&e);
    }
    free(config);
    return status;
}

static int keep_dir(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

/* The sweep's page and its runs' (their resolved configs read back from config.yaml). */
static int report_pages(const char *dir, const char *const *dirs,
                        const struct report_run_ref *refs, int n)
{
    struct page_run *runs = calloc((size_t)n + 1, sizeof *runs);
    int status = runs ? CLNET_OK : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    for (int i = 0; i < n && status == CLNET_OK; i++) {
        char *config = NULL;
        runs[i] = (struct page_run){refs[i].name, dirs[i], NULL, {0}};
        status = asprintf(&config, "%s/config.yaml", dirs[i]) < 0
                     ? clnet_errorf(CLNET_ERR_NOMEM, "out of host memory")
                     : config_flatten_file(config, &runs[i].flat);
        free(config);
    }
    char name[256];
    const char *slash = strrchr(dir, '/');
    snprintf(name, sizeof name, "%s", slash && slash[1] ? slash + 1 : dir);
    if (status == CLNET_OK)
        status = page_write_sweep(dir, name, NULL, runs, n);
    for (int i = 0; runs && i < n; i++)
        config_flat_free(&runs[i].flat);
    free(runs);
    return status;
}

static void say_sweep(const char *dir, int runs, const char *param)
{
    printf("%s: %d runs%s%s%s; index.html written\n", dir, runs,
           param ? "; final accuracy against " : "", param ? param : "",
           param ? "" : " (no single numeric parameter varies)");
}

static int report_sweep(const char *dir, const char *flag, bool quiet)
{
    struct dirent **list = NULL;
    int n = scandir(dir, &list, keep_dir, versionsort); /* h10 before h25, as a sweep orders */
    if (n < 0)
        return clnet_errorf(CLNET_ERR_USAGE, "%s: cannot list the folder", dir);
    char **dirs = calloc((size_t)n + 1, sizeof *dirs);
    struct report_run_ref *refs = calloc((size_t)n + 1, sizeof *refs);
    double *values = calloc((size_t)n + 1, sizeof *values);
    int status = dirs && refs && values ? CLNET_OK
                                        : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    int runs = 0;
    enum report_format fmt = REPORT_PNG;
    for (int i = 0; i < n && status == CLNET_OK; i++) {
        char *sub = NULL;
        if (asprintf(&sub, "%s/%s", dir, list[i]->d_name) < 0) {
            status = clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
            break;
        }
        if (!is_dir(sub) || !is_run(sub)) {
            free(sub);
            continue;
        }
        dirs[runs] = sub;
        refs[runs] = (struct report_run_ref){list[i]->d_name, sub, NAN};
        enum report_format own = REPORT_PNG;
        status = run_format(&own, sub, flag);
        if (status == CLNET_OK)
            status = report_run(sub, own);
        if (status == CLNET_OK && runs > 0 && own != fmt)
            fmt = REPORT_BOTH; /* the runs disagree: the comparison in both kinds */
        else if (runs == 0)
            fmt = own;
        runs++;
    }
    if (status == CLNET_OK && runs == 0)
        status = clnet_errorf(CLNET_ERR_USAGE, "%s: not a run directory (no metrics.csv) nor a "
                              "sweep (no subfolder holds one)", dir);
    char *param = NULL;
    if (status == CLNET_OK)
        status = report_varying_param(&param, values, (const char *const *)dirs, runs);
    for (int i = 0; param && i < runs; i++)
        refs[i].param = values[i];
    if (status == CLNET_OK)
        status = report_compare(dir, refs, runs, param, fmt);
    if (status == CLNET_OK)
        status = report_pages(dir, (const char *const *)dirs, refs, runs);
    if (status == CLNET_OK && !quiet)
        say_sweep(dir, runs, param);
    free(param);
    for (int i = 0; i < runs; i++)
        free(dirs[i]);
    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);
    free(dirs);
    free(refs);
    free(values);
    return status;
}

int cli_report(const struct cli_args *args)
{
    if (!CLNET_HAVE_PLOTS && !args->quiet)
        printf("clnet report: %s: the pages only, no PNG or PDF\n", PLOT_NONE_MESSAGE);
    int status = CLNET_OK;
    for (int i = 0; i < args->n_positional && status == CLNET_OK; i++) {
        const char *dir = args->positional[i];
        if (!is_dir(dir))
            status = clnet_errorf(CLNET_ERR_USAGE, "%s: no such folder", dir);
        else if (is_run(dir)) {
            enum report_format fmt;
            status = run_format(&fmt, dir, args->format);
            if (status == CLNET_OK)
                status = report_run(dir, fmt);
            if (status == CLNET_OK)
                status = page_write_run(dir);
            if (status == CLNET_OK && !args->quiet)
                printf("%s: %sindex.html written\n", dir, CLNET_HAVE_PLOTS ? "plots drawn, " : "");
        } else
            status = report_sweep(dir, args->format, args->quiet);
    }
    return status;
}
