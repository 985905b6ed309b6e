"""Gradient checking helpers for tests (ours and users' custom ops)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy

from autocompyute.autograd.grad_mode import no_autograd_tracking
from autocompyute.tensor import Tensor

__all__ = ["gradcheck", "numerical_grads"]


def numerical_grads(
    function: Callable[..., Tensor], inputs: Sequence[Tensor], eps: float = 1e-6
) -> list[numpy.ndarray | None]:
    """Central finite-difference gradients of `function(*inputs).sum()` w.r.t. each input.

    Inputs that do not require grad get None. Each input's data is perturbed in place (and
    restored), so the inputs should be float64; the result is a NumPy array for any device.
    """
    grads: list[numpy.ndarray | None] = []
    for tensor in inputs:
        if not (isinstance(tensor, Tensor) and tensor.req_grad):
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


def _total(function: Callable[..., Tensor], inputs: Sequence[Tensor]) -> float:
    # The perturbed evaluations need no graph; building one would only cost time and memory.
    with no_autograd_tracking():
        output = function(*inputs)
    return float(_to_numpy(output.data).astype(numpy.float64).sum())


def _to_numpy(array: Any) -> numpy.ndarray:
    return array if isinstance(array, numpy.ndarray) else array.get()


def gradcheck(
    function: Callable[..., Tensor],
    inputs: Sequence[Tensor],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
) -> bool:
    """Checks backward of `function` against central finite differences (use float64 inputs).

    The scalar checked is `function(*inputs).sum()`. Raises AssertionError naming the input and
    the largest mismatch; returns True when all gradients agree.

    >>> import autocompyute as ac
    >>> x = ac.randn(3, dtype="float64", req_grad=True)
    >>> gradcheck(lambda t: (t * t).tanh(), [x])
    True
    """
    for tensor in inputs:
        if isinstance(tensor, Tensor) and tensor.req_grad and tensor.dtype != numpy.float64:
            raise TypeError(f"gradcheck needs float64 inputs, got {tensor.dtype}")
    for tensor in inputs:
        if isinstance(tensor, Tensor):
            tensor.grad = None
    output = function(*inputs)
    output.sum().backward()
    analytic = [t.grad if isinstance(t, Tensor) else None for t in inputs]
    numeric = numerical_grads(function, inputs, eps)
    for index, (got, expected) in enumerate(zip(analytic, numeric)):
        if expected is None:
            continue
        if got is None:
            if numpy.allclose(expected, 0, atol=atol):
                continue
            raise AssertionError(f"input {index}: backward produced no gradient")
        got = _to_numpy(got)
        if got.shape != expected.shape:
            raise AssertionError(f"input {index}: gradient shape {got.shape}, "
                                 f"expected {expected.shape}")
        if not numpy.allclose(got, expected, atol=atol, rtol=rtol):
            worst = numpy.max(numpy.abs(got - expected))
            raise AssertionError(
                f"input {index}: analytic and numerical gradients differ (max abs diff {worst:.3g})"
                f"\nanalytic:\n{got}\nnumerical:\n{expected}"
            )
    return True
