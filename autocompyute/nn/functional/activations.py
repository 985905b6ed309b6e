"""Activation functions: gelu, relu, leaky_relu, sigmoid, tanh, softmax, log_softmax."""

from __future__ import annotations

import math
from typing import Any

from autocompyute import kernels
from autocompyute.autograd.op import Op
from autocompyute.backend import special_function
from autocompyute.nn.functional import softmax_kernels
from autocompyute.ops import unary
from autocompyute.ops.promotion import float_operand
from autocompyute.ops.shapes import normalize_dim
from autocompyute.tensor import Tensor

__all__ = ["gelu", "leaky_relu", "log_softmax", "relu", "sigmoid", "softmax", "tanh"]

_GELU_SCALE = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715


class GELUOp(Op):
    """Gaussian error linear unit, tanh approximation, as x * sigmoid(2u), u = c (x + a x^3).

    `0.5 (1 + tanh(u))` equals `sigmoid(2u) = 1 / (1 + exp(-2u))`, which has no cancellation
    for large |x| (unlike `1 + tanh(u)` near -1) and needs fewer passes over the data.
    """

    def forward(self, x: Any) -> Any:
        if kernels.compiled(x):
            self.save_for_backward(x)
            return kernels.gelu(x, "tanh")
        xp = self.xp
        shape, x = x.shape, _at_least_1d(x)  # the in-place steps below need arrays
        decay = x * x
        decay *= -2.0 * _GELU_SCALE * _GELU_CUBIC
        decay -= 2.0 * _GELU_SCALE
        decay *= x  # -2u
        # Where exp would overflow the gate is ~0 anyway; the cap avoids overflow warnings.
        xp.minimum(decay, 80.0 if x.dtype.itemsize >= 4 else 11.0, out=decay)
        xp.exp(decay, out=decay)
        gate = decay + 1.0
        xp.reciprocal(gate, out=gate)  # sigmoid(2u)
        self.save_for_backward(x, decay, gate)
        return (x * gate).reshape(shape)

    def backward(self, grad: Any) -> Any:
        if len(self.saved) == 1:  # the compiled forward saved only x
            return kernels.gelu_backward(self.saved[0], grad, "tanh")
        x, decay, gate = self.saved
        # d/dx [x s(2u)] = s + x * 2 s (1 - s) du/dx, with 1 - s = exp(-2u) s (no cancellation).
        slope = decay * gate
        slope *= gate
        inner_slope = x * x
        inner_slope *= 6.0 * _GELU_SCALE * _GELU_CUBIC
        inner_slope += 2.0 * _GELU_SCALE
        slope *= inner_slope
        slope *= x
        slope += gate
        slope *= grad
        return slope.reshape(grad.shape)


class GELUErfOp(Op):
    """Gaussian error linear unit, exact: x * Phi(x) with Phi(x) = (1 + erf(x / sqrt(2))) / 2."""

    def forward(self, x: Any) -> Any:
        if kernels.compiled(x):
            self.save_for_backward(x)
            return kernels.gelu(x, "none")
        xp = self.xp
        erf = special_function(xp, "erf")
        cdf = xp.asarray((erf(x * (1.0 / math.sqrt(2.0))) + 1.0) * 0.5, dtype=x.dtype)
        self.save_for_backward(x, cdf)
        return x * cdf

    def backward(self, grad: Any) -> Any:
        if len(self.saved) == 1:  # the compiled forward saved only x
            return kernels.gelu_backward(self.saved[0], grad, "none")
        xp = self.xp
        x, cdf = self.saved
        # d/dx [x Phi(x)] = Phi(x) + x phi(x), phi the standard normal density
        density = xp.exp(x * x * -0.5) * (1.0 / math.sqrt(2.0 * math.pi))
        return xp.asarray(grad * (cdf + x * density), dtype=grad.dtype).reshape(grad.shape)


class LeakyReLUOp(Op):
    """x where x > 0, else alpha * x."""

    def forward(self, x: Any, *, alpha: float) -> Any:
        positive = x > 0
        self.save_for_backward(positive)
        return self.xp.where(positive, x, x * alpha)

    def backward(self, grad: Any) -> Any:
        (positive,) = self.saved
        return self.xp.where(positive, grad, grad * self.kwargs["alpha"])


class SoftmaxOp(Op):
    """exp(x) / sum(exp(x)) along `dim`, shifted by the maximum for stability."""

    def forward(self, x: Any, *, dim: int) -> Any:
        shape, x = x.shape, _at_least_1d(x)
        out = self.xp.empty_like(x) if x.size == 0 else softmax_kernels.softmax(self.xp, x, dim)
        self.save_for_backward(out)
        return out.reshape(shape)

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        flat_grad = grad.reshape(out.shape)
        return softmax_kernels.softmax_backward(flat_grad, out, self.kwargs["dim"]).reshape(
            grad.shape
        )


