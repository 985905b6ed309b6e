"""Running totals along a dim: cumsum and cumprod."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autocompyute.autograd.op import Op, apply
from autocompyute.dtypes import int64
from autocompyute.ops.cast import as_type
from autocompyute.ops.movement import view
from autocompyute.ops.shapes import normalize_dim

if TYPE_CHECKING:
    from autocompyute.tensor import Tensor

__all__ = ["CumProd", "CumSum", "cumprod", "cumsum"]


def _reverse_cumsum(xp: Any, grad: Any, axis: int) -> Any:
    flipped = xp.flip(grad, axis=axis)
    return xp.flip(xp.cumsum(flipped, axis=axis), axis=axis)


class CumSum(Op):
    """Running sum along `dim`."""

    def forward(self, x: Any, *, dim: int) -> Any:
        return self.xp.cumsum(x, axis=dim, dtype=x.dtype)

    def backward(self, grad: Any) -> Any:
        # Element i contributes to outputs i, i+1, ...: its gradient is the sum of theirs.
        return _reverse_cumsum(self.xp, grad, self.kwargs["dim"])


class CumProd(Op):
    """Running product along `dim`."""

    def forward(self, x: Any, *, dim: int) -> Any:
        out = self.xp.cumprod(x, axis=dim, dtype=x.dtype)
        self.save_for_backward(x, out)
        return out

    def backward(self, grad: Any) -> Any:
        x, out = self.saved
        xp = self.xp
        axis = self.kwargs["dim"]
        if bool((x != 0).all()):
            return _reverse_cumsum(xp, grad * out, axis) / x
        # With zeros, dividing by x is undefined: form each element's product without it.
        result = xp.empty_like(x)
        prefix = (slice(None),) * axis
        for k in range(x.shape[axis]):
            without_k = x.copy()
            without_k[(*prefix, k)] = 1
            partial = xp.cumprod(without_k, axis=axis)
            tail = (*prefix, slice(k, None))
            result[(*prefix, k)] = (grad[tail] * partial[tail]).sum(axis=axis)
        return result


def _scan(op: type[Op], x: Tensor, dim: int, dtype: Any, name: str) -> Tensor:
    data = x.data
    axis = normalize_dim(dim, data.ndim, name)
    if dtype is not None:
        x = as_type(x, dtype)
    elif data.dtype.kind in "biu":
        x = as_type(x, int64)  # PyTorch's rule for integer and bool inputs
    if data.ndim == 0:
        return view(apply(op, view(x, 1), dim=0), ())
    return apply(op, x, dim=axis)


def cumsum(x: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """Running sum along `dim` (integer and bool tensors give int64, as in PyTorch).

    >>> import autocompyute as ac
    >>> ac.tensor([1, 2, 3]).cumsum(0).tolist()
    [1, 3, 6]
    """
    return _scan(CumSum, x, dim, dtype, "cumsum")


def cumprod(x: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """Running product along `dim` (gradients are exact also where x has zeros).

    >>> import autocompyute as ac
    >>> ac.tensor([1.0, 2.0, 3.0]).cumprod(0).tolist()
    [1.0, 2.0, 6.0]
    """
    return _scan(CumProd, x, dim, dtype, "cumprod")
