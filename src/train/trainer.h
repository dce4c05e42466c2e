/* The trainer behind train_run, and what the files of src/train/ that run it share (internal
 * to src/train/). One file per part of a run: train.c (the run as its steps), trainer.c (open
 * and close: what the run needs of the model's plan, buffers), loop.c (a step and the step
 * loop), chunk.c (chunks of steps, divergence replay), evaluate.c, run_checkpoint.c
 * (checkpoint, resume, weights), run_life.c (the run folder's life), cold_start.c (compile
 * helper, first step), summary.c (summary.json's fields, the start lines), ranks.c (MPI's
 * call sites). */
#ifndef CLNET_TRAIN_TRAINER_H
#define CLNET_TRAIN_TRAINER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "data/sampler.h"
#include "model/safetensors.h"
#include "optim/optim.h"
#include "report/report.h"
#include "train/plots.h"
#include "train/session.h"
#include "train/train.h"

/* Letters: B batch rows, R this rank's rows of it, S step slots of a chunk, P parameters. */

/* Data-parallel training (ranks.c); one process is rank 0 of 1, rows = B. */
struct trainer_ranks {
    int count;
    int rows, row0;   /* R: this rank trains rows [row0, row0 + rows) of B */
    bool lead;        /* rank 0: the one that evaluates and writes the run directory */
    float *grad_host; /* (P) the gradient arena on its way through MPI; NULL for one rank */
};

/* The step slots of a chunk and what replays one (chunk.c). */
struct trainer_chunks {
    long max;                     /* S: most steps in one chunk */
    long length;                  /* the next chunks' steps: a multiple of log_every, at most S */
    int32_t *index;               /* (S, B) host indices of the chunk */
    cl_mem index_dev;             /* (S, B) */
    cl_mem acc;                   /* (S, 2) loss sum and correct count of each step */
    cl_mem row_loss, row_correct; /* (S, R) each step's per-row values, summed into acc by one
                                   * op_loss_reduce at the chunk's end */
    cl_mem row_terms;             /* (terms, S R) train.loss's list form: each term's rows */
    cl_mem terms_acc;             /* (terms, 2) each term's sums of a chunk's last step */
    float *terms_host;            /* (terms, 2) */
    float *acc_host;              /* (S, 2) */
    cl_mem snapshot[3];           /* params and optimizer state at the chunk start */
};

/* The run folder (run_life.c) and the files the run keeps open in it. */
struct trainer_run {
    char *dir;
    char *config_path, *metrics_path, *summary_path;
    FILE *metrics;
    int lock;             /* the folder's lock, or -1 */
    uint64_t config_hash; /* of the resolved config */
    bool wrote;           /* the folder is this run's: summary.json is written however it ends */
    bool continuing;      /* it holds this config's run of fewer iterations, continued */
};

/* The cold start (cold_start.c). */
struct trainer_cold {
    pid_t helper;           /* the compile helper until the first step is done, or 0 */
    bool record;            /* record key once the first step is done (not yet recorded) */
    uint64_t key;           /* compile_helper_key of this run */
    double first_step_train_seconds; /* the part of sum.train_seconds the first step took */
};

/* The best evaluation so far and early stopping (evaluate.c); the figures of the best are
 * in trainer.sum. */
struct trainer_best {
    double evals_since; /* evaluations since the best (a double: a checkpoint keeps it so) */
    bool stop;          /* early stopping ends the run at this evaluation */
};

struct trainer {
    const struct experiment *exp;
    const struct train_options *opt;
    struct session s;
    struct optim optim;
    struct sampler sampler;
    int batch;                 /* B */
    long start;                /* the iteration this process starts at: 0, or a checkpoint's */
    struct trainer_ranks ranks;
    struct trainer_chunks chunk;
    struct trainer_run run;
    struct trainer_cold cold;
    struct run_summary sum;    /* summary.json's fields, kept as the run goes */
    struct trainer_best best;
    struct layer_stats *stats; /* layer_stats.csv; NULL unless train.layer_stats > 0 */
    struct run_plots plots;    /* accuracy.png, loss.png, ... redrawn after each evaluation */
};

/* trainer.c: the session (its model planned for the run), the model's first weights, optimizer,
 * sampler and every buffer of a run; trainer_close frees what trainer_open made, however far it
 * got. */
int trainer_open(struct trainer *t);
void trainer_close(struct trainer *t);

/* loop.c: one step (gather the batch, forward, loss, backward, update) into the chunk's step
 * slot `slot`, and the step loop from t->start to the last iteration. */
int trainer_step(struct trainer *t, long iteration, int slot);
int trainer_loop(struct trainer *t);

/* chunk.c: a chunk of steps [it, it + steps), ending at the next progress line, evaluation,
 * checkpoint or layer_stats record. */
