"""The supported data types, their names, and the dtype a new tensor's data gets.

Factories default to float32 for floats and int64 for integers. How dtypes combine in an op
(promotion, integer-to-float) is decided in `autocompyute.ops.promotion`.
"""

from __future__ import annotations

from typing import Any

import numpy

__all__ = [
    "bool_",
    "default_float",
    "default_int",
    "dtype_for_data",
    "float16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "to_dtype",
]

float16 = numpy.dtype("float16")
float32 = numpy.dtype("float32")
float64 = numpy.dtype("float64")
int8 = numpy.dtype("int8")
int16 = numpy.dtype("int16")
int32 = numpy.dtype("int32")
int64 = numpy.dtype("int64")
bool_ = numpy.dtype("bool")

default_float = float32
default_int = int64

SUPPORTED = (float16, float32, float64, int8, int16, int32, int64, bool_)
_BY_NAME = {str(dtype): dtype for dtype in SUPPORTED} | {
    "bool": bool_,
    "float": float32,
    "int": int64,
    "long": int64,
    "half": float16,
    "double": float64,
}


def to_dtype(dtype: Any) -> numpy.dtype:
    """Resolves a dtype given as a name (`"float32"`), NumPy dtype or Python type.

    >>> to_dtype("float32")
    dtype('float32')
    >>> to_dtype(float)
    dtype('float32')
    """
    if dtype is float:
        return float32
    if dtype is int:
        return int64
    if dtype is bool:
        return bool_
    if dtype is None:
        # NumPy reads None as float64; here it is almost always a forgotten argument.
        raise TypeError("unsupported dtype None; pass a dtype such as 'float32'")
    if isinstance(dtype, str):
        try:
            return _BY_NAME[dtype]
        except KeyError:
            raise TypeError(
                f"unsupported dtype {dtype!r}; supported: {', '.join(str(d) for d in SUPPORTED)}"
            ) from None
    try:
        resolved = numpy.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"unsupported dtype {dtype!r}") from error
    if resolved not in SUPPORTED:
        raise TypeError(
            f"unsupported dtype {resolved}; supported: {', '.join(str(d) for d in SUPPORTED)}"
        )
    return resolved


def dtype_for_data(dtype: numpy.dtype) -> numpy.dtype:
    """The dtype a new tensor gets for data of NumPy `dtype` when no dtype is asked for.

    Python floats (float64 to NumPy) become float32; unsigned and 64-bit integers int64.

    >>> dtype_for_data(numpy.dtype("float64")), dtype_for_data(numpy.dtype("uint8"))
    (dtype('float32'), dtype('int64'))
    """
    if dtype.kind == "f":
        return default_float if dtype == numpy.float64 else dtype
    if dtype.kind == "b":
        return numpy.dtype(bool)
    if dtype.kind in "iu":
        return int64 if dtype.itemsize >= 8 or dtype.kind == "u" else dtype
    raise TypeError(f"tensor: unsupported dtype {dtype}")
