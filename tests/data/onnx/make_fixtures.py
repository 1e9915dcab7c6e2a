#!/usr/bin/python3
"""Write the small ONNX fixtures of tests/unit/test_onnx_io.c into this directory.

Usage:
  /usr/bin/python3 tests/data/onnx/make_fixtures.py            # (re)write the fixtures here
  /usr/bin/python3 tests/data/onnx/make_fixtures.py --check DIR
      run onnx.checker.check_model (full_check) on every .onnx file in DIR, e.g. the files the
      unit test saves into <build>/tests/onnx_roundtrip/, and exit non-zero if one fails.

Made with python3-onnx 1.12.0 and numpy (Debian 12). The valid fixtures pass onnx.checker (except
noshape.onnx, see there); each bad_*.onnx has one defect the loader must refuse.
The expected values in test_onnx_io.c are the literals written below, not read back by onnx.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def save(model, name, check=True):
    if check:
        onnx.checker.check_model(model, full_check=True)
    path = os.path.join(HERE, name)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())


def model(graph, opset=13, ir=8, extra_opsets=()):
    ops = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    m = helper.make_model(graph, opset_imports=ops, producer_name="make_fixtures.py",
                          producer_version="1")
    m.ir_version = ir
    return m


def constants():
    """Constant nodes with every value kind, attributes of every kind, a dim_param input."""
    c = np.array([[1, 2], [3, 4]], dtype=np.float32)
    nodes = [
        helper.make_node("Constant", [], ["c_tensor"], name="k_tensor",
                         value=numpy_helper.from_array(c, "c_value")),
        helper.make_node("Constant", [], ["c_float"], name="k_float", value_float=2.5),
        helper.make_node("Constant", [], ["c_int"], name="k_int", value_int=7),
        helper.make_node("Constant", [], ["c_floats"], name="k_floats", value_floats=[1.5, -2.0]),
        helper.make_node("Constant", [], ["c_ints"], name="k_ints", value_ints=[3, -4, 5]),
        helper.make_node("Constant", [], ["c_string"], name="k_string", value_string="hello"),
        helper.make_node("Constant", [], ["c_strings"], name="k_strings",
                         value_strings=["a", "bc"]),
        helper.make_node("Add", ["x", "c_tensor"], ["sum"], name="add"),
        helper.make_node("LeakyRelu", ["sum"], ["act"], name="lrelu", alpha=0.125),
        helper.make_node("Transpose", ["act"], ["y"], name="tr", perm=[1, 0]),
    ]
    g = helper.make_graph(nodes, "constants",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])])
    save(model(g), "constants.onnx")


def ir3_initializers():
    """IR 3 / opset 7: initializers (typed float_data) also listed as graph inputs."""
    w = helper.make_tensor("w", TensorProto.FLOAT, [3, 2], [1, 2, 3, 4, 5, 6])
    b = helper.make_tensor("b", TensorProto.FLOAT, [2], [0.5, -0.5])
    nodes = [helper.make_node("MatMul", ["x", "w"], ["xw"], name="mm"),
             helper.make_node("Add", ["xw", "b"], ["y"], name="add")]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3]),
              helper.make_tensor_value_info("w", TensorProto.FLOAT, [3, 2]),
              helper.make_tensor_value_info("b", TensorProto.FLOAT, [2])]
    g = helper.make_graph(nodes, "ir3", inputs,
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
                          initializer=[w, b])
    save(model(g, opset=7, ir=3), "ir3_initializers.onnx")


# One value list per element type: extremes of each range; the C test holds the same literals.
VALUES = {
    "float": (TensorProto.FLOAT, np.float32, [1.5, -2.0, 0.25]),
    "double": (TensorProto.DOUBLE, np.float64, [1e300, -0.5, 3.0]),
    "int8": (TensorProto.INT8, np.int8, [-128, -1, 127]),
    "uint8": (TensorProto.UINT8, np.uint8, [0, 200, 255]),
    "int32": (TensorProto.INT32, np.int32, [-2147483648, 0, 2147483647]),
    "int64": (TensorProto.INT64, np.int64, [-9223372036854775808, 1, 9223372036854775807]),
    "bool": (TensorProto.BOOL, np.bool_, [True, False, True]),
}


def tensors():
    """Each element type twice: typed field (<type>_typed) and raw_data (<type>_raw); a scalar
    and an empty tensor."""
    inits = []
    for name, (dt, npt, vals) in VALUES.items():
        inits.append(helper.make_tensor(name + "_typed", dt, [3], vals))
        inits.append(helper.make_tensor(name + "_raw", dt, [3],
                                        np.array(vals, dtype=npt).tobytes(), raw=True))
    inits.append(numpy_helper.from_array(np.array(42, dtype=np.int64), "scalar"))
    inits.append(numpy_helper.from_array(np.zeros((0, 2), dtype=np.float32), "empty"))
    g = helper.make_graph([helper.make_node("Identity", ["float_raw"], ["y"], name="id")],
                          "tensors", [],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])],
                          initializer=inits)
    save(model(g), "tensors.onnx")


def shapes():
    """dim_param, an unset dim, outputs with symbolic dims."""
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, ["batch", 3, "h", 5])
    c = helper.make_tensor_value_info("c", TensorProto.UINT8, [2, None])
    nodes = [helper.make_node("Shape", ["a"], ["sa"], name="shape"),
             helper.make_node("Identity", ["c"], ["yc"], name="idc")]
    outs = [helper.make_tensor_value_info("sa", TensorProto.INT64, [4]),
            helper.make_tensor_value_info("yc", TensorProto.UINT8, [2, "w"])]
    g = helper.make_graph(nodes, "shapes", [a, c], outs)
    save(model(g), "shapes.onnx")


def noshape():
    """An input and an output with a type but no shape, and an output with no type at all. The
    IR allows this; onnx 1.12's checker wants a shape on graph inputs/outputs, so no check."""
    b = helper.make_tensor_value_info("b", TensorProto.INT64, None)
    nodes = [helper.make_node("Identity", ["b"], ["yb"], name="idb"),
             helper.make_node("Identity", ["b"], ["yu"], name="idu")]
    yu = onnx.ValueInfoProto()
    yu.name = "yu"
    g = helper.make_graph(nodes, "noshape", [b],
                          [helper.make_tensor_value_info("yb", TensorProto.INT64, None), yu])
    save(model(g), "noshape.onnx", check=False)


