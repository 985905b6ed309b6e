"""Saving and loading checkpoints: `save(obj, path)` and `load(path)`.

File format (version 1): an uncompressed NumPy `.npz` archive (a zip file of `.npy` arrays)
holding

- one entry per array, named `a0`, `a1`, ... in the order they occur in `obj`;
- an entry `__autocompyute__`: a 0-d unicode array with UTF-8 JSON metadata
  `{"format": "autocompyute", "version": 1, "structure": <node>}`.

A `<node>` describes one value of `obj`:

- `{"type": "dict", "items": [[key, <node>], ...]}` (keys are str or int, kept in order);
- `{"type": "list" | "tuple", "items": [<node>, ...]}`;
- `{"type": "array" | "tensor" | "numpy_scalar", "entry": "a3", "dtype": "float32",
  "shape": [2, 3]}` (tensors come back as CPU `Tensor`s, arrays as NumPy arrays);
- `{"type": "int" | "float" | "bool" | "str" | "none", "value": ...}`.

Nothing is pickled (loading uses `allow_pickle=False`), so any NumPy can read the arrays.
Writes are atomic: the archive goes to a temporary file in the target's directory, is flushed
and fsynced, then renamed over the target, so a crash never leaves a half-written checkpoint
and never destroys an existing one. GPU arrays are saved through host copies.

>>> import os, tempfile
>>> import numpy
>>> path = os.path.join(tempfile.mkdtemp(), "state.npz")
>>> save({"w": numpy.ones((2, 2), dtype="float32"), "step": 3}, path)
>>> state = load(path)
>>> state["step"], state["w"].dtype
(3, dtype('float32'))
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy

from autocompyute.backend import DeviceLike, get_device, move_array
from autocompyute.tensor import Tensor

__all__ = ["load", "save"]

FORMAT_NAME = "autocompyute"
FORMAT_VERSION = 1
_METADATA_ENTRY = "__autocompyute__"
_SCALARS = {bool: "bool", int: "int", float: "float", str: "str"}


def _host_array(value: Any) -> numpy.ndarray:
    array = value.as_numpy() if isinstance(value, Tensor) else value
    if not isinstance(array, numpy.ndarray):
        array = move_array(array, get_device("cpu"))  # a CuPy array: copy to the host
    if array.dtype.hasobject:
        raise TypeError("save: arrays of Python objects cannot be saved")
    return array


def _encode(value: Any, arrays: dict[str, numpy.ndarray], where: str) -> dict[str, Any]:
    if value is None:
        return {"type": "none", "value": None}
    scalar_type = _SCALARS.get(type(value))
    if scalar_type is not None:
        return {"type": scalar_type, "value": value}
    if isinstance(value, Mapping):
        items = []
        for key, item in value.items():
            if type(key) not in (str, int):
                raise TypeError(
                    f"save: dict keys must be str or int, got {type(key).__name__} at {where}"
                )
            items.append([key, _encode(item, arrays, f"{where}[{key!r}]")])
        return {"type": "dict", "items": items}
    if isinstance(value, list | tuple):
        kind = "list" if isinstance(value, list) else "tuple"
        return {
            "type": kind,
            "items": [
                _encode(item, arrays, f"{where}[{index}]") for index, item in enumerate(value)
            ],
        }
    if isinstance(value, Tensor):
        kind = "tensor"
    elif isinstance(value, numpy.generic):
        kind = "numpy_scalar"
    elif isinstance(value, numpy.ndarray) or hasattr(value, "__cuda_array_interface__"):
        kind = "array"
    else:
        raise TypeError(
            f"save: cannot save a {type(value).__name__} at {where}; supported: "
            "dicts, lists, tuples, arrays, tensors, numbers, str and None"
        )
    array = _host_array(numpy.asarray(value) if kind == "numpy_scalar" else value)
    entry = f"a{len(arrays)}"
    arrays[entry] = array
    return {"type": kind, "entry": entry, "dtype": array.dtype.str, "shape": list(array.shape)}


def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Saves a state dict, optimizer state or any nesting of dicts/lists of arrays to `path`.

    The write is atomic (temporary file, fsync, rename): `path` holds either its old content
    or the complete new checkpoint, even if the process dies mid-write.

    Args:
        obj: dicts (str or int keys), lists, tuples, NumPy/CuPy arrays, Tensors, Python numbers,
            strings and None, nested freely.
        path: the file to write (conventionally ending in `.npz`; no suffix is added).
    """
    path = os.fspath(path)
    arrays: dict[str, numpy.ndarray] = {}
    structure = _encode(obj, arrays, "obj")
    metadata = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "structure": structure}
    arrays[_METADATA_ENTRY] = numpy.array(json.dumps(metadata))
    directory = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(descriptor, "wb") as file:
            numpy.savez(file, allow_pickle=False, **arrays)
            file.flush()
            os.chmod(temporary, _file_mode(path))
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    _fsync_directory(directory)


