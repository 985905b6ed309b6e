"""Data-parallel training program for tests/test_distributed.py, run under mpiexec.

    mpiexec -n N python ddp_training.py KIND STEPS OUT.npz [SCENARIO]

Trains a float64 MLP or CNN for STEPS steps on a fixed global batch split unevenly over the
ranks (numpy.array_split), with DistributedDataParallel, and checks that every rank ends with
identical parameters; rank 0 writes them to OUT.npz. The same file run without mpiexec and
the scenario `single` trains on the whole batch in one process (the reference).
"""

from __future__ import annotations

import contextlib
import sys

import numpy as np

import autocompyute as ac
import autocompyute.nn as nn

GLOBAL_BATCH = 10


class Branches(nn.Module):
    """Samples 0-3 of the global batch go through head_b, the rest through head_a; head_c is
    never used. With the batch split over ranks, some ranks never touch head_b."""

    def __init__(self) -> None:
        super().__init__()
        self.trunk = nn.Linear(5, 16)
        self.head_a, self.head_b, self.head_c = (nn.Linear(16, 3) for _ in range(3))

    def forward(self, x: ac.Tensor, indices: np.ndarray) -> list[tuple[np.ndarray, ac.Tensor]]:
        hidden = self.trunk(x).tanh()
        rows_b = indices < 4
        parts = [(~rows_b, self.head_a)]
        if rows_b.any():
            parts.append((rows_b, self.head_b))
        return [(rows, head(hidden[ac.tensor(np.nonzero(rows)[0])])) for rows, head in parts]


def build(kind: str) -> nn.Module:
    ac.set_random_seed(123)
    if kind == "branches":
        model: nn.Module = Branches()
    elif kind == "mlp":
        model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 3))
    else:
        model = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(4 * 3 * 3, 3),
        )  # fmt: skip
    for parameter in model.parameters():  # float64 for an exact comparison
        parameter.data = parameter.data.astype(np.float64)
    return model


def batch(kind: str, step: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(step)
    shape = (GLOBAL_BATCH, 1, 6, 6) if kind == "cnn" else (GLOBAL_BATCH, 5)
    return rng.standard_normal(shape), rng.standard_normal((GLOBAL_BATCH, 3))


def loss_of(
    kind: str, model: nn.Module, x: np.ndarray, target: np.ndarray, indices: np.ndarray, world: int
) -> ac.Tensor:
    # DDP averages over ranks: scale each rank's sum so the average is the global mean.
    scale = world / GLOBAL_BATCH
    if kind == "branches":
        total = None
        for rows, out in model(ac.tensor(x[indices]), indices):
            part = ((out - ac.tensor(target[indices][rows])) ** 2).sum()
            total = part if total is None else total + part
        assert total is not None
        return total * scale
    out = model(ac.tensor(x[indices]))
    return ((out - ac.tensor(target[indices])) ** 2).sum() * scale


def train(
    kind: str, steps: int, rank: int, world: int, model: nn.Module, accumulate: bool = False
) -> None:
    optimizer = ac.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for step in range(steps):
        x, target = batch(kind, step)
        mine = np.array_split(np.arange(GLOBAL_BATCH), world)[rank]
        optimizer.zero_grad()
        if accumulate:  # two micro-batches; only the second one's backward synchronizes
            first, second = np.array_split(mine, 2)
            with model.no_sync() if world > 1 else contextlib.nullcontext():
                loss_of(kind, model, x, target, first, world).backward()
            loss_of(kind, model, x, target, second, world).backward()
        else:
            loss_of(kind, model, x, target, mine, world).backward()
        optimizer.step()


def flat_parameters(model: nn.Module) -> np.ndarray:
    """Every parameter, then 1/0 flags saying which ones have a gradient."""
    parameters = list(model.parameters())
    flags = [float(p.grad is not None) for p in parameters]
    return np.concatenate([p.data.reshape(-1) for p in parameters] + [np.array(flags)])


def main() -> None:
    kind, steps, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    scenario = sys.argv[4] if len(sys.argv) > 4 else "train"
    accumulate = scenario.endswith("accumulate")
    if scenario.startswith("single"):
        model = build(kind)
        train(kind, steps, 0, 1, model, accumulate)
        np.save(out, flat_parameters(model))
        return
    import autocompyute.distributed as dist

    dist.init()
    rank, world = dist.rank(), dist.world_size()
    if scenario == "raise" and rank == 1:
        raise RuntimeError("rank 1 fails on purpose")
    if scenario == "mismatch":
        model = nn.Linear(5, 3 if rank == 0 else 4)
        dist.DistributedDataParallel(model)
        return
    model = build(kind)
    if rank != 0:  # rank 0's initial parameters must win
        for parameter in model.parameters():
            parameter.data = parameter.data + 1.0
    ddp = dist.DistributedDataParallel(model, bucket_mb=0.0005)  # several buckets
    train(kind, steps, rank, world, ddp, accumulate)
    params = flat_parameters(model)
    gathered = dist.all_gather(ac.tensor(params)).data
    assert (gathered == gathered[0]).all(), "ranks hold different parameters"
    if rank == 0:
        np.save(out, params)


if __name__ == "__main__":
    main()
