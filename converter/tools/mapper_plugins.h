/* hb_mapper: custom CPU operator plugins (docs/custom-ops.md), loaded before the model. */
#ifndef HB_MAPPER_PLUGINS_H
#define HB_MAPPER_PLUGINS_H

#include "hbc/log.h"
#include "mapper.h"

/* Register the plugins the float stage st names: makertbin's custom_op.op_register_files
 * (already resolved against custom_op_dir or the YAML's folder by the config loader), or
 * checker's --custom-op FILE.so[;FILE.so...] (relative to the current directory). Each loaded
 * file is logged at INFO. Returns 0, or -1 after an ERROR naming the file and the loader's
 * reason (dlerror, missing symbol, ABI version, op type clash). */
int mapper_load_plugins(const mapper_stage *st, const hbc_logger *lg);

#endif /* HB_MAPPER_PLUGINS_H */
