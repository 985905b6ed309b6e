"""Turning user data (lists, scalars, NumPy/CuPy arrays, tensors) into arrays for tensors."""

from __future__ import annotations

from typing import Any

import numpy

from autocompyute._engine import TensorCore
from autocompyute.backend import DeviceLike, device_of, get_device, move_array
from autocompyute.dtypes import SUPPORTED, dtype_for_data, to_dtype

__all__ = ["to_array"]


def to_array(data: Any, dtype: Any = None, device: DeviceLike | None = None) -> Any:
    """Returns `data` (array-like, NumPy/CuPy array or tensor) as an array for a new tensor.

    Arrays keep their dtype (unsupported ones map to the nearest supported dtype) and device
    unless `dtype`/`device` say otherwise; nested lists of Python floats become float32.
    """
    if isinstance(data, TensorCore):
        data = data.data
    if isinstance(data, numpy.generic):  # a NumPy scalar keeps its dtype, as an array would
        data = numpy.asarray(data)
    target_dtype = None if dtype is None else to_dtype(dtype)
    if device is None:
        target_device = device_of(data) if _is_array(data) else get_device(None)
    else:
        target_device = get_device(device)
    xp = target_device.xp
    if _is_array(data):
        array = move_array(data, target_device)
        if target_dtype is not None:
            if array.dtype != target_dtype:
                array = array.astype(target_dtype)
        elif array.dtype.kind == "f" or array.dtype.kind in "iub":
            if array.dtype not in SUPPORTED:
                array = array.astype(dtype_for_data(array.dtype))
        else:
            raise TypeError(f"tensor: unsupported dtype {array.dtype}")
        return xp.asarray(array)
    try:
        array = numpy.asarray(data)
    except ValueError:
        raise ValueError(f"tensor: {_ragged(data)}") from None
    if array.dtype.kind in "USa":
        raise TypeError(
            f"tensor: cannot make a tensor from strings or bytes (got {_describe(data)}); "
            f"only numbers and booleans can be tensor elements"
        )
    if array.dtype == object:
        raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__} data")
    if target_dtype is None:
        target_dtype = dtype_for_data(array.dtype)
    return xp.asarray(array, dtype=target_dtype)


def _ragged(data: Any) -> str:
    """Names where nested sequences stop being rectangular, e.g. for [[1, 2], [3]]."""
    level = [data]
    for depth in range(64):
        sequences = [item for item in level if isinstance(item, list | tuple)]
        if not sequences:
            break
        if len(sequences) != len(level):
            return f"nested sequences mix numbers and sequences at dim {depth}"
        lengths = [len(item) for item in sequences]
        other = next((length for length in lengths if length != lengths[0]), None)
        if other is not None:
            return (
                f"nested sequences are ragged: expected sequences of length {lengths[0]} at dim "
                f"{depth} (got {other})"
            )
        level = [inner for item in sequences for inner in item]
    return "data is not a rectangular nested sequence of numbers"


def _describe(data: Any) -> str:
    text = repr(data)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_array(data: Any) -> bool:
    return isinstance(data, numpy.ndarray) or hasattr(data, "__cuda_array_interface__")
