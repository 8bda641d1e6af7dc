#!/usr/bin/python3
"""Writes matmul-chain.onnx beside this file: y = x @ W applied 1000 times in sequence (one shared 256x256 weight).

A run on a [256, 256] input takes seconds on one core, long enough for the binding's tests to cancel it in flight;
a [1, 256] input runs in about a millisecond for the concurrency tests. Deterministic (seeded).
Run with Debian's python: /usr/bin/python3 make_matmul_chain.py
"""
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

STEPS = 1000
WIDTH = 256

weight = np.random.default_rng(7).standard_normal((WIDTH, WIDTH)).astype(np.float32) / np.sqrt(WIDTH)
nodes = []
previous = "x"
for step in range(STEPS):
    current = "y" if step == STEPS - 1 else f"h{step}"
    nodes.append(helper.make_node("MatMul", [previous, "w"], [current], name=f"matmul{step}"))
    previous = current

graph = helper.make_graph(
    nodes,
    "matmul_chain",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", WIDTH])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", WIDTH])],
    initializer=[numpy_helper.from_array(weight, "w")],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="searchservice-tests")
model.ir_version = 8
model.doc_string = "Sequential MatMul chain for cancellation tests"
helper.set_model_props(model, {"purpose": "cancellation", "steps": str(STEPS)})
onnx.checker.check_model(model)
onnx.save(model, str(Path(__file__).resolve().parent / "matmul-chain.onnx"))
