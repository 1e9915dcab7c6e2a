/* hbc_calib: calibration of a float graph's activations, the contract between calibration
 * (converter/calib), quantisation (converter/quant) and hb_mapper.
 *
 * A calibration table gives, for every float activation tensor of the optimized float graph that
 * will be quantised, its threshold T > 0: the int8 scale is T / 127 (ARCHITECTURE section 4).
 */
#ifndef HBC_CALIB_H
#define HBC_CALIB_H

#include "hbc/log.h"
#include "hbg/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hbc_calib_entry {
    char *tensor;     /* tensor name in the graph, owned */
    double threshold; /* T > 0 and finite */
    int method;       /* hbc_calib_method that produced it (for reports) */
} hbc_calib_entry;

typedef enum hbc_calib_method {
    HBC_CALIB_DEFAULT,
    HBC_CALIB_MIX,
    HBC_CALIB_KL,
    HBC_CALIB_MAX,
    HBC_CALIB_LOAD,
    HBC_CALIB_SKIP,
    HBC_CALIB_METHOD_COUNT
} hbc_calib_method;

typedef struct hbc_calib_table {
    int n, cap;
    hbc_calib_entry *e;
} hbc_calib_table;

/* "default", "mix", "kl", "max", "load", "skip". */
const char *hbc_calib_method_name(hbc_calib_method m);

/* Table helpers. set replaces an existing entry for the same tensor. find returns NULL if absent.
 * free releases the entries (not the struct itself, which the caller owns; NULL is a no-op). */
hbg_status hbc_calib_table_set(hbc_calib_table *t, const char *tensor, double threshold,
                               int method);
const hbc_calib_entry *hbc_calib_table_find(const hbc_calib_table *t, const char *tensor);
void hbc_calib_table_free(hbc_calib_table *t);

#ifdef __cplusplus
}
#endif
#endif /* HBC_CALIB_H */
