"""Affine transformation `x @ w.T + b` (op `Linear`)."""

from __future__ import annotations

import math
from typing import Any

from autocompyute.autograd.op import Op
from autocompyute.tensor import Tensor

__all__ = ["linear"]


class LinearOp(Op):
    """x @ w.T + b over the last dim of x, for any leading dims (b may be None)."""

    def forward(self, x: Any, w: Any, b: Any) -> Any:
        self.save_for_backward(x, w)
        # One 2-D matrix product over all leading dims is much faster than a batched matmul.
        rows = x.reshape(math.prod(x.shape[:-1]), x.shape[-1]) if x.ndim != 2 else x
        out = rows @ w.T
        if b is not None:
            out += b
        return out.reshape(*x.shape[:-1], w.shape[0])

    def backward(self, grad: Any) -> tuple[Any, Any, Any]:
        x, w = self.saved
        needs_grad = self.needs_grad
        grad_rows = grad.reshape(math.prod(grad.shape[:-1]), w.shape[0])
        grad_x = grad_w = grad_b = None
        if needs_grad[0]:
            grad_x = (grad_rows @ w).reshape(x.shape)
        if needs_grad[1]:
            grad_w = grad_rows.T @ x.reshape(grad_rows.shape[0], x.shape[-1])
        if needs_grad[2]:
            grad_b = grad_rows.sum(axis=0)
        return grad_x, grad_w, grad_b


def linear(x: Tensor, w: Tensor, b: Tensor | None = None) -> Tensor:
    """Applies the affine map `x @ w.T + b` to the last dim of `x`.

    Args:
        x: input of shape (..., in_dim).
        w: weights of shape (out_dim, in_dim).
        b: optional biases of shape (out_dim,).

    Returns:
        Tensor of shape (..., out_dim).

    Raises:
        ValueError: if the shapes do not fit together.

    >>> import autocompyute as ac
    >>> linear(ac.ones(2, 3), ac.ones(4, 3), ac.zeros(4)).shape
    (2, 4)
    """
    if w.ndim != 2:
        raise ValueError(f"linear: weights must have shape (out_dim, in_dim), got {w.shape}")
    if x.ndim == 0 or x.shape[-1] != w.shape[1]:
        raise ValueError(
            f"linear: input of shape {x.shape} does not fit weights of shape {w.shape} "
            f"(the input's last dim must be in_dim={w.shape[1]})"
        )
    if x.dtype != w.dtype:
        if x.dtype.kind == "f":
            raise TypeError(f"linear: input is {x.dtype} but weights are {w.dtype}; cast one")
        x = x.as_type(w.dtype)
    if b is not None and b.shape != (w.shape[0],):
        raise ValueError(
            f"linear: biases must have shape ({w.shape[0]},) for weights of shape {w.shape}, "
            f"got {b.shape}"
        )
    return LinearOp.apply(x, w, b)
