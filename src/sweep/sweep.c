/* `clnet sweep DIR` (see sweep.h): plan everything first (every config loaded and validated,
 * names unique, devices checked), skip what is already done, run the rest as child
 * processes, then write the table and the plots and list what did not complete. */
#define _GNU_SOURCE
#include "sweep/sweep.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dist/dist.h"
#include "report/report.h"
#include "sweep/internal.h"
#include "util/interrupt.h"
#include "util/status.h"

/* Whether the run in it->dir is of this config but for fewer iterations (train.iterations the
 * only key of its config.yaml that differs): train continues it from its checkpoint, as
 * `clnet train` does, ending with the bytes of one run of the larger count. */
static bool fewer_iterations(const struct sweep_item *it)
{
    char *path = NULL, diff[256];
    struct config_flat then;
    if (asprintf(&path, "%s/config.yaml", it->dir) < 0)
        return false;
    bool had_error = clnet_error_message()[0] != '\0';
    bool fewer = false;
    if (config_flatten_file(path, &then) == CLNET_OK) {
        const char *a = config_flat_get(&then, "train.iterations");
        const char *b = config_flat_get(&it->flat, "train.iterations");
        fewer = config_flat_diff(&then, &it->flat, diff, sizeof diff, 1) == 1 && a && b &&
                strtol(a, NULL, 10) < strtol(b, NULL, 10);
        config_flat_free(&then);
    }
    if (!had_error) /* an unreadable config.yaml: the run starts over; not the sweep's error */
        clnet_error_clear();
    free(path);
    return fewer;
}

/* Up to date: completed with the config it would run now. A run of the same config but for
 * fewer iterations is continued; one of another config is started over (train refuses to
 * resume a checkpoint of another config); anything else is started again and resumes from its
 * checkpoint. */
static void decide(struct sweep *s)
{
    for (int i = 0; i < s->n; i++) {
        struct sweep_item *it = &s->items[i];
        sweep_read_record(it);
        const struct run_record *r = &it->rec;
        bool same = r->has && r->has_hash && r->config_hash == it->hash;
        if (same && strcmp(r->status, "completed") == 0) {
            it->state = ITEM_UP_TO_DATE;
        } else {
            it->state = ITEM_PENDING;
            it->restart = r->has && r->has_hash && !same && !fewer_iterations(it);
        }
    }
}

/* The runs that did not complete, to stderr when print; the names into buf for the error
 * line. */
static int list_failures(const struct sweep *s, char *names, size_t size, bool print)
{
    int n = 0;
    size_t used = 0;
    names[0] = '\0';
    for (int i = 0; i < s->n; i++)
        n += sweep_item_failed(&s->items[i]);
    if (n == 0 || !print)
        return n;
    fprintf(stderr, "sweep %s: %d of %d runs did not complete:\n", s->name, n, s->n);
    for (int i = 0; i < s->n; i++) {
        const struct sweep_item *it = &s->items[i];
        if (!sweep_item_failed(it))
            continue;
        char code[32] = "";
        if (it->exit_code > 0)
            snprintf(code, sizeof code, " (exit %d)", it->exit_code);
        fprintf(stderr, "  %s: %s%s: %s\n", it->name, sweep_item_status(it), code,
                it->error ? it->error : "no error message");
        if (used < size) {
            int w = snprintf(names + used, size - used, "%s%s", used ? ", " : "", it->name);
            used += w > 0 ? (size_t)w : 0;
        }
    }
    return n;
}

static void print_totals(const struct sweep *s, double seconds)
{
    int completed = 0, up_to_date = 0, failed = 0, not_run = 0;
    for (int i = 0; i < s->n; i++) {
        const struct sweep_item *it = &s->items[i];
        up_to_date += it->state == ITEM_UP_TO_DATE;
        completed += strcmp(sweep_item_status(it), "completed") == 0;
        failed += sweep_item_failed(it);
        not_run += it->state == ITEM_PENDING || (it->state == ITEM_DONE && it->stopped &&
                                                 strcmp(sweep_item_status(it), "completed"));
    }
    printf("sweep %s: %d of %d completed (%d already were), %d failed, %d not finished, in "
           "%.1f s; %s/summary.md\n",
           s->name, completed, s->n, up_to_date, failed, not_run, seconds, s->root);
}

