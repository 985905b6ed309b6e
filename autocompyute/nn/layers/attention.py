"""Multi-head self-attention layer."""

from __future__ import annotations

from autocompyute.autograd.op import wrap
from autocompyute.nn.functional.attention import scaled_dot_product_attention
from autocompyute.nn.layers.linear import Linear
from autocompyute.nn.module import Buffer, Module
from autocompyute.tensor import Tensor

__all__ = ["MultiHeadSelfAttention"]


class MultiHeadSelfAttention(Module):
    """Multi-head self-attention: `out(attention(q(x), k(x), v(x)))` with `n_heads` heads.

    Each head attends with `softmax(q k^T / sqrt(head_dim) + mask) v` (one fused op for all
    heads); `head_dim = in_dim / n_heads`.

    Args:
        in_dim: embedding size E (divisible by `n_heads`).
        n_heads: number of attention heads H.
        mask: optional (T, T) mask, boolean (True = attend) or additive (0 / -inf), e.g. a
            causal mask; inputs shorter than T use its top-left (t, t) part. Kept as a buffer.
        dropout: dropout probability on the attention weights (training only).
        bias: whether the projections have biases.

    Attributes:
        q, k, v: query, key and value projections, `Linear(in_dim, in_dim)` each.
        out: output projection, `Linear(in_dim, in_dim)`.

    Shapes:
        input (B, T, E) -> output (B, T, E).

    >>> import autocompyute as ac
    >>> causal = ac.ones(8, 8).tril() == 1
    >>> MultiHeadSelfAttention(16, 4, mask=causal)(ac.randn(2, 5, 16)).shape
    (2, 5, 16)
    """

    def __init__(
        self,
        in_dim: int,
        n_heads: int,
        mask: Tensor | None = None,
        dropout: float = 0.0,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if n_heads < 1 or in_dim % n_heads:
            raise ValueError(
                f"MultiHeadSelfAttention: in_dim ({in_dim}) must be divisible by n_heads "
                f"({n_heads})"
            )
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"MultiHeadSelfAttention: dropout must be in [0, 1], got {dropout}")
        if mask is not None and (mask.ndim != 2 or mask.shape[0] != mask.shape[1]):
            raise ValueError(
                f"MultiHeadSelfAttention: mask must have shape (T, T), got {mask.shape}"
            )
        self.in_dim, self.n_heads, self.dropout = in_dim, n_heads, dropout
        self.q = Linear(in_dim, in_dim, bias)
        self.k = Linear(in_dim, in_dim, bias)
        self.v = Linear(in_dim, in_dim, bias)
        self.out = Linear(in_dim, in_dim, bias)
        self.mask = None if mask is None else Buffer(mask, label="Mask")

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 3 or x.shape[-1] != self.in_dim:
            raise ValueError(
                f"MultiHeadSelfAttention: input must have shape (B, T, {self.in_dim}), "
                f"got {x.shape}"
            )
        batch, length, _ = x.shape
        mask = None
        if self.mask is not None:
            if length > self.mask.shape[0]:
                raise ValueError(
                    f"MultiHeadSelfAttention: input length {length} exceeds the mask's "
                    f"{self.mask.shape[0]} positions"
                )
            mask = wrap(self.mask.data[:length, :length])
        head_shape = (batch, length, self.n_heads, self.in_dim // self.n_heads)
        # (B, T, E) -> (B, H, T, head_dim) for each projection
        q, k, v = (
            projection(x).view(head_shape).transpose(1, 2)
            for projection in (self.q, self.k, self.v)
        )
        heads = scaled_dot_product_attention(
            q, k, v, mask, dropout_p=self.dropout, training=self.training
        )
        return self.out(heads.transpose(1, 2).view(batch, length, self.in_dim))

    def extra_repr(self) -> str:
        return f"in_dim={self.in_dim}, n_heads={self.n_heads}, dropout={self.dropout}"