class LogSoftmaxOp(Op):
    """x - log(sum(exp(x))) along `dim`, shifted by the maximum for stability."""

    def forward(self, x: Any, *, dim: int) -> Any:
        shape, x = x.shape, _at_least_1d(x)
        xp = self.xp
        # Nothing to normalize when empty (possibly along a 0-size dim).
        out = xp.empty_like(x) if x.size == 0 else softmax_kernels.log_softmax(xp, x, dim)
        self.save_for_backward(out)
        return out.reshape(shape)

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        flat_grad = grad.reshape(out.shape)
        dim = self.kwargs["dim"]
        return softmax_kernels.log_softmax_backward(self.xp, flat_grad, out, dim).reshape(
            grad.shape
        )


def _at_least_1d(x: Any) -> Any:
    """A 0-d array as shape (1,) (a 0-d tensor normalizes over its single element)."""
    return x.reshape(1) if x.ndim == 0 else x


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit, as PyTorch's `gelu`: exact by default.

    `approximate="none"`: `x * (1 + erf(x / sqrt(2))) / 2` (PyTorch's default);
    `approximate="tanh"`: `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))` (GPT-2's form and
    the original AutoCompyute's only one).

    Args:
        x: input of any shape.
        approximate: "none" or "tanh".

    Returns:
        Tensor of the same shape.

    >>> import autocompyute as ac
    >>> gelu(ac.tensor([0.0, 1.0]))
    Tensor([0.0000, 0.8413], dtype=float32, device=cpu)
    >>> gelu(ac.tensor([0.0, 1.0]), approximate="tanh")
    Tensor([0.0000, 0.8412], dtype=float32, device=cpu)
    """
    if approximate == "tanh":
        return GELUOp.apply(float_operand(x))
    if approximate == "none":
        return GELUErfOp.apply(float_operand(x))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def relu(x: Tensor, inplace: bool = False) -> Tensor:
    """Rectified linear unit `max(x, 0)` (op `ReLUOp`); `inplace` is accepted, never used.

    >>> import autocompyute as ac
    >>> relu(ac.tensor([-1.0, 2.0]))
    Tensor([0.0000, 2.0000], dtype=float32, device=cpu)
    """
    return unary.relu(x)


def leaky_relu(
    x: Tensor, negative_slope: float = 0.01, inplace: bool = False, *, alpha: float | None = None
) -> Tensor:
    """Leaky rectified linear unit: `x` where `x > 0`, else `negative_slope * x`.

    Args:
        x: input of any shape.
        negative_slope: slope for negative inputs.
        inplace: accepted for PyTorch compatibility; the result is always a new tensor.
        alpha: the original AutoCompyute's name of `negative_slope` (keyword only).

    >>> import autocompyute as ac
    >>> leaky_relu(ac.tensor([-1.0, 2.0]), alpha=0.1)
    Tensor([-0.1000,  2.0000], dtype=float32, device=cpu)
    """
    del inplace
    slope = negative_slope if alpha is None else alpha
    return LeakyReLUOp.apply(float_operand(x), alpha=float(slope))


def sigmoid(x: Tensor) -> Tensor:
    """Logistic sigmoid `1 / (1 + exp(-x))`, elementwise."""
    return unary.sigmoid(x)


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent, elementwise."""
    return unary.tanh(x)


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """Softmax along `dim`: non-negative values that sum to 1 (stable for large inputs).

    Args:
        x: input of any shape (at least 1 dim).
        dim: the dim to normalize.

    Returns:
        Tensor of the same shape.

    >>> import autocompyute as ac
    >>> softmax(ac.tensor([0.0, 0.0]))
    Tensor([0.5000, 0.5000], dtype=float32, device=cpu)
    """
    resolved = normalize_dim(dim, x.ndim, "softmax")
    return SoftmaxOp.apply(float_operand(x), dim=resolved)


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    """Logarithm of the softmax along `dim`, computed without overflow or log(0).

    Args:
        x: input of any shape (at least 1 dim).
        dim: the dim to normalize.

    Returns:
        Tensor of the same shape.

    >>> import autocompyute as ac
    >>> log_softmax(ac.tensor([1e4, 0.0]))
    Tensor([     0.0000, -10000.0000], dtype=float32, device=cpu)
    """
    resolved = normalize_dim(dim, x.ndim, "log_softmax")
    return LogSoftmaxOp.apply(float_operand(x), dim=resolved)
