/* makertbin's quantisation stage: hbc_quantize with the placement of the float stage (so the
 * CPU/BPU split of the node table is the one quantised) and calibration_parameters.optimization,
 * then <prefix>_quantized_model.onnx (docs/quantized-ops.md).
 *
 * The placement's op-support table follows the reference's BPU; the quantizer has integer forms
 * for fewer ops (docs/quantized-ops.md), and by default it keeps the output side in float
 * (hbc_quant_opts.output_side_cpu, docs/quantized-ops.md section 7: data movement, Concat and
 * LUTs other than Relu/Clip that only CPU nodes or model outputs read; an int8 table there rounds
 * small scores to 0). A node placed on the BPU by the table alone (not by run_on_bpu / node_info)
 * that the quantizer leaves in float is moved to the CPU: a WARNING names a node without an
 * integer form, an INFO line a node of the output side. Two quantisations with such nodes on
 * HBC_PLACE_AUTO, without and with the output side, find them and tell the two apart; the
 * placement is redone with them on the CPU (new subgraphs), and the model is quantised again with
 * the placement exactly as the table shows it. A node the config asks for on the BPU is never
 * moved (run_on_bpu is how a user keeps an output-side node on the BPU; set_model_output_int8
 * keeps the whole int8 tail): the quantizer's refusal is the error. */
#include <stdlib.h>
#include <string.h>

#include "hbc/quant.h"
#include "mapper_stages.h"

/* optimization tokens: set_model_output_int8 asks for int8 model outputs, bias_correction for
 * the refinement of weights and biases on the calibration data; channel_equalization was done
 * before calibration (mapper_calib.c); int16 outputs do not exist in our integer operators.
 * Returns 0 or -1 after an ERROR. */
static int optimization_of(const hbc_cfg *cfg, int *out_int8, int *refine, const hbc_logger *lg)
{
    *out_int8 = *refine = 0;
    for (int i = 0; i < cfg->optimization.n; i++) {
        if (cfg->optimization.v[i] == HBC_OPT_SET_MODEL_OUTPUT_INT8) {
            *out_int8 = 1;
            continue;
        }
        if (cfg->optimization.v[i] == HBC_OPT_BIAS_CORRECTION) {
            *refine = 1;
            continue;
        }
        if (cfg->optimization.v[i] == HBC_OPT_CHANNEL_EQUALIZATION)
            continue;
        HBC_LOGE(lg,
                 "%s: calibration_parameters.optimization %s is not supported (no int16 "
                 "operators); remove it",
                 cfg->path, hbc_cfg_enum_name(HBC_ENUM_OPTIMIZATION, cfg->optimization.v[i]));
        return -1;
    }
    return 0;
}

/* bias_correction: hbc_quant_round_weights, then one pass of hbc_quant_bias_correct, on the
 * calibration samples (docs/quantized-ops.md section 8). Without samples (calibration_type skip
 * or load without cal_data_dir) a WARNING says it was not done. Returns 0 or -1 after an ERROR. */
static int refine(const mapper_float *fl, const hbc_calset *cs, hbg_graph *qg, const hbc_logger *lg)
{
    const float *const **samples = NULL;
    char err[1024];
    int rc = -1;
    if (cs->n_samples <= 0) {
        HBC_LOGW(lg, "optimization bias_correction: no calibration samples; weights and biases "
                     "are left as quantised");
        return 0;
    }
    if (!(samples = calloc((size_t)cs->n_samples, sizeof *samples))) {
        HBC_LOGE(lg, "quantisation: out of memory");
        return -1;
    }
    for (int s = 0; s < cs->n_samples; s++)
        samples[s] = (const float *const *)&cs->data[(size_t)s * (size_t)cs->n_inputs];
    HBC_LOGI(lg, "Refining weights and biases on %d calibration samples (bias_correction).",
             cs->n_samples);
    if (hbc_quant_round_weights(fl->g, qg, cs->n_samples, samples, err, sizeof err) != HBG_OK ||
        hbc_quant_bias_correct(fl->g, qg, 1, cs->n_samples, samples, err, sizeof err) != HBG_OK) {
        HBC_LOGE(lg, "bias_correction failed: %s", err);
        goto out;
    }
    rc = 0;
out:
    free(samples);
    return rc;
}

