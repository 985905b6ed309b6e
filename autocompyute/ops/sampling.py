"""Drawing from distributions given as tensors: multinomial."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy

from autocompyute.autograd.op import wrap
from autocompyute.backend import device_of, get_device, move_array
from autocompyute.generator import Generator, random_generator

if TYPE_CHECKING:
    from autocompyute.tensor import Tensor

__all__ = ["multinomial"]

_CPU = get_device("cpu")


def multinomial(
    x: Tensor,
    num_samples: int,
    replacement: bool = False,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """Draws category indices with probabilities proportional to the rows of x.

    Args:
        x: non-negative weights, shape (categories,) or (rows, categories); they need not sum
            to one.
        num_samples: draws per row.
        replacement: draw with replacement; without it, each category is drawn at most once
            (so `num_samples` may not exceed the number of categories with nonzero weight).
        generator: a `Generator` to draw from instead of the library's (seeded by
            `manual_seed`).

    Returns:
        An int64 tensor of shape (num_samples,) or (rows, num_samples), on x's device.

    >>> import autocompyute as ac
    >>> ac.manual_seed(0)
    >>> ac.multinomial(ac.tensor([0.0, 1.0, 0.0]), 2, replacement=True).tolist()
    [1, 1]
    """
    data = x.data
    if data.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: x must have 1 or 2 dims, got shape {tuple(data.shape)}")
    if data.dtype.kind != "f":
        raise TypeError(f"multinomial: x must be a float tensor, got dtype {data.dtype}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
        raise RuntimeError(f"multinomial: num_samples must be a positive int, got {num_samples!r}")
    weights = numpy.asarray(move_array(data, _CPU), dtype=numpy.float64)
    rows = weights.reshape(-1, weights.shape[-1])
    if not numpy.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError("multinomial: the weights must be finite and non-negative")
    totals = rows.sum(axis=1)
    if (totals <= 0).any():
        raise RuntimeError("multinomial: every row of weights must have a positive sum")
    if not replacement and num_samples > int((rows > 0).sum(axis=1).min()):
        raise RuntimeError(
            f"multinomial: cannot draw {num_samples} samples without replacement from a row "
            f"with {int((rows > 0).sum(axis=1).min())} categories of nonzero weight"
        )
    # Draws on the host: both backends' choice() want host probabilities, and rows are small.
    rng = random_generator(_CPU, generator)
    out = numpy.empty((rows.shape[0], num_samples), dtype=numpy.int64)
    for i, row in enumerate(rows):
        out[i] = rng.choice(row.shape[0], size=num_samples, replace=replacement, p=row / row.sum())
    result: Any = out if data.ndim == 2 else out[0]
    return wrap(move_array(result, device_of(data)))
