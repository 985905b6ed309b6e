"""Dtype casts and device moves (differentiable between float dtypes / across devices)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autocompyute.autograd.op import Op, apply, wrap
from autocompyute.backend import Device, DeviceLike, device_of, get_device, move_array
from autocompyute.dtypes import to_dtype

if TYPE_CHECKING:
    from autocompyute.tensor import Tensor

__all__ = ["AsType", "ToDevice", "as_type", "to", "to_device", "type_as"]


class AsType(Op):
    """Casts to `dtype`; the gradient is cast back to the input's dtype."""

    def forward(self, x: Any, *, dtype: Any) -> Any:
        self.save_for_backward(x.dtype)
        return x.astype(dtype)

    def backward(self, grad: Any) -> Any:
        (dtype,) = self.saved
        return grad.astype(dtype)


class ToDevice(Op):
    """Copies to `device`; the gradient is copied back to the input's device."""

    def forward(self, x: Any, *, device: Device) -> Any:
        self.save_for_backward(device_of(x))
        return move_array(x, device)

    def backward(self, grad: Any) -> Any:
        (device,) = self.saved
        return move_array(grad, device)


def as_type(x: Tensor, dtype: Any) -> Tensor:
    """Returns `x` cast to `dtype` (itself when it already has it).

    Casts between float dtypes are differentiable; casts to integer or bool dtypes give a
    tensor without gradient.
    """
    target = to_dtype(dtype)
    if target == x.data.dtype:
        return x
    if target.kind != "f":
        return wrap(x.data.astype(target))
    return apply(AsType, x, dtype=target)


def to_device(x: Tensor, device: DeviceLike) -> Tensor:
    """Returns `x` on `device` (itself when it is already there); gradients flow back."""
    target = get_device(device)
    if device_of(x.data) == target:
        return x
    if x.req_grad:
        return apply(ToDevice, x, device=target)
    moved = wrap(move_array(x.data, target))
    moved.label = x.label
    return moved


def to(
    x: Tensor,
    *args: Any,
    device: DeviceLike | None = None,
    dtype: Any = None,
    non_blocking: bool = False,
    copy: bool = False,
) -> Tensor:
    """Returns x on another device and/or with another dtype, as torch.Tensor.to.

    Positional arguments may be a device (`"cpu"`, `"cuda:0"`, a Device), a dtype, or a tensor
    whose device and dtype to take. Moves and float casts are differentiable.

    >>> import autocompyute as ac
    >>> ac.zeros(2).to("cpu", ac.float64).dtype
    dtype('float64')
    """
    del non_blocking  # transfers are synchronous
    for arg in args:
        if hasattr(arg, "data") and hasattr(arg, "req_grad"):
            device, dtype = device_of(arg.data), arg.data.dtype
        elif isinstance(arg, Device) or (isinstance(arg, str) and _is_device_name(arg)):
            device = arg
        elif arg is not None:
            dtype = arg
    out = x if dtype is None else as_type(x, dtype)
    if device is not None:
        out = to_device(out, device)
    if copy and out is x:
        out = apply(AsType, x, dtype=x.data.dtype) if x.req_grad else wrap(x.data.copy())
    return out


def _is_device_name(name: str) -> bool:
    try:
        get_device(name)
    except (TypeError, ValueError):
        return False
    return True


def type_as(x: Tensor, other: Tensor) -> Tensor:
    """x cast to the dtype of `other`."""
    return as_type(x, other.data.dtype)
