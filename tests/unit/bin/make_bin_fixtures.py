#!/usr/bin/env python3
"""Make the .bin test fixtures from docs/bin-format.md, independently of the C reader and writer.

Writes tests/unit/bin/data/two_models.bin (a valid file, read field by field by test_bin_reader.c)
and the fuzz corpus tests/fuzz/corpus/bin/: valid files, and hostile variants whose CRCs are
recomputed so the reader's deeper checks are reached. Corpus names say the status the reader must
return: ok-*, truncated-*, corrupt-*, version-*, foreign-*.

Made with Python 3.11 (struct, zlib.crc32 for the IEEE CRC32); CI never runs this script.
Run: python3 tests/unit/bin/make_bin_fixtures.py   (from the repository root)
"""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
DATA = os.path.join(HERE, "data")
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus", "bin")

MAGIC = b"HBTC-BIN"
K_MODEL, K_STRINGS, K_TENSORS, K_QPARAMS, K_PREPROCESS, K_PARAMS = 1, 2, 3, 4, 5, 6
K_BPU, K_CONST, K_CPU, K_SCHED = 16, 17, 18, 19


def r64(x):
    return (x + 63) // 64 * 64


class Strings:
    def __init__(self):
        self.buf = bytearray()

    def ref(self, s):
        off = len(self.buf)
        self.buf += s.encode() + b"\0"
        return off


def tensor(strings, q, t, is_input):
    """One 160-byte TENSORS record; quantisation arrays are appended to bytearray q."""
    vd = list(t["valid"]) + [0] * (8 - len(t["valid"]))
    ad = list(t["aligned"]) + [0] * (8 - len(t["aligned"]))
    st = list(t["stride"]) + [0] * (8 - len(t["stride"]))
    qt = t.get("quant", 0)
    axis, count, off_s, zpc, off_z, off_sh = 0, 0, 0, 0, 0, 0
    if qt == 2:
        axis, scales, zps = t["axis"], t["scales"], t.get("zps", [])
        count = len(scales)
        while len(q) % 4:
            q.append(0)
        off_s = len(q)
        q += struct.pack("<%df" % count, *scales)
        zpc = len(zps)
        if zpc:
            off_z = len(q)
            q += struct.pack("<%db" % zpc, *zps)
    elif qt == 1:
        axis, shifts = t["axis"], t["shifts"]
        count = len(shifts)
        off_sh = len(q)
        q += bytes(shifts)
    rec = struct.pack("<II8iI8i8iIIIiIIIIIII8x", strings.ref(t["name"]), len(t["valid"]), *vd,
                      len(t["aligned"]), *ad, *st, t["layout"], t["type"], qt, axis,
                      t["bytes"], count, off_s, zpc, off_z, off_sh,
                      t.get("source", 0) if is_input else 0)
    assert len(rec) == 160
    return rec


def model_sections(mi, m):
    """[(kind, model, id, bytes)] of one model, in the order the reader requires for blobs."""
    s = Strings()
    q = bytearray()
    name = s.ref(m["name"])
    tens = b"".join(tensor(s, q, t, True) for t in m["inputs"])
    tens += b"".join(tensor(s, q, t, False) for t in m["outputs"])
    pre = b"".join(struct.pack("<IIIIII4f4f8x", p["input"], p["rt"], p["train"], p["layout"],
                               p["range"], p["channels"], *p["mean"], *p["scale"])
                   for p in m.get("pre", []))
    params = b"".join(struct.pack("<II", s.ref(k), s.ref(v)) for k, v in m.get("params", []))
    rec = struct.pack("<III20x", name, len(m["inputs"]), len(m["outputs"]))
    secs = [(K_MODEL, mi, 0, rec), (K_STRINGS, mi, 0, bytes(s.buf)), (K_TENSORS, mi, 0, tens)]
    if q:
        secs.append((K_QPARAMS, mi, 0, bytes(q)))
    if pre:
        secs.append((K_PREPROCESS, mi, 0, pre))
    if params:
        secs.append((K_PARAMS, mi, 0, params))
    for kind, bid, data in sorted(m.get("blobs", []), key=lambda b: (b[0], b[1])):
        secs.append((kind, mi, bid, data))
    return secs


def assemble(secs, model_count, march=2, flags=0, version=(1, 0), toolchain=(0, 1, 0)):
    """Place the sections and compute every CRC: a complete file image."""
    n = len(secs)
    off = r64(64 + 32 * n)
    table = bytearray()
    body = []
    for kind, mi, bid, data in secs:
        table += struct.pack("<IIQQII", kind, mi, off, len(data), zlib.crc32(data), bid)
        body.append((off, data))
        off = r64(off + len(data))
    size = off
    img = bytearray(size)
    img[64:64 + len(table)] = table
    for o, d in body:
        img[o:o + len(d)] = d
    hdr = struct.pack("<8sHHIQIIII3HHI8x", MAGIC, version[0], version[1], 64, size, march, flags,
                      n, model_count, *toolchain, 0, zlib.crc32(bytes(table)))
    img[0:60] = hdr
    img[60:64] = struct.pack("<I", zlib.crc32(hdr))
    return bytes(img)


