"""Functions that create tensors: from data, filled, ranges and random (PyTorch's signatures).

Each takes `dtype=`, `device=` and `requires_grad=` (the original API's `req_grad=` too); the
random ones take `generator=` (a `Generator`) and otherwise draw from the library's generator,
seeded by `manual_seed` / `set_random_seed`. The original API's extras stay: `randn(mean=,
var=)`, `randu` (uniform in [low, high)), `randi` (integers in [low, high)) and `full(*shape,
value=)`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy

from autocompyute.backend import DeviceLike, get_device
from autocompyute.dtypes import default_float, default_int, float32, float64
from autocompyute.generator import Generator, random_generator, set_random_seed
from autocompyute.ops.creation import check_dtype, check_shape, filled, new_leaf, wants_grad
from autocompyute.tensor import Tensor

__all__ = [
    "arange",
    "empty",
    "empty_like",
    "eye",
    "from_numpy",
    "full",
    "full_like",
    "linspace",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randi",
    "randi_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "random_generator",
    "randperm",
    "randu",
    "randu_like",
    "set_random_seed",
    "tensor",
    "zeros",
    "zeros_like",
]


_DTYPE_OF_SCALAR = {bool: numpy.dtype(bool), int: default_int, float: default_float}


def _sample_dtype(dtype: numpy.dtype) -> numpy.dtype:
    """The dtype to draw floats in: the generators (NumPy's and CuPy's) support only these two."""
    return dtype if dtype == float64 else float32


def tensor(
    data: Any,
    dtype: Any = None,
    device: DeviceLike | None = None,
    req_grad: bool = False,
    *,
    requires_grad: bool | None = None,
) -> Tensor:
    """Creates a tensor from array-like `data` (floats default to float32).

    >>> tensor([1, 2, 3])
    Tensor([1, 2, 3], dtype=int64, device=cpu)
    """
    return Tensor(data, dtype=dtype, device=device, req_grad=wants_grad(req_grad, requires_grad))


def from_numpy(array: numpy.ndarray) -> Tensor:
    """A tensor sharing the memory of a NumPy array (its dtype must be a supported one)."""
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return new_leaf(Tensor(array, dtype=array.dtype).data, False)


def full(
    *args: Any,
    value: Any = None,
    fill_value: Any = None,
    dtype: Any = None,
    device: DeviceLike | None = None,
    req_grad: bool = False,
    requires_grad: bool | None = None,
) -> Tensor:
    """A tensor filled with one value: `full(size, fill_value)` (PyTorch) or `full(*shape, value=)`.

    With PyTorch's form the dtype follows the fill value (bool, int64 or float32); with
    `value=` it defaults to float32.

    >>> full((2,), 7)
    Tensor([7, 7], dtype=int64, device=cpu)
    >>> full(2, value=7.5)
    Tensor([7.5000, 7.5000], dtype=float32, device=cpu)
    """
    shape: tuple[Any, ...] = args
    if value is None and fill_value is None and len(args) == 2 and isinstance(args[0], Sequence):
        shape, fill_value = (args[0],), args[1]
    default: numpy.dtype = default_float
    if value is None:
        # PyTorch's form infers the dtype from the fill value; the original's gives float32.
        value = fill_value
        default = _DTYPE_OF_SCALAR.get(type(value), default_float)
    if value is None:
        raise TypeError("full: missing the fill value (full(size, fill_value) or value=)")
    resolved = check_dtype(dtype, default, "full")
    return filled("full", shape, value, resolved, device, wants_grad(req_grad, requires_grad))


def _constant(
    name: str,
    shape: tuple[Any, ...],
    value: Any,
    dtype: Any,
    device: DeviceLike | None,
    req_grad: bool,
    requires_grad: bool | None,
) -> Tensor:
    resolved = check_dtype(dtype, default_float, name)
    return filled(name, shape, value, resolved, device, wants_grad(req_grad, requires_grad))


def ones(
    *size: Any,
    dtype: Any = None,
    device: DeviceLike | None = None,
    req_grad: bool = False,
    requires_grad: bool | None = None,
) -> Tensor:
    """Creates a tensor of ones (sizes, or one sequence of them).

    >>> ones(2, 3).shape
    (2, 3)
    """
    return _constant("ones", size, 1, dtype, device, req_grad, requires_grad)


def zeros(
    *size: Any,
    dtype: Any = None,
    device: DeviceLike | None = None,
    req_grad: bool = False,
    requires_grad: bool | None = None,
) -> Tensor:
    """Creates a tensor of zeros."""
    return _constant("zeros", size, 0, dtype, device, req_grad, requires_grad)


def empty(
    *size: Any,
    dtype: Any = None,
    device: DeviceLike | None = None,
    req_grad: bool = False,
    requires_grad: bool | None = None,
) -> Tensor:
    """Creates an uninitialised tensor (its values are whatever the memory held)."""
    return _constant("empty", size, None, dtype, device, req_grad, requires_grad)


def eye(
    n: int,
    m: int | None = None,
    *,
    dtype: Any = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """The n x m identity matrix (m defaults to n).

    >>> eye(2).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    rows, cols = check_shape((n, n if m is None else m), "eye")
    resolved = check_dtype(dtype, default_float, "eye")
    return new_leaf(get_device(device).xp.eye(rows, cols, dtype=resolved), requires_grad)