/* 1 when run_on_bpu or node_info ON BPU names node. */
static int asked_on_bpu(const hbc_cfg *cfg, const char *node)
{
    for (int i = 0; i < cfg->run_on_bpu.n; i++)
        if (strcmp(cfg->run_on_bpu.v[i], node) == 0)
            return 1;
    for (int i = 0; i < cfg->node_info.n; i++)
        if (cfg->node_info.v[i].on == HBC_ON_BPU && strcmp(cfg->node_info.v[i].name, node) == 0)
            return 1;
    return 0;
}

/* 1 when float node i stayed a float op in the quantized graph q: its first output exists there
 * as a float tensor written by a default-domain node (a quantised node writes int8 under the same
 * name, or int8/int32 under another name with a Dequantize of our domain writing the float
 * model output). */
static int stayed_float(const hbg_graph *g, int i, const hbg_graph *q)
{
    int t = hbg_graph_find_tensor(q, g->tensors[g->nodes[i].out[0]]->name);
    if (t < 0 || q->tensors[t]->dtype != HBG_DT_F32 || q->tensors[t]->producer < 0)
        return 0;
    return q->nodes[q->tensors[t]->producer].domain[0] == '\0';
}

/* Quantise into *q with BPU nodes the config did not ask for on HBC_PLACE_AUTO (output side on
 * the CPU when side is 1); flt[i] = 1 for those the quantizer left in float, else 0; *n of them.
 * With none, *q is the quantisation of the placement as it is (AUTO quantised every node it
 * could). */
static int find_float_nodes(const mapper_stage *st, const mapper_float *fl,
                            const hbc_calib_table *tab, unsigned char *place, int output_int8,
                            int side, unsigned char *flt, int *n, hbg_graph **q,
                            const hbc_logger *lg)
{
    hbg_graph *g = fl->g;
    hbc_quant_opts opts = {
        .place = place, .n_place = g->n_nodes, .output_int8 = output_int8, .output_side_cpu = side};
    char err[1024];
    *n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        place[i] = !fl->bpu[i]                                              ? HBC_PLACE_CPU
                   : asked_on_bpu(st->cfg, hbg_node_label(g, &g->nodes[i])) ? HBC_PLACE_BPU
                                                                            : HBC_PLACE_AUTO;
    if (hbc_quantize(g, tab, &opts, q, err, sizeof err) != HBG_OK) {
        HBC_LOGE(lg, "quantisation failed: %s", err);
        return -1;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        flt[i] = place[i] == HBC_PLACE_AUTO && stayed_float(g, i, *q);
        *n += flt[i];
    }
    return 0;
}

/* The nodes placed on the BPU by the table alone that the quantizer leaves in float, in cpu (*n
 * of them), each logged with its reason; *q is the quantisation when there are none. flt is a
 * scratch array of 2 * g->n_nodes bytes. */
