"""Elementwise comparisons (`==`, `!=`, `<`, `<=`, `>`, `>=`): bool tensors without gradient."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from autocompyute.autograd.op import wrap
from autocompyute.backend import device_of
from autocompyute.ops.promotion import is_tensor

if TYPE_CHECKING:
    from autocompyute.tensor import Tensor

__all__ = ["eq", "ge", "gt", "le", "lt", "ne"]


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
