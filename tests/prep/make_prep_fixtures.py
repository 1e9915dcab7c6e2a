#!/usr/bin/python3
"""Fixtures and golden files for the hbc_prep tests (tests/unit/prep).

Run from the repository root with Debian's /usr/bin/python3 (numpy 1.24.2, Pillow 9.4.0):
    /usr/bin/python3 tests/prep/make_prep_fixtures.py
It rewrites tests/data/prep/. CI never runs it; the outputs are committed.

Sources: tests/data/photos/skimage_astronaut.png (public domain, see tests/data/photos/SOURCES.md).
- photos/: three small photos cut from it (Pillow box-downscaled / cropped / converted to L).
- decode/: small images in every format and variant the decoders read, each with the pixels
  Pillow decodes from it (<name>.npy, HxWxC uint8, C = 1 for gray), plus broken files.
  Interlaced PNG, 4-bit / top-down / 32-bit bit-field BMP are written by hand below (Pillow does
  not write them); their expected pixels are the source arrays.
- golden/: the transformer outputs computed here with numpy from the written semantics of
  converter/include/hbc/prep.h (integer bilinear resize, BT.601 in thousandths, NV12 with the
  rounded mean of each 2x2 block, NV12 -> YUV444 replication), and the hb_eval_preprocess
  output of every kind for each photo (cifar10 as .npy, all as CRC-32 in kinds_crc32.txt).
"""
import os
import struct
import zlib

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SRC = os.path.join(ROOT, "tests", "data", "photos", "skimage_astronaut.png")
OUT = os.path.join(ROOT, "tests", "data", "prep")


def save(p, a):
    """np.save of a C-ordered copy (the C .npy reader takes C order only)."""
    np.save(p, np.ascontiguousarray(a))


def path(*p):
    full = os.path.join(OUT, *p)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    return full


# ---- the documented semantics, in numpy ------------------------------------------------------

