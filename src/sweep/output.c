/* What a sweep prints while its runs go. On a terminal every running job has one line updated
 * in place (its name and the child's progress line, which the child prints in place because
 * the sweep sets CLNET_PROGRESS=tty), with a line of totals, under the lines that stay (each
 * run's first and last line, errors, and evaluations with --verbose). Otherwise every line a
 * child prints is passed on prefixed by its run name: children print one per evaluation then.
 * A child's "clnet: error: ..." line is kept as the run's error for the final list. At the end,
 * the table of summary.md in aligned columns. */
#define _GNU_SOURCE
#include "sweep/internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/report.h"
#include "report/settings.h"
#include "util/status.h"
#include "util/term.h"

void sweep_output_clear(struct sweep_runner *r)
{
    if (r->shown > 0)
        printf("\033[%dA\r\033[J", r->shown);
    r->shown = 0;
    r->dirty = true;
}

void sweep_output_draw(struct sweep_runner *r)
{
    int width = term_columns(STDOUT_FILENO) - 1;
    sweep_output_clear(r);
    for (int i = 0; i < r->n_jobs; i++) {
        struct sweep_job *j = &r->jobs[i];
        if (!j->it)
            continue;
        char line[sizeof j->live + 256];
        if (j->live[0])
            snprintf(line, sizeof line, "%s  %s", j->it->name, j->live);
        else
            snprintf(line, sizeof line, "%s  starting%s%s", j->it->name,
                     j->device ? " on " : "", j->device ? j->device : "");
        printf("%.*s\033[K\n", width, line);
        r->shown++;
    }
    char line[256];
    snprintf(line, sizeof line, "sweep %s: %d of %d runs done, %d running, %d failed",
             r->s->name, r->done, r->to_run, r->started - r->done, r->failed);
    printf("%.*s\033[K\n", width, line);
    r->shown++;
    fflush(stdout);
    r->drawn = clock_seconds();
    r->dirty = false;
}

/* A line that stays, prefixed with the run name unless it starts with it. */
void sweep_output_line(struct sweep_runner *r, FILE *f, const char *name, const char *line)
{
    if (r->tty) {
        sweep_output_clear(r);
        fflush(stdout); /* before a line to stderr on the same terminal */
    }
    size_t n = name ? strlen(name) : 0;
    if (!name || (strncmp(line, name, n) == 0 && line[n] == ':'))
        fprintf(f, "%s\n", line);
    else
        fprintf(f, "%s: %s\n", name, line);
    fflush(f);
}

static void stdout_char(struct sweep_runner *r, struct sweep_job *j, char c)
{
    char *line = j->line[0];
    int *len = &j->len[0];
    if (c == '\r' || c == '\n') {
        line[*len] = '\0';
        while (*len > 0 && line[*len - 1] == ' ') /* the padding of in-place updates */
            line[--*len] = '\0';
        if (j->in_place && *len > 0) {
            snprintf(j->live, sizeof j->live, "%s", line);
            r->dirty = true;
        }
        /* The newline after the last in-place update only ends the child's progress; with
         * --verbose it keeps evaluations, which are printed in place and then ended. */
        if (c == '\n' && *len > 0 && (!j->in_place || r->o->verbose) && !r->o->quiet)
            sweep_output_line(r, stdout, j->it->name, line);
        j->in_place = c == '\r';
        *len = 0;
    } else if (*len < (int)sizeof j->line[0] - 1) {
        line[(*len)++] = c;
    }
}

static void stderr_line(struct sweep_runner *r, struct sweep_job *j)
{
    char *line = j->line[1];
    line[j->len[1]] = '\0';
    j->len[1] = 0;
    if (!line[0])
        return;
    bool error = strncmp(line, "clnet: error: ", 14) == 0;
    /* The error line is the run's error; without one (a crash), its last line on stderr. */
    if (error || !j->got_error_line) {
        free(j->it->error);
        j->it->error = strdup(error ? line + 14 : line);
        j->got_error_line = error;
    }
    /* "error: ...", except from a run the sweep itself stopped (its "stopped by SIGINT") */
    sweep_output_line(r, stderr, j->it->name,
                      !error ? line : j->it->stopped ? line + 14 : line + 7);
}

