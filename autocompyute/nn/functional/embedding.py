"""Embedding lookup: rows of a weight table selected by integer indices."""

from __future__ import annotations

from typing import Any

from autocompyute.autograd.op import Op
from autocompyute.tensor import Tensor

__all__ = ["embedding"]


class EmbeddingOp(Op):
    """w[indices]; the gradient scatter-adds into the rows, so repeated indices accumulate."""

    def forward(self, indices: Any, w: Any) -> Any:
        self.save_for_backward(indices, w.shape)
        return w[indices]

    def backward(self, grad: Any) -> tuple[None, Any]:
        indices, shape = self.saved
        grad_w = self.xp.zeros(shape, dtype=grad.dtype)
        self.xp.add.at(grad_w, indices, grad)
        return None, grad_w


def embedding(indices: Tensor, w: Tensor) -> Tensor:
    """Looks up the rows of `w` at `indices`.

    Args:
        indices: integer tensor of any shape (...), values in [0, n_emb).
        w: weight table of shape (n_emb, emb_dim).

    Returns:
        Tensor of shape (..., emb_dim).

    >>> import autocompyute as ac
    >>> embedding(ac.tensor([[0, 2]]), ac.randn(3, 4)).shape
    (1, 2, 4)
    """
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be an integer tensor, got {indices.dtype}")
    if w.ndim != 2:
        raise ValueError(f"embedding: weights must have shape (n_emb, emb_dim), got {w.shape}")
    data = indices.data
    if data.size and type(data).__module__ == "numpy":
        # CuPy would wrap out-of-range indices silently; on the CPU the check is cheap.
        low, high = int(data.min()), int(data.max())
        if low < 0 or high >= w.shape[0]:
            raise IndexError(
                f"embedding: indices must be in [0, {w.shape[0]}), got values in [{low}, {high}]"
            )
    return EmbeddingOp.apply(indices, w)
