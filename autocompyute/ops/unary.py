"""Elementwise unary ops: exp, log, sqrt, abs, tanh, sigmoid, relu, sin, cos, clip, tril, triu."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autocompyute.autograd.op import Op, apply, apply1
from autocompyute.deprecation import deprecated_aliases
from autocompyute.ops.promotion import float_operand

if TYPE_CHECKING:
    from autocompyute.tensor import Tensor

__all__ = [
    "Abs",
    "Clip",
    "Cos",
    "Exp",
    "Log",
    "Neg",
    "ReLUOp",
    "SigmoidOp",
    "Sin",
    "Sqrt",
    "TanhOp",
    "Tril",
    "Triu",
    "abs",
    "clip",
    "cos",
    "exp",
    "log",
    "relu",
    "sigmoid",
    "sigmoid_array",
    "sin",
    "sqrt",
    "tanh",
    "tril",
    "triu",
]


class Neg(Op):
    """-x."""

    def forward(self, x: Any) -> Any:
        return -x

    def backward(self, grad: Any) -> Any:
        return -grad


class Exp(Op):
    """e ** x."""

    def forward(self, x: Any) -> Any:
        out = self.xp.exp(x)
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return grad * out


class Log(Op):
    """Natural logarithm."""

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return self.xp.log(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad / x


class Sqrt(Op):
    """Square root."""

    def forward(self, x: Any) -> Any:
        out = self.xp.sqrt(x)
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return grad * 0.5 / out


class Abs(Op):
    """|x| (gradient 0 at 0, as in PyTorch)."""

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return self.xp.abs(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad * self.xp.sign(x)


class TanhOp(Op):
    """Hyperbolic tangent."""

    def forward(self, x: Any) -> Any:
        out = self.xp.tanh(x)
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return grad * (1 - out * out)


def sigmoid_array(xp: Any, x: Any) -> Any:
    """1 / (1 + e ** -x) of a raw array, without overflow and accurate for large |x|."""
    # With e = exp(-|x|) <= 1 nothing overflows, and sigmoid(x) = 1 / (1 + e) for x >= 0,
    # e / (1 + e) for x < 0, both without the cancellation of 0.5 + 0.5 * tanh(x / 2).
    # The numerator is selected arithmetically: `where` is several times slower here.
    exp_neg_abs = xp.exp(-xp.abs(x))
    out = exp_neg_abs * (x < 0)
    out += x >= 0
    out /= 1 + exp_neg_abs
    return out


class SigmoidOp(Op):
    """1 / (1 + e ** -x), accurate for large |x| in either direction and without overflow."""

    def forward(self, x: Any) -> Any:
        out = sigmoid_array(self.xp, x)
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return grad * out * (1 - out)


class ReLUOp(Op):
    """max(x, 0)."""

    def forward(self, x: Any) -> Any:
        out = self.xp.maximum(x, 0)
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        # where, not a product: NaN/inf in grad must not leak where the local gradient is 0.
        return self.xp.where(out > 0, grad, 0)


class Sin(Op):
    """Sine."""

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return self.xp.sin(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad * self.xp.cos(x)


class Cos(Op):
    """Cosine."""

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return self.xp.cos(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return -grad * self.xp.sin(x)


class Clip(Op):
    """Clamps x to [min, max] (either bound may be None); gradient 1 inside, 0 where clipped.

    Values equal to a bound count as inside (gradient 1), as in PyTorch.
    """

    def forward(self, x: Any, *, min: float | None, max: float | None) -> Any:
        self.save_for_backward(x)
        return self.xp.clip(x, min, max)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        low, high = self.kwargs["min"], self.kwargs["max"]
        if high is None:
            inside = x >= low
        elif low is None:
            inside = x <= high
        else:
            inside = (x >= low) & (x <= high)
        return self.xp.where(inside, grad, 0)  # a clipped element gets 0 even for NaN grad


class Tril(Op):
    """Lower triangle of the last two dims (elements above `diagonal` set to 0)."""

    def forward(self, x: Any, *, diagonal: int = 0) -> Any:
        return self.xp.tril(x, diagonal)

    def backward(self, grad: Any) -> Any:
        return self.xp.tril(grad, self.kwargs.get("diagonal", 0))


class Triu(Op):
    """Upper triangle of the last two dims (elements below `diagonal` set to 0)."""

    def forward(self, x: Any, *, diagonal: int = 0) -> Any:
        return self.xp.triu(x, diagonal)

    def backward(self, grad: Any) -> Any:
        return self.xp.triu(grad, self.kwargs.get("diagonal", 0))


def abs(x: Tensor) -> Tensor:
    """Elementwise absolute value."""
    return apply1(Abs, x)


def exp(x: Tensor) -> Tensor:
    """Elementwise e ** x (integer tensors give float32)."""
    return apply1(Exp, float_operand(x))


def log(x: Tensor) -> Tensor:
    """Elementwise natural logarithm (integer tensors give float32)."""
    return apply1(Log, float_operand(x))


def sqrt(x: Tensor) -> Tensor:
    """Elementwise square root (integer tensors give float32)."""
    return apply1(Sqrt, float_operand(x))


def tanh(x: Tensor) -> Tensor:
    """Elementwise hyperbolic tangent (integer tensors give float32)."""
    return apply1(TanhOp, float_operand(x))


def sigmoid(x: Tensor) -> Tensor:
    """Elementwise logistic sigmoid `1 / (1 + exp(-x))` (integer tensors give float32)."""
    return apply1(SigmoidOp, float_operand(x))


def relu(x: Tensor) -> Tensor:
    """Elementwise max(x, 0)."""
    return apply1(ReLUOp, x)


def sin(x: Tensor) -> Tensor:
    """Elementwise sine (integer tensors give float32)."""
    return apply1(Sin, float_operand(x))


def cos(x: Tensor) -> Tensor:
    """Elementwise cosine (integer tensors give float32)."""
    return apply1(Cos, float_operand(x))


def clip(x: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
    """Clamps values to [min, max] (gradient 0 where clipped).

    An integer tensor clipped to a float bound gives float32, like any integer tensor combined
    with a Python float.
    """
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    if type(min) is float or type(max) is float:
        x = float_operand(x)
    return apply(Clip, x, min=min, max=max)


def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """Keeps the lower triangle of the last two dims (offset by `diagonal`)."""
    _need_matrix(x, "tril")
    return apply(Tril, x, diagonal=diagonal)


def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    """Keeps the upper triangle of the last two dims (offset by `diagonal`)."""
    _need_matrix(x, "triu")
    return apply(Triu, x, diagonal=diagonal)


def _need_matrix(x: Tensor, name: str) -> None:
    if x.data.ndim < 2:
        raise ValueError(f"{name}: needs a tensor with at least 2 dims, got shape {x.shape}")


# The op classes' names before they were told apart from the layers (nn.ReLU, ...).
__getattr__ = deprecated_aliases(__name__, {"ReLU": ReLUOp, "Sigmoid": SigmoidOp, "Tanh": TanhOp})
