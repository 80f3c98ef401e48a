"""Exports the large benchmark models (random weights; never committed) into bench/.models/.

/usr/bin/python3 bench/make_models.py   (Debian's python3-torch and python3-torchvision)
  vgg16.onnx      torchvision VGG-16, 138M parameters (~553 MB)
  resnet50.onnx   torchvision ResNet-50, 25.6M parameters
  bert_ffn.onnx   12 BERT-base feed-forward blocks (768 → 3072 → 768, GELU, residual, LayerNorm)
"""
import os
import sys

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
