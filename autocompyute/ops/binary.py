"""Elementwise binary ops (broadcasting): add, sub, mul, div, pow, maximum, minimum."""

from __future__ import annotations

import math
from typing import Any

from autocompyute.autograd.op import Op

__all__ = ["Add", "Div", "Maximum", "Minimum", "Mul", "Pow", "PowTensor", "Sub"]


class Add(Op):
    """x1 + x2."""

    def forward(self, x1: Any, x2: Any) -> Any:
        return x1 + x2

    def backward(self, grad: Any) -> tuple[Any, Any]:
        return grad, grad


class Sub(Op):
    """x1 - x2."""

    def forward(self, x1: Any, x2: Any) -> Any:
        return x1 - x2

    def backward(self, grad: Any) -> tuple[Any, Any]:
        return grad, (-grad if self.needs_grad[1] else None)


class Mul(Op):
    """x1 * x2."""

    def forward(self, x1: Any, x2: Any) -> Any:
        self.save_for_backward(x1, x2)
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
    """x ** exponent for a Python scalar exponent."""

    def forward(self, x: Any, *, exp: float) -> Any:
        self.save_for_backward(x)
        return x * x if exp == 2 else x**exp

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        exponent = self.kwargs["exp"]
        if exponent == 2:
            return grad * 2 * x
        return grad * exponent * x ** (exponent - 1)


class PowTensor(Op):
    """x1 ** x2 elementwise, where the exponent is a tensor (or the base a constant)."""

    def forward(self, x1: Any, x2: Any) -> Any:
        out = x1**x2
        self.save_for_backward(x1, x2, out)
        return out

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x1, x2, out = self.saved
        xp = self.xp
        grad_x1 = grad * x2 * x1 ** (x2 - 1) if self.needs_grad[0] else None
        grad_x2 = None
        if self.needs_grad[1]:
            log_base = math.log(x1) if isinstance(x1, int | float) else xp.log(x1)
            grad_x2 = grad * out * log_base
        return grad_x1, grad_x2


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
    grad_x1 = grad * weight_x1 if op.needs_grad[0] else None
    grad_x2 = grad * (1 - weight_x1) if op.needs_grad[1] else None
    return grad_x1, grad_x2
