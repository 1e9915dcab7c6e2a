/* hb_dnn_status.h: status codes of the DNN runtime API.
 *
 * Written by this project from the public description of the Horizon Robotics / D-Robotics
 * `dnn/hb_dnn_status.h`; the numeric values are the documented ones. Every hbDNN* function that
 * returns int32_t returns 0 on success or one of these negative codes (or an hbSysStatus code). */
#ifndef DNN_HB_DNN_STATUS_H
#define DNN_HB_DNN_STATUS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    HB_DNN_SUCCESS = 0,                             /* no error */
    HB_DNN_INVALID_ARGUMENT = -6000001,             /* NULL pointer, index or value out of range */
    HB_DNN_INVALID_MODEL = -6000002,                /* .bin file corrupt, truncated or foreign */
    HB_DNN_MODEL_NUMBER_EXCEED_LIMIT = -6000003,    /* too many models loaded */
    HB_DNN_INVALID_PACKED_DNN_HANDLE = -6000004,    /* not a handle from hbDNNInitialize* */
    HB_DNN_INVALID_DNN_HANDLE = -6000005,           /* not a handle from hbDNNGetModelHandle */
    HB_DNN_CAN_NOT_OPEN_FILE = -6000006,            /* a model file cannot be opened or read */
    HB_DNN_OUT_OF_MEMORY = -6000007,                /* host allocation failed */
    HB_DNN_TIMEOUT = -6000008,                      /* hbDNNWaitTaskDone timed out */
    HB_DNN_TASK_NUM_EXCEED_LIMIT = -6000009,        /* too many tasks in flight */
    HB_DNN_TASK_BATCH_SIZE_EXCEED_LIMIT = -6000010, /* too many tasks appended with `more` */
    HB_DNN_INVALID_TASK_HANDLE = -6000011,          /* not a live task handle */
    HB_DNN_RUN_TASK_FAILED = -6000012,              /* the task failed while running */
    HB_DNN_MODEL_IS_RUNNING = -6000013,             /* release while tasks of the model run */
    HB_DNN_INCOMPATIBLE_MODEL = -6000014,           /* model built for another march/version */
    HB_DNN_API_USE_ERROR = -6000015,                /* calls made in the wrong order */
    HB_DNN_MULTI_PROGRESS_USE_ERROR = -6000016      /* resource used from several processes */
} hbDNNStatus;

/* A static English description of any hbDNNStatus or hbSysStatus code (never NULL; unknown codes
 * get a generic text). The string is owned by the library and valid for the process lifetime. */
const char *hbDNNGetErrorDesc(int32_t errorCode);

#ifdef __cplusplus
}
#endif

#endif /* DNN_HB_DNN_STATUS_H */
