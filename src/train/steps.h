/* steps.csv: every step's mini-batch loss and accuracy (iteration,train_loss,train_acc), the
 * homework's noisy curve at full resolution. The values are the per-step sums a chunk of steps
 * already reads back at its end (chunk.c), so keeping them costs no device work. Written by
 * the run's lead process, flushed after each chunk; a resumed run keeps the rows up to its
 * checkpoint and goes on, so the file ends byte-identical to one uninterrupted run's. */
#ifndef CLNET_TRAIN_STEPS_H
#define CLNET_TRAIN_STEPS_H

#include <stdbool.h>
#include <stdio.h>

#define STEPS_HEADER "iteration,train_loss,train_acc\n"

struct run_steps {
    FILE *f;    /* NULL until the first chunk's rows */
    long next;  /* the iteration of the next row */
};

/* DIR/steps.csv opened for the run's steps from iteration start + 1: a new file when start is
 * 0; else the existing rows 1..start kept and the rest dropped (rows of steps the checkpoint
 * does not hold). Rows that are missing (a run begun before clnet wrote steps.csv, or a file
 * removed) are said in one warning on stderr, and the curve has a gap there. */
int steps_open(struct run_steps *s, const char *dir, long start);

/* The rows of n steps from iteration first + 1, from their (loss sum, correct count) pairs
 * acc (n, 2) over batch rows: as the mini-batch columns of metrics.csv, so a step's row
 * reads the same as its evaluation row. Flushed; with sync also on disk (before a checkpoint
 * that a resume will start from). */
int steps_append(struct run_steps *s, long first, const float *acc, int n, int batch,
                 bool sync);

int steps_close(struct run_steps *s);

#endif
