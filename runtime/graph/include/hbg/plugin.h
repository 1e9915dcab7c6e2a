/* Custom CPU operators registered at run time from C plugins (dnn/hb_dnn_plugin.h).
 *
 * A registered op type resolves to HBG_OP_CUSTOM in hbg_op_from_name (so hbg_graph_add_node,
 * the ONNX loader and the CPU subgraph deserialiser accept it), and hbg_op_impl_get(HBG_OP_CUSTOM)
 * returns one implementation that dispatches on node->op_type to the plugin's infer and compute
 * callbacks. Passes treat such nodes as opaque; placement keeps them on the CPU because no BPU
 * table has an entry for HBG_OP_CUSTOM. The registry is process-wide and only grows: a library
 * stays loaded and registered until the process ends, so nodes may keep pointers into it.
 */
#ifndef HBG_PLUGIN_H
#define HBG_PLUGIN_H

#include <stddef.h>

#include "dnn/hb_dnn_plugin.h"
#include "hbg/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most operators registered in one process (over every library). */
#define HBG_PLUGIN_MAX_OPS 256

/* Register every operator of lib. Thread-safe and idempotent: registering an operator whose
 * entry (same hbCustomOpV1 address) is already registered is a no-op. Refused, with a message in
 * err naming the library (origin, e.g. the .so path; may be NULL) and the op type:
 * HBG_E_INVALID for a NULL library, a wrong ABI version, a bad count, a missing name or callback,
 * a bad input/output count, or an op type that is built in or registered by another entry;
 * HBG_E_NOMEM when HBG_PLUGIN_MAX_OPS would be exceeded. Nothing of lib is registered unless all
 * of it is valid. */
hbg_status hbg_plugin_register(const hbCustomOpLibraryV1 *lib, const char *origin, char *err,
                               size_t errlen);

/* dlopen the .so at path (RTLD_NOW | RTLD_LOCAL), look up HB_CUSTOM_OP_PLUGIN_SYMBOL and register
 * it. Errors name the file: HBG_E_IO when dlopen fails (with dlerror's text), HBG_E_INVALID for a
 * missing symbol, plus every error of hbg_plugin_register. The library is never unloaded once
 * registered (on failure it is closed again). */
hbg_status hbg_plugin_load(const char *path, char *err, size_t errlen);

/* The registered operator called op_type, or NULL. */
const hbCustomOpV1 *hbg_plugin_find(const char *op_type);

/* The dispatching implementation behind HBG_OP_CUSTOM (op_registry.c returns it). */
const struct hbg_op_impl *hbg_plugin_impl(void);

#ifdef __cplusplus
}
#endif
#endif /* HBG_PLUGIN_H */
