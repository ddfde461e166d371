#!/usr/bin/env python3
"""Generate the PyTorch files that @slr/interop's tests read (packages/interop/test-fixtures).

Writes, with PyTorch (``torch.save``) where PyTorch writes the format:

* ``dtypes.zip.pt`` / ``dtypes.legacy.pt``: an OrderedDict of tensors of every dtype the reader
  handles (float32, float64, float16, bfloat16 with their special values, int64 beyond 2**53,
  int32, int16, int8, uint8, bool), strided views (a transpose, a slice with an offset, an
  expanded tensor with a zero stride), a scalar, an empty tensor and two views of one storage;
  in the zip format (PyTorch >= 1.6) and the legacy one (``_use_new_zipfile_serialization=False``).
* ``module.zip.pt`` / ``module.legacy.pt``: ``model.state_dict()`` of a small Conv3d/BatchNorm3d/
  Linear model (an OrderedDict with ``_metadata``, a ``num_batches_tracked`` int64 scalar).
* ``checkpoint.zip.pt`` (pickle protocol 4) / ``checkpoint.legacy.pt``: a training checkpoint,
  ``{'state_dict': …, 'epoch': 3, …}`` with plain values of every kind and an ``nn.Parameter``.
* ``weights.safetensors``: the dtypes (as safetensors names them) and ``__metadata__``, written
  here by hand after the format (the ``safetensors`` package is not needed): tensors sorted by
  descending dtype, then by name, a compact JSON header padded with spaces to 8 bytes, as the
  reference writer lays it out. Where the ``safetensors`` package can be imported, its bytes
  are checked to be the same.

and files that the reader must refuse:

* ``foreign-global.pt``: a zip archive whose data.pkl names ``os.system`` (built opcode by
  opcode; nothing here calls it, and the reader must refuse it without calling it either);
* ``whole-model.pt``: ``torch.save(model)`` of a whole nn.Sequential (its pickle names classes);
* ``torchscript.pt``: ``torch.jit.save`` of a scripted module;
* ``compressed.pt``: ``dtypes.zip.pt`` re-zipped with deflate;
* ``big-endian.legacy.pt``: ``dtypes.legacy.pt`` whose system information says
  ``little_endian: False``.

``pickles.json`` holds, as hex, one plain value (ints small and beyond 2**63, floats, None,
booleans, strings short and long, bytes, a set, a frozenset, empty containers, short tuples and
a list referenced twice) pickled with each protocol from 2 to 5, and a bytearray (protocol 5).

``expected.json`` holds, for each readable fixture, its tensors: dtype, shape and values
(row-major; floats as PyTorch's float32 conversion gives them, with "NaN", "Infinity" and
"-Infinity" as strings; int64 as decimal strings).

Usage: /usr/bin/python3 scripts/generate-interop-fixtures.py [--out DIR]
"""

import argparse
import collections
import io
import json
import math
import os
import pickle
import struct
import sys
import zipfile

try:
    import torch
except ImportError:  # pragma: no cover - depends on the machine
    sys.exit("PyTorch is needed: apt-get install python3-torch (Debian), then run with /usr/bin/python3")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "packages", "interop", "test-fixtures")

SAFETENSORS_CODES = {
    torch.float32: "F32",
    torch.float64: "F64",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}
# The reference writer's Dtype enum order; it writes tensors by descending rank, then by name.
SAFETENSORS_RANKS = {"BOOL": 0, "U8": 1, "I8": 2, "I16": 5, "F16": 7, "BF16": 8, "I32": 9, "F32": 11, "F64": 12, "I64": 13}
DTYPE_NAMES = {
    torch.float32: "float32",
    torch.float64: "float64",
    torch.float16: "float16",
    torch.bfloat16: "bfloat16",
    torch.int64: "int64",
    torch.int32: "int32",
    torch.int16: "int16",
    torch.int8: "int8",
    torch.uint8: "uint8",
    torch.bool: "bool",
}


