/* The sink of hb_mapper's logger: the console at INFO and above (INFO on stdout, WARNING and
 * ERROR on stderr) and a log file in the working directory at DEBUG, each record stamped with
 * time, source file, function and line like the reference's hb_mapper_*.log files. */
#ifndef HB_MAPPER_LOG_H
#define HB_MAPPER_LOG_H

#include <stdio.h>

#include "hbc/log.h"

typedef struct mapper_log {
    FILE *file;        /* NULL: console only */
    hbc_logger logger; /* hand &logger to the libraries */
} mapper_log;

/* Start logging; path (truncated on open) may be NULL for console only. Returns 0, or -1 when the
 * file cannot be opened (errno set; the console still works). */
int mapper_log_open(mapper_log *ml, const char *path);
/* Close the file. */
void mapper_log_close(mapper_log *ml);

#endif /* HB_MAPPER_LOG_H */
