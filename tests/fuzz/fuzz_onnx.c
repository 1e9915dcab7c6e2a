/* Fuzz target: the ONNX loader, then validation and preparation of whatever loads, must never
 * crash, hang or leak on any bytes. Inputs with unknown shapes are given a small fixed shape. */
#include <stddef.h>
#include <stdint.h>

#include "hbc/onnx_io.h"
#include "hbg/exec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hbg_graph *g = NULL;
    char err[512];
    if (hbc_onnx_load_mem(data, size, "fuzz", &g, err, sizeof err) != HBG_OK)
        return 0;
    for (int i = 0; i < g->n_inputs; i++) {
        hbg_tensor *t = g->tensors[g->inputs[i]];
        for (int d = 0; d < t->rank; d++)
            if (t->dims[d] < 0 || t->dims[d] > 64)
                t->dims[d] = 2; /* keep preparation small whatever the file claims */
    }
    hbg_exec *e = NULL;
    if (hbg_exec_create(g, &e) == HBG_OK) {
        hbg_exec_run(e);
        hbg_exec_free(e);
    }
    hbg_graph_free(g);
    return 0;
}
