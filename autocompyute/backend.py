"""Devices and array modules: the one place that picks NumPy or CuPy.

Ops never import `numpy` or `cupy` directly; they ask for the array module of their inputs with
`array_module(array)` (or `Device.xp`). CuPy is imported lazily, on the first CUDA request.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from types import ModuleType
from typing import Any

import numpy

__all__ = [
    "Device",
    "DeviceLike",
    "array_module",
    "cuda_available",
    "device_of",
    "get_device",
]


_DEVICE_PATTERN = re.compile(r"^(cpu|cuda)(?::(\d+))?$")


class Device:
    """A compute device: `"cpu"` (NumPy) or `"cuda"`/`"cuda:N"` (CuPy on GPU N).

    Args:
        spec: `"cpu"`, `"cuda"`, `"cuda:N"` or another `Device`.

    >>> Device("cpu")
    Device('cpu')
    >>> str(Device("cpu"))
    'cpu'
    """

    __slots__ = ("index", "type")
    type: str  # "cpu" or "cuda"
    index: int | None  # GPU number; None for the cpu

    def __init__(self, spec: str | Device = "cpu") -> None:
        if isinstance(spec, Device):
            self.type, self.index = spec.type, spec.index
            return
        if not isinstance(spec, str):
            raise TypeError(f"device must be a string like 'cpu' or 'cuda:0', got {spec!r}")
        match = _DEVICE_PATTERN.match(spec.strip().lower())
        if match is None:
            raise ValueError(f"unknown device {spec!r}; expected 'cpu', 'cuda' or 'cuda:N'")
        self.type = match.group(1)
        index = match.group(2)
        if self.type == "cpu":
            if index is not None and index != "0":
                raise ValueError(f"unknown device {spec!r}; there is one cpu device")
            self.index = None
        else:
            self.index = int(index) if index is not None else 0

    @property
    def xp(self) -> ModuleType:
        """The array module for this device (`numpy` or `cupy`)."""
        if self.type == "cpu":
            return numpy
        return _cupy()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                other = Device(other)
            except (TypeError, ValueError):
                return False
        if not isinstance(other, Device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"Device('{self}')"


DeviceLike = str | Device

CPU = Device("cpu")


@cache
def _cupy() -> ModuleType:
    try:
        import cupy
    except ImportError as error:
        raise RuntimeError(
            "device 'cuda' needs CuPy, which is not installed: pip install 'autocompyute[cuda]' "
            "(and the CUDA libraries, see https://docs.cupy.dev/en/stable/install.html)"
        ) from error
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CUDA driver missing or broken
        raise RuntimeError(
            f"device 'cuda': CuPy is installed but CUDA is unusable: {error}"
        ) from error
    if count == 0:
        raise RuntimeError("device 'cuda': CuPy found no NVIDIA GPU")
    return cupy


def cuda_available() -> bool:
    """Returns whether CuPy is installed and sees at least one GPU."""
    try:
        _cupy()
    except RuntimeError:
        return False
    return True


@lru_cache(maxsize=64)
def _cached_device(spec: str) -> Device:
    return Device(spec)


def get_device(device: DeviceLike | None) -> Device:
    """Resolves `device` (None means cpu) to a `Device`, checking that CUDA is usable."""
    if device is None:
        return CPU
    resolved = device if isinstance(device, Device) else _cached_device(device)
    if resolved.type == "cuda":
        cupy = _cupy()
        if resolved.index is not None and resolved.index >= cupy.cuda.runtime.getDeviceCount():
            raise RuntimeError(f"device {resolved}: no such GPU")
    return resolved


def array_module(array: Any) -> ModuleType:
    """Returns `numpy` or `cupy`, whichever owns `array`."""
    if isinstance(array, numpy.ndarray | numpy.generic):
        return numpy
    return _cupy()


def device_of(array: Any) -> Device:
    """Returns the device an array lives on."""
    if isinstance(array, numpy.ndarray | numpy.generic):
        return CPU
    return _cached_device(f"cuda:{array.device.id}")


def move_array(array: Any, device: Device) -> Any:
    """Returns `array` on `device` (the same object when it is already there)."""
    if device.type == "cpu":
        if isinstance(array, numpy.ndarray):
            return array
        return array.get()
    cupy = _cupy()
    with cupy.cuda.Device(device.index):
        if isinstance(array, cupy.ndarray) and array.device.id == device.index:
            return array
        return cupy.asarray(array)


def special_function(xp: ModuleType, name: str) -> Any:
    """SciPy's special function `name` (e.g. "erf") for the array module `xp`.

    On the GPU it is `cupyx.scipy.special.<name>`; on the CPU `scipy.special.<name>` when SciPy
    is installed, else the function of Python's `math` module applied element by element
    (slower, same values to the last bit or so).
    """
    if xp is not numpy:
        import cupyx.scipy.special

        return getattr(cupyx.scipy.special, name)
    try:
        import scipy.special
    except ImportError:
        import math

        scalar = getattr(math, name)
        vectorized = numpy.vectorize(scalar, otypes=[numpy.float64])
        return lambda x: vectorized(x).astype(x.dtype, copy=False)
    return getattr(scipy.special, name)
