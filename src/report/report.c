/* metrics.csv, summary.json and the progress line (see report.h). */
#include "report/report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/json.h"
#include "util/num.h"
#include "util/status.h"
#include "util/term.h"

static const char *const status_names[RUN_STATUS_COUNT] = {
    [RUN_COMPLETED] = "completed",
    [RUN_DIVERGED] = "diverged",
    [RUN_INTERRUPTED] = "interrupted",
    [RUN_FAILED] = "failed",
};

const char *run_status_name(enum run_status s)
{
    return (int)s >= 0 && s < RUN_STATUS_COUNT ? status_names[s] : "unknown";
}

double clock_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int metrics_open_terms(FILE **f, const char *path, unsigned columns, int n,
                       const char *const *names)
{
    /* A new file renamed into place (a link planted at path is replaced, its target never
     * written), then appended to through no link. */
    char header[4096];
    size_t used = (size_t)snprintf(header, sizeof header, "iteration,epoch,lr,train_loss,"
                                   "train_acc,test_loss,test_acc%s%s",
                                   columns & METRICS_VALIDATION ? ",val_loss,val_acc" : "",
                                   columns & METRICS_FULL_TRAIN ? ",full_train_loss,full_train_acc"
                                                                : "");
    for (int k = 0; k < 2 * n && used < sizeof header; k++) {
        int w = snprintf(header + used, sizeof header - used, ",%s_loss_%s",
                         k < n ? "train" : "test", names[k % n]);
        used += w > 0 ? (size_t)w : 0;
    }
    if (used + 1 >= sizeof header)
        return clnet_errorf(CLNET_ERR_INTERNAL, "metrics.csv: %d terms' names too long", n);
    header[used++] = '\n';
    int status = fs_write_atomic(path, header, used);
    return status == CLNET_OK ? fs_open_write(f, path, true) : status;
}

int metrics_open(FILE **f, const char *path, unsigned columns)
{
    return metrics_open_terms(f, path, columns, 0, NULL);
}

/* The shortest form that reads back exactly (util/num.h); a non-finite value as nan or inf. */
static void field(FILE *f, double v, const char *sep)
{
    char buf[40];
    fprintf(f, "%s%s", num_shortest(buf, sizeof buf, v), sep);
}

int metrics_write(FILE *f, const struct metrics_row *r, unsigned columns)
{
    char epoch[48];
    fprintf(f, "%ld,%s,", r->iteration,
            epoch_decimal(epoch, sizeof epoch, r->epoch, EPOCH_FILE_DECIMALS, 0));
    field(f, r->lr, ",");
    field(f, r->train_loss, ",");
    field(f, r->train_acc, ",");
    field(f, r->test_loss, ",");
    field(f, r->test_acc, "");
    if (columns & METRICS_VALIDATION) {
        fputc(',', f);
        field(f, r->val_loss, ",");
        field(f, r->val_acc, "");
    }
    if (columns & METRICS_FULL_TRAIN) {
        fputc(',', f);
        field(f, r->full_train_loss, ",");
        field(f, r->full_train_acc, "");
    }
    for (int k = 0; k < 2 * r->n_terms; k++) { /* each term's train, then each one's test */
        const double *v = k < r->n_terms ? r->train_terms : r->test_terms;
        fputc(',', f);
        field(f, v ? v[k % r->n_terms] : NAN, "");
    }
    fputc('\n', f);
    if (fflush(f) != 0)
        return clnet_errorf(CLNET_ERR_IO, "metrics.csv: write failed: %s", strerror(errno));
    return CLNET_OK;
}

