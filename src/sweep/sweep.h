/* `clnet sweep DIR`: every experiment file under a folder, each trained by its own
 * `clnet train` child process (N at a time, over a list of devices), skipping runs that
 * already completed with the same resolved config, so an interrupted sweep resumes; then one
 * table of all runs (summary.csv, summary.md) and the comparison plots. The sweep process
 * itself never opens OpenCL: only its children do. */
#ifndef CLNET_SWEEP_SWEEP_H
#define CLNET_SWEEP_SWEEP_H

#include <stdbool.h>

#include "util/options.h"

struct sweep_options {
    const char *dir;              /* the folder of experiment files */
    const char *out_root;         /* runs go to OUT_ROOT/<last part of DIR>/<name>; NULL: runs */
    const char *const *sets;      /* --set key.path=value, applied to every experiment */
    int n_sets;
    const char *cl_dir;           /* --cl-dir, passed to every run, or NULL */
    const char *devices;          /* "SPEC,SPEC,...": job slot k uses the k-th (round-robin) */
    int jobs;                     /* runs at once, >= 1 */
    bool fail_fast;               /* after a failure, start nothing and interrupt running runs */
    bool quiet, verbose;          /* also passed to every run */
    const struct clnet_options *settings; /* the settings given (flags, environment): passed to
                                           * every run as flags */
};

/* Runs the sweep. Bad experiment files, two experiments of one name, or a device spec that
 * selects nothing are reported before anything runs (CLNET_ERR_CONFIG / USAGE / DEVICE).
 * CLNET_ERR_RUNS_FAILED when any run did not complete (the list goes to stderr first);
 * CLNET_ERR_INTERRUPTED after SIGINT/SIGTERM (forwarded to the runs, which save a checkpoint;
 * the tables are written first). */
int sweep_run(const struct sweep_options *o);

/* Whether a file name (no folder) is an experiment of a sweep: `*.yaml`, not starting with
 * `_` (a base for `base:`) or `.` (hidden). */
bool sweep_is_experiment_name(const char *file_name);

#endif
