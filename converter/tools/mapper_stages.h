/* makertbin's stages after the float stage, one file each: calibration (mapper_calib.c),
 * quantisation (mapper_quant.c), compilation (mapper_compile.c). Each logs its progress and
 * errors itself. */
#ifndef HB_MAPPER_STAGES_H
#define HB_MAPPER_STAGES_H

#include "hbc/calib.h"
#include "hbc/prep.h"
#include "mapper.h"

/* The report file is <prefix>_quant_report.json (docs/report-json.md). */
#define MAPPER_REPORT_NAME "quant_report"
/* Rows of the sensitivity ranking printed to the console (the JSON file has every node). */
#define MAPPER_RANK_SHOWN 5

/* Load the calibration data of st->cfg for the inputs of g (the optimized float graph) into
 * *cs (empty when the method needs none and no cal_data_dir is given), and calibrate g with the
 * configured method into *tab (after optimization channel_equalization, if asked). Returns 0, or
 * -1 after an ERROR. */
int mapper_calibrate(const mapper_stage *st, hbg_graph *g, hbc_calset *cs, hbc_calib_table *tab,
                     const hbc_logger *lg);

/* Write <prefix>_calibrated_model.onnx: g with tab's QuantizeLinear/DequantizeLinear pairs where
 * the integer graph qg (made from g) holds int8 tensors, and int8-rounded weights where qg runs
 * the node on the BPU (hbc_quant_qdq_plan). Returns 0, or -1 after an ERROR. */
int mapper_save_calibrated(const mapper_stage *st, hbg_graph *g, const hbc_calib_table *tab,
                           hbg_graph *qg, const hbc_logger *lg);

/* Quantise fl->g with tab and the placement fl->bpu (BPU nodes must be quantised, CPU nodes
 * stay float) into *qg, and write <prefix>_quantized_model.onnx. BPU nodes that the quantizer
 * cannot run and that the config did not ask for on the BPU are first moved to the CPU (a
 * WARNING each; fl's placement is redone). With optimization bias_correction, the weights and
 * biases are then refined on the calibration samples cs (docs/quantized-ops.md section 8).
 * Returns 0, or -1 after an ERROR. */
int mapper_quantize(const mapper_stage *st, mapper_float *fl, const hbc_calib_table *tab,
                    const hbc_calset *cs, hbg_graph **qg, const hbc_logger *lg);

/* Compile the quantized graph qg (hbc_compile with the config's march and optimize_level) and
 * write <working_dir>/<prefix>.bin (temporary name + rename) with the conversion parameters, and
 * per BPU subgraph <prefix>_subgraph_<k>.html and .json (the files hb_perf writes); the static
 * estimate goes to the log. On failure nothing of this stage is left. Returns an exit status. */
int mapper_compile(const mapper_stage *st, hbg_graph *qg, const hbc_logger *lg);

/* Remove <prefix>.bin and the <prefix>_subgraph_<k>.{html,json} files of an earlier run. */
void mapper_remove_bin(const mapper_stage *st, const hbc_logger *lg);

#endif /* HB_MAPPER_STAGES_H */
