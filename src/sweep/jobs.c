/* A sweep's children: each run is `clnet train CONFIG --out DIR ...` of this same binary
 * (/proc/self/exe) with its stdout and stderr on pipes, at most --jobs at once, each job slot
 * on its own --devices entry. Children run in their own process groups, so a terminal's
 * Ctrl-C reaches only the sweep, which forwards it exactly once (train takes a second signal
 * as "stop at once"); if the sweep itself dies, however it dies, they get SIGTERM
 * (util/parent.h: PR_SET_PDEATHSIG on Linux), so they save a checkpoint and end rather than
 * train on unobserved. What they print is rendered by output.c. */
#define _GNU_SOURCE
#include "sweep/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dist/dist.h"
#include "report/report.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/parent.h"
#include "util/status.h"

extern char **environ;

#define SELF_EXE "/proc/self/exe"

/* ---- spawning --------------------------------------------------------------------------- */

/* The runs' settings: the sweep's own (flags and environment, which they inherit as well),
 * with --progress as the sweep renders their lines and --no-mpi: a run started by a rank of an
 * MPI sweep inherits the launcher's variables, but is a process of its own, not a rank
 * (src/dist/dist.c). With several jobs at once also --compile-helper 0 and --spin-us 0 unless
 * the user set them: the jobs already share the cores, a helper per job would only add
 * processes and a spinning wait would hold a core another job's thread could use
 * (runtime/quirks.h). */
static void child_settings(struct clnet_options *child, const struct clnet_options *given,
                           bool tty, int jobs)
{
    bool found;
    *child = *given;
    options_set_flag(child, "progress", tty ? "tty" : "plain", &found);
    options_set_flag(child, "no-mpi", NULL, &found);
    if (jobs > 1 && child->compile_helper == OPTIONS_UNSET)
        options_set_flag(child, "compile-helper", "0", &found);
    if (jobs > 1 && child->spin_us == OPTIONS_UNSET)
        options_set_flag(child, "spin-us", "0", &found);
}

/* Forks and execs SELF_EXE argv with stdout and stderr on pipes (out_fd/err_fd, -1 for
 * /dev/null), stdin from /dev/null, in a process group of its own. */
static int spawn(pid_t *pid, int *out_fd, int *err_fd, char *const *argv, char *const *env)
{
    int out[2] = {-1, -1}, err[2] = {-1, -1};
    if ((out_fd && pipe2(out, O_CLOEXEC) != 0) || (err_fd && pipe2(err, O_CLOEXEC) != 0)) {
        int e = errno;
        for (int i = 0; i < 2; i++) {
            if (out[i] >= 0)
                close(out[i]);
            if (err[i] >= 0)
                close(err[i]);
        }
        return clnet_errorf(CLNET_ERR_IO, "sweep: pipe: %s", strerror(e));
    }
    pid_t parent = getpid();
    *pid = fork();
    if (*pid < 0) {
        int e = errno;
        for (int i = 0; i < 2; i++) {
            if (out[i] >= 0)
                close(out[i]);
            if (err[i] >= 0)
                close(err[i]);
        }
        return clnet_errorf(CLNET_ERR_IO, "sweep: fork: %s", strerror(e));
    }
    if (*pid == 0) {
        setpgid(0, 0);
        /* The sweep's handlers first: a SIGTERM before execve must end the child, not set a
         * flag that execve forgets. */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        /* SIGTERM when the sweep ends, however it ends: a run then stops as on Ctrl-C, at its
         * next step, with a checkpoint, and its compile helper with it; the runs are exec'd,
         * so off Linux they are not tied (util/parent.h). The loop forks on the main thread. */
        if (!parent_tie(parent, SIGTERM))
            _exit(130);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(out_fd ? out[1] : null, 1);
        dup2(err_fd ? err[1] : null, 2);
        execve(SELF_EXE, argv, env);
        dprintf(2, "clnet: error: cannot run %s: %s\n", SELF_EXE, strerror(errno));
        _exit(127);
    }
    if (out_fd) {
        close(out[1]);
        *out_fd = out[0];
    }
    if (err_fd) {
        close(err[1]);
        *err_fd = err[0];
    }
    return CLNET_OK;
}

