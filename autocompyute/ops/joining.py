"""Combining tensors: concat, stack and where (with dtype promotion and device checks)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy

from autocompyute.autograd.op import Op, apply
from autocompyute.backend import device_of
from autocompyute.ops.cast import as_type
from autocompyute.ops.promotion import constant, is_tensor, promote_all, result_dtype
from autocompyute.ops.shapes import normalize_dim

if TYPE_CHECKING:
    from autocompyute.tensor import Tensor

__all__ = ["Concat", "Stack", "Where", "concat", "stack", "where"]


class Concat(Op):
    """Joins the inputs along an existing dim."""

    def forward(self, *arrays: Any, dim: int) -> Any:
        # A tuple, not a list: a node saving a container is tracked by the garbage collector,
        # and so is every node computed from it (see the engine's gc_tracking.pxi).
        self.save_for_backward(tuple([a.shape[dim] for a in arrays]))
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
    inputs = promote_all(tensors, "concat")
    ndim = inputs[0].data.ndim
    if ndim == 0:
        raise ValueError("concat: 0-d tensors cannot be concatenated; use stack")
    axis = dim if type(dim) is int and 0 <= dim < ndim else normalize_dim(dim, ndim, "concat")
    try:
        return apply(Concat, *inputs, dim=axis)
    except ValueError:  # NumPy rejected the shapes: say which, in our words
        shapes = [t.shape for t in inputs]
        raise ValueError(
            f"concat: tensors must have equal shapes except in dim {dim}, got shapes {shapes}"
        ) from None


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
    inputs = promote_all(tensors, "stack")
    shapes = [t.shape for t in inputs]
    if any(s != shapes[0] for s in shapes):
        raise ValueError(f"stack: tensors must all have the same shape, got shapes {shapes}")
    axis = normalize_dim(dim, len(shapes[0]) + 1, "stack")
    return apply(Stack, *inputs, dim=axis)


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
    operands = (condition, x1, x2)
    arrays = [v.data if is_tensor(v) else v for v in operands if hasattr(v, "dtype")]
    devices = {str(device_of(a)) for a in arrays if not isinstance(a, numpy.generic)}
    if len(devices) > 1:
        raise RuntimeError(
            f"where: expected condition, x1 and x2 on one device, got devices {sorted(devices)}"
        )
    device = devices.pop() if devices else None
    if not is_tensor(condition):
        condition = constant(condition, device)
    if condition.dtype.kind != "b":
        raise TypeError(f"where: condition must be a bool tensor, got dtype {condition.dtype}")
    values = []
    for value in (x1, x2):
        if isinstance(value, numpy.generic):
            value = value.item()
        if not is_tensor(value) or isinstance(value, int | float):
            value = constant(value, device)
        values.append(value)
    tensors = [v for v in values if is_tensor(v)]
    scalars = [v for v in values if not is_tensor(v)]
    dtype = result_dtype([t.dtype for t in tensors], scalars)
    # Scalars become NumPy scalars of the result dtype, which both NumPy and CuPy take as is.
    x1, x2 = (as_type(v, dtype) if is_tensor(v) else dtype.type(v) for v in values)
    return apply(Where, condition, x1, x2)
