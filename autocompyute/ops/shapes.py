"""Validation of dims and shapes shared by the ops (errors name the op)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["normalize_dim", "normalize_dims", "numel", "size_of", "varargs"]


def varargs(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Returns the arguments of `f(a, b, c)` or `f((a, b, c))` (or a list or range) as a tuple.

    >>> varargs((2, 3)), varargs(([2, 3],))
    ((2, 3), (2, 3))
    """
    if len(args) == 1 and isinstance(args[0], list | tuple | range):
        return tuple(args[0])
    return args


def normalize_dim(dim: int, ndim: int, op_name: str) -> int:
    """Returns `dim` as a non-negative index into `ndim` dims, or raises an IndexError.

    >>> normalize_dim(-1, 3, "sum")
    2
    """
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"{op_name}: dim must be an int, got {dim!r}")
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(
            f"{op_name}: dim {dim} is out of range for a tensor with {ndim} dims "
            f"(expected a value in [{-max(ndim, 1)}, {max(ndim, 1) - 1}])"
        )
    return dim % max(ndim, 1) if ndim else 0


def normalize_dims(dim: int | Sequence[int] | None, ndim: int, op_name: str) -> tuple[int, ...]:
    """Returns the dims as a sorted tuple of non-negative indices; None means all dims.

    >>> normalize_dims((0, -1), 3, "sum")
    (0, 2)
    """
    if dim is None:
        return tuple(range(ndim))
    if type(dim) is int and -ndim <= dim < ndim:  # the common case, without the general walk
        return (dim + ndim if dim < 0 else dim,)
    if isinstance(dim, int):
        dims: tuple[int, ...] = (dim,)
    elif isinstance(dim, list | tuple):
        dims = tuple(dim)
    else:
        raise TypeError(f"{op_name}: dim must be an int, a tuple of ints or None, got {dim!r}")
    normalized = tuple(sorted(normalize_dim(d, ndim, op_name) for d in dims))
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{op_name}: dim {dim} repeats a dimension")
    if ndim == 0:
        return ()
    return normalized


def size_of(shape: tuple[int, ...], dim: int | None) -> Any:
    """`shape`, or the size of dim `dim` of it (as torch.Tensor.size).

    >>> size_of((2, 3), None), size_of((2, 3), -1)
    ((2, 3), 3)
    """
    if dim is None:
        return tuple(shape)
    return shape[normalize_dim(dim, len(shape), "size")] if shape else 1


def numel(x: Any) -> int:
    """The number of elements of a tensor."""
    return int(x.data.size)
