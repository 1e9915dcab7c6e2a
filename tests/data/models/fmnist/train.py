#!/usr/bin/python3
"""Train the Fashion-MNIST models used by the calibration tests and write them as ONNX.

Outputs (beside this script):
  fmnist_cnn.onnx  float CNN, input 'image' 1x1x28x28 = pixel / 255, output 'logits' 1x10.
                   Conv-Relu-MaxPool x2, Flatten, Gemm-Relu, Gemm (opset 13).
  fmnist_qat.onnx  a tiny CNN fine-tuned with fake quantisation (symmetric int8, zero point 0):
                   QuantizeLinear/DequantizeLinear pairs on the input and on every activation,
                   per-output-channel weight fake-quant; its thresholds (scale * 127) are what
                   calibration 'load' must reproduce.
  fmnist_qat_scales.txt  tensor-independent list of the QAT activation scales in float32 hex, in
                   the order of the model (for humans; the tests read the ONNX file).
  RESULTS.md       float test accuracy of both models over the 10,000 test images.

Data: the Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist, IDX files).
Deterministic: fixed seeds, one thread order; about 2-4 minutes on 2 cores.
Run: /usr/bin/python3 tests/data/models/fmnist/train.py   (python3-torch, python3-onnx)
"""
import gzip
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"
HERE = os.path.dirname(os.path.abspath(__file__))


def read_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        buf = f.read()
    ndim = buf[3]
    dims = [int.from_bytes(buf[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(buf, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 16, 3, padding=1)
        self.c2 = nn.Conv2d(16, 32, 3, padding=1)
        self.f1 = nn.Linear(32 * 7 * 7, 32)
        self.f2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = torch.flatten(x, 1)
        return self.f2(F.relu(self.f1(x)))


def fq_act(x, scale):
    return torch.fake_quantize_per_tensor_affine(x, scale, 0, -128, 127)


def fq_weight(w):
    amax = w.detach().abs().reshape(w.shape[0], -1).max(dim=1).values.clamp(min=1e-8)
    scale = (amax / 127.0).float()
    zp = torch.zeros(w.shape[0], dtype=torch.int32)
    # |w| / scale <= 127, so the (-128, 127) range ONNX export requires never reaches -128
    return torch.fake_quantize_per_channel_affine(w, scale, zp, 0, -128, 127)


class Qat(nn.Module):
    """Tiny net with fixed per-tensor activation scales (set from data, then fine-tuned with them)."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 8, 3, stride=2)   # 28 -> 13
        self.c2 = nn.Conv2d(8, 16, 3, stride=2)  # 13 -> 6
        self.f1 = nn.Linear(16 * 6 * 6, 10)
        self.scales = [1.0] * 4
        self.quant = False

    def forward(self, x):
        s = self.scales
        q = (lambda t, i: fq_act(t, s[i])) if self.quant else (lambda t, i: t)
        w = fq_weight if self.quant else (lambda t: t)
        x = q(x, 0)
        x = q(F.relu(F.conv2d(x, w(self.c1.weight), self.c1.bias, stride=2)), 1)
        x = q(F.relu(F.conv2d(x, w(self.c2.weight), self.c2.bias, stride=2)), 2)
        x = torch.flatten(x, 1)
        return q(F.linear(x, w(self.f1.weight), self.f1.bias), 3)


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + 1000]).argmax(1) for i in range(0, len(x), 1000)])
    return float((pred == y).float().mean()) * 100.0


def train(model, x, y, epochs, lr):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.3)
    g = torch.Generator().manual_seed(1)
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), 128):
            idx = perm[i:i + 128]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        print(f"epoch {ep + 1}/{epochs} loss {float(loss):.4f}", file=sys.stderr)


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    xtr = torch.from_numpy(read_idx("train-images-idx3-ubyte.gz").astype(np.float32) / 255.0)
    ytr = torch.from_numpy(read_idx("train-labels-idx1-ubyte.gz").astype(np.int64))
    xte = torch.from_numpy(read_idx("t10k-images-idx3-ubyte.gz").astype(np.float32) / 255.0)
    yte = torch.from_numpy(read_idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))
    xtr, xte = xtr.unsqueeze(1), xte.unsqueeze(1)

    cnn = Cnn()
    train(cnn, xtr, ytr, 8, 2e-3)
    acc_cnn = accuracy(cnn, xte, yte)
    cnn.eval()
    torch.onnx.export(cnn, torch.zeros(1, 1, 28, 28), os.path.join(HERE, "fmnist_cnn.onnx"),
                      input_names=["image"], output_names=["logits"], opset_version=13,
                      do_constant_folding=True)

    qat = Qat()
    train(qat, xtr, ytr, 1, 2e-3)
    # activation scales from the float model on 1000 training images (absmax / 127), then one
    # epoch of fine-tuning with fake quantisation at those fixed scales
    qat.eval()
    with torch.no_grad():
        xs = xtr[:1000]
        a1 = F.relu(qat.c1(xs))
        a2 = F.relu(qat.c2(a1))
        a3 = qat.f1(torch.flatten(a2, 1))
    qat.scales = [float(np.float32(float(t.abs().max()) / 127.0)) for t in (xs, a1, a2, a3)]
    qat.quant = True
    train(qat, xtr, ytr, 1, 5e-4)
    acc_qat = accuracy(qat, xte, yte)
    qat.eval()
    torch.onnx.export(qat, torch.zeros(1, 1, 28, 28), os.path.join(HERE, "fmnist_qat.onnx"),
                      input_names=["image"], output_names=["logits"], opset_version=13,
                      do_constant_folding=True)
    with open(os.path.join(HERE, "fmnist_qat_scales.txt"), "w") as f:
        for s in qat.scales:
            f.write(f"{np.float32(s).view(np.uint32):08x} {np.float32(s)!r}\n")
    with open(os.path.join(HERE, "RESULTS.md"), "w") as f:
        f.write("# Fashion-MNIST models (written by train.py)\n\n")
        f.write(f"torch {torch.__version__}, numpy {np.__version__}\n\n")
        f.write("| model | test top-1 (10,000 images, float/torch) |\n|---|---|\n")
        f.write(f"| fmnist_cnn.onnx | {acc_cnn:.2f}% |\n")
        f.write(f"| fmnist_qat.onnx (with its fake quantisation) | {acc_qat:.2f}% |\n")
    print(f"cnn {acc_cnn:.2f}% qat {acc_qat:.2f}%", file=sys.stderr)


if __name__ == "__main__":
    main()