void sweep_output_read(struct sweep_runner *r, struct sweep_job *j, int stream)
{
    char buf[4096];
    ssize_t k = read(j->fd[stream], buf, sizeof buf);
    if (k < 0 && errno == EINTR)
        return;
    if (k <= 0) {
        close(j->fd[stream]);
        j->fd[stream] = -1;
        if (stream == 0 && j->len[0] > 0)
            stdout_char(r, j, '\n');
        if (stream == 1 && j->len[1] > 0)
            stderr_line(r, j);
        return;
    }
    for (ssize_t i = 0; i < k; i++) {
        if (stream == 0) {
            stdout_char(r, j, buf[i]);
        } else if (buf[i] == '\n') {
            stderr_line(r, j);
        } else if (j->len[1] < (int)sizeof j->line[1] - 1) {
            j->line[1][j->len[1]++] = buf[i];
        }
    }
}


/* ---- the table at the end ----------------------------------------------------------------- */

enum { TABLE_COLS = 7 };

/* Row i's cells (row -1: the header) into cell[TABLE_COLS][64]; the settings are not copied. */
static void table_cells(const struct sweep *s, int i, char cell[TABLE_COLS][64])
{
    static const char *const head[TABLE_COLS] = {"name", "settings", "final", "best",
                                                 "it/s", "time (s)", "status"};
    for (int c = 0; c < TABLE_COLS; c++)
        snprintf(cell[c], 64, "%s", i < 0 ? head[c] : "");
    if (i < 0)
        return;
    const struct sweep_item *it = &s->items[i];
    snprintf(cell[0], 64, "%s", it->name);
    double v[4];
    sweep_row_numbers(it, v);
    for (int c = 0; c < 4; c++)
        if (isfinite(v[c]))
            snprintf(cell[2 + c], 64, "%.*f", sweep_row_decimals[c], v[c]);
    snprintf(cell[6], 64, "%s", sweep_item_status(it));
}

/* One line: the name and the settings left-aligned, the numbers right-aligned, the settings
 * cut with "…" to their width. */
static void table_line(char cell[TABLE_COLS][64], const char *settings, const int *width)
{
    printf("%-*s", width[0], cell[0]);
    int cols = settings_columns(settings);
    if (cols <= width[1]) {
        printf("  %s%*s", settings, width[1] - cols, "");
    } else {
        printf("  ");
        int shown = 0;
        for (const char *p = settings; *p && shown < width[1] - 1; shown++) {
            int len = 1;
            while ((p[len] & 0xC0) == 0x80)
                len++;
            printf("%.*s", len, p);
            p += len;
        }
        printf("…");
    }
    for (int c = 2; c < 6; c++)
        printf("  %*s", width[c], cell[c]);
    printf("  %s\n", cell[6]);
}

int sweep_output_table(const struct sweep *s)
{
    struct settings st = {0};
    int status = sweep_settings(s, &st);
    if (status != CLNET_OK)
        return status;
    char cell[TABLE_COLS][64];
    int width[TABLE_COLS] = {0};
    for (int i = -1; i < s->n; i++) {
        table_cells(s, i, cell);
        for (int c = 0; c < TABLE_COLS; c++) {
            int w = c == 1 && i >= 0 ? settings_columns(st.text[i]) : (int)strlen(cell[c]);
            width[c] = w > width[c] ? w : width[c];
        }
    }
    /* On a terminal the settings give way to its width (never below 8 columns). */
    if (isatty(STDOUT_FILENO)) {
        int others = 0;
        for (int c = 0; c < TABLE_COLS; c++)
            others += c == 1 ? 0 : width[c] + 2;
        int room = term_columns(STDOUT_FILENO) - 1 - others - 2;
        width[1] = room < width[1] ? (room > 8 ? room : 8) : width[1];
    }
    for (int i = -1; i < s->n; i++) {
        table_cells(s, i, cell);
        table_line(cell, i < 0 ? "settings" : st.text[i], width);
    }
    if (st.common[0])
        printf("the most common choice, where a run does not say: %s\n", st.common);
    fflush(stdout);
    settings_free(&st);
    return CLNET_OK;
}
