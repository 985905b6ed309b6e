"""Dtype casts and device moves (differentiable between float dtypes / across devices)."""

from __future__ import annotations

from typing import Any

from autocompyute.autograd.op import Op
from autocompyute.backend import Device, device_of, move_array

__all__ = ["AsType", "ToDevice"]


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
