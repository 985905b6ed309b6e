"""Normalization layers: BatchNorm and LayerNorm."""

from __future__ import annotations

from collections.abc import Sequence

from autocompyute import factories
from autocompyute.deprecation import deprecated_aliases
from autocompyute.nn.functional.normalization import batchnorm, layernorm
from autocompyute.nn.module import Buffer, Module, Parameter
from autocompyute.tensor import Tensor

__all__ = ["BatchNorm", "LayerNorm"]


class BatchNorm(Module):
    """Batch normalization over the channel dim 1 (PyTorch's BatchNorm1d/2d).

    Training normalizes with the batch statistics and updates the running statistics
    (`r = (1 - m) * r + m * batch_stat`, unbiased variance); evaluation uses the running ones.

    Args:
        in_dim: number of channels C.
        eps: added to the variance for numerical stability.
        m: momentum of the running statistics.

    Attributes:
        weight: scale (C,), ones, labelled "Weights" (alias `w`).
        bias: shift (C,), zeros, labelled "Biases" (alias `b`).
        running_mean: running mean buffer (C,), zeros (alias `rmean`).
        running_var: running variance buffer (C,), ones (alias `rvar`).
        num_batches_tracked: 0-d int64 buffer counting training batches (as in PyTorch).

    Shapes:
        input (B, C) or (B, C, ...) -> output of the same shape.

    >>> import autocompyute as ac
    >>> BatchNorm(3)(ac.randn(4, 3, 5)).shape
    (4, 3, 5)
    """

    aliases = {"w": "weight", "b": "bias", "rmean": "running_mean", "rvar": "running_var"}

    def __init__(self, in_dim: int, eps: float = 1e-5, m: float = 0.1) -> None:
        super().__init__()
        self.in_dim, self.eps, self.m = in_dim, eps, m
        self.weight = Parameter(factories.ones(in_dim), label="Weights")
        self.bias = Parameter(factories.zeros(in_dim), label="Biases")
        self.running_mean = Buffer(factories.zeros(in_dim), label="Running mean")
        self.running_var = Buffer(factories.ones(in_dim), label="Running variance")
        self.num_batches_tracked = Buffer(
            factories.tensor(0, dtype="int64"), label="Batches tracked"
        )

    def forward(self, x: Tensor) -> Tensor:
        if self.training:
            self.num_batches_tracked.data += 1
        return batchnorm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.m,
            self.eps,
            self.training,
        )

    def extra_repr(self) -> str:
        return f"in_dim={self.in_dim}, eps={self.eps}, m={self.m}"


class LayerNorm(Module):
    """Layer normalization over the trailing dims `normalized_shape` (biased variance).

    Args:
        normalized_shape: size of the last dim, or a tuple of trailing dims.
        eps: added to the variance for numerical stability.

    Attributes:
        weight: scale shaped `normalized_shape`, ones, labelled "Weights" (alias `w`).
        bias: shift shaped `normalized_shape`, zeros, labelled "Biases" (alias `b`).

    Shapes:
        input (..., *normalized_shape) -> output of the same shape.

    >>> import autocompyute as ac
    >>> LayerNorm(8)(ac.randn(2, 5, 8)).shape
    (2, 5, 8)
    """

    aliases = {"w": "weight", "b": "bias"}

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5) -> None:
        super().__init__()
        shape = (
            (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        )
        self.normalized_shape, self.eps = shape, eps
        self.weight = Parameter(factories.ones(*shape), label="Weights")
        self.bias = Parameter(factories.zeros(*shape), label="Biases")

    def forward(self, x: Tensor) -> Tensor:
        return layernorm(x, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"normalized_shape={self.normalized_shape}, eps={self.eps}"


# The original AutoCompyute spellings, before PyTorch's casing.
__getattr__ = deprecated_aliases(__name__, {"Batchnorm": BatchNorm, "Layernorm": LayerNorm})
