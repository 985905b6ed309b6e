"""Reductions over dims: sum, mean, var, std, max, min, argmax, argmin, logsumexp.

The ops receive `dims` as a sorted tuple of non-negative dims (see `normalize_dims`) and
`keepdims`; the functions below validate the user's `dim` and pick the op.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy

from autocompyute import _engine
from autocompyute.autograd.op import Op, apply, wrap
from autocompyute.dtypes import int64
from autocompyute.ops.binary import maximum, minimum
from autocompyute.ops.cast import as_type
from autocompyute.ops.promotion import float_operand
from autocompyute.ops.shapes import normalize_dim, normalize_dims
from autocompyute.ops.sorting import ValuesIndices

if TYPE_CHECKING:
    from autocompyute.tensor import Tensor

__all__ = [
    "LogSumExp",
    "Max",
    "Mean",
    "Min",
    "Std",
    "Sum",
    "Var",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "correction_of",
    "expand_reduced",
    "keep",
    "logsumexp",
    "max",
    "mean",
    "min",
    "std",
    "sum",
    "var",
]

Dim = int | Sequence[int] | None


def expand_reduced(grad: Any, shape: tuple[int, ...], dims: tuple[int, ...], keepdims: bool) -> Any:
    """Reinserts the reduced `dims` into `grad` as size-1 dims (unless they were kept).

    The result broadcasts against an array of the unreduced `shape`.
    """
    if keepdims or not dims:
        return grad
    return grad.reshape(_kept_shape(shape, dims))


def spread(xp: Any, grad: Any, shape: tuple[int, ...]) -> Any:
    """Returns `grad` (with size-1 or missing leading dims) broadcast into a new array of `shape`.

    Filling a fresh array is several times faster than NumPy's Python-level `broadcast_to` for
    the small arrays where per-op cost matters, and the engine may then accumulate into it.
    """
    out = xp.empty(shape, dtype=grad.dtype)
    out[...] = grad
    return out


def _kept_shape(shape: tuple[int, ...], dims: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in dims else size for i, size in enumerate(shape))


def _reduced_shape(
    shape: tuple[int, ...], dims: tuple[int, ...], keepdims: bool
) -> tuple[int, ...]:
    if keepdims:
        return _kept_shape(shape, dims)
    return tuple(size for i, size in enumerate(shape) if i not in dims)


def _kept_mean(xp: Any, x: Any, dims: tuple[int, ...]) -> Any:
    """`x.mean(axis=dims, keepdims=True)`, for NumPy float32/float64 with NumPy's own two calls
    (sum, then an in-place division by the count) minus its Python-level wrapper."""
    count = _count(x.shape, dims)
    if xp is not numpy or x.ndim == 0 or x.dtype.kind != "f" or x.dtype.itemsize < 4 or not count:
        return x.mean(axis=dims, keepdims=True)
    total = numpy.add.reduce(x, dims, None, None, True)  # type: ignore[call-overload]
    return numpy.true_divide(total, numpy.intp(count), out=total, casting="unsafe", subok=False)


def _kept_extremum(xp: Any, x: Any, dims: tuple[int, ...], ufunc: Any) -> Any:
    """`x.max(axis=dims, keepdims=True)` (ufunc maximum) or min (minimum), for NumPy without
    its Python-level wrapper."""
    if xp is not numpy:
        return (
            x.max(axis=dims, keepdims=True)
            if ufunc is numpy.maximum
            else x.min(axis=dims, keepdims=True)
        )
    return ufunc.reduce(x, dims, None, None, True)


def _count(shape: tuple[int, ...], dims: tuple[int, ...]) -> int:
    count = 1
    for d in dims:
        count *= shape[d]
    return count


class Sum(Op):
    """Sum over `dims` (a sorted tuple of non-negative dims)."""

    def forward(self, x: Any, *, dims: tuple[int, ...], keepdims: bool = False) -> Any:
        self.save_for_backward(x.shape)
        return x.sum(axis=dims, keepdims=keepdims)

    def backward(self, grad: Any) -> Any:
        (shape,) = self.saved
        grad = expand_reduced(grad, shape, self.kwargs["dims"], self.kwargs.get("keepdims", False))
        return spread(self.xp, grad, shape)


class Mean(Op):
    """Mean over `dims` (a sorted tuple of non-negative dims); NaN over zero elements."""

    def forward(self, x: Any, *, dims: tuple[int, ...], keepdims: bool = False) -> Any:
        self.save_for_backward(x.shape)
        count = _count(x.shape, dims)
        if x.dtype.kind != "f" or x.dtype.itemsize < 4 or count == 0:
            return x.mean(axis=dims, keepdims=keepdims)  # float32 accumulation, or NaN
        # sum * (1 / count) skips NumPy's Python-level mean wrapper (a large share of small ops)
        return x.sum(axis=dims, keepdims=keepdims) * (1.0 / count)

    def backward(self, grad: Any) -> Any:
        (shape,) = self.saved
        dims = self.kwargs["dims"]
        grad = expand_reduced(grad, shape, dims, self.kwargs.get("keepdims", False))
        return spread(self.xp, grad * (1.0 / builtins.max(_count(shape, dims), 1)), shape)


class Var(Op):
    """Variance over `dims`: sum((x - mean)**2) / (count - ddof); NaN/inf if count <= ddof."""

    def forward(self, x: Any, *, dims: tuple[int, ...], ddof: float, keepdims: bool = False) -> Any:
        mean = _kept_mean(self.xp, x, dims)
        squares = x - mean
        squares *= squares
        out = squares.sum(axis=dims, keepdims=keepdims) / _divisor(x.shape, dims, ddof)
        self.save_for_backward(x, mean)
        return out

    def backward(self, grad: Any) -> Any:
        x, mean = self.saved
        dims, ddof = self.kwargs["dims"], self.kwargs["ddof"]
        grad = expand_reduced(grad, x.shape, dims, self.kwargs.get("keepdims", False))
        divisor = _divisor(x.shape, dims, ddof)
        scale = 2.0 / divisor if divisor > 0 else float("inf")
        grad_x = x - mean
        grad_x *= grad * scale
        return grad_x


class Std(Op):
    """Standard deviation over `dims`: sqrt of `Var`."""

    def forward(self, x: Any, *, dims: tuple[int, ...], ddof: float, keepdims: bool = False) -> Any:
        mean = _kept_mean(self.xp, x, dims)
        squares = x - mean
        squares *= squares
        out = self.xp.sqrt(squares.sum(axis=dims, keepdims=True) / _divisor(x.shape, dims, ddof))
        self.save_for_backward(x, mean, out)
        return out if keepdims else out.reshape(_reduced_shape(x.shape, dims, False))

    def backward(self, grad: Any) -> Any:
        x, mean, out = self.saved
        dims, ddof = self.kwargs["dims"], self.kwargs["ddof"]
        grad = expand_reduced(grad, x.shape, dims, self.kwargs.get("keepdims", False))
        # d std / dx = (x - mean) / (divisor * std). Where std is 0, PyTorch's gradient is 0 (a
        # subgradient) instead of 0/0; a zero divisor (count <= ddof) still gives inf/NaN.
        divisor = _divisor(x.shape, dims, ddof)
        grad_x = x - mean
        zero = out == 0
        grad_x *= grad / (self.xp.where(zero, 1, out) * divisor)
        if divisor > 0:
            grad_x = self.xp.where(zero, 0, grad_x)
        return grad_x


def _divisor(shape: tuple[int, ...], dims: tuple[int, ...], ddof: float) -> float:
    return builtins.max(_count(shape, dims) - ddof, 0)


class Max(Op):
    """Maximum over `dims`.

    Gradient rule: the gradient of each reduced slice is split evenly among all elements that
    equal the maximum (ties share it), so the gradients of a slice sum to the incoming one.
    """

    def forward(self, x: Any, *, dims: tuple[int, ...], keepdims: bool = False) -> Any:
        out = _kept_extremum(self.xp, x, dims, numpy.maximum)
        self.save_for_backward(x, out)
        return out if keepdims else out.reshape(_reduced_shape(x.shape, dims, False))

    def backward(self, grad: Any) -> Any:
        return _extremum_backward(self, grad)


class Min(Op):
    """Minimum over `dims`; ties share the gradient evenly (see `Max`)."""

    def forward(self, x: Any, *, dims: tuple[int, ...], keepdims: bool = False) -> Any:
        out = _kept_extremum(self.xp, x, dims, numpy.minimum)
        self.save_for_backward(x, out)
        return out if keepdims else out.reshape(_reduced_shape(x.shape, dims, False))

    def backward(self, grad: Any) -> Any:
        return _extremum_backward(self, grad)


def _extremum_backward(op: Op, grad: Any) -> Any:
    x, out = op.saved
    dims = op.kwargs["dims"]
    grad = expand_reduced(grad, x.shape, dims, op.kwargs.get("keepdims", False))
    hits = x == out
    # Counting in the gradient's dtype keeps the division from promoting to float64.
    ties = hits.sum(axis=dims, keepdims=True, dtype=grad.dtype)
    return op.xp.where(hits, grad / ties, 0)  # NaN in grad stays off the non-extreme elements


class LogSumExp(Op):
    """log(sum(exp(x))) over `dims`, shifted by the maximum so that exp cannot overflow.

    Over zero elements the result is -inf (the log of an empty sum), as in PyTorch.
    """

    def forward(self, x: Any, *, dims: tuple[int, ...], keepdims: bool = False) -> Any:
        xp = self.xp
        kept_shape = _kept_shape(x.shape, dims)
        if x.size == 0:
            out = xp.full(kept_shape, -float("inf"), dtype=x.dtype)
            self.save_for_backward(x, xp.ones(kept_shape, dtype=x.dtype))
        else:
            shift = _kept_extremum(xp, x, dims, numpy.maximum)
            # An infinite maximum would make x - shift NaN; shifting by 0 there is exact.
            shift = xp.where(xp.isfinite(shift), shift, 0)
            exps = xp.exp(x - shift)
            total = exps.sum(axis=dims, keepdims=True)
            out = xp.log(total)
            out += shift
            self.save_for_backward(exps, total)
        return out if keepdims else out.reshape(_reduced_shape(x.shape, dims, False))

    def backward(self, grad: Any) -> Any:
        exps, total = self.saved
        # The gradient is softmax(x) * grad; exps / total is that softmax.
        grad = expand_reduced(
            grad, exps.shape, self.kwargs["dims"], self.kwargs.get("keepdims", False)
        )
        return exps * (grad / total)


# -------------------------------------------------------------------------------------------------
# functions called by the Tensor methods (they validate the arguments)


def keep(keepdim: bool, keepdims: bool | None) -> bool:
    """PyTorch's `keepdim`, or NumPy's (and the original API's) `keepdims` when given."""
    return bool(keepdim if keepdims is None else keepdims)


def sum(
    x: Tensor,
    dim: Dim = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Sum over `dim` (int, sequence of ints, or None for all dims).

    Integer and bool tensors sum in int64 (PyTorch's rule) unless `dtype` says otherwise.

    >>> import autocompyute as ac
    >>> ac.tensor([[1.0, 2.0], [3.0, 4.0]]).sum(dim=0)
    Tensor([4.0000, 6.0000], dtype=float32, device=cpu)
    """
    dims = normalize_dims(dim, x.data.ndim, "sum")
    if dtype is not None:
        x = as_type(x, dtype)
    elif x.data.dtype.kind in "biu" and x.data.dtype != int64:
        x = as_type(x, int64)
    return apply(Sum, x, dims=dims, keepdims=keep(keepdim, keepdims))


def mean(
    x: Tensor, dim: Dim = None, keepdim: bool = False, *, keepdims: bool | None = None
) -> Tensor:
    """Mean over `dim` (int, sequence of ints, or None for all dims); integers give float32."""
    dims = normalize_dims(dim, x.data.ndim, "mean")
    return apply(Mean, float_operand(x), dims=dims, keepdims=keep(keepdim, keepdims))


def correction_of(ddof: Any, correction: Any, unbiased: Any, name: str) -> float:
    """The divisor correction from PyTorch's `correction`/`unbiased` or the original `ddof`.

    A bool in `ddof`'s position is PyTorch's positional `unbiased`.
    """
    given = [v for v in (ddof, correction, unbiased) if v is not None]
    if len(given) > 1:
        raise TypeError(f"{name}: give only one of ddof, correction and unbiased")
    if unbiased is not None or isinstance(ddof, bool):
        return 1 if (unbiased if unbiased is not None else ddof) else 0
    value = 1 if not given else given[0]
    _check_ddof(value, name)
    return value  # type: ignore[no-any-return]


def var(
    x: Tensor,
    dim: Dim = None,
    ddof: Any = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    unbiased: bool | None = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Variance over `dim` with `ddof` (PyTorch: `correction`) delta degrees of freedom.

    Args:
        x: input tensor of any shape; integer tensors give a float32 result.
        dim: dim or dims to reduce (negative counts from the end); None reduces all dims.
        ddof: the divisor is `count - ddof` (count: number of reduced elements); default 1
            (unbiased). PyTorch's `correction=` and `unbiased=` (also a bool in this position)
            say the same.
        keepdim: keep the reduced dims with size 1 (`keepdims` is accepted too).

    Returns:
        The variance; shape of `x` without (or, with `keepdims`, size 1 in) the reduced dims.

    >>> import autocompyute as ac
    >>> ac.tensor([1.0, 2.0, 3.0, 4.0]).var()
    Tensor(1.6667, dtype=float32, device=cpu)
    """
    return _moment(Var, x, dim, correction_of(ddof, correction, unbiased, "var"), keepdim, keepdims)


def std(
    x: Tensor,
    dim: Dim = None,
    ddof: Any = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    unbiased: bool | None = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Standard deviation over `dim` with `ddof` delta degrees of freedom (1: unbiased).

    Args and shapes as for `var`.

    >>> import autocompyute as ac
    >>> ac.tensor([[1.0, 3.0], [2.0, 2.0]]).std(dim=1, ddof=0)
    Tensor([1.0000, 0.0000], dtype=float32, device=cpu)
    """
    return _moment(Std, x, dim, correction_of(ddof, correction, unbiased, "std"), keepdim, keepdims)


def max(x: Tensor, dim: Any = None, keepdim: bool = False, *, keepdims: bool | None = None) -> Any:
    """Maximum, as torch.max: of all elements, along one dim with indices, or elementwise.

    Args:
        x: input tensor.
        dim: None for the maximum of all elements (a 0-d tensor); an int for (values, indices)
            along that dim; a tuple of ints for the values over those dims (as `amax`); a
            tensor for the elementwise maximum with it.
        keepdim: keep the reduced dims with size 1 (`keepdims` is accepted too).

    Returns:
        A tensor, or for an int `dim` a named tuple (values, indices). Tied maxima share the
        gradient evenly.

    Raises:
        ValueError: if a reduced dim has size 0 (the maximum of nothing is undefined).

    >>> import autocompyute as ac
    >>> ac.tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=0)
    ValuesIndices(values=Tensor([7.0000, 5.0000], dtype=float32, device=cpu), \
indices=Tensor([1, 0], dtype=int64, device=cpu))
    """
    return _extremum(Max, x, dim, keep(keepdim, keepdims), "max")


def min(x: Tensor, dim: Any = None, keepdim: bool = False, *, keepdims: bool | None = None) -> Any:
    """Minimum, as torch.min (see `max`).

    >>> import autocompyute as ac
    >>> ac.tensor([[1.0, 5.0], [7.0, 2.0]]).min(dim=1, keepdim=True).values
    Tensor([[1.0000],
            [2.0000]], dtype=float32, device=cpu)
    """
    return _extremum(Min, x, dim, keep(keepdim, keepdims), "min")


def amax(
    x: Tensor, dim: Dim = (), keepdim: bool = False, *, keepdims: bool | None = None
) -> Tensor:
    """Maximum over `dim` (an int, a tuple, or () / None for all dims); no indices."""
    return _reduce_extremum(Max, x, _all_if_empty(dim), keep(keepdim, keepdims), "amax")


def amin(
    x: Tensor, dim: Dim = (), keepdim: bool = False, *, keepdims: bool | None = None
) -> Tensor:
    """Minimum over `dim` (an int, a tuple, or () / None for all dims); no indices."""
    return _reduce_extremum(Min, x, _all_if_empty(dim), keep(keepdim, keepdims), "amin")


def _all_if_empty(dim: Dim) -> Dim:
    """PyTorch's amax/amin read `dim=()` as all dims."""
    return None if isinstance(dim, tuple | list) and not dim else dim


def argmax(
    x: Tensor, dim: int | None = None, keepdim: bool = False, *, keepdims: bool | None = None
) -> Tensor:
    """Index of the (first) maximum along `dim`; with `dim=None`, into the flattened tensor.

    The result is an int64 tensor without gradient.

    >>> import autocompyute as ac
    >>> ac.tensor([[1.0, 5.0], [7.0, 2.0]]).argmax(dim=1)
    Tensor([1, 0], dtype=int64, device=cpu)
    """
    return _arg_extremum(x, dim, keep(keepdim, keepdims), "argmax")


def argmin(
    x: Tensor, dim: int | None = None, keepdim: bool = False, *, keepdims: bool | None = None
) -> Tensor:
    """Index of the (first) minimum along `dim`; with `dim=None`, into the flattened tensor.

    >>> import autocompyute as ac
    >>> ac.tensor([[1.0, 5.0], [7.0, 2.0]]).argmin()
    Tensor(0, dtype=int64, device=cpu)
    """
    return _arg_extremum(x, dim, keep(keepdim, keepdims), "argmin")


def logsumexp(
    x: Tensor, dim: Dim = None, keepdim: bool = False, *, keepdims: bool | None = None
) -> Tensor:
    """log(sum(exp(x))) over `dim`, computed without overflow for large inputs.

    Args and shapes as for `max`; integer tensors give a float32 result. Over zero elements the
    result is -inf.

    >>> import autocompyute as ac
    >>> round(ac.tensor([1000.0, 1000.0]).logsumexp().item(), 3)  # 1000 + log(2)
    1000.693
    """
    dims = normalize_dims(dim, x.data.ndim, "logsumexp")
    return apply(LogSumExp, float_operand(x), dims=dims, keepdims=keep(keepdim, keepdims))


def _extremum(op: type[Op], x: Tensor, dim: Any, keepdims: bool, name: str) -> Any:
    if isinstance(dim, _engine.TensorCore):  # torch.max(a, b): the elementwise maximum
        return (maximum if op is Max else minimum)(x, dim)
    if isinstance(dim, int) and not isinstance(dim, bool) and x.data.ndim:
        values = _reduce_extremum(op, x, dim, keepdims, name)
        indices = _arg_extremum(x, dim, keepdims, "argmax" if op is Max else "argmin")
        return ValuesIndices(values, indices)
    return _reduce_extremum(op, x, dim, keepdims, name)


def _reduce_extremum(op: type[Op], x: Tensor, dim: Dim, keepdims: bool, name: str) -> Tensor:
    shape = x.data.shape
    dims = normalize_dims(dim, len(shape), name)
    for d in dims:
        if shape[d] == 0:
            raise ValueError(
                f"{name}: cannot reduce over dim {d}, which has size 0 (input shape {shape}); "
                f"the {'maximum' if op is Max else 'minimum'} of no elements is undefined"
            )
    return apply(op, x, dims=dims, keepdims=keepdims)


def _arg_extremum(x: Tensor, dim: int | None, keepdims: bool, name: str) -> Tensor:
    data = x.data
    axis = None if dim is None else normalize_dim(dim, data.ndim, name)
    if data.ndim == 0:
        axis = None
    if data.size == 0 if axis is None else data.shape[axis] == 0:
        where = "an empty tensor" if axis is None else f"dim {axis}, which has size 0"
        raise ValueError(f"{name}: cannot search {where} (input shape {data.shape})")
    method = data.argmax if name == "argmax" else data.argmin
    return wrap(method(axis=axis, keepdims=keepdims))


def _moment(
    op: type[Op], x: Tensor, dim: Dim, ddof: float, keepdim: bool, keepdims: bool | None
) -> Tensor:
    dims = normalize_dims(dim, x.data.ndim, "var" if op is Var else "std")
    return apply(op, float_operand(x), dims=dims, ddof=ddof, keepdims=keep(keepdim, keepdims))


def _check_ddof(ddof: Any, name: str) -> None:
    if isinstance(ddof, bool) or not isinstance(ddof, int | float) or ddof < 0:
        raise ValueError(f"{name}: ddof must be a non-negative number, got {ddof!r}")
