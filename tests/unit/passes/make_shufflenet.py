#!/usr/bin/python3
"""Make tests/unit/passes/shufflenet_tv.onnx: a small ShuffleNetV2 written the way torchvision's
shufflenetv2.py writes it (channel_shuffle = view(n, g, c // g, h, w), transpose(1, 2),
view(n, -1, h, w); x.chunk(2, dim=1) at the start of a stride-1 block), with random weights
(seed 0), 3x64x64 input, 10 outputs, exported by torch.onnx at opset 13 without constant
folding. It exercises the passes' channel_shuffle (the torchvision form becomes a channel
Gather) and, after hbc_optimize, the placement, quantiser and compiler on a whole network.

usage: /usr/bin/python3 tests/unit/passes/make_shufflenet.py [OUT.onnx]
"""
import sys

import torch
from torch import nn


def channel_shuffle(x, groups):
    n, c, h, w = x.size()
    x = x.view(n, groups, c // groups, h, w)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(n, -1, h, w)


def branch(cin, cout, stride):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
        nn.Conv2d(cout, cout, 3, stride, 1, groups=cout, bias=False), nn.BatchNorm2d(cout),
        nn.Conv2d(cout, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride = stride
        half = cout // 2
        if stride > 1:
            self.branch1 = nn.Sequential(
                nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False), nn.BatchNorm2d(cin),
                nn.Conv2d(cin, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU())
        self.branch2 = branch(cin if stride > 1 else half, half, stride)

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "shufflenet_tv.onnx"
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        Block(16, 32, 2), Block(32, 32, 1), Block(32, 32, 1),
        nn.Conv2d(32, 64, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
    for m in net.modules():  # non-trivial BN statistics, so folding them is exercised
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    net.eval()
    torch.onnx.export(net, torch.rand(1, 3, 64, 64), out, opset_version=13,
                      do_constant_folding=False, input_names=["input"], output_names=["logits"])


if __name__ == "__main__":
    main()
