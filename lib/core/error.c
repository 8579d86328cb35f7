#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The per-thread message of the last failed call (see ml_last_error()). */
static _Thread_local char thread_msg[ML_ERRMSG_MAX];

ml_status ml_error(char *handle_msg, ml_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(thread_msg, sizeof thread_msg, fmt, ap);
    va_end(ap);
    if (handle_msg)
        memcpy(handle_msg, thread_msg, ML_ERRMSG_MAX);
    return status;
}

const char *ml_last_error(void)
{
    return thread_msg;
}

const char *ml_status_str(int status)
{
    switch (status) {
    case ML_OK: return "ML_OK: success";
    case ML_ERR_INVALID_ARG: return "ML_ERR_INVALID_ARG: invalid argument";
    case ML_ERR_NOMEM: return "ML_ERR_NOMEM: out of memory";
    case ML_ERR_SHAPE: return "ML_ERR_SHAPE: sizes or shapes do not agree";
    case ML_ERR_STATE: return "ML_ERR_STATE: call not allowed in this state";
    case ML_ERR_IO: return "ML_ERR_IO: input/output error";
    case ML_ERR_FORMAT: return "ML_ERR_FORMAT: not in the expected format";
    case ML_ERR_CORRUPT: return "ML_ERR_CORRUPT: data is corrupted or truncated";
    case ML_ERR_VERSION: return "ML_ERR_VERSION: incompatible format version";
    case ML_ERR_UNSUPPORTED: return "ML_ERR_UNSUPPORTED: operation not supported";
    case ML_ERR_NUMERIC: return "ML_ERR_NUMERIC: non-finite value";
    case ML_ERR_RANGE: return "ML_ERR_RANGE: index or size out of range";
    case ML_ERR_INTERNAL: return "ML_ERR_INTERNAL: internal error";
    case ML_ERR_CALLBACK: return "ML_ERR_CALLBACK: a callback reported a failure";
    default: return "unknown status";
    }
}
