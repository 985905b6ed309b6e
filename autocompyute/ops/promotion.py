"""The dtype promotion rules and the conversion of operands, in one place.

Rules (the README documents them too):
- Tensor with tensor: float dtypes win over integer and bool ones (`int32` with `float16` gives
  `float16`, never NumPy's `float64`); two float dtypes give the wider one; integer and bool
  tensors combine as in NumPy.
- Tensor with a Python scalar: the scalar takes the tensor's dtype (`float16 * 2.5 -> float16`),
  except that a Python float with an integer or bool tensor gives float32, the default float.
- Ops that are only defined on floats (exp, log, mean, softmax, true division...) first cast
  integer and bool tensors to the default float (`float_operand`).
- Other values (lists, NumPy arrays, NumPy scalars) become constant tensors on the tensor's
  device; a NumPy scalar counts as the Python scalar it holds.

The engine's compiled operators handle same-dtype operands themselves and call
`ops.binary.apply_promoted` (which uses `promote`) for everything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy

from autocompyute._engine import TensorCore
from autocompyute.autograd.op import wrap
from autocompyute.backend import DeviceLike, array_module, device_of
from autocompyute.conversion import to_array
from autocompyute.dtypes import default_float
from autocompyute.ops.cast import as_type

if TYPE_CHECKING:
    from autocompyute.tensor import Tensor

__all__ = [
    "as_tensor",
    "constant",
    "float_operand",
    "is_tensor",
    "promote",
    "promote_all",
    "result_dtype",
]

_SCALAR_TYPES = (int, float, bool)


def is_tensor(value: Any) -> TypeGuard[Tensor]:
    """Whether `value` is a tensor (checked against the engine's base class, without `Tensor`)."""
    return isinstance(value, TensorCore)


def result_dtype(dtypes: Sequence[numpy.dtype], scalars: Sequence[Any] = ()) -> numpy.dtype:
    """The dtype of combining tensors of `dtypes` with Python `scalars` (rules above).

    >>> result_dtype([numpy.dtype("int32"), numpy.dtype("float16")])
    dtype('float16')
    >>> result_dtype([numpy.dtype("int64")], [2.5])
    dtype('float32')
    """
    float_dtypes = [d for d in dtypes if d.kind == "f"]
    if float_dtypes:
        return numpy.result_type(*float_dtypes)
    if any(isinstance(s, float) for s in scalars):
        return default_float
    if dtypes:
        return numpy.result_type(*dtypes, *scalars)
    return numpy.dtype(bool if all(isinstance(s, bool) for s in scalars) else "int64")


def float_operand(x: Any) -> Any:
    """Returns `x` cast to the default float dtype if it is an integer or bool tensor.

    Anything else (float tensors, constants) is returned unchanged.
    """
    if isinstance(x, TensorCore) and not x.is_floating_point:  # inline: on every op's path
        tensor: Any = x
        return as_type(tensor, default_float)
    return x


def constant(value: Any, device: DeviceLike | None = None, dtype: Any = None) -> Tensor:
    """Returns array-like `value` as a tensor without gradient (a tensor is returned as is)."""
    if is_tensor(value):
        return value
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        # x - x.max(1) would otherwise stack (values, indices) into one array silently.
        raise TypeError(
            f"cannot use a {type(value).__name__} {value._fields} as a tensor; max(dim), "
            f"min(dim), sort and topk return (values, indices) as in PyTorch: take .values"
        )
    return wrap(to_array(value, dtype, device))


def as_tensor(value: Any, like: Tensor) -> Tensor:
    """Returns `value` as a constant tensor on `like`'s device and (for scalars) dtype."""
    if is_tensor(value):
        return value
    if type(value) in _SCALAR_TYPES:
        return wrap(array_module(like.data).asarray(value, dtype=like.dtype))
    return constant(value, device_of(like.data))


def promote(tensor: Tensor, other: Any) -> tuple[Tensor, Any]:
    """Returns both operands of a binary op, cast per the promotion rules.

    Python scalars stay scalars; other non-tensor values become constant tensors (of the
    tensor's dtype when it is a float tensor).
    """
    if is_tensor(other):
        own_dtype = tensor.data.dtype
        other_dtype = other.data.dtype
        if other_dtype is own_dtype or other_dtype == own_dtype:
            return tensor, other
        target = result_dtype([own_dtype, other_dtype])
        if target.kind != "f":  # integer/bool pairs: NumPy's promotion applies in forward
            return tensor, other
        return as_type(tensor, target), as_type(other, target)
    other_type = type(other)
    if other_type is float:
        return float_operand(tensor), other
    if other_type is int or other_type is bool:
        return tensor, other
    if isinstance(other, numpy.generic):
        return promote(tensor, other.item())
    own_dtype = tensor.data.dtype
    return promote(
        tensor,
        constant(other, device_of(tensor.data), own_dtype if own_dtype.kind == "f" else None),
    )


def promote_all(values: Sequence[Any], function_name: str) -> Sequence[Tensor]:
    """Returns `values` (tensors or array-likes) as tensors of one promoted dtype on one device.

    Raises:
        TypeError: `values` is a single tensor instead of a sequence.
        ValueError: `values` is empty.
        RuntimeError: the tensors are on different devices.
    """
    if _uniform(values):
        return values
    if isinstance(values, TensorCore):
        raise TypeError(f"{function_name}: expected a sequence of tensors, got a single tensor")
    values = list(values)
    if not values:
        raise ValueError(f"{function_name}: expected at least one tensor, got none")
    first = next((v for v in values if is_tensor(v)), None)
    device = None if first is None else device_of(first.data)
    tensors = [constant(v, device) for v in values]
    devices = [str(device_of(t.data)) for t in tensors]
    if len(set(devices)) > 1:
        raise RuntimeError(
            f"{function_name}: expected all tensors on one device, got devices {devices}; "
            f"move them with .to(device)"
        )
    dtype = result_dtype([t.dtype for t in tensors])
    return [as_type(t, dtype) for t in tensors]


def _uniform(values: Sequence[Any]) -> bool:
    """Whether `values` is a non-empty list or tuple of tensors of one dtype and array type."""
    if (type(values) is not list and type(values) is not tuple) or not values:
        return False
    first = values[0]
    if not isinstance(first, TensorCore):
        return False
    dtype, array_type = first.dtype, type(first.data)
    for value in values:
        if (
            not isinstance(value, TensorCore)
            or value.dtype is not dtype
            or type(value.data) is not array_type
        ):
            return False
    return True
