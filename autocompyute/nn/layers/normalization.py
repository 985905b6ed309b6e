"""Normalization layers: Batchnorm and Layernorm."""

from __future__ import annotations

from collections.abc import Sequence

from autocompyute import factories
from autocompyute.nn.functional.normalization import batchnorm, layernorm
from autocompyute.nn.module import Buffer, Module, Parameter
from autocompyute.tensor import Tensor

__all__ = ["Batchnorm", "Layernorm"]


class Batchnorm(Module):
    """Batch normalization over the channel dim 1 (PyTorch's BatchNorm1d/2d).

    Training normalizes with the batch statistics and updates the running statistics
    (`r = (1 - m) * r + m * batch_stat`, unbiased variance); evaluation uses the running ones.

    Args:
        in_dim: number of channels C.
        eps: added to the variance for numerical stability.
        m: momentum of the running statistics.

    Attributes:
        w: scale (C,), ones, labelled "Weights".
        b: shift (C,), zeros, labelled "Biases".
        rmean: running mean buffer (C,), zeros.
        rvar: running variance buffer (C,), ones.

    Shapes:
        input (B, C) or (B, C, ...) -> output of the same shape.

    >>> import autocompyute as ac
    >>> Batchnorm(3)(ac.randn(4, 3, 5)).shape
    (4, 3, 5)
    """

    def __init__(self, in_dim: int, eps: float = 1e-5, m: float = 0.1) -> None:
        super().__init__()
        self.in_dim, self.eps, self.m = in_dim, eps, m
        self.w = Parameter(factories.ones(in_dim), label="Weights")
        self.b = Parameter(factories.zeros(in_dim), label="Biases")
        self.rmean = Buffer(factories.zeros(in_dim), label="Running mean")
        self.rvar = Buffer(factories.ones(in_dim), label="Running variance")

    def forward(self, x: Tensor) -> Tensor:
        return batchnorm(x, self.rmean, self.rvar, self.w, self.b, self.m, self.eps, self.training)

    def extra_repr(self) -> str:
        return f"in_dim={self.in_dim}, eps={self.eps}, m={self.m}"


class Layernorm(Module):
    """Layer normalization over the trailing dims `normalized_shape` (biased variance).

    Args:
        normalized_shape: size of the last dim, or a tuple of trailing dims.
        eps: added to the variance for numerical stability.

    Attributes:
        w: scale shaped `normalized_shape`, ones, labelled "Weights".
        b: shift shaped `normalized_shape`, zeros, labelled "Biases".

    Shapes:
        input (..., *normalized_shape) -> output of the same shape.

    >>> import autocompyute as ac
    >>> Layernorm(8)(ac.randn(2, 5, 8)).shape
    (2, 5, 8)
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5) -> None:
        super().__init__()
        shape = (
            (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        )
        self.normalized_shape, self.eps = shape, eps
        self.w = Parameter(factories.ones(*shape), label="Weights")
        self.b = Parameter(factories.zeros(*shape), label="Biases")

    def forward(self, x: Tensor) -> Tensor:
        return layernorm(x, self.w, self.b, self.eps)

    def extra_repr(self) -> str:
        return f"normalized_shape={self.normalized_shape}, eps={self.eps}"