def axis(s, d):
    """Left index, right index and 11-bit weight per destination index (half-pixel centres)."""
    i = np.arange(d, dtype=np.int64)
    num = (2 * i + 1) * s - d
    den = 2 * d
    lo = np.where(num > 0, num // den, 0)
    fr = np.where(num > 0, ((num % den) * 2048 + d) // den, 0)
    carry = fr == 2048
    lo = lo + carry
    fr = np.where(carry, 0, fr)
    over = lo > s - 1
    lo = np.where(over, s - 1, lo)
    fr = np.where(over, 0, fr)
    hi = np.minimum(lo + 1, s - 1)
    return lo, hi, fr


def resize(img, dw, dh):
    h, w, c = img.shape
    x0, x1, fx = axis(w, dw)
    y0, y1, fy = axis(h, dh)
    p = img.astype(np.int64)
    fx = fx[None, :, None]
    fy = fy[:, None, None]
    top = (2048 - fx) * p[y0][:, x0] + fx * p[y0][:, x1]
    bot = (2048 - fx) * p[y1][:, x0] + fx * p[y1][:, x1]
    return ((( 2048 - fy) * top + fy * bot + (1 << 21)) >> 22).astype(np.uint8)


def resize_short(img, short):
    h, w, _ = img.shape
    s, l = min(w, h), max(w, h)
    nl = (2 * l * short + s) // (2 * s)
    return resize(img, short, nl) if w < h else resize(img, nl, short)


def center_crop(img, w, h):
    y, x = (img.shape[0] - h) // 2, (img.shape[1] - w) // 2
    return img[y:y + h, x:x + w]


FWD = {"full": (np.array([[299, 587, 114], [-169, -331, 500], [500, -419, -81]]), [0, 128, 128]),
       "video": (np.array([[257, 504, 98], [-148, -291, 439], [439, -368, -71]]), [16, 128, 128])}


def round_div(num, den):
    """round_half_up(num / den) clamped to a byte (floor division handles negatives)."""
    return np.clip((2 * num + den) // (2 * den), 0, 255).astype(np.uint8)


def rgb_to_nv12(rgb, space="full"):
    m, off = FWD[space]
    p = rgb.astype(np.int64)
    h, w, _ = rgb.shape
    y = round_div(p @ m[0] + 1000 * off[0], 1000)
    blk = p.reshape(h // 2, 2, w // 2, 2, 3).sum(axis=(1, 3))  # RGB sums of each 2x2 block
    u = round_div(blk @ m[1] + 4000 * off[1], 4000)
    v = round_div(blk @ m[2] + 4000 * off[2], 4000)
    uv = np.stack([u, v], axis=-1).reshape(h // 2, w)
    return np.concatenate([y.reshape(-1), uv.reshape(-1)])


def nv12_to_yuv444(nv12, w, h):
    y = nv12[:w * h].reshape(h, w)
    uv = nv12[w * h:].reshape(h // 2, w // 2, 2)
    uv = uv.repeat(2, axis=0).repeat(2, axis=1)
    return np.concatenate([y[..., None], uv], axis=-1)


# hb_eval_preprocess kinds: (short side or 0 for a plain resize, width, height, BGR).
KINDS = {"mobilenet": (219, 192, 192, False), "resnet18": (256, 224, 224, False),
         "yunet": (0, 320, 320, True), "fastestdet": (0, 352, 352, False),
         "cifar10": (0, 32, 32, False)}


def kind(rgb, name):
    short, w, h, bgr = KINDS[name]
    out = center_crop(resize_short(rgb, short), w, h) if short else resize(rgb, w, h)
    if bgr:
        out = out[..., ::-1]
    return np.ascontiguousarray(out.transpose(2, 0, 1))


# ---- hand-written encoders for what Pillow cannot write ---------------------------------------

def png_chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def png_adam7_rgb(img):
    """8-bit RGB PNG with Adam7 interlacing, filter type 0 on every row."""
    h, w, _ = img.shape
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
              (0, 1, 1, 2)]
    raw = b""
    for x0, y0, dx, dy in passes:
        sub = img[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        for row in sub:
            raw += b"\x00" + row.tobytes()
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 1)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw))
            + png_chunk(b"IEND", b""))


def bmp(w, h, bpp, rows, palette=None, compression=0, masks=None, top_down=False):
    """A BITMAPINFOHEADER bitmap; rows are the already padded row bytes in file order."""
    pal = b"" if palette is None else b"".join(bytes([b, g, r, 0]) for r, g, b in palette)
    extra = b"" if masks is None else struct.pack("<III", *masks)
    data = b"".join(rows)
    off = 14 + 40 + len(extra) + len(pal)
    info = struct.pack("<IiiHHIIiiII", 40, w, -h if top_down else h, 1, bpp, compression,
                       len(data), 2835, 2835, 0 if palette is None else len(palette), 0)
    return b"BM" + struct.pack("<IHHI", off + len(data), 0, 0, off) + info + extra + pal + data


def pad4(b):
    return b + b"\x00" * (-len(b) % 4)


def main():
    astro = Image.open(SRC).convert("RGB")
    photos = {
        "astro_96": astro.resize((96, 96), Image.BOX),
        "astro_crop": astro.crop((180, 60, 244, 108)),  # 64x48 around the face
        "astro_gray": astro.resize((40, 30), Image.BOX).convert("L"),
    }
    for name, im in photos.items():
        im.save(path("photos", name + ".png"), optimize=True)

    # Goldens: resize (down / up), NV12 and YUV444 of the resized colour photos, the un-resized
    # crop through NV12 (what the calibration loader gives for rt nv12), and the CLI kinds.
    sizes = {"astro_96": (52, 38), "astro_crop": (90, 66), "astro_gray": (22, 18)}
    crcs = []
    for name, im in photos.items():
        a = np.asarray(im)
        if a.ndim == 2:
            a = a[..., None]
        dw, dh = sizes[name]
        r = resize(a, dw, dh)
        save(path("golden", f"{name}_resize_{dw}x{dh}.npy"), r)
        rgb = a if a.shape[2] == 3 else a.repeat(3, axis=2)
        save(path("golden", f"{name}_cifar10.npy"), kind(rgb, "cifar10"))
        for k in KINDS:  # the larger outputs are checked by their CRC-32 (zlib)
            crcs.append(f"{name} {k} {zlib.crc32(kind(rgb, k).tobytes()):08x}\n")
        if a.shape[2] == 3:
            for space in ("full", "video"):
                nv = rgb_to_nv12(r, space)
                save(path("golden", f"{name}_resize_{dw}x{dh}_nv12_{space}.npy"), nv)
                save(path("golden", f"{name}_resize_{dw}x{dh}_yuv444_{space}.npy"),
                        nv12_to_yuv444(nv, dw, dh))
    with open(path("golden", "kinds_crc32.txt"), "w") as f:
        f.writelines(crcs)
    crop = np.asarray(photos["astro_crop"])
    save(path("golden", "astro_crop_nv12_yuv444_full.npy"),
            nv12_to_yuv444(rgb_to_nv12(crop, "full"), 64, 48))

    # Decoder fixtures from a 20x14 piece of the photo (odd sizes, partial blocks).
    piece = astro.crop((200, 80, 220, 94))
    dec = {}
    piece.save(path("decode", "rgb.png"))
    dec["rgb.png"] = piece
    piece.convert("L").save(path("decode", "gray.png"))
    dec["gray.png"] = piece.convert("L")
    pal = piece.quantize(colors=16)
    pal.save(path("decode", "palette.png"))
    dec["palette.png"] = pal.convert("RGB")
    rgba = piece.copy()
    rgba.putalpha(Image.linear_gradient("L").resize(piece.size))
    rgba.save(path("decode", "rgba.png"))
    dec["rgba.png"] = rgba.convert("RGB")  # Pillow drops alpha without compositing
    g16 = (np.asarray(piece.convert("L")).astype(np.uint32) * 257 + np.arange(20) * 37) % 65536
    Image.fromarray(g16.astype(np.uint16)).save(path("decode", "gray16.png"))
    with open(path("decode", "gray16.png"), "rb") as f:  # 16-bit: libpng's rounded scale
        g16_read = np.asarray(Image.open(f)).astype(np.int64)
    save(path("decode", "gray16_png.npy"), ((g16_read * 255 + 32767) // 65535).astype(np.uint8)[..., None])
    with open(path("decode", "interlaced.png"), "wb") as f:
        f.write(png_adam7_rgb(np.asarray(piece)))
    save(path("decode", "interlaced_png.npy"), np.asarray(piece))
    piece.save(path("decode", "rgb.jpg"), quality=90)
    dec["rgb.jpg"] = Image.open(path("decode", "rgb.jpg"))
    piece.save(path("decode", "rgb_420.jpg"), quality=75, subsampling=2, progressive=True)
    dec["rgb_420.jpg"] = Image.open(path("decode", "rgb_420.jpg"))
    piece.convert("L").save(path("decode", "gray.jpg"), quality=90)
    dec["gray.jpg"] = Image.open(path("decode", "gray.jpg"))
    piece.save(path("decode", "rgb24.bmp"))
    dec["rgb24.bmp"] = piece
    pal.save(path("decode", "pal8.bmp"))
    dec["pal8.bmp"] = pal.convert("RGB")
    bw = piece.convert("1")
    bw.save(path("decode", "mono1.bmp"))
    dec["mono1.bmp"] = bw.convert("RGB")
    for name, im in dec.items():  # X.ext -> X_ext.npy
        a = np.asarray(im.convert("L" if im.mode == "L" else "RGB"))
        save(path("decode", name.replace(".", "_") + ".npy"), a[..., None] if a.ndim == 2 else a)

    # Hand-written BMP variants: 4-bit palette (odd width), 32-bit bit-fields top-down.
    p4 = np.asarray(pal)  # indices 0..15
    palette = [tuple(pal.getpalette()[3 * i:3 * i + 3]) for i in range(16)]
    rows = []
    for r in p4[::-1]:
        nib = list(r) + ([0] if len(r) % 2 else [])
        rows.append(pad4(bytes((nib[i] << 4) | nib[i + 1] for i in range(0, len(nib), 2))))
    with open(path("decode", "pal4.bmp"), "wb") as f:
        f.write(bmp(20, 14, 4, rows, palette=palette))
    save(path("decode", "pal4_bmp.npy"), np.asarray(pal.convert("RGB")))
    px = np.asarray(piece).astype(np.uint32)
    words = (px[..., 0] << 8) | (px[..., 1] << 16) | (px[..., 2] << 24)  # R,G,B masks
    with open(path("decode", "bf32_topdown.bmp"), "wb") as f:
        f.write(bmp(20, 14, 32, [r.astype("<u4").tobytes() for r in words],
                    masks=(0x0000FF00, 0x00FF0000, 0xFF000000), compression=3, top_down=True))
    save(path("decode", "bf32_topdown_bmp.npy"), np.asarray(piece))

    # Broken and refused files.
    with open(path("decode", "rgb.png"), "rb") as f:
        png = f.read()
    with open(path("decode", "rgb.jpg"), "rb") as f:
        jpg = f.read()
    bad = {
        "bad_truncated.png": png[:len(png) // 2],
        "bad_crc.png": png[:40] + bytes([png[40] ^ 0xFF]) + png[41:],
        "bad_truncated.jpg": jpg[:len(jpg) // 2],
        "bad_header.jpg": jpg[:3] + b"\x00" * 40,
        "bad_rle8.bmp": bmp(4, 2, 8, [b"\x00" * 4] * 2, palette=[(0, 0, 0)] * 4, compression=1),
        "bad_16bit.bmp": bmp(2, 2, 16, [b"\x00" * 4] * 2),
        "bad_short.bmp": bmp(20, 14, 24, [b"\x00" * 60] * 14)[:200],
        "bad_palette_index.bmp": bmp(2, 1, 8, [b"\x00\x05\x00\x00"], palette=[(1, 2, 3)] * 2),
        "bad_huge.bmp": bmp(1, 1, 24, [b"\x00" * 4])[:18] + struct.pack("<ii", 100000, 100000)
                        + bmp(1, 1, 24, [b"\x00" * 4])[26:],
        "bad_not_image.txt": b"this is not an image\n",
    }
    cmyk = piece.convert("CMYK")
    cmyk.save(path("decode", "bad_cmyk.jpg"), quality=80)
    for name, data in bad.items():
        with open(path("decode", name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