def dtype_tensors():
    """An OrderedDict of tensors of every dtype, views and corner cases."""
    torch.manual_seed(0)
    specials = [math.inf, -math.inf, math.nan, -0.0, 0.0, 1.0 / 3.0]
    half = torch.tensor(specials + [65504.0, 6e-8, 1e-5, -2.5, 0.1, 1000.25], dtype=torch.float16).reshape(3, 4)
    bfloat = torch.tensor(specials + [3e38, 1e-40, -7.0, 0.1], dtype=torch.bfloat16)
    double = torch.tensor([[1.0 / 3.0, -1e-40], [1e30, math.pi]], dtype=torch.float64)
    base = torch.randn(3, 4)
    grid = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    shared = torch.randn(2, 3)
    return collections.OrderedDict(
        [
            ("float", torch.randn(2, 3, 2)),
            ("half", half),
            ("bfloat", bfloat),
            ("double", double),
            ("long", torch.tensor([-(2**40), 0, 2**62 + 1, -(2**63)], dtype=torch.int64)),
            ("int", torch.tensor([-(2**31), 7, 2**31 - 1], dtype=torch.int32)),
            ("short", torch.tensor([-32768, 5, 32767], dtype=torch.int16)),
            ("char", torch.tensor([-128, 0, 127], dtype=torch.int8)),
            ("byte", torch.tensor([0, 255, 7], dtype=torch.uint8)),
            ("mask", torch.tensor([True, False, True])),
            ("transposed", base.t()),  # stride (1, 4): saved as the whole storage and the view
            ("sliced", grid[1:, ::2]),  # offset 6, stride (6, 2)
            ("expanded", torch.tensor([1.5, -2.0]).expand(3, 2)),  # stride (0, 1)
            ("scalar", torch.tensor(2.5)),
            ("empty", torch.zeros(0, 3)),
            ("shared_whole", shared),
            ("shared_row", shared[1]),  # the same storage as shared_whole, offset 3
        ]
    )


def small_model():
    torch.manual_seed(1)
    model = torch.nn.Sequential(
        torch.nn.Conv3d(3, 4, kernel_size=(1, 2, 2)),
        torch.nn.BatchNorm3d(4),
        torch.nn.Flatten(),
        torch.nn.Linear(4, 2),
    )
    model.train()
    model(torch.randn(2, 3, 1, 2, 2))  # moves the batch-norm statistics and its counter
    return model


def values_of(tensor):
    """A tensor's values for expected.json: row-major, floats as float32, int64 as strings."""
    flat = tensor.detach().reshape(-1)
    if tensor.dtype in (torch.float32, torch.float64, torch.float16, torch.bfloat16):
        return [encode_float(v) for v in flat.float().tolist()]
    if tensor.dtype == torch.int64:
        return [str(v) for v in flat.tolist()]
    if tensor.dtype == torch.bool:
        return [1 if v else 0 for v in flat.tolist()]
    return flat.tolist()


def encode_float(value):
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def expected_tensors(tensors):
    return collections.OrderedDict(
        (name, {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape), "values": values_of(t)})
        for name, t in tensors.items()
    )


def safetensors_bytes(tensors, metadata=None):
    """A safetensors file laid out as the reference writer lays it out."""
    entries = sorted(
        ((name, t.contiguous()) for name, t in tensors.items()),
        key=lambda item: (-SAFETENSORS_RANKS[SAFETENSORS_CODES[item[1].dtype]], item[0]),
    )
    header = {}
    if metadata is not None:
        header["__metadata__"] = dict(sorted(metadata.items()))
    data = io.BytesIO()
    for name, t in entries:
        raw = tensor_bytes(t)
        start = data.tell()
        data.write(raw)
        header[name] = {"dtype": SAFETENSORS_CODES[t.dtype], "shape": list(t.shape), "data_offsets": [start, data.tell()]}
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data.getvalue()


def tensor_bytes(tensor):
    """A contiguous tensor's bytes, little-endian (as this machine stores them)."""
    assert sys.byteorder == "little"
    t = tensor.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def foreign_global_archive():
    """A zip archive laid out as torch.save's whose data.pkl names os.system (never called)."""
    pickled = (
        b"\x80\x02"  # PROTO 2
        b"cos\nsystem\n"  # GLOBAL 'os system': pushes a reference; nothing runs it here
        b"X\x0b\x00\x00\x00echo hacked"  # BINUNICODE 'echo hacked'
        b"\x85"  # TUPLE1
        b"R"  # REDUCE: what a plain pickle.load would call
        b"."  # STOP
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(entry("foreign-global/data.pkl"), pickled)
        archive.writestr(entry("foreign-global/version"), "3\n")
    return buffer.getvalue()


def entry(name):
    """A zip entry dated as torch.save dates its entries, so that the archive is the same each run."""
    return zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))