int metrics_close(FILE *f, const char *path)
{
    if (f && fclose(f) != 0)
        return clnet_errorf(CLNET_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    return CLNET_OK;
}

/* "epochs" with metrics.csv's digits as a JSON number (3.3333; 3 when whole), null when the
 * run stopped before its data was read; "train_images" the count they divide by. */
static void write_epochs(struct json_writer *w, const struct epoch_ratio *e)
{
    char text[48];
    json_key(w, "epochs");
    if (e->den > 0)
        json_double(w, strtod(epoch_decimal(text, sizeof text, *e, EPOCH_FILE_DECIMALS, 0),
                              NULL));
    else
        json_null(w);
    json_key(w, "train_images");
    json_int(w, e->den);
}

/* key: v as a JSON number (null when not finite). */
static void key_double(struct json_writer *w, const char *key, double v)
{
    json_key(w, key);
    json_double(w, v);
}

/* The results: final and best test figures, which evaluation was best and on what, the
 * validation set's figures when there is one, and whether early stopping ended the run. */
static void write_results(struct json_writer *w, const struct run_summary *s)
{
    key_double(w, "final_test_accuracy", s->final_test_accuracy);
    key_double(w, "best_test_accuracy", s->best_test_accuracy);
    key_double(w, "final_test_loss", s->final_test_loss);
    key_double(w, "best_test_loss", s->best_test_loss);
    key_double(w, "final_train_loss", s->final_train_loss);
    key_double(w, "best_iteration", s->best_iteration);
    json_key(w, "best_on");
    json_string(w, s->best_on ? s->best_on : "test_acc");
    if (s->validation_images > 0) {
        json_key(w, "validation_images");
        json_int(w, s->validation_images);
        key_double(w, "final_val_accuracy", s->final_val_accuracy);
        key_double(w, "best_val_accuracy", s->best_val_accuracy);
        key_double(w, "final_val_loss", s->final_val_loss);
        key_double(w, "best_val_loss", s->best_val_loss);
    }
    key_double(w, "stopped_early_at", s->stopped_early_at);
}

/* Where and how fast it ran. */
static void write_machine(struct json_writer *w, const struct run_summary *s)
{
    json_key(w, "parameters");
    json_int(w, s->parameters);
    key_double(w, "startup_seconds", s->startup_seconds);
    key_double(w, "first_step_seconds", s->first_step_seconds);
    key_double(w, "train_seconds", s->train_seconds);
    key_double(w, "iterations_per_second", s->iterations_per_second);
    key_double(w, "eval_seconds", s->eval_seconds);
    json_key(w, "peak_host_rss_bytes");
    json_int(w, s->peak_host_rss_bytes);
    json_key(w, "device_bytes_allocated");
    json_int(w, s->device_bytes_allocated);
    json_key(w, "device");
    json_string(w, s->device ? s->device : "");
    json_key(w, "platform");
    json_string(w, s->platform ? s->platform : "");
    json_key(w, "device_compute_units");
    json_int(w, s->device_compute_units);
    json_key(w, "ops_path");
    json_string(w, s->ops_path ? s->ops_path : "");
    json_key(w, "sgd_fused");
    json_bool(w, s->sgd_fused);
    json_key(w, "dense_stack");
    json_bool(w, s->dense_stack);
    json_key(w, "spin_wait_us");
    json_int(w, s->spin_wait_us);
    json_key(w, "spin_waits_caught");
    json_int(w, s->spin_waits_caught);
    json_key(w, "spin_waits_spun_out");
    json_int(w, s->spin_waits_spun_out);
}

/* per_class_accuracy, when the run counted it (a completed run's confusion matrix). */
static void write_per_class(struct json_writer *w, const struct run_summary *s)
{
    if (!s->per_class_accuracy)
        return;
    json_key(w, "per_class_accuracy");
    json_begin_array(w);
    for (int k = 0; k < s->classes; k++)
        json_double(w, s->per_class_accuracy[k]);
    json_end_array(w);
}

int summary_write(const char *path, const struct run_summary *s)
{
    struct json_writer w;
    json_init_buffer(&w, 2);
    json_begin_object(&w);
    json_key(&w, "name");
    json_string(&w, s->name);
    json_key(&w, "status");
    json_string(&w, run_status_name(s->status));
    json_key(&w, "iterations");
    json_int(&w, s->iterations);
    write_epochs(&w, &s->epochs);
    write_results(&w, s);
    write_per_class(&w, s);
    write_machine(&w, s);
    json_key(&w, "clnet_version");
    json_string(&w, CLNET_VERSION);
    char hash[17];
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)s->config_hash);
    json_key(&w, "config_hash");
    json_string(&w, hash);
    if (s->message) {
        json_key(&w, "message");
        json_string(&w, s->message);
    }
    json_end_object(&w);
    int status = json_finish(&w);
    size_t len = 0;
    char *text = json_take_buffer(&w, &len);
    /* A text file ends with a newline: `cat summary.json` leaves the prompt on its own line. */
    char *lined = status == CLNET_OK && text ? realloc(text, len + 1) : NULL;
    if (lined) {
        text = lined;
        text[len++] = '\n';
    } else if (status == CLNET_OK) {
        status = clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    }
    if (status == CLNET_OK)
        status = fs_write_atomic(path, text, len);
    free(text);
    return status;
}

