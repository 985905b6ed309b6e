"""Data-parallel training across processes and machines, on MPI (mpi4py) and NCCL (CuPy).

Start one process per core group or GPU with `mpiexec -n N python train.py` (or `srun`):

>>> import autocompyute.distributed as dist  # doctest: +SKIP
>>> dist.init()                                                   # doctest: +SKIP
>>> model = dist.DistributedDataParallel(model)                   # doctest: +SKIP
>>> sampler = dist.DistributedSampler(dataset, shuffle=True)      # doctest: +SKIP
>>> loader = DataLoader(dataset, batch_size=32, sampler=sampler)  # doctest: +SKIP

See docs/distributed.md for multi-machine use and what is supported.
"""

from autocompyute.distributed.collectives import (
    ReduceOp,
    all_gather,
    all_reduce,
    broadcast,
    mean_across_ranks,
)
from autocompyute.distributed.data_parallel import DistributedDataParallel
from autocompyute.distributed.process_group import (
    barrier,
    init,
    is_initialized,
    is_main_process,
    rank,
    world_size,
)
from autocompyute.utils.data.distributed import DistributedSampler

__all__ = [
    "DistributedDataParallel",
    "DistributedSampler",
    "ReduceOp",
    "all_gather",
    "all_reduce",
    "barrier",
    "broadcast",
    "init",
    "is_initialized",
    "is_main_process",
    "mean_across_ranks",
    "rank",
    "world_size",
]
