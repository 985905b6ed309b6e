"""Embedding lookup: rows of a weight table selected by integer indices."""

from __future__ import annotations

from typing import Any

from autocompyute.autograd.op import Op
from autocompyute.tensor import Tensor

__all__ = ["embedding", "one_hot"]


class EmbeddingOp(Op):
    """w[indices]; the gradient scatter-adds into the rows, so repeated indices accumulate."""

    def forward(self, indices: Any, w: Any, *, padding_idx: int | None = None) -> Any:
        self.save_for_backward(indices, w.shape)
        return w[indices]

    def backward(self, grad: Any) -> tuple[None, Any]:
        indices, shape = self.saved
        grad_w = self.xp.zeros(shape, dtype=grad.dtype)
        self.xp.add.at(grad_w, indices, grad)
        padding_idx = self.kwargs.get("padding_idx")
        if padding_idx is not None:
            grad_w[padding_idx] = 0  # the padding row is never trained (PyTorch's rule)
        return None, grad_w


def embedding(indices: Tensor, w: Tensor, padding_idx: int | None = None) -> Tensor:
    """Looks up the rows of `w` at `indices` (PyTorch's `embedding(input, weight, padding_idx)`).

    Args:
        indices: integer tensor of any shape (...), values in [0, n_emb).
        w: weight table of shape (n_emb, emb_dim).
        padding_idx: a row that gets no gradient (negative counts from the end).

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
    if padding_idx is not None:
        if not -w.shape[0] <= padding_idx < w.shape[0]:
            raise ValueError(
                f"embedding: padding_idx must be within the {w.shape[0]} rows, got {padding_idx}"
            )
        padding_idx %= w.shape[0]
    return EmbeddingOp.apply(indices, w, padding_idx=padding_idx)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding: shape (..., num_classes), 1 at each index (PyTorch's `one_hot`).

    Args:
        tensor: integer class indices of any shape.
        num_classes: number of classes; -1 uses the largest index + 1.

    >>> import autocompyute as ac
    >>> one_hot(ac.tensor([0, 2])).data.tolist()
    [[1, 0, 0], [0, 0, 1]]
    """
    if tensor.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected an integer tensor of class indices, got {tensor.dtype}")
    data = tensor.data
    xp = tensor.device.xp
    if num_classes == -1:
        if not data.size:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor")
        num_classes = int(data.max()) + 1
    if data.size and (int(data.min()) < 0 or int(data.max()) >= num_classes):
        raise ValueError(
            f"one_hot: class values must be in [0, {num_classes}), got values in "
            f"[{int(data.min())}, {int(data.max())}]"
        )
    return Tensor(xp.eye(num_classes, dtype="int64")[data])
