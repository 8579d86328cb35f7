/* Compiled by header_test.sh as C99 and as C11 with -pedantic -Werror:
 * the public header must be self-contained (it is included first),
 * guarded against double inclusion, warning-free, and must agree with the
 * library it is linked against. */
#include "metalearn.h"
#include "metalearn.h"

#include <stdio.h>
#include <string.h>

/* Every handle type must be declared (and stay opaque). */
static int count_handles(const ml_model *m, const ml_task *t,
                         const ml_sampler *s, const ml_dataset *d,
                         const ml_learner *l, const ml_optimizer *o)
{
    return (m == NULL) + (t == NULL) + (s == NULL) + (d == NULL) +
           (l == NULL) + (o == NULL);
}

int main(void)
{
    ml_status st = ML_ERR_NOMEM;
    const char *msg = ml_status_str(st);
    const char *err = ml_last_error();
    const char *ver = ml_version_string();
    char want[32];
    int bad = 0;

    if (count_handles(NULL, NULL, NULL, NULL, NULL, NULL) != 6)
        bad = 1;
    if (ml_version_number() != ML_VERSION_NUMBER) {
        fprintf(stderr, "ml_version_number() = %u, header says %d\n",
                ml_version_number(), ML_VERSION_NUMBER);
        bad = 1;
    }
    snprintf(want, sizeof want, "%d.%d.%d", ML_VERSION_MAJOR,
             ML_VERSION_MINOR, ML_VERSION_PATCH);
    if (ver == NULL || strcmp(ver, want) != 0) {
        fprintf(stderr, "ml_version_string() = %s, header says %s\n",
                ver ? ver : "(null)", want);
        bad = 1;
    }
    if (msg == NULL || strncmp(msg, "ML_ERR_NOMEM", 12) != 0) {
        fprintf(stderr, "ml_status_str(ML_ERR_NOMEM) = %s\n",
                msg ? msg : "(null)");
        bad = 1;
    }
    if (err == NULL) {
        fprintf(stderr, "ml_last_error() returned NULL\n");
        bad = 1;
    }
    printf("%s: %s, %s\n", ver ? ver : "(null)", msg ? msg : "(null)",
           bad ? "FAILED" : "ok");
    return bad;
}
