/* hbDNNGetErrorDesc: one table per code family, indexed by the code's distance from its base. */
#include <stddef.h>
#include <stdint.h>

#include "dnn/hb_dnn_status.h"
#include "dnn/hb_sys.h"

/* hbDNNStatus codes are -(6000000 + i) for i = 1 .. 16. */
#define DNN_BASE 6000000
#define DNN_LAST 16
/* hbSysStatus codes are -(6000128 + i) for i = 1 .. 3. */
#define SYS_BASE 6000128
#define SYS_LAST 3

static const char *const dnn_desc[DNN_LAST + 1] = {
    [0] = "success",
    [1] = "invalid argument",
    [2] = "invalid model: the .bin file is corrupt, truncated or not a model of this toolchain",
    [3] = "too many models loaded",
    [4] = "invalid packed DNN handle",
    [5] = "invalid DNN (model) handle",
    [6] = "cannot open or read the model file",
    [7] = "out of memory",
    [8] = "timed out waiting for the task",
    [9] = "too many tasks in flight",
    [10] = "too many tasks appended to one task handle",
    [11] = "invalid task handle",
    [12] = "running the task failed",
    [13] = "the model still has running tasks",
    [14] = "incompatible model: built for another march or format version",
    [15] = "API used in the wrong order, or a function this runtime does not support (the log "
           "says which)",
    [16] = "resource used from several processes",
};

static const char *const sys_desc[SYS_LAST + 1] = {
    [0] = "success",
    [1] = "invalid argument to a memory function (NULL, size, or not a buffer of this library)",
    [2] = "out of BPU memory (host allocation or HB_DNN_SIM_BPU_MEM_SIZE)",
    [3] = "registering or unregistering memory failed",
};

_Static_assert(HB_DNN_MULTI_PROGRESS_USE_ERROR == -(DNN_BASE + DNN_LAST), "dnn_desc covers all");
_Static_assert(HB_SYS_REGISTER_MEM_FAILED == -(SYS_BASE + SYS_LAST), "sys_desc covers all");

const char *hbDNNGetErrorDesc(int32_t errorCode)
{
    if (errorCode <= -DNN_BASE - 1 && errorCode >= -DNN_BASE - DNN_LAST)
        return dnn_desc[-(errorCode + DNN_BASE)];
    if (errorCode <= -SYS_BASE - 1 && errorCode >= -SYS_BASE - SYS_LAST)
        return sys_desc[-(errorCode + SYS_BASE)];
    if (errorCode == 0)
        return dnn_desc[0];
    return "unknown error code";
}
