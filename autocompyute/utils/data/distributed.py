"""`DistributedSampler`: each rank of a data-parallel job visits its own share of a dataset."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sized

import numpy

from autocompyute.utils.data.sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """Splits the indices of `dataset` among the ranks, a different shuffle every epoch.

    As in PyTorch: every rank gets `ceil(len / num_replicas)` indices (with `drop_last`,
    `floor` instead), the index list is padded by repeating its start (or cut) to a multiple of
    `num_replicas`, and rank r takes positions r, r + num_replicas, ... Shuffling draws from a
    NumPy generator seeded with `seed + epoch`, so all ranks agree on the order (the orders
    differ from PyTorch's, whose generator is its own). Call `set_epoch(epoch)` before each
    epoch.

    Args:
        dataset: the dataset (only its length is used).
        num_replicas: number of ranks (default: `distributed.world_size()`).
        rank: this rank (default: `distributed.rank()`).
        shuffle: shuffle the indices every epoch.
        seed: base seed of the shuffle, the same on every rank.
        drop_last: drop the tail instead of padding, so no index repeats.
    """

    def __init__(
        self,
        dataset: Sized,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            from autocompyute.distributed import process_group

            num_replicas = process_group.world_size() if num_replicas is None else num_replicas
            rank = process_group.rank() if rank is None else rank
        if num_replicas < 1 or not 0 <= rank < num_replicas:
            raise ValueError(
                f"DistributedSampler: rank must be in [0, {num_replicas - 1}] and num_replicas "
                f">= 1, got rank {rank}, num_replicas {num_replicas}"
            )
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, seed, drop_last, 0
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def set_epoch(self, epoch: int) -> None:
        """Sets the epoch, which changes the shuffle (call it on every rank, every epoch)."""
        self.epoch = int(epoch)

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            indices = numpy.random.default_rng(self.seed + self.epoch).permutation(n).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[: self.total_size]
        elif indices:
            repeats = math.ceil((self.total_size - n) / n) if self.total_size > n else 0
            indices = (indices + indices * repeats)[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples
