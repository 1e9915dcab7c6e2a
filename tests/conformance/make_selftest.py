#!/usr/bin/python3
"""Write tests/conformance/selftest/: a tiny tree in the layout of ONNX's backend test data whose
expected outcome is known, so that ctest can check hb_conformance itself (conformance_selftest):
a wrong value must FAIL at the right index, an unsupported domain must SKIP, NaN must equal NaN,
tolerances.txt must loosen one case, a Reshape whose shape is a graph input must run with that
input bound as a constant, and --check must find table.md stale (it lists test_add_wrong as PASS).

Usage: /usr/bin/python3 tests/conformance/make_selftest.py   (python3-onnx 1.12, numpy)
Expected outputs are computed here with numpy, then perturbed on purpose where a case must fail.
"""
import os
import shutil

import numpy as np
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "selftest")


def write_case(name, nodes, inputs, outputs, in_arrays, out_arrays, opsets=(("", 13),),
               inits=()):
    d = os.path.join(ROOT, "node", name)
    os.makedirs(os.path.join(d, "test_data_set_0"))
    g = helper.make_graph(nodes, name, inputs, outputs,
                          initializer=[numpy_helper.from_array(a, n) for n, a in inits])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid(a, b) for a, b in opsets])
    m.ir_version = 8
    with open(os.path.join(d, "model.onnx"), "wb") as f:
        f.write(m.SerializeToString())
    for kind, arrays in (("input", in_arrays), ("output", out_arrays)):
        for i, a in enumerate(arrays):
            with open(os.path.join(d, "test_data_set_0", "%s_%d.pb" % (kind, i)), "wb") as f:
                f.write(numpy_helper.from_array(a).SerializeToString())


def vi(name, dt, shape):
    return helper.make_tensor_value_info(name, dt, shape)


def add_case(name, scale_at_2):
    """y = a + b; the expected value at index 2 is multiplied by scale_at_2."""
    a = np.array([1.0, -2.0, 3.0, 0.5], dtype=np.float32)
    b = np.array([0.25, 4.0, 1.0, -0.5], dtype=np.float32)
    y = a + b
    y[2] *= scale_at_2
    write_case(name, [helper.make_node("Add", ["a", "b"], ["y"])],
               [vi("a", TensorProto.FLOAT, [4]), vi("b", TensorProto.FLOAT, [4])],
               [vi("y", TensorProto.FLOAT, [4])], [a, b], [y])


