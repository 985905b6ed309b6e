"""Layer normalization and batch normalization as fused ops."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autocompyute import kernels
from autocompyute.autograd.op import Op
from autocompyute.tensor import Tensor

__all__ = ["batch_norm", "batchnorm", "check_same_float_dtype", "layer_norm", "layernorm"]


def _normalize(x: Any, axes: tuple[int, ...], eps: float, xp: Any) -> tuple[Any, Any, Any, Any]:
    """Returns (x - mean) / sqrt(var + eps), 1 / sqrt(var + eps), mean and biased var."""
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=axes, keepdims=True)
    inv_std = var + eps
    xp.sqrt(inv_std, out=inv_std)
    xp.reciprocal(inv_std, out=inv_std)
    centered *= inv_std
    return centered, inv_std, mean, var


def _normalized_grad(grad_normed: Any, normed: Any, inv_std: Any, axes: tuple[int, ...]) -> Any:
    """Gradient w.r.t. x of (x - mean) / std when mean and std come from x over `axes`."""
    mean_grad = grad_normed.mean(axis=axes, keepdims=True)
    mean_grad_normed = (grad_normed * normed).mean(axis=axes, keepdims=True)
    grad_x = grad_normed - mean_grad
    grad_x -= normed * mean_grad_normed
    grad_x *= inv_std
    return grad_x


class LayerNormOp(Op):
    """Normalizes over the last `n_dims` dims, then scales by w and shifts by b (both optional)."""

    def forward(self, x: Any, w: Any, b: Any, *, n_dims: int, eps: float) -> Any:
        if kernels.compiled(x, w, b):
            out, rows, mean, inv_std = kernels.layer_norm(x, w, b, n_dims, eps)
            # the compiled backward recomputes the normalized rows from x, mean and inv_std
            self.save_for_backward(rows, mean, inv_std, w)
            return out
        axes = tuple(range(x.ndim - n_dims, x.ndim))
        normed, inv_std, _, _ = _normalize(x, axes, eps, self.xp)
        self.save_for_backward(normed, inv_std, w)
        if w is None:
            out = normed.copy() if b is None else normed + b
        else:
            out = normed * w
            if b is not None:
                out += b
        return out

    def backward(self, grad: Any) -> tuple[Any, Any, Any]:
        if len(self.saved) == 4:  # saved by the compiled forward
            rows, mean, inv_std, w = self.saved
            param_shape = grad.shape[grad.ndim - self.kwargs["n_dims"] :]
            return kernels.layer_norm_backward(
                rows, mean, inv_std, w, grad, self.needs_grad, param_shape
            )
        normed, inv_std, w = self.saved
        needs_grad = self.needs_grad
        n_dims = self.kwargs["n_dims"]
        axes = tuple(range(grad.ndim - n_dims, grad.ndim))
        leading = tuple(range(grad.ndim - n_dims))
        grad_x = grad_w = grad_b = None
        if needs_grad[0]:
            grad_normed = grad if w is None else grad * w
            grad_x = _normalized_grad(grad_normed, normed, inv_std, axes)
        if needs_grad[1]:
            grad_w = (grad * normed).sum(axis=leading)
        if needs_grad[2]:
            grad_b = grad.sum(axis=leading)
        return grad_x, grad_w, grad_b


class BatchNormOp(Op):
    """Normalizes each channel (dim 1) over the batch and spatial dims, then scales and shifts.

    In training, normalizes with the batch statistics and updates the running statistics in
    place (unbiased variance); in evaluation, normalizes with the running statistics.
    """

    def forward(
        self,
        x: Any,
        w: Any,
        b: Any,
        *,
        running_mean: Any,
        running_var: Any,
        momentum: float,
        eps: float,
        training: bool,
    ) -> Any:
        xp = self.xp
        axes = (0, *range(2, x.ndim))
        channel_shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        if training:
            normed, inv_std, mean, var = _normalize(x, axes, eps, xp)
            if running_mean is not None:
                count = x.size // x.shape[1]
                running_mean *= 1.0 - momentum
                running_mean += momentum * mean.reshape(-1)
                running_var *= 1.0 - momentum
                running_var += (momentum * count / (count - 1)) * var.reshape(-1)
        else:
            inv_std = xp.reciprocal(xp.sqrt(running_var + eps)).reshape(channel_shape)
            normed = x - running_mean.reshape(channel_shape)
            normed *= inv_std
        w_channels = None if w is None else w.reshape(channel_shape)
        self.save_for_backward(normed, inv_std, w_channels)
        out = normed.copy() if w is None else normed * w_channels
        if b is not None:
            out += b.reshape(channel_shape)
        return out

    def backward(self, grad: Any) -> tuple[Any, Any, Any]:
        normed, inv_std, w_channels = self.saved
        needs_grad = self.needs_grad
        axes = (0, *range(2, grad.ndim))
        grad_x = grad_w = grad_b = None
        if needs_grad[0]:
            grad_normed = grad if w_channels is None else grad * w_channels
            if self.kwargs["training"]:
                grad_x = _normalized_grad(grad_normed, normed, inv_std, axes)
            else:
                grad_x = grad_normed * inv_std
        if needs_grad[1]:
            grad_w = (grad * normed).sum(axis=axes)
        if needs_grad[2]:
            grad_b = grad.sum(axis=axes)
        return grad_x, grad_w, grad_b


def _check_param(param: Tensor | None, shape: tuple[int, ...], name: str, function: str) -> None:
    if param is not None and param.shape != shape:
        raise ValueError(f"{function}: {name} must have shape {shape}, got {param.shape}")


def check_same_float_dtype(function: str, x: Tensor, **others: Tensor | None) -> None:
    """Raises TypeError unless `x` is floating point and every given tensor shares its dtype.

    Forward would silently promote mixed dtypes and backward then fail (PyTorch rejects them
    in forward too).
    """
    if x.dtype.kind != "f":
        raise TypeError(f"{function}: input must be a floating-point tensor, got {x.dtype}")
    mismatched = {
        name: other.dtype
        for name, other in others.items()
        if other is not None and other.dtype != x.dtype
    }
    if mismatched:
        listed = ", ".join(f"{name} {dtype}" for name, dtype in mismatched.items())
        raise TypeError(
            f"{function}: expected every tensor to have the input's dtype {x.dtype}, got {listed}"
        )


def layernorm(
    x: Tensor, w: Tensor | None = None, b: Tensor | None = None, eps: float = 1e-5
) -> Tensor:
    """Layer normalization: normalizes over the trailing dims shaped like `w`, then `* w + b`.

    Uses the biased variance, as PyTorch does.

    Args:
        x: input of shape (..., D) (or (..., *normalized_shape)).
        w: scale of shape (D,) (or normalized_shape); None for no scale.
        b: shift shaped like `w`; None for no shift.
        eps: added to the variance for numerical stability.

    Returns:
        Tensor shaped like `x`.

    >>> import autocompyute as ac
    >>> layernorm(ac.tensor([[1.0, 3.0]]), ac.ones(2), ac.zeros(2))
    Tensor([[-1.0000,  1.0000]], dtype=float32, device=cpu)
    """
    reference = w if w is not None else b
    normalized_shape = x.shape[-1:] if reference is None else reference.shape
    n_dims = len(normalized_shape)
    if x.ndim < n_dims or x.shape[x.ndim - n_dims :] != normalized_shape:
        raise ValueError(
            f"layernorm: input of shape {x.shape} does not end with the normalized shape "
            f"{normalized_shape}"
        )
    _check_param(w, normalized_shape, "weights", "layernorm")
    _check_param(b, normalized_shape, "biases", "layernorm")
    check_same_float_dtype("layernorm", x, weight=w, bias=b)
    return LayerNormOp.apply(x, w, b, n_dims=n_dims, eps=float(eps))


def layer_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Layer normalization over the trailing `normalized_shape` dims, as PyTorch's `layer_norm`.

    Args:
        input: tensor of shape (..., *normalized_shape).
        normalized_shape: the trailing dims to normalize over (int or sequence).
        weight: scale of shape `normalized_shape`, or None.
        bias: shift of shape `normalized_shape`, or None.
        eps: added to the (biased) variance.

    >>> import autocompyute as ac
    >>> layer_norm(ac.tensor([[1.0, 3.0]]), (2,))
    Tensor([[-1.0000,  1.0000]], dtype=float32, device=cpu)
    """
    shape = (
        (normalized_shape,)
        if isinstance(normalized_shape, int)
        else tuple(int(size) for size in normalized_shape)
    )
    n_dims = len(shape)
    if not n_dims or input.ndim < n_dims or input.shape[input.ndim - n_dims :] != shape:
        raise ValueError(
            f"layer_norm: input of shape {input.shape} does not end with the "
            f"normalized shape {shape}"
        )
    _check_param(weight, shape, "weight", "layer_norm")
    _check_param(bias, shape, "bias", "layer_norm")
    check_same_float_dtype("layer_norm", input, weight=weight, bias=bias)
    return LayerNormOp.apply(input, weight, bias, n_dims=n_dims, eps=float(eps))