static int float_nodes(const mapper_stage *st, const mapper_float *fl, const hbc_calib_table *tab,
                       unsigned char *place, int output_int8, unsigned char *flt, const char **cpu,
                       int *n, hbg_graph **q, const hbc_logger *lg)
{
    hbg_graph *g = fl->g;
    const int side = !output_int8;
    int n_on = 0, n_off = 0, n_side = 0;
    *n = 0;
    if (find_float_nodes(st, fl, tab, place, output_int8, side, flt, &n_on, q, lg) != 0)
        return -1;
    if (n_on == 0)
        return 0;
    /* flt[i]: bit 0 in float with the output side, bit 1 without it (no integer form) */
    if (side) {
        hbg_graph *off = NULL;
        unsigned char *f2 = flt + g->n_nodes;
        if (find_float_nodes(st, fl, tab, place, output_int8, 0, f2, &n_off, &off, lg) != 0)
            return -1;
        hbg_graph_free(off);
        for (int i = 0; i < g->n_nodes; i++)
            flt[i] = (unsigned char)(flt[i] | f2[i] << 1);
    } else {
        for (int i = 0; i < g->n_nodes; i++)
            flt[i] = (unsigned char)(flt[i] << 1);
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const char *label = hbg_node_label(g, &g->nodes[i]);
        if (flt[i] == 0)
            continue;
        if (flt[i] >= 2)
            HBC_LOGW(lg,
                     "node '%s' (%s): the quantizer leaves it in float (no integer form here); "
                     "it runs on the CPU",
                     label, g->nodes[i].op_type);
        else
            HBC_LOGI(lg,
                     "node '%s' (%s): output side, only CPU nodes or model outputs read it; it "
                     "runs on the CPU in float",
                     label, g->nodes[i].op_type);
        n_side += flt[i] == 1;
        cpu[(*n)++] = label;
    }
    if (n_side > 0)
        HBC_LOGI(lg,
                 "%d node%s of the output side run%s on the CPU in float, and a Conv/Gemm only "
                 "they read outputs int32 (docs/quantized-ops.md section 7); run_on_bpu keeps a "
                 "node on the BPU, set_model_output_int8 the whole int8 tail",
                 n_side, n_side == 1 ? "" : "s", n_side == 1 ? "s" : "");
    return 0;
}

int mapper_quantize(const mapper_stage *st, mapper_float *fl, const hbc_calib_table *tab,
                    const hbc_calset *cs, hbg_graph **qg, const hbc_logger *lg)
{
    hbg_graph *g = fl->g;
    unsigned char *place = malloc((size_t)g->n_nodes + 1);
    unsigned char *flt = malloc(2 * (size_t)g->n_nodes + 1);
    const char **cpu = calloc((size_t)g->n_nodes + 1, sizeof *cpu);
    hbc_quant_opts opts = {.place = place, .n_place = g->n_nodes};
    char err[1024];
    int rc = -1, n_cpu = 0, refine_on = 0;

    *qg = NULL;
    if (!place || !flt || !cpu) {
        HBC_LOGE(lg, "quantisation: out of memory");
        goto out;
    }
    if (fl->n_nodes != g->n_nodes) {
        HBC_LOGE(lg, "quantisation: the placement has %d nodes, the graph %d", fl->n_nodes,
                 g->n_nodes);
        goto out;
    }
    if (optimization_of(st->cfg, &opts.output_int8, &refine_on, lg) != 0)
        goto out;
    /* the output side on the CPU unless set_model_output_int8 asks for the int8 tail */
    opts.output_side_cpu = !opts.output_int8;
    HBC_LOGI(lg, "Start to quantize the model.");
    if (float_nodes(st, fl, tab, place, opts.output_int8, flt, cpu, &n_cpu, qg, lg) != 0)
        goto out;
    if (n_cpu > 0) {
        /* Place again with those nodes on the CPU, and quantise exactly that placement. */
        hbg_graph_free(*qg);
        *qg = NULL;
        if (mapper_replace(st, fl, cpu, n_cpu, lg) != 0)
            goto out;
        for (int i = 0; i < g->n_nodes; i++)
            place[i] = fl->bpu[i] ? HBC_PLACE_BPU : HBC_PLACE_CPU;
        if (hbc_quantize(g, tab, &opts, qg, err, sizeof err) != HBG_OK) {
            HBC_LOGE(lg, "quantisation failed: %s", err);
            goto out;
        }
    }
    if (refine_on && refine(fl, cs, *qg, lg) != 0)
        goto out;
    HBC_LOGI(lg, "End to quantize the model: %d nodes.", (*qg)->n_nodes);
    if (mapper_save_artifact(*qg, st, "quantized_model", lg) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0) {
        hbg_graph_free(*qg);
        *qg = NULL;
    }
    free(cpu);
    free(flt);
    free(place);
    return rc;
}
