/* Internal to hbc_prep: the one message helper every file of the module uses. */
#ifndef HBC_PREP_ERR_H
#define HBC_PREP_ERR_H

#include <stddef.h>

#include "hbg/graph.h"

/* Format a message into err (when err and errlen are non-zero) and return st. */
hbg_status hbc_prep_fail(char *err, size_t errlen, hbg_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif /* HBC_PREP_ERR_H */
