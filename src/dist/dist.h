/* Processes working together through MPI (issue: scale-out). Launched by mpirun or srun, every
 * process is one rank of the job; launched plainly (or built without MPI) it is rank 0 of 1
 * and every call here is a cheap no-op, so the rest of clnet never asks which build it is.
 *
 * Uses: `clnet train` under N ranks is data-parallel (each rank trains on its slice of every
 * batch, one all-reduce of the gradient arena per step, rank 0 writes the run directory);
 * `clnet sweep` under N ranks hands the configs out through a shared counter, so a rank that
 * finishes a run takes the next one. */
#ifndef CLNET_DIST_DIST_H
#define CLNET_DIST_DIST_H

#include <stdbool.h>
#include <stddef.h>

struct dist {
    int rank, size;             /* in the whole job */
    int local_rank, local_size; /* among the ranks on this node (picks the node's device) */
};

/* Initialises MPI when launched (main: an MPI launcher's variable is in the environment, and
 * neither --no-mpi nor CLNET_NO_MPI=1 was given; util/options.h) and this build has MPI;
 * otherwise one rank of one. Call once, early in main. */
int dist_init(int *argc, char ***argv, bool launched);

/* Ends MPI (after the last collective call); safe when dist_init did not start it. */
void dist_finalize(void);

/* After a failure on one rank, ends the whole job (MPI_Abort) so no rank waits forever in a
 * collective call; returns when there is only one rank. */
void dist_abort(int exit_code);

const struct dist *dist_world(void);

/* Sums buf element-wise over the ranks, in place (MPI_Allreduce). */
int dist_sum_float(float *buf, size_t n);
int dist_sum_double(double *buf, size_t n);

/* Element-wise the largest of every rank's values, in place (agreeing on "someone was
 * interrupted", gathering which rank ran what). */
int dist_max_int(int *values, size_t n);

int dist_barrier(void);

/* A job-wide counter 0, 1, 2, ... (one atomic fetch-and-add on rank 0's memory): whoever asks
 * next gets the next value. dist_counter_open and dist_counter_close are collective. */
int dist_counter_open(void);
int dist_counter_next(long *value);
int dist_counter_close(void);

/* Lets MPI progress requests of other ranks while this one waits on something else (a child
 * process); call it every few tens of milliseconds while waiting. */
void dist_progress(void);

#endif
