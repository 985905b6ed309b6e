"""Random draws into or from tensors: multinomial, and the in-place uniform_ and normal_."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy

from autocompyute.autograd.op import wrap
from autocompyute.backend import array_module, device_of, get_device, move_array
from autocompyute.generator import Generator, random_generator
from autocompyute.ops.inplace import overwrite

if TYPE_CHECKING:
    from autocompyute.tensor import Tensor

__all__ = ["multinomial", "normal_", "uniform_"]

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


def _float_draws(x: Tensor, name: str) -> Any:
    dtype = x.data.dtype
    if dtype.kind != "f":
        raise TypeError(f"{name}: needs a float tensor, got dtype {dtype}")
    # NumPy's and CuPy's generators draw float32 or float64 only.
    return dtype if dtype == numpy.float64 else numpy.dtype(numpy.float32)


def uniform_(
    x: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Generator | None = None
) -> Tensor:
    """Fills x in place with values drawn uniformly from [a, b) (under no_grad for leaves).

    >>> import autocompyute as ac
    >>> w = ac.empty(1000).uniform_(-2.0, 2.0)
    >>> bool((w >= -2).all() and (w < 2).all())
    True
    """
    draw_dtype = _float_draws(x, "uniform_")
    if not a <= b:
        raise ValueError(f"uniform_: a must not exceed b, got a={a}, b={b}")
    rng = random_generator(device_of(x.data), generator)
    values = rng.random(x.data.shape, dtype=draw_dtype) * (b - a) + a
    values = array_module(x.data).minimum(values.astype(x.data.dtype), _below(b, a, x.data.dtype))
    return overwrite(x, values, "uniform_")


def _below(high: float, low: float, dtype: Any) -> Any:
    """The largest value of `dtype` below `high` (rounding must not reach the open end)."""
    return numpy.nextafter(dtype.type(high), dtype.type(low)) if high > low else dtype.type(high)


def normal_(
    x: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Generator | None = None
) -> Tensor:
    """Fills x in place with normally distributed values (under no_grad for leaves).

    >>> import autocompyute as ac
    >>> ac.empty(2, 3).normal_(0.0, 0.02).shape
    (2, 3)
    """
    draw_dtype = _float_draws(x, "normal_")
    if not std >= 0:
        raise ValueError(f"normal_: std must be non-negative, got {std}")
    rng = random_generator(device_of(x.data), generator)
    values = rng.standard_normal(x.data.shape, dtype=draw_dtype) * std + mean
    return overwrite(x, values.astype(x.data.dtype), "normal_")
