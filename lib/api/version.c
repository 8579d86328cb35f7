#include "metalearn.h"

#define ML_STR2(x) #x
#define ML_STR(x) ML_STR2(x)

const char *ml_version_string(void)
{
    return ML_STR(ML_VERSION_MAJOR) "." ML_STR(ML_VERSION_MINOR) "." ML_STR(
        ML_VERSION_PATCH);
}

unsigned ml_version_number(void)
{
    return ML_VERSION_NUMBER;
}
