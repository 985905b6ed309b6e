"""Checkpoints in the safetensors format, readable by PyTorch, Hugging Face, JAX and others.

A file holds named tensors and a string-to-string metadata map. A state dict is stored with its
own keys as tensor names (`"fc.weight"`), so `safetensors.torch.load_file(path)` gives PyTorch
exactly the dict it expects; a nested object (an optimizer state) names its arrays by their path
(`"state.0.exp_avg"`) and keeps its structure (hyperparameters, step counts) in the metadata entry
`__autocompyute__` as JSON (see `checkpoint_structure`). Writing goes through the `safetensors`
package; reading parses the header itself (8-byte little-endian length, then JSON), validates
every entry, and can map the file lazily instead of reading it.
"""

from __future__ import annotations

import json
import os
import struct
import warnings
from collections.abc import Mapping
from typing import Any

import numpy

from autocompyute.backend import Device, move_array
from autocompyute.checkpoint_structure import decode_structure, encode_structure
from autocompyute.tensor import Tensor

__all__ = ["looks_like_safetensors", "read_safetensors", "write_safetensors"]

METADATA_KEY = "__autocompyute__"
FORMAT_NAME = "autocompyute"
FORMAT_VERSION = 1
_HEADER_LIMIT = 100 * 1024 * 1024  # the safetensors package refuses larger headers too

# safetensors dtype names -> NumPy dtypes (little-endian, as the format stores them).
_DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2",
    "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
    "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?",
}  # fmt: skip
_NAMES = {numpy.dtype(dtype): name for name, dtype in _DTYPES.items()}


def looks_like_safetensors(head: bytes) -> bool:
    """Whether the first bytes of a file look like safetensors (a header length, then `{`)."""
    return len(head) >= 9 and head[8:9] == b"{"


def _entry_names(path: tuple[str, ...], arrays: Mapping[str, numpy.ndarray]) -> str:
    name = ".".join(path) or "tensor"
    if name not in arrays:
        return name
    suffix = 1
    while f"{name}#{suffix}" in arrays:
        suffix += 1
    return f"{name}#{suffix}"


def write_safetensors(obj: Any, file_path: str) -> None:
    """Writes `obj` (any nesting `save` accepts) to `file_path` in the safetensors format."""
    from safetensors.numpy import save_file  # deferred: only checkpoints need the package

    structure, arrays = encode_structure(obj, _entry_names)
    for name, array in arrays.items():
        if array.dtype not in _NAMES:
            raise TypeError(
                f"save: safetensors cannot store {array.dtype} (entry {name!r}); use a .npz path"
            )
    metadata = {
        "format": "pt",  # Hugging Face's loaders expect it; the tensors are plain data
        METADATA_KEY: json.dumps(
            {"format": FORMAT_NAME, "version": FORMAT_VERSION, "structure": structure}
        ),
    }
    # (ascontiguousarray would turn 0-d arrays into 1-d ones)
    tensors = {
        name: array if array.flags.c_contiguous else array.copy(order="C")
        for name, array in arrays.items()
    }
    save_file(tensors, file_path, metadata=metadata)


