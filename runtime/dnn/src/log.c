/* Logging of libdnn: one line per message to stderr (never stdout), filtered by
 * HB_DNN_LOG_LEVEL (horizon-interface 5.9): a message of level L is printed when L >= the setting;
 * 3 (default) prints warnings and errors, 4 errors only, 1 also debug lines, 0 (NONE) nothing. The
 * last message of each thread is kept for tests and for callers that want the detail behind a
 * status code. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "dnn_internal.h"

static _Thread_local char last_msg[512];

static int log_threshold(void)
{
    const char *v = getenv("HB_DNN_LOG_LEVEL");
    if (!v || !*v)
        return HB_LOG_WARN;
    char *end = NULL;
    long l = strtol(v, &end, 10);
    return (*end || l < 0 || l > 5) ? HB_LOG_WARN : (int)l;
}

static void vlog(int level, const char *fmt, va_list ap)
{
    vsnprintf(last_msg, sizeof last_msg, fmt, ap);
    int th = log_threshold();
    if (th > 0 && level >= th)
        fprintf(stderr, "[DNN] %s: %s\n",
                level >= HB_LOG_ERROR  ? "ERROR"
                : level >= HB_LOG_WARN ? "WARNING"
                                       : "DEBUG",
                last_msg);
}

void hb_dnn_log(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, fmt, ap);
    va_end(ap);
}

int32_t hb_dnn_fail(int32_t code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(HB_LOG_ERROR, fmt, ap);
    va_end(ap);
    return code;
}

const char *hb_dnn_last_message(void)
{
    return last_msg;
}
