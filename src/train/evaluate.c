/* Evaluation: at every eval_every mark and after the last step, the model on the held-out
 * data, one metrics.csv row, and the run's record of the best evaluation so far (rank 0
 * only). A new split is measured in measure() and a new column goes into the row; what
 * "best" means is is_best(), the one place to act on a new best (write its weights). Also
 * train_evaluate: `clnet eval`'s test-set figures of saved weights. */
#include "train/trainer.h"

#include <math.h>
#include <stdlib.h>

#include "data/epoch.h"
#include "util/status.h"

/* One evaluation's figures. */
struct evaluation {
    double test_loss, test_acc;
    double full_train_loss, full_train_acc; /* the whole training set; NaN unless asked for */
};

static int measure(struct trainer *t, struct evaluation *v, struct progress *p)
{
    double t0 = clock_seconds();
    v->full_train_loss = v->full_train_acc = NAN;
    int status = session_evaluate(&t->s, &t->s.test, &v->test_loss, &v->test_acc);
    if (status == CLNET_OK && t->exp->train.eval_train == EVAL_TRAIN_FULL)
        status = session_evaluate(&t->s, &t->s.train, &v->full_train_loss, &v->full_train_acc);
    double seconds = clock_seconds() - t0;
    t->sum.eval_seconds += seconds;
    progress_eval(p, seconds);
    return status;
}

/* Whether v is the best evaluation of the run so far: the highest test accuracy, the first
 * evaluation being the best of one. */
static bool is_best(const struct run_summary *sum, const struct evaluation *v)
{
    return v->test_acc > sum->best_test_accuracy || isnan(sum->best_test_accuracy);
}

int evaluate_at(struct trainer *t, long it, const float *last_step, struct progress *p)
{
    struct evaluation v;
    int status = measure(t, &v, p);
    if (status != CLNET_OK)
        return status;
    struct metrics_row row = {
        .iteration = it,
        .epoch = epoch_count(it, t->batch, t->s.train.n),
        .lr = schedule_lr(&t->exp->train, it - 1),
        .train_loss = last_step[0] / t->batch,
        .train_acc = last_step[1] / t->batch,
        .test_loss = v.test_loss,
        .test_acc = v.test_acc,
        .full_train_loss = v.full_train_loss,
        .full_train_acc = v.full_train_acc,
    };
    t->sum.final_test_accuracy = v.test_acc;
    t->sum.final_test_loss = v.test_loss;
    t->sum.final_train_loss = row.train_loss;
    if (is_best(&t->sum, &v))
        t->sum.best_test_accuracy = v.test_acc;
    progress_update(p, it, row.train_loss, row.train_acc, v.test_acc, row.lr, true);
    status = metrics_write(t->run.metrics, &row, t->exp->train.eval_train == EVAL_TRAIN_FULL);
    if (status == CLNET_OK)
        run_plots_refresh(&t->plots); /* a plotting failure is reported at the end */
    return status;
}

int train_evaluate(const struct experiment *e, const char *weights, const char *device_flag,
                   const char *cl_dir, double *test_loss, double *test_acc)
{
    struct session s;
    int status = session_open(&s, e, device_flag, cl_dir);
    if (status != CLNET_OK)
        return status;
    size_t n = s.model.n_params;
    float *params = malloc((n ? n : 1) * sizeof *params);
    if (!params)
        status = clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    if (status == CLNET_OK)
        status = weights ? model_load_safetensors(&s.model, params, weights)
                         : model_init_params(&s.model, params);
    if (status == CLNET_OK)
        status = model_upload_params(&s.model, params);
    free(params);
    if (status == CLNET_OK)
        status = session_evaluate(&s, &s.test, test_loss, test_acc);
    session_close(&s);
    return status;
}
