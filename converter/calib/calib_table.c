/* The calibration table: tensor name -> threshold (hbc/calib.h). Linear search: a table holds one
 * entry per activation tensor (hundreds at most) and is built once per conversion. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hbc/calib.h"

static const char *const method_names[HBC_CALIB_METHOD_COUNT] = {
    [HBC_CALIB_DEFAULT] = "default", [HBC_CALIB_MIX] = "mix",   [HBC_CALIB_KL] = "kl",
    [HBC_CALIB_MAX] = "max",         [HBC_CALIB_LOAD] = "load", [HBC_CALIB_SKIP] = "skip",
};

const char *hbc_calib_method_name(hbc_calib_method m)
{
    if ((int)m < 0 || m >= HBC_CALIB_METHOD_COUNT)
        return "?";
    return method_names[m];
}

const hbc_calib_entry *hbc_calib_table_find(const hbc_calib_table *t, const char *tensor)
{
    for (int i = 0; t && i < t->n; i++)
        if (strcmp(t->e[i].tensor, tensor) == 0)
            return &t->e[i];
    return NULL;
}

hbg_status hbc_calib_table_set(hbc_calib_table *t, const char *tensor, double threshold, int method)
{
    if (!t || !tensor || !(threshold > 0.0) || !isfinite(threshold))
        return HBG_E_INVALID;
    hbc_calib_entry *old = (hbc_calib_entry *)hbc_calib_table_find(t, tensor);
    if (old) {
        old->threshold = threshold;
        old->method = method;
        return HBG_OK;
    }
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 64;
        hbc_calib_entry *e = realloc(t->e, (size_t)cap * sizeof *e);
        if (!e)
            return HBG_E_NOMEM;
        t->e = e;
        t->cap = cap;
    }
    char *name = strdup(tensor);
    if (!name)
        return HBG_E_NOMEM;
    t->e[t->n++] = (hbc_calib_entry){.tensor = name, .threshold = threshold, .method = method};
    return HBG_OK;
}

void hbc_calib_table_free(hbc_calib_table *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->n; i++)
        free(t->e[i].tensor);
    free(t->e);
    t->e = NULL;
    t->n = t->cap = 0;
}