def recompressed(raw):
    """The same zip archive with every entry deflated."""
    source = zipfile.ZipFile(io.BytesIO(raw))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(entry(info.filename), source.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def big_endian(raw):
    """A legacy checkpoint whose system information says little_endian: False."""
    stream = io.BytesIO(raw)
    pickle.load(stream)  # the magic number (a plain int)
    pickle.load(stream)  # the protocol version (a plain int)
    start = stream.tell()
    info = pickle.load(stream)  # a plain dict
    end = stream.tell()
    info["little_endian"] = False
    return raw[:start] + pickle.dumps(info, protocol=2) + raw[end:]


def saved(value, **options):
    buffer = io.BytesIO()
    torch.save(value, buffer, **options)
    return buffer.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=DEFAULT_OUT)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    dtypes = dtype_tensors()
    model = small_model()
    module = model.state_dict()
    checkpoint = {
        "state_dict": module,
        "epoch": 3,
        "lr": 0.1,
        "name": "i3d",
        "flags": [True, None, False],
        "big": 2**70,
        "negative": -5,
        "pair": (1, "a"),
        "raw": b"\x00\x01",
        "parameter": torch.nn.Parameter(torch.ones(2)),
    }
    legacy = {"_use_new_zipfile_serialization": False}

    files = {
        "dtypes.zip.pt": saved(dtypes),
        "dtypes.legacy.pt": saved(dtypes, **legacy),
        "module.zip.pt": saved(module),
        "module.legacy.pt": saved(module, **legacy),
        "checkpoint.zip.pt": saved(checkpoint, pickle_protocol=4),
        "checkpoint.legacy.pt": saved(checkpoint, **legacy),
        "weights.safetensors": safetensors_bytes(dtypes_for_safetensors(dtypes), {"format": "pt", "source": "slr"}),
        "foreign-global.pt": foreign_global_archive(),
        "whole-model.pt": saved(torch.nn.Sequential(torch.nn.Linear(2, 2))),
        "compressed.pt": None,
        "big-endian.legacy.pt": None,
        "torchscript.pt": None,
    }
    files["compressed.pt"] = recompressed(files["dtypes.zip.pt"])
    files["big-endian.legacy.pt"] = big_endian(files["dtypes.legacy.pt"])
    script = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), script)
    files["torchscript.pt"] = script.getvalue()

    # What PyTorch reads back is what was saved (torch.load is safe here: we wrote these).
    for name in ("dtypes.zip.pt", "dtypes.legacy.pt"):
        loaded = torch.load(io.BytesIO(files[name]))
        for key, t in dtypes.items():
            assert loaded[key].dtype == t.dtype and loaded[key].stride() == t.stride(), (name, key)
            torch.testing.assert_close(loaded[key], t, rtol=0, atol=0, equal_nan=True)
    check_safetensors(files["weights.safetensors"], dtypes_for_safetensors(dtypes), {"format": "pt", "source": "slr"})

    expected = collections.OrderedDict()
    expected["dtypes"] = expected_tensors(dtypes)
    expected["module"] = expected_tensors(module)
    expected["safetensors"] = expected_tensors(dtypes_for_safetensors(dtypes))

    shared = [7]
    plain = {
        "ints": [0, 1, -1, 255, 256, 65535, 65536, -(2**31), 2**31, 2**53, 2**63, -(2**70)],
        "floats": [1.5, -0.0, 1e308],
        "consts": (None, True, False),
        "text": ("x", "\u00e9", "y" * 300),
        "raw": b"\x00\xff",
        "set": {1, 2},
        "frozen": frozenset({3}),
        "empty": ({}, [], ()),
        "pair": (1, 2),
        "triple": (1, 2, 3),
        "p": shared,
        "q": shared,
    }
    pickles = collections.OrderedDict((str(protocol), pickle.dumps(plain, protocol=protocol).hex()) for protocol in (2, 3, 4, 5))
    pickles["bytearray"] = pickle.dumps(bytearray(b"ab"), protocol=5).hex()

    for name, raw in files.items():
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(raw)
    with open(os.path.join(args.out, "pickles.json"), "w") as f:
        json.dump(pickles, f, indent=1)
        f.write("\n")
    with open(os.path.join(args.out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {len(files)} files, pickles.json and expected.json to {os.path.relpath(args.out, ROOT)} (PyTorch {torch.__version__})")


def dtypes_for_safetensors(dtypes):
    """The tensors of a safetensors file: contiguous, no two sharing memory (as save_file wants)."""
    return collections.OrderedDict((name, t.contiguous().clone()) for name, t in dtypes.items())


def check_safetensors(raw, tensors, metadata):
    """Reads the bytes back with a strict reader, and with the safetensors package where it exists."""
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    assert header.pop("__metadata__") == metadata
    data = raw[8 + length :]
    for name, info in header.items():
        start, end = info["data_offsets"]
        t = tensors[name]
        assert bytes(data[start:end]) == tensor_bytes(t), name
    try:
        import safetensors.torch as reference
    except ImportError:
        return
    # The reference keeps __metadata__ in a hash map, in no fixed order: compare without it.
    assert reference.save(tensors) == safetensors_bytes(tensors), "the reference writer lays the file out differently"
    for name, t in reference.load(raw).items():
        torch.testing.assert_close(t, tensors[name], rtol=0, atol=0, equal_nan=True)


if __name__ == "__main__":
    main()
