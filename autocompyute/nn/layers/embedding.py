"""Embedding layer: a learnable lookup table."""

from __future__ import annotations

from autocompyute import factories
from autocompyute.nn.functional.embedding import embedding
from autocompyute.nn.module import Module, Parameter
from autocompyute.tensor import Tensor

__all__ = ["Embedding"]


class Embedding(Module):
    """Maps integer indices to learnable vectors (rows of `weight`, initialized normal(0, 1)).

    Args:
        n_emb: number of embeddings (valid indices are 0..n_emb-1).
        emb_dim: size of each embedding vector.

    Attributes:
        weight: table of shape (n_emb, emb_dim), labelled "Weights" (alias `w`).

    Shapes:
        integer input (...) -> output (..., emb_dim).

    >>> import autocompyute as ac
    >>> Embedding(10, 4)(ac.tensor([[1, 2, 3]])).shape
    (1, 3, 4)
    """

    aliases = {"w": "weight"}

    def __init__(self, n_emb: int, emb_dim: int) -> None:
        super().__init__()
        if n_emb < 1 or emb_dim < 1:
            raise ValueError(f"Embedding: n_emb and emb_dim must be >= 1, got {n_emb}, {emb_dim}")
        self.n_emb, self.emb_dim = n_emb, emb_dim
        self.weight = Parameter(factories.randn(n_emb, emb_dim), label="Weights")

    def forward(self, x: Tensor) -> Tensor:
        return embedding(x, self.weight)

    def extra_repr(self) -> str:
        return f"n_emb={self.n_emb}, emb_dim={self.emb_dim}"
