/* Error reporting: a per-thread message for the last failed call and an
 * optional per-handle copy. */
#ifndef ML_CORE_ERROR_H
#define ML_CORE_ERROR_H

#include "metalearn.h"

#define ML_ERRMSG_MAX 256

#if defined(__GNUC__)
#define ML_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define ML_PRINTF(f, a)
#endif

/* Formats "<message>" into the calling thread's buffer and, when handle_msg
 * is not NULL, into that handle's buffer (ML_ERRMSG_MAX bytes).  Returns
 * status so callers can write `return ml_error(...)`. */
ml_status ml_error(char *handle_msg, ml_status status, const char *fmt, ...)
    ML_PRINTF(3, 4);

#endif
