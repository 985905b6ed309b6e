"""Samplers: the order in which a `DataLoader` visits the indices of a dataset."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sized
from typing import Any

from autocompyute.factories import randi, randperm

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "permutation",
]


def permutation(n: int, generator: Any = None) -> list[int]:
    """A random permutation of range(n), drawn with `generator` (a NumPy Generator) or the
    library's generator (seeded by `ac.set_random_seed`)."""
    if generator is None:
        return [int(index) for index in randperm(n).data.tolist()]
    if not hasattr(generator, "permutation"):
        raise TypeError(
            f"generator must be a numpy.random.Generator, got {type(generator).__name__}"
        )
    return [int(index) for index in generator.permutation(n).tolist()]


class Sampler:
    """Base class: iterating yields indices (or, for batch samplers, lists of indices)."""

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} does not implement __iter__")


class SequentialSampler(Sampler):
    """Yields 0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Yields the indices of `data_source` in random order (a new order every epoch).

    Args:
        data_source: the dataset (only its length is used).
        replacement: draw each index independently (with repetitions).
        num_samples: how many indices per epoch (default: the dataset's length); without
            replacement, more than that draws further permutations.
        generator: a NumPy Generator (default: the library's generator).
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Any = None,
    ) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement must be a bool, got {replacement!r}")
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples <= 0):
            raise ValueError(
                f"RandomSampler: num_samples must be a positive int, got {num_samples!r}"
            )
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator

    @property
    def num_samples(self) -> int:
        """Indices per epoch."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, count = len(self.data_source), self.num_samples
        if self.replacement:
            if self.generator is None:
                drawn = randi(count, low=0, high=n).data.tolist()
            else:
                drawn = self.generator.integers(0, n, count).tolist()
            yield from (int(index) for index in drawn)
            return
        while count > 0:
            order = permutation(n, self.generator)
            yield from order[:count]
            count -= n

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """Yields the given indices in random order."""

    def __init__(self, indices: Iterable[int], generator: Any = None) -> None:
        self.indices = [int(index) for index in indices]
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for position in permutation(len(self.indices), self.generator):
            yield self.indices[position]

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups the indices of `sampler` into lists of `batch_size`.

    Args:
        sampler: any iterable of indices.
        batch_size: indices per batch.
        drop_last: drop the last batch if it is smaller than `batch_size`.

    >>> list(BatchSampler(range(5), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"BatchSampler: batch_size must be a positive int, got {batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last must be a bool, got {drop_last!r}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        size = len(self.sampler)  # type: ignore[arg-type]
        if self.drop_last:
            return size // self.batch_size
        return (size + self.batch_size - 1) // self.batch_size
