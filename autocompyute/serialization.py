"""Saving and loading checkpoints: `save(obj, path)` and `load(path)`.

Two formats, chosen by the file name when saving and by the file's content when loading:

- safetensors (a path ending in `.safetensors`): readable by PyTorch, Hugging Face and others;
  see `autocompyute.safetensors_format`.
- `.npz` (every other name, e.g. `model.pt` or `state.npz`), format version 1: an uncompressed
  NumPy archive holding one `.npy` entry per array, named `a0`, `a1`, ... in the order they
  occur in `obj`, and an entry `__autocompyute__`: a 0-d unicode array with UTF-8 JSON metadata
  `{"format": "autocompyute", "version": 1, "structure": <node>}` (nodes are described in
  `autocompyute.checkpoint_structure`).

Nothing is pickled and loading never runs code. Writes are atomic: the file goes to a temporary
file in the target's directory, is flushed and fsynced, then renamed over the target, so a crash
never leaves a half-written checkpoint and never destroys an existing one. GPU arrays are saved
through host copies.

>>> import os, tempfile
>>> import numpy
>>> path = os.path.join(tempfile.mkdtemp(), "state.npz")
>>> save({"w": numpy.ones((2, 2), dtype="float32"), "step": 3}, path)
>>> state = load(path)
>>> state["step"], state["w"].dtype
(3, dtype('float32'))
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import tempfile
from collections.abc import Callable
from typing import Any

import numpy

from autocompyute.backend import DeviceLike, get_device
from autocompyute.checkpoint_structure import decode_structure, encode_structure
from autocompyute.safetensors_format import (
    looks_like_safetensors,
    read_safetensors,
    write_safetensors,
)

__all__ = ["load", "save"]

FORMAT_NAME = "autocompyute"
FORMAT_VERSION = 1
_METADATA_ENTRY = "__autocompyute__"


def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Saves a state dict, optimizer state or any nesting of dicts/lists of arrays to `path`.

    A path ending in `.safetensors` gets the safetensors format (a model's `state_dict()` is
    then readable by `safetensors.torch.load_file`); any other name gets the `.npz` format. The
    write is atomic (temporary file, fsync, rename): `path` holds either its old content or the
    complete new checkpoint, even if the process dies mid-write.

    Args:
        obj: dicts (str or int keys), lists, tuples, NumPy/CuPy arrays, Tensors, Python numbers,
            strings and None, nested freely.
        path: the file to write (no suffix is added).

    Raises:
        TypeError: naming where in `obj` a value cannot be saved.
    """
    path = os.fspath(path)
    if path.endswith(".safetensors"):
        _write_atomically(path, lambda temporary: write_safetensors(obj, temporary))
        return
    structure, arrays = encode_structure(obj)
    metadata = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "structure": structure}
    arrays[_METADATA_ENTRY] = numpy.array(json.dumps(metadata))

    def write_npz(temporary: str) -> None:
        with open(temporary, "wb") as file:
            numpy.savez(file, allow_pickle=False, **arrays)

    _write_atomically(path, write_npz)


def _write_atomically(path: str, write: Callable[[str], None]) -> None:
    """Runs `write(temporary)` beside `path`, fsyncs the result and renames it over `path`.

    The temporary file is named `.NAME.HOST-PID.XXXXXXXX.tmp`; those a killed save left behind
    for this `path` are removed first (only ones written on this host by a process that is gone).
    """
    directory = os.path.dirname(os.path.abspath(path))
    name = os.path.basename(path)
    _remove_stale_temporaries(directory, name)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{name}.{_host_tag()}-{os.getpid()}.", suffix=".tmp", dir=directory
    )
    os.close(descriptor)
    try:
        write(temporary)
        os.chmod(temporary, _file_mode(path))
        with open(temporary, "rb+") as file:
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    _fsync_directory(directory)


