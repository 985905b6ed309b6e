"""Data-parallel training steps with 1 and 2 MPI processes, one thread each.

For an MLP and the transformer of transformer_step.py (smaller: 4 blocks, embedding 128), each
process runs DistributedDataParallel on its half of a fixed global batch. The table shows, per
process count: the median step time, the time a step spends waiting for gradient all-reduces
after backward (exposed communication), the time the same all-reduces take on their own
(blocking `Allreduce` of every bucket after the step), and the share of that communication
hidden behind backward (1 - exposed / alone).

    python benchmarks/distributed_step.py [--steps 20]      (starts mpiexec itself)
"""

from __future__ import annotations

import timing  # noqa: F401  (first: it pins the BLAS thread pools to one thread)

# isort: split

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy

import autocompyute as ac
import autocompyute.nn as nn

GLOBAL_BATCH = 32


def build(kind: str) -> tuple[nn.Module, ac.Tensor, ac.Tensor]:
    ac.set_random_seed(0)
    rng = numpy.random.default_rng(0)
    if kind == "mlp":
        model: nn.Module = nn.Sequential(
            nn.Linear(256, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(),
            nn.Linear(1024, 10),
        )  # fmt: skip
        x = rng.standard_normal((GLOBAL_BATCH, 256)).astype(numpy.float32)
        y = rng.integers(0, 10, GLOBAL_BATCH)
    else:
        from transformer_step import Sizes, Transformer

        sizes = Sizes(embedding=128, heads=4, blocks=4, context=64, batch=GLOBAL_BATCH)
        model = Transformer(sizes)
        x = rng.integers(0, sizes.vocab, (GLOBAL_BATCH, sizes.context))
        y = rng.integers(0, sizes.vocab, (GLOBAL_BATCH, sizes.context))
    return model, ac.tensor(x), ac.tensor(y)


def worker(kind: str, steps: int) -> None:
    import autocompyute.distributed as dist
    from autocompyute.nn.functional.losses import cross_entropy_loss

    dist.init()
    rank, world = dist.rank(), dist.world_size()
    model, x, y = build(kind)
    share = numpy.array_split(numpy.arange(GLOBAL_BATCH), world)[rank]
    x, y = ac.tensor(x.data[share]), ac.tensor(y.data[share])
    ddp = dist.DistributedDataParallel(model, bucket_mb=1)
    optimizer = ac.optim.SGD(model.parameters(), lr=1e-3)
    times, waits = [], []
    for step in range(steps + 3):
        dist.barrier()
        waited = ddp.wait_seconds
        started = time.perf_counter()
        optimizer.zero_grad()
        cross_entropy_loss(ddp(x), y).backward()
        optimizer.step()
        if step >= 3:  # warm-up
            times.append(time.perf_counter() - started)
            waits.append(ddp.wait_seconds - waited)
    comm, mpi = dist.process_group.communicator(), dist.process_group.mpi()
    buffers = [bucket.buffer for bucket in ddp._buckets]
    alone = []
    for _ in range(steps):
        dist.barrier()
        started = time.perf_counter()
        for buffer in buffers:
            comm.Allreduce(mpi.IN_PLACE, buffer, op=mpi.SUM)
        alone.append(time.perf_counter() - started)
    if rank == 0:
        print(json.dumps({
            "step": statistics.median(times), "exposed": statistics.median(waits),
            "alone": statistics.median(alone),
            "megabytes": sum(b.nbytes for b in buffers) / 1e6,
        }))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "STEPS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]))
        return
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    mpiexec = shutil.which("mpiexec", path=search)
    if mpiexec is None:
        sys.exit('no mpiexec found: pip install "autocompyute[distributed]"')
    print(f"global batch {GLOBAL_BATCH}, one thread per process, {args.steps} steps, medians")
    print(f"{'model':<12}{'procs':>6}{'step ms':>10}{'exposed ms':>12}{'alone ms':>10}"
          f"{'hidden':>8}{'grad MB':>9}")  # fmt: skip
    for kind in ("mlp", "transformer"):
        for procs in (1, 2):
            command = [mpiexec, "-n", str(procs), sys.executable, __file__,
                       "--worker", kind, str(args.steps)]  # fmt: skip
            output = subprocess.run(
                command, capture_output=True, text=True, check=True, cwd=Path(__file__).parent
            ).stdout
            row = json.loads(output.strip().splitlines()[-1])
            hidden = 1 - row["exposed"] / row["alone"] if row["alone"] > 0 else float("nan")
            print(f"{kind:<12}{procs:>6}{row['step'] * 1e3:>10.1f}{row['exposed'] * 1e3:>12.2f}"
                  f"{row['alone'] * 1e3:>10.2f}{max(hidden, 0.0):>8.0%}"
                  f"{row['megabytes']:>9.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