/* --progress / CLNET_PROGRESS overrides the terminal test: a sweep reads its runs' output
 * through a pipe and still wants their in-place updates to render its own live lines. */
static enum options_progress progress_mode = OPTIONS_PROGRESS_AUTO;

void progress_set_mode(enum options_progress mode)
{
    progress_mode = mode;
}

void progress_init(struct progress *p, long first, long total, bool quiet)
{
    memset(p, 0, sizeof *p);
    p->first = first;
    p->tty = progress_mode == OPTIONS_PROGRESS_AUTO ? isatty(STDOUT_FILENO) != 0
                                                    : progress_mode == OPTIONS_PROGRESS_TTY;
    p->quiet = quiet;
    p->test_acc = NAN;
    p->total = total;
    p->drawn = -INFINITY;
}

void progress_chunk(struct progress *p, long steps, double seconds)
{
    if (steps <= 0 || !(seconds > 0))
        return;
    if (p->step_seconds_since == 0) /* the first steady chunk: the clock starts at its start */
        p->wall_first = clock_seconds() - seconds;
    p->step_seconds_since += seconds;
    p->window_steps[p->window_next] = steps;
    p->window_seconds[p->window_next] = seconds;
    p->window_next = (p->window_next + 1) % PROGRESS_WINDOW;
}

void progress_eval(struct progress *p, double seconds)
{
    p->eval_seconds += seconds;
    p->evals++;
    if (p->step_seconds_since > 0) { /* after the first steady chunk */
        double between = clock_seconds() - p->wall_first - p->step_seconds_since;
        p->eval_cost = between - p->between_at_eval;
        p->between_at_eval = between;
        p->evals_since++;
    }
}

/* What an evaluation left costs the wall clock: the time between the chunks since the last
 * evaluation but one (that evaluation, its plots, a checkpoint, the files written); before
 * one after the first steady chunk, the evaluations' own mean. */
static double eval_cost(const struct progress *p)
{
    if (p->evals_since > 0 && p->eval_cost > 0)
        return p->eval_cost;
    return p->evals > 0 ? p->eval_seconds / p->evals : 0;
}

/* Seconds a step over the window (the newest chunks that make PROGRESS_WINDOW_SECONDS); NaN
 * before the first steady-state chunk. */
static double window_step_seconds(const struct progress *p)
{
    long steps = 0;
    double seconds = 0;
    for (int k = 1; k <= PROGRESS_WINDOW && seconds < PROGRESS_WINDOW_SECONDS; k++) {
        int i = (p->window_next - k + PROGRESS_WINDOW) % PROGRESS_WINDOW;
        steps += p->window_steps[i];
        seconds += p->window_seconds[i];
    }
    return steps > 0 ? seconds / (double)steps : NAN;
}

/* The steps left at the window's pace plus the evaluations left at their cost so far. */
static double eta_seconds(const struct progress *p, long iteration, double step_seconds)
{
    double eta = step_seconds * (double)(p->total - iteration);
    if (p->eval_every > 0 && p->evals > 0) { /* one at each multiple and one at the end */
        long left = p->total / p->eval_every - iteration / p->eval_every +
                    (p->total % p->eval_every != 0 && iteration < p->total);
        eta += eval_cost(p) * (double)left;
    }
    return eta;
}

/* "epoch 2.40/3.33": epochs done and the run's total, two digits as `clnet summary` and the
 * first line print the total; "" when unknown. */
static void progress_epoch(const struct progress *p, long iteration, char *buf, size_t cap)
{
    char now[48], total[48];
    buf[0] = '\0';
    if (p->batch <= 0 || p->train_images <= 0)
        return;
    epoch_decimal(now, sizeof now, epoch_count(iteration, p->batch, p->train_images), 2, 0);
    epoch_decimal(total, sizeof total, epoch_count(p->total, p->batch, p->train_images), 2, 0);
    snprintf(buf, cap, "epoch %s/%s", now, total);
}

enum { F_ITER, F_EPOCH, F_LOSS, F_ACC, F_TEST, F_LR, F_RATE, F_ETA, F_COUNT };
#define FIELD_CAP 112

