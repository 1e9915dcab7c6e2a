#!/usr/bin/env python3
"""Write tests/unit/passes/torch_net.onnx: a small CNN exported by torch.onnx with the shapes an
unoptimised export has (BatchNormalization nodes after Conv and Linear, a Shape -> Gather ->
Unsqueeze -> Concat -> Reshape chain from x.view(x.size(0), -1) with a symbolic batch, Constant
and Cast nodes, ReLU6 as Clip, a Reshape -> Gemm head), so that the passes of converter/passes
have real work. The BN statistics are random (not the identity) so folding them shows in the
outputs.

usage: /usr/bin/python3 tests/unit/passes/make_torch_net.py
Made with torch 1.13.0a0 and onnx 1.12.0 (recorded in docs/passes.md)."""
import os

import torch
from torch import nn

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.bn2 = nn.BatchNorm2d(16)
        self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.bn3 = nn.BatchNorm2d(16)
        self.drop = nn.Dropout(0.2)
        self.fc1 = nn.Linear(16 * 4 * 4, 32)
        self.bn4 = nn.BatchNorm1d(32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.clamp(self.bn2(self.conv2(x)), 0.0, 6.0)
        y = torch.relu(self.bn3(self.dw(x)))
        x = nn.functional.max_pool2d(x + y, 2)
        x = x.view(x.size(0), -1)
        x = self.drop(x)
        x = torch.relu(self.bn4(self.fc1(x)))
        return self.fc2(x)


def main():
    net = Net()
    for m in net.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    net.eval()
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_net.onnx")
    torch.onnx.export(
        net,
        torch.randn(1, 3, 16, 16),
        out,
        opset_version=13,
        do_constant_folding=False,
        training=torch.onnx.TrainingMode.PRESERVE,
        input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": {0: "N"}, "logits": {0: "N"}},
    )
    print("wrote", out)


if __name__ == "__main__":
    main()
