"""The process group: MPI's world communicator (through mpi4py), and NCCL for CuPy arrays.

Processes are started by `mpiexec -n N python train.py` (or Slurm's `srun`); each calls
`init()` once. A process started without `mpiexec` is a world of one.
"""

from __future__ import annotations

import sys
import threading
import traceback
from types import ModuleType, TracebackType
from typing import Any

__all__ = [
    "barrier",
    "communicator",
    "init",
    "is_initialized",
    "is_main_process",
    "nccl_communicator",
    "rank",
    "world_size",
]

INSTALL_HINT = (
    'pip install "autocompyute[distributed]"  (installs mpi4py and the MPICH wheel; a system '
    "MPI works too: then pip install mpi4py against it)"
)


class _World:
    """What `init()` set up: the MPI module and communicator, and a lazily made NCCL one."""

    mpi: ModuleType | None = None
    comm: Any = None
    nccl: dict[int, Any] = {}  # CUDA device index -> cupy.cuda.nccl.NcclCommunicator


def _import_mpi() -> ModuleType:
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise RuntimeError(
            f"autocompyute.distributed needs mpi4py and an MPI library: {INSTALL_HINT}"
        ) from error
    except RuntimeError as error:  # mpi4py present but no loadable MPI library
        raise RuntimeError(
            f"autocompyute.distributed: mpi4py cannot load an MPI library ({error}); {INSTALL_HINT}"
        ) from error
    return MPI


def init(abort_on_exception: bool = True) -> None:
    """Joins the process group (MPI's world). Calling it again does nothing.

    Args:
        abort_on_exception: an uncaught exception in any process (main thread or another
            thread) prints that process's traceback, prefixed with its rank, and aborts the
            whole job, so that the other ranks do not wait forever in a collective.

    Raises:
        RuntimeError: if mpi4py or an MPI library is missing (the message says how to install).
    """
    if _World.comm is not None:
        return
    mpi = _import_mpi()
    if not mpi.Is_initialized():
        mpi.Init_thread(mpi.THREAD_MULTIPLE)
    _World.mpi, _World.comm = mpi, mpi.COMM_WORLD
    if abort_on_exception:
        _install_abort_hooks()


def _install_abort_hooks() -> None:
    previous_hook = sys.excepthook

    def abort_job(kind: type[BaseException], error: BaseException, trace: Any) -> None:
        if issubclass(kind, KeyboardInterrupt) or _World.comm is None:
            previous_hook(kind, error, trace)
            return
        text = "".join(traceback.format_exception(kind, error, trace))
        prefix = f"[rank {rank()}/{world_size()}] "
        sys.stderr.write("".join(prefix + line + "\n" for line in text.splitlines()))
        sys.stderr.write(f"{prefix}aborting the job (uncaught exception on this rank)\n")
        sys.stderr.flush()
        _World.comm.Abort(1)

    def abort_from_thread(arguments: threading.ExceptHookArgs) -> None:
        trace: TracebackType | None = arguments.exc_traceback
        if arguments.exc_value is not None:
            abort_job(arguments.exc_type, arguments.exc_value, trace)

    sys.excepthook = abort_job
    threading.excepthook = abort_from_thread


def is_initialized() -> bool:
    """Whether `init()` has run in this process."""
    return _World.comm is not None


def communicator() -> Any:
    """The MPI communicator of the group (`mpi4py.MPI.Comm`).

    Raises:
        RuntimeError: before `init()`.
    """
    if _World.comm is None:
        raise RuntimeError(
            "autocompyute.distributed is not initialized: call autocompyute.distributed.init() "
            "first (and start the processes with mpiexec -n N)"
        )
    return _World.comm


def mpi() -> ModuleType:
    """The `mpi4py.MPI` module (after `init()`)."""
    communicator()
    assert _World.mpi is not None
    return _World.mpi


def rank() -> int:
    """This process's index in the group, 0 .. world_size() - 1."""
    return int(communicator().Get_rank())


def world_size() -> int:
    """The number of processes in the group."""
    return int(communicator().Get_size())


def is_main_process() -> bool:
    """Whether this is rank 0 (true also when not initialized: a single process)."""
    return _World.comm is None or rank() == 0


def barrier() -> None:
    """Waits until every process of the group has reached this call."""
    communicator().Barrier()


def nccl_communicator(device_index: int) -> Any:
    """The NCCL communicator for CuPy arrays on `device_index`, made on first use.

    Rank 0 makes NCCL's unique id and broadcasts it over MPI; every rank then joins. Each
    process drives one GPU (the usual launch sets CUDA_VISIBLE_DEVICES per rank).
    """
    made = _World.nccl.get(device_index)
    if made is not None:
        return made
    import cupy
    import numpy
    from cupy.cuda import nccl

    comm = communicator()
    # NCCL's unique id: 128 chars, which CuPy passes as a tuple of ints.
    uid = numpy.zeros(128, dtype=numpy.int8)
    if rank() == 0:
        uid[:] = numpy.array(nccl.get_unique_id(), dtype=numpy.int8)
    comm.Bcast(uid, root=0)
    with cupy.cuda.Device(device_index):
        made = nccl.NcclCommunicator(world_size(), tuple(int(v) for v in uid), rank())
    _World.nccl[device_index] = made
    return made
