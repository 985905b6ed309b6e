"""Dropout layer."""

from __future__ import annotations

from autocompyute.nn.functional.dropout import dropout
from autocompyute.nn.module import Module
from autocompyute.tensor import Tensor

__all__ = ["Dropout"]


class Dropout(Module):
    """Inverted dropout: in training, zeroes elements with probability `p` and scales the rest
    by `1 / (1 - p)`; in evaluation mode, returns the input unchanged.

    Args:
        p: probability of dropping an element, in [0, 1].
        inplace: accepted for PyTorch compatibility; the result is always a new tensor.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
