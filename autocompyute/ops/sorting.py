"""Selecting along a dim by index: gather, sort, argsort, topk.

Sorting computes indices on the raw arrays (no gradient) and then gathers the values with the
differentiable `Gather`, so sort, topk and gather share one backward: the gradient of each
picked element is added back at the position it came from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from autocompyute import _engine
from autocompyute.autograd.op import Op, apply, wrap
from autocompyute.backend import array_module, device_of
from autocompyute.ops.shapes import normalize_dim

if TYPE_CHECKING:
    from autocompyute.tensor import Tensor

__all__ = ["Gather", "ValuesIndices", "argsort", "gather", "index_select", "sort", "topk"]


class ValuesIndices(NamedTuple):
    """The (values, indices) pair that sort, topk, max(dim) and min(dim) return."""

    values: Tensor
    indices: Tensor


class Gather(Op):
    """out[i][j][k] = x[i][index[i][j][k]][k] for `dim` 1 (torch.gather's rule)."""

    def forward(self, x: Any, *, key: tuple[Any, ...]) -> Any:
        return x[key]

    def backward(self, grad: Any) -> Any:
        # An index may pick one element twice: the engine then sums the repeats.
        return _engine.IndexedGradient(self.kwargs["key"], grad, True)


def _gather_key(xp: Any, index: Any, dim: int) -> tuple[Any, ...]:
    """The advanced-indexing key that picks `index` along `dim` and position i elsewhere."""
    ndim = index.ndim
    key = []
    for d in range(ndim):
        if d == dim:
            key.append(index)
        else:
            shape = [1] * ndim
            shape[d] = index.shape[d]
            key.append(xp.arange(index.shape[d]).reshape(shape))
    return tuple(key)


def gather(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """Picks elements of x along `dim` at the positions in `index` (as torch.gather).

    Args:
        x: input tensor.
        dim: the dim to pick along.
        index: integer tensor with x's number of dims; its size in every other dim must not
            exceed x's.

    Returns:
        A tensor shaped like `index`; gradients flow back to the picked elements of x.

    >>> import autocompyute as ac
    >>> ac.tensor([[1.0, 2.0], [3.0, 4.0]]).gather(1, ac.tensor([[1], [0]])).tolist()
    [[2.0], [3.0]]
    """
    data = x.data
    axis = normalize_dim(dim, data.ndim, "gather")
    indices = getattr(index, "data", None)
    if indices is None or indices.dtype.kind not in "iu":
        raise TypeError(
            f"gather: index must be an integer tensor, got {type(index).__name__}"
            if indices is None
            else f"gather: index must be an integer tensor, got dtype {indices.dtype}"
        )
    if type(indices) is not type(data):
        raise RuntimeError(
            f"gather: the index is on {device_of(indices)}, the input on {device_of(data)}"
        )
    if indices.ndim != data.ndim:
        raise RuntimeError(
            f"gather: index has {indices.ndim} dims, the input {data.ndim}; they must match"
        )
    for d in range(data.ndim):
        if d != axis and indices.shape[d] > data.shape[d]:
            raise RuntimeError(
                f"gather: index of shape {tuple(indices.shape)} is larger than the input of "
                f"shape {tuple(data.shape)} in dim {d}"
            )
    if indices.size:
        low, high = int(indices.min()), int(indices.max())
        size = data.shape[axis] if data.ndim else 1
        if low < -size or high >= size:
            bad = low if low < -size else high
            raise IndexError(f"gather: index {bad} is out of range for dim {axis} with size {size}")
    if data.ndim == 0:
        return apply(Gather, x, key=())
    key = _gather_key(array_module(data), indices, axis)
    return apply(Gather, x, key=key)


def argsort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort x along `dim` (ties keep their order); an int64 tensor.

    >>> import autocompyute as ac
    >>> ac.tensor([3.0, 1.0, 2.0]).argsort().tolist()
    [1, 2, 0]
    """
    data = x.data
    if data.ndim == 0:
        return wrap(array_module(data).zeros((), dtype="int64"))
    axis = normalize_dim(dim, data.ndim, "argsort")
    keys = data.astype("int8") if data.dtype.kind == "b" else data
    if descending:
        keys = -keys
    del stable  # the sort is always stable
    return wrap(array_module(data).argsort(keys, axis=axis, kind="stable").astype("int64"))


def sort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> ValuesIndices:
    """Sorts x along `dim`; returns (values, indices). Gradients flow through the values.

    >>> import autocompyute as ac
    >>> values, indices = ac.tensor([3.0, 1.0, 2.0]).sort(descending=True)
    >>> values.tolist(), indices.tolist()
    ([3.0, 2.0, 1.0], [0, 2, 1])
    """
    axis = normalize_dim(dim, x.data.ndim, "sort")
    indices = argsort(x, axis, descending, stable)
    return ValuesIndices(gather(x, axis, indices), indices)


def topk(
    x: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True
) -> ValuesIndices:
    """The k largest (or smallest) elements along `dim`, in order; returns (values, indices).

    >>> import autocompyute as ac
    >>> ac.tensor([1.0, 4.0, 2.0, 3.0]).topk(2).values.tolist()
    [4.0, 3.0]
    """
    data = x.data
    axis = normalize_dim(dim, data.ndim, "topk")
    size = data.shape[axis] if data.ndim else 1
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= size:
        raise RuntimeError(f"topk: k ({k!r}) is out of range for dim {axis} with size {size}")
    del sorted  # the result is always sorted
    order = argsort(x, axis, descending=largest).data
    if data.ndim:
        key = (slice(None),) * axis + (slice(0, k),)
        indices = wrap(order[key])
    else:
        indices = wrap(order.reshape(1)[:k].reshape(()) if k else order.reshape(1)[:0])
    return ValuesIndices(gather(x, axis, indices), indices)


def index_select(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of x along `dim` at the positions in the 1-D integer tensor `index`.

    >>> import autocompyute as ac
    >>> ac.tensor([[1, 2], [3, 4]]).index_select(0, ac.tensor([1, 1])).tolist()
    [[3, 4], [3, 4]]
    """
    axis = normalize_dim(dim, x.data.ndim, "index_select")
    indices = getattr(index, "data", None)
    if indices is None or indices.dtype.kind not in "iu" or indices.ndim > 1:
        raise TypeError("index_select: index must be a 1-D integer tensor")
    return x[(slice(None),) * axis + (index.view(-1),)]  # type: ignore[no-any-return]
