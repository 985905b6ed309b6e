"""Functions that create tensors: from data, filled, ranges and random."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy

from autocompyute.backend import DeviceLike, get_device
from autocompyute.dtypes import default_float, default_int, to_dtype
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


def _generator(device: Any) -> Any:
    key = str(device)
    if key not in _generators:
        if device.type == "cpu":
            _generators[key] = numpy.random.default_rng(_seed)
        else:
            xp = device.xp
            with xp.cuda.Device(device.index):
                _generators[key] = xp.random.default_rng(_seed)
    return _generators[key]


def _shape(shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], Sequence):
        shape = tuple(shape[0])
    for size in shape:
        if not isinstance(size, int | numpy.integer) or size < 0:
            raise ValueError(f"invalid shape {shape}: sizes must be non-negative ints")
    return tuple(int(size) for size in shape)


def _finish(array: Any, req_grad: bool) -> Tensor:
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
    """Creates a tensor of `shape` filled with `value` (float32 unless `dtype` says otherwise)."""
    resolved = to_dtype(dtype) if dtype is not None else default_float
    xp = get_device(device).xp
    return _finish(xp.full(_shape(shape), value, dtype=resolved), req_grad)


def ones(*shape: Any, dtype: Any = None, device: DeviceLike | None = None,
         req_grad: bool = False) -> Tensor:
    """Creates a tensor of ones.

    >>> ones(2, 3).shape
    (2, 3)
    """
    return full(*shape, value=1, dtype=dtype, device=device, req_grad=req_grad)


def zeros(*shape: Any, dtype: Any = None, device: DeviceLike | None = None,
          req_grad: bool = False) -> Tensor:
    """Creates a tensor of zeros."""
    return full(*shape, value=0, dtype=dtype, device=device, req_grad=req_grad)


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
    if dtype is None:
        all_ints = all(isinstance(v, int) for v in (start, stop, step))
        resolved = default_int if all_ints else default_float
    else:
        resolved = to_dtype(dtype)
    xp = get_device(device).xp
    return _finish(xp.arange(start, stop, step, dtype=resolved), req_grad)


def randn(
    *shape: Any,
    mean: float = 0.0,
    var: float = 1.0,
    dtype: Any = None,
    device: DeviceLike | None = None,
    req_grad: bool = False,
) -> Tensor:
    """Normally distributed values with `mean` and variance `var`."""
    resolved_device = get_device(device)
    resolved = to_dtype(dtype) if dtype is not None else default_float
    _need_float(resolved, "randn")
    values = _generator(resolved_device).normal(mean, var**0.5, _shape(shape))
    return _finish(values.astype(resolved, copy=False), req_grad)


def randu(
    *shape: Any,
    low: float = -1.0,
    high: float = 1.0,
    dtype: Any = None,
    device: DeviceLike | None = None,
    req_grad: bool = False,
) -> Tensor:
    """Uniformly distributed values in [low, high)."""
    resolved_device = get_device(device)
    resolved = to_dtype(dtype) if dtype is not None else default_float
    _need_float(resolved, "randu")
    values = _generator(resolved_device).uniform(low, high, _shape(shape))
    return _finish(values.astype(resolved, copy=False), req_grad)


def randi(
    *shape: Any,
    low: int,
    high: int,
    dtype: Any = None,
    device: DeviceLike | None = None,
) -> Tensor:
    """Random integers in [low, high)."""
    resolved_device = get_device(device)
    resolved = to_dtype(dtype) if dtype is not None else default_int
    values = _generator(resolved_device).integers(low, high, _shape(shape))
    return _finish(values.astype(resolved, copy=False), False)


def randperm(n: int, dtype: Any = None, device: DeviceLike | None = None) -> Tensor:
    """A random permutation of 0..n-1."""
    resolved_device = get_device(device)
    resolved = to_dtype(dtype) if dtype is not None else default_int
    values = _generator(resolved_device).permutation(n)
    return _finish(values.astype(resolved, copy=False), False)


def _need_float(dtype: numpy.dtype, name: str) -> None:
    if dtype.kind != "f":
        raise TypeError(f"{name}: dtype must be a float dtype, got {dtype}")


def _like_kwargs(x: Tensor, dtype: Any, device: DeviceLike | None) -> dict[str, Any]:
    return {"dtype": x.dtype if dtype is None else dtype,
            "device": x.device if device is None else device}


def full_like(x: Tensor, value: float, dtype: Any = None, device: DeviceLike | None = None,
              req_grad: bool = False) -> Tensor:
    """A tensor shaped like `x` filled with `value`."""
    return full(*x.shape, value=value, req_grad=req_grad, **_like_kwargs(x, dtype, device))


def ones_like(x: Tensor, dtype: Any = None, device: DeviceLike | None = None,
              req_grad: bool = False) -> Tensor:
    """A tensor of ones shaped like `x`."""
    return full_like(x, 1, dtype, device, req_grad)


def zeros_like(x: Tensor, dtype: Any = None, device: DeviceLike | None = None,
               req_grad: bool = False) -> Tensor:
    """A tensor of zeros shaped like `x`."""
    return full_like(x, 0, dtype, device, req_grad)


def randn_like(x: Tensor, mean: float = 0.0, var: float = 1.0, dtype: Any = None,
               device: DeviceLike | None = None, req_grad: bool = False) -> Tensor:
    """Normal values shaped like `x`."""
    return randn(*x.shape, mean=mean, var=var, req_grad=req_grad,
                 **_like_kwargs(x, dtype, device))


def randu_like(x: Tensor, low: float = -1.0, high: float = 1.0, dtype: Any = None,
               device: DeviceLike | None = None, req_grad: bool = False) -> Tensor:
    """Uniform values shaped like `x`."""
    return randu(*x.shape, low=low, high=high, req_grad=req_grad,
                 **_like_kwargs(x, dtype, device))


def randi_like(x: Tensor, low: int, high: int, dtype: Any = None,
               device: DeviceLike | None = None) -> Tensor:
    """Random integers shaped like `x`."""
    kwargs = _like_kwargs(x, dtype, device)
    if dtype is None and x.dtype.kind == "f":
        kwargs["dtype"] = default_int
    return randi(*x.shape, low=low, high=high, **kwargs)
