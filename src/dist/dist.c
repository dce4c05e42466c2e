/* MPI behind the dist interface (see dist.h). Built with -DCLNET_HAVE_MPI when meson finds
 * MPI; without it, or when the process was not started by an MPI launcher, one rank of one. */
#include "dist/dist.h"

#include <stdlib.h>
#include <string.h>

#include "util/status.h"

#ifdef CLNET_HAVE_MPI
#include <mpi.h>
#endif

static struct dist world = {0, 1, 0, 1};
static bool started; /* MPI_Init was called by us */

const struct dist *dist_world(void)
{
    return &world;
}

#ifdef CLNET_HAVE_MPI

static MPI_Win counter_win = MPI_WIN_NULL;
static long *counter_mem;

static int check(int rc, const char *call)
{
    if (rc == MPI_SUCCESS)
        return CLNET_OK;
    char text[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    MPI_Error_string(rc, text, &len);
    return clnet_errorf(CLNET_ERR_INTERNAL, "%s: %s", call, text);
}

/* launched: Open MPI, MPICH/Hydra, Slurm's PMI and PMIx all leave a variable in each rank's
 * environment (util/options.c lists them); a plain `clnet ...` has none, and does not pay for
 * MPI_Init. A sweep's runs are children of a rank, not ranks: --no-mpi. */
int dist_init(int *argc, char ***argv, bool launched)
{
    if (!launched)
        return CLNET_OK;
    int provided = 0;
    int status = check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided),
                       "MPI_Init_thread");
    if (status != CLNET_OK)
        return status;
    started = true;
    /* Errors come back as codes (and one clnet error line), not as MPI's own abort. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &world.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world.size);
    MPI_Comm node;
    status = check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, world.rank,
                                       MPI_INFO_NULL, &node),
                   "MPI_Comm_split_type");
    if (status == CLNET_OK) {
        MPI_Comm_rank(node, &world.local_rank);
        MPI_Comm_size(node, &world.local_size);
        MPI_Comm_free(&node);
    }
    return status;
}

void dist_finalize(void)
{
    if (started)
        MPI_Finalize();
    started = false;
}

void dist_abort(int exit_code)
{
    if (started && world.size > 1)
        MPI_Abort(MPI_COMM_WORLD, exit_code);
}

int dist_sum_float(float *buf, size_t n)
{
    if (world.size == 1 || n == 0)
        return CLNET_OK;
    return check(MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD),
                 "MPI_Allreduce");
}

int dist_sum_double(double *buf, size_t n)
{
    if (world.size == 1 || n == 0)
        return CLNET_OK;
    return check(MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD),
                 "MPI_Allreduce");
}

int dist_max_int(int *values, size_t n)
{
    if (world.size == 1 || n == 0)
        return CLNET_OK;
    return check(MPI_Allreduce(MPI_IN_PLACE, values, (int)n, MPI_INT, MPI_MAX, MPI_COMM_WORLD),
                 "MPI_Allreduce");
}

int dist_barrier(void)
{
    return world.size == 1 ? CLNET_OK : check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
}

static long local_counter;

int dist_counter_open(void)
{
    local_counter = 0;
    if (world.size == 1)
        return CLNET_OK;
    MPI_Aint bytes = world.rank == 0 ? (MPI_Aint)sizeof(long) : 0;
    int status = check(MPI_Win_allocate(bytes, sizeof(long), MPI_INFO_NULL, MPI_COMM_WORLD,
                                        &counter_mem, &counter_win),
                       "MPI_Win_allocate");
    if (status == CLNET_OK && world.rank == 0) {
        MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, counter_win);
        *counter_mem = 0;
        MPI_Win_unlock(0, counter_win);
    }
    return status == CLNET_OK ? dist_barrier() : status;
}

int dist_counter_next(long *value)
{
    if (world.size == 1) {
        *value = local_counter++;
        return CLNET_OK;
    }
    long one = 1;
    int status = check(MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, counter_win), "MPI_Win_lock");
    if (status == CLNET_OK)
        status = check(MPI_Fetch_and_op(&one, value, MPI_LONG, 0, 0, MPI_SUM, counter_win),
                       "MPI_Fetch_and_op");
    if (status == CLNET_OK)
        status = check(MPI_Win_unlock(0, counter_win), "MPI_Win_unlock");
    return status;
}

int dist_counter_close(void)
{
    if (world.size == 1 || counter_win == MPI_WIN_NULL)
        return CLNET_OK;
    return check(MPI_Win_free(&counter_win), "MPI_Win_free");
}

void dist_progress(void)
{
    if (world.size > 1) {
        int flag = 0;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
    }
}

#else /* one process, no MPI in this build */

int dist_init(int *argc, char ***argv, bool launched)
{
    (void)argc;
    (void)argv;
    (void)launched;
    (void)started;
    return CLNET_OK;
}

void dist_finalize(void) {}
void dist_abort(int exit_code) { (void)exit_code; }
int dist_sum_float(float *buf, size_t n) { (void)buf; (void)n; return CLNET_OK; }
int dist_sum_double(double *buf, size_t n) { (void)buf; (void)n; return CLNET_OK; }
int dist_max_int(int *values, size_t n) { (void)values; (void)n; return CLNET_OK; }
int dist_barrier(void) { return CLNET_OK; }

static long local_counter;
int dist_counter_open(void) { local_counter = 0; return CLNET_OK; }
int dist_counter_next(long *value) { *value = local_counter++; return CLNET_OK; }
int dist_counter_close(void) { return CLNET_OK; }
void dist_progress(void) {}

#endif
