"""`--distributed` for the examples: data-parallel training under `mpiexec -n N`.

Each example calls `DataParallel.setup(args.distributed)` and then, unchanged whether or not it
runs distributed: `shard` its training arrays (rank r keeps every N-th sample starting at r),
`wrap` its model in `DistributedDataParallel`, shows progress bars and prints only on rank 0
(`is_main`), and logs losses averaged over the ranks (`mean`). Without `--distributed` every
method is the identity, so a single process behaves exactly as before.

    mpiexec -n 2 python examples/cnn_mnist.py --distributed
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class DataParallel:
    """The rank and size of the job (0 and 1 when not distributed)."""

    enabled: bool = False
    rank: int = 0
    world_size: int = 1

    @classmethod
    def setup(cls, enabled: bool) -> DataParallel:
        """Joins the MPI job when `enabled` (the process must run under mpiexec)."""
        if not enabled:
            return cls()
        import autocompyute.distributed as dist

        dist.init()
        return cls(True, dist.rank(), dist.world_size())

    @property
    def is_main(self) -> bool:
        """Whether this process prints and shows progress bars."""
        return self.rank == 0

    def shard(self, *arrays: Any) -> tuple[Any, ...]:
        """This rank's share of each array (along dim 0)."""
        return tuple(array[self.rank :: self.world_size] for array in arrays)

    def wrap(self, model: Any) -> Any:
        """The model, in `DistributedDataParallel` when distributed (gradients averaged)."""
        if not self.enabled:
            return model
        import autocompyute.distributed as dist

        return dist.DistributedDataParallel(model)

    def average_gradients(self, parameters: Any) -> None:
        """Averages `.grad` of plain tensors over the ranks (for models that are no Module)."""
        if not self.enabled:
            return
        import autocompyute as ac
        import autocompyute.distributed as dist

        for parameter in parameters:
            if parameter.grad is not None:
                parameter.grad = dist.all_reduce(ac.tensor(parameter.grad), op="mean").data

    def mean(self, value: float) -> float:
        """`value` averaged over the ranks (for logging)."""
        if not self.enabled:
            return value
        import autocompyute.distributed as dist

        return dist.mean_across_ranks(value)
