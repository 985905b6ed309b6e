"""Making new leaf tensors: argument checks shared by the factories, and Tensor.new_*.

`new_zeros`/`new_ones`/`new_full`/`new_empty`/`new_tensor` take the dtype and device of an
existing tensor unless told otherwise, as in PyTorch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy

from autocompyute.autograd.op import wrap
from autocompyute.backend import DeviceLike, device_of, get_device
from autocompyute.conversion import to_array
from autocompyute.dtypes import to_dtype
from autocompyute.ops.shapes import varargs

if TYPE_CHECKING:
    from autocompyute.tensor import Tensor

__all__ = [
    "check_dtype",
    "check_shape",
    "filled",
    "new_empty",
    "new_full",
    "new_leaf",
    "new_ones",
    "new_tensor",
    "new_zeros",
    "wants_grad",
]


def check_shape(shape: tuple[Any, ...], name: str) -> tuple[int, ...]:
    """The shape given as sizes or one sequence, checked; errors name `name`."""
    shape = varargs(shape)
    for size in shape:
        if not isinstance(size, int | numpy.integer) or isinstance(size, bool) or size < 0:
            raise ValueError(f"{name}: invalid shape {shape}; sizes must be non-negative ints")
    return tuple(int(size) for size in shape)


def check_dtype(dtype: Any, default: numpy.dtype, name: str) -> numpy.dtype:
    """`dtype` resolved (`default` when None); errors name `name`."""
    if dtype is None:
        return default
    try:
        return to_dtype(dtype)
    except TypeError as error:
        raise TypeError(f"{name}: {error}") from None


def wants_grad(req_grad: bool, requires_grad: bool | None) -> bool:
    """PyTorch's `requires_grad=`, or the original API's `req_grad=`."""
    return bool(req_grad if requires_grad is None else requires_grad)


def new_leaf(array: Any, requires_grad: bool) -> Tensor:
    """A leaf tensor holding `array` as is."""
    out = wrap(array)
    if requires_grad:
        out.req_grad = True
    return out


def filled(
    name: str,
    shape: tuple[Any, ...],
    value: Any,
    dtype: numpy.dtype,
    device: DeviceLike | None,
    requires_grad: bool,
) -> Tensor:
    """A new tensor of `shape` filled with `value` (None: left uninitialised, as empty())."""
    xp = get_device(device).xp
    sizes = check_shape(shape, name)
    if value is None:
        return new_leaf(xp.empty(sizes, dtype=dtype), requires_grad)
    return new_leaf(xp.full(sizes, value, dtype=dtype), requires_grad)


def _new(
    name: str,
    x: Tensor,
    size: tuple[Any, ...],
    value: Any,
    dtype: Any,
    device: DeviceLike | None,
    requires_grad: bool,
) -> Tensor:
    resolved = check_dtype(dtype, x.data.dtype, name)
    where = device_of(x.data) if device is None else device
    return filled(name, size, value, resolved, where, requires_grad)


def new_full(
    x: Tensor,
    size: Any,
    fill_value: Any,
    *,
    dtype: Any = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of `size` filled with `fill_value`, with x's dtype and device by default.

    >>> import autocompyute as ac
    >>> ac.zeros(2, dtype="int32").new_full((2, 2), 7)
    Tensor([[7, 7],
            [7, 7]], dtype=int32, device=cpu)
    """
    return _new("new_full", x, (size,), fill_value, dtype, device, requires_grad)


def new_zeros(
    x: Tensor,
    *size: Any,
    dtype: Any = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of zeros of `size` (sizes or one sequence), with x's dtype and device."""
    return _new("new_zeros", x, size, 0, dtype, device, requires_grad)


def new_ones(
    x: Tensor,
    *size: Any,
    dtype: Any = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of ones of `size`, with x's dtype and device."""
    return _new("new_ones", x, size, 1, dtype, device, requires_grad)


def new_empty(
    x: Tensor,
    *size: Any,
    dtype: Any = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """An uninitialised tensor of `size`, with x's dtype and device."""
    return _new("new_empty", x, size, None, dtype, device, requires_grad)


def new_tensor(
    x: Tensor,
    data: Any,
    *,
    dtype: Any = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """A new leaf tensor copied from `data`, with x's dtype and device by default."""
    resolved = check_dtype(dtype, x.data.dtype, "new_tensor")
    where = device_of(x.data) if device is None else device
    source = data.data if hasattr(data, "data") and hasattr(data, "req_grad") else data
    array = to_array(source, resolved, where)
    if array is source:
        array = array.copy()
    return new_leaf(array, requires_grad)