/* The fields, joined by two spaces; empty ones skipped. */
static int join_fields(char field[F_COUNT][FIELD_CAP], char *line, size_t cap)
{
    int n = 0;
    line[0] = '\0';
    for (int i = 0; i < F_COUNT; i++)
        if (field[i][0] && (size_t)n < cap)
            n += snprintf(line + n, cap - (size_t)n, "%s%s", n ? "  " : "", field[i]);
    return (size_t)n < cap ? n : (int)cap - 1;
}

/* A terminal's line: the fields that fit in `width` columns. The ones a user can do without go
 * first: the lr (the config's), the epoch (the iteration says as much), the rate, then the ETA;
 * iteration, loss and accuracies stay, cut at the width if even they do not fit. */
static int fit_fields(char field[F_COUNT][FIELD_CAP], int width, char *line, size_t cap)
{
    static const int drop[] = {F_LR, F_EPOCH, F_RATE, F_ETA};
    int n = join_fields(field, line, cap);
    for (size_t i = 0; i < sizeof drop / sizeof *drop && n > width; i++) {
        field[drop[i]][0] = '\0';
        n = join_fields(field, line, cap);
    }
    if (n > width) {
        line[width] = '\0';
        n = width;
    }
    return n;
}

static void format_fields(const struct progress *p, long iteration, double loss, double acc,
                          double lr, char field[F_COUNT][FIELD_CAP])
{
    double step = window_step_seconds(p);
    memset(field, 0, sizeof(char[F_COUNT][FIELD_CAP]));
    snprintf(field[F_ITER], FIELD_CAP, "iter %ld/%ld", iteration, p->total);
    progress_epoch(p, iteration, field[F_EPOCH], FIELD_CAP);
    if (!isnan(loss)) /* row 0's evaluation comes before any mini-batch */
        snprintf(field[F_LOSS], FIELD_CAP, "loss %.4f", loss);
    if (!isnan(acc))
        snprintf(field[F_ACC], FIELD_CAP, "acc %.3f", acc);
    if (!isnan(p->test_acc)) /* the last evaluation's, kept until the next */
        snprintf(field[F_TEST], FIELD_CAP, "test %.4f", p->test_acc);
    snprintf(field[F_LR], FIELD_CAP, "lr %.3g", lr);
    if (isnan(step) || p->batch <= 0) /* nothing steady measured yet: no guess shown */
        return;
    snprintf(field[F_RATE], FIELD_CAP, "%.0f img/s", p->batch / step);
    long eta = lround(eta_seconds(p, iteration, step));
    if (eta >= 3600)
        snprintf(field[F_ETA], FIELD_CAP, "ETA %ld:%02ld:%02ld", eta / 3600, eta / 60 % 60,
                 eta % 60);
    else
        snprintf(field[F_ETA], FIELD_CAP, "ETA %ld:%02ld", eta / 60, eta % 60);
}

void progress_update(struct progress *p, long iteration, double loss, double acc,
                     double test_acc, double lr, bool plain)
{
    if (p->quiet || (!p->tty && !plain))
        return;
    if (!isnan(test_acc))
        p->test_acc = test_acc;
    double now = clock_seconds();
    if (p->tty && !plain && now - p->drawn < 1.0 / PROGRESS_PER_SECOND)
        return; /* a terminal redrawn faster than it can be read; evaluations always show */
    char field[F_COUNT][FIELD_CAP], line[F_COUNT * FIELD_CAP];
    format_fields(p, iteration, loss, acc, lr, field);
    if (!p->tty) { /* a log: every field */
        join_fields(field, line, sizeof line);
        printf("%s\n", line);
        fflush(stdout);
        return;
    }
    /* One column short of the width: a line filling the last column wraps on some terminals. */
    int width = term_columns(STDOUT_FILENO) - 1;
    int n = fit_fields(field, width, line, sizeof line);
    int pad = p->last_len > n ? (p->last_len < width ? p->last_len : width) - n : 0;
    printf("\r%s%*s", line, pad, "");
    p->last_len = n;
    p->drawn = now;
    if (plain && p->verbose) { /* --verbose keeps every evaluation's line */
        printf("\n");
        p->last_len = 0;
    }
    fflush(stdout);
}

void progress_note(struct progress *p, const char *fmt, ...)
{
    if (p->quiet)
        return;
    if (p->tty && p->last_len > 0)
        printf("\r%*s\r", p->last_len, "");
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    p->last_len = 0;
    fflush(stdout);
}

void progress_end(struct progress *p)
{
    if (p->tty && !p->quiet && p->last_len > 0)
        printf("\n");
    fflush(stdout);
}
