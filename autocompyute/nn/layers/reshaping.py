"""Shape layers: Flatten, Reshape (both keep the batch dim) and Identity."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autocompyute.nn.module import Module
from autocompyute.tensor import Tensor

__all__ = ["Flatten", "Identity", "Reshape"]


class Flatten(Module):
    """Merges dims `start_dim`..`end_dim`; by default all but the batch dim, (B, ...) -> (B, N).

    Args:
        start_dim: first dim to merge.
        end_dim: last dim to merge.

    >>> import autocompyute as ac
    >>> Flatten()(ac.ones(2, 3, 4)).shape
    (2, 12)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim < 1:
            raise ValueError("Flatten: needs an input with a batch dim, got a 0-d tensor")
        if self.start_dim == 1 and self.end_dim == -1:
            return x.view(x.shape[0], -1)
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    """Returns its input unchanged; any constructor arguments are ignored (as in PyTorch).

    >>> import autocompyute as ac
    >>> x = ac.ones(2)
    >>> Identity(54, unused="x")(x) is x
    True
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x


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