static void strip_error_prefix(char *dst, size_t size, const char *line)
{
    const char *p = strncmp(line, "clnet: error: ", 14) == 0 ? line + 14 : line;
    snprintf(dst, size, "%s", p);
}

int sweep_check_devices(struct sweep *s)
{
    const char *list = s->opt->devices;
    if (!list)
        return CLNET_OK;
    int status = CLNET_OK;
    for (const char *p = list; status == CLNET_OK;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char *spec = strndup(p, n);
        char **d = realloc(s->devices, (size_t)(s->n_devices + 1) * sizeof *d);
        if (!spec || !d) {
            free(spec);
            return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
        }
        s->devices = d;
        s->devices[s->n_devices++] = spec;
        if (n == 0)
            return clnet_errorf(CLNET_ERR_USAGE, "sweep: --devices %s: an empty device spec",
                                list);
        /* Asked of a child: the sweep must not open OpenCL before it forks. */
        char *argv[] = {"clnet", "devices", "--device", spec, "--no-mpi", NULL};
        pid_t pid;
        int err_fd;
        status = spawn(&pid, NULL, &err_fd, argv, environ);
        if (status != CLNET_OK)
            return status;
        char text[4096];
        size_t len = 0;
        ssize_t k;
        while ((k = read(err_fd, text + len, sizeof text - 1 - len)) > 0 ||
               (k < 0 && errno == EINTR))
            len += k > 0 ? (size_t)k : 0;
        close(err_fd);
        text[len] = '\0';
        int ws = 0;
        while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
            char *nl = strchr(text, '\n');
            if (nl)
                *nl = '\0';
            char msg[4096];
            strip_error_prefix(msg, sizeof msg, text);
            return clnet_errorf(WIFEXITED(ws) && WEXITSTATUS(ws) == 2 ? CLNET_ERR_DEVICE
                                                                      : CLNET_ERR_IO,
                                "sweep: --devices %s: %s", spec, msg[0] ? msg : "failed");
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    return status;
}

/* A run directory still locked by a run of an earlier sweep that was killed: its runs got
 * SIGTERM with it and stop within moments, so wait for the lock (up to 30 s) rather than let
 * the new run fail on it. Other lock failures are left to the run to report. */
static void wait_for_dir(struct sweep_runner *r, const struct sweep_item *it)
{
    if (!fs_exists(it->dir))
        return;
    bool had_error = clnet_error_message()[0] != '\0', said = false;
    double t0 = clock_seconds();
    for (;;) {
        int fd = -1;
        int rc = fs_lock_dir(it->dir, &fd);
        if (rc == CLNET_OK)
            close(fd);
        bool busy = rc != CLNET_OK && strstr(clnet_error_message(), "in use by another");
        if (busy && !said && !r->o->quiet) {
            char msg[1024];
            snprintf(msg, sizeof msg, "waiting: %s", clnet_error_message());
            sweep_output_line(r, stdout, it->name, msg);
            said = true;
        }
        if (!had_error)
            clnet_error_clear();
        if (!busy || clock_seconds() - t0 > 30 || interrupt_requested())
            return;
        nanosleep(&(struct timespec){0, 100000000}, NULL);
    }
}

static int start(struct sweep_runner *r, struct sweep_job *j, struct sweep_item *it,
                 const char *device)
{
    const struct sweep_options *o = r->o;
    int cap = 12 + 2 * o->n_sets + 2 * OPTIONS_COUNT, n = 0;
    char **argv = calloc((size_t)cap, sizeof *argv);
    if (!argv)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    argv[n++] = "clnet";
    argv[n++] = "train";
    argv[n++] = it->path;
    argv[n++] = "--out";
    argv[n++] = it->dir;
    if (device) {
        argv[n++] = "--device";
        argv[n++] = (char *)device;
    }
    if (o->cl_dir) {
        argv[n++] = "--cl-dir";
        argv[n++] = (char *)o->cl_dir;
    }
    for (int i = 0; i < o->n_sets; i++) {
        argv[n++] = "--set";
        argv[n++] = (char *)o->sets[i];
    }
    if (o->quiet)
        argv[n++] = "--quiet";
    if (o->verbose)
        argv[n++] = "--verbose";
    if (it->restart)
        argv[n++] = "--restart";
    n += options_child_flags(&r->child, (const char **)argv + n, cap - 1 - n);
    argv[n] = NULL;
    char *summary = NULL;
    if (asprintf(&summary, "%s/summary.json", it->dir) < 0) {
        free(argv);
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    }
    wait_for_dir(r, it);
    if (o->verbose && !o->quiet) { /* the command, to rerun one run by hand */
        char line[4096] = "clnet";
        size_t used = strlen(line);
        for (int i = 1; i < n && used < sizeof line; i++)
            used += (size_t)snprintf(line + used, sizeof line - used, " %s", argv[i]);
        sweep_output_line(r, stdout, it->name, line);
    }
    memset(j, 0, sizeof *j);
    if (stat(summary, &j->before) != 0)
        memset(&j->before, 0, sizeof j->before);
    free(summary);
    int status = spawn(&j->pid, &j->fd[0], &j->fd[1], argv, environ);
    free(argv);
    if (status != CLNET_OK)
        return status;
    j->it = it;
    j->device = device;
    it->state = ITEM_RUNNING;
    r->started++;
    return CLNET_OK;
}

/* ---- the loop ----------------------------------------------------------------------------- */

static void stop_all(struct sweep_runner *r, int sig)
{
    for (int i = 0; i < r->n_jobs; i++)
        if (r->jobs[i].it && !r->jobs[i].it->stopped) {
            kill(r->jobs[i].pid, sig);
            r->jobs[i].it->stopped = true;
        }
}

static void finish(struct sweep_runner *r, struct sweep_job *j)
{
    struct sweep_item *it = j->it;
    int ws = 0;
    while (waitpid(j->pid, &ws, 0) < 0 && errno == EINTR)
        ;
    it->exit_code = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    it->term_signal = WIFSIGNALED(ws) ? WTERMSIG(ws) : 0;
    it->state = ITEM_DONE;
    sweep_read_record(it);
    struct stat after;
    char *summary = NULL;
    bool rewritten =
        asprintf(&summary, "%s/summary.json", it->dir) >= 0 && stat(summary, &after) == 0 &&
        (after.st_mtim.tv_sec != j->before.st_mtim.tv_sec ||
         after.st_mtim.tv_nsec != j->before.st_mtim.tv_nsec || after.st_ino != j->before.st_ino);
    /* An older summary.json is this run's only when train found the run already completed
     * (exit 0 without writing); otherwise the run stopped before writing one. */
    if (!rewritten && !(it->exit_code == 0 && strcmp(it->rec.status, "completed") == 0))
        it->rec.has = false;
    free(summary);
    if (it->term_signal && !j->got_error_line) {
        char msg[64];
        snprintf(msg, sizeof msg, "ended by signal %d (%s)", it->term_signal,
                 strsignal(it->term_signal));
        free(it->error);
        it->error = strdup(msg);
        sweep_output_line(r, stderr, it->name, msg);
    }
    j->it = NULL;
    r->done++;
    if (sweep_item_failed(it)) {
        r->failed++;
        if (r->o->fail_fast && !interrupt_requested()) {
            if (!r->o->quiet) {
                char msg[256];
                snprintf(msg, sizeof msg, "sweep %s: --fail-fast: %s failed, so no more runs "
                         "start; running ones are interrupted (they save a checkpoint)",
                         r->s->name, it->name);
                sweep_output_line(r, stdout, NULL, msg);
            }
            stop_all(r, SIGINT);
        }
    }
    r->dirty = true;
}

static bool stopping(const struct sweep_runner *r)
{
    if (interrupt_requested())
        return true;
    return r->o->fail_fast && r->failed > 0;
}

/* The next item to run: the next pending one in order; in an MPI sweep, the next value of
 * the job-wide counter that is pending (every rank planned the same items), so whichever rank
 * frees a slot first takes it. NULL when there is none left. */
static struct sweep_item *next_pending(struct sweep_runner *r, int *next)
{
    struct sweep *s = r->s;
    if (dist_world()->size == 1) {
        while (*next < s->n && s->items[*next].state != ITEM_PENDING)
            (*next)++;
        return *next < s->n ? &s->items[*next] : NULL;
    }
    while (*next < s->n) {
        long v;
        if (dist_counter_next(&v) != CLNET_OK || v >= s->n) {
            *next = s->n; /* a failed counter hands out nothing more on this rank */
            break;
        }
        if (s->items[v].state == ITEM_PENDING)
            return &s->items[v];
    }
    return NULL;
}

static int loop(struct sweep_runner *r)
{
    struct sweep *s = r->s;
    int next = 0, forwarded = 0, status = CLNET_OK;
    struct pollfd *fds = calloc((size_t)r->n_jobs * 2, sizeof *fds);
    if (!fds)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    for (;;) {
        int sig = interrupt_requested();
        if (sig && !forwarded) {
            forwarded = sig;
            if (!r->o->quiet) {
                char msg[256];
                snprintf(msg, sizeof msg, "sweep %s: %s: stopping the running runs (they save a "
                         "checkpoint; the same command resumes the sweep)",
                         s->name, interrupt_signal_name(sig));
                sweep_output_line(r, stdout, NULL, msg);
            }
            stop_all(r, sig);
        }
        for (int i = 0; i < r->n_jobs && !stopping(r) && status == CLNET_OK; i++) {
            if (r->jobs[i].it)
                continue;
            struct sweep_item *it = next_pending(r, &next);
            if (!it)
                break;
            /* Job slots of all ranks on one node share the node's --devices list. */
            int slot = dist_world()->local_rank * r->n_jobs + i;
            const char *device = s->n_devices ? s->devices[slot % s->n_devices] : NULL;
            status = start(r, &r->jobs[i], it, device);
        }
        int nfds = 0, running = 0;
        for (int i = 0; i < r->n_jobs; i++) {
            struct sweep_job *j = &r->jobs[i];
            if (!j->it)
                continue;
            running++;
            for (int k = 0; k < 2; k++)
                if (j->fd[k] >= 0)
                    fds[nfds++] = (struct pollfd){j->fd[k], POLLIN, 0};
        }
        if (running == 0)
            break;
        if (r->tty && r->dirty && clock_seconds() - r->drawn > 0.1)
            sweep_output_draw(r);
        /* A bounded wait: a signal arriving just before poll is seen within 0.2 s. */
        int ready = poll(fds, (nfds_t)nfds, 200);
        dist_progress();
        if (ready < 0 && errno != EINTR) {
            status = clnet_errorf(CLNET_ERR_IO, "sweep: poll: %s", strerror(errno));
            stop_all(r, SIGTERM);
        }
        for (int i = 0; i < r->n_jobs; i++) {
            struct sweep_job *j = &r->jobs[i];
            if (!j->it)
                continue;
            for (int k = 0; k < 2; k++)
                for (int f = 0; f < nfds && ready > 0; f++)
                    if (fds[f].fd == j->fd[k] && fds[f].revents)
                        sweep_output_read(r, j, k);
            if (j->fd[0] < 0 && j->fd[1] < 0)
                finish(r, j);
        }
    }
    free(fds);
    if (r->tty)
        sweep_output_clear(r);
    fflush(stdout);
    if (status == CLNET_OK && forwarded)
        status = CLNET_ERR_INTERRUPTED;
    return status;
}

int sweep_execute(struct sweep *s)
{
    const struct sweep_options *o = s->opt;
    struct sweep_runner r = {.s = s, .o = o, .n_jobs = o->jobs};
    /* Open MPI hands its ranks a pseudo-terminal; lines redrawn in place by several ranks
     * would overwrite each other, so an MPI sweep prints plain lines. */
    r.tty = !o->quiet && isatty(STDOUT_FILENO) && dist_world()->size == 1;
    for (int i = 0; i < s->n; i++)
        r.to_run += s->items[i].state == ITEM_PENDING;
    r.jobs = calloc((size_t)r.n_jobs, sizeof *r.jobs);
    if (!r.jobs)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    struct clnet_options none;
    if (!o->settings)
        options_init(&none);
    child_settings(&r.child, o->settings ? o->settings : &none, r.tty, r.n_jobs);
    interrupt_install();
    int status = loop(&r);
    free(r.jobs);
    return status;
}
