/* clnet: trains neural networks described in YAML on any OpenCL device. The only file
 * outside libclnet: it reads the environment's settings and the command line (the only
 * getenv-like reads of clnet, with src/cli), hands each module the settings it uses, runs the
 * command, prints the one error message a failure recorded, and turns the status into the
 * exit code. Under mpirun or srun it is one rank of the job (src/dist/). */
#include <stdio.h>

#include "cli/cli.h"
#include "dist/dist.h"
#include "ops/ops.h"
#include "report/report.h"
#include "runtime/cache.h"
#include "runtime/quirks.h"
#include "runtime/runtime.h"
#include "util/options.h"
#include "util/status.h"
#include "util/term.h"

extern char **environ;

/* The settings, set once into the modules that use them. */
static int apply_options(const struct clnet_options *o)
{
    term_set_columns(o->columns);
    progress_set_mode(o->progress);
    op_gemm_set_choice(o->gemm == OPTIONS_GEMM_OWN       ? OP_GEMM_OWN
                       : o->gemm == OPTIONS_GEMM_CLBLAST ? OP_GEMM_CLBLAST
                                                         : 0);
    quirks_configure(o);
    runtime_configure(o);
    char dir[4096];
    bool cached = options_cache_dir(o, dir, sizeof dir);
    if (!cache_set_dir(cached ? dir : NULL))
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    return CLNET_OK;
}

int main(int argc, char **argv)
{
    struct clnet_options env;
    struct cli_args args;
    /* before MPI and OpenCL start, and before either reads the environment */
    int status = options_from_env(&env, environ);
    if (status == CLNET_OK)
        status = cli_parse(&args, argc, argv, &env);
    if (status == CLNET_OK)
        status = apply_options(&args.opt);
    if (status == CLNET_OK)
        status = dist_init(&argc, &argv, args.opt.mpi_launched && !args.opt.no_mpi);
    if (status == CLNET_OK)
        status = cli_run(&args);
    if (status != CLNET_OK) {
        const char *msg = clnet_error_message();
        const struct dist *w = dist_world();
        if (w->size > 1)
            fprintf(stderr, "clnet: rank %d: error: %s\n", w->rank,
                    msg[0] ? msg : clnet_status_name(status));
        else
            fprintf(stderr, "clnet: error: %s\n", msg[0] ? msg : clnet_status_name(status));
    }
    /* A failure only this rank saw would leave the others waiting in a collective call:
     * end the job. Every rank agrees on an interruption or a divergence, and ends normally. */
    if (status != CLNET_OK && status != CLNET_ERR_INTERRUPTED && status != CLNET_ERR_DIVERGED)
        dist_abort(clnet_exit_code(status));
    dist_finalize();
    return clnet_exit_code(status);
}
