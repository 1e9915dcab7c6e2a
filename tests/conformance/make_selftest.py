#!/usr/bin/python3
"""Write tests/conformance/selftest/: a tiny tree in the layout of ONNX's backend test data whose
expected outcome is known, so that ctest can check hb_conformance itself (conformance_selftest):
a wrong value must FAIL at the right index, an unsupported domain must SKIP, NaN must equal NaN,
and tolerances.txt must loosen one case.

Usage: /usr/bin/python3 tests/conformance/make_selftest.py   (python3-onnx 1.12, numpy)
Expected outputs are computed here with numpy, then perturbed on purpose where a case must fail.
"""
import os
import shutil

import numpy as np
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "selftest")


def write_case(name, nodes, inputs, outputs, in_arrays, out_arrays, opsets=(("", 13),)):
    d = os.path.join(ROOT, "node", name)
    os.makedirs(os.path.join(d, "test_data_set_0"))
    g = helper.make_graph(nodes, name, inputs, outputs)
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

    with open(os.path.join(ROOT, "tolerances.txt"), "w") as f:
        f.write("# hb_conformance self-test: loosens one case on purpose\n"
                "node/test_tolerance 1e-2 0 the expected value is 0.5% off on purpose\n")


if __name__ == "__main__":
    main()
