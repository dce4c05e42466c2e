/* What a sweep prints while its runs go. On a terminal every running job has one line updated
 * in place (its name and the child's progress line, which the child prints in place because
 * the sweep sets CLNET_PROGRESS=tty), with a line of totals, under the lines that stay (each
 * run's first and last line, errors, and evaluations with --verbose). Otherwise every line a
 * child prints is passed on prefixed by its run name: children print one per evaluation then.
 * A child's "clnet: error: ..." line is kept as the run's error for the final list. */
#define _GNU_SOURCE
#include "sweep/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/report.h"
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