def main():
    shutil.rmtree(ROOT, ignore_errors=True)
    add_case("test_add_within_tol", 1 + 5e-4)  # inside rtol 1e-3
    add_case("test_add_wrong", 1 + 1e-2)  # outside: FAIL at [2]
    add_case("test_tolerance", 1 + 5e-3)  # outside the default, inside tolerances.txt's 1e-2

    x = np.array([1.0, np.nan, -np.inf, 3.0], dtype=np.float32)
    write_case("test_identity_nan", [helper.make_node("Identity", ["x"], ["y"])],
               [vi("x", TensorProto.FLOAT, [4])], [vi("y", TensorProto.FLOAT, [4])], [x], [x])

    a = np.array([1, 2, 3], dtype=np.int64)
    y = a + a
    y[1] += 1  # integers compare exactly: FAIL at [1]
    write_case("test_int_exact", [helper.make_node("Add", ["a", "a"], ["y"])],
               [vi("a", TensorProto.INT64, [3])], [vi("y", TensorProto.INT64, [3])], [a], [y])

    write_case("test_unsupported", [helper.make_node("Foo", ["x"], ["y"], domain="com.example")],
               [vi("x", TensorProto.FLOAT, [4])], [vi("y", TensorProto.FLOAT, [4])], [x], [x],
               opsets=(("", 13), ("com.example", 1)))

    x6 = np.arange(6, dtype=np.float32)
    shape = np.array([3, 2], dtype=np.int64)
    write_case("test_reshape_bound", [helper.make_node("Reshape", ["x", "shape"], ["y"])],
               [vi("x", TensorProto.FLOAT, [6]), vi("shape", TensorProto.INT64, [2])],
               [vi("y", TensorProto.FLOAT, [3, 2])], [x6, shape], [x6.reshape(3, 2)])

    # Opset 1..6 models: accepted node by node (converter/onnx/onnx_legacy.c).
    x3 = np.array([-1.0, 0.5, 2.0], dtype=np.float32)
    write_case("test_v5_relu", [helper.make_node("Relu", ["x"], ["y"])],
               [vi("x", TensorProto.FLOAT, [3])], [vi("y", TensorProto.FLOAT, [3])], [x3],
               [np.maximum(x3, 0)], opsets=(("", 5),))  # Relu-1 there: refused
    write_case("test_v6_relu", [helper.make_node("Relu", ["x"], ["y"])],
               [vi("x", TensorProto.FLOAT, [3])], [vi("y", TensorProto.FLOAT, [3])], [x3],
               [np.maximum(x3, 0)], opsets=(("", 6),))  # Relu-6, as in opset 7: runs
    c1 = np.ones(1, dtype=np.float32)
    x4 = np.array([[[1.0, 2.0]]], dtype=np.float32)  # N=1, C=1, W=2
    write_case("test_v6_batchnorm_training",
               [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])],
               [vi("x", TensorProto.FLOAT, [1, 1, 2])] +
               [vi(n, TensorProto.FLOAT, [1]) for n in "sbmv"],
               [vi("y", TensorProto.FLOAT, [1, 1, 2])], [x4, c1, c1, c1, c1], [x4],
               opsets=(("", 6),))  # is_test defaults to 0 in BatchNormalization-6: refused
    # Add-6 aligning B [3] at axis 1 of A [2,3,2]: y = a + b[:, None]. A constant B is padded
    # to [3,1] by the loader; a B fed as a graph input cannot be, and is refused.
    a6 = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    b6 = np.array([100.0, 200.0, 300.0], dtype=np.float32)
    add6 = helper.make_node("Add", ["a", "b"], ["y"], broadcast=1, axis=1)
    write_case("test_v6_add_axis_const", [add6], [vi("a", TensorProto.FLOAT, [2, 3, 2])],
               [vi("y", TensorProto.FLOAT, [2, 3, 2])], [a6], [a6 + b6[:, None]],
               opsets=(("", 6),), inits=(("b", b6),))
    write_case("test_v6_add_axis_input", [add6],
               [vi("a", TensorProto.FLOAT, [2, 3, 2]), vi("b", TensorProto.FLOAT, [3])],
               [vi("y", TensorProto.FLOAT, [2, 3, 2])], [a6, b6], [a6 + b6[:, None]],
               opsets=(("", 6),))
    write_case("test_v18", [helper.make_node("Relu", ["x"], ["y"])],
               [vi("x", TensorProto.FLOAT, [3])], [vi("y", TensorProto.FLOAT, [3])], [x3],
               [np.maximum(x3, 0)], opsets=(("", 18),))

    with open(os.path.join(ROOT, "table.md"), "w") as f:
        f.write("| suite | case | result | reason / note |\n|---|---|---|---|\n")
        for name, res in (("test_add_within_tol", "PASS"), ("test_add_wrong", "PASS"),
                          ("test_identity_nan", "PASS"), ("test_int_exact", "FAIL"),
                          ("test_reshape_bound", "PASS"), ("test_tolerance", "PASS"),
                          ("test_unsupported", "SKIP"), ("test_v18", "SKIP"),
                          ("test_v5_relu", "SKIP"), ("test_v6_add_axis_const", "PASS"),
                          ("test_v6_add_axis_input", "SKIP"),
                          ("test_v6_batchnorm_training", "SKIP"),
                          ("test_v6_relu", "PASS")):
            f.write("| node | %s | %s |  |\n" % (name, res))

    with open(os.path.join(ROOT, "tolerances.txt"), "w") as f:
        f.write("# hb_conformance self-test: loosens one case on purpose\n"
                "node/test_tolerance 1e-2 0 the expected value is 0.5% off on purpose\n")


if __name__ == "__main__":
    main()
