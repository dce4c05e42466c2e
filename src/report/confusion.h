/* A classifier's confusion matrix over a whole data set: counts of (true class, predicted
 * class), per-class accuracy, and confusion.json, which a run writes for its final weights on
 * the test set (train/plots.c), confusion.png is drawn from (report_run) and a run's page shows.
 * K below is the number of classes. */
#ifndef CLNET_REPORT_CONFUSION_H
#define CLNET_REPORT_CONFUSION_H

#include <stdio.h>

#define CONFUSION_MAX_CLASSES 32

struct confusion {
    int classes;         /* K */
    long long *counts;   /* (K, K): row the true class, column the predicted one */
};

/* A matrix of zeros for K classes (1..CONFUSION_MAX_CLASSES). */
int confusion_init(struct confusion *c, int classes);
void confusion_free(struct confusion *c);

long long confusion_row_total(const struct confusion *c, int k); /* images of class k */
long long confusion_total(const struct confusion *c);   /* every image */
long long confusion_correct(const struct confusion *c); /* the diagonal */
/* The share of class k's images predicted as k; NaN when the set has none of class k. */
double confusion_class_accuracy(const struct confusion *c, int k);

/* confusion.json, atomically: the set and weights it describes (names, e.g. "test" and
 * "final"), images, correct, per_class_accuracy (null for a class with no image) and counts,
 * one row per true class. */
int confusion_write(const struct confusion *c, const char *set, const char *weights,
                    const char *path);

/* confusion.json back: counts must be K rows of K whole numbers >= 0, K in
 * 1..CONFUSION_MAX_CLASSES; the other keys are not read. CLNET_ERR_IO when it cannot be
 * read, CLNET_ERR_DATA "PATH: what" when it is malformed. */
int confusion_read(struct confusion *c, const char *path);

/* The table `clnet eval` prints: per class its images, the correct ones and the accuracy
 * (classes across, ten to a block), then the three most frequent confusions. */
void confusion_print(FILE *f, const struct confusion *c);

#endif
