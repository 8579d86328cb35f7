/* A program built the way a user builds one: against the installed
 * header and library, with the flags pkg-config gives. */
#include <metalearn.h>

#include <stdio.h>
#include <string.h>

int main(void)
{
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", ML_VERSION_MAJOR,
             ML_VERSION_MINOR, ML_VERSION_PATCH);
    if (ml_version_number() != ML_VERSION_NUMBER ||
        strcmp(ml_version_string(), want) != 0) {
        fprintf(stderr, "header %s (%d), library %s (%u)\n", want,
                ML_VERSION_NUMBER, ml_version_string(), ml_version_number());
        return 1;
    }
    printf("libmetalearn %s\n", ml_version_string());
    return 0;
}