def batchnorm(
    x: Tensor,
    rmean: Tensor | None,
    rvar: Tensor | None,
    w: Tensor | None = None,
    b: Tensor | None = None,
    momentum: float = 0.1,
    eps: float = 1e-5,
    training: bool = True,
) -> Tensor:
    """Batch normalization over dim 1 (channels), as PyTorch's `batch_norm`.

    Training normalizes with the batch mean and (biased) variance over all dims but 1 and updates
    `rmean`/`rvar` in place: `r = (1 - momentum) * r + momentum * batch_stat`, using the unbiased
    variance for `rvar`. Evaluation normalizes with `rmean`/`rvar`.

    Args:
        x: input of shape (B, C) or (B, C, ...).
        rmean: running mean of shape (C,) (may be None when training).
        rvar: running variance of shape (C,) (may be None when training).
        w: scale of shape (C,), or None.
        b: shift of shape (C,), or None.
        momentum: weight of the batch statistics in the running statistics.
        eps: added to the variance for numerical stability.
        training: use batch statistics (True) or the running statistics (False).

    Returns:
        Tensor shaped like `x`.

    >>> import autocompyute as ac
    >>> rmean, rvar = ac.zeros(2), ac.ones(2)
    >>> batchnorm(ac.tensor([[1.0, 2.0], [3.0, 6.0]]), rmean, rvar)
    Tensor([[-1.0000, -1.0000],
            [ 1.0000,  1.0000]], dtype=float32, device=cpu)
    >>> rmean
    Tensor([0.2000, 0.4000], dtype=float32, device=cpu)
    """
    if x.ndim < 2:
        raise ValueError(f"batchnorm: input must have shape (B, C) or (B, C, ...), got {x.shape}")
    for name, param in (("rmean", rmean), ("rvar", rvar), ("weights", w), ("biases", b)):
        if param is not None and param.shape != (x.shape[1],):
            raise ValueError(
                f"batchnorm: input of shape {x.shape} has {x.shape[1]} channels (dim 1), but "
                f"{name} has shape {param.shape}"
            )
    if (rmean is None) != (rvar is None):
        raise ValueError("batchnorm: give both rmean and rvar, or neither")
    if training and x.numel() // max(x.shape[1], 1) < 2:
        raise ValueError(
            f"batchnorm: training needs more than one value per channel, got input of shape "
            f"{x.shape}"
        )
    if not training and rmean is None:
        raise ValueError("batchnorm: evaluation (training=False) needs rmean and rvar")
    check_same_float_dtype("batchnorm", x, weight=w, bias=b, running_mean=rmean, running_var=rvar)
    return BatchNormOp.apply(
        x,
        w,
        b,
        running_mean=None if rmean is None else rmean.data,
        running_var=None if rvar is None else rvar.data,
        momentum=float(momentum),
        eps=float(eps),
        training=bool(training),
    )


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalization over dim 1 with PyTorch's argument order (see `batchnorm`).

    >>> import autocompyute as ac
    >>> batch_norm(ac.tensor([[1.0, 2.0], [3.0, 6.0]]), None, None, training=True)
    Tensor([[-1.0000, -1.0000],
            [ 1.0000,  1.0000]], dtype=float32, device=cpu)
    """
    return batchnorm(input, running_mean, running_var, weight, bias, momentum, eps, training)
