"""Gradient checking helpers for tests (ours and users' custom ops)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy

from autocompyute.tensor import Tensor

__all__ = ["gradcheck", "numerical_grads"]


def numerical_grads(
    function: Callable[..., Tensor], inputs: Sequence[Tensor], eps: float = 1e-6
) -> list[numpy.ndarray | None]:
    """Central finite-difference gradients of `function(*inputs).sum()` w.r.t. each input.

    Inputs that do not require grad get None. Works on float64 copies of the data.
    """
    grads: list[numpy.ndarray | None] = []
    for tensor in inputs:
        if not (isinstance(tensor, Tensor) and tensor.req_grad):
            grads.append(None)
            continue
        data = tensor.data
        grad = numpy.zeros(data.shape, dtype=numpy.float64)
        flat = data.reshape(-1) if data.flags.c_contiguous else None
        for index in numpy.ndindex(*data.shape):
            original = data[index].copy()
            data[index] = original + eps
            plus = float(_total(function(*inputs)))
            data[index] = original - eps
            minus = float(_total(function(*inputs)))
            data[index] = original
            grad[index] = (plus - minus) / (2 * eps)
        del flat
        grads.append(grad)
    return grads


def _total(output: Tensor) -> Any:
    return numpy.asarray(output.data, dtype=numpy.float64).sum()


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
        got = numpy.asarray(got)
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
