/* A host program that only loads and predicts: it loads a learner trained
 * for few-shot image classification (for example by `metalearn train
 * --task omniglot:DIR --strategy protonet`), takes ONE labelled image of
 * each of N new classes from a folder in the Omniglot layout, and
 * classifies the other images of those classes.
 *
 * Usage: classify_images LEARNER IMAGE_DIR [WAYS] [SIZE]
 *   WAYS  classes to tell apart (default 5; the first WAYS classes of the
 *         folder, in name order); SIZE  image side in pixels (default 28). */
#include <metalearn.h>
#include <stdio.h>
#include <stdlib.h>

static int fail(const char *what)
{
    fprintf(stderr, "classify_images: %s: %s\n", what, ml_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: classify_images LEARNER IMAGE_DIR [WAYS] [SIZE]\n");
        return 2;
    }
    size_t ways = argc > 3 ? strtoul(argv[3], NULL, 10) : 5;
    size_t side = argc > 4 ? strtoul(argv[4], NULL, 10) : 28;
    ml_learner *learner = NULL;
    ml_dataset *images = NULL;
    if (ml_learner_load(&learner, argv[1]) != ML_OK)
        return fail("loading the learner");
    if (ml_dataset_load_images(&images, argv[2], side, 1) != ML_OK) {
        ml_learner_free(learner);
        return fail("loading the images");
    }
    size_t n = ml_dataset_size(images), dim = ml_dataset_input_size(images);
    if (ways < 2 || ways > ml_dataset_num_classes(images)) {
        fprintf(stderr, "classify_images: the folder has %zu classes, %zu asked\n",
                ml_dataset_num_classes(images), ways);
        ml_dataset_free(images);
        ml_learner_free(learner);
        return 2;
    }
    /* The first image of each class is its one labelled example; the
     * others are the "new data" to classify. */
    float *support = malloc(ways * dim * sizeof(float));
    float *queries = malloc(n * dim * sizeof(float));
    int *support_labels = malloc(ways * sizeof(int));
    int *truth = malloc(n * sizeof(int)), *guess = malloc(n * sizeof(int));
    float *scores = malloc(n * ways * sizeof(float));
    int *seen = calloc(ways, sizeof(int));
    size_t nq = 0;
    int rc = 0;
    if (!support || !queries || !support_labels || !truth || !guess || !scores || !seen) {
        fprintf(stderr, "classify_images: out of memory\n");
        rc = 1;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int label;
        float *x = queries + nq * dim;
        if (ml_dataset_get(images, i, x, dim, &label) != ML_OK) {
            rc = fail("reading an image");
            break;
        }
        if ((size_t)label >= ways)
            continue;
        if (!seen[label]) {
            seen[label] = 1;
            for (size_t k = 0; k < dim; k++)
                support[(size_t)label * dim + k] = x[k];
            support_labels[label] = label;
        } else {
            truth[nq++] = label;
        }
    }
    ml_task *shots = NULL;
    if (rc == 0 && nq == 0) {
        fprintf(stderr, "classify_images: no image left to classify\n");
        rc = 1;
    }
    /* A task holding only the support set: the learner adapts to it (or
     * embeds it, for a metric learner) and scores the new images. */
    if (rc == 0 && ml_task_create_classification(&shots, dim, ways, ways, support,
                                                 support_labels, 0, NULL, NULL) != ML_OK)
        rc = fail("building the support set");
    if (rc == 0 && ml_learner_predict(learner, shots, -1, nq, queries, scores, nq * ways,
                                      guess) != ML_OK) {
        fprintf(stderr, "classify_images: predicting: %s\n", ml_learner_last_error(learner));
        rc = 1;
    }
    if (rc == 0) {
        size_t right = 0;
        for (size_t i = 0; i < nq; i++)
            right += guess[i] == truth[i];
        for (size_t k = 0; k < ways; k++)
            printf("class %zu = %s\n", k, ml_dataset_class_name(images, k));
        printf("%zu-way 1-shot: %zu of %zu new images classified right (%.1f%%)\n", ways,
               right, nq, 100.0 * (double)right / (double)nq);
    }
    ml_task_free(shots);
    free(support);
    free(queries);
    free(support_labels);
    free(truth);
    free(guess);
    free(scores);
    free(seen);
    ml_dataset_free(images);
    ml_learner_free(learner);
    return rc;
}
