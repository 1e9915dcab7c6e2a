/* hb_mapper: loading custom CPU operator plugins (mapper_plugins.h). The registry is the graph
 * core's (hbg/plugin.h): once a plugin is registered, the ONNX loader resolves its op type to
 * HBG_OP_CUSTOM, the float executor (shape inference, calibration) runs its kernel, placement
 * keeps the node on the CPU and the quantiser leaves it float. */
#include "mapper_plugins.h"

#include <stdlib.h>
#include <string.h>

#include "hbg/plugin.h"

static int load_one(const char *path, const hbc_logger *lg)
{
    char err[768];
    if (hbg_plugin_load(path, err, sizeof err) != HBG_OK) {
        HBC_LOGE(lg, "%s", err);
        return -1;
    }
    HBC_LOGI(lg, "custom op plugin %s registered", path);
    return 0;
}

int mapper_load_plugins(const mapper_stage *st, const hbc_logger *lg)
{
    int rc = 0;
    if (st->cfg) {
        for (int i = 0; i < st->cfg->op_register_files.n && rc == 0; i++)
            rc = load_one(st->cfg->op_register_files.v[i], lg);
        return rc;
    }
    const char *list = st->args ? st->args->val[OPT_CUSTOM_OP] : NULL;
    if (!list)
        return 0;
    char *copy = strdup(list), *save = NULL;
    if (!copy) {
        HBC_LOGE(lg, "out of memory");
        return -1;
    }
    for (char *f = strtok_r(copy, ";", &save); f && rc == 0; f = strtok_r(NULL, ";", &save)) {
        f += strspn(f, " \t");
        size_t n = strlen(f);
        while (n && (f[n - 1] == ' ' || f[n - 1] == '\t'))
            f[--n] = '\0';
        if (n)
            rc = load_one(f, lg);
    }
    free(copy);
    return rc;
}
