#!/usr/bin/python3
"""Writes unused-initializer.onnx beside this file: y = Identity(x) plus an initializer no node reads.

ONNX Runtime warns about the unused initializer when it loads the model, which the binding's tests use to check
that ORT's own log messages reach the application's log sink. Run with Debian's python.
"""
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

graph = helper.make_graph(
    [helper.make_node("Identity", ["x"], ["y"])],
    "unused_initializer",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    initializer=[numpy_helper.from_array(np.zeros(4, dtype=np.float32), "never_used_weight")],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="searchservice-tests")
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, str(Path(__file__).resolve().parent / "unused-initializer.onnx"))
