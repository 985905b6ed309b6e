"""`DataLoader`: iterates a dataset in batches chosen by a sampler, as `torch.utils.data` does."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy

from autocompyute.backend import device_of, move_array
from autocompyute.profiler.scopes import enter_scope, exit_scope
from autocompyute.tensor import Tensor
from autocompyute.utils.data.collate import default_collate, default_convert
from autocompyute.utils.data.dataset import IterableDataset, TensorDataset
from autocompyute.utils.data.sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader"]


class DataLoader:
    """Yields batches of a dataset: `collate_fn([dataset[i] for i in batch_indices])`.

    Batches run in the calling process: `num_workers` is accepted for compatibility but
    loading is never parallel, and `pin_memory` has no effect (see docs/porting.md).

    Args:
        dataset: a map-style dataset (`__getitem__` and `__len__`) or an `IterableDataset`.
        batch_size: samples per batch; None yields single samples without a batch dim.
        shuffle: visit the samples in a new random order every epoch.
        sampler: an iterable of indices (exclusive with `shuffle`).
        batch_sampler: an iterable of index lists (exclusive with batch_size, shuffle,
            sampler and drop_last).
        num_workers: accepted, must be >= 0; loading happens in this process.
        collate_fn: merges a list of samples into a batch (default `default_collate`).
        pin_memory: accepted; no effect.
        drop_last: drop the last batch if it is smaller than `batch_size`.
        generator: a NumPy Generator for the shuffling (default: the library's generator,
            seeded by `ac.set_random_seed`).

    >>> import autocompyute as ac
    >>> from autocompyute.utils.data import TensorDataset
    >>> loader = DataLoader(TensorDataset(ac.arange(6).reshape(3, 2)), batch_size=2)
    >>> [batch[0].shape for batch in loader]
    [(2, 2), (1, 2)]
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Iterable[int] | None = None,
        batch_sampler: Iterable[list[int]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        generator: Any = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
    ) -> None:
        del timeout, worker_init_fn, prefetch_factor, persistent_workers  # no worker processes
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(
                f"DataLoader: num_workers must be a non-negative int, got {num_workers!r}"
            )
        iterable = isinstance(dataset, IterableDataset)
        if iterable and (shuffle or sampler is not None or batch_sampler is not None):
            raise ValueError(
                "DataLoader: an IterableDataset takes no shuffle, sampler or "
                "batch_sampler (it decides its own order)"
            )
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler option is mutually exclusive with "
                    "batch_size, shuffle, sampler, and drop_last"
                )
            batch_size = None
        elif batch_size is None and drop_last:
            raise ValueError(
                "DataLoader: batch_size=None option disables auto-batching and "
                "is mutually exclusive with drop_last"
            )
        elif batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
            raise ValueError(
                f"DataLoader: batch_size must be a positive int or None, got {batch_size!r}"
            )
        if sampler is None and not iterable:
            sampler = (
                RandomSampler(dataset, generator=generator)
                if shuffle
                else SequentialSampler(dataset)
            )
        if batch_size is not None and batch_sampler is None and not iterable:
            batch_sampler = BatchSampler(sampler, batch_size, bool(drop_last))  # type: ignore
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = bool(drop_last)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.generator = generator
        self._auto_collation = batch_sampler is not None or (iterable and batch_size is not None)
        self.collate_fn = (
            collate_fn
            if collate_fn is not None
            else (default_collate if self._auto_collation else default_convert)
        )

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            size = len(self.dataset)  # type: ignore[arg-type]
            if self.batch_size is None:
                return size
            full, remainder = divmod(size, self.batch_size)
            return full + (1 if remainder and not self.drop_last else 0)
        source = self.batch_sampler if self.batch_sampler is not None else self.sampler
        return len(source)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Any]:
        batches = self._batches()
        while True:
            # making each batch is a profiler scope (nothing happens when it is off)
            token = enter_scope("DataLoader.__next__")
            try:
                batch = next(batches)
            except StopIteration:
                return
            finally:
                exit_scope(token)
            yield batch

    def _batches(self) -> Iterator[Any]:
        if isinstance(self.dataset, IterableDataset):
            yield from self._iterate_iterable()
            return
        if self.batch_sampler is None:
            for index in self.sampler:  # type: ignore[union-attr]
                yield self.collate_fn(self.dataset[index])
            return
        fast = isinstance(self.dataset, TensorDataset) and self.collate_fn is default_collate
        for indices in self.batch_sampler:
            if fast:
                # Gathering rows at once equals stacking the samples, without a loop.
                yield [_gather(tensor, indices) for tensor in self.dataset.tensors]
            else:
                yield self.collate_fn([self.dataset[index] for index in indices])

    def _iterate_iterable(self) -> Iterator[Any]:
        if self.batch_size is None:
            for sample in self.dataset:
                yield self.collate_fn(sample)
            return
        batch: list[Any] = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)


def _gather(tensor: Tensor, indices: list[int]) -> Tensor:
    """The rows of `tensor` at `indices`, as a new tensor on the tensor's device."""
    positions = numpy.asarray(indices, dtype=numpy.int64)
    data = tensor.data
    if type(data) is not numpy.ndarray:
        positions = move_array(positions, device_of(data))
    return Tensor(data[positions])
