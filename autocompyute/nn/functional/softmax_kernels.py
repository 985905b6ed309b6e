"""Softmax and log-softmax on raw arrays, shared by the activation, attention and loss ops.

Every function shifts by the maximum along `axis` first, so that exp() stays finite for huge
inputs, and works through `xp` (NumPy or CuPy). `overwrite=True` lets a function compute in
the buffer of its array argument, for callers that own it. Along the last axis of NumPy float
arrays they run the compiled kernels of `autocompyute.kernels` (the xp code is the reference).
"""

from __future__ import annotations

from typing import Any

from autocompyute import kernels

__all__ = [
    "log_softmax",
    "log_softmax_and_softmax",
    "log_softmax_backward",
    "softmax",
    "softmax_backward",
]


def _shifted(x: Any, axis: int, overwrite: bool) -> Any:
    """`x` minus its maximum along `axis` (the largest entry becomes 0)."""
    if overwrite:
        x -= x.max(axis=axis, keepdims=True)
        return x
    return x - x.max(axis=axis, keepdims=True)


def _last(axis: int, x: Any) -> bool:
    return axis in (-1, x.ndim - 1)


def softmax(xp: Any, x: Any, axis: int, overwrite: bool = False, causal: bool = False) -> Any:
    """exp(x) / sum(exp(x)) along `axis`.

    With `causal`, `x` holds attention scores (..., T, S) softmaxed over the last axis, and query
    t sees only the keys 0..t (a `tril` mask; the other weights are 0).
    """
    if _last(axis, x) and kernels.compiled(x):
        return kernels.softmax(x, causal=causal, out=x if overwrite else None)
    if causal:
        x = xp.where(xp.tril(xp.ones(x.shape[-2:], dtype=bool)), x, -xp.inf)
        overwrite = True
    out = _shifted(x, axis, overwrite)
    xp.exp(out, out=out)
    out /= out.sum(axis=axis, keepdims=True)
    return out


def softmax_backward(grad: Any, out: Any, axis: int, overwrite: bool = False) -> Any:
    """The gradient w.r.t. softmax's input, `out * (grad - sum(grad * out))`, from its output."""
    if _last(axis, out) and kernels.compiled(out, grad):
        return kernels.softmax_backward(out, grad, result=grad if overwrite else None)
    dot = (grad * out).sum(axis=axis, keepdims=True)
    if overwrite:
        grad -= dot
    else:
        grad = grad - dot
    grad *= out
    return grad


def log_softmax(xp: Any, x: Any, axis: int) -> Any:
    """x - log(sum(exp(x))) along `axis`."""
    if _last(axis, x) and kernels.compiled(x):
        return kernels.softmax(x, log=True)
    out = _shifted(x, axis, False)
    out -= xp.log(xp.exp(out).sum(axis=axis, keepdims=True))
    return out


def log_softmax_backward(xp: Any, grad: Any, out: Any, axis: int) -> Any:
    """The gradient w.r.t. log-softmax's input, `grad - exp(out) * sum(grad)`, from its output."""
    if _last(axis, out) and kernels.compiled(out, grad):
        return kernels.log_softmax_backward(out, grad)
    probabilities = xp.exp(out)
    probabilities *= grad.sum(axis=axis, keepdims=True)
    return grad - probabilities


def log_softmax_and_softmax(xp: Any, x: Any, axis: int) -> tuple[Any, Any]:
    """Both log-softmax and softmax of `x` along `axis`, with one exp pass."""
    log_probs = _shifted(x, axis, False)
    probs = xp.exp(log_probs)
    totals = probs.sum(axis=axis, keepdims=True)
    probs /= totals
    log_probs -= xp.log(totals)
    return log_probs, probs
