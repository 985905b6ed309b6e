"""`Dataloader`: yields (optionally shuffled) mini-batches of a tuple of tensors."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from autocompyute.autograd.op import wrap
from autocompyute.backend import DeviceLike, device_of, get_device, move_array
from autocompyute.factories import randperm
from autocompyute.profiler.scopes import enter_scope, exit_scope
from autocompyute.tensor import Tensor

__all__ = ["Dataloader"]


class Dataloader:
    """Splits a tuple of equally long tensors into mini-batches along their first dim.

    Shuffling draws a new permutation with `ac.randperm` each epoch, so `ac.set_random_seed`
    makes the batch order reproducible. Batches are placed on `device`; the data stays where
    it is. Unshuffled batches already on `device` are views of the data (no copy).

    Args:
        data: tensors with the same first dim, e.g. `(x, y)`.
        batch_size: samples per batch (capped at the number of samples).
        device: where the batches are placed (`"cpu"` or `"cuda[:N]"`).
        shuffle_data: draw a new sample order every epoch.
        drop_remaining: drop the last batch if it is smaller than `batch_size`.

    >>> import autocompyute as ac
    >>> loader = Dataloader((ac.arange(5), ac.arange(5) * 10), batch_size=2, shuffle_data=False)
    >>> len(loader)
    3
    >>> [y.data.tolist() for x, y in loader]
    [[0, 10], [20, 30], [40]]
    """

    def __init__(
        self,
        data: Sequence[Tensor] | Tensor,
        batch_size: int = 1,
        device: DeviceLike = "cpu",
        shuffle_data: bool = True,
        drop_remaining: bool = False,
    ) -> None:
        if isinstance(data, Tensor):
            data = (data,)
        data = tuple(data)
        if not data:
            raise ValueError("Dataloader: data must hold at least one tensor")
        for index, tensor in enumerate(data):
            if not isinstance(tensor, Tensor):
                raise TypeError(
                    f"Dataloader: data[{index}] is a {type(tensor).__name__}, expected a Tensor"
                )
            if tensor.ndim == 0:
                raise ValueError(f"Dataloader: data[{index}] is 0-d; tensors need a sample dim")
        lengths = [len(tensor) for tensor in data]
        if len(set(lengths)) > 1:
            raise ValueError(
                f"Dataloader: all tensors must have the same length (first dim), "
                f"got lengths {lengths}"
            )
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"Dataloader: batch_size must be a positive int, got {batch_size!r}")
        self.data = data
        self.n_samples = lengths[0]
        self.batch_size = max(1, min(batch_size, self.n_samples))
        self.device = get_device(device)
        self.shuffle_data = bool(shuffle_data)
        self.drop_remaining = bool(drop_remaining)

    def __len__(self) -> int:
        full, remainder = divmod(self.n_samples, self.batch_size)
        return full + (1 if remainder and not self.drop_remaining else 0)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        order: Any = randperm(self.n_samples).data if self.shuffle_data else None
        orders: dict[Any, Any] = {}
        size = self.batch_size
        for batch in range(len(self)):
            token = enter_scope("DataLoader.__next__")
            start = batch * size
            batch_tensors = []
            for tensor in self.data:
                array = tensor.data
                if order is None:
                    selected = array[start : start + size]
                else:
                    # the permutation lives on the CPU; index each tensor on its own device
                    source = device_of(array)
                    if source not in orders:
                        orders[source] = move_array(order, source)
                    selected = array[orders[source][start : start + size]]
                batch_tensors.append(wrap(move_array(selected, self.device)))
            exit_scope(token)
            yield tuple(batch_tensors)

    def __call__(self) -> Iterator[tuple[Tensor, ...]]:
        """Same as iterating (the original AutoCompyute calls `dataloader()`)."""
        return iter(self)
