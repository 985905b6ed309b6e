"""Elementwise comparisons (`==`, `!=`, `<`, `<=`, `>`, `>=`): bool tensors without gradient."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from autocompyute.autograd.op import wrap
from autocompyute.backend import array_module, device_of
from autocompyute.ops.promotion import is_tensor

if TYPE_CHECKING:
    from autocompyute.tensor import Tensor

__all__ = [
    "allclose",
    "eq",
    "equal",
    "ge",
    "gt",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "le",
    "lt",
    "ne",
]


def _compare(relation: Callable[[Any, Any], Any], x: Tensor, other: Any) -> Tensor:
    if is_tensor(other):
        if type(other.data) is not type(x.data):
            raise RuntimeError(
                f"comparison: tensors on different devices ({device_of(x.data)} and "
                f"{device_of(other.data)})"
            )
        other = other.data
    return wrap(relation(x.data, other))


def eq(x: Tensor, other: Any) -> Tensor:
    """Elementwise `x == other` (broadcasting)."""
    return _compare(operator.eq, x, other)


def ne(x: Tensor, other: Any) -> Tensor:
    """Elementwise `x != other` (broadcasting)."""
    return _compare(operator.ne, x, other)


def lt(x: Tensor, other: Any) -> Tensor:
    """Elementwise `x < other` (broadcasting)."""
    return _compare(operator.lt, x, other)


def le(x: Tensor, other: Any) -> Tensor:
    """Elementwise `x <= other` (broadcasting)."""
    return _compare(operator.le, x, other)


def gt(x: Tensor, other: Any) -> Tensor:
    """Elementwise `x > other` (broadcasting)."""
    return _compare(operator.gt, x, other)


def ge(x: Tensor, other: Any) -> Tensor:
    """Elementwise `x >= other` (broadcasting)."""
    return _compare(operator.ge, x, other)


def _arrays(x: Tensor, other: Any, name: str) -> tuple[Any, Any]:
    first = x.data
    second = other.data if is_tensor(other) else other
    if is_tensor(other) and type(second) is not type(first):
        raise RuntimeError(
            f"{name}: tensors on different devices ({device_of(first)} and {device_of(second)})"
        )
    return first, second


def isclose(
    x: Tensor, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Tensor:
    """Elementwise |x - other| <= atol + rtol * |other| (a bool tensor)."""
    first, second = _arrays(x, other, "isclose")
    xp = array_module(first)
    return wrap(xp.isclose(first, second, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(
    x: Tensor, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    """Whether every element is close (see `isclose`).

    >>> import autocompyute as ac
    >>> ac.allclose(ac.tensor([1.0, 2.0]), ac.tensor([1.0, 2.0 + 1e-9]))
    True
    """
    return bool(isclose(x, other, rtol, atol, equal_nan).data.all())


def equal(x: Tensor, other: Tensor) -> bool:
    """Whether both tensors have the same shape and elements."""
    first, second = _arrays(x, other, "equal")
    return tuple(first.shape) == tuple(getattr(second, "shape", ())) and bool(
        (first == second).all()
    )


def isnan(x: Tensor) -> Tensor:
    """Elementwise: is the value NaN."""
    return wrap(array_module(x.data).isnan(x.data))


def isinf(x: Tensor) -> Tensor:
    """Elementwise: is the value +inf or -inf."""
    return wrap(array_module(x.data).isinf(x.data))


def isfinite(x: Tensor) -> Tensor:
    """Elementwise: is the value neither infinite nor NaN."""
    return wrap(array_module(x.data).isfinite(x.data))
