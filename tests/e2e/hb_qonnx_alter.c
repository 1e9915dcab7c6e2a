/* Test tool: a copy of an ONNX model with one integer parameter of one node changed, so a test can
 * show that hb_verifier --per-layer names exactly that node (tests/e2e/per_layer.sh).
 *
 *   hb_qonnx_alter IN.onnx OUT.onnx NODE ATTR INDEX DELTA
 *
 * Adds DELTA to element INDEX of the INT or INTS attribute ATTR of the node named NODE (its
 * name, or its first output's name when it has none). Exit 0, 1 (a message names what is
 * missing), 2 usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hbc/onnx_io.h"

int main(int argc, char **argv)
{
    char err[512], *end1, *end2;
    hbg_graph *g = NULL;
    int rc = 1;
    if (argc != 7) {
        fprintf(stderr, "usage: hb_qonnx_alter IN.onnx OUT.onnx NODE ATTR INDEX DELTA\n");
        return 2;
    }
    long index = strtol(argv[5], &end1, 10);
    long long delta = strtoll(argv[6], &end2, 10);
    if (*end1 || *end2 || index < 0) {
        fprintf(stderr, "hb_qonnx_alter: INDEX and DELTA must be integers, INDEX >= 0\n");
        return 2;
    }
    if (hbc_onnx_load_file(argv[1], &g, err, sizeof err) != HBG_OK) {
        fprintf(stderr, "hb_qonnx_alter: %s\n", err);
        return 1;
    }
    hbg_attr *a = NULL;
    for (int i = 0; i < g->n_nodes && !a; i++) {
        hbg_node *nd = &g->nodes[i];
        if (strcmp(hbg_node_label(g, nd), argv[3]) != 0)
            continue;
        for (int k = 0; k < nd->n_attr && !a; k++)
            if (!strcmp(nd->attrs[k].name, argv[4]))
                a = &nd->attrs[k];
    }
    if (!a) {
        fprintf(stderr, "hb_qonnx_alter: %s: no node '%s' with an attribute '%s'\n", argv[1],
                argv[3], argv[4]);
        goto out;
    }
    if (a->type == HBG_ATTR_INT && index == 0) {
        a->i += delta;
    } else if (a->type == HBG_ATTR_INTS && (size_t)index < a->n) {
        a->ints[index] += delta;
    } else {
        fprintf(stderr, "hb_qonnx_alter: attribute '%s' of '%s' has no integer element %ld\n",
                argv[4], argv[3], index);
        goto out;
    }
    if (hbc_onnx_save_file(g, argv[2], err, sizeof err) != HBG_OK) {
        fprintf(stderr, "hb_qonnx_alter: %s\n", err);
        goto out;
    }
    rc = 0;
out:
    hbg_graph_free(g);
    return rc;
}
