/* libdnn internals of custom-op plugins (plugin.c). */
#ifndef HB_DNN_PLUGIN_INTERNAL_H
#define HB_DNN_PLUGIN_INTERNAL_H

#include <stdint.h>

/* Register the plugins named by HB_DNN_PLUGIN_PATH, once per process: a ':'-separated list of
 * entries, each a plugin .so file or a directory whose *.so files are all registered (in name
 * order). Called before a model is built. Returns HB_DNN_SUCCESS (also when the variable is unset
 * or empty), or the status of the first failing registration, logged with the file's name;
 * later calls return the same status. */
int32_t hb_dnn_env_plugins(void);

#endif
