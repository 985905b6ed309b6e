"""Elementwise binary ops (broadcasting): add, sub, mul, div, pow, maximum, minimum."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from autocompyute.autograd.op import Op, apply, apply2
from autocompyute.ops.promotion import float_operand, promote

if TYPE_CHECKING:
    from autocompyute.tensor import Tensor

__all__ = [
    "Add",
    "Div",
    "Maximum",
    "Minimum",
    "Mul",
    "Pow",
    "PowTensor",
    "Sub",
    "add",
    "apply_promoted",
    "div",
    "maximum",
    "minimum",
    "mul",
    "pow",
    "sub",
]


class Add(Op):
    """x1 + x2."""

    def forward(self, x1: Any, x2: Any) -> Any:
        return x1 + x2

    def backward(self, grad: Any) -> tuple[Any, Any]:
        needs_grad = self.needs_grad
        return (grad if needs_grad[0] else None, grad if needs_grad[1] else None)


class Sub(Op):
    """x1 - x2."""

    def forward(self, x1: Any, x2: Any) -> Any:
        return x1 - x2

    def backward(self, grad: Any) -> tuple[Any, Any]:
        needs_grad = self.needs_grad
        return (grad if needs_grad[0] else None, -grad if needs_grad[1] else None)


class Mul(Op):
    """x1 * x2."""

    def forward(self, x1: Any, x2: Any) -> Any:
        needs_grad = self.needs_grad
        if needs_grad is not None:
            # Only what the needed gradients read: `y = x * 3` keeps x out of the saved arrays,
            # so modifying x in place afterwards does not invalidate the graph (as in PyTorch).
            self.save_for_backward(x1 if needs_grad[1] else None, x2 if needs_grad[0] else None)
        return x1 * x2

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x1, x2 = self.saved
        needs_grad = self.needs_grad
        return (grad * x2 if needs_grad[0] else None, grad * x1 if needs_grad[1] else None)


class Div(Op):
    """x1 / x2."""

    def forward(self, x1: Any, x2: Any) -> Any:
        self.save_for_backward(x1, x2)
        return x1 / x2

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x1, x2 = self.saved
        grad_x1 = grad / x2
        grad_x2 = -grad_x1 * x1 / x2 if self.needs_grad[1] else None
        return grad_x1 if self.needs_grad[0] else None, grad_x2


class Pow(Op):
    """x ** exponent for a Python scalar exponent (gradient 0 everywhere for exponent 0)."""

    def forward(self, x: Any, *, exp: float) -> Any:
        self.save_for_backward(x)
        return x * x if exp == 2 else x**exp

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        exponent = self.kwargs["exp"]
        if exponent == 0:
            # x ** -1 would turn the zero derivative at x = 0 into 0 * inf = NaN.
            return self.xp.zeros_like(grad)
        if exponent == 1:
            return grad
        if exponent == 2:
            return grad * 2 * x
        grad_x = x ** (exponent - 1)
        grad_x *= exponent
        grad_x *= grad
        return grad_x


class PowTensor(Op):
    """x1 ** x2 elementwise, where the exponent is a tensor (or the base a constant).

    As in PyTorch, the gradient w.r.t. the base is 0 where the exponent is 0, and the gradient
    w.r.t. the exponent is 0 where the base is 0 and the exponent non-negative; a negative base
    gives a NaN exponent gradient (its logarithm is undefined).
    """

    def forward(self, x1: Any, x2: Any) -> Any:
        out = x1**x2
        self.save_for_backward(x1, x2, out)
        return out

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x1, x2, out = self.saved
        xp = self.xp
        grad_x1 = grad_x2 = None
        if self.needs_grad[0]:
            grad_x1 = grad * x2 * x1 ** (x2 - 1)
            if isinstance(x2, int | float):
                if x2 == 0:
                    grad_x1 = xp.zeros_like(grad_x1)
            else:
                grad_x1 = xp.where(x2 == 0, 0, grad_x1)
        if self.needs_grad[1]:
            if isinstance(x1, int | float):
                grad_x2 = grad * out * _log_scalar(x1)
                if x1 == 0:
                    grad_x2 = xp.where(x2 >= 0, 0, grad_x2)
            else:
                grad_x2 = grad * out * xp.log(x1)
                grad_x2 = xp.where((x1 == 0) & (x2 >= 0), 0, grad_x2)
        return grad_x1, grad_x2


def _log_scalar(base: float) -> float:
    if base > 0:
        return math.log(base)
    return -math.inf if base == 0 else math.nan


class Maximum(Op):
    """Elementwise maximum; where both are equal the gradient is split evenly."""

    def forward(self, x1: Any, x2: Any) -> Any:
        out = self.xp.maximum(x1, x2)
        self.save_for_backward(x1, x2, out)
        return out

    def backward(self, grad: Any) -> tuple[Any, Any]:
        return _select_backward(self, grad)


class Minimum(Op):
    """Elementwise minimum; where both are equal the gradient is split evenly."""

    def forward(self, x1: Any, x2: Any) -> Any:
        out = self.xp.minimum(x1, x2)
        self.save_for_backward(x1, x2, out)
        return out

    def backward(self, grad: Any) -> tuple[Any, Any]:
        return _select_backward(self, grad)


def _select_backward(op: Op, grad: Any) -> tuple[Any, Any]:
    x1, x2, out = op.saved
    # Ties send half the gradient to each input (as PyTorch does), which keeps the sum exact.
    weight_x1 = (x1 == out).astype(grad.dtype) - (x1 == x2).astype(grad.dtype) * 0.5
    # where: an input that was not selected gets 0 even where grad is NaN or inf.
    xp = op.xp
    grad_x1 = xp.where(weight_x1 == 0, 0, grad) * weight_x1 if op.needs_grad[0] else None
    grad_x2 = xp.where(weight_x1 == 1, 0, grad) * (1 - weight_x1) if op.needs_grad[1] else None
    return grad_x1, grad_x2


def maximum(x1: Tensor, x2: Any) -> Tensor:
    """Elementwise maximum (ties split the gradient evenly); dtypes are promoted."""
    return apply2(Maximum, *promote(x1, x2))


def minimum(x1: Tensor, x2: Any) -> Tensor:
    """Elementwise minimum (ties split the gradient evenly); dtypes are promoted."""
    return apply2(Minimum, *promote(x1, x2))


def apply_promoted(op_type: type[Op], tensor: Tensor, other: Any, reflected: bool) -> Tensor:
    """The compiled operators' slow path: promotes the operands, then applies `op_type`.

    `reflected` means `other op tensor` (as in `__radd__`). True division and float powers
    compute in floats; `tensor ** scalar` keeps the scalar exponent as a constant of `Pow`.
    """
    if op_type is Pow:
        if not reflected and type(other) in (int, float, bool):
            base = float_operand(tensor) if type(other) is float else tensor
            return apply(Pow, base, exp=other)
        op_type = PowTensor
    first, second = promote(tensor, other)
    if op_type is Div or (op_type is PowTensor and type(second) is float):
        first, second = float_operand(first), float_operand(second)
    if reflected:
        return apply2(op_type, second, first)
    return apply2(op_type, first, second)


# PyTorch's function forms (torch.add(x, y, alpha=2), torch.pow(2, x), ...).


def add(x: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """`x + alpha * other` (broadcasting)."""
    return x + (other if alpha == 1 else other * alpha)  # type: ignore[no-any-return]


def sub(x: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """`x - alpha * other` (broadcasting)."""
    return x - (other if alpha == 1 else other * alpha)  # type: ignore[no-any-return]


def mul(x: Any, other: Any) -> Tensor:
    """`x * other` (broadcasting)."""
    return x * other  # type: ignore[no-any-return]


def div(x: Any, other: Any) -> Tensor:
    """`x / other` (true division, broadcasting)."""
    return x / other  # type: ignore[no-any-return]


def pow(x: Any, exponent: Any) -> Tensor:
    """`x ** exponent` (either may be a scalar)."""
    return x**exponent  # type: ignore[no-any-return]
