/* model_diff A.mlrn B.mlrn TOL: exit 0 when the two learners have the same
 * meta-parameter count and no parameter differs by more than TOL, else 1
 * (2 for a file that does not load); prints the largest difference.  For
 * the runs that equal one process only up to the order of float additions
 * (tests/mpi/test_mpi.py). */
#include <metalearn.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static float *params(const char *path, size_t *n)
{
    ml_learner *l;
    if (ml_learner_load(&l, path) != ML_OK) {
        fprintf(stderr, "model_diff: %s: %s\n", path, ml_last_error());
        return NULL;
    }
    *n = ml_learner_num_meta_params(l);
    float *p = malloc(*n * sizeof *p);
    if (p && ml_learner_get_meta_params(l, p, *n) != ML_OK) {
        free(p);
        p = NULL;
    }
    ml_learner_free(l);
    return p;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: model_diff A.mlrn B.mlrn TOLERANCE\n");
        return 2;
    }
    size_t na = 0, nb = 0;
    float *a = params(argv[1], &na), *b = params(argv[2], &nb);
    int rc = 2;
    if (a && b && na != nb) {
        printf("%zu and %zu meta-parameters\n", na, nb);
        rc = 1;
    } else if (a && b) {
        double worst = 0.0;
        size_t differ = 0;
        for (size_t i = 0; i < na; i++) {
            double d = fabs((double)a[i] - (double)b[i]);
            differ += d != 0.0;
            if (!(d <= worst))   /* NaN counts as the worst */
                worst = d;
        }
        printf("%zu of %zu parameters differ, by %.3g at most\n", differ, na, worst);
        rc = worst <= strtod(argv[3], NULL) ? 0 : 1;
    }
    free(a);
    free(b);
    return rc;
}
