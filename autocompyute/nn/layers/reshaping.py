"""Shape layers: Flatten and Reshape (both keep the batch dim)."""

from __future__ import annotations

from collections.abc import Sequence

from autocompyute.nn.module import Module
from autocompyute.tensor import Tensor

__all__ = ["Flatten", "Reshape"]


class Flatten(Module):
    """Flattens all dims but the first (batch) one: (B, ...) -> (B, prod(...)).

    >>> import autocompyute as ac
    >>> Flatten()(ac.ones(2, 3, 4)).shape
    (2, 12)
    """

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim < 1:
            raise ValueError("Flatten: needs an input with a batch dim, got a 0-d tensor")
        return x.view(x.shape[0], -1)


class Reshape(Module):
    """Reshapes each item of the batch: (B, ...) -> (B, *shape).

    Args:
        shape: the shape of one item (may contain one -1).

    >>> import autocompyute as ac
    >>> Reshape((3, 4))(ac.ones(2, 12)).shape
    (2, 3, 4)
    """

    def __init__(self, shape: Sequence[int]) -> None:
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim < 1:
            raise ValueError("Reshape: needs an input with a batch dim, got a 0-d tensor")
        return x.view(x.shape[0], *self.shape)

    def extra_repr(self) -> str:
        return f"shape={self.shape}"
