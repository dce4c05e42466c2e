/* `clnet eval CONFIG|RUN_DIR [--weights best|final] [--inputs FILE.csv|-]`: test-set loss and
 * accuracy of a run's final or best weights (a run directory) or of a config's initial model,
 * and each class's accuracy; with --inputs, a CSV of each input row's class and probabilities
 * (a hand-set model: its outputs) instead. `clnet predict` takes the same --weights. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "config/config.h"
#include "report/confusion.h"
#include "train/predict.h"
#include "train/train.h"
#include "util/fs.h"
#include "util/status.h"

/* A run's weights that do not load (damaged, or not finite) are the run's to write again: the
 * error says how. Errors about anything else (the data, the config) are left as they are. */
static int hint_retrain(const char *dir, const char *weights)
{
    const char *msg = clnet_error_message();
    if (strncmp(msg, weights, strlen(weights)) != 0)
        return CLNET_ERR_DATA;
    char why[1024];
    snprintf(why, sizeof why, "%s", msg);
    clnet_error_clear();
    return clnet_errorf(CLNET_ERR_DATA, "%s (clnet train %s/config.yaml --out %s --restart "
                        "trains it again)", why, dir, dir);
}

int cli_run_files(const char *target, const char *which, bool configs_too, char **config,
                  char **weights)
{
    struct stat st;
    *config = *weights = NULL;
    bool best = which && strcmp(which, "best") == 0;
    const char *file = best ? "best.safetensors" : "model.safetensors";
    if (stat(target, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (asprintf(config, "%s/config.yaml", target) < 0 ||
            asprintf(weights, "%s/%s", target, file) < 0)
            return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
        if (stat(*weights, &st) != 0)
            return clnet_errorf(CLNET_ERR_USAGE, "%s: no %s: %s", target, file,
                                best ? "the run has not evaluated yet, or was written by a "
                                       "clnet before best.safetensors"
                                     : "not a finished run directory");
        return CLNET_OK;
    }
    if (!configs_too)
        return clnet_errorf(CLNET_ERR_USAGE, "%s: not a run directory (predict reads a "
                            "trained run's folder)", target);
    if (which)
        return clnet_errorf(CLNET_ERR_USAGE, "--weights %s: %s is not a run directory (a "
                            "config's model has only its initial weights)", which, target);
    *config = strdup(target);
    return *config ? CLNET_OK : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
}

int cli_eval(const struct cli_args *args)
{
    const char *target = args->positional[0];
    char *config, *weights;
    int status = cli_run_files(target, args->weights, true, &config, &weights);
    if (status != CLNET_OK) {
        free(config);
        free(weights);
        return status;
    }
    struct experiment e;
    status = config_load(&e, config, args->sets, args->n_sets);
    if (status == CLNET_OK && args->inputs) {
        bool stdin_input = strcmp(args->inputs, "-") == 0;
        FILE *in = stdin_input ? stdin : NULL;
        int fd = -1;
        size_t size;
        if (!stdin_input) /* a regular file: a FIFO or /dev/zero would hang or never end */
            status = fs_open_regular(args->inputs, &fd, &size);
        if (status == CLNET_ERR_IO)
            status = CLNET_ERR_DATA; /* a missing --inputs file is the user's input */
        if (status == CLNET_OK && !in && !(in = fdopen(fd, "r"))) {
            close(fd);
            status = clnet_errorf(CLNET_ERR_NOMEM, "%s: %s", args->inputs, strerror(errno));
        }
        if (status == CLNET_OK)
            status = predict_csv(&e, weights, args->opt.device, args->opt.cl_dir, in,
                                 stdin_input ? "<stdin>" : args->inputs, stdout);
        if (in && !stdin_input)
            fclose(in);
    } else if (status == CLNET_OK) {
        double loss, acc;
        struct confusion cm = {0};
        status = train_evaluate(&e, weights, args->opt.device, args->opt.cl_dir, &loss, &acc,
                                &cm);
        if (status == CLNET_OK && isnan(acc)) /* a loss without a classification term */
            printf("%s: test loss %.6f (%s)\n", e.name, loss,
                   weights ? weights : "initial weights");
        else if (status == CLNET_OK)
            printf("%s: test loss %.6f, test accuracy %.4f (%s)\n", e.name, loss, acc,
                   weights ? weights : "initial weights");
        if (status == CLNET_OK && cm.classes > 0)
            confusion_print(stdout, &cm);
        confusion_free(&cm);
    }
    if (weights && status == CLNET_ERR_DATA)
        status = hint_retrain(target, weights);
    experiment_free(&e);
    free(config);
    free(weights);
    return status;
}

int cli_predict(const struct cli_args *args)
{
    const char *target = args->positional[0];
    char *config, *weights;
    struct experiment e;
    int status = cli_run_files(target, args->weights, false, &config, &weights);
    if (status == CLNET_OK)
        status = config_load(&e, config, NULL, 0);
    if (status == CLNET_OK) {
        status = predict_images(&e, weights, args->opt.device, args->opt.cl_dir,
                                args->positional + 1, args->n_positional - 1, stdout);
        experiment_free(&e);
    }
    if (weights && status == CLNET_ERR_DATA)
        status = hint_retrain(target, weights);
    free(config);
    free(weights);
    return status;
}
