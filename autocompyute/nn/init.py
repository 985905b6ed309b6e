"""Parameter initialization as in `torch.nn.init`: every function fills a tensor in place.

Values are written straight into `tensor.data` (no graph is recorded, as under no_grad) and
drawn from the library's generator, so `ac.set_random_seed` makes them reproducible. Fans and
gains follow PyTorch: for a weight of shape (out, in, *kernel), `fan_in = in * prod(kernel)`
and `fan_out = out * prod(kernel)`.

>>> import autocompyute as ac
>>> from autocompyute import nn
>>> layer = nn.Linear(4, 3)
>>> _ = nn.init.zeros_(layer.bias)
>>> layer.bias.data.tolist()
[0.0, 0.0, 0.0]
"""

from __future__ import annotations

import math
from typing import Any

from autocompyute.factories import randn, randu
from autocompyute.tensor import Tensor

__all__ = [
    "calculate_gain",
    "constant_",
    "dirac_",
    "eye_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "orthogonal_",
    "trunc_normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]


def _check_tensor(tensor: Any, function: str) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{function}: expected a Tensor, got {type(tensor).__name__}")
    if tensor.dtype.kind != "f":
        raise TypeError(f"{function}: can only fill floating-point tensors, got {tensor.dtype}")
    return tensor


def _fill(tensor: Tensor, values: Any) -> Tensor:
    tensor.data[...] = values
    return tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity, as `torch.nn.init.calculate_gain`.

    linear, conv*, sigmoid: 1; tanh: 5/3; relu: sqrt(2); leaky_relu with slope `param`
    (default 0.01): sqrt(2 / (1 + param^2)); selu: 3/4.

    >>> calculate_gain("relu") == 2 ** 0.5
    True
    """
    linear = (
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
        "sigmoid",
    )
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, bool) or not isinstance(param, int | float):
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        else:
            slope = float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _fans(tensor: Tensor, function: str) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ValueError(
            f"{function}: fan in and fan out need a tensor with at least 2 dims, "
            f"got shape {tensor.shape}"
        )
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fills `tensor` with values drawn uniformly from [a, b)."""
    _check_tensor(tensor, "uniform_")
    return _fill(
        tensor, randu(*tensor.shape, low=a, high=b, dtype=tensor.dtype, device=tensor.device).data
    )


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fills `tensor` with values drawn from N(mean, std^2)."""
    _check_tensor(tensor, "normal_")
    if not std >= 0:
        raise ValueError(f"normal_: std must be >= 0, got {std}")
    return _fill(
        tensor,
        randn(*tensor.shape, mean=mean, var=std**2, dtype=tensor.dtype, device=tensor.device).data,
    )


def trunc_normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0
) -> Tensor:
    """Fills `tensor` with N(mean, std^2) values redrawn until they lie in [a, b].

    The same distribution as PyTorch's (which inverts the CDF instead of redrawing).
    """
    _check_tensor(tensor, "trunc_normal_")
    if not a < b:
        raise ValueError(f"trunc_normal_: need a < b, got a={a}, b={b}")
    values = randn(
        *tensor.shape, mean=mean, var=std**2, dtype=tensor.dtype, device=tensor.device
    ).data
    outside = (values < a) | (values > b)
    while bool(outside.any()):
        redrawn = randn(
            int(outside.sum()), mean=mean, var=std**2, dtype=tensor.dtype, device=tensor.device
        ).data
        values[outside] = redrawn
        outside = (values < a) | (values > b)
    return _fill(tensor, values)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fills `tensor` with `val`."""
    _check_tensor(tensor, "constant_")
    return _fill(tensor, val)


def ones_(tensor: Tensor) -> Tensor:
    """Fills `tensor` with ones."""
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Fills `tensor` with zeros."""
    return constant_(tensor, 0.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fills the 2-D `tensor` with the identity matrix (ones on the diagonal)."""
    _check_tensor(tensor, "eye_")
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only 2-D tensors are supported, got shape {tensor.shape}")
    return _fill(tensor, tensor.device.xp.eye(*tensor.shape, dtype=tensor.dtype))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fills a 3-5-D convolution weight so that the convolution is the identity per group."""
    _check_tensor(tensor, "dirac_")
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: only 3, 4 or 5-D tensors are supported, got {tensor.shape}")
    if tensor.shape[0] % groups:
        raise ValueError(f"dirac_: dim 0 ({tensor.shape[0]}) must be divisible by groups")
    out_per_group = tensor.shape[0] // groups
    values = tensor.device.xp.zeros(tensor.shape, dtype=tensor.dtype)
    centre = tuple(size // 2 for size in tensor.shape[2:])
    for group in range(groups):
        for index in range(min(out_per_group, tensor.shape[1])):
            values[(group * out_per_group + index, index, *centre)] = 1
    return _fill(tensor, values)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot uniform: U(-a, a) with `a = gain * sqrt(6 / (fan_in + fan_out))`."""
    _check_tensor(tensor, "xavier_uniform_")
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot normal: N(0, std^2) with `std = gain * sqrt(2 / (fan_in + fan_out))`."""
    _check_tensor(tensor, "xavier_normal_")
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)))


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str, function: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{function}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor, function)
    fan = fan_in if mode == "fan_in" else fan_out
    if fan == 0:
        raise ValueError(
            f"{function}: cannot initialize a tensor with zero elements (shape {tensor.shape})"
        )
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """He uniform: U(-b, b) with `b = gain * sqrt(3 / fan)` (gain from `calculate_gain`)."""
    _check_tensor(tensor, "kaiming_uniform_")
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(
    tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """He normal: N(0, std^2) with `std = gain / sqrt(fan)`."""
    _check_tensor(tensor, "kaiming_normal_")
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_"))


def orthogonal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Fills `tensor` (viewed as rows = dim 0, columns = the rest) with a random orthogonal
    matrix times `gain` (QR of a Gaussian matrix, signs fixed so it is uniformly distributed)."""
    _check_tensor(tensor, "orthogonal_")
    if tensor.ndim < 2:
        raise ValueError(
            f"orthogonal_: only tensors with 2 or more dims are supported, got shape {tensor.shape}"
        )
    xp = tensor.device.xp
    rows = tensor.shape[0]
    columns = tensor.data.size // rows if rows else 0
    flat = randn(rows, columns, dtype="float64", device=tensor.device).data
    if rows < columns:
        flat = flat.T
    q, r = xp.linalg.qr(flat)
    q *= xp.sign(xp.diagonal(r))
    if rows < columns:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape).astype(tensor.dtype))
