"""Ops that move or select elements: reshape, transpose/permute (more in the full op set)."""

from __future__ import annotations

from typing import Any

from autocompyute.autograd.op import Op

__all__ = ["Permute", "Reshape"]


class Reshape(Op):
    """View/reshape to `shape` (already resolved, no -1)."""

    def forward(self, x: Any, *, shape: tuple[int, ...]) -> Any:
        self.save_for_backward(x.shape)
        return x.reshape(shape)

    def backward(self, grad: Any) -> Any:
        (shape,) = self.saved
        return grad.reshape(shape)


class Permute(Op):
    """Reorders dims: output dim i is input dim `dims[i]`."""

    def forward(self, x: Any, *, dims: tuple[int, ...]) -> Any:
        return x.transpose(dims)

    def backward(self, grad: Any) -> Any:
        dims = self.kwargs["dims"]
        inverse = [0] * len(dims)
        for position, d in enumerate(dims):
            inverse[d] = position
        return grad.transpose(inverse)