def read_safetensors(path: str, device: Device | None, mmap: bool) -> Any:
    """Reads a safetensors file written by autocompyute or by any other library.

    Files with autocompyute metadata come back as the object that was saved; other files as a
    dict of tensor name -> Tensor in the file's order. bfloat16 entries become float32 (NumPy has
    no bfloat16), with a warning naming them.

    Raises:
        ValueError: naming what is wrong with the header or an entry (the caller adds the path).
    """
    size = os.path.getsize(path)
    with open(path, "rb") as file:
        head = file.read(8)
        if len(head) < 8:
            raise ValueError(f"the file has {len(head)} bytes, too short for a header")
        (header_size,) = struct.unpack("<Q", head)
        if header_size > min(_HEADER_LIMIT, size - 8):
            raise ValueError(f"header size {header_size} exceeds the file ({size} bytes)")
        header_bytes = file.read(header_size)
        buffer: bytearray | None = None
        if not mmap:
            # One writable buffer that the arrays view: the data is read once, never copied.
            buffer = bytearray(size - 8 - header_size)
            if file.readinto(buffer) != len(buffer):
                raise ValueError("the file ended before its data did")
    header = json.loads(header_bytes.decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError(f"the header is a JSON {type(header).__name__}, not an object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in metadata.items()
    ):
        raise ValueError("__metadata__ must map strings to strings")
    data_start = 8 + header_size
    data_size = size - data_start
    reader = _EntryReader(path, header, data_start, data_size, buffer)
    own = metadata.get(METADATA_KEY)
    if own is None:
        names = sorted(header, key=lambda name: reader.offsets(name)[0])
        tensors = {name: reader.array(name) for name in names}
        reader.report_conversions()
        return {
            name: Tensor(array if device is None else move_array(array, device))
            for name, array in tensors.items()
        }
    described = json.loads(own)
    if not isinstance(described, dict) or described.get("format") != FORMAT_NAME:
        raise ValueError(f"metadata {METADATA_KEY} is not an autocompyute description")
    version = described.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"format version {version!r} is newer than this autocompyute supports "
            f"({FORMAT_VERSION}); upgrade autocompyute"
        )
    obj = decode_structure(described.get("structure"), reader.array, device)
    reader.report_conversions()
    return obj


class _EntryReader:
    """Checks header entries and makes their arrays, from the read bytes or a file mapping."""

    def __init__(
        self, path: str, header: dict[str, Any], start: int, size: int, buffer: bytearray | None
    ) -> None:
        self.path, self.header, self.start, self.size, self.buffer = (
            path, header, start, size, buffer,
        )  # fmt: skip
        self.converted: list[str] = []

    def offsets(self, name: str) -> tuple[int, int]:
        info = self.header.get(name)
        if not isinstance(info, dict):
            raise ValueError(f"no entry {name!r} in the header")
        offsets = info.get("data_offsets")
        if not (
            isinstance(offsets, list)
            and len(offsets) == 2
            and all(type(value) is int for value in offsets)
            and 0 <= offsets[0] <= offsets[1] <= self.size
        ):
            raise ValueError(f"entry {name!r} has bad data_offsets {offsets!r:.60}")
        return offsets[0], offsets[1]

    def array(self, name: str) -> numpy.ndarray:
        info = self.header.get(name)
        begin, end = self.offsets(name)
        assert isinstance(info, dict)
        dtype_name, shape = info.get("dtype"), info.get("shape")
        if not (isinstance(shape, list) and all(type(n) is int and n >= 0 for n in shape)):
            raise ValueError(f"entry {name!r} has bad shape {shape!r:.60}")
        bfloat16 = dtype_name == "BF16"
        if not bfloat16 and not (isinstance(dtype_name, str) and dtype_name in _DTYPES):
            raise ValueError(
                f"entry {name!r} has dtype {dtype_name!r}, which autocompyute cannot load "
                f"(supported: {', '.join([*_DTYPES, 'BF16'])})"
            )
        dtype = numpy.dtype("<u2" if bfloat16 else _DTYPES[str(dtype_name)])
        count = int(numpy.prod(shape, dtype=numpy.int64))
        if end - begin != count * dtype.itemsize:
            raise ValueError(
                f"entry {name!r}: {end - begin} bytes for shape {shape} of {dtype_name}"
            )
        if count == 0:
            raw = numpy.empty(shape, dtype)
        elif self.buffer is None:
            raw = numpy.memmap(
                self.path, dtype=dtype, mode="c", offset=self.start + begin, shape=tuple(shape)
            ).view(numpy.ndarray)
        else:
            raw = numpy.frombuffer(self.buffer, dtype, count, begin).reshape(shape)
        if bfloat16:
            self.converted.append(name)
            # bfloat16 is the top half of a float32: widening is exact.
            return (raw.astype(numpy.uint32) << 16).view(numpy.float32)
        return raw.astype(dtype.newbyteorder("="), copy=False)

    def report_conversions(self) -> None:
        if self.converted:
            shown = ", ".join(self.converted[:5]) + (" ..." if len(self.converted) > 5 else "")
            warnings.warn(
                f"load: {self.path!r} holds bfloat16 tensors, loaded as float32 (exact): {shown}",
                stacklevel=4,
            )