#define TRAIN_SAMPLER_STATE_MAX 256
struct chunk {
    long first;      /* the iteration before its first step */
    int steps, done; /* planned; run so far (fewer when a signal stopped it) */
    double t0;       /* monotonic seconds at its start */
    double seconds;  /* how long it ran, set by chunk_end */
    bool cold;       /* it runs this process's first step */
    unsigned char sampler[TRAIN_SAMPLER_STATE_MAX]; /* the sampler before its batches */
};
int chunk_open(struct trainer *t); /* the chunk's length and buffers */
void chunk_close(struct trainer_chunks *c);
/* Draws the chunk's batches, uploads their indices (not waited for) and takes the snapshot
 * a replay starts from. */
int chunk_begin(struct trainer *t, struct chunk *c, long it);
/* After c->done steps ended with status: gives back the batches of steps not run, reads the
 * steps' losses (summed over the ranks) into chunk.acc_host and appends them to steps.csv
 * (rank 0), counts the time, and adapts the next chunk's length to the pace. */
int chunk_end(struct trainer *t, struct chunk *c, int status);
bool chunk_diverged(const struct trainer *t, const struct chunk *c);
/* Replays the chunk [first, first + steps) and returns CLNET_ERR_DIVERGED naming where. */
int chunk_diagnose(struct trainer *t, long first, int steps);
/* The next multiple of every after t, or -1 when every is 0 (never). */
long next_multiple(long t, long every);

/* evaluate.c: at iteration it, after the step whose (loss sum, correct count) is last_step
 * (NULL at iteration 0, before any step): the evaluation, its metrics.csv row, the best so far
 * (its weights to best.safetensors), and early stopping's verdict (best.stop). */
int evaluate_at(struct trainer *t, long it, const float *last_step, struct progress *p);
/* metrics.csv's optional columns for this run (METRICS_*). */
unsigned evaluate_columns(const struct trainer *t);
/* What "best" is chosen on: "val_acc", "val_loss" or, without a validation split, "test_acc". */
const char *evaluate_best_on(const struct experiment *e);

/* run_checkpoint.c: checkpoint.bin written at iteration (rank 0); loaded from path and checked
 * to be of this config; resumed from (ck at iteration it); the weights as they are now written
 * to the run folder's file name (model.safetensors). */
int checkpoint_write(struct trainer *t, long iteration);
/* What a run folder's checkpoint is for this run: of this config, to resume or done (the run
 * ended at its iteration: its last, or where early stopping ended it); of this config with
 * fewer iterations, to continue; or of another config, diff naming the keys. */
enum ck_kind { CK_RESUME, CK_DONE, CK_CONTINUE, CK_OTHER };
struct ck_found {
    enum ck_kind kind;
    long iteration;
    char diff[640]; /* "key (a -> b), ..." unless the same config */
};
int checkpoint_read(struct trainer *t, struct safetensors *ck, const char *path,
                    struct ck_found *f);
/* The refusal of a checkpoint of another config in a folder named with --out. */
int checkpoint_refuse(const struct trainer *t, const char *diff);
int checkpoint_resume(struct trainer *t, const struct safetensors *ck, long it);
int weights_write(struct trainer *t, const char *name);

/* run_life.c */
char *run_path(const char *dir, const char *name); /* "DIR/NAME", malloc'd; NULL: no memory */
int run_paths(struct trainer *t);                   /* run.dir and its files' paths, the hash */
/* The folder rule, its lock when it exists, and what it holds: a checkpoint to resume at
 * *resume_at (>= 0, loaded into ck; of a run of fewer iterations: run.continuing), or a
 * completed run. A folder holding another config's run is refused when --out names it, else
 * the run takes the first of runs/NAME-2, -3, ... that is new or this config's. */
int run_examine(struct trainer *t, struct safetensors *ck, long *resume_at, bool *completed);
/* Made, locked, a previous run's temp files (and with --restart its results) removed, the
 * plots set up and the resolved config written: from here on summary.json gets written. */
int run_open(struct trainer *t);
/* The run ended with status: metrics.csv closed, weights, plots, summary.json, the last line. */
int run_finish(struct trainer *t, int status);
void run_close(struct trainer *t); /* the lock released, the paths freed */

/* cold_start.c: the compile helper started (before trainer_open), and the first step done. */
int cold_start_begin(struct trainer *t);
int cold_start_first_step(struct trainer *t, struct progress *p, double chunk_start);

/* summary.c */
void summary_init(struct trainer *t);   /* nothing known yet */
void summary_device(struct trainer *t); /* the device and the model's plan */
void summary_startup(struct trainer *t); /* start-up time; with --verbose, where it went */
void summary_fill(struct trainer *t, int status);
void summary_print_start(const struct trainer *t, long resume_at);

/* ranks.c */
void ranks_init(struct trainer_ranks *r, int batch);
int ranks_alloc(struct trainer_ranks *r, size_t params);
int ranks_average_gradients(struct trainer *t);    /* no-op on one rank */
int ranks_stop_signal(const struct trainer *t, bool boundary);
/* After an evaluation (rank 0's): every rank learns whether early stopping ends the run. */
int ranks_share_stop(struct trainer *t);

#endif
