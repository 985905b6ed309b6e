"""Bitwise and logical operators on bool and integer tensors (masks): ~ & | ^. No gradient."""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Any

from autocompyute import _engine
from autocompyute.autograd.op import wrap
from autocompyute.ops.shapes import normalize_dim

if TYPE_CHECKING:
    from autocompyute.tensor import Tensor

__all__ = ["all", "any", "bitwise"]

_OPERATORS = {"&": operator.and_, "|": operator.or_, "^": operator.xor}


def bitwise(symbol: str, x: Tensor, other: Any = None) -> Tensor:
    """Applies `~x` (other None) or `x & other`, `x | other`, `x ^ other` to bool/int tensors.

    >>> import autocompyute as ac
    >>> (~ac.tensor([True, False]) | ac.tensor([False, False])).tolist()
    [False, True]
    """
    first = x.data
    second = other.data if isinstance(other, _engine.TensorCore) else other
    for array in (first, second):
        if _kind(array) not in "biu":
            got = f"dtype {array.dtype}" if hasattr(array, "dtype") else type(array).__name__
            raise TypeError(f"operator {symbol}: needs bool or integer tensors, got {got}")
    if second is not None and hasattr(second, "dtype") and type(second) is not type(first):
        raise RuntimeError(f"operator {symbol}: the tensors are on different devices")
    if symbol == "~":
        return wrap(~first)
    return wrap(_OPERATORS[symbol](first, second))


def _kind(value: Any) -> str:
    """The dtype kind of an operand ("b" for None, the missing second operand of ~)."""
    if value is None or isinstance(value, bool):
        return "b"
    if isinstance(value, int):
        return "i"
    dtype = getattr(value, "dtype", None)
    return "?" if dtype is None else str(dtype.kind)


def any(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Whether any element is nonzero (over `dim`, or all of them): a bool tensor."""
    axis = None if dim is None else normalize_dim(dim, x.data.ndim, "any")
    return wrap(x.data.any(axis=axis, keepdims=keepdim))


def all(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Whether every element is nonzero (over `dim`, or all of them): a bool tensor."""
    axis = None if dim is None else normalize_dim(dim, x.data.ndim, "all")
    return wrap(x.data.all(axis=axis, keepdims=keepdim))
