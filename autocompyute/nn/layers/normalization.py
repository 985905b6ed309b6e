"""Normalization layers: BatchNorm and LayerNorm."""

from __future__ import annotations

from collections.abc import Sequence

from autocompyute import factories
from autocompyute.deprecation import deprecated_aliases
from autocompyute.nn.functional.normalization import batchnorm, layer_norm
from autocompyute.nn.module import Buffer, Module, Parameter
from autocompyute.tensor import Tensor

__all__ = ["BatchNorm", "BatchNorm1d", "BatchNorm2d", "LayerNorm"]


class BatchNorm(Module):
    """Batch normalization over the channel dim 1 (PyTorch's BatchNorm1d/2d/3d in one).

    Training normalizes with the batch statistics and updates the running statistics
    (`r = (1 - momentum) * r + momentum * batch_stat`, unbiased variance; with momentum None a
    cumulative average); evaluation uses the running ones.

    Args:
        num_features: number of channels C (the original AutoCompyute's `in_dim`).
        eps: added to the variance for numerical stability.
        momentum: weight of each batch in the running statistics, or None for a cumulative
            average (the original's `m`, still accepted as a keyword).
        affine: learn a scale `weight` (ones) and shift `bias` (zeros).
        track_running_stats: keep running statistics; without them evaluation also uses the
            batch statistics.

    Attributes:
        weight: scale (C,), labelled "Weights" (alias `w`); None without affine.
        bias: shift (C,), labelled "Biases" (alias `b`).
        running_mean: buffer (C,), zeros (alias `rmean`).
        running_var: buffer (C,), ones (alias `rvar`).
        num_batches_tracked: int64 buffer counting training batches.

    Shapes:
        input (B, C) or (B, C, ...) -> output of the same shape.

    >>> import autocompyute as ac
    >>> BatchNorm(3)(ac.randn(4, 3, 5)).shape
    (4, 3, 5)
    """

    aliases = {"w": "weight", "b": "bias", "rmean": "running_mean", "rvar": "running_var"}
    _input_dims: tuple[int, ...] = ()  # allowed input ndims; () for any >= 2
    running_mean: Buffer | None
    running_var: Buffer | None
    num_batches_tracked: Buffer | None

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        m: float | None = None,
    ) -> None:
        super().__init__()
        momentum = m if m is not None else momentum
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(factories.ones(num_features), label="Weights") if affine else None
        self.bias = Parameter(factories.zeros(num_features), label="Biases") if affine else None
        if track_running_stats:
            self.running_mean = Buffer(factories.zeros(num_features), label="Running mean")
            self.running_var = Buffer(factories.ones(num_features), label="Running variance")
            self.num_batches_tracked = Buffer(factories.zeros((), dtype="int64"), label="Batches")
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    @property
    def in_dim(self) -> int:
        """The original name of `num_features`."""
        return self.num_features

    @property
    def m(self) -> float | None:
        """The original name of `momentum`."""
        return self.momentum

    def forward(self, x: Tensor) -> Tensor:
        if self._input_dims and x.ndim not in self._input_dims:
            dims = " or ".join(f"{n}D" for n in self._input_dims)
            raise ValueError(
                f"{type(self).__name__}: expected {dims} input, got {x.ndim}D "
                f"input of shape {x.shape}"
            )
        use_batch_stats = self.training or self.running_mean is None
        momentum = self.momentum
        if self.training and self.num_batches_tracked is not None:
            self.num_batches_tracked.data += 1
            if momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked.data)
        return batchnorm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            0.0 if momentum is None else momentum,
            self.eps,
            use_batch_stats,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs; arguments as `BatchNorm`."""

    _input_dims = (2, 3)


class BatchNorm2d(BatchNorm):
    """Batch normalization of (N, C, H, W) inputs; arguments as `BatchNorm`."""

    _input_dims = (4,)


class LayerNorm(Module):
    """Layer normalization over the trailing dims `normalized_shape` (biased variance).

    Args:
        normalized_shape: size of the last dim, or a tuple of trailing dims.
        eps: added to the variance for numerical stability.
        elementwise_affine: learn a scale `weight` (ones) and shift `bias` (zeros).
        bias: with elementwise_affine, whether to learn the shift.

    Attributes:
        weight: scale shaped `normalized_shape`, labelled "Weights" (alias `w`), or None.
        bias: shift shaped `normalized_shape`, labelled "Biases" (alias `b`), or None.

    Shapes:
        input (..., *normalized_shape) -> output of the same shape.

    >>> import autocompyute as ac
    >>> LayerNorm(8)(ac.randn(2, 5, 8)).shape
    (2, 5, 8)
    """

    aliases = {"w": "weight", "b": "bias"}

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
    ) -> None:
        super().__init__()
        shape = (
            (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        )
        self.normalized_shape, self.eps = shape, eps
        self.elementwise_affine = elementwise_affine
        self.weight = (
            Parameter(factories.ones(*shape), label="Weights") if elementwise_affine else None
        )
        self.bias = (
            Parameter(factories.zeros(*shape), label="Biases")
            if elementwise_affine and bias
            else None
        )

    def forward(self, x: Tensor) -> Tensor:
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


# The original AutoCompyute spellings, before PyTorch's casing.
__getattr__ = deprecated_aliases(__name__, {"Batchnorm": BatchNorm, "Layernorm": LayerNorm})
