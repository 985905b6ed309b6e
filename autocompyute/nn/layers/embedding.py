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
        num_embeddings: number of embeddings (valid indices are 0..num_embeddings-1); the
            original AutoCompyute calls it `n_emb`.
        embedding_dim: size of each embedding vector (originally `emb_dim`).
        padding_idx: a row initialized to zeros that receives no gradient.

    Attributes:
        weight: table of shape (num_embeddings, embedding_dim), labelled "Weights" (alias `w`).

    Shapes:
        integer input (...) -> output (..., embedding_dim).

    >>> import autocompyute as ac
    >>> Embedding(10, 4)(ac.tensor([[1, 2, 3]])).shape
    (1, 3, 4)
    """

    aliases = {"w": "weight"}
    weight: Parameter

    def __init__(
        self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None
    ) -> None:
        super().__init__()
        if num_embeddings < 1 or embedding_dim < 1:
            raise ValueError(
                f"Embedding: num_embeddings and embedding_dim must be >= 1, got "
                f"{num_embeddings}, {embedding_dim}"
            )
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx must be within num_embeddings "
                    f"({num_embeddings}), got {padding_idx}"
                )
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = padding_idx
        self.weight = Parameter(factories.randn(num_embeddings, embedding_dim), label="Weights")
        if padding_idx is not None:
            self.weight.data[padding_idx] = 0

    @property
    def n_emb(self) -> int:
        """The original name of `num_embeddings`."""
        return self.num_embeddings

    @property
    def emb_dim(self) -> int:
        """The original name of `embedding_dim`."""
        return self.embedding_dim

    def forward(self, x: Tensor) -> Tensor:
        return embedding(x, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        padding = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{padding}"
