#!/usr/bin/python3
"""Write the end-to-end test inputs: tests/data/e2e/<model>/input_0.npy.

Every input is made from one real photo, tests/data/photos/skimage_astronaut.png (public domain,
see tests/data/photos/SOURCES.md), decoded and resized with numpy only (no image library), then
preprocessed the way each model expects (tests/data/models/SOURCES.md):

  mobilenet_v1_0.75_192  t0       1x3x192x192  RGB, 87.5% centre crop, (p - 128) / 128
  yunet_n_320_320        input    1x3x320x320  BGR, 0..255
  fastestdet             input.1  1x3x352x352  RGB, p / 255
  super_resolution       input    1x1x224x224  Y (BT.601 luma) / 255

plus super_resolution_td0: the model zoo's own test_data_set_0/input_0.pb as a 1x1x224x224 .npy (its
reference is the matching output_0.pb, compared directly by hb_npy_compare).

For the bad-input tests it also writes tests/data/e2e/bad/: random_bytes.onnx (4096 bytes of
default_rng(7)), wrong_shape.npy (float32 1x3x96x96) and wrong_dtype.npy (uint8 1x3x192x192), both
aimed at MobileNet's input t0 (float32 1x3x192x192).

The output is deterministic: same photo, same numpy arithmetic (float64, rounded once to float32).
usage: /usr/bin/python3 tests/e2e/make_inputs.py   (needs numpy; onnx for super_resolution_td0)
"""
import os
import struct
import sys
import zlib

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PHOTO = os.path.join(ROOT, "tests", "data", "photos", "skimage_astronaut.png")
OUT = os.path.join(ROOT, "tests", "data", "e2e")
MODELS = os.path.join(ROOT, "tests", "data", "models", "onnx")


def read_png_rgb8(path):
    """Decode a non-interlaced 8-bit RGB or RGBA PNG into an HxWx3 uint8 array."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG file")
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = hdr
    if depth != 8 or colour not in (2, 6) or interlace != 0:
        raise ValueError(f"{path}: only 8-bit non-interlaced RGB/RGBA PNG is supported")
    bpp = 3 if colour == 2 else 4
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8)
    stride = width * bpp
    raw = raw.reshape(height, stride + 1)
    img = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        ftype, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        if ftype == 0:
            cur = line
        elif ftype == 2:
            cur = (line + prev) & 0xFF
        elif ftype in (1, 3, 4):
            # Sub, Average and Paeth depend on the reconstructed left neighbour: per pixel.
            cur = np.zeros(stride, dtype=np.int32)
            for x in range(stride):
                a = cur[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                if ftype == 1:
                    pred = a
                elif ftype == 3:
                    pred = (a + b) >> 1
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if (pa <= pb and pa <= pc) else (b if pb <= pc else c)
                cur[x] = (line[x] + pred) & 0xFF
        else:
            raise ValueError(f"{path}: bad PNG filter type {ftype} in row {y}")
        img[y] = cur
        prev = cur
    return img.reshape(height, width, bpp)[:, :, :3]


def resize_weights(n_in, n_out):
    """n_out x n_in matrix of a triangle (bilinear) filter, widened when shrinking (antialiased),
    pixel centres at i + 0.5, rows normalised to sum 1."""
    scale = n_in / n_out
    support = max(scale, 1.0)
    w = np.zeros((n_out, n_in), dtype=np.float64)
    src = np.arange(n_in) + 0.5
    for o in range(n_out):
        centre = (o + 0.5) * scale
        row = np.maximum(0.0, 1.0 - np.abs(src - centre) / support)
        w[o] = row / row.sum()
    return w


def resize(img, height, width):
    """Resize an HxWxC array (any numeric type) to height x width x C, float64."""
    wy = resize_weights(img.shape[0], height)
    wx = resize_weights(img.shape[1], width)
    x = img.astype(np.float64)
    return np.stack([wy @ x[:, :, c] @ wx.T for c in range(x.shape[2])], axis=2)


def centre_crop(img, fraction):
    h, w = img.shape[:2]
    ch, cw = int(round(h * fraction)), int(round(w * fraction))
    y0, x0 = (h - ch) // 2, (w - cw) // 2
    return img[y0:y0 + ch, x0:x0 + cw]


def nchw(hwc):
    return np.ascontiguousarray(hwc.transpose(2, 0, 1)[None]).astype(np.float32)


def save(model, arr):
    d = os.path.join(OUT, model)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "input_0.npy")
    np.save(path, arr)
    print(f"{path}: shape {arr.shape} {arr.dtype} min {arr.min():.4f} max {arr.max():.4f} "
          f"mean {arr.mean():.4f}")


def main():
    rgb = read_png_rgb8(PHOTO)
    if rgb.shape != (512, 512, 3):
        sys.exit(f"{PHOTO}: expected 512x512 RGB, got {rgb.shape}")

    # MobileNetV1 0.75/192 (TFLite/Coral convention): crop 87.5%, resize, (p - 128) / 128.
    x = resize(centre_crop(rgb, 0.875), 192, 192)
    save("mobilenet_v1_0.75_192", nchw((x - 128.0) / 128.0))

    # YuNet: BGR 0..255, no normalisation.
    x = resize(rgb, 320, 320)[:, :, ::-1]
    save("yunet_n_320_320", nchw(x))

    # FastestDet: RGB / 255.
    x = resize(rgb, 352, 352)
    save("fastestdet", nchw(x / 255.0))

    # Super-resolution: the Y channel of YCbCr (ITU-R BT.601 luma) / 255.
    x = resize(rgb, 224, 224)
    y = (0.299 * x[:, :, 0] + 0.587 * x[:, :, 1] + 0.114 * x[:, :, 2])[:, :, None]
    save("super_resolution", nchw(y / 255.0))

    # The model zoo's own test case, reshaped from 224x224 to the model's 1x1x224x224.
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        sys.exit("super_resolution_td0 needs python3-onnx")
    t = onnx.TensorProto()
    with open(os.path.join(MODELS, "super_resolution", "test_data_set_0", "input_0.pb"), "rb") as f:
        t.ParseFromString(f.read())
    save("super_resolution_td0", numpy_helper.to_array(t).astype(np.float32).reshape(1, 1, 224, 224))

    bad = os.path.join(OUT, "bad")
    os.makedirs(bad, exist_ok=True)
    rng = np.random.default_rng(7)
    with open(os.path.join(bad, "random_bytes.onnx"), "wb") as f:
        f.write(rng.integers(0, 256, size=4096, dtype=np.uint8).tobytes())
    small = resize(centre_crop(rgb, 0.875), 96, 96)
    np.save(os.path.join(bad, "wrong_shape.npy"), nchw((small - 128.0) / 128.0))
    right = resize(centre_crop(rgb, 0.875), 192, 192)
    np.save(os.path.join(bad, "wrong_dtype.npy"),
            np.clip(np.round(right), 0, 255).astype(np.uint8).transpose(2, 0, 1)[None].copy())
    print(f"{bad}: random_bytes.onnx, wrong_shape.npy, wrong_dtype.npy")


if __name__ == "__main__":
    main()
