#!/usr/bin/env python3
"""Independent counts for tests/unit/passes/test_passes_models.c, from ONNX files with the onnx
package (not our loader or passes): per model, the Conv/Gemm -> Relu/Clip pairs whose producer
output has exactly one reader and is not a graph output (the rule of hbc_fused_act), the
Constant nodes (which fold_constants turns into initializers) and the node count. Run it on the
original models and on the optimized models hbc_optimize saved (docs/passes.md).

usage: /usr/bin/python3 tests/unit/passes/count_fusable.py model.onnx...
Run with onnx 1.12.0 (see docs/passes.md for the figures)."""
import sys

import onnx


def counts(path):
    g = onnx.load(path).graph
    readers = {}
    for n in g.node:
        for i in n.input:
            readers.setdefault(i, []).append(n)
    inits = {t.name for t in g.initializer}
    consts = {n.output[0] for n in g.node if n.op_type == "Constant"}
    outs = {o.name for o in g.output}
    fused = 0
    for n in g.node:
        if n.op_type not in ("Conv", "Gemm") or n.output[0] in outs:
            continue
        r = readers.get(n.output[0], [])
        if len(r) != 1 or r[0].input[0] != n.output[0]:
            continue
        u = r[0]
        if u.op_type == "Relu" or (
            u.op_type == "Clip" and all(b == "" or b in inits or b in consts for b in u.input[1:])
        ):
            fused += 1
    n_const = sum(n.op_type == "Constant" for n in g.node)
    return len(g.node), n_const, fused


for p in sys.argv[1:]:
    nodes, n_const, fused = counts(p)
    print(f"{p}: nodes {nodes}, Constant nodes {n_const}, fusable Conv/Gemm+Relu/Clip {fused}")
