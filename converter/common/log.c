/* hbc_log: message formatting and delivery to the caller's sink. */
#include "hbc/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const level_names[] = {
    [HBC_LOG_DEBUG] = "DEBUG",
    [HBC_LOG_INFO] = "INFO",
    [HBC_LOG_WARNING] = "WARNING",
    [HBC_LOG_ERROR] = "ERROR",
};

const char *hbc_log_level_name(hbc_log_level level)
{
    if ((unsigned)level >= sizeof level_names / sizeof level_names[0])
        return "?";
    return level_names[level];
}

/* Short messages are formatted on the stack; longer ones (tables, config dumps) on the heap. If
 * that allocation fails the message is delivered truncated rather than lost. */
void hbc_log_emit(const hbc_logger *lg, hbc_log_level level, const char *file, int line,
                  const char *func, const char *fmt, ...)
{
    char small[512];
    char *big = NULL;
    va_list ap;

    if (!HBC_LOG_ON(lg, level))
        return;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof small && (big = malloc((size_t)n + 1)) != NULL) {
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    lg->fn(lg->user, level, file, line, func, big ? big : (n < 0 ? fmt : small));
    free(big);
}
