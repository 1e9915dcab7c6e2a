/* calibration_type load: thresholds from the QuantizeLinear/DequantizeLinear pairs of a QAT model.
 *
 * Each QuantizeLinear whose input is an activation gives that input T = scale * 127 (symmetric
 * int8: zero point 0 of type int8); each DequantizeLinear whose output is an activation gives its
 * output T = scale * 127 likewise. Pairs on constants (fake-quantised weights) fold at prepare
 * time and are ignored. Refused, naming the node: a non-zero zero point, uint8 (asymmetric)
 * quantisation, per-axis scales on an activation, a scale that is not a known positive number.
 */
#include <math.h>

#include "calib_priv.h"

/* The scale of a Q or DQ node as a per-tensor positive float, or an error naming the node. */
static hbg_status pair_scale(const hbg_graph *g, const hbg_node *n, double *scale, char *err,
                             size_t errlen)
{
    const char *label = hbg_node_label(g, n);
    const hbg_tensor *s = n->n_in > 1 && n->in[1] >= 0 ? g->tensors[n->in[1]] : NULL;
    const hbg_tensor *z = n->n_in > 2 && n->in[2] >= 0 ? g->tensors[n->in[2]] : NULL;
    if (!s || !s->data || s->dtype != HBG_DT_F32)
        return calib_fail(err, errlen, HBG_E_UNSUPPORTED,
                          "node '%s' (%s): the scale must be a constant float", label, n->op_type);
    if (hbg_tensor_numel(s) != 1)
        return calib_fail(err, errlen, HBG_E_UNSUPPORTED,
                          "node '%s' (%s): per-axis quantisation of an activation is not "
                          "supported (activations are per tensor)",
                          label, n->op_type);
    if (!z || z->dtype != HBG_DT_I8)
        return calib_fail(err, errlen, HBG_E_UNSUPPORTED,
                          "node '%s' (%s): uint8 (asymmetric) quantisation is not supported; "
                          "export symmetric int8 (int8 zero point 0)",
                          label, n->op_type);
    if (!z->data || hbg_tensor_numel(z) != 1)
        return calib_fail(err, errlen, HBG_E_UNSUPPORTED,
                          "node '%s' (%s): the zero point must be a constant scalar", label,
                          n->op_type);
    if (hbg_tensor_get_int(z, 0) != 0)
        return calib_fail(err, errlen, HBG_E_UNSUPPORTED,
                          "node '%s' (%s): zero point %lld is not supported; activations are "
                          "symmetric (zero point 0)",
                          label, n->op_type, (long long)hbg_tensor_get_int(z, 0));
    *scale = hbg_tensor_get_double(s, 0);
    if (!(*scale > 0.0) || !isfinite(*scale))
        return calib_fail(err, errlen, HBG_E_INVALID, "node '%s' (%s): scale %g is not positive",
                          label, n->op_type, *scale);
    return HBG_OK;
}

static void set_thr(const hbg_graph *g, double *thr, int t, double v, const hbc_logger *lg)
{
    if (thr[t] > 0.0 && thr[t] != v)
        HBC_LOGW(lg, "tensor '%s' has two QAT thresholds (%.9g and %.9g); the larger is kept",
                 g->tensors[t]->name, thr[t], v);
    thr[t] = v > thr[t] ? v : thr[t];
}

hbg_status calib_load_thresholds(const hbg_graph *g, const unsigned char *is_act, double *thr,
                                 const hbc_logger *lg, char *err, size_t errlen)
{
    int pairs = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const hbg_node *n = &g->nodes[i];
        int t;
        if (n->op == HBG_OP_QUANTIZELINEAR)
            t = n->n_in > 0 ? n->in[0] : -1;
        else if (n->op == HBG_OP_DEQUANTIZELINEAR)
            t = n->n_out > 0 ? n->out[0] : -1;
        else
            continue;
        if (t < 0 || !is_act[t])
            continue; /* a weight's pair, folded at prepare time */
        double scale = 0.0;
        hbg_status st = pair_scale(g, n, &scale, err, errlen);
        if (st != HBG_OK)
            return st;
        set_thr(g, thr, t, scale * 127.0, lg);
        pairs += n->op == HBG_OP_QUANTIZELINEAR;
    }
    if (!pairs)
        return calib_fail(err, errlen, HBG_E_INVALID,
                          "calibration_type load: the model has no QuantizeLinear node on an "
                          "activation (is it a QAT export?)");
    HBC_LOGI(lg, "calibration load: %d QuantizeLinear nodes on activations", pairs);
    return HBG_OK;
}
