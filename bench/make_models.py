"""Exports the large benchmark models (random weights; never committed) into bench/.models/.

/usr/bin/python3 bench/make_models.py   (Debian's python3-torch and python3-torchvision)
  vgg16.onnx      torchvision VGG-16, 138M parameters (~553 MB)
  resnet50.onnx   torchvision ResNet-50, 25.6M parameters
  bert_ffn.onnx   12 BERT-base feed-forward blocks (768 → 3072 → 768, GELU, residual, LayerNorm)
  wide_external.onnx + .data   over 2 GB, so in ONNX's external-data format: 36 branches
                  MatMul(16384 → 1024) + Relu, concatenated, then MatMul(36864 → 10)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper
import torch
import torch.nn as nn
import torchvision

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".models")
os.makedirs(OUT, exist_ok=True)


class FeedForward(nn.Module):
    def __init__(self):
        super().__init__()
        self.up, self.down, self.norm = nn.Linear(768, 3072), nn.Linear(3072, 768), nn.LayerNorm(768)

    def forward(self, x):
        return self.norm(x + self.down(nn.functional.gelu(self.up(x))))


def export(model, example, name):
    path = os.path.join(OUT, name + ".onnx")
    if os.path.exists(path):
        return
    torch.onnx.export(model.eval(), example, path, opset_version=13, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    print(name, os.path.getsize(path), "bytes", file=sys.stderr)


torch.manual_seed(0)
export(torchvision.models.vgg16(), torch.randn(1, 3, 224, 224), "vgg16")
export(torchvision.models.resnet50(), torch.randn(1, 3, 224, 224), "resnet50")
export(nn.Sequential(*[FeedForward() for _ in range(12)]), torch.randn(1, 128, 768), "bert_ffn")


def wide_external(branches=36, width=16384, hidden=1024, classes=10):
    """Written tensor by tensor straight into the data file: never held whole in memory."""
    path = os.path.join(OUT, "wide_external.onnx")
    if os.path.exists(path):
        return
    data_name = "wide_external.onnx.data"
    rng = np.random.default_rng(0)
    initializers, nodes, offset = [], [], 0
    with open(os.path.join(OUT, data_name), "wb") as data:
        def add(name, array):
            nonlocal offset
            raw = np.ascontiguousarray(array, dtype=np.float32).tobytes()
            data.write(raw)
            tensor = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=array.shape, data_location=TensorProto.EXTERNAL)
            for key, value in (("location", data_name), ("offset", str(offset)), ("length", str(len(raw)))):
                entry = tensor.external_data.add()
                entry.key, entry.value = key, value
            initializers.append(tensor)
            offset += len(raw)
        for b in range(branches):
            add(f"w{b}", (rng.random((width, hidden), dtype=np.float32) - 0.5) * 0.02)
            nodes += [helper.make_node("MatMul", ["input", f"w{b}"], [f"h{b}"], name=f"branch{b}"),
                      helper.make_node("Relu", [f"h{b}"], [f"r{b}"], name=f"relu{b}")]
        add("head", (rng.random((branches * hidden, classes), dtype=np.float32) - 0.5) * 0.02)
    nodes += [helper.make_node("Concat", [f"r{b}" for b in range(branches)], ["features"], axis=1, name="concat"),
              helper.make_node("MatMul", ["features", "head"], ["output"], name="head")]
    graph = helper.make_graph(nodes, "wide_external", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", width])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", classes])], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    print("wide_external", offset, "bytes of external data", file=sys.stderr)


wide_external()
