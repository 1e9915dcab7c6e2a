#!/usr/bin/python3
"""Write tests/e2e/nv12/astronaut_32x32.nv12: one NV12 frame (32 x 32: the Y plane, 1024 bytes,
then the interleaved U, V plane, 512 bytes) of tests/data/photos/skimage_astronaut.png, the input
of the image-input end-to-end test (tests/e2e/makertbin_image.sh).

The photo is resized to 32 x 32 (PIL, bilinear) and converted to full-range BT.601 YUV with the
defining equations (float64):
    Y = 0.299 R + 0.587 G + 0.114 B,  U = (B - Y) / 1.772 + 128,  V = (R - Y) / 1.402 + 128
U and V are averaged over each 2 x 2 block; every sample is rounded to the nearest integer and
clipped to 0..255.

usage: /usr/bin/python3 tests/e2e/nv12/make_nv12_frame.py   (the committed file was made with
numpy 1.24.2 and Pillow 9.4.0)
"""
import os

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))

img = Image.open(os.path.join(ROOT, "tests", "data", "photos", "skimage_astronaut.png"))
rgb = np.asarray(img.convert("RGB").resize((32, 32), Image.BILINEAR)).astype(np.float64)
r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
y = 0.299 * r + 0.587 * g + 0.114 * b
u = (b - y) / 1.772 + 128
v = (r - y) / 1.402 + 128


def block_mean(p):
    return p.reshape(16, 2, 16, 2).mean(axis=(1, 3))


def to_u8(p):
    return np.clip(np.rint(p), 0, 255).astype(np.uint8)


uv = np.stack([to_u8(block_mean(u)), to_u8(block_mean(v))], axis=-1)  # 16 x 16 x 2
frame = np.concatenate([to_u8(y).ravel(), uv.ravel()])
assert frame.size == 32 * 32 * 3 // 2
frame.tofile(os.path.join(HERE, "astronaut_32x32.nv12"))
