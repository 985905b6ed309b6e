"""Functions that create tensors: from data, filled, ranges and random."""

from __future__ import annotations

from typing import Any

import numpy

from autocompyute.backend import DeviceLike, get_device
from autocompyute.dtypes import default_float, default_int, float32, float64, to_dtype
from autocompyute.ops.shapes import varargs
from autocompyute.tensor import Tensor

__all__ = [
    "arange",
    "full",
    "full_like",
    "ones",
    "ones_like",
    "randi",
    "randi_like",
    "randn",
    "randn_like",
    "randperm",
    "randu",
    "randu_like",
    "set_random_seed",
    "tensor",
    "zeros",
    "zeros_like",
]

_seed: int | None = None
_generators: dict[str, Any] = {}


def set_random_seed(seed: int) -> None:
    """Seeds the random number generators of every device (for reproducible runs).

    >>> set_random_seed(0); a = randn(2)
    >>> set_random_seed(0); b = randn(2)
    >>> bool((a == b).all())
    True
    """
    global _seed
    _seed = int(seed)
    _generators.clear()


def random_generator(device: Any) -> Any:
    """The random generator of `device` (NumPy's or CuPy's), seeded by `set_random_seed`."""
    key = str(device)
    if key not in _generators:
        if device.type == "cpu":
            _generators[key] = numpy.random.default_rng(_seed)
        else:
            xp = device.xp
            with xp.cuda.Device(device.index):
                _generators[key] = xp.random.default_rng(_seed)
    return _generators[key]


def _shape(shape: tuple[Any, ...], name: str) -> tuple[int, ...]:
    shape = varargs(shape)
    for size in shape:
        if not isinstance(size, int | numpy.integer) or isinstance(size, bool) or size < 0:
            raise ValueError(f"{name}: invalid shape {shape}; sizes must be non-negative ints")
    return tuple(int(size) for size in shape)


def _dtype(dtype: Any, default: numpy.dtype, name: str) -> numpy.dtype:
    if dtype is None:
        return default
    try:
        return to_dtype(dtype)
    except TypeError as error:
        raise TypeError(f"{name}: {error}") from None


def _sample_dtype(dtype: numpy.dtype) -> numpy.dtype:
    """The dtype to draw floats in: the generators (NumPy's and CuPy's) support only these two."""
    return dtype if dtype == float64 else float32


def _new_leaf(array: Any, req_grad: bool) -> Tensor:
    out = Tensor.__new__(Tensor)
    out.data = array
    if req_grad:
        out.req_grad = True
    return out


def tensor(
    data: Any, dtype: Any = None, device: DeviceLike | None = None, req_grad: bool = False
) -> Tensor:
    """Creates a tensor from array-like `data` (floats default to float32).

    >>> tensor([1, 2, 3])
    Tensor([1, 2, 3], dtype=int64, device=cpu)
    """
    return Tensor(data, dtype=dtype, device=device, req_grad=req_grad)


def full(
    *shape: Any,
    value: float,
    dtype: Any = None,
    device: DeviceLike | None = None,
    req_grad: bool = False,
) -> Tensor:
    """Creates a tensor of `shape` filled with `value` (float32 unless `dtype` says otherwise).

    >>> full(2, value=7, dtype="int32")
    Tensor([7, 7], dtype=int32, device=cpu)
    """
    return _filled("full", shape, value, dtype, device, req_grad)


def ones(
    *shape: Any, dtype: Any = None, device: DeviceLike | None = None, req_grad: bool = False
) -> Tensor:
    """Creates a tensor of ones.

    >>> ones(2, 3).shape
    (2, 3)
    """
    return _filled("ones", shape, 1, dtype, device, req_grad)


def zeros(
    *shape: Any, dtype: Any = None, device: DeviceLike | None = None, req_grad: bool = False
) -> Tensor:
    """Creates a tensor of zeros."""
    return _filled("zeros", shape, 0, dtype, device, req_grad)


def _filled(
    name: str,
    shape: tuple[Any, ...],
    value: Any,
    dtype: Any,
    device: DeviceLike | None,
    req_grad: bool,
) -> Tensor:
    resolved = _dtype(dtype, default_float, name)
    xp = get_device(device).xp
    return _new_leaf(xp.full(_shape(shape, name), value, dtype=resolved), req_grad)


def arange(
    start: float,
    stop: float | None = None,
    step: float = 1,
    dtype: Any = None,
    device: DeviceLike | None = None,
    req_grad: bool = False,
) -> Tensor:
    """Values from `start` (or 0) up to `stop` (excluded) in `step`s.

    >>> arange(4)
    Tensor([0, 1, 2, 3], dtype=int64, device=cpu)
    """
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if dtype is None:
        all_ints = all(isinstance(v, int) for v in (start, stop, step))
        resolved = default_int if all_ints else default_float
    else:
        resolved = _dtype(dtype, default_float, "arange")
    xp = get_device(device).xp
    return _new_leaf(xp.arange(start, stop, step, dtype=resolved), req_grad)


