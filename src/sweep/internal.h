/* What the pieces of src/sweep/ share: the plan (plan.c: files, configs, names, parameters,
 * what a run directory already holds), the children (jobs.c: start, watch, render their
 * progress, forward signals) and the results (table.c: summary.csv, summary.md, plots, pages).
 * Internal to src/sweep/. */
#ifndef CLNET_SWEEP_INTERNAL_H
#define CLNET_SWEEP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "config/experiment.h"
#include "config/flat.h"
#include "sweep/sweep.h"

enum item_state {
    ITEM_PENDING,    /* to run */
    ITEM_UP_TO_DATE, /* completed before with the same resolved config: not run again */
    ITEM_RUNNING,
    ITEM_DONE,       /* its child exited (any status) */
};

/* What a run directory's summary.json says (has = false when there is none, or it does not
 * parse; then every number is NaN). */
struct run_record {
    bool has;
    char status[16]; /* completed, diverged, interrupted, failed */
    bool has_hash;
    uint64_t config_hash;
    double final_acc, best_acc, iterations_per_second, seconds;
};

struct sweep_item {
    char *path; /* the experiment file */
    char *name;
    char *dir;  /* ROOT/<sweep>/<name> */
    uint64_t hash; /* of the resolved config, as train computes it */
    enum report_format format;
    struct config_flat flat; /* the resolved config's key paths, for the table's columns */
    enum item_state state;
    bool restart;     /* the directory holds a run of another config: train --restart */
    bool stopped;     /* the sweep sent it SIGINT/SIGTERM (interrupted, or --fail-fast) */
    int exit_code;    /* of the child; -1 when a signal ended it */
    int term_signal;  /* that signal, or 0 */
    char *error;      /* the child's error line without "clnet: error: ", or NULL */
    struct run_record rec;
};

struct sweep {
    const struct sweep_options *opt;
    char *name; /* DIR's last path component */
    char *root; /* OUT_ROOT/<name> */
    struct sweep_item *items;
    int n;
    char **devices;
    int n_devices;
    int n_skipped_untrainable; /* experiments without a train: section */
};

/* plan.c */
int sweep_plan(struct sweep *s);
void sweep_free(struct sweep *s);
/* Reads it->dir/summary.json into it->rec (a missing or unreadable file leaves has false). */
void sweep_read_record(struct sweep_item *it);
/* Whether a run is counted as a failure: it ran (or ran before) and did not complete. */
bool sweep_item_failed(const struct sweep_item *it);
/* The status word a table shows: completed, diverged, interrupted, failed, not run. */
const char *sweep_item_status(const struct sweep_item *it);

/* jobs.c */
/* Checks every --devices spec by asking a child `clnet devices --device SPEC`. */
int sweep_check_devices(struct sweep *s);
/* Runs every pending item. CLNET_OK, or CLNET_ERR_INTERRUPTED (signal; runs were told to stop). */
int sweep_execute(struct sweep *s);

/* jobs.c and output.c: the running children. */
struct sweep_job {
    struct sweep_item *it; /* NULL: the slot is free */
    pid_t pid;
    int fd[2];          /* the child's stdout and stderr; -1 once closed */
    const char *device; /* --device given to it, or NULL */
    char line[2][1024]; /* the line being read from each stream */
    int len[2];
    bool in_place;      /* the stdout line began after '\r': a progress update */
    bool got_error_line; /* a "clnet: error: " line came (it->error holds it) */
    char live[1024];    /* the latest progress update */
    struct stat before; /* summary.json before the run (st_mtim 0 when none) */
};

struct sweep_runner {
    struct sweep *s;
    const struct sweep_options *o;
    struct sweep_job *jobs;
    int n_jobs;
    bool tty;     /* live lines on a terminal */
    int shown;    /* live lines on screen now */
    bool dirty;
    double drawn; /* when they were last drawn */
    struct clnet_options child; /* the runs' settings, given them as flags (jobs.c) */
    int started, done, failed, to_run;
};

/* output.c */
void sweep_output_clear(struct sweep_runner *r); /* removes the live lines from the terminal */
void sweep_output_draw(struct sweep_runner *r);  /* draws them again */
/* A line that stays, prefixed with the run name unless it starts with it (or name is NULL). */
void sweep_output_line(struct sweep_runner *r, FILE *f, const char *name, const char *line);
/* Reads what is ready on a job's stdout (stream 0) or stderr (1); closes it at its end. */
void sweep_output_read(struct sweep_runner *r, struct sweep_job *j, int stream);
/* The table of summary.md on stdout in aligned columns, its settings cut to a terminal's
 * width. */
int sweep_output_table(const struct sweep *s);

/* table.c */
struct settings;
int sweep_write_tables(const struct sweep *s);
/* Every item's settings in a few words (report/settings.h); settings_free it. */
int sweep_settings(const struct sweep *s, struct settings *out);
/* What a table shows of a run: final and best test accuracy, iterations/s, seconds (NaN where
 * the run has not given them), each with sweep_row_decimals[c] decimals. */
void sweep_row_numbers(const struct sweep_item *it, double v[4]);
extern const int sweep_row_decimals[4];
int sweep_compare(const struct sweep *s);
/* index.html in ROOT/<sweep> and in every run's folder (report/page.h), rows as the table's. */
int sweep_write_pages(const struct sweep *s);

#endif
