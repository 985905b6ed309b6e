"""Ops that return their input with some elements replaced: setitem and masked_fill.

They are the differentiable halves of the in-place operations (`x[key] = value`,
`x.masked_fill_(mask, value)`, `x.fill_`, `x.copy_`): `inplace.py` applies them to a snapshot of
the tensor and writes the result back. Replaced elements get no gradient; the value gets the
gradient of the elements it went to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy

from autocompyute import _engine
from autocompyute.autograd.op import Op
from autocompyute.backend import device_of

if TYPE_CHECKING:
    from autocompyute.tensor import Tensor

__all__ = [
    "MaskedFill",
    "SetItem",
    "assign",
    "broadcast_shape",
    "check_mask",
    "fill_value",
    "masked_fill",
]

apply = _engine.apply
_TensorCore = _engine.TensorCore


def assign(out: Any, key: Any, value: Any) -> None:
    """`out[key] = value`, with NumPy's broadcast error turned into one naming setitem."""
    try:
        out[key] = value
    except ValueError as error:
        shape = getattr(value, "shape", ())
        raise RuntimeError(
            f"setitem: a value of shape {tuple(shape)} cannot be assigned to the indexed "
            f"elements of a tensor of shape {tuple(out.shape)} ({error})"
        ) from None


class SetItem(Op):
    """A copy of x with `x[key] = value` (value broadcast to the indexed elements)."""

    def forward(self, x: Any, value: Any, *, key: tuple[Any, ...]) -> Any:
        out = x.copy()
        assign(out, key, value)
        self.save_for_backward(getattr(value, "shape", ()))
        return out

    def backward(self, grad: Any) -> tuple[Any, Any]:
        key = self.kwargs["key"]
        grad_x = grad_value = None
        if self.needs_grad[0]:
            grad_x = grad.copy()
            grad_x[key] = 0
        if self.needs_grad[1]:
            (value_shape,) = self.saved
            grad_value = grad[key]
            # NumPy lets a value carry extra leading dims of size 1; the engine sums the rest.
            missing = len(value_shape) - grad_value.ndim
            if missing > 0:
                grad_value = grad_value.reshape((1,) * missing + grad_value.shape)
        return grad_x, grad_value


class MaskedFill(Op):
    """x where the mask is False, value where it is True (mask, x and value broadcast)."""

    def forward(self, x: Any, value: Any, *, mask: Any) -> Any:
        return self.xp.where(mask, value, x).astype(x.dtype, copy=False)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        mask = self.kwargs["mask"]
        xp = self.xp
        zero = grad.dtype.type(0)
        grad_x = xp.where(mask, zero, grad) if self.needs_grad[0] else None
        grad_value = xp.where(mask, grad, zero) if self.needs_grad[1] else None
        return grad_x, grad_value


def check_mask(x: Tensor, mask: Any, name: str) -> Any:
    """Returns `mask` (a bool tensor or array) as an array on x's device; errors name `name`."""
    array = mask.data if isinstance(mask, _TensorCore) else mask
    dtype = getattr(array, "dtype", None)
    if dtype is None or dtype.kind != "b":
        raise TypeError(
            f"{name}: the mask must be a bool tensor, got "
            f"{'dtype ' + str(dtype) if dtype is not None else type(mask).__name__}"
        )
    if type(array) is not type(x.data):
        raise RuntimeError(
            f"{name}: the mask is on {device_of(array)}, the tensor on {device_of(x.data)}"
        )
    return array


def fill_value(x: Tensor, value: Any, name: str) -> Any:
    """Checks a fill value: a Python number or a 0-d tensor (kept, it may require grad)."""
    if isinstance(value, _TensorCore):
        if value.data.ndim != 0:
            raise RuntimeError(
                f"{name}: the value must be a number or a 0-d tensor, got a tensor of shape "
                f"{tuple(value.data.shape)}"
            )
        if type(value.data) is not type(x.data):
            raise RuntimeError(
                f"{name}: the value is on {device_of(value.data)}, the tensor on "
                f"{device_of(x.data)}"
            )
        if x.data.dtype.kind == "f" and value.data.dtype != x.data.dtype:
            return value.as_type(x.data.dtype)  # type: ignore[attr-defined]
        return value if x.data.dtype.kind == "f" else value.data.item()
    if not isinstance(value, int | float | bool) and not hasattr(value, "item"):
        raise TypeError(
            f"{name}: the value must be a number or a 0-d tensor, got {type(value).__name__}"
        )
    return value.item() if hasattr(value, "item") else value


def masked_fill(x: Tensor, mask: Any, value: Any) -> Tensor:
    """Returns x with the elements where `mask` is True set to `value`.

    Args:
        x: tensor of any shape.
        mask: bool tensor broadcastable with x (the result has the broadcast shape).
        value: a number, or a 0-d tensor (which then gets the gradient of the filled elements).

    Returns:
        A new tensor of x's dtype; gradients flow to x where the mask is False.

    >>> import autocompyute as ac
    >>> x = ac.zeros(3)
    >>> x.masked_fill(ac.tensor([True, False, True]), -1.0).tolist()
    [-1.0, 0.0, -1.0]
    """
    array = check_mask(x, mask, "masked_fill")
    value = fill_value(x, value, "masked_fill")
    broadcast_shape(x, array, "masked_fill")
    return apply(MaskedFill, x, value, mask=array)  # type: ignore[no-any-return]


def broadcast_shape(x: Tensor, mask: Any, name: str) -> tuple[int, ...]:
    """The shape of x and `mask` broadcast together; errors name `name`."""
    try:
        return tuple(numpy.broadcast_shapes(tuple(x.data.shape), tuple(mask.shape)))
    except ValueError:
        raise RuntimeError(
            f"{name}: the mask of shape {tuple(mask.shape)} does not broadcast with the "
            f"tensor's shape {tuple(x.data.shape)}"
        ) from None
