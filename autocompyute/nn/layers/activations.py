"""Activation layers: GELU, ReLU, LeakyReLU, Sigmoid, Tanh, Softmax."""

from __future__ import annotations

from autocompyute.nn.functional.activations import gelu, leaky_relu, relu, sigmoid, softmax, tanh
from autocompyute.nn.module import Module
from autocompyute.tensor import Tensor

__all__ = ["GELU", "LeakyReLU", "ReLU", "Sigmoid", "Softmax", "Tanh"]


class GELU(Module):
    """Gaussian error linear unit, tanh approximation (see `functional.gelu`)."""

    def forward(self, x: Tensor) -> Tensor:
        return gelu(x)


class ReLU(Module):
    """Rectified linear unit `max(x, 0)`."""

    def forward(self, x: Tensor) -> Tensor:
        return relu(x)


class LeakyReLU(Module):
    """`x` where `x > 0`, else `alpha * x`.

    Args:
        alpha: slope for negative inputs.
    """

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, x: Tensor) -> Tensor:
        return leaky_relu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


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
