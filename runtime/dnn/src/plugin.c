/* hbDNNRegisterCustomOpPlugin / hbDNNRegisterCustomOpLibrary (dnn/hb_dnn_plugin.h): the C
 * registration calls that replace the reference's C++ layer-creator API, and the plugins of
 * HB_DNN_PLUGIN_PATH (plugin.h). The registry itself is the graph core's (hbg/plugin.h), shared
 * with the CPU subgraph executor. */
#include "plugin.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dnn/hb_dnn_plugin.h"
#include "dnn/hb_dnn_status.h"
#include "dnn_internal.h"
#include "hbg/plugin.h"

static int32_t status_of(hbg_status st)
{
    return st == HBG_E_IO      ? HB_DNN_CAN_NOT_OPEN_FILE
           : st == HBG_E_NOMEM ? HB_DNN_OUT_OF_MEMORY
                               : HB_DNN_INVALID_ARGUMENT;
}

int32_t hbDNNRegisterCustomOpPlugin(const char *soPath)
{
    char err[768];
    hbg_status st = hbg_plugin_load(soPath, err, sizeof err);
    if (st != HBG_OK)
        return hb_dnn_fail(status_of(st), "hbDNNRegisterCustomOpPlugin: %s", err);
    hb_dnn_log(HB_LOG_DEBUG, "custom op plugin '%s' registered", soPath);
    return HB_DNN_SUCCESS;
}

int32_t hbDNNRegisterCustomOpLibrary(const hbCustomOpLibraryV1 *library)
{
    char err[768];
    hbg_status st = hbg_plugin_register(library, NULL, err, sizeof err);
    if (st != HBG_OK)
        return hb_dnn_fail(status_of(st), "hbDNNRegisterCustomOpLibrary: %s", err);
    return HB_DNN_SUCCESS;
}

static int is_so(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 3 && strcmp(d->d_name + n - 3, ".so") == 0;
}

/* One HB_DNN_PLUGIN_PATH entry: a directory (its *.so files) or a file. */
static int32_t load_entry(const char *entry)
{
    struct stat sb;
    struct dirent **list = NULL;
    int32_t rc = HB_DNN_SUCCESS;
    if (stat(entry, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return hbDNNRegisterCustomOpPlugin(entry);
    int n = scandir(entry, &list, is_so, alphasort);
    if (n < 0)
        return hb_dnn_fail(HB_DNN_CAN_NOT_OPEN_FILE, "HB_DNN_PLUGIN_PATH: cannot read folder '%s'",
                           entry);
    for (int i = 0; i < n; i++) {
        char path[4096];
        if (rc == HB_DNN_SUCCESS) {
            if ((size_t)snprintf(path, sizeof path, "%s/%s", entry, list[i]->d_name) >= sizeof path)
                rc = hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                                 "HB_DNN_PLUGIN_PATH: path too long in '%s'", entry);
            else
                rc = hbDNNRegisterCustomOpPlugin(path);
        }
        free(list[i]);
    }
    free(list);
    return rc;
}

static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static int32_t env_status = HB_DNN_SUCCESS;

static void env_load(void)
{
    const char *v = getenv("HB_DNN_PLUGIN_PATH");
    char *copy, *save = NULL;
    if (!v || !v[0])
        return;
    if (!(copy = strdup(v))) {
        env_status = hb_dnn_fail(HB_DNN_OUT_OF_MEMORY, "out of memory");
        return;
    }
    for (char *e = strtok_r(copy, ":", &save); e && env_status == HB_DNN_SUCCESS;
         e = strtok_r(NULL, ":", &save))
        env_status = load_entry(e);
    free(copy);
}

int32_t hb_dnn_env_plugins(void)
{
    pthread_once(&env_once, env_load);
    return env_status;
}
