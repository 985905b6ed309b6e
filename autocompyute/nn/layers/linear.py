"""Fully connected layer."""

from __future__ import annotations

import math

import autocompyute as ac
from autocompyute.nn.functional.linear import linear
from autocompyute.nn.module import Module, Parameter
from autocompyute.tensor import Tensor

__all__ = ["Linear"]


class Linear(Module):
    """Affine layer `y = x @ w.T + b` over the last dim of the input.

    Weights and biases start uniform in (-1/sqrt(in_dim), 1/sqrt(in_dim)), as in PyTorch.

    Args:
        in_dim: size of the input's last dim.
        out_dim: size of the output's last dim.
        bias: whether to add learnable biases.

    Attributes:
        w: weights of shape (out_dim, in_dim), labelled "Weights".
        b: biases of shape (out_dim,), labelled "Biases" (None without bias).

    Shapes:
        input (..., in_dim) -> output (..., out_dim).

    >>> from autocompyute import nn
    >>> nn.Linear(4, 5)(ac.randn(2, 4)).shape
    (2, 5)
    """

    def __init__(self, in_dim: int, out_dim: int, bias: bool = True) -> None:
        super().__init__()
        if in_dim < 1 or out_dim < 1:
            raise ValueError(f"Linear: in_dim and out_dim must be >= 1, got {in_dim}, {out_dim}")
        self.in_dim, self.out_dim = in_dim, out_dim
        bound = 1.0 / math.sqrt(in_dim)
        self.w = Parameter(ac.randu(out_dim, in_dim, low=-bound, high=bound), label="Weights")
        self.b = (
            Parameter(ac.randu(out_dim, low=-bound, high=bound), label="Biases") if bias
            else None
        )

    @property
    def weight(self) -> Parameter:
        """Alias of `w` (PyTorch's name)."""
        return self.w

    @property
    def bias(self) -> Parameter | None:
        """Alias of `b` (PyTorch's name)."""
        return self.b

    def forward(self, x: Tensor) -> Tensor:
        return linear(x, self.w, self.b)

    def extra_repr(self) -> str:
        return f"in_dim={self.in_dim}, out_dim={self.out_dim}, bias={self.b is not None}"
