"""In-place operations: writing into a tensor's memory, with autograd and version counters.

An in-place op computes its result out of place from a snapshot of the tensor (with the
ordinary differentiable ops), writes the result into the tensor's memory and bumps the memory's
version (`x._version`; views share it). When a graph is recorded the tensor takes the result's
place in it: its `ctx` becomes the op that made the result, whose `previous` points at the op
that made the tensor before, which is what the tensor's earlier consumers still backpropagate to.
Without a graph (under `no_grad`, or when nothing requires grad) the memory is written directly.

PyTorch's rules hold: a leaf that requires grad cannot be modified in place while grad mode is
on, and backward through an op whose saved array was modified afterwards raises (the engine
checks the versions). In-place changes through a view of a tensor in the graph are refused,
because the view's base would not see them in its gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy

from autocompyute import _engine
from autocompyute.autograd.op import op_name, wrap
from autocompyute.backend import array_module, device_of
from autocompyute.ops.assignment import (
    MaskedFill,
    SetItem,
    assign,
    broadcast_shape,
    check_mask,
    fill_value,
)
from autocompyute.ops.indexing import Index, normalize_key
from autocompyute.ops.movement import Expand, Permute, ReshapeOp

if TYPE_CHECKING:
    from autocompyute.tensor import Tensor

__all__ = [
    "add_",
    "check_inplace",
    "clamp_",
    "copy_",
    "detach_",
    "div_",
    "fill_",
    "masked_fill_",
    "mul_",
    "neg_",
    "overwrite",
    "pow_",
    "requires_grad_",
    "setitem",
    "sub_",
    "unary_",
    "zero_",
]

apply = _engine.apply
_TensorCore = _engine.TensorCore
_EVERYTHING = (Ellipsis,)
# Ops whose output is a view of their input's memory (when forward returned a view).
_VIEW_OPS = (Index, ReshapeOp, Permute, Expand)


def check_inplace(x: Tensor, name: str) -> None:
    """Raises if `x` may not be modified in place now (PyTorch's rules); errors name `name`."""
    if not _engine.is_grad_enabled():
        return
    ctx = x.ctx
    if ctx is None:
        if x.req_grad:
            raise RuntimeError(
                f"{name}: a leaf tensor that requires grad cannot be modified in place while "
                f"grad mode is on; do it under `with no_grad():` (initialisation, optimizer "
                f"updates) or use the out-of-place form"
            )
    elif type(ctx) in _VIEW_OPS and getattr(x.data, "base", None) is not None:
        raise RuntimeError(
            f"{name}: the tensor is a view (made by {op_name(ctx)}) of a tensor in the "
            f"autograd graph, whose gradient would not see an in-place change; clone() the view "
            f"first, or assign on the base tensor (base[key] = value)"
        )


def _update(
    x: Tensor,
    name: str,
    compute: Callable[[Tensor], Tensor],
    others: tuple[Any, ...] = (),
    direct: Callable[[Any], None] | None = None,
    keeps_input: bool = True,
) -> Tensor:
    """Writes `compute(x)` into x's memory, re-wiring x into the graph when one is recorded.

    Args:
        x: the tensor to modify.
        name: the operation's name for errors.
        compute: the out-of-place computation, given x (or a snapshot of it).
        others: the operation's other operands (whether they require grad decides recording).
        direct: writes the result into x's array without a graph (the fast path), if given.
        keeps_input: compute's backward reads x's old values, so the snapshot must copy them.
    """
    check_inplace(x, name)
    recording = _engine.is_grad_enabled() and (
        x.req_grad or any(isinstance(o, _TensorCore) and o.req_grad for o in others)
    )
    if not recording:
        if direct is not None:
            _write(x, name, direct)
        else:
            result = compute(x).data
            _check_result(x, result, name)
            _write(x, name, lambda array: array.__setitem__(_EVERYTHING, result))
        return x
    old = type(x).__new__(type(x))
    old.data = x.data.copy() if keeps_input else x.data
    if x.req_grad:
        old.req_grad = True
        old.ctx = x.ctx
    result_tensor = compute(old)
    result = result_tensor.data
    _check_result(x, result, name)
    _write(x, name, lambda array: array.__setitem__(_EVERYTHING, result))
    if result_tensor.ctx is not None:
        _engine.rewire_inplace(x, result_tensor.ctx)
    return x


def _check_result(x: Tensor, result: Any, name: str) -> None:
    dtype = x.data.dtype
    if result.dtype.kind == "f" and dtype.kind != "f":
        raise RuntimeError(
            f"{name}: the result has dtype {result.dtype}, which cannot be stored in place in "
            f"a tensor of dtype {dtype}"
        )
    if tuple(result.shape) != tuple(x.data.shape):
        raise RuntimeError(
            f"{name}: the result has shape {tuple(result.shape)}, but an in-place operation "
            f"must keep the tensor's shape {tuple(x.data.shape)}"
        )


def _write(x: Tensor, name: str, write: Callable[[Any], None]) -> None:
    array = x.data
    if not getattr(array, "flags", None) or array.flags.writeable:
        write(array)
        _engine.mark_modified(array)
        return
    raise RuntimeError(
        f"{name}: the tensor's memory is read-only (an expand() view repeats its elements); "
        f"clone() it first"
    )


def _operand(x: Tensor, other: Any) -> Any:
    """`other` ready to combine with x in place: float tensors take x's float dtype."""
    if isinstance(other, numpy.generic):
        return other.item()
    if isinstance(other, _TensorCore):
        if x.data.dtype.kind == "f" and other.data.dtype != x.data.dtype:
            return other.as_type(x.data.dtype)  # type: ignore[attr-defined]
        return other
    if isinstance(other, int | float | bool):
        return other
    return type(x)(other, dtype=x.data.dtype, device=device_of(x.data))


def add_(x: Tensor, other: Any, alpha: float = 1) -> Tensor:
    """x += alpha * other, in place (other broadcast to x's shape)."""
    operand = _operand(x, other)
    scaled = operand if alpha == 1 else operand * alpha
    return _update(x, "add_", lambda t: t + scaled, (operand,), keeps_input=False)


def sub_(x: Tensor, other: Any, alpha: float = 1) -> Tensor:
    """x -= alpha * other, in place."""
    operand = _operand(x, other)
    scaled = operand if alpha == 1 else operand * alpha
    return _update(x, "sub_", lambda t: t - scaled, (operand,), keeps_input=False)


def mul_(x: Tensor, other: Any) -> Tensor:
    """x *= other, in place."""
    operand = _operand(x, other)
    return _update(x, "mul_", lambda t: t * operand, (operand,))


def div_(x: Tensor, other: Any) -> Tensor:
    """x /= other, in place (true division: integer tensors cannot hold the result)."""
    operand = _operand(x, other)
    return _update(x, "div_", lambda t: t / operand, (operand,))


def pow_(x: Tensor, exponent: Any) -> Tensor:
    """x **= exponent, in place."""
    operand = _operand(x, exponent)
    return _update(x, "pow_", lambda t: t**operand, (operand,))


def clamp_(x: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
    """Clamps x to [min, max] in place."""
    return _update(x, "clamp_", lambda t: t.clamp(min, max))  # type: ignore[attr-defined]


def neg_(x: Tensor) -> Tensor:
    """x = -x, in place."""
    return _update(x, "neg_", lambda t: -t, keeps_input=False)


def unary_(x: Tensor, name: str) -> Tensor:
    """x = x.name(), in place, for the elementwise method `name` (exp, log, tanh, ...)."""
    return _update(x, f"{name}_", lambda t: getattr(t, name)())


def fill_(x: Tensor, value: Any) -> Tensor:
    """Sets every element of x to `value` (a number, or a 0-d tensor that may require grad)."""
    return _set(x, "fill_", _EVERYTHING, fill_value(x, value, "fill_"))


def _set(x: Tensor, name: str, key: tuple[Any, ...], value: Any) -> Tensor:
    """`x[key] = value` in place (value checked and cast already)."""
    raw = value.data if isinstance(value, _TensorCore) else value
    return _update(
        x,
        name,
        lambda t: apply(SetItem, t, value, key=key),
        (value,),
        direct=lambda array: assign(array, key, raw),
        keeps_input=False,
    )


def overwrite(x: Tensor, values: Any, name: str) -> Tensor:
    """Writes the array `values` (x's shape, dtype and device) into x in place; errors name
    `name` (random fills such as uniform_ use it)."""
    return _set(x, name, _EVERYTHING, wrap(values))


def zero_(x: Tensor) -> Tensor:
    """Sets every element of x to zero."""
    return fill_(x, 0)


def copy_(x: Tensor, src: Any) -> Tensor:
    """Copies `src` into x (broadcast to x's shape, cast to x's dtype, moved to x's device).

    Gradients flow to `src` when it requires grad (and both are float).
    """
    if not isinstance(src, _TensorCore):
        src = type(x)(src, dtype=x.data.dtype, device=device_of(x.data))
    if type(src.data) is not type(x.data):
        src = src.to(device_of(x.data))  # type: ignore[attr-defined]
    if src.data.dtype != x.data.dtype:
        src = src.as_type(x.data.dtype)  # type: ignore[attr-defined]
    try:
        fits = numpy.broadcast_shapes(tuple(src.data.shape), tuple(x.data.shape)) == x.data.shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(
            f"copy_: the source of shape {tuple(src.data.shape)} cannot be broadcast to the "
            f"tensor's shape {tuple(x.data.shape)}"
        )
    return _set(x, "copy_", _EVERYTHING, src)


def masked_fill_(x: Tensor, mask: Any, value: Any) -> Tensor:
    """Sets the elements of x where `mask` (bool, broadcastable to x's shape) is True to `value`."""
    array = check_mask(x, mask, "masked_fill_")
    if broadcast_shape(x, array, "masked_fill_") != tuple(x.data.shape):
        raise RuntimeError(
            f"masked_fill_: the mask of shape {tuple(array.shape)} would broadcast the tensor's "
            f"shape {tuple(x.data.shape)}; an in-place operation must keep it"
        )
    value = fill_value(x, value, "masked_fill_")
    raw = value.data if isinstance(value, _TensorCore) else value

    def direct(data: Any) -> None:
        data[array if array.shape == data.shape else _broadcast(array, data.shape)] = raw

    return _update(
        x,
        "masked_fill_",
        lambda t: apply(MaskedFill, t, value, mask=array),
        (value,),
        direct=direct,
        keeps_input=False,
    )


def _broadcast(mask: Any, shape: tuple[int, ...]) -> Any:
    return array_module(mask).broadcast_to(mask, shape)


def setitem(x: Tensor, key: Any, value: Any) -> None:
    """`x[key] = value` with NumPy's indexing rules, differentiable w.r.t. x and value.

    Args:
        x: the tensor written to (in place).
        key: ints, slices, None, Ellipsis, integer index tensors/lists or bool masks.
        value: a number, or a tensor/array-like broadcastable to the indexed elements (cast to
            x's dtype; a value that requires grad gets the gradient of those elements).
    """
    parts = key if type(key) is tuple else (key,)
    normalized, _ = normalize_key(x.data, parts, "setitem")
    _set(x, "setitem", normalized, _setitem_value(x, value))


def _setitem_value(x: Tensor, value: Any) -> Any:
    if isinstance(value, numpy.generic):
        return value.item()
    if isinstance(value, int | float | bool):
        return value
    if not isinstance(value, _TensorCore):
        return type(x)(value, dtype=x.data.dtype, device=device_of(x.data))
    if type(value.data) is not type(x.data):
        raise RuntimeError(
            f"setitem: the value is on {device_of(value.data)}, the tensor on {device_of(x.data)}"
        )
    if value.data.dtype != x.data.dtype:
        return value.as_type(x.data.dtype)  # type: ignore[attr-defined]
    return value


def detach_(x: Tensor) -> Tensor:
    """Takes x out of the graph in place: it becomes a leaf that does not require grad."""
    x.ctx = None
    x.req_grad = False
    return x


def requires_grad_(x: Tensor, requires_grad: bool = True) -> Tensor:
    """Sets whether x requires grad (leaves only, or float tensors) and returns x."""
    x.req_grad = requires_grad
    return x