def _file_mode(path: str) -> int:
    """The permissions the checkpoint gets: the old file's, else the default for new files."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_directory(directory: str) -> None:
    """Makes the rename durable; some platforms cannot open directories, which is harmless."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


class _Decoder:
    def __init__(self, archive: Any, path: str, device: Any) -> None:
        self.archive = archive
        self.path = path
        self.device = device

    def decode(self, node: Any) -> Any:
        kind = node["type"]
        if kind == "none":
            return None
        if kind in ("bool", "int", "float", "str"):
            return {"bool": bool, "int": int, "float": float, "str": str}[kind](node["value"])
        if kind == "dict":
            return {key: self.decode(item) for key, item in node["items"]}
        if kind in ("list", "tuple"):
            items = [self.decode(item) for item in node["items"]]
            return items if kind == "list" else tuple(items)
        if kind in ("array", "tensor", "numpy_scalar"):
            array = self.archive[node["entry"]]
            if array.dtype.str != node["dtype"] or list(array.shape) != node["shape"]:
                raise ValueError(
                    f"entry {node['entry']} has dtype {array.dtype.str} shape "
                    f"{list(array.shape)}, the metadata says {node['dtype']} "
                    f"{node['shape']}"
                )
            if kind == "numpy_scalar":
                return array[()]
            if self.device is not None:
                array = move_array(array, self.device)
            return Tensor(array) if kind == "tensor" else array
        raise ValueError(f"unknown node type {kind!r}")


def load(path: str | os.PathLike[str], device: DeviceLike | None = None) -> Any:
    """Loads an object written by `save`.

    Args:
        path: the checkpoint file.
        device: where to put arrays and tensors (default: NumPy arrays / CPU tensors).

    Returns:
        The saved object, with arrays as NumPy (or CuPy, for a CUDA `device`) arrays and saved
        tensors as Tensors.

    Raises:
        FileNotFoundError: if `path` does not exist.
        ValueError: if the file is truncated, corrupt or not an autocompyute checkpoint; the
            message names the path.
    """
    path = os.fspath(path)
    target = None if device is None else get_device(device)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no checkpoint at {path!r}")
    try:
        with numpy.load(path, allow_pickle=False) as archive:
            if _METADATA_ENTRY not in archive.files:
                raise ValueError("it has no autocompyute metadata entry")
            metadata = json.loads(str(archive[_METADATA_ENTRY][()]))
            if metadata.get("format") != FORMAT_NAME:
                raise ValueError(f"unknown format {metadata.get('format')!r}")
            version = metadata.get("version")
            if not isinstance(version, int) or version > FORMAT_VERSION:
                raise ValueError(
                    f"format version {version!r} is newer than this autocompyute "
                    f"supports ({FORMAT_VERSION}); upgrade autocompyute"
                )
            return _Decoder(archive, path, target).decode(metadata["structure"])
    except (
        ValueError,
        KeyError,
        TypeError,
        OSError,
        EOFError,
        zipfile.BadZipFile,
        json.JSONDecodeError,
    ) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise ValueError(
            f"load: {path!r} is not a valid autocompyute checkpoint (truncated or "
            f"corrupt?): {error}"
        ) from error
