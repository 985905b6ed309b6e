"""Selecting elements: `__getitem__` (basic and advanced indexing), split and iter_dim.

Basic indexing returns a view of the input's data in forward; backward builds a fresh gradient
(scatter-adding with `xp.add.at` for integer index arrays, so repeated indices accumulate).
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy

from autocompyute._engine import IndexedGradient, TensorCore
from autocompyute.autograd.op import Op, apply
from autocompyute.backend import device_of, move_array
from autocompyute.ops.shapes import normalize_dim

if TYPE_CHECKING:
    from autocompyute.tensor import Tensor

__all__ = ["Index", "chunk", "getitem", "iter_dim", "normalize_key", "split", "unbind"]


class Index(Op):
    """x[key] for a validated key; `accumulate` is set when integer index arrays may repeat."""

    def forward(self, x: Any, *, key: tuple[Any, ...], accumulate: bool) -> Any:
        return x[key]

    def backward(self, grad: Any) -> Any:
        # Only the selected elements get a gradient: the engine adds `grad` into the input's
        # buffer at `key` (summing repeats when integer index arrays may repeat an element).
        return IndexedGradient(self.kwargs["key"], grad, self.kwargs["accumulate"])


def getitem(x: Tensor, key: Any) -> Tensor:
    """Returns `x[key]` with NumPy's indexing rules, differentiably.

    The key may mix ints, slices (any step, negative too), None, one Ellipsis, integer index
    tensors/arrays/lists (advanced indexing; a repeated index accumulates its gradients) and
    boolean masks (tensors or arrays). Index tensors on another device than x are moved to it.

    Args:
        x: tensor of any shape.
        key: the index.

    Returns:
        The selected elements (a view of x's data for basic indexing, a copy otherwise).

    >>> import autocompyute as ac
    >>> x = ac.arange(6).view(2, 3)
    >>> x[:, ::-1].as_numpy().tolist(), x[None, ..., [0, 0]].shape
    ([[2, 1, 0], [5, 4, 3]], (1, 2, 2))
    """
    # `tensor[key]` handles slices and integer index tensors in the engine and calls this
    # function for every other key.
    key_type = type(key)
    if key_type is int:  # the common remaining case, checked without the full walk
        shape = x.data.shape
        if shape and -shape[0] <= key < shape[0]:
            return apply(Index, x, key=(key,), accumulate=False)
    parts = key if key_type is tuple else (key,)
    normalized, accumulate = normalize_key(x.data, parts)
    return apply(Index, x, key=normalized, accumulate=accumulate)


def normalize_key(
    data: Any, parts: tuple[Any, ...], name: str = "getitem"
) -> tuple[tuple[Any, ...], bool]:
    """Converts index tensors and lists to arrays on data's device and checks every index.

    Returns the key and whether it holds integer index arrays (whose indices may repeat).
    Errors are IndexErrors starting with `name` (the operation indexing: getitem, setitem).
    """
    shape = data.shape
    converted: list[Any] = []
    consumed = 0
    ellipses = 0
    accumulate = False
    for part in parts:
        if part is None:
            pass
        elif isinstance(part, slice):
            consumed += 1
        elif part is Ellipsis:
            ellipses += 1
        elif isinstance(part, int | numpy.integer) and not isinstance(part, bool | numpy.bool_):
            part = operator.index(part)
            consumed += 1
        else:
            part = _index_array(part, data, name)
            if part.dtype.kind == "b":
                consumed += part.ndim
            else:
                accumulate = True
                consumed += 1
        converted.append(part)
    if ellipses > 1:
        raise IndexError(f"{name}: an index can only have a single ellipsis ('...')")
    if consumed > len(shape):
        raise IndexError(
            f"{name}: too many indices for a tensor of shape {shape}: {consumed} dims indexed"
        )
    dim = 0
    for part in converted:
        if part is None:
            continue
        if part is Ellipsis:
            dim += len(shape) - consumed
        elif isinstance(part, slice):
            dim += 1
        elif isinstance(part, int):
            _check_range(part, part, dim, shape, name)
            dim += 1
        elif part.dtype.kind == "b":
            covered = shape[dim : dim + part.ndim]
            if tuple(part.shape) != covered:
                raise IndexError(
                    f"{name}: boolean mask of shape {tuple(part.shape)} does not match dims "
                    f"{dim}..{dim + part.ndim - 1} of shape {covered} (tensor shape {shape})"
                )
            dim += part.ndim
        else:
            if part.size:
                _check_range(int(part.min()), int(part.max()), dim, shape, name)
            dim += 1
    return tuple(converted), accumulate


def _index_array(part: Any, data: Any, name: str) -> Any:
    """Returns an index tensor, list or array as an integer or bool array on data's device."""
    if isinstance(part, TensorCore):
        part = part.data
    elif not hasattr(part, "dtype") or isinstance(part, numpy.generic):
        try:
            part = numpy.asarray(part)
        except ValueError as error:
            raise IndexError(f"{name}: invalid index {part!r}: {error}") from None
    if part.dtype.kind not in "biu":
        if part.size == 0:  # an empty list arrives as float64
            part = part.astype(numpy.intp)
        else:
            got = repr(part.item()) if part.ndim == 0 else f"a {part.dtype} array"
            raise IndexError(
                f"{name}: indices must be ints, slices, None, Ellipsis or arrays of integers "
                f"or bools, got {got}"
            )
    if type(part) is not type(data):
        part = move_array(part, device_of(data))
    return part


def _check_range(low: int, high: int, dim: int, shape: tuple[int, ...], name: str) -> None:
    size = shape[dim]
    bad = low if low < -size else high if high >= size else None
    if bad is not None:
        raise IndexError(
            f"{name}: index {bad} is out of range for dim {dim} with size {size} "
            f"(tensor shape {shape})"
        )


def split(x: Tensor, split_size: int | Sequence[int], dim: int = 0) -> list[Tensor]:
    """Splits the tensor into pieces along a dim.

    Args:
        x: tensor with at least one dim.
        split_size: size of every piece (the last one may be smaller), or a list of sizes that
            add up to the size of `dim`.
        dim: the dim to split.

    Returns:
        A list of views of x; gradients from every piece flow back to x.

    >>> import autocompyute as ac
    >>> [p.shape for p in ac.zeros(5, 2).split(2)]
    [(2, 2), (2, 2), (1, 2)]
    """
    if x.ndim == 0:
        raise ValueError("split: cannot split a 0-d tensor")
    axis = normalize_dim(dim, x.ndim, "split")
    size = x.shape[axis]
    if isinstance(split_size, int | numpy.integer):
        if split_size <= 0:
            raise ValueError(f"split: split_size must be positive, got {split_size}")
        sizes = [min(int(split_size), size - start) for start in range(0, size, split_size)]
        sizes = sizes or [0]
    else:
        sizes = list(split_size)
        if any(not isinstance(s, int | numpy.integer) or s < 0 for s in sizes):
            raise ValueError(f"split: sizes must be non-negative ints, got {sizes}")
        if sum(sizes) != size:
            raise ValueError(
                f"split: sizes {sizes} add up to {sum(sizes)}, but dim {dim} of shape {x.shape} "
                f"has size {size}"
            )
    prefix = (slice(None),) * axis
    pieces = []
    start = 0
    for piece_size in sizes:
        key = (*prefix, slice(start, start + int(piece_size)))
        pieces.append(apply(Index, x, key=key, accumulate=False))
        start += int(piece_size)
    return pieces


def iter_dim(x: Tensor, dim: int = 0) -> Iterator[Tensor]:
    """Yields the slices of the tensor along a dim (each one dim smaller).

    Args:
        x: tensor with at least one dim.
        dim: the dim to iterate over.

    Returns:
        An iterator of views of x; gradients from every slice flow back to x.

    >>> import autocompyute as ac
    >>> [t.shape for t in ac.zeros(2, 3).iter_dim(1)]
    [(2,), (2,), (2,)]
    """
    if x.ndim == 0:
        raise TypeError("iter_dim: cannot iterate over a 0-d tensor")
    axis = normalize_dim(dim, x.ndim, "iter_dim")
    prefix = (slice(None),) * axis
    return (apply(Index, x, key=(*prefix, i), accumulate=False) for i in range(x.shape[axis]))


def chunk(x: Tensor, chunks: int, dim: int = 0) -> list[Tensor]:
    """Splits x into `chunks` pieces of equal size along `dim` (the last may be smaller, and
    there may be fewer pieces), as torch.chunk.

    >>> import autocompyute as ac
    >>> [p.shape for p in ac.zeros(5, 2).chunk(3)]
    [(2, 2), (2, 2), (1, 2)]
    """
    if isinstance(chunks, bool) or not isinstance(chunks, int) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    if x.ndim == 0:
        raise ValueError("chunk: cannot chunk a 0-d tensor")
    size = x.shape[normalize_dim(dim, x.ndim, "chunk")]
    return split(x, max(-(-size // chunks), 1), dim)


def unbind(x: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices of x along `dim` (each one dim smaller), as a tuple."""
    return tuple(iter_dim(x, dim))
