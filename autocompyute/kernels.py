"""The fused CPU kernels (`autocompyute._kernels`) on raw arrays, and the switch between them
and the NumPy/CuPy reference implementations.

Ops ask `compiled(*arrays)` whether the compiled kernel applies (NumPy float32/float64 arrays of
one dtype, and the reference path not forced); if not they run their xp code, which is also the
CuPy path. Each function here is the one place that prepares arrays for one kernel: inputs are
made C-contiguous (copied if they are not), outputs are allocated, and the results come back in
the input's shape.

The reference path is forced with the environment variable `AUTOCOMPYUTE_REFERENCE_KERNELS=1`
(read at import) or at run time:

>>> import autocompyute as ac
>>> with ac.kernels.reference_kernels():
...     ac.nn.functional.softmax(ac.tensor([0.0, 0.0]))
Tensor([0.5000, 0.5000], dtype=float32, device=cpu)
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy

from autocompyute import _kernels

__all__ = [
    "adam_update",
    "compiled",
    "cross_entropy",
    "gelu",
    "gelu_backward",
    "layer_norm",
    "layer_norm_backward",
    "log_softmax_backward",
    "reference_kernels",
    "softmax",
    "softmax_backward",
    "use_reference_kernels",
    "using_reference_kernels",
]

_ndarray = numpy.ndarray
_KERNEL_DTYPES = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))
_reference = os.environ.get("AUTOCOMPYUTE_REFERENCE_KERNELS", "").strip() not in ("", "0")


def use_reference_kernels(enabled: bool = True) -> None:
    """Forces (True) or releases (False) the NumPy/CuPy reference path of every fused kernel."""
    global _reference
    _reference = bool(enabled)


def using_reference_kernels() -> bool:
    """Whether the reference path is forced (by `use_reference_kernels` or the environment)."""
    return _reference


@contextmanager
def reference_kernels(enabled: bool = True) -> Iterator[None]:
    """Context manager: forces (or with False, releases) the reference path inside the block."""
    previous = _reference
    use_reference_kernels(enabled)
    try:
        yield
    finally:
        use_reference_kernels(previous)


def compiled(*arrays: Any) -> bool:
    """True when the compiled kernels apply to these arrays: NumPy float32/float64 arrays of one
    dtype (None entries are skipped) and the reference path is not forced."""
    if _reference:
        return False
    dtype = None
    for array in arrays:
        if array is None:
            continue
        if type(array) is not _ndarray or array.dtype not in _KERNEL_DTYPES:
            return False
        if dtype is None:
            dtype = array.dtype
        elif array.dtype != dtype:
            return False
    return True


def _contiguous(array: Any, dtype: Any) -> Any:
    return numpy.ascontiguousarray(array, dtype=dtype)


def _rows(array: Any, cols: int) -> Any:
    """A C-contiguous (rows, cols) view (or copy) of `array` (cols divides its size)."""
    rows = array.size // cols if cols else math.prod(array.shape[:-1])
    return numpy.ascontiguousarray(array).reshape(rows, cols)


def gelu(x: Any, approximate: str = "tanh") -> Any:
    """GELU of `x`, tanh approximation or (approximate="none") the exact erf form."""
    flat = _contiguous(x, x.dtype).reshape(-1)
    out = numpy.empty_like(flat)
    _kernels.gelu_forward(flat, out, approximate == "tanh")
    return out.reshape(x.shape)


def gelu_backward(x: Any, grad: Any, approximate: str = "tanh") -> Any:
    """`grad * gelu'(x)` in the form of `gelu`."""
    flat = _contiguous(x, x.dtype).reshape(-1)
    grad_flat = _contiguous(grad, x.dtype).reshape(-1)
    out = numpy.empty_like(flat)
    _kernels.gelu_backward(flat, grad_flat, out, approximate == "tanh")
    return out.reshape(x.shape)


def layer_norm(x: Any, w: Any, b: Any, n_dims: int, eps: float) -> tuple[Any, Any, Any, Any]:
    """Layer norm over the last `n_dims` dims of `x`, then `* w + b` (either may be None).

    Returns `(out, rows, mean, inv_std)`: the output shaped like `x`, the contiguous input as
    (N, D) rows and each row's mean and 1 / sqrt(var + eps), as layer_norm_backward takes them.
    """
    leading, trailing = x.shape[: x.ndim - n_dims], x.shape[x.ndim - n_dims :]
    rows = numpy.ascontiguousarray(x).reshape(math.prod(leading), math.prod(trailing))
    out = numpy.empty_like(rows)
    mean = numpy.empty(rows.shape[0], dtype=x.dtype)
    inv_std = numpy.empty(rows.shape[0], dtype=x.dtype)
    _kernels.layer_norm_forward(
        rows,
        None if w is None else _contiguous(w, x.dtype).reshape(-1),
        None if b is None else _contiguous(b, x.dtype).reshape(-1),
        eps,
        out,
        mean,
        inv_std,
    )
    return out.reshape(x.shape), rows, mean, inv_std


def layer_norm_backward(
    rows: Any,
    mean: Any,
    inv_std: Any,
    w: Any,
    grad: Any,
    needs_grad: Sequence[bool],
    param_shape: tuple[int, ...],
) -> tuple[Any, Any, Any]:
    """Gradients (x, w, b) of `layer_norm` from what it returned; None where not needed."""
    dtype = rows.dtype
    grad_rows = _rows(grad.astype(dtype, copy=False), rows.shape[1])
    grad_x = numpy.empty_like(rows) if needs_grad[0] else None
    grad_w = numpy.zeros(rows.shape[1]) if needs_grad[1] else None
    grad_b = numpy.zeros(rows.shape[1]) if needs_grad[2] else None
    _kernels.layer_norm_backward(
        rows,
        mean,
        inv_std,
        None if w is None else _contiguous(w, dtype).reshape(-1),
        grad_rows,
        grad_x,
        grad_w,
        grad_b,
    )
    return (
        None if grad_x is None else grad_x.reshape(grad.shape),
        None if grad_w is None else grad_w.astype(dtype).reshape(param_shape),
        None if grad_b is None else grad_b.astype(dtype).reshape(param_shape),
    )


def softmax(x: Any, *, log: bool = False, causal: bool = False, out: Any = None) -> Any:
    """Softmax (or with `log`, log-softmax) over the last dim of `x`.

    With `causal`, `x` holds scores (..., T, S) and query t sees only the keys 0..t, like a
    `tril` mask: the rest of its row gets 0 (-inf for the log-softmax). The softmax (not the
    log-softmax) may write into `out`, `x` itself included, when it is C-contiguous.
    """
    rows = _rows(x, x.shape[-1])
    result = _output(out if not log else None, rows)
    _kernels.softmax_forward(rows, x.shape[-2] if causal else 0, log, result)
    return result.reshape(x.shape)


def softmax_backward(out: Any, grad: Any, result: Any = None) -> Any:
    """Gradient of `softmax` given its output and the output's gradient (written to `result`,
    `grad` itself included, when it is C-contiguous)."""
    rows = _rows(out, out.shape[-1])
    grad_rows = _rows(grad.astype(out.dtype, copy=False), out.shape[-1])
    written = _output(result, rows)
    _kernels.softmax_backward(rows, grad_rows, written)
    return written.reshape(out.shape)


def _output(candidate: Any, rows: Any) -> Any:
    """`candidate` as rows shaped like `rows` if it can take the result in place, else a new
    array."""
    if (
        candidate is not None
        and type(candidate) is _ndarray
        and candidate.dtype == rows.dtype
        and candidate.flags.c_contiguous
        and candidate.size == rows.size
    ):
        return candidate.reshape(rows.shape)
    return numpy.empty_like(rows)


def log_softmax_backward(out: Any, grad: Any, causal: bool = False) -> Any:
    """Gradient of the log-softmax given its output and the output's gradient."""
    rows = _rows(out, out.shape[-1])
    result = numpy.empty_like(rows)
    grad_rows = _rows(grad.astype(out.dtype, copy=False), out.shape[-1])
    _kernels.log_softmax_backward(rows, grad_rows, out.shape[-2] if causal else 0, result)
    return result.reshape(out.shape)


