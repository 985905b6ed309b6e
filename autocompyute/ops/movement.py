"""Ops that reshape or rearrange elements: reshape, permute, expand, pad, tile, contiguous.

Indexing lives in `indexing.py`, concat/stack/where in `joining.py`.

The ops work on raw arrays; the functions below them validate arguments (errors name the
function), resolve dims and shapes, and apply the ops to tensors. View-like ops (reshape,
expand, basic indexing) return views of their input's data in forward; their backward builds a
fresh gradient, so nothing ever writes through a view.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy

from autocompyute.autograd.op import Op, apply
from autocompyute.deprecation import deprecated_aliases
from autocompyute.ops.shapes import normalize_dim, normalize_dims, varargs

if TYPE_CHECKING:
    from autocompyute.tensor import Tensor

__all__ = [
    "Clone",
    "Contiguous",
    "Expand",
    "Pad",
    "Permute",
    "ReshapeOp",
    "Roll",
    "Tile",
    "clone",
    "contiguous",
    "expand",
    "flatten",
    "pad",
    "permute",
    "roll",
    "squeeze",
    "tile",
    "transpose",
    "unsqueeze",
    "view",
]


class ReshapeOp(Op):
    """View/reshape to `shape` (already resolved, no -1)."""

    def forward(self, x: Any, *, shape: tuple[int, ...]) -> Any:
        self.save_for_backward(x.shape)
        return x.reshape(shape)

    def backward(self, grad: Any) -> Any:
        (shape,) = self.saved
        return grad.reshape(shape)


class Permute(Op):
    """Reorders dims: output dim i is input dim `dims[i]`."""

    def forward(self, x: Any, *, dims: tuple[int, ...]) -> Any:
        return x.transpose(dims)

    def backward(self, grad: Any) -> Any:
        dims = self.kwargs["dims"]
        inverse = [0] * len(dims)
        for position, d in enumerate(dims):
            inverse[d] = position
        return grad.transpose(inverse)


class Expand(Op):
    """Broadcasts x to `shape` without copying (the engine sums the gradient back down)."""

    def forward(self, x: Any, *, shape: tuple[int, ...]) -> Any:
        return self.xp.broadcast_to(x, shape)

    def backward(self, grad: Any) -> Any:
        return grad


class Pad(Op):
    """Pads with a constant; `pairs` holds one (before, after) pair for every dim."""

    def forward(self, x: Any, *, pairs: tuple[tuple[int, int], ...], value: float) -> Any:
        shape = tuple(before + size + after for (before, after), size in zip(pairs, x.shape))
        interior = tuple(slice(before, before + size) for (before, _), size in zip(pairs, x.shape))
        self.save_for_backward(interior)
        out = self.xp.full(shape, value, dtype=x.dtype)
        out[interior] = x
        return out

    def backward(self, grad: Any) -> Any:
        (interior,) = self.saved
        return grad[interior]


class Tile(Op):
    """Repeats x `repeats[i]` times along dim i (NumPy's tile semantics)."""

    def forward(self, x: Any, *, repeats: tuple[int, ...]) -> Any:
        self.save_for_backward(x.shape)
        return self.xp.tile(x, repeats)

    def backward(self, grad: Any) -> Any:
        (shape,) = self.saved
        repeats = self.kwargs["repeats"]
        ndim = max(len(shape), len(repeats))
        padded_shape = (1,) * (ndim - len(shape)) + tuple(shape)
        padded_repeats = (1,) * (ndim - len(repeats)) + tuple(repeats)
        # Output index r * size + i along a dim is copy r of element i, so a C-order reshape to
        # (copies, size) pairs puts the copies on their own axes, which are then summed away.
        interleaved = tuple(n for pair in zip(padded_repeats, padded_shape) for n in pair)
        summed = grad.reshape(interleaved).sum(axis=tuple(range(0, 2 * ndim, 2)))
        return summed.reshape(shape)


class Contiguous(Op):
    """A C-contiguous copy of x (identity gradient)."""

    def forward(self, x: Any) -> Any:
        return self.xp.ascontiguousarray(x)

    def backward(self, grad: Any) -> Any:
        return grad


def view(x: Tensor, *shape: Any) -> Tensor:
    """Returns `x` with a new shape of the same number of elements (one size may be -1).

    The shape may be given as sizes or as one sequence; the result is `x` itself when the
    shape does not change.

    >>> import autocompyute as ac
    >>> ac.zeros(2, 6).view(3, -1).shape
    (3, 4)
    """
    new_shape = _resolve_shape(varargs(shape), x.data.size, x.data.shape)
    if new_shape == x.data.shape:
        return x
    return apply(ReshapeOp, x, shape=new_shape)


def _resolve_shape(
    shape: tuple[Any, ...], size: int, old_shape: tuple[int, ...]
) -> tuple[int, ...]:
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1:
        raise ValueError(f"view: only one dim can be -1, got {shape}")
    known = 1
    for s in shape:
        if s != -1:
            if not isinstance(s, int) or s < 0:
                raise ValueError(f"view: invalid shape {shape}")
            known *= s
    if unknown:
        if known == 0 or size % known:
            raise ValueError(f"view: cannot reshape a tensor of shape {old_shape} into {shape}")
        shape = tuple(size // known if s == -1 else s for s in shape)
    elif known != size:
        raise ValueError(
            f"view: cannot reshape a tensor of shape {old_shape} ({size} elements) into {shape}"
        )
    return tuple(int(s) for s in shape)


def transpose(x: Tensor, dim1: int | None = None, dim2: int | None = None) -> Tensor:
    """Swaps `dim1` and `dim2`; with neither given, reverses all dims.

    With only one given, the other defaults to the last (`dim1`) or second-to-last (`dim2`).

    >>> import autocompyute as ac
    >>> ac.zeros(2, 3, 4).transpose(0, 2).shape
    (4, 3, 2)
    """
    ndim = x.data.ndim
    if dim1 is None and dim2 is None:
        dims = tuple(range(ndim - 1, -1, -1))
    else:
        first = normalize_dim(-2 if dim1 is None else dim1, ndim, "transpose")
        second = normalize_dim(-1 if dim2 is None else dim2, ndim, "transpose")
        order = list(range(ndim))
        order[first], order[second] = order[second], order[first]
        dims = tuple(order)
    if ndim < 2:
        return x
    return apply(Permute, x, dims=dims)


def permute(x: Tensor, *dims: Any) -> Tensor:
    """Reorders dims: output dim i is input dim `dims[i]` (sizes or one sequence).

    >>> import autocompyute as ac
    >>> ac.zeros(2, 3, 4).permute(2, 0, 1).shape
    (4, 2, 3)
    """
    dims = varargs(dims)
    ndim = x.data.ndim
    if len(dims) != ndim:
        raise ValueError(f"permute: got {len(dims)} dims for a tensor with {ndim} dims")
    resolved = tuple(normalize_dim(d, ndim, "permute") for d in dims)
    if sorted(resolved) != list(range(ndim)):
        raise ValueError(f"permute: {dims} is not a permutation of the {ndim} dims")
    return apply(Permute, x, dims=resolved)


def squeeze(x: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """Removes dims of size 1.

    Args:
        x: tensor of any shape.
        dim: the dims to remove (int or sequence); None removes every size-1 dim. As in
            PyTorch, a listed dim whose size is not 1 is left in place.

    Returns:
        The tensor without those dims (x itself when nothing is removed).

    >>> import autocompyute as ac
    >>> ac.zeros(2, 1, 3, 1).squeeze().shape
    (2, 3)
    >>> ac.zeros(2, 1, 3, 1).squeeze((0, 1)).shape
    (2, 3, 1)
    """
    shape = x.shape
    if dim is None:
        removed = {i for i, size in enumerate(shape) if size == 1}
    else:
        removed = {i for i in normalize_dims(dim, len(shape), "squeeze") if shape[i] == 1}
    if not removed:
        return x
    new_shape = tuple(size for i, size in enumerate(shape) if i not in removed)
    return apply(ReshapeOp, x, shape=new_shape)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Inserts a dim of size 1.

    Args:
        x: tensor of shape (d0, ..., dn-1).
        dim: position of the new dim in the result, in [-n-1, n]; -1 appends it.

    Returns:
        A tensor with one more dim.

    >>> import autocompyute as ac
    >>> ac.zeros(2, 3).unsqueeze(-1).shape
    (2, 3, 1)
    """
    shape = x.shape
    position = normalize_dim(dim, len(shape) + 1, "unsqueeze")
    new_shape = (*shape[:position], 1, *shape[position:])
    return apply(ReshapeOp, x, shape=new_shape)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merges dims `start_dim` through `end_dim` (inclusive) into one.

    Args:
        x: tensor of any shape; a 0-d tensor becomes shape (1,).
        start_dim: first dim to merge.
        end_dim: last dim to merge.

    Returns:
        The reshaped tensor (x itself when there is nothing to merge).

    >>> import autocompyute as ac
    >>> ac.zeros(2, 3, 4, 5).flatten(1, 2).shape
    (2, 12, 5)
    """
    shape = x.shape
    ndim = len(shape)
    start = normalize_dim(start_dim, ndim, "flatten")
    end = normalize_dim(end_dim, ndim, "flatten")
    if ndim == 0:
        return apply(ReshapeOp, x, shape=(1,))
    if start > end:
        raise ValueError(
            f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for a tensor of "
            f"shape {shape}"
        )
    if start == end:
        return x
    new_shape = (*shape[:start], math.prod(shape[start : end + 1]), *shape[end + 1 :])
    return apply(ReshapeOp, x, shape=new_shape)


def expand(x: Tensor, *shape: Any) -> Tensor:
    """Broadcasts the tensor to a larger shape without copying.

    Args:
        x: tensor of shape (d0, ..., dn-1).
        *shape: target sizes (or one sequence of them), at least n of them; new dims go in front.
            -1 keeps an existing dim; only dims of size 1 can grow.

    Returns:
        A read-only broadcast view of shape `shape`; its gradient is summed back to x's shape.

    >>> import autocompyute as ac
    >>> ac.zeros(3, 1).expand(2, -1, 4).shape
    (2, 3, 4)
    """
    shape = varargs(shape)
    old_shape = x.shape
    lead = len(shape) - len(old_shape)
    if lead < 0:
        raise ValueError(
            f"expand: cannot expand a tensor of shape {old_shape} to {tuple(shape)}, which has "
            f"fewer dims"
        )
    target = []
    for i, size in enumerate(shape):
        if not isinstance(size, int | numpy.integer) or isinstance(size, bool):
            raise TypeError(f"expand: sizes must be ints, got {tuple(shape)}")
        if i < lead:
            if size < 0:
                raise ValueError(
                    f"expand: cannot expand a tensor of shape {old_shape} to {tuple(shape)}: "
                    f"the new leading dim {i} needs an explicit size, got {size}"
                )
            target.append(int(size))
            continue
        old = old_shape[i - lead]
        if size == -1 or size == old:
            target.append(old)
        elif old == 1 and size >= 0:
            target.append(int(size))
        else:
            raise ValueError(
                f"expand: cannot expand a tensor of shape {old_shape} to {tuple(shape)}: dim "
                f"{i} has size {old}, which is not 1 and differs from {size}"
            )
    if tuple(target) == old_shape:
        return x
    return apply(Expand, x, shape=tuple(target))


def contiguous(x: Tensor) -> Tensor:
    """Returns a tensor whose data is C-contiguous.

    Args:
        x: tensor of any shape.

    Returns:
        x itself when its data is already C-contiguous, else a copy (gradients pass through).

    >>> import autocompyute as ac
    >>> x = ac.zeros(2, 3)
    >>> x.contiguous() is x, x.T.contiguous().data.flags.c_contiguous
    (True, True)
    """
    if x.data.flags.c_contiguous:
        return x
    return apply(Contiguous, x)


def pad(x: Tensor, padding: Sequence[Sequence[int]], value: float = 0.0) -> Tensor:
    """Pads the tensor with a constant.

    `padding` lists (before, after) pairs in dim order for the LAST len(padding) dims: one pair
    per dim pads every dim, and ((1, 1), (2, 2)) on images of shape (B, C, H, W) pads H by 1 and
    W by 2 on both sides. (This is NumPy's order, not PyTorch's reversed flat tuple.)

    Args:
        x: tensor of shape (d0, ..., dn-1).
        padding: at most n (before, after) pairs of non-negative ints.
        value: the fill value.

    Returns:
        Tensor of shape (d0, ..., dn-k-1, dn-k + before + after, ...).

    >>> import autocompyute as ac
    >>> ac.ones(2, 3, 4).pad(((1, 0), (2, 2))).shape
    (2, 4, 8)
    """
    ndim = x.ndim
    pairs = []
    for pair in padding:
        if (
            isinstance(pair, int | numpy.integer)
            or len(pair) != 2
            or any(not isinstance(p, int | numpy.integer) or p < 0 for p in pair)
        ):
            raise ValueError(
                f"pad: padding must be a sequence of (before, after) pairs of non-negative "
                f"ints for the last dims, e.g. ((1, 1), (2, 2)); got {padding!r}"
            )
        pairs.append((int(pair[0]), int(pair[1])))
    if len(pairs) > ndim:
        raise ValueError(
            f"pad: got {len(pairs)} (before, after) pairs for a tensor of shape {x.shape}"
        )
    pairs = [(0, 0)] * (ndim - len(pairs)) + pairs
    if not any(before or after for before, after in pairs):
        return x
    return apply(Pad, x, pairs=tuple(pairs), value=value)


def tile(x: Tensor, *repeats: Any) -> Tensor:
    """Repeats the tensor along each dim, like `numpy.tile`.

    Args:
        x: tensor of shape (d0, ..., dn-1).
        *repeats: copies per dim (or one sequence of them). With fewer than n repeats, the
            leading dims get 1; with more, x gets leading dims of size 1.

    Returns:
        Tensor of shape (r0 * d0, ...); the gradient sums over the copies.

    >>> import autocompyute as ac
    >>> ac.arange(3).tile(2).as_numpy().tolist()
    [0, 1, 2, 0, 1, 2]
    """
    repeats = varargs(repeats)
    if any(not isinstance(r, int | numpy.integer) or isinstance(r, bool) or r < 0 for r in repeats):
        raise ValueError(f"tile: repeats must be non-negative ints, got {tuple(repeats)}")
    repeats = tuple(int(r) for r in repeats)
    if len(repeats) <= x.ndim and all(r == 1 for r in repeats):
        return x
    return apply(Tile, x, repeats=repeats)


class Roll(Op):
    """Shifts elements along dims, wrapping around (None: over the flattened tensor)."""

    def forward(self, x: Any, *, shifts: Any, dims: Any) -> Any:
        return self.xp.roll(x, shifts, axis=dims)

    def backward(self, grad: Any) -> Any:
        shifts = self.kwargs["shifts"]
        back = tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts
        return self.xp.roll(grad, back, axis=self.kwargs["dims"])


def roll(x: Tensor, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None) -> Tensor:
    """Rolls x by `shifts` along `dims` (elements past the end come back at the start).

    Args:
        x: input tensor.
        shifts: one shift, or one per dim in `dims`.
        dims: the dims to roll; None rolls the flattened tensor and restores its shape.

    >>> import autocompyute as ac
    >>> ac.arange(4).roll(1).tolist()
    [3, 0, 1, 2]
    """
    ndim = x.data.ndim
    if dims is None:
        if not isinstance(shifts, int | numpy.integer):
            raise RuntimeError(f"roll: with dims=None, shifts must be one int, got {shifts!r}")
        return apply(Roll, x, shifts=int(shifts), dims=None)
    shift_list = [shifts] if isinstance(shifts, int | numpy.integer) else list(shifts)
    dim_list = [dims] if isinstance(dims, int | numpy.integer) else list(dims)
    if len(shift_list) != len(dim_list):
        raise RuntimeError(
            f"roll: got {len(shift_list)} shifts for {len(dim_list)} dims; they must match"
        )
    if any(not isinstance(s, int | numpy.integer) or isinstance(s, bool) for s in shift_list):
        raise TypeError(f"roll: shifts must be ints, got {shifts!r}")
    axes = tuple(normalize_dim(int(d), ndim, "roll") for d in dim_list)
    return apply(Roll, x, shifts=tuple(int(s) for s in shift_list), dims=axes)


class Clone(Op):
    """A copy of x in new memory (identity gradient)."""

    def forward(self, x: Any) -> Any:
        return x.copy()

    def backward(self, grad: Any) -> Any:
        return grad


def clone(x: Tensor) -> Tensor:
    """A copy of x in its own memory; gradients flow back to x.

    >>> import autocompyute as ac
    >>> x = ac.zeros(2)
    >>> y = x.clone()
    >>> y[0] = 1.0
    >>> x.tolist(), y.tolist()
    ([0.0, 0.0], [1.0, 0.0])
    """
    return apply(Clone, x)


# The op's name before it was told apart from the layer nn.Reshape.
__getattr__ = deprecated_aliases(__name__, {"Reshape": ReshapeOp})
