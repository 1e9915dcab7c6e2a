#!/usr/bin/python3
"""Write the committed data of the accuracy tests, tests/data/accuracy/ (see its SOURCES.md).

photos/: six photos of ../shared/data/photos (public domain or CC0, see SOURCES.md), scaled
with Pillow (Lanczos) so that the longer side is 256 pixels, saved as baseline JPEG quality 90.
fmnist_calib100.npy: the first 100 training images of Fashion-MNIST, uint8 100x28x28;
fmnist_test300.npy / fmnist_test300_labels.npy: the first 300 test images (uint8 300x28x28) and
their labels (uint8 300), from the Debian package dataset-fashion-mnist (MIT, Zalando SE).

usage: /usr/bin/python3 tests/accuracy/make_data.py   (needs numpy and Pillow; tool versions are
printed and recorded in tests/data/accuracy/SOURCES.md)
"""
import gzip
import os

import numpy as np
import PIL
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "data", "accuracy")
PHOTOS = os.path.join(ROOT, "..", "shared", "data", "photos")
FMNIST = "/usr/share/datasets/fashion-mnist"
NAMES = ["skimage_astronaut.png", "skimage_chelsea.png", "skimage_coffee.png",
         "skimage_rocket.jpg", "grace_hopper.jpg", "scipy_face.png"]


def idx(name):
    with gzip.open(os.path.join(FMNIST, name), "rb") as f:
        data = f.read()
    nd = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def main():
    os.makedirs(os.path.join(OUT, "photos"), exist_ok=True)
    for n in NAMES:
        img = Image.open(os.path.join(PHOTOS, n)).convert("RGB")
        s = 256 / max(img.size)
        size = (round(img.size[0] * s), round(img.size[1] * s))
        img = img.resize(size, Image.LANCZOS)
        stem = os.path.splitext(n)[0]
        img.save(os.path.join(OUT, "photos", stem + ".jpg"), quality=90)
    np.save(os.path.join(OUT, "fmnist_calib100.npy"),
            np.ascontiguousarray(idx("train-images-idx3-ubyte.gz")[:100]))
    np.save(os.path.join(OUT, "fmnist_test300.npy"),
            np.ascontiguousarray(idx("t10k-images-idx3-ubyte.gz")[:300]))
    np.save(os.path.join(OUT, "fmnist_test300_labels.npy"),
            np.ascontiguousarray(idx("t10k-labels-idx1-ubyte.gz")[:300]))
    print("numpy", np.__version__, "Pillow", PIL.__version__)


if __name__ == "__main__":
    main()
