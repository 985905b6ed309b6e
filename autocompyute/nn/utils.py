"""Gradient clipping, by global norm and by value (in place on `param.grad`)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy

from autocompyute.backend import array_module
from autocompyute.tensor import Tensor

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value", "clip_grad_value_"]


def _gradients(parameters: Tensor | Iterable[Tensor]) -> list[Any]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [parameter.grad for parameter in parameters if parameter.grad is not None]


def clip_grad_norm(
    parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0
) -> float:
    """Scales all gradients together so that their joint norm is at most `max_norm`.

    The joint norm is the norm of the vector of per-gradient norms (as if all gradients were
    concatenated). Gradients are multiplied in place by `min(1, max_norm / (norm + 1e-6))`,
    as `torch.nn.utils.clip_grad_norm_` does. Parameters without a gradient are ignored.

    Args:
        parameters: a tensor or an iterable of tensors (e.g. `model.parameters()`).
        max_norm: the largest allowed norm.
        norm_type: the p of the p-norm; `float("inf")` for the largest absolute value.

    Returns:
        The joint norm of the gradients before clipping.

    >>> import autocompyute as ac
    >>> w = ac.tensor([3.0, 4.0], req_grad=True)
    >>> w.grad = w.data.copy()
    >>> clip_grad_norm([w], max_norm=1.0)
    5.0
    """
    gradients = _gradients(parameters)
    if not gradients:
        return 0.0
    return float(_clip_to_norm(gradients, max_norm, norm_type, False, "clip_grad_norm"))


def _clip_to_norm(
    gradients: list[Any], max_norm: float, norm_type: float, error_if_nonfinite: bool, function: str
) -> Any:
    """Scales `gradients` in place to joint norm <= max_norm; returns the norm before (0-d)."""
    total = _total_norm(gradients, norm_type, function)
    if error_if_nonfinite and not math.isfinite(float(total)):
        raise RuntimeError(
            f"{function}: the total norm of order {norm_type} of the "
            "gradients is non-finite, so it cannot be clipped"
        )
    xp = numpy if isinstance(total, numpy.ndarray) else array_module(total)
    coefficient = xp.minimum(max_norm / (total + 1e-6), 1.0)
    for gradient in gradients:
        gradient *= coefficient.astype(gradient.dtype)
    return total


def _total_norm(gradients: list[Any], norm_type: float, function: str) -> Any:
    """The p-norm of all gradients together, as a 0-d array of their common dtype."""
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise ValueError(f"{function}: norm_type must be > 0, got {norm_type}")
    xp = numpy if isinstance(gradients[0], numpy.ndarray) else array_module(gradients[0])
    dtype = numpy.result_type(*(gradient.dtype for gradient in gradients))
    norms = xp.stack(
        [xp.linalg.norm(gradient.ravel(), norm_type).astype(dtype) for gradient in gradients]
    )
    return xp.asarray(xp.linalg.norm(norms, norm_type))


def clip_grad_value(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamps every gradient element to [-clip_value, clip_value], in place.

    Args:
        parameters: a tensor or an iterable of tensors (e.g. `model.parameters()`).
        clip_value: the largest allowed absolute gradient value.
    """
    if not clip_value >= 0:
        raise ValueError(f"clip_grad_value: clip_value must be >= 0, got {clip_value}")
    for gradient in _gradients(parameters):
        xp = numpy if isinstance(gradient, numpy.ndarray) else array_module(gradient)
        xp.clip(gradient, -clip_value, clip_value, out=gradient)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """PyTorch's `clip_grad_norm_`: clips like `clip_grad_norm` and returns the norm as a tensor.

    Args:
        parameters: a tensor or an iterable of tensors (e.g. `model.parameters()`).
        max_norm: the largest allowed norm.
        norm_type: the p of the p-norm; `float("inf")` for the largest absolute value.
        error_if_nonfinite: raise RuntimeError (before clipping) if the norm is nan or inf.

    Returns:
        0-d float tensor: the joint norm of the gradients before clipping.

    >>> import autocompyute as ac
    >>> w = ac.tensor([3.0, 4.0], req_grad=True)
    >>> w.grad = w.data.copy()
    >>> clip_grad_norm_([w], max_norm=1.0).item()
    5.0
    """
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    gradients = _gradients(parameters)
    if not gradients:
        return Tensor(numpy.zeros((), dtype=numpy.float32))
    total = _clip_to_norm(gradients, max_norm, norm_type, error_if_nonfinite, "clip_grad_norm_")
    return Tensor(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """PyTorch's name of `clip_grad_value`: clamps gradients to [-clip_value, clip_value]."""
    clip_grad_value(parameters, clip_value)
