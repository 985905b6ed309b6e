"""Ops that move or select elements: reshape, permute, indexing, joining, padding and tiling.

The ops work on raw arrays; the functions below them validate arguments (errors name the
function), resolve dims and shapes, and apply the ops to tensors. View-like ops (reshape,
expand, basic indexing) return views of their input's data in forward; their backward builds a
fresh gradient, so nothing ever writes through a view.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy

from autocompyute import _engine
from autocompyute.autograd.op import Op
from autocompyute.backend import device_of, move_array
from autocompyute.dtypes import default_float
from autocompyute.ops.shapes import normalize_dim, normalize_dims

if TYPE_CHECKING:
    from autocompyute.tensor import Tensor

__all__ = [
    "Concat",
    "Contiguous",
    "Expand",
    "Index",
    "Pad",
    "Permute",
    "Reshape",
    "Stack",
    "Tile",
    "Where",
    "concat",
    "contiguous",
    "expand",
    "flatten",
    "getitem",
    "iter_dim",
    "pad",
    "split",
    "squeeze",
    "stack",
    "tile",
    "unsqueeze",
    "where",
]

apply = _engine.apply
_TensorCore = _engine.TensorCore


# ---------------------------------------------------------------------------------------- ops


class Reshape(Op):
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


class Index(Op):
    """x[key] for a validated key; `accumulate` is set when integer index arrays may repeat."""

    def forward(self, x: Any, *, key: tuple[Any, ...], accumulate: bool) -> Any:
        self.save_for_backward(x.shape)
        return x[key]

    def backward(self, grad: Any) -> Any:
        (shape,) = self.saved
        xp = self.xp
        full = xp.zeros(shape, dtype=grad.dtype)
        key = self.kwargs["key"]
        if self.kwargs["accumulate"]:
            # Plain assignment would keep only one of several gradients sent to a repeated index.
            xp.add.at(full, key, grad)
        else:
            full[key] = grad
        return full


class Concat(Op):
    """Joins the inputs along an existing dim."""

    def forward(self, *arrays: Any, dim: int) -> Any:
        self.save_for_backward(tuple(a.shape[dim] for a in arrays))
        return self.xp.concatenate(arrays, axis=dim)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        (sizes,) = self.saved
        prefix = (slice(None),) * self.kwargs["dim"]
        grads = []
        start = 0
        for size, needed in zip(sizes, self.needs_grad):
            grads.append(grad[(*prefix, slice(start, start + size))] if needed else None)
            start += size
        return tuple(grads)


class Stack(Op):
    """Joins equally shaped inputs along a new dim."""

    def forward(self, *arrays: Any, dim: int) -> Any:
        return self.xp.stack(arrays, axis=dim)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        prefix = (slice(None),) * self.kwargs["dim"]
        return tuple(
            grad[(*prefix, i)] if needed else None for i, needed in enumerate(self.needs_grad)
        )


class Where(Op):
    """Picks x1 where the condition holds, else x2 (broadcasting)."""

    def forward(self, condition: Any, x1: Any, x2: Any) -> Any:
        self.save_for_backward(condition)
        return self.xp.where(condition, x1, x2)

    def backward(self, grad: Any) -> tuple[Any, Any, Any]:
        (condition,) = self.saved
        xp = self.xp
        zero = grad.dtype.type(0)
        # where (not a product with the mask) keeps inf/nan gradients out of the unpicked input.
        grad_x1 = xp.where(condition, grad, zero) if self.needs_grad[1] else None
        grad_x2 = xp.where(condition, zero, grad) if self.needs_grad[2] else None
        return None, grad_x1, grad_x2


class Pad(Op):
    """Pads with a constant; `pairs` holds one (before, after) pair for every dim."""

    def forward(self, x: Any, *, pairs: tuple[tuple[int, int], ...], value: float) -> Any:
        shape = tuple(before + size + after for (before, after), size in zip(pairs, x.shape))
        interior = tuple(
            slice(before, before + size) for (before, _), size in zip(pairs, x.shape)
        )
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


# ---------------------------------------------------------------------------------------- shapes


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
    return apply(Reshape, x, shape=new_shape)  # type: ignore[no-any-return]


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
    return apply(Reshape, x, shape=new_shape)  # type: ignore[no-any-return]


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
        return apply(Reshape, x, shape=(1,))  # type: ignore[no-any-return]
    if start > end:
        raise ValueError(
            f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for a tensor of "
            f"shape {shape}"
        )
    if start == end:
        return x
    new_shape = (*shape[:start], math.prod(shape[start : end + 1]), *shape[end + 1 :])
    return apply(Reshape, x, shape=new_shape)  # type: ignore[no-any-return]


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
    if len(shape) == 1 and not isinstance(shape[0], int):
        shape = tuple(shape[0])
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
    return apply(Expand, x, shape=tuple(target))  # type: ignore[no-any-return]


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
    return apply(Contiguous, x)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------- indexing


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
    key_type = type(key)
    if key_type is int or key_type is slice:  # the common cases, checked without the full walk
        shape = x.data.shape
        if shape and (key_type is slice or -shape[0] <= key < shape[0]):
            return apply(Index, x, key=(key,), accumulate=False)  # type: ignore[no-any-return]
    parts = key if key_type is tuple else (key,)
    normalized, accumulate = _normalize_key(x.data, parts)
    return apply(Index, x, key=normalized, accumulate=accumulate)  # type: ignore[no-any-return]


def _normalize_key(data: Any, parts: tuple[Any, ...]) -> tuple[tuple[Any, ...], bool]:
    """Converts index tensors and lists to arrays on data's device and checks every index.

    Returns the key and whether it holds integer index arrays (whose indices may repeat).
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
            part = _index_array(part, data)
            if part.dtype.kind == "b":
                consumed += part.ndim
            else:
                accumulate = True
                consumed += 1
        converted.append(part)
    if ellipses > 1:
        raise IndexError("getitem: an index can only have a single ellipsis ('...')")
    if consumed > len(shape):
        raise IndexError(
            f"getitem: too many indices for a tensor of shape {shape}: {consumed} dims indexed"
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
            _check_range(part, part, dim, shape)
            dim += 1
        elif part.dtype.kind == "b":
            covered = shape[dim : dim + part.ndim]
            if tuple(part.shape) != covered:
                raise IndexError(
                    f"getitem: boolean mask of shape {tuple(part.shape)} does not match dims "
                    f"{dim}..{dim + part.ndim - 1} of shape {covered} (tensor shape {shape})"
                )
            dim += part.ndim
        else:
            if part.size:
                _check_range(int(part.min()), int(part.max()), dim, shape)
            dim += 1
    return tuple(converted), accumulate


def _index_array(part: Any, data: Any) -> Any:
    """Returns an index tensor, list or array as an integer or bool array on data's device."""
    if isinstance(part, _TensorCore):
        part = part.data
    elif not hasattr(part, "dtype") or isinstance(part, numpy.generic):
        try:
            part = numpy.asarray(part)
        except ValueError as error:
            raise IndexError(f"getitem: invalid index {part!r}: {error}") from None
    if part.dtype.kind not in "biu":
        if part.size == 0:  # an empty list arrives as float64
            part = part.astype(numpy.intp)
        else:
            got = repr(part.item()) if part.ndim == 0 else f"a {part.dtype} array"
            raise IndexError(
                f"getitem: indices must be ints, slices, None, Ellipsis or arrays of integers "
                f"or bools, got {got}"
            )
    if type(part) is not type(data):
        part = move_array(part, device_of(data))
    return part


def _check_range(low: int, high: int, dim: int, shape: tuple[int, ...]) -> None:
    size = shape[dim]
    bad = low if low < -size else high if high >= size else None
    if bad is not None:
        raise IndexError(
            f"getitem: index {bad} is out of range for dim {dim} with size {size} "
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
    return (
        apply(Index, x, key=(*prefix, i), accumulate=False) for i in range(x.shape[axis])
    )


# ---------------------------------------------------------------------------------------- joining


def concat(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Joins tensors along an existing dim.

    Args:
        tensors: tensors (or array-likes) with equal shapes except in `dim`, on one device.
            Mixed dtypes are promoted (an integer with a float tensor takes the float's dtype).
        dim: the dim to join along.

    Returns:
        Tensor whose size in `dim` is the sum of the inputs' sizes.

    >>> import autocompyute as ac
    >>> ac.concat([ac.zeros(2, 3), ac.ones(1, 3)]).shape
    (3, 3)
    """
    inputs = _joinable(tensors, "concat")
    ndim = inputs[0].ndim
    if ndim == 0:
        raise ValueError("concat: 0-d tensors cannot be concatenated; use stack")
    axis = normalize_dim(dim, ndim, "concat")
    shapes = [t.shape for t in inputs]
    reference = shapes[0][:axis] + shapes[0][axis + 1 :]
    if any(len(s) != ndim or s[:axis] + s[axis + 1 :] != reference for s in shapes):
        raise ValueError(
            f"concat: tensors must have equal shapes except in dim {dim}, got shapes {shapes}"
        )
    return apply(Concat, *inputs, dim=axis)  # type: ignore[no-any-return]


def stack(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Joins equally shaped tensors along a new dim.

    Args:
        tensors: tensors (or array-likes) of one shape, on one device. Mixed dtypes are
            promoted as in `concat`.
        dim: position of the new dim in the result.

    Returns:
        Tensor with one more dim, of size len(tensors).

    >>> import autocompyute as ac
    >>> ac.stack([ac.zeros(2, 3), ac.ones(2, 3)], dim=1).shape
    (2, 2, 3)
    """
    inputs = _joinable(tensors, "stack")
    shapes = [t.shape for t in inputs]
    if any(s != shapes[0] for s in shapes):
        raise ValueError(f"stack: tensors must all have the same shape, got shapes {shapes}")
    axis = normalize_dim(dim, len(shapes[0]) + 1, "stack")
    return apply(Stack, *inputs, dim=axis)  # type: ignore[no-any-return]


def _joinable(values: Sequence[Any], function_name: str) -> list[Tensor]:
    """Returns the values as tensors on one device with one promoted dtype."""
    from autocompyute.tensor import Tensor

    if isinstance(values, Tensor):
        raise TypeError(f"{function_name}: expected a sequence of tensors, got a single tensor")
    values = list(values)
    if not values:
        raise ValueError(f"{function_name}: expected at least one tensor, got none")
    first = next((v for v in values if isinstance(v, Tensor)), None)
    device = None if first is None else device_of(first.data)
    tensors = [v if isinstance(v, Tensor) else Tensor(v, device=device) for v in values]
    devices = [str(device_of(t.data)) for t in tensors]
    if len(set(devices)) > 1:
        raise RuntimeError(
            f"{function_name}: expected all tensors on one device, got devices {devices}; "
            f"move them with .to(device)"
        )
    dtype = _promoted_dtype([t.dtype for t in tensors], [])
    return [t.as_type(dtype) for t in tensors]


def _promoted_dtype(dtypes: list[Any], scalars: list[Any]) -> Any:
    """The result dtype of tensors of `dtypes` combined with Python `scalars` (see dtypes.py)."""
    float_dtypes = [d for d in dtypes if d.kind == "f"]
    if float_dtypes:
        return numpy.result_type(*float_dtypes)
    if any(isinstance(s, float) for s in scalars):
        return default_float
    if dtypes:
        return numpy.result_type(*dtypes, *scalars)
    return numpy.dtype(bool if all(isinstance(s, bool) for s in scalars) else "int64")


def where(condition: Any, x1: Any, x2: Any) -> Tensor:
    """Picks elements of x1 where the condition holds and of x2 elsewhere.

    Args:
        condition: bool tensor or array (or nested lists of bools).
        x1: tensor or Python scalar.
        x2: tensor or Python scalar.

    Returns:
        Tensor of the broadcast shape of the three arguments; the dtype follows the promotion
        rules of binary ops. Gradients flow to x1 and x2 where they were picked.

    >>> import autocompyute as ac
    >>> x = ac.tensor([-1.0, 2.0])
    >>> ac.where(x > 0, x, 0.0)
    Tensor([0.0000, 2.0000], dtype=float32, device=cpu)
    """
    from autocompyute.tensor import Tensor

    operands = (condition, x1, x2)
    arrays = [
        v.data if isinstance(v, Tensor) else v for v in operands if hasattr(v, "dtype")
    ]
    devices = {str(device_of(a)) for a in arrays if not isinstance(a, numpy.generic)}
    if len(devices) > 1:
        raise RuntimeError(
            f"where: expected condition, x1 and x2 on one device, got devices {sorted(devices)}"
        )
    device = devices.pop() if devices else None
    if not isinstance(condition, Tensor):
        condition = Tensor(condition, device=device)
    if condition.dtype.kind != "b":
        raise TypeError(f"where: condition must be a bool tensor, got dtype {condition.dtype}")
    values = []
    for value in (x1, x2):
        if isinstance(value, numpy.generic):
            value = value.item()
        if not isinstance(value, Tensor | int | float):
            value = Tensor(value, device=device)
        values.append(value)
    tensors = [v for v in values if isinstance(v, Tensor)]
    scalars = [v for v in values if not isinstance(v, Tensor)]
    dtype = _promoted_dtype([t.dtype for t in tensors], scalars)
    # Scalars become NumPy scalars of the result dtype, which both NumPy and CuPy take as is.
    x1, x2 = (
        v.as_type(dtype) if isinstance(v, Tensor) else dtype.type(v) for v in values
    )
    return apply(Where, condition, x1, x2)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------- padding


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
    return apply(Pad, x, pairs=tuple(pairs), value=value)  # type: ignore[no-any-return]


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
    if len(repeats) == 1 and not isinstance(repeats[0], int | numpy.integer):
        repeats = tuple(repeats[0])
    if any(not isinstance(r, int | numpy.integer) or isinstance(r, bool) or r < 0
           for r in repeats):
        raise ValueError(f"tile: repeats must be non-negative ints, got {tuple(repeats)}")
    repeats = tuple(int(r) for r in repeats)
    if len(repeats) <= x.ndim and all(r == 1 for r in repeats):
        return x
    return apply(Tile, x, repeats=repeats)  # type: ignore[no-any-return]