def _host_tag() -> str:
    """This host's name as it appears in temporary file names (dots and dashes dropped)."""
    return re.sub(r"[^A-Za-z0-9_]", "", socket.gethostname())[:32] or "host"


def _remove_stale_temporaries(directory: str, name: str) -> None:
    """Deletes temporary files of earlier saves to `name` whose writing process has died.

    Only files of exactly our naming pattern for this name, written on this host (the process id
    means nothing on another host sharing the directory), by a process id that no longer exists.
    Another live process's (or this process's) save in progress is never touched.
    """
    if os.name != "posix":  # no harmless liveness probe for a process id elsewhere
        return
    pattern = re.compile(
        rf"\.{re.escape(name)}\.{re.escape(_host_tag())}-(\d+)\.[A-Za-z0-9_]{{8}}\.tmp"
    )
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    for entry in entries:
        match = pattern.fullmatch(entry)
        if match is None or _process_exists(int(match.group(1))):
            continue
        # Removed meanwhile, or not ours to remove: leave it.
        with contextlib.suppress(OSError):
            os.remove(os.path.join(directory, entry))


def _process_exists(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # it exists (owned by someone else), or we cannot tell: keep the file
    return True


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


def load(
    path: str | os.PathLike[str],
    device: DeviceLike | None = None,
    *,
    mmap: bool = False,
    map_location: DeviceLike | None = None,
    weights_only: bool | None = None,
) -> Any:
    """Loads a checkpoint written by `save`, or a safetensors file written by any library.

    Args:
        path: the checkpoint file (its format is recognised from its content).
        device: where to put arrays and tensors (default: NumPy arrays / CPU tensors).
        mmap: map a safetensors file instead of reading it: arrays are copy-on-write views of
            the file, read from disk only when touched (`.npz` files are always read).
        map_location: PyTorch's name for `device` (a device or device string).
        weights_only: accepted for PyTorch compatibility; loading never runs code anyway.

    Returns:
        The saved object, with arrays as NumPy (or CuPy, for a CUDA `device`) arrays and saved
        tensors as Tensors; a safetensors file from another library gives a dict of name ->
        Tensor.

    Raises:
        FileNotFoundError: if `path` does not exist.
        ValueError: if the file is truncated, corrupt or not a checkpoint; the message names the
            path and what is wrong.
    """
    del weights_only
    path = os.fspath(path)
    if device is not None and map_location is not None:
        raise TypeError("load: give device or map_location, not both")
    where = device if device is not None else map_location
    target = None if where is None else get_device(where)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no checkpoint at {path!r}")
    try:
        with open(path, "rb") as file:
            head = file.read(16)
        if looks_like_safetensors(head) and not head.startswith(b"PK"):
            return read_safetensors(path, target, mmap)
        # Our own file object: numpy.load leaves its file open when the archive is malformed.
        with open(path, "rb") as file, numpy.load(file, allow_pickle=False) as archive:
            if _METADATA_ENTRY not in archive.files:
                raise ValueError("it has no autocompyute metadata entry")
            metadata = json.loads(str(archive[_METADATA_ENTRY][()]))
            if not isinstance(metadata, dict):
                raise ValueError("its metadata is not a JSON object")
            if metadata.get("format") != FORMAT_NAME:
                raise ValueError(f"unknown format {metadata.get('format')!r}")
            version = metadata.get("version")
            if not isinstance(version, int) or version > FORMAT_VERSION:
                raise ValueError(
                    f"format version {version!r} is newer than this autocompyute "
                    f"supports ({FORMAT_VERSION}); upgrade autocompyute"
                )
            return decode_structure(metadata.get("structure"), archive.__getitem__, target)
    except FileNotFoundError:
        raise
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as error:  # a malformed file can make NumPy or json raise anything
        raise ValueError(
            f"load: {path!r} is not a valid autocompyute checkpoint (truncated or "
            f"corrupt?): {type(error).__name__}: {error}"
        ) from error
