"""safetensors files, written and read without the ``safetensors`` package.

The layout is the reference writer's (``safetensors.torch.save``), the one ``@slr/interop``'s
``readSafetensors`` checks and ``writeSafetensors`` writes: an 8-byte little-endian header
length, a compact UTF-8 JSON header (``__metadata__`` first, its keys sorted, then each tensor's
``dtype``, ``shape`` and ``data_offsets``) padded with spaces to a multiple of 8 bytes, then the
tensors' raw little-endian bytes back to back, by descending dtype (int64, float64, float32,
int32, bfloat16, float16, int16, int8, uint8, bool) then by name.

>>> raw = safetensors_bytes({"b": torch.zeros(2), "a": torch.ones(1, dtype=torch.int64)},
...                         {"format": "pt"})
>>> tensors, metadata = read_safetensors_bytes(raw)
>>> list(tensors), metadata
(['a', 'b'], {'format': 'pt'})
"""

from __future__ import annotations

import json
import os
import struct
import sys
from collections import OrderedDict
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple, Union

import torch
from torch import Tensor

__all__ = [
    "safetensors_bytes",
    "read_safetensors_bytes",
    "save_safetensors",
    "load_safetensors",
    "write_file_atomic",
]

_CODES: Dict[torch.dtype, str] = {
    torch.bool: "BOOL",
    torch.uint8: "U8",
    torch.int8: "I8",
    torch.int16: "I16",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int32: "I32",
    torch.float32: "F32",
    torch.float64: "F64",
    torch.int64: "I64",
}
_DTYPES = {code: dtype for dtype, code in _CODES.items()}
# The reference writer's Dtype enum: tensors go by descending rank, then by name.
_RANKS = {
    "BOOL": 0,
    "U8": 1,
    "I8": 2,
    "I16": 5,
    "F16": 7,
    "BF16": 8,
    "I32": 9,
    "F32": 11,
    "F64": 12,
    "I64": 13,
}


def _tensor_bytes(tensor: Tensor) -> bytes:
    t = tensor.detach().to("cpu").contiguous()
    if sys.byteorder != "little":  # pragma: no cover - every machine PyTorch runs on
        raise RuntimeError("safetensors_io writes on little-endian machines only")
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def safetensors_bytes(
    tensors: Mapping[str, Tensor], metadata: Optional[Mapping[str, str]] = None
) -> bytes:
    """The bytes of a safetensors file holding ``tensors`` (and ``metadata``, strings only)."""
    for name, tensor in tensors.items():
        if name == "__metadata__" or not isinstance(tensor, Tensor) or tensor.dtype not in _CODES:
            raise ValueError(f"cannot write {name!r}: not a tensor of a safetensors dtype")
    entries = sorted(
        tensors.items(), key=lambda item: (-_RANKS[_CODES[item[1].dtype]], _code_points(item[0]))
    )
    parts = []
    if metadata is not None:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise ValueError("the metadata must map strings to strings")
        ordered = OrderedDict(sorted(metadata.items(), key=lambda item: _code_points(item[0])))
        parts.append('"__metadata__":' + _compact(ordered))
    chunks = []
    offset = 0
    for name, tensor in entries:
        raw = _tensor_bytes(tensor)
        chunks.append(raw)
        info = OrderedDict(
            [
                ("dtype", _CODES[tensor.dtype]),
                ("shape", list(tensor.shape)),
                ("data_offsets", [offset, offset + len(raw)]),
            ]
        )
        parts.append(_compact(name) + ":" + _compact(info))
        offset += len(raw)
    header = ("{" + ",".join(parts) + "}").encode("utf-8")
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + b"".join(chunks)


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _code_points(name: str) -> bytes:
    # The reference sorts by Rust's String order (UTF-8 bytes = code points); @slr/interop by
    # code point too. UTF-32-BE bytes compare as code points.
    return name.encode("utf-32-be", "surrogatepass")


def read_safetensors_bytes(raw: bytes) -> Tuple["OrderedDict[str, Tensor]", Dict[str, str]]:
    """The tensors (by name) and ``__metadata__`` of a safetensors file's bytes, checked as the
    reference reader checks them (offsets that cover the data exactly, back to back)."""
    if len(raw) < 8:
        raise ValueError("not a safetensors file: shorter than its 8-byte header length")
    (length,) = struct.unpack("<Q", raw[:8])
    if 8 + length > len(raw):
        raise ValueError(f"not a safetensors file: a header of {length} bytes in {len(raw)}")
    header = json.loads(raw[8 : 8 + length].decode("utf-8"))
    metadata = header.pop("__metadata__", None) or {}
    data = memoryview(raw)[8 + length :]
    spans = sorted((info["data_offsets"], name) for name, info in header.items())
    end = 0
    for (begin, stop), name in spans:
        if begin != end or stop < begin:
            raise ValueError(f"not a safetensors file: the data of {name!r} is not contiguous")
        end = stop
    if end != len(data):
        raise ValueError("not a safetensors file: its data does not end with the last tensor")
    tensors: "OrderedDict[str, Tensor]" = OrderedDict()
    for name in sorted(header, key=_code_points):
        info = header[name]
        dtype = _DTYPES.get(info["dtype"])
        if dtype is None:
            raise ValueError(f"not a safetensors file: unknown dtype {info['dtype']!r} of {name!r}")
        begin, stop = info["data_offsets"]
        chunk = bytearray(data[begin:stop])
        if not chunk:
            flat = torch.empty(0, dtype=dtype)
        elif dtype == torch.bfloat16:
            flat = torch.frombuffer(chunk, dtype=torch.int16).view(torch.bfloat16)
        else:
            flat = torch.frombuffer(chunk, dtype=dtype)
        count = 1
        for size in info["shape"]:
            count *= size
        if flat.numel() != count:
            values = f"{flat.numel()} values, not {count}"
            raise ValueError(f"not a safetensors file: {name!r} has {values}")
        tensors[name] = flat.reshape(info["shape"])
    return tensors, dict(metadata)


def write_file_atomic(path: Union[str, os.PathLike], data: bytes) -> None:
    """Writes ``data`` to ``path`` atomically and durably: a temporary file beside it, flushed
    to the disk (``fsync``), renamed over ``path`` (``os.replace``), then the folder flushed, so
    that a reader (or a crash) sees the old file or the new one, never a part."""
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        try:
            temporary.unlink()
        except FileNotFoundError:
            pass
        raise
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def save_safetensors(
    path: Union[str, os.PathLike],
    tensors: Mapping[str, Tensor],
    metadata: Optional[Mapping[str, str]] = None,
) -> None:
    """Writes a safetensors file atomically (:func:`write_file_atomic`)."""
    write_file_atomic(path, safetensors_bytes(tensors, metadata))


def load_safetensors(
    path: Union[str, os.PathLike]
) -> Tuple["OrderedDict[str, Tensor]", Dict[str, str]]:
    """The tensors and ``__metadata__`` of a safetensors file."""
    return read_safetensors_bytes(Path(path).read_bytes())
