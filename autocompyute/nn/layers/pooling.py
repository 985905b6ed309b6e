"""Pooling layers: MaxPool2d."""

from __future__ import annotations

from autocompyute.deprecation import deprecated_aliases
from autocompyute.nn.functional.pooling import maxpool2d
from autocompyute.nn.module import Module
from autocompyute.tensor import Tensor

__all__ = ["MaxPool2d"]


class MaxPool2d(Module):
    """Max pooling over non-overlapping (window_size, window_size) blocks (stride = window_size).

    Input (B, C, H, W) -> output (B, C, H // window_size, W // window_size); see
    `autocompyute.nn.functional.maxpool2d`.

    Args:
        window_size: block size.

    >>> import autocompyute as ac
    >>> MaxPool2d(2)(ac.ones(1, 3, 8, 8)).shape
    (1, 3, 4, 4)
    """

    def __init__(self, window_size: int = 2) -> None:
        super().__init__()
        if not isinstance(window_size, int) or window_size < 1:
            raise ValueError(f"MaxPool2d: window_size must be a positive int, got {window_size!r}")
        self.window_size = window_size

    def forward(self, x: Tensor) -> Tensor:
        return maxpool2d(x, self.window_size)

    def extra_repr(self) -> str:
        return f"window_size={self.window_size}"


# The original AutoCompyute spellings, before PyTorch's casing.
__getattr__ = deprecated_aliases(__name__, {"MaxPooling2D": MaxPool2d})
