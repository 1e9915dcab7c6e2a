/* hbDNNGetVersion: "<API major>.<minor>.<patch>_(hbtoolchain <project version>)", the same shape
 * as the original's "<libdnn>_(<hbrt>)" string, so tools that split it at "_(" keep working. */
#include "dnn/hb_dnn.h"

#ifndef HB_VERSION
#error "HB_VERSION (the project version) must be defined by the build"
#endif

/* The version macros are unsigned literals (1U); the string uses the plain numbers. */
#define HB_API_VERSION "1.22.6"

_Static_assert(HB_DNN_VERSION_MAJOR == 1U && HB_DNN_VERSION_MINOR == 22U &&
                   HB_DNN_VERSION_PATCH == 6U,
               "HB_API_VERSION must follow the version macros of hb_dnn.h");

const char *hbDNNGetVersion(void)
{
    return HB_API_VERSION "_(hbtoolchain " HB_VERSION ")";
}
