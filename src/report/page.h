/* The pages a person opens in a browser: index.html in a sweep's folder (the table of its runs,
 * sortable and filterable, every run's curves overlaid, a link to each run's page) and in each
 * run's folder (its curves, predictions, confusion matrix, summary.json, resolved config with
 * what differs from the sweep marked, layer statistics). Each page is one self-contained file:
 * the template, script and style of web/ and uPlot are embedded in the binary (report/web.h),
 * and the run's data go into the page as JSON, so it opens from file:// with no server and
 * loads nothing but the run's own PNGs beside it. */
#ifndef CLNET_REPORT_PAGE_H
#define CLNET_REPORT_PAGE_H

#include "config/flat.h"

struct page_run {
    const char *name;
    const char *dir;          /* the run's folder (it may not exist: a run that never started) */
    const char *status;       /* the sweep's word for it ("not run"), or NULL: summary.json's */
    struct config_flat flat;  /* its resolved config, borrowed; n == 0: unknown */
};

/* dir/index.html for a sweep (name; source: the folder of its configs, or NULL) of n runs in
 * the table's order, then every existing run folder's index.html, which links back and marks
 * what differs from the sweep's most common choice. */
int page_write_sweep(const char *dir, const char *name, const char *source,
                     const struct page_run *runs, int n);

/* run_dir/index.html of a run on its own. */
int page_write_run(const char *run_dir);

/* Internal to report/: the page around its data (page.c). json is the data object; every '<' in
 * it is written as \u003c, so no text in it can end the script element that holds it. */
int page_write_file(const char *path, const char *title, const char *json, size_t len);

#endif
