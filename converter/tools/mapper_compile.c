/* makertbin's compilation stage: the quantized graph to <prefix>.bin. The BPU compiler
 * (converter/compiler, hbc/compiler.h) and the .bin writer (converter/bin) plug in here; until
 * they do, makertbin ends after the four ONNX artifacts with exit status 3. */
#include "mapper_stages.h"

int mapper_compile(const mapper_stage *st, hbg_graph *qg, const hbc_logger *lg)
{
    HBC_LOGI(lg, "Start to compile the model with march %s.", bpu_march_get(st->march)->name);
    HBC_LOGE(lg,
             "makertbin: compiling to .bin is not implemented yet; the quantized model (%d nodes) "
             "and the other ONNX artifacts are in %s/%s_*.onnx",
             qg->n_nodes, st->working_dir, st->prefix);
    return MAPPER_NOT_IMPLEMENTED;
}