def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    dtype: Any = None,
    device: DeviceLike | None = None,
    req_grad: bool = False,
    *,
    stop: float | None = None,
    requires_grad: bool | None = None,
) -> Tensor:
    """Values from `start` (or 0) up to `end` (excluded; `stop=` too) in `step`s.

    All-int arguments give int64, otherwise float32 (as in PyTorch).

    >>> arange(4)
    Tensor([0, 1, 2, 3], dtype=int64, device=cpu)
    """
    if end is None:
        end = stop
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if dtype is None:
        all_ints = all(isinstance(v, int | numpy.integer) for v in (start, end, step))
        resolved = default_int if all_ints else default_float
    else:
        resolved = check_dtype(dtype, default_float, "arange")
    xp = get_device(device).xp
    if resolved.kind == "f":
        # Counted as PyTorch does (ceil of the span over the step), computed in float64.
        count = max(math.ceil((float(end) - float(start)) / float(step)), 0)
        values = (xp.arange(count, dtype=float64) * step + start).astype(resolved)
    else:
        values = xp.arange(start, end, step, dtype=resolved)
    return new_leaf(values, wants_grad(req_grad, requires_grad))


def linspace(
    start: float,
    end: float,
    steps: int,
    *,
    dtype: Any = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """`steps` evenly spaced values from `start` to `end` (both included).

    >>> linspace(0, 1, 3).tolist()
    [0.0, 0.5, 1.0]
    """
    if isinstance(steps, bool) or not isinstance(steps, int | numpy.integer) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative int, got {steps!r}")
    resolved = check_dtype(dtype, default_float, "linspace")
    xp = get_device(device).xp
    values = xp.linspace(start, end, int(steps), dtype=float64).astype(resolved)
    return new_leaf(values, requires_grad)


def randn(
    *size: Any,
    generator: Generator | None = None,
    mean: float = 0.0,
    var: float = 1.0,
    dtype: Any = None,
    device: DeviceLike | None = None,
    req_grad: bool = False,
    requires_grad: bool | None = None,
) -> Tensor:
    """Normally distributed values (mean 0, variance 1; the original API's `mean=`, `var=`).

    >>> randn(2, 3, mean=1.0, var=4.0).shape
    (2, 3)
    """
    resolved_device = get_device(device)
    resolved = check_dtype(dtype, default_float, "randn")
    _need_float(resolved, "randn")
    if not var >= 0:
        raise ValueError(f"randn: var must be non-negative, got {var}")
    rng = random_generator(resolved_device, generator)
    # standard_normal exists on both NumPy's and CuPy's generators (CuPy's has no `normal`).
    values = rng.standard_normal(check_shape(size, "randn"), dtype=_sample_dtype(resolved))
    if var != 1:
        values *= var**0.5
    if mean != 0:
        values += mean
    return new_leaf(values.astype(resolved, copy=False), wants_grad(req_grad, requires_grad))


def rand(
    *size: Any,
    generator: Generator | None = None,
    dtype: Any = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniformly distributed values in [0, 1).

    >>> values = rand(100)
    >>> bool((values >= 0).all() and (values < 1).all())
    True
    """
    return _uniform("rand", size, 0.0, 1.0, generator, dtype, device, requires_grad)


def randu(
    *shape: Any,
    low: float = -1.0,
    high: float = 1.0,
    generator: Generator | None = None,
    dtype: Any = None,
    device: DeviceLike | None = None,
    req_grad: bool = False,
    requires_grad: bool | None = None,
) -> Tensor:
    """Uniformly distributed values in [low, high) (the original API; default [-1, 1)).

    >>> values = randu(100, low=2.0, high=3.0)
    >>> bool((values >= 2.0).all() and (values < 3.0).all())
    True
    """
    grad = wants_grad(req_grad, requires_grad)
    return _uniform("randu", shape, low, high, generator, dtype, device, grad)


def _uniform(
    name: str,
    shape: tuple[Any, ...],
    low: float,
    high: float,
    generator: Generator | None,
    dtype: Any,
    device: DeviceLike | None,
    requires_grad: bool,
) -> Tensor:
    resolved_device = get_device(device)
    resolved = check_dtype(dtype, default_float, name)
    _need_float(resolved, name)
    if not low <= high:
        raise ValueError(f"{name}: low must not exceed high, got low={low}, high={high}")
    rng = random_generator(resolved_device, generator)
    values = rng.random(check_shape(shape, name), dtype=_sample_dtype(resolved))
    values *= high - low
    values += low
    values = values.astype(resolved, copy=False)
    # Rounding of low + (high - low) * u (and of the cast to float16) can land exactly on high.
    largest_below_high = numpy.nextafter(resolved.type(high), resolved.type(low))
    clipped = resolved_device.xp.minimum(values, largest_below_high, out=values)
    return new_leaf(clipped, requires_grad)


def randi(
    *shape: Any,
    low: int,
    high: int,
    generator: Generator | None = None,
    dtype: Any = None,
    device: DeviceLike | None = None,
) -> Tensor:
    """Random integers in [low, high) (int64 unless `dtype` says otherwise).

    >>> randi(3, low=0, high=1).data.tolist()
    [0, 0, 0]
    """
    return _integers("randi", shape, low, high, generator, dtype, device, False)


def _integers(
    name: str,
    shape: tuple[Any, ...],
    low: int,
    high: int,
    generator: Generator | None,
    dtype: Any,
    device: DeviceLike | None,
    requires_grad: bool,
) -> Tensor:
    resolved_device = get_device(device)
    resolved = check_dtype(dtype, default_int, name)
    if not low < high:
        raise ValueError(f"{name}: low must be less than high, got low={low}, high={high}")
    if resolved.kind in "iub":
        info = numpy.iinfo(resolved) if resolved.kind != "b" else None
        smallest, largest = (0, 1) if info is None else (info.min, info.max)
        if low < smallest or high - 1 > largest:
            raise ValueError(
                f"{name}: [{low}, {high}) does not fit dtype {resolved} "
                f"(values from {smallest} to {largest})"
            )
    rng = random_generator(resolved_device, generator)
    values = rng.integers(low, high, check_shape(shape, name))
    return new_leaf(values.astype(resolved, copy=False), requires_grad)


def randint(
    *args: Any,
    size: Any = None,
    generator: Generator | None = None,
    dtype: Any = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """Random integers in [low, high): `randint(high, size)` or `randint(low, high, size)`.

    >>> randint(0, 1, (3,)).tolist()
    [0, 0, 0]
    """
    if size is None and args and isinstance(args[-1], Sequence):
        size, args = args[-1], args[:-1]
    if size is None or len(args) not in (1, 2):
        raise TypeError("randint: expected randint(high, size) or randint(low, high, size)")
    low, high = (0, args[0]) if len(args) == 1 else args
    shape = tuple(size) if isinstance(size, Sequence) else (size,)
    return _integers("randint", shape, low, high, generator, dtype, device, requires_grad)


def randperm(
    n: int,
    *,
    generator: Generator | None = None,
    dtype: Any = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """A random permutation of 0..n-1 (int64).

    >>> sorted(randperm(4).data.tolist())
    [0, 1, 2, 3]
    """
    if not isinstance(n, int | numpy.integer) or isinstance(n, bool) or n < 0:
        raise ValueError(f"randperm: n must be a non-negative int, got {n!r}")
    resolved_device = get_device(device)
    resolved = check_dtype(dtype, default_int, "randperm")
    rng = random_generator(resolved_device, generator)
    if hasattr(rng, "permutation"):
        values = rng.permutation(int(n))
    else:
        # CuPy's generator has no permutation: sorting uniform keys gives a uniform one.
        values = resolved_device.xp.argsort(rng.random(int(n)))
    return new_leaf(values.astype(resolved, copy=False), requires_grad)


def _need_float(dtype: numpy.dtype, name: str) -> None:
    if dtype.kind != "f":
        raise TypeError(f"{name}: dtype must be a float dtype, got {dtype}")


def _like_kwargs(x: Tensor, dtype: Any, device: DeviceLike | None) -> dict[str, Any]:
    return {
        "dtype": x.dtype if dtype is None else dtype,
        "device": x.device if device is None else device,
    }


def full_like(
    x: Tensor,
    fill_value: Any = None,
    dtype: Any = None,
    device: DeviceLike | None = None,
    req_grad: bool = False,
    *,
    value: Any = None,
    requires_grad: bool | None = None,
) -> Tensor:
    """A tensor shaped like `x` filled with `fill_value` (`value=` too), x's dtype and device."""
    grad = wants_grad(req_grad, requires_grad)
    fill = fill_value if value is None else value
    return full(*x.shape, value=fill, requires_grad=grad, **_like_kwargs(x, dtype, device))


def ones_like(
    x: Tensor,
    dtype: Any = None,
    device: DeviceLike | None = None,
    req_grad: bool = False,
    *,
    requires_grad: bool | None = None,
) -> Tensor:
    """A tensor of ones shaped like `x`."""
    return full_like(x, 1, dtype, device, wants_grad(req_grad, requires_grad))


def zeros_like(
    x: Tensor,
    dtype: Any = None,
    device: DeviceLike | None = None,
    req_grad: bool = False,
    *,
    requires_grad: bool | None = None,
) -> Tensor:
    """A tensor of zeros shaped like `x`."""
    return full_like(x, 0, dtype, device, wants_grad(req_grad, requires_grad))


def empty_like(
    x: Tensor,
    dtype: Any = None,
    device: DeviceLike | None = None,
    *,
    requires_grad: bool = False,
) -> Tensor:
    """An uninitialised tensor shaped like `x`."""
    return empty(*x.shape, requires_grad=requires_grad, **_like_kwargs(x, dtype, device))


def randn_like(
    x: Tensor,
    mean: float = 0.0,
    var: float = 1.0,
    dtype: Any = None,
    device: DeviceLike | None = None,
    req_grad: bool = False,
    *,
    generator: Generator | None = None,
    requires_grad: bool | None = None,
) -> Tensor:
    """Normal values shaped like `x`."""
    grad = wants_grad(req_grad, requires_grad)
    kwargs = _like_kwargs(x, dtype, device)
    return randn(*x.shape, generator=generator, mean=mean, var=var, requires_grad=grad, **kwargs)


def rand_like(
    x: Tensor,
    dtype: Any = None,
    device: DeviceLike | None = None,
    *,
    generator: Generator | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform values in [0, 1) shaped like `x`."""
    kwargs = _like_kwargs(x, dtype, device)
    return rand(*x.shape, generator=generator, requires_grad=requires_grad, **kwargs)


def randu_like(
    x: Tensor,
    low: float = -1.0,
    high: float = 1.0,
    dtype: Any = None,
    device: DeviceLike | None = None,
    req_grad: bool = False,
    *,
    requires_grad: bool | None = None,
) -> Tensor:
    """Uniform values in [low, high) shaped like `x`."""
    grad = wants_grad(req_grad, requires_grad)
    kwargs = _like_kwargs(x, dtype, device)
    return randu(*x.shape, low=low, high=high, requires_grad=grad, **kwargs)


def randi_like(
    x: Tensor, low: int, high: int, dtype: Any = None, device: DeviceLike | None = None
) -> Tensor:
    """Random integers in [low, high) shaped like `x`."""
    kwargs = _like_kwargs(x, dtype, device)
    if dtype is None and x.dtype.kind == "f":
        kwargs["dtype"] = default_int
    return randi(*x.shape, low=low, high=high, **kwargs)


def randint_like(
    x: Tensor,
    low: int = 0,
    high: int | None = None,
    *,
    dtype: Any = None,
    device: DeviceLike | None = None,
    generator: Generator | None = None,
) -> Tensor:
    """Random integers shaped like `x`: `randint_like(x, high)` or `randint_like(x, low, high)`.

    The dtype is x's (PyTorch's rule) unless `dtype` says otherwise.
    """
    if high is None:
        low, high = 0, low
    kwargs = _like_kwargs(x, dtype, device)
    return _integers("randint_like", x.shape, low, high, generator, requires_grad=False, **kwargs)
