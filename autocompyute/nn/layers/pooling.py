"""Pooling layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (PyTorch's arguments)."""

from __future__ import annotations

from typing import Any

from autocompyute.deprecation import deprecated_aliases
from autocompyute.nn.functional.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from autocompyute.nn.module import Module
from autocompyute.tensor import Tensor

__all__ = ["AdaptiveAvgPool2d", "AvgPool2d", "MaxPool2d"]


class MaxPool2d(Module):
    """2-D max pooling with PyTorch's `nn.MaxPool2d` arguments (see `functional.max_pool2d`).

    `MaxPool2d(2)` is the original `MaxPooling2D(2)` (non-overlapping blocks); the original's
    `window_size` keyword is accepted for `kernel_size`.

    >>> import autocompyute as ac
    >>> MaxPool2d(3, stride=2, padding=1)(ac.ones(1, 3, 8, 8)).shape
    (1, 3, 4, 4)
    """

    def __init__(
        self,
        kernel_size: Any = None,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
        *,
        window_size: int | None = None,
    ) -> None:
        super().__init__()
        if window_size is not None:
            kernel_size = window_size
        if kernel_size is None:
            raise TypeError("MaxPool2d: missing the kernel_size argument")
        # as PyTorch: the stride defaults to the kernel size
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    @property
    def window_size(self) -> Any:
        """The original name of `kernel_size`."""
        return self.kernel_size

    def forward(self, x: Tensor) -> Any:
        return max_pool2d(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class AvgPool2d(Module):
    """2-D average pooling with PyTorch's `nn.AvgPool2d` arguments (see `functional.avg_pool2d`).

    >>> import autocompyute as ac
    >>> AvgPool2d(2)(ac.ones(1, 3, 8, 8)).shape
    (1, 3, 4, 4)
    """

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x: Tensor) -> Tensor:
        return avg_pool2d(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size (see `functional.adaptive_avg_pool2d`).

    >>> import autocompyute as ac
    >>> AdaptiveAvgPool2d((1, 1))(ac.ones(2, 3, 7, 5)).shape
    (2, 3, 1, 1)
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


# The original AutoCompyute spellings, before PyTorch's casing.
__getattr__ = deprecated_aliases(__name__, {"MaxPooling2D": MaxPool2d})
