"""Pooling: max pooling over non-overlapping 2-D blocks."""

from __future__ import annotations

from typing import Any

from autocompyute.autograd.op import Op
from autocompyute.tensor import Tensor

__all__ = ["maxpool2d"]


class MaxPool2DOp(Op):
    """Max over non-overlapping (window, window) blocks of x (B, C, H, W); the remainder is dropped.

    The gradient goes to the first maximum of each block in row-major order (as in PyTorch).
    """

    def forward(self, x: Any, *, window: int) -> Any:
        xp = self.xp
        taps = _pool_taps(x, window)
        out = taps[0].copy() if len(taps) == 1 else xp.maximum(taps[0], taps[1])
        for tap in taps[2:]:
            xp.maximum(out, tap, out=out)
        if self.needs_grad:
            # Position of the first maximal tap = how many taps precede it without matching.
            not_found = taps[0] != out
            argmax = not_found.astype("uint8" if len(taps) <= 256 else "int32")
            for tap in taps[1:-1]:
                not_found &= tap != out
                argmax += not_found
            self.save_for_backward(argmax, x.shape, _memory_order(x))
        return out

    def backward(self, grad: Any) -> Any:
        xp = self.xp
        argmax, x_shape, x_order = self.saved
        if _memory_order(grad) != _memory_order(argmax):
            # Elementwise ops across different memory orders are several times slower.
            aligned = xp.empty_like(argmax, dtype=grad.dtype)
            aligned[...] = grad
            grad = aligned
        # In the input's memory order, so that a convolution below reads it without a copy.
        grad_x = xp.zeros(tuple(x_shape[axis] for axis in x_order), dtype=grad.dtype)
        grad_x = grad_x.transpose(sorted(range(len(x_order)), key=x_order.__getitem__))
        for position, tap in enumerate(_pool_taps(grad_x, self.kwargs["window"])):
            # where, not a product: NaN in grad must not reach the non-maximal taps.
            xp.copyto(tap, xp.where(argmax == position, grad, 0))
        return grad_x


def _memory_order(array: Any) -> list[int]:
    """The axes from the largest to the smallest stride."""
    return sorted(range(array.ndim), key=lambda axis: -array.strides[axis])


def _pool_taps(x: Any, window: int) -> list[Any]:
    """The window * window strided views of x, one per position inside a pooling block."""
    height, width = x.shape[2] // window * window, x.shape[3] // window * window
    return [
        x[:, :, row:height:window, column:width:window]
        for row in range(window)
        for column in range(window)
    ]


# ---------------------------------------------------------------------------------- functions


def maxpool2d(x: Tensor, window: int = 2) -> Tensor:
    """Max pooling over non-overlapping (window, window) blocks (stride = window; op `MaxPool2DOp`).

    Rows and columns that do not fill a whole block are dropped (PyTorch's floor mode). The
    gradient of each block goes to its first maximum in row-major order, as in PyTorch.

    Args:
        x: input of shape (B, C, H, W).
        window: block size.

    Returns:
        Tensor of shape (B, C, H // window, W // window).

    >>> import autocompyute as ac
    >>> maxpool2d(ac.arange(16.0).view(1, 1, 4, 4)).data
    array([[[[ 5.,  7.],
             [13., 15.]]]], dtype=float32)
    """
    if x.ndim != 4:
        raise ValueError(f"maxpool2d: input must have shape (B, C, H, W), got {x.shape}")
    if not isinstance(window, int) or window < 1:
        raise ValueError(f"maxpool2d: window must be a positive int, got {window!r}")
    if x.shape[2] < window or x.shape[3] < window:
        raise ValueError(f"maxpool2d: window {window} is larger than the input {x.shape[2:]}")
    return MaxPool2DOp.apply(x, window=window)
