#!/usr/bin/python3
"""Write tests/data/hb_mapper/mobilenet_yuv444_128.npy: the input of the preprocess end-to-end test
(tests/unit/mapper/float_artifacts.sh, case mobilenet_yuv444).

MobileNet's end-to-end input tests/data/e2e/mobilenet_v1_0.75_192/input_0.npy is (p - 128) / 128
of RGB pixels p (tests/e2e/make_inputs.py), so p = 128 * input + 128 exactly. Those pixels are
converted here to full-range BT.601 YUV with the defining equations (ITU-R BT.601 luma weights,
no rounding, float64):
    Y = 0.299 R + 0.587 G + 0.114 B,  U = (B - Y) / 1.772 + 128,  V = (R - Y) / 1.402 + 128
and stored as the yuv444_128 intermediate type (value - 128, float32, NCHW). A makertbin config
with input_type_rt yuv444, input_type_train rgb, mean 128, scale 1/128 must then give the
original model's outputs (onnxruntime reference tests/data/e2e/mobilenet_v1_0.75_192/ref_t88.npy).

usage: /usr/bin/python3 tests/data/hb_mapper/make_preprocess_input.py   (numpy only; the committed
file was made with numpy 1.24.2)
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))

x = np.load(os.path.join(ROOT, "tests", "data", "e2e", "mobilenet_v1_0.75_192", "input_0.npy"))
p = x.astype(np.float64) * 128 + 128
r, g, b = p[0, 0], p[0, 1], p[0, 2]
y = 0.299 * r + 0.587 * g + 0.114 * b
u = (b - y) / 1.772 + 128
v = (r - y) / 1.402 + 128
yuv = np.stack([y, u, v])[None].astype(np.float64) - 128
np.save(os.path.join(HERE, "mobilenet_yuv444_128.npy"), yuv.astype(np.float32))
