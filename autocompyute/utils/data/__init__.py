"""Data loading as in `torch.utils.data`: datasets, samplers, `DataLoader` and collation.

>>> import autocompyute as ac
>>> from autocompyute.utils.data import DataLoader, TensorDataset
>>> loader = DataLoader(TensorDataset(ac.arange(5), ac.arange(5) * 10), batch_size=2)
>>> [y.data.tolist() for x, y in loader]
[[0, 10], [20, 30], [40]]
"""

from autocompyute.utils.data.collate import default_collate, default_convert
from autocompyute.utils.data.dataloader import DataLoader
from autocompyute.utils.data.dataset import (
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from autocompyute.utils.data.distributed import DistributedSampler
from autocompyute.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "default_collate",
    "default_convert",
    "random_split",
]
