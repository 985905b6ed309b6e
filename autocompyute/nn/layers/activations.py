"""Activation layers: GELU, ReLU, LeakyReLU, Sigmoid, Tanh, Softmax."""

from __future__ import annotations

from autocompyute.nn.functional.activations import gelu, leaky_relu, relu, sigmoid, softmax, tanh
from autocompyute.nn.module import Module
from autocompyute.tensor import Tensor

__all__ = ["GELU", "LeakyReLU", "ReLU", "Sigmoid", "Softmax", "Tanh"]


class GELU(Module):
    """Gaussian error linear unit (see `functional.gelu`); exact by default, as in PyTorch.

    Args:
        approximate: "none" (erf form) or "tanh".
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class ReLU(Module):
    """Rectified linear unit `max(x, 0)`.

    Args:
        inplace: accepted for PyTorch compatibility; the result is always a new tensor.
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return relu(x)


class LeakyReLU(Module):
    """`x` where `x > 0`, else `negative_slope * x`.

    Args:
        negative_slope: slope for negative inputs (the original AutoCompyute calls it `alpha`,
            still accepted as a keyword).
        inplace: accepted for PyTorch compatibility; the result is always a new tensor.
    """

    def __init__(
        self, negative_slope: float = 0.01, inplace: bool = False, *, alpha: float | None = None
    ) -> None:
        super().__init__()
        self.alpha = negative_slope if alpha is None else alpha
        self.inplace = inplace

    @property
    def negative_slope(self) -> float:
        """PyTorch's name of `alpha`."""
        return self.alpha

    def forward(self, x: Tensor) -> Tensor:
        return leaky_relu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"negative_slope={self.alpha}"


class Sigmoid(Module):
    """Logistic sigmoid `1 / (1 + exp(-x))`."""

    def forward(self, x: Tensor) -> Tensor:
        return sigmoid(x)


class Tanh(Module):
    """Hyperbolic tangent."""

    def forward(self, x: Tensor) -> Tensor:
        return tanh(x)


class Softmax(Module):
    """Softmax along `dim`.

    Args:
        dim: the dim whose entries are normalized to sum to 1.
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
