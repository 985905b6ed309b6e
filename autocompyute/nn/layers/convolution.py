"""Convolution layers: Conv1d, Conv2d and ConvTranspose2d."""

from __future__ import annotations

import math
from typing import Any

from autocompyute.deprecation import deprecated_aliases
from autocompyute.nn.functional.convolution import conv1d, conv2d, conv_transpose2d
from autocompyute.nn.layers._weights import WeightsAndBiases, uniform_parameter
from autocompyute.tensor import Tensor

__all__ = ["Conv1d", "Conv2d", "ConvTranspose2d"]


class _Convolution(WeightsAndBiases):
    """Shared setup: weights (O, C, *kernel), or (C, O, *kernel) when transposed; biases (O,)."""

    spatial_dims = 2
    transposed = False

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        kernel_size: Any = 3,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
    ) -> None:
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError(
                f"{type(self).__name__}: only padding_mode='zeros' is supported, "
                f"got {padding_mode!r}"
            )
        if not isinstance(groups, int) or groups < 1 or in_dim % groups or out_dim % groups:
            raise ValueError(
                f"{type(self).__name__}: in_channels ({in_dim}) and out_channels "
                f"({out_dim}) must be divisible by groups ({groups!r})"
            )
        self.groups = groups
        kernel = (
            (kernel_size,) * self.spatial_dims
            if isinstance(kernel_size, int)
            else tuple(kernel_size)
        )
        if len(kernel) != self.spatial_dims or min(kernel) < 1 or min(in_dim, out_dim) < 1:
            raise ValueError(
                f"{type(self).__name__}: in_dim and out_dim must be >= 1 and kernel_size a "
                f"positive int or {self.spatial_dims} of them, got {in_dim}, {out_dim} and "
                f"{kernel_size!r}"
            )
        self.in_dim, self.out_dim, self.kernel_size = in_dim, out_dim, kernel
        self.stride, self.padding, self.dilation = stride, padding, dilation
        weight_dims = (
            (in_dim, out_dim // groups) if self.transposed else (out_dim, in_dim // groups)
        )
        # As in PyTorch, fan_in comes from the weight's second dim (output channels when
        # transposed).
        fan_in = weight_dims[1] * math.prod(kernel)
        self.weight = uniform_parameter((*weight_dims, *kernel), fan_in, "Weights")
        self.bias = uniform_parameter((out_dim,), fan_in, "Biases") if bias else None

    def extra_repr(self) -> str:
        return (
            f"in_dim={self.in_dim}, out_dim={self.out_dim}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}, "
            f"groups={self.groups}, bias={self.bias is not None}"
        )


class Conv1d(_Convolution):
    """1-D convolution layer (cross-correlation, as PyTorch's `nn.Conv1d`).

    Args:
        in_dim: input channels C.
        out_dim: output channels O.
        kernel_size: kernel length K.
        stride: step between windows.
        padding: zeros added on both sides.
        dilation: spacing between kernel taps.
        bias: whether to add a learned bias per output channel.

    Attributes:
        w: weights (O, C, K), label "Weights".
        b: biases (O,), label "Biases", or None.

    Input (B, C, L) -> output (B, O, L_out), see `autocompyute.nn.functional.conv1d`.

    >>> import autocompyute as ac
    >>> Conv1d(3, 8, kernel_size=5, padding=2)(ac.ones(2, 3, 16)).shape
    (2, 8, 16)
    """

    spatial_dims = 1

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        kernel_size: Any = 3,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
    ) -> None:
        if groups != 1:
            raise ValueError(
                f"Conv1d: groups={groups} is not supported (only Conv2d and "
                "ConvTranspose2d take groups)"
            )
        super().__init__(
            in_dim, out_dim, kernel_size, stride, padding, dilation, groups, bias, padding_mode
        )

    def forward(self, x: Tensor) -> Tensor:
        return conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)


class Conv2d(_Convolution):
    """2-D convolution layer (cross-correlation, as PyTorch's `nn.Conv2d`).

    Args:
        in_dim: input channels C.
        out_dim: output channels O.
        kernel_size: an int or (KH, KW).
        stride: an int or (stride_h, stride_w).
        padding: zeros added on both sides, an int or (pad_h, pad_w).
        dilation: spacing between kernel taps, an int or pair.
        groups: independent channel groups (weights (O, C / groups, KH, KW)).
        bias: whether to add a learned bias per output channel.
        padding_mode: only "zeros".

    Attributes:
        w: weights (O, C, KH, KW), label "Weights".
        b: biases (O,), label "Biases", or None.

    Input (B, C, H, W) -> output (B, O, H_out, W_out), see `autocompyute.nn.functional.conv2d`.

    >>> import autocompyute as ac
    >>> Conv2d(1, 4, kernel_size=3)(ac.ones(2, 1, 8, 8)).shape
    (2, 4, 6, 6)
    """

    def forward(self, x: Tensor) -> Tensor:
        return conv2d(
            x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )


class ConvTranspose2d(_Convolution):
    """Transposed 2-D convolution layer, with PyTorch's `nn.ConvTranspose2d` arguments.

    Args:
        in_dim: input channels C.
        out_dim: output channels O.
        kernel_size: an int or (KH, KW).
        stride: an int or (stride_h, stride_w).
        padding: rows/columns cropped from both sides of the full output, int or pair.
        output_padding: rows/columns added at the bottom/right of the output.
        groups: independent channel groups (weights (C, O / groups, KH, KW)).
        bias: whether to add a learned bias per output channel.
        dilation: spacing between kernel taps, an int or pair.
        padding_mode: only "zeros".

    Attributes:
        w: weights (C, O, KH, KW) (input channels first, as in PyTorch), label "Weights".
        b: biases (O,), label "Biases", or None.

    Input (B, C, H, W) -> output (B, O, H_out, W_out), see
    `autocompyute.nn.functional.conv_transpose2d`.

    >>> import autocompyute as ac
    >>> ConvTranspose2d(4, 2, kernel_size=2, stride=2)(ac.ones(1, 4, 5, 5)).shape
    (1, 2, 10, 10)
    """

    transposed = True

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        kernel_size: Any = 3,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
    ) -> None:
        super().__init__(
            in_dim, out_dim, kernel_size, stride, padding, dilation, groups, bias, padding_mode
        )
        self.output_padding = output_padding

    def forward(self, x: Tensor) -> Tensor:
        return conv_transpose2d(
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.output_padding,
            self.groups,
            self.dilation,
        )


# The original AutoCompyute spellings, before PyTorch's casing.
__getattr__ = deprecated_aliases(
    __name__, {"Conv1D": Conv1d, "Conv2D": Conv2d, "ConvTranspose2D": ConvTranspose2d}
)