def cross_entropy(
    logits: Any, targets: Any, ignore_index: int, smoothing: float
) -> tuple[Any, Any]:
    """Mean softmax cross-entropy of logits (..., C) against class indices (...).

    Returns `(loss, grad_logits)`: the 0-d loss in the logits' dtype (nan if every target is
    ignored) and d loss / d logits shaped like the logits.
    """
    rows = _rows(logits, logits.shape[-1])
    flat_targets = numpy.ascontiguousarray(targets, dtype=numpy.int64).reshape(-1)
    grad = numpy.empty_like(rows)
    loss = _kernels.cross_entropy(rows, flat_targets, int(ignore_index), float(smoothing), grad)
    return numpy.asarray(loss, dtype=logits.dtype), grad.reshape(logits.shape)


def adam_update(
    params: list[Any],
    grads: list[Any],
    exp_avgs: list[Any],
    exp_avg_sqs: list[Any],
    steps: list[int],
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled: bool,
) -> None:
    """One Adam (or with `decoupled`, AdamW) step of every parameter, in place.

    `params`, `exp_avgs` and `exp_avg_sqs` must be C-contiguous (they are updated through flat
    views); `grads` are copied when they are not. `steps` are the step counts after this step.
    """
    _kernels.adam_update(
        [param.reshape(-1) for param in params],
        [_contiguous(grad, param.dtype).reshape(-1) for grad, param in zip(grads, params)],
        [exp_avg.reshape(-1) for exp_avg in exp_avgs],
        [exp_avg_sq.reshape(-1) for exp_avg_sq in exp_avg_sqs],
        steps,
        lr,
        beta1,
        beta2,
        eps,
        weight_decay,
        decoupled,
    )
