"""Fully connected layer."""

from __future__ import annotations

from autocompyute.nn.functional.linear import linear
from autocompyute.nn.layers._weights import WeightsAndBiases, uniform_parameter
from autocompyute.tensor import Tensor

__all__ = ["Linear"]


class Linear(WeightsAndBiases):
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

    >>> import autocompyute as ac
    >>> from autocompyute import nn
    >>> nn.Linear(4, 5)(ac.randn(2, 4)).shape
    (2, 5)
    """

    def __init__(self, in_dim: int, out_dim: int, bias: bool = True) -> None:
        super().__init__()
        if in_dim < 1 or out_dim < 1:
            raise ValueError(f"Linear: in_dim and out_dim must be >= 1, got {in_dim}, {out_dim}")
        self.in_dim, self.out_dim = in_dim, out_dim
        self.weight = uniform_parameter((out_dim, in_dim), in_dim, "Weights")
        self.bias = uniform_parameter((out_dim,), in_dim, "Biases") if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_dim={self.in_dim}, out_dim={self.out_dim}, bias={self.bias is not None}"
