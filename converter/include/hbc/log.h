/* hbc_log: levelled logging for the converter libraries through a sink the caller supplies.
 *
 * Libraries never print: they format a message and hand it to the logger's callback, which the
 * command-line tool (the only owner of stdout) routes to the console and to its log file.
 * The macros test the logger's level before evaluating their arguments, so a DEBUG line costs
 * nothing when nobody listens. A NULL logger, or one without a callback, discards everything.
 */
#ifndef HBC_LOG_H
#define HBC_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

/* Ordered: a logger passes messages at or above its level. */
typedef enum hbc_log_level {
    HBC_LOG_DEBUG = 0,
    HBC_LOG_INFO = 1,
    HBC_LOG_WARNING = 2,
    HBC_LOG_ERROR = 3,
} hbc_log_level;

/* "DEBUG", "INFO", "WARNING", "ERROR"; "?" for other values. */
const char *hbc_log_level_name(hbc_log_level level);

/* The sink. file/line/func locate the call; msg is one formatted message without a trailing
 * newline, borrowed for the duration of the call. */
typedef void (*hbc_log_fn)(void *user, hbc_log_level level, const char *file, int line,
                           const char *func, const char *msg);

typedef struct hbc_logger {
    hbc_log_fn fn;
    void *user;
    hbc_log_level level; /* least level passed to fn */
} hbc_logger;

/* Format and deliver one message (printf format). Prefer the macros below. */
void hbc_log_emit(const hbc_logger *lg, hbc_log_level level, const char *file, int line,
                  const char *func, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* 1 when a message at level would reach a sink. */
#define HBC_LOG_ON(lg, lvl) ((lg) && (lg)->fn && (lvl) >= (lg)->level)

#define HBC_LOG(lg, lvl, ...)                                                                      \
    do {                                                                                           \
        if (HBC_LOG_ON(lg, lvl))                                                                   \
            hbc_log_emit(lg, lvl, __FILE__, __LINE__, __func__, __VA_ARGS__);                      \
    } while (0)
#define HBC_LOGD(lg, ...) HBC_LOG(lg, HBC_LOG_DEBUG, __VA_ARGS__)
#define HBC_LOGI(lg, ...) HBC_LOG(lg, HBC_LOG_INFO, __VA_ARGS__)
#define HBC_LOGW(lg, ...) HBC_LOG(lg, HBC_LOG_WARNING, __VA_ARGS__)
#define HBC_LOGE(lg, ...) HBC_LOG(lg, HBC_LOG_ERROR, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif /* HBC_LOG_H */
