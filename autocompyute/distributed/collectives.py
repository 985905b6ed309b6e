"""Collectives on tensors: all_reduce, broadcast, all_gather, and metric averaging.

NumPy arrays travel as MPI buffers (`Allreduce`, `Bcast`, `Allgather`: no pickling); CuPy arrays
through NCCL on the current CUDA stream.
"""

from __future__ import annotations

from typing import Any

import numpy

from autocompyute.distributed.process_group import (
    communicator,
    mpi,
    nccl_communicator,
    world_size,
)
from autocompyute.tensor import Tensor

__all__ = ["ReduceOp", "all_gather", "all_reduce", "broadcast", "mean_across_ranks"]


class ReduceOp:
    """Reduction names accepted by `all_reduce` (PyTorch spells them `ReduceOp.SUM`, ...)."""

    SUM = "sum"
    MEAN = "mean"
    AVG = "mean"
    MAX = "max"
    MIN = "min"


_REDUCTIONS = ("sum", "mean", "max", "min")


def _array_of(tensor: Tensor, name: str) -> Any:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(tensor).__name__}")
    array = tensor.data
    if not array.flags.c_contiguous:
        raise ValueError(f"{name}: the tensor must be contiguous (call .contiguous() first)")
    return array


def _is_numpy(array: Any) -> bool:
    return isinstance(array, numpy.ndarray)


def all_reduce(tensor: Tensor, op: str = "sum") -> Tensor:
    """Reduces `tensor` over all processes in place: every rank ends with the same values.

    Args:
        tensor: the same shape and dtype on every rank.
        op: "sum", "mean", "max" or "min" (or a `ReduceOp` member).

    Returns:
        `tensor`, now holding the reduction.
    """
    op = str(op).lower()
    if op not in _REDUCTIONS:
        raise ValueError(f"all_reduce: op must be one of {_REDUCTIONS}, got {op!r}")
    array = _array_of(tensor, "all_reduce")
    if _is_numpy(array):
        reduction = {"sum": mpi().SUM, "mean": mpi().SUM, "max": mpi().MAX, "min": mpi().MIN}[op]
        communicator().Allreduce(mpi().IN_PLACE, array, op=reduction)
    else:
        _nccl_all_reduce(array, op)
    if op == "mean":
        array /= world_size()
    return tensor


def _nccl_all_reduce(array: Any, op: str) -> None:
    import cupy
    from cupy.cuda import nccl

    kinds = {
        "sum": nccl.NCCL_SUM,
        "mean": nccl.NCCL_SUM,
        "max": nccl.NCCL_MAX,
        "min": nccl.NCCL_MIN,
    }
    comm = nccl_communicator(array.device.id)
    comm.allReduce(
        array.data.ptr,
        array.data.ptr,
        array.size,
        _nccl_dtype(array.dtype),
        kinds[op],
        cupy.cuda.get_current_stream().ptr,
    )


def _nccl_dtype(dtype: Any) -> int:
    from cupy.cuda import nccl

    table = {
        "float16": nccl.NCCL_FLOAT16, "float32": nccl.NCCL_FLOAT32,
        "float64": nccl.NCCL_FLOAT64, "int32": nccl.NCCL_INT32, "int64": nccl.NCCL_INT64,
        "int8": nccl.NCCL_INT8, "uint8": nccl.NCCL_UINT8,
    }  # fmt: skip
    name = numpy.dtype(dtype).name
    if name not in table:
        raise TypeError(f"NCCL collectives do not support {name} tensors")
    return table[name]


def broadcast(tensor: Tensor, src: int = 0) -> Tensor:
    """Copies rank `src`'s values of `tensor` into `tensor` on every rank (in place)."""
    if not 0 <= src < world_size():
        raise ValueError(f"broadcast: src must be a rank in 0..{world_size() - 1}, got {src}")
    array = _array_of(tensor, "broadcast")
    if _is_numpy(array):
        communicator().Bcast(array, root=src)
    else:
        import cupy

        nccl_communicator(array.device.id).bcast(
            array.data.ptr, array.size, _nccl_dtype(array.dtype), src,
            cupy.cuda.get_current_stream().ptr,
        )  # fmt: skip
    return tensor


def all_gather(tensor: Tensor) -> Tensor:
    """Stacks every rank's `tensor` (same shape everywhere) into one (world_size, ...) tensor."""
    array = _array_of(tensor, "all_gather")
    xp = numpy if _is_numpy(array) else __import__("cupy")
    gathered = xp.empty((world_size(), *array.shape), dtype=array.dtype)
    if _is_numpy(array):
        communicator().Allgather(array, gathered)
    else:
        import cupy

        nccl_communicator(array.device.id).allGather(
            array.data.ptr, gathered.data.ptr, array.size, _nccl_dtype(array.dtype),
            cupy.cuda.get_current_stream().ptr,
        )  # fmt: skip
    return Tensor(gathered)


def mean_across_ranks(value: Any) -> float:
    """The mean of a number (or one-element tensor) over all ranks, e.g. a loss for logging."""
    number = float(value.item() if isinstance(value, Tensor) else value)
    buffer = numpy.array([number], dtype=numpy.float64)
    communicator().Allreduce(mpi().IN_PLACE, buffer, op=mpi().SUM)
    return float(buffer[0]) / world_size()
