/* Evaluation: before the first step (metrics.csv's row 0), at every eval_every mark and after
 * the last step, the model on the test set and the validation split, one metrics.csv row, the
 * run's record of the best evaluation so far with its weights in best.safetensors, and early
 * stopping (rank 0 only). A new split is measured in measure() and a new column goes into the
 * row; what "best" means is is_best(), and track_best() acts on a new best. Also
 * train_evaluate: `clnet eval`'s test-set figures of saved weights. */
#include "train/trainer.h"

#include <math.h>
#include <stdlib.h>

#include "data/epoch.h"
#include "train/predictions.h"
#include "util/status.h"


/* One evaluation's figures. */
struct evaluation {
    double test_loss, test_acc;
    double val_loss, val_acc;               /* the validation split; NaN without one */
    double full_train_loss, full_train_acc; /* the whole training set; NaN unless asked for */
    double *test_terms; /* (terms) train.loss's list form: each term's test mean */
};

/* The evaluation's figures; its time goes to the progress line's mean, except at iteration 0,
 * whose evaluation carries the first launches of the forward kernels. */
static int measure(struct trainer *t, struct evaluation *v, struct progress *p, long it)
{
    double t0 = clock_seconds();
    v->val_loss = v->val_acc = v->full_train_loss = v->full_train_acc = NAN;
    int status = session_evaluate_terms(&t->s, &t->s.test, &v->test_loss, &v->test_acc,
                                        v->test_terms);
    if (status == CLNET_OK && t->s.val.n > 0)
        status = session_evaluate(&t->s, &t->s.val, &v->val_loss, &v->val_acc);
    if (status == CLNET_OK && t->exp->train.eval_train == EVAL_TRAIN_FULL)
        status = session_evaluate(&t->s, &t->s.train, &v->full_train_loss, &v->full_train_acc);
    double seconds = clock_seconds() - t0;
    t->sum.eval_seconds += seconds;
    if (it > 0)
        progress_eval(p, seconds);
    return status;
}

unsigned evaluate_columns(const struct trainer *t)
{
    return (t->exp->data.validation > 0 ? METRICS_VALIDATION : 0) |
           (t->exp->train.eval_train == EVAL_TRAIN_FULL ? METRICS_FULL_TRAIN : 0);
}

/* What "best" watches with a validation split: its accuracy (highest) or, when early stopping
 * watches it, its loss (lowest). Without a split: the test accuracy, as before splits. A
 * loss that does not classify (train.loss's list form): the loss, lowest. */
static enum watch_metric watched(const struct experiment *e)
{
    return e->train.has_early_stopping ? e->train.early_stopping.metric
           : experiment_classifies(e)  ? WATCH_VAL_ACC
                                       : WATCH_VAL_LOSS;
}

const char *evaluate_best_on(const struct experiment *e)
{
    if (e->data.validation == 0)
        return experiment_classifies(e) ? "test_acc" : "test_loss";
    return watched(e) == WATCH_VAL_LOSS ? "val_loss" : "val_acc";
}

/* Whether v is the best evaluation of the run so far; the first is the best of one, and a
 * tie keeps the earlier. */
static bool is_best(const struct trainer *t, const struct evaluation *v)
{
    const struct run_summary *sum = &t->sum;
    if (isnan(sum->best_iteration))
        return true;
    if (t->s.val.n == 0 && !experiment_classifies(t->exp)) /* the lowest test loss */
        return v->test_loss < sum->best_test_loss || isnan(sum->best_test_loss);
    if (t->s.val.n == 0)
        return v->test_acc > sum->best_test_accuracy;
    if (watched(t->exp) == WATCH_VAL_LOSS)
        return v->val_loss < sum->best_val_loss || isnan(sum->best_val_loss);
    return v->val_acc > sum->best_val_accuracy;
}

/* v at iteration it is recorded as the best, its weights as best.safetensors; or one more
 * evaluation without a better one, which early stopping counts. */
static int track_best(struct trainer *t, const struct evaluation *v, long it)
{
    struct run_summary *sum = &t->sum;
    if (!is_best(t, v)) {
        t->best.evals_since += 1;
        const struct train_spec *ts = &t->exp->train;
        t->best.stop = ts->has_early_stopping &&
                       t->best.evals_since >= ts->early_stopping.patience;
        if (t->best.stop)
            sum->stopped_early_at = (double)it;
        return CLNET_OK;
    }
    t->best.evals_since = 0;
    sum->best_iteration = (double)it;
    sum->best_test_accuracy = v->test_acc;
    sum->best_test_loss = v->test_loss;
    sum->best_val_accuracy = v->val_acc;
    sum->best_val_loss = v->val_loss;
    return weights_write(t, "best.safetensors");
}

/* The last step's mean of each loss term (NULL without a step), into buf (terms). */
static const double *step_terms(const struct trainer *t, const float *last_step, double *buf)
{
    for (int k = 0; last_step && k < t->s.model.terms.n; k++)
        buf[k] = t->chunk.terms_host[2 * k] / t->batch;
    return last_step ? buf : NULL;
}

int evaluate_at(struct trainer *t, long it, const float *last_step, struct progress *p)
{
    double test_terms[LOSS_MAX_TERMS], train_terms[LOSS_MAX_TERMS];
    struct evaluation v = {.test_terms = test_terms};
    if (t->s.model.terms.n > LOSS_MAX_TERMS)
        return clnet_errorf(CLNET_ERR_INTERNAL, "%d loss terms", t->s.model.terms.n);
    int status = measure(t, &v, p, it);
    if (status != CLNET_OK)
        return status;
    struct metrics_row row = {
        .iteration = it,
        .epoch = epoch_count(it, t->batch, t->s.train.n),
        .lr = schedule_lr(&t->exp->train, it > 0 ? it - 1 : 0),
        .train_loss = last_step ? last_step[0] / t->batch : NAN,
        .train_acc = last_step ? last_step[1] / t->batch : NAN,
        .test_loss = v.test_loss,
        .test_acc = v.test_acc,
        .val_loss = v.val_loss,
        .val_acc = v.val_acc,
        .full_train_loss = v.full_train_loss,
        .full_train_acc = v.full_train_acc,
        .n_terms = t->s.model.terms.n,
        .train_terms = step_terms(t, last_step, train_terms),
        .test_terms = test_terms,
    };
    t->sum.final_test_accuracy = v.test_acc;
    t->sum.final_test_loss = v.test_loss;
    t->sum.final_val_accuracy = v.val_acc;
    t->sum.final_val_loss = v.val_loss;
    if (last_step)
        t->sum.final_train_loss = row.train_loss;
    status = track_best(t, &v, it);
    progress_update(p, it, row.train_loss, row.train_acc, v.test_acc, row.lr, true);
    if (status == CLNET_OK)
        status = metrics_write(t->run.metrics, &row, evaluate_columns(t));
    if (status == CLNET_OK)
        run_plots_refresh(&t->plots); /* a plotting failure is reported at the end */
    return status;
}

int train_evaluate(const struct experiment *e, const char *weights, const char *device_flag,
                   const char *cl_dir, double *test_loss, double *test_acc, struct confusion *cm)
{
    struct session s;
    int status = session_open(&s, e, device_flag, cl_dir, NULL);
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
    /* the hook of `clnet eval`'s table (predictions.h), for a loss that classifies */
    if (status == CLNET_OK && cm && experiment_classifies(e))
        status = train_confusion(cm, &s, &s.test, s.data.test_labels);
    session_close(&s);
    return status;
}
