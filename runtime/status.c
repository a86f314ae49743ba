/* SPDX-License-Identifier: MIT */
/*
 * status.c — text for the runtime's status codes (see SdrtStatus in sdrt.h).
 */
#include "sdrt.h"

/* Lowercase, no trailing period: callers embed it in their own messages. */
const char *sdrt_strerror(int status) {
    switch (status) {
    case SDRT_OK:
        return "ok";
    case SDRT_ERR_ARG:
        return "invalid argument";
    case SDRT_ERR_IO:
        return "input/output error";
    case SDRT_ERR_PARSE:
        return "malformed input";
    case SDRT_ERR_SHAPE:
        return "inconsistent number of fields";
    case SDRT_ERR_EMPTY:
        return "no data";
    case SDRT_ERR_NOMEM:
        return "out of memory";
    case SDRT_ERR_SINGULAR:
        return "singular matrix";
    case SDRT_ERR_NONFINITE:
        return "loss or gradient is not finite";
    case SDRT_ERR_MAXSTEPS:
        return "step limit reached before convergence";
    }
    return "unknown status";
}
