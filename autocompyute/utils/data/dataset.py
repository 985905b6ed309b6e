"""Map-style and iterable datasets, subsets, concatenation and `random_split`."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from autocompyute.tensor import Tensor
from autocompyute.utils.data.sampler import permutation

__all__ = ["ConcatDataset", "Dataset", "IterableDataset", "Subset", "TensorDataset", "random_split"]


class Dataset:
    """Base of map-style datasets: subclasses implement `__getitem__(index)` and `__len__`."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not implement __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset:
    """Base of iterable-style datasets: subclasses implement `__iter__` yielding samples."""

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} does not implement __iter__")


class TensorDataset(Dataset):
    """Samples are tuples of the tensors' rows: `dataset[i] == (t[i] for t in tensors)`.

    Args:
        *tensors: tensors with the same first dim (the sample dim).

    >>> import autocompyute as ac
    >>> dataset = TensorDataset(ac.zeros(4, 2), ac.arange(4))
    >>> len(dataset), dataset[1][1].item()
    (4, 1)
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        for index, tensor in enumerate(tensors):
            if not isinstance(tensor, Tensor):
                raise TypeError(
                    f"TensorDataset: argument {index} is a "
                    f"{type(tensor).__name__}, expected a Tensor"
                )
            if tensor.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {index} is 0-d; tensors need a sample dim")
        lengths = [tensor.shape[0] for tensor in tensors]
        if len(set(lengths)) > 1:
            raise ValueError(
                f"TensorDataset: size mismatch between tensors, first dims are {lengths}"
            )
        self.tensors = tuple(tensors)

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(Tensor(tensor.data[index]) for tensor in self.tensors)

    def __len__(self) -> int:
        return int(self.tensors[0].shape[0])


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order.

    Args:
        dataset: a map-style dataset.
        indices: positions in `dataset`.
    """

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = [int(index) for index in indices]

    def __getitem__(self, index: int) -> Any:
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """The samples of several map-style datasets one after another."""

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: needs at least one dataset")
        self.cumulative_sizes: list[int] = []
        total = 0
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise TypeError("ConcatDataset: iterable datasets cannot be concatenated")
            total += len(dataset)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            if -index > len(self):
                raise IndexError(f"ConcatDataset: index {index} out of range for {len(self)}")
            index += len(self)
        part = bisect_right(self.cumulative_sizes, index)
        if part == len(self.datasets):
            raise IndexError(f"ConcatDataset: index {index} out of range for {len(self)}")
        start = self.cumulative_sizes[part - 1] if part else 0
        return self.datasets[part][index - start]


def random_split(dataset: Any, lengths: Sequence[float], generator: Any = None) -> list[Subset]:
    """Splits `dataset` into non-overlapping random subsets of the given lengths.

    Args:
        dataset: a map-style dataset.
        lengths: sizes summing to `len(dataset)`, or fractions summing to 1 (the floor of each
            fraction's size, the remainder spread one by one from the first subset, as PyTorch
            does).
        generator: a NumPy Generator to draw the permutation with (default: the library's
            generator, seeded by `ac.set_random_seed`).

    Returns:
        One `Subset` per length.
    """
    total = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for fraction in lengths:
            if not 0 <= fraction <= 1:
                raise ValueError(f"random_split: fraction {fraction} is not in [0, 1]")
        sizes = [math.floor(total * fraction) for fraction in lengths]
        for index in range(total - sum(sizes)):
            sizes[index % len(sizes)] += 1
    else:
        sizes = [int(length) for length in lengths]
        if any(size < 0 for size in sizes) or sum(sizes) != total:
            raise ValueError(
                f"random_split: the lengths {lengths} must be non-negative and "
                f"sum to the length of the dataset ({total})"
            )
    order = permutation(total, generator)
    subsets = []
    start = 0
    for size in sizes:
        subsets.append(Subset(dataset, order[start : start + size]))
        start += size
    return subsets
