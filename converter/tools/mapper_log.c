/* hb_mapper's log sink: console and log file. */
#include "mapper_log.h"

#include <string.h>
#include <time.h>

static void sink(void *user, hbc_log_level level, const char *file, int line, const char *func,
                 const char *msg)
{
    mapper_log *ml = user;
    if (ml->file) {
        struct timespec ts;
        struct tm tm;
        char when[32] = "";
        const char *base = strrchr(file, '/');
        clock_gettime(CLOCK_REALTIME, &ts);
        if (localtime_r(&ts.tv_sec, &tm))
            strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
        fprintf(ml->file, "%s,%03ld file: %s func: %s line No: %d %s %s\n", when,
                ts.tv_nsec / 1000000, base ? base + 1 : file, func, line, hbc_log_level_name(level),
                msg);
    }
    if (level >= HBC_LOG_INFO) {
        FILE *out = level >= HBC_LOG_WARNING ? stderr : stdout;
        if (out == stderr)
            fflush(stdout);
        fprintf(out, "%s %s\n", hbc_log_level_name(level), msg);
    }
}

int mapper_log_open(mapper_log *ml, const char *path)
{
    ml->file = path ? fopen(path, "w") : NULL;
    /* Without a file nobody reads DEBUG: do not even format it. */
    ml->logger =
        (hbc_logger){.fn = sink, .user = ml, .level = ml->file ? HBC_LOG_DEBUG : HBC_LOG_INFO};
    if (ml->file)
        setvbuf(ml->file, NULL, _IOLBF, 0);
    return path && !ml->file ? -1 : 0;
}

void mapper_log_close(mapper_log *ml)
{
    if (ml->file)
        fclose(ml->file);
    ml->file = NULL;
}
