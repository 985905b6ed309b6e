"""Scaled dot-product attention as one fused op (all heads at once)."""

from __future__ import annotations

import math
from typing import Any

import numpy

from autocompyute.autograd.op import Op
from autocompyute.nn.functional import softmax_kernels
from autocompyute.nn.functional.dropout import random_keep_mask
from autocompyute.tensor import Tensor

__all__ = ["scaled_dot_product_attention"]


class ScaledDotProductAttention(Op):
    """softmax(q @ k^T * scale + mask) @ v, with optional inverted dropout on the weights.

    `mask` is a raw array broadcastable to (..., T, S): boolean (True = attend) or additive
    (e.g. 0 / -inf); `causal` applies a lower-triangular mask without one (used when there is
    no other mask). `keep` is a boolean dropout mask of shape (..., T, S) or None.
    """

    def forward(
        self,
        q: Any,
        k: Any,
        v: Any,
        *,
        scale: float,
        mask: Any,
        keep: Any,
        keep_scale: float,
        causal: bool = False,
    ) -> Any:
        xp = self.xp
        scores = q @ xp.swapaxes(k, -1, -2)
        scores *= scale
        if mask is not None:
            if mask.dtype.kind == "b":
                scores = xp.where(mask, scores, -xp.inf)
            else:
                scores += mask
        # A query whose keys are all masked gets weights 0 (output 0, no gradient) as in
        # PyTorch, instead of the 0/0 of a softmax over nothing but -inf.
        blocked = None
        if mask is not None:
            blocked = (scores == -xp.inf).all(axis=-1, keepdims=True)
            if blocked.any():
                scores = xp.where(blocked, 0, scores)
            else:
                blocked = None
        # Softmax over the keys, in place on the scores buffer.
        weights = softmax_kernels.softmax(xp, scores, -1, overwrite=True, causal=causal)
        if blocked is not None:
            weights *= ~blocked
        self.save_for_backward(q, k, v, weights)
        if keep is not None:
            weights = weights * keep
            weights *= keep_scale
        return weights @ v

    def backward(self, grad: Any) -> tuple[Any, Any, Any]:
        xp = self.xp
        q, k, v, weights = self.saved
        keep, keep_scale = self.kwargs["keep"], self.kwargs["keep_scale"]
        needs_grad = self.needs_grad
        grad_q = grad_k = grad_v = None
        # With q, k and v of one shape (self-attention), their gradients are written into one
        # (3, *shape) array instead of three separate ones.
        together = all(needs_grad) and q.shape == k.shape == v.shape and grad.shape == q.shape
        grads = xp.empty((3, *q.shape), dtype=grad.dtype) if together else (None, None, None)
        if needs_grad[2]:
            dropped = weights if keep is None else weights * keep * keep_scale
            grad_v = xp.matmul(xp.swapaxes(dropped, -1, -2), grad, out=grads[2])
            del dropped
        if needs_grad[0] or needs_grad[1]:
            grad_weights = grad @ xp.swapaxes(v, -1, -2)
            if keep is not None:
                grad_weights *= keep
                grad_weights *= keep_scale
            # Softmax backward, then the scale of the scores.
            grad_scores = softmax_kernels.softmax_backward(grad_weights, weights, -1, True)
            grad_scores *= self.kwargs["scale"]
            if needs_grad[0]:
                grad_q = xp.matmul(grad_scores, k, out=grads[0])
            if needs_grad[1]:
                grad_k = xp.matmul(xp.swapaxes(grad_scores, -1, -2), q, out=grads[1])
        return grad_q, grad_k, grad_v


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
    *,
    mask: Tensor | None = None,
    training: bool = True,
) -> Tensor:
    """Attention `softmax(q @ k^T * scale + mask) @ v`, all heads in one fused op.

    PyTorch's signature; dropout applies whenever `dropout_p > 0` (pass
    `dropout_p if self.training else 0.0`, as PyTorch code does).

    Args:
        query: queries of shape (..., T, D), e.g. (B, H, T, D).
        key: keys of shape (..., S, D).
        value: values of shape (..., S, Dv).
        attn_mask: optional mask broadcastable to (..., T, S): boolean (True where a query may
            attend to a key) or additive float (0 to keep, -inf to block). It gets no gradient.
        dropout_p: dropout probability on the attention weights.
        is_causal: block keys after each query position (a lower-triangular mask).
        scale: factor of the scores (default 1 / sqrt(D)).
        enable_gqa: grouped-query attention; only False is supported.
        mask: the original AutoCompyute's name of `attn_mask` (keyword only).
        training: the original's switch: False disables dropout (keyword only).

    Returns:
        Tensor of shape (..., T, Dv).

    >>> import autocompyute as ac
    >>> q = k = v = ac.randn(2, 4, 8, 16)
    >>> scaled_dot_product_attention(q, k, v, is_causal=True).shape
    (2, 4, 8, 16)
    """
    function = "scaled_dot_product_attention"
    q, k, v = query, key, value
    if mask is not None:
        if attn_mask is not None:
            raise ValueError(f"{function}: give attn_mask or mask, not both")
        attn_mask = mask
    mask = attn_mask
    if enable_gqa:
        raise ValueError(f"{function}: enable_gqa=True is not supported")
    if q.ndim < 2 or k.ndim != q.ndim or v.ndim != q.ndim:
        raise ValueError(
            f"{function}: q, k, v must have shapes (..., T, D), (..., S, D), "
            f"(..., S, Dv) with the same number of dims, got {q.shape}, {k.shape}, {v.shape}"
        )
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"{function}: shapes do not fit: q {q.shape}, k {k.shape}, "
            f"v {v.shape} (need q and k to share D and k and v to share S)"
        )
    if q.dtype.kind != "f" or k.dtype != q.dtype or v.dtype != q.dtype:
        raise TypeError(
            f"{function}: query, key and value must have the same float dtype, "
            f"got {q.dtype}, {k.dtype} and {v.dtype}"
        )
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{function}: dropout_p must be in [0, 1], got {dropout_p}")
    n_queries, n_keys = q.shape[-2], k.shape[-2]
    xp = q.device.xp
    mask_data = None
    if mask is not None:
        mask_data = mask.data if isinstance(mask, Tensor) else xp.asarray(mask)
        scores_shape = (*numpy.broadcast_shapes(q.shape[:-2], k.shape[:-2]), n_queries, n_keys)
        try:
            fits = numpy.broadcast_shapes(tuple(mask_data.shape), scores_shape) == scores_shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(
                f"scaled_dot_product_attention: mask of shape {tuple(mask_data.shape)} does not "
                f"broadcast to the scores of shape {scores_shape}"
            )
        if mask_data.dtype.kind not in "bf":
            raise TypeError(
                f"scaled_dot_product_attention: mask must be boolean or float, got "
                f"{mask_data.dtype}"
            )
        if mask_data.dtype.kind == "f" and mask_data.dtype != q.dtype:
            mask_data = mask_data.astype(q.dtype)
    # A causal mask alone needs no mask array: the softmax skips the keys after each query.
    causal_only = is_causal and mask_data is None
    if is_causal and not causal_only:
        causal = xp.tril(xp.ones((n_queries, n_keys), dtype=bool))
        mask_data = _combine(mask_data, causal, xp)
    keep, keep_scale = None, 1.0
    if training and dropout_p > 0.0:
        scores_shape = (*q.shape[:-1], n_keys)
        keep = random_keep_mask(scores_shape, dropout_p, q)
        keep_scale = 0.0 if dropout_p == 1.0 else 1.0 / (1.0 - dropout_p)
    return ScaledDotProductAttention.apply(
        q,
        k,
        v,
        scale=1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale),
        mask=mask_data,
        keep=keep,
        keep_scale=keep_scale,
        causal=causal_only,
    )


def _combine(mask: Any, causal: Any, xp: Any) -> Any:
    """Combines a user mask with the causal mask (the result blocks what either blocks)."""
    if mask.dtype.kind == "b":
        return mask & causal
    return xp.where(causal, mask, -xp.inf).astype(mask.dtype)
