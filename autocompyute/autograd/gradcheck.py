"""Checking backward against central finite differences (`gradcheck`), for any op."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy

from autocompyute._engine import TensorCore
from autocompyute.autograd.functional import grad
from autocompyute.autograd.grad_mode import no_autograd_tracking

__all__ = ["gradcheck", "numerical_grads", "to_numpy"]


def numerical_grads(
    function: Callable[..., Any], inputs: Sequence[Any], eps: float = 1e-6
) -> list[numpy.ndarray | None]:
    """Central finite-difference gradients of `function(*inputs).sum()` w.r.t. each input.

    Inputs that do not require grad get None. Each input's data is perturbed in place (and
    restored), so the inputs should be float64; the result is a NumPy array for any device.
    """
    grads: list[numpy.ndarray | None] = []
    for tensor in inputs:
        if not (isinstance(tensor, TensorCore) and tensor.req_grad):
            grads.append(None)
            continue
        data = tensor.data
        grad = numpy.zeros(data.shape, dtype=numpy.float64)
        for index in numpy.ndindex(*data.shape):
            original = data[index].copy()
            data[index] = original + eps
            plus = _total(function, inputs)
            data[index] = original - eps
            minus = _total(function, inputs)
            data[index] = original
            grad[index] = (plus - minus) / (2 * eps)
        grads.append(grad)
    return grads


def _total(function: Callable[..., Any], inputs: Sequence[Any]) -> float:
    # The perturbed evaluations need no graph; building one would only cost time and memory.
    with no_autograd_tracking():
        output = function(*inputs)
    return float(to_numpy(output.data).astype(numpy.float64).sum())


def to_numpy(array: Any) -> numpy.ndarray:
    return array if isinstance(array, numpy.ndarray) else array.get()


def gradcheck(
    function: Callable[..., Any],
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    raise_exception: bool = True,
) -> bool:
    """Checks backward of `function` against central finite differences (use float64 inputs).

    The scalar checked is `function(*inputs).sum()`; its gradients are computed with
    `autograd.grad`, so no `.grad` is read or written. The default `rtol` is tighter than
    PyTorch's (1e-3).

    Args:
        function: maps the inputs to a Tensor.
        inputs: a Tensor or a sequence of inputs (the float64 Tensors that require grad are
            checked; other items are passed through).
        eps: the finite-difference step.
        atol, rtol: tolerances of the comparison.
        raise_exception: raise AssertionError on a mismatch (else return False).

    Returns:
        True when all gradients agree.

    >>> import autocompyute as ac
    >>> x = ac.randn(3, dtype="float64", req_grad=True)
    >>> gradcheck(lambda t: (t * t).tanh(), [x])
    True
    """
    items = [inputs] if isinstance(inputs, TensorCore) else list(inputs)
    checked = [t for t in items if isinstance(t, TensorCore) and t.req_grad]
    for tensor in checked:
        if tensor.dtype != numpy.float64:
            raise TypeError(f"gradcheck needs float64 inputs, got {tensor.dtype}")
    if not checked:
        raise ValueError("gradcheck: no input requires grad")
    output = function(*items)
    analytic = iter(grad(output.sum(), checked, allow_unused=True))
    numeric = numerical_grads(function, items, eps)
    for index, expected in enumerate(numeric):
        if expected is None:
            continue
        got = next(analytic)
        try:
            _compare(index, None if got is None else to_numpy(got.data), expected, atol, rtol)
        except AssertionError:
            if raise_exception:
                raise
            return False
    return True


def _compare(index: int, got: Any, expected: Any, atol: float, rtol: float) -> None:
    if got is None:
        if numpy.allclose(expected, 0, atol=atol):
            return
        raise AssertionError(f"input {index}: backward produced no gradient")
    if got.shape != expected.shape:
        raise AssertionError(
            f"input {index}: gradient shape {got.shape}, expected {expected.shape}"
        )
    if not numpy.allclose(got, expected, atol=atol, rtol=rtol):
        worst = numpy.max(numpy.abs(got - expected))
        raise AssertionError(
            f"input {index}: analytic and numerical gradients differ (max abs diff {worst:.3g})"
            f"\nanalytic:\n{got}\nnumerical:\n{expected}"
        )