def optional():
    """An omitted optional input (Clip's min) and an omitted optional output (Dropout's mask)."""
    mx = numpy_helper.from_array(np.array(6, dtype=np.float32), "max")
    nodes = [helper.make_node("Clip", ["x", "", "max"], ["clipped"], name="clip"),
             helper.make_node("Dropout", ["clipped"], ["y", ""], name="drop")]
    g = helper.make_graph(nodes, "optional",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
                          initializer=[mx])
    save(model(g), "optional.onnx")


def tensor_files():
    """TensorProto files as in ONNX test data: raw_data and typed float_data."""
    t = numpy_helper.from_array(np.array([[1, -2], [3, -4]], dtype=np.int64), "t64")
    with open(os.path.join(HERE, "tensor_int64.pb"), "wb") as f:
        f.write(t.SerializeToString())
    t = helper.make_tensor("tf", TensorProto.FLOAT, [3], [0.5, 1.0, -1.5])
    with open(os.path.join(HERE, "tensor_float.pb"), "wb") as f:
        f.write(t.SerializeToString())


def simple_graph(inits=(), nodes=None, inputs=None, outputs=None):
    nodes = nodes or [helper.make_node("Identity", ["x"], ["y"], name="id")]
    inputs = inputs or [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])]
    outputs = outputs or [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])]
    return helper.make_graph(nodes, "bad", inputs, outputs, initializer=list(inits))


def raw_tensor(name, dt, dims, raw):
    """A TensorProto built field by field, so that its size need not match its shape."""
    t = TensorProto()
    t.name, t.data_type, t.raw_data = name, dt, raw
    t.dims.extend(dims)
    return t


def malformed():
    """One defect per file, malformed or outside what we support (some pass onnx.checker)."""
    t = raw_tensor("w_bad", TensorProto.FLOAT, [2, 3], b"\0" * 20)
    save(model(simple_graph([t])), "bad_raw_size.onnx", check=False)

    x = helper.make_tensor_value_info("x_neg", TensorProto.FLOAT, [1, -3])
    g = simple_graph(nodes=[helper.make_node("Identity", ["x_neg"], ["y"], name="id")],
                     inputs=[x])
    save(model(g), "bad_neg_dim.onnx", check=False)

    t = raw_tensor("w_neg", TensorProto.FLOAT, [-4], b"")
    save(model(simple_graph([t])), "bad_neg_dim_init.onnx", check=False)

    t = helper.make_tensor("w_ext", TensorProto.FLOAT, [2], [0, 0])
    del t.float_data[:]
    t.data_location = TensorProto.EXTERNAL
    e = t.external_data.add()
    e.key, e.value = "location", "weights.bin"
    save(model(simple_graph([t])), "bad_external.onnx", check=False)

    n = helper.make_node("Foo", ["x"], ["y"], name="custom_node", domain="com.microsoft")
    save(model(simple_graph(nodes=[n]), extra_opsets=[("com.microsoft", 1)]), "bad_domain.onnx",
         check=False)

    br = helper.make_graph([helper.make_node("Identity", ["x"], ["t"], name="then_id")], "then",
                           [], [helper.make_tensor_value_info("t", TensorProto.FLOAT, [2])])
    n = helper.make_node("If", ["cond"], ["y"], name="if_node", then_branch=br, else_branch=br)
    cond = helper.make_tensor_value_info("cond", TensorProto.BOOL, [])
    g = simple_graph(nodes=[n], inputs=[cond, helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                            [2])])
    save(model(g), "bad_subgraph.onnx", check=False)

    t = helper.make_tensor("w_half", TensorProto.FLOAT16, [2], [0, 0])
    save(model(simple_graph([t])), "bad_float16.onnx", check=False)

    t = helper.make_tensor("w_i8", TensorProto.INT8, [2], [1, 300])
    save(model(simple_graph([t])), "bad_int8_range.onnx", check=False)

    n = helper.make_node("Add", ["x", "nowhere"], ["y"], name="dangling_add")
    save(model(simple_graph(nodes=[n])), "bad_dangling.onnx", check=False)

    save(model(simple_graph(), opset=5), "bad_opset.onnx", check=False)


def check_dir(d):
    bad = 0
    for name in sorted(os.listdir(d)):
        if not name.endswith(".onnx"):
            continue
        try:
            onnx.checker.check_model(onnx.load(os.path.join(d, name)), full_check=True)
            print("ok  ", name)
        except Exception as e:  # report every file, then fail
            bad += 1
            print("FAIL", name, str(e).splitlines()[0])
    return bad


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        sys.exit(1 if check_dir(sys.argv[2]) else 0)
    if len(sys.argv) != 1:
        sys.exit(__doc__)
    constants()
    ir3_initializers()
    tensors()
    shapes()
    noshape()
    optional()
    tensor_files()
    malformed()


if __name__ == "__main__":
    main()