def randn(
    *shape: Any,
    mean: float = 0.0,
    var: float = 1.0,
    dtype: Any = None,
    device: DeviceLike | None = None,
    req_grad: bool = False,
) -> Tensor:
    """Normally distributed values with `mean` and variance `var`.

    >>> randn(2, 3, mean=1.0, var=4.0).shape
    (2, 3)
    """
    resolved_device = get_device(device)
    resolved = _dtype(dtype, default_float, "randn")
    _need_float(resolved, "randn")
    if not var >= 0:
        raise ValueError(f"randn: var must be non-negative, got {var}")
    generator = random_generator(resolved_device)
    # standard_normal exists on both NumPy's and CuPy's generators (CuPy's has no `normal`).
    values = generator.standard_normal(_shape(shape, "randn"), dtype=_sample_dtype(resolved))
    if var != 1:
        values *= var**0.5
    if mean != 0:
        values += mean
    return _new_leaf(values.astype(resolved, copy=False), req_grad)


def randu(
    *shape: Any,
    low: float = -1.0,
    high: float = 1.0,
    dtype: Any = None,
    device: DeviceLike | None = None,
    req_grad: bool = False,
) -> Tensor:
    """Uniformly distributed values in [low, high).

    >>> values = randu(100, low=2.0, high=3.0)
    >>> bool((values >= 2.0).all() and (values < 3.0).all())
    True
    """
    resolved_device = get_device(device)
    resolved = _dtype(dtype, default_float, "randu")
    _need_float(resolved, "randu")
    if not low <= high:
        raise ValueError(f"randu: low must not exceed high, got low={low}, high={high}")
    generator = random_generator(resolved_device)
    values = generator.random(_shape(shape, "randu"), dtype=_sample_dtype(resolved))
    values *= high - low
    values += low
    values = values.astype(resolved, copy=False)
    # Rounding of low + (high - low) * u (and of the cast to float16) can land exactly on high.
    largest_below_high = numpy.nextafter(resolved.type(high), resolved.type(low))
    return _new_leaf(resolved_device.xp.minimum(values, largest_below_high, out=values), req_grad)


def randi(
    *shape: Any,
    low: int,
    high: int,
    dtype: Any = None,
    device: DeviceLike | None = None,
) -> Tensor:
    """Random integers in [low, high) (int64 unless `dtype` says otherwise).

    >>> randi(3, low=0, high=1).data.tolist()
    [0, 0, 0]
    """
    resolved_device = get_device(device)
    resolved = _dtype(dtype, default_int, "randi")
    if not low < high:
        raise ValueError(f"randi: low must be less than high, got low={low}, high={high}")
    if resolved.kind in "iub":
        info = numpy.iinfo(resolved) if resolved.kind != "b" else None
        smallest, largest = (0, 1) if info is None else (info.min, info.max)
        if low < smallest or high - 1 > largest:
            raise ValueError(
                f"randi: [{low}, {high}) does not fit dtype {resolved} "
                f"(values from {smallest} to {largest})"
            )
    values = random_generator(resolved_device).integers(low, high, _shape(shape, "randi"))
    return _new_leaf(values.astype(resolved, copy=False), False)


def randperm(n: int, dtype: Any = None, device: DeviceLike | None = None) -> Tensor:
    """A random permutation of 0..n-1.

    >>> sorted(randperm(4).data.tolist())
    [0, 1, 2, 3]
    """
    if not isinstance(n, int | numpy.integer) or isinstance(n, bool) or n < 0:
        raise ValueError(f"randperm: n must be a non-negative int, got {n!r}")
    resolved_device = get_device(device)
    resolved = _dtype(dtype, default_int, "randperm")
    generator = random_generator(resolved_device)
    if hasattr(generator, "permutation"):
        values = generator.permutation(int(n))
    else:
        # CuPy's generator has no permutation: sorting uniform keys gives a uniform one.
        values = resolved_device.xp.argsort(generator.random(int(n)))
    return _new_leaf(values.astype(resolved, copy=False), False)


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
    value: float,
    dtype: Any = None,
    device: DeviceLike | None = None,
    req_grad: bool = False,
) -> Tensor:
    """A tensor shaped like `x` filled with `value`."""
    return full(*x.shape, value=value, req_grad=req_grad, **_like_kwargs(x, dtype, device))


def ones_like(
    x: Tensor, dtype: Any = None, device: DeviceLike | None = None, req_grad: bool = False
) -> Tensor:
    """A tensor of ones shaped like `x`."""
    return full_like(x, 1, dtype, device, req_grad)


def zeros_like(
    x: Tensor, dtype: Any = None, device: DeviceLike | None = None, req_grad: bool = False
) -> Tensor:
    """A tensor of zeros shaped like `x`."""
    return full_like(x, 0, dtype, device, req_grad)


def randn_like(
    x: Tensor,
    mean: float = 0.0,
    var: float = 1.0,
    dtype: Any = None,
    device: DeviceLike | None = None,
    req_grad: bool = False,
) -> Tensor:
    """Normal values shaped like `x`."""
    return randn(*x.shape, mean=mean, var=var, req_grad=req_grad, **_like_kwargs(x, dtype, device))


def randu_like(
    x: Tensor,
    low: float = -1.0,
    high: float = 1.0,
    dtype: Any = None,
    device: DeviceLike | None = None,
    req_grad: bool = False,
) -> Tensor:
    """Uniform values shaped like `x`."""
    return randu(*x.shape, low=low, high=high, req_grad=req_grad, **_like_kwargs(x, dtype, device))


def randi_like(
    x: Tensor, low: int, high: int, dtype: Any = None, device: DeviceLike | None = None
) -> Tensor:
    """Random integers shaped like `x`."""
    kwargs = _like_kwargs(x, dtype, device)
    if dtype is None and x.dtype.kind == "f":
        kwargs["dtype"] = default_int
    return randi(*x.shape, low=low, high=high, **kwargs)
