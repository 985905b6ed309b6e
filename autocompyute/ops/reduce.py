"""Reductions over dims: sum, mean (and, in the full op set, var, std, max, min, logsumexp)."""

from __future__ import annotations

from typing import Any

from autocompyute.autograd.op import Op

__all__ = ["Mean", "Sum", "expand_reduced"]


def expand_reduced(grad: Any, shape: tuple[int, ...], dims: tuple[int, ...], keepdims: bool) -> Any:
    """Reinserts the reduced `dims` into `grad` (if not kept) and broadcasts it to `shape`."""
    xp_grad = grad
    if not keepdims and dims:
        kept_shape = tuple(1 if i in dims else size for i, size in enumerate(shape))
        xp_grad = xp_grad.reshape(kept_shape)
    return xp_grad


class Sum(Op):
    """Sum over `dims` (a sorted tuple of non-negative dims)."""

    def forward(self, x: Any, *, dims: tuple[int, ...], keepdims: bool = False) -> Any:
        self.save_for_backward(x.shape)
        return x.sum(axis=dims, keepdims=keepdims)

    def backward(self, grad: Any) -> Any:
        (shape,) = self.saved
        grad = expand_reduced(grad, shape, self.kwargs["dims"], self.kwargs.get("keepdims", False))
        return self.xp.broadcast_to(grad, shape)


class Mean(Op):
    """Mean over `dims` (a sorted tuple of non-negative dims)."""

    def forward(self, x: Any, *, dims: tuple[int, ...], keepdims: bool = False) -> Any:
        self.save_for_backward(x.shape)
        return x.mean(axis=dims, keepdims=keepdims)

    def backward(self, grad: Any) -> Any:
        (shape,) = self.saved
        dims = self.kwargs["dims"]
        count = 1
        for d in dims:
            count *= shape[d]
        grad = expand_reduced(grad, shape, dims, self.kwargs.get("keepdims", False))
        return self.xp.broadcast_to(grad / max(count, 1), shape)