static int write_results(const struct sweep *s)
{
    int status = sweep_write_tables(s);
    if (status == CLNET_OK)
        status = sweep_compare(s);
    if (status == CLNET_OK)
        status = sweep_write_pages(s);
    /* summary.md's table on a terminal; in a pipe every line names its run */
    if (status == CLNET_OK && !s->opt->quiet && isatty(STDOUT_FILENO))
        status = sweep_output_table(s);
    return status;
}

/* Under MPI every rank planned the same items and ran some of them: gather what became of
 * each (exit code, signal, whether the sweep stopped it) so every rank holds the whole
 * table, and read the summaries other ranks' runs wrote. */
static int gather_ranks(struct sweep *s)
{
    if (dist_world()->size == 1 || s->n == 0)
        return CLNET_OK;
    int *v = malloc((size_t)s->n * 3 * sizeof *v);
    if (!v)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    for (int i = 0; i < s->n; i++) {
        const struct sweep_item *it = &s->items[i];
        bool mine = it->state == ITEM_DONE;
        v[3 * i] = mine ? it->exit_code : INT_MIN;
        v[3 * i + 1] = mine ? it->term_signal : INT_MIN;
        v[3 * i + 2] = mine ? it->stopped : INT_MIN;
    }
    int status = dist_max_int(v, (size_t)s->n * 3);
    for (int i = 0; i < s->n && status == CLNET_OK; i++) {
        struct sweep_item *it = &s->items[i];
        if (it->state == ITEM_DONE || v[3 * i] == INT_MIN)
            continue;
        it->state = ITEM_DONE;
        it->exit_code = v[3 * i];
        it->term_signal = v[3 * i + 1];
        it->stopped = v[3 * i + 2] != 0;
        sweep_read_record(it);
    }
    free(v);
    return status;
}

int sweep_run(const struct sweep_options *o)
{
    if (o->jobs < 1)
        return clnet_errorf(CLNET_ERR_USAGE, "sweep: --jobs %d: need at least 1", o->jobs);
    double t0 = clock_seconds();
    struct sweep s = {.opt = o};
    int status = sweep_plan(&s);
    if (status == CLNET_OK)
        status = sweep_check_devices(&s);
    if (status != CLNET_OK) {
        sweep_free(&s);
        return status;
    }
    decide(&s);
    int pending = 0;
    for (int i = 0; i < s.n; i++)
        pending += s.items[i].state == ITEM_PENDING;
    bool lead = dist_world()->rank == 0; /* the rank that prints the plan and the tables */
    if (!o->quiet && lead) {
        printf("sweep %s: %d experiments, %d to run, %d at a time%s%s; runs in %s/\n", s.name,
               s.n, pending, o->jobs, o->devices ? " on " : "", o->devices ? o->devices : "",
               s.root);
        for (int i = 0; i < s.n; i++)
            if (s.items[i].state == ITEM_UP_TO_DATE)
                printf("%s: up to date (completed with this config in %s/), not run again\n",
                       s.items[i].name, s.items[i].dir);
        fflush(stdout);
    }
    int run_status = CLNET_OK;
    if (pending) { /* the same on every rank: all of them open and close the counter */
        run_status = dist_counter_open();
        if (run_status == CLNET_OK)
            run_status = sweep_execute(&s);
        int st = dist_counter_close(); /* returns when every rank's runs have ended */
        if (st == CLNET_OK)
            st = gather_ranks(&s);
        if (run_status == CLNET_OK)
            run_status = st;
    }
    /* The tables, plots and pages even after an interruption: they show what is done. */
    status = lead ? write_results(&s) : CLNET_OK;
    if (!o->quiet && lead)
        print_totals(&s, clock_seconds() - t0);
    char names[512];
    int failed = list_failures(&s, names, sizeof names, lead);
    if (run_status == CLNET_ERR_INTERRUPTED)
        status = clnet_errorf(CLNET_ERR_INTERRUPTED, "sweep %s: stopped by %s; the same "
                              "command resumes it", s.name,
                              interrupt_signal_name(interrupt_requested()));
    else if (run_status != CLNET_OK)
        status = run_status;
    else if (status == CLNET_OK && failed)
        status = clnet_errorf(CLNET_ERR_RUNS_FAILED, "sweep %s: %d of %d runs did not complete: "
                              "%s", s.name, failed, s.n, names);
    sweep_free(&s);
    return status;
}
