"""Inverted dropout with a mask from the library's random number generator."""

from __future__ import annotations

from typing import Any

from autocompyute.autograd.op import Op
from autocompyute.factories import random_generator
from autocompyute.tensor import Tensor

__all__ = ["dropout", "random_keep_mask"]


class DropoutOp(Op):
    """x * keep / (1 - p), with `keep` a boolean mask drawn by the caller."""

    def forward(self, x: Any, *, keep: Any, scale: float) -> Any:
        self.save_for_backward(keep)
        out = x * keep
        out *= scale
        return out

    def backward(self, grad: Any) -> Any:
        (keep,) = self.saved
        grad_x = grad * keep
        grad_x *= self.kwargs["scale"]
        return grad_x


def random_keep_mask(shape: tuple[int, ...], p: float, like: Tensor) -> Any:
    """Returns a boolean array on `like`'s device that is True with probability `1 - p`.

    Draws from the library's per-device generator, so `set_random_seed` makes it reproducible.
    """
    draws = random_generator(like.device).random(shape, dtype="float32")
    return draws >= p


def dropout(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes each element with probability `p` and scales the rest by `1 / (1 - p)`.

    Args:
        x: input of any shape.
        p: probability of dropping an element, in [0, 1].
        training: when False (or `p == 0`), returns `x` itself.
        inplace: accepted for PyTorch compatibility; the result is always a new tensor.

    Returns:
        Tensor of the same shape as `x`.

    >>> import autocompyute as ac
    >>> x = ac.ones(4)
    >>> dropout(x, p=0.5, training=False) is x
    True
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if x.dtype.kind != "f":
        raise TypeError(f"dropout: needs a float tensor, got {x.dtype}")
    keep = random_keep_mask(x.shape, p, x)
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return DropoutOp.apply(x, keep=keep, scale=scale)
