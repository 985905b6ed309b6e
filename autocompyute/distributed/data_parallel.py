"""`DistributedDataParallel`: data-parallel training with gradients averaged during backward.

Every rank holds a full replica of the model and trains on its own share of each batch. At the
start, rank 0's parameters and buffers are broadcast to all ranks. During `loss.backward()` the
gradients are averaged over the ranks in buckets of about `bucket_mb` MiB: parameters are
bucketed in reverse registration order (roughly the order backward produces their gradients),
and a bucket's non-blocking all-reduce (`Iallreduce`) starts as soon as every gradient in it is
final (a post-accumulate hook on each parameter), while backward carries on with earlier layers.
Buckets start strictly in order on every rank, so the collectives match across ranks even when
gradients arrive in different orders. When the backward pass ends, the remaining buckets start
(a parameter without a gradient on this rank contributes zeros) and every reduction is awaited,
so `backward()` returns with averaged gradients. A parameter that got no gradient on any rank
keeps `grad = None` everywhere.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy

from autocompyute.autograd.callbacks import queue_callback
from autocompyute.distributed.collectives import broadcast
from autocompyute.distributed.process_group import communicator, mpi, world_size
from autocompyute.nn.module import Module, Parameter

__all__ = ["DistributedDataParallel"]


class _Bucket:
    """Parameters whose gradients are all-reduced together, through one flat buffer."""

    def __init__(self, parameters: list[Parameter]) -> None:
        self.parameters = parameters
        self.offsets = numpy.cumsum([0] + [p.data.size for p in parameters]).tolist()
        # After the gradients: one "had a gradient here" flag per parameter (summed over ranks).
        self.buffer = numpy.zeros(self.offsets[-1] + len(parameters), dtype=parameters[0].dtype)
        self.pending = len(parameters)
        self.request: Any = None

    def reset(self) -> None:
        self.pending = len(self.parameters)
        self.request = None

    def launch(self) -> None:
        flags = self.buffer[self.offsets[-1] :]
        for index, parameter in enumerate(self.parameters):
            part = self.buffer[self.offsets[index] : self.offsets[index + 1]]
            grad = parameter.grad
            if grad is None:
                part[...] = 0
                flags[index] = 0
            else:
                part[...] = grad.reshape(-1)
                flags[index] = 1
        self.request = communicator().Iallreduce(mpi().IN_PLACE, self.buffer, op=mpi().SUM)

    def unpack(self, ranks: int) -> None:
        flags = self.buffer[self.offsets[-1] :]
        for index, parameter in enumerate(self.parameters):
            if flags[index] == 0:
                continue  # no rank produced a gradient for it
            part = self.buffer[self.offsets[index] : self.offsets[index + 1]]
            parameter.grad = (part / ranks).reshape(parameter.shape)


class DistributedDataParallel(Module):
    """Wraps `module` for data-parallel training over the ranks of `autocompyute.distributed`.

    Call it like the module; `state_dict()` keys carry the `module.` prefix as in PyTorch, and
    `.module` is the wrapped model (save `ddp.module.state_dict()` from rank 0).

    Args:
        module: the model (the same architecture on every rank; NumPy arrays on the CPU).
        bucket_mb: target size of a gradient bucket in MiB.
        broadcast_buffers: also broadcast buffers (e.g. batch-norm statistics) at start.

    Raises:
        ValueError: if the ranks' parameters differ in number, name, shape or dtype (naming
            the first parameter that differs).

    >>> # under mpiexec -n 2:  ddp = DistributedDataParallel(model); loss = ddp(x).sum()
    """

    def __init__(
        self, module: Module, bucket_mb: float = 25.0, broadcast_buffers: bool = True
    ) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected a Module, got {type(module)}")
        if bucket_mb <= 0:
            raise ValueError(f"DistributedDataParallel: bucket_mb must be > 0, got {bucket_mb}")
        self.module = module
        self.bucket_mb = bucket_mb
        named = [(name, p) for name, p in module.named_parameters() if p.req_grad]
        _check_same_parameters(named)
        for _, parameter in module.named_parameters():
            broadcast(parameter, 0)
        if broadcast_buffers:
            for _, buffer in module.named_buffers():
                if buffer.data.flags.c_contiguous:
                    broadcast(buffer, 0)
        object.__setattr__(self, "_buckets", _make_buckets([p for _, p in named], bucket_mb))
        object.__setattr__(self, "_bucket_of", {
            id(parameter): bucket for bucket in self._buckets for parameter in bucket.parameters
        })  # fmt: skip
        object.__setattr__(self, "_sync", True)
        object.__setattr__(self, "_next_launch", 0)
        object.__setattr__(self, "_finish_queued", False)
        object.__setattr__(self, "wait_seconds", 0.0)
        object.__setattr__(self, "_handles", [
            parameter.register_post_accumulate_grad_hook(self._gradient_ready)
            for _, parameter in named
        ])  # fmt: skip

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    @contextmanager
    def no_sync(self) -> Iterator[None]:
        """Backward passes inside only accumulate gradients locally (gradient accumulation);
        the first backward after it averages the accumulated gradients."""
        previous = self._sync
        object.__setattr__(self, "_sync", False)
        try:
            yield
        finally:
            object.__setattr__(self, "_sync", previous)

    def _gradient_ready(self, parameter: Parameter) -> None:
        if not self._sync:
            return
        if not self._finish_queued:
            object.__setattr__(self, "_finish_queued", True)
            queue_callback(self._finish_backward)
        bucket = self._bucket_of[id(parameter)]
        bucket.pending -= 1
        self._launch_ready()
        # Non-blocking collectives progress only inside MPI calls: poke the running ones.
        running = [b.request for b in self._buckets[: self._next_launch] if b.request]
        if running:
            mpi().Request.Testall(running)

    def _launch_ready(self) -> None:
        buckets, position = self._buckets, self._next_launch
        while position < len(buckets) and buckets[position].pending <= 0:
            buckets[position].launch()
            position += 1
        object.__setattr__(self, "_next_launch", position)

    def _finish_backward(self) -> None:
        for bucket in self._buckets[self._next_launch :]:
            bucket.launch()
        started = time.perf_counter()
        mpi().Request.Waitall([bucket.request for bucket in self._buckets])
        object.__setattr__(self, "wait_seconds", self.wait_seconds + time.perf_counter() - started)
        ranks = world_size()
        for bucket in self._buckets:
            bucket.unpack(ranks)
            bucket.reset()
        object.__setattr__(self, "_next_launch", 0)
        object.__setattr__(self, "_finish_queued", False)


def _make_buckets(parameters: list[Parameter], bucket_mb: float) -> list[_Bucket]:
    limit = bucket_mb * 1024 * 1024
    buckets: list[_Bucket] = []
    current: list[Parameter] = []
    size = 0
    for parameter in reversed(parameters):
        if not isinstance(parameter.data, numpy.ndarray):
            raise TypeError(
                "DistributedDataParallel: parameters must be NumPy (CPU) arrays; CuPy gradients "
                "go through autocompyute.distributed.all_reduce (NCCL)"
            )
        if current and (size >= limit or parameter.dtype != current[0].dtype):
            buckets.append(_Bucket(current))
            current, size = [], 0
        current.append(parameter)
        size += parameter.data.nbytes
    if current:
        buckets.append(_Bucket(current))
    return buckets


def _check_same_parameters(named: list[tuple[str, Parameter]]) -> None:
    """Compares (name, shape, dtype) of every parameter across ranks, through buffers."""
    comm, ranks = communicator(), world_size()
    counts = numpy.zeros(ranks, dtype=numpy.int64)
    comm.Allgather(numpy.array([len(named)], dtype=numpy.int64), counts)
    if len(set(counts.tolist())) > 1:
        raise ValueError(
            f"DistributedDataParallel: the ranks' models have different numbers of parameters "
            f"({counts.tolist()} by rank)"
        )
    signatures = numpy.array(
        [zlib.crc32(f"{name}|{tuple(p.shape)}|{p.dtype}".encode()) for name, p in named],
        dtype=numpy.int64,
    )
    gathered = numpy.zeros((ranks, len(named)), dtype=numpy.int64)
    comm.Allgather(signatures, gathered)
    differs = numpy.nonzero((gathered != gathered[0]).any(axis=0))[0]
    if differs.size:
        name, parameter = named[int(differs[0])]
        raise ValueError(
            f"DistributedDataParallel: parameter {name!r} differs across ranks (this rank: "
            f"shape {tuple(parameter.shape)}, dtype {parameter.dtype}); every rank must build "
            "the same model"
        )