def recrc(img):
    """Recompute all CRCs of a (modified) image, trusting its table as far as it fits."""
    img = bytearray(img)
    n = struct.unpack_from("<I", img, 32)[0]
    n_fit = max(0, min(n, (len(img) - 64) // 32))
    for i in range(n_fit):
        e = 64 + 32 * i
        off, size = struct.unpack_from("<QQ", img, e + 8)
        if off + size <= len(img):
            struct.pack_into("<I", img, e + 24, zlib.crc32(bytes(img[off:off + size])))
    struct.pack_into("<I", img, 48, zlib.crc32(bytes(img[64:64 + 32 * n_fit])))
    struct.pack_into("<I", img, 60, zlib.crc32(bytes(img[0:60])))
    return bytes(img)


MODEL_A = {
    "name": "mobilenet_sim",
    "inputs": [dict(name="data", valid=(1, 3, 224, 224), aligned=(1, 3, 224, 224),
                    stride=(0, 0, 0, 0), layout=2, type=1, bytes=75264, source=2)],
    "outputs": [
        dict(name="prob", valid=(1, 1000, 1, 1), aligned=(1, 1000, 1, 1),
             stride=(4000, 4, 4, 4), layout=2, type=13, bytes=4000),
        dict(name="feat", valid=(1, 7, 7, 4), aligned=(1, 7, 7, 4), stride=(784, 112, 16, 4),
             layout=0, type=14, bytes=784, quant=2, axis=3,
             scales=[0.5, 0.25, 0.125, 1.5], zps=[0, 1, -2, 3]),
    ],
    "pre": [dict(input=0, rt=3, train=0, layout=2, range=0, channels=3,
                 mean=[123.5, 116.25, 103.5, 0.0], scale=[0.015625, 0.0078125, 0.03125, 0.0])],
    "params": [("march", "bayes-e"), ("input_type_rt", "nv12"),
               ("calibration_type", "default"), ("empty_value", "")],
    "blobs": [(K_BPU, 0, bytes((i * 7) & 255 for i in range(100))),
              (K_CONST, 0, bytes((i * 13 + 1) & 255 for i in range(130))),
              (K_SCHED, 0, bytes(range(16))), (K_CPU, 1, b"")],
}
MODEL_B = {
    "name": "tiny_shift",
    "inputs": [dict(name="x", valid=(1, 2, 2, 3), aligned=(1, 2, 2, 4), stride=(16, 8, 4, 1),
                    layout=0, type=8, bytes=16, quant=1, axis=0, shifts=[7])],
    "outputs": [dict(name="y", valid=(1, 1, 1, 3), aligned=(1, 1, 1, 3), stride=(3, 3, 3, 1),
                     layout=0, type=8, bytes=3, quant=1, axis=3, shifts=[1, 2, 31])],
    "blobs": [(K_BPU, 5, bytes(range(64)))],
}


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def patch(img, off, fmt, *vals, fix=True):
    b = bytearray(img)
    struct.pack_into(fmt, b, off, *vals)
    return recrc(b) if fix else bytes(b)


def main():
    os.makedirs(DATA, exist_ok=True)
    os.makedirs(CORPUS, exist_ok=True)
    secs_a = model_sections(0, MODEL_A)
    secs_b = model_sections(1, MODEL_B)
    two = assemble(secs_a + secs_b, 2)
    one = assemble(model_sections(0, MODEL_B), 1, march=0)
    write(os.path.join(DATA, "two_models.bin"), two)

    # Offsets inside `two` for targeted damage.
    tab = lambda i: 64 + 32 * i
    sec_off = lambda i: struct.unpack_from("<Q", two, tab(i) + 8)[0]
    tens_a = sec_off(2)
    corpus = {
        "ok-two_models.bin": two,
        "ok-one_model.bin": one,
        "truncated-empty.bin": b"",
        "truncated-magic.bin": two[:5],
        "truncated-header.bin": two[:40],
        "truncated-table.bin": two[:100],
        "truncated-half.bin": two[:len(two) // 2],
        "truncated-last_byte.bin": two[:-1],
        "corrupt-header_crc.bin": patch(two, 24, "<I", 1, fix=False),
        "corrupt-table_crc.bin": patch(two, tab(0) + 4, "<I", 1, fix=False),
        "corrupt-section_crc.bin": patch(two, tens_a + 5, "<B", 0x5A, fix=False),
        "corrupt-trailing.bin": recrc(two + bytes(64)),
        "version-major2.bin": patch(two, 8, "<H", 2),
        "corrupt-march.bin": patch(two, 24, "<I", 3),
        "corrupt-flags.bin": patch(two, 28, "<I", 2),
        "corrupt-models_0.bin": patch(two, 36, "<I", 0),
        "corrupt-models_huge.bin": patch(two, 36, "<I", 0xFFFFFFFF),
        "corrupt-sections_huge.bin": patch(two, 32, "<I", 0x7FFFFFFF),
        "corrupt-sections_0.bin": patch(two, 32, "<I", 0),
        "truncated-section_size_huge.bin": patch(two, tab(1) + 16, "<Q", 1 << 62),
        "truncated-section_wraps.bin": patch(two, tab(1) + 8, "<QQ", (1 << 64) - 64, 128),
        "corrupt-overlap.bin": patch(two, tab(1) + 8, "<Q", sec_off(0)),
        "corrupt-unaligned.bin": patch(two, tab(1) + 8, "<Q", sec_off(1) + 4),
        "corrupt-unknown_kind.bin": patch(two, tab(5), "<I", 7),
        "corrupt-model_index.bin": patch(two, tab(0) + 4, "<I", 9),
        "corrupt-name_ref.bin": patch(two, sec_off(0), "<I", 0xFFFFFF00),
        "corrupt-input_count_huge.bin": patch(two, sec_off(0) + 4, "<I", 0x40000000),
        "corrupt-ndim.bin": patch(two, tens_a + 4, "<I", 9),
        "corrupt-dim_negative.bin": patch(two, tens_a + 8, "<i", -1),
        "corrupt-layout.bin": patch(two, tens_a + 108, "<I", 1),
        "corrupt-data_type.bin": patch(two, tens_a + 112, "<I", 19),
        "corrupt-quant_type.bin": patch(two, tens_a + 116, "<I", 3),
        "corrupt-quant_count_huge.bin": patch(two, tens_a + 160 * 2 + 128, "<I", 0xFFFFFFF0),
        "corrupt-scale_offset.bin": patch(two, tens_a + 160 * 2 + 132, "<I", 0xFFFFFFFC),
        "corrupt-scale_nan.bin": patch(two, sec_off(3), "<I", 0x7FC00000),
        "corrupt-axis.bin": patch(two, tens_a + 160 * 2 + 120, "<i", 4),
        "corrupt-source.bin": patch(two, tens_a + 148, "<I", 3),
        "corrupt-aligned_bytes.bin": patch(two, tens_a + 124, "<I", 0x80000000),
        "corrupt-dup_tensor.bin": patch(two, tens_a + 160, "<I",
                                        struct.unpack_from("<I", two, tens_a)[0]),
        "corrupt-strings_unterminated.bin": patch(two, sec_off(1) + struct.unpack_from(
            "<Q", two, tab(1) + 16)[0] - 1, "<B", 0x41),
        "corrupt-preprocess_input.bin": patch(two, sec_off(4), "<I", 1),
        "corrupt-preprocess_channels.bin": patch(two, sec_off(4) + 20, "<I", 5),
        "corrupt-param_key.bin": patch(two, sec_off(5), "<I", 0x10000),
        "corrupt-blob_order.bin": patch(two, tab(9) + 28, "<I", 0) if struct.unpack_from(
            "<I", two, tab(9))[0] == struct.unpack_from("<I", two, tab(8))[0] else
        patch(two, tab(9), "<I", K_BPU),
        "corrupt-padding.bin": patch(two, sec_off(0) + 32, "<B", 1),
        "foreign-horizon_protobuf.bin": (b"\x08\x03\x12\x06hb_dnn\x3a\x40\x0a\x10PACKED_HBM_MODEL"
                                         + bytes(48)),
        "foreign-protobuf_start.bin": b"\x08\x07\x12\x04test" + bytes(64),
        "foreign-text.bin": b"this is not a model file at all\n" * 4,
        "foreign-protobuf_tiny.bin": b"\x08\x01",
        "corrupt-dup_model.bin": assemble(model_sections(0, MODEL_B) + model_sections(1, MODEL_B),
                                          2),
        # A later minor version may add section kinds; this reader skips the unknown kind 99.
        "ok-minor1_unknown_kind.bin": patch(patch(two, 10, "<H", 1), tab(8), "<I", 99),
        "corrupt-minor0_unknown_kind.bin": patch(two, tab(8), "<I", 99),
    }
    for name, data in corpus.items():
        write(os.path.join(CORPUS, name), data)
    print("wrote %d corpus files, two_models.bin = %d bytes" % (len(corpus), len(two)))


if __name__ == "__main__":
    main()
