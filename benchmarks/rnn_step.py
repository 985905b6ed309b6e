"""Forward + backward of one LSTM and one GRU layer: autocompyute vs PyTorch, 1 and 2 threads.

Sizes from issue 13: batch 32, input 64, hidden 64, sequences of 25 and 100 steps, float32,
time-major input without grad, loss = sum of all outputs and of the final state(s); the step
clears the parameter gradients, runs forward and backward. Both libraries get the same weights
(the first losses are compared) and run interleaved within every repeat; the table shows
median milliseconds, the ratio of the medians to PyTorch, and the ratio of the fastest runs
(steadier than the medians on a loaded machine, where preemption inflates every median).
The thread count of NumPy's BLAS is set with threadpoolctl (installed with scikit-learn),
PyTorch's with torch.set_num_threads.

    python benchmarks/rnn_step.py [--repeats 30] [--threads 1 2] [--steps 25 100] [--cpu-time]
                                  [--profile]
"""

from __future__ import annotations

import timing  # first: it pins NumPy's and PyTorch's thread pools to one thread

# isort: split

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy

import autocompyute as ac
import autocompyute.nn as nn

BATCH, INPUT, HIDDEN = 32, 64, 64
CELLS = ("LSTM", "GRU")


def _loss(output: Any, state: Any) -> Any:
    finals = state if isinstance(state, tuple) else (state,)
    total = output.sum()
    for final in finals:
        total = total + final.sum()
    return total


def autocompyute_step(layer: nn.RNNBase, x: numpy.ndarray) -> Callable[[], float]:
    inputs = ac.tensor(x)
    parameters = list(layer.parameters())

    def step() -> float:
        for parameter in parameters:
            parameter.grad = None
        loss = _loss(*layer(inputs))
        loss.backward()
        return float(loss.item())

    return step


def torch_step(torch: Any, layer: Any, x: numpy.ndarray) -> Callable[[], float]:
    inputs = torch.from_numpy(x)

    def step() -> float:
        layer.zero_grad(set_to_none=True)
        loss = _loss(*layer(inputs))
        loss.backward()
        return float(loss.item())

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--steps", type=int, nargs="+", default=[25, 100])
    parser.add_argument("--profile", action="store_true", help="cProfile autocompyute's LSTM")
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="time with the process's CPU time instead of wall time (for 1 thread on a busy "
        "machine: it leaves out the time other processes hold the cores)",
    )
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(1)

    clock = time.process_time if args.cpu_time else time.perf_counter
    generator = numpy.random.default_rng(0)
    ac.set_random_seed(0)
    table = timing.Table(
        timing.Column("cell", 6, "<"),
        timing.Column("T", 5, digits=0),
        timing.Column("threads", 8, digits=0),
        timing.Column("autocompyute ms", 17),
        timing.Column("pytorch ms", 12),
        timing.Column("ratio", 8),
        timing.Column("min ratio", 10),
        timing.Column("loss diff", 11, digits=1),
        separator="  ",
    )
    print(
        f"numpy {numpy.__version__}, torch {torch.__version__ if torch else '-'}; batch {BATCH},"
        f" input {INPUT}, hidden {HIDDEN}, float32, forward + backward, median of"
        f" {args.repeats} interleaved repeats, {'CPU' if args.cpu_time else 'wall'} time"
    )
    print(table.header())
    for cell in CELLS:
        for steps in args.steps:
            x = generator.standard_normal((steps, BATCH, INPUT), dtype=numpy.float32)
            ours = getattr(nn, cell)(INPUT, HIDDEN)
            runs: dict[str, Callable[[], float]] = {"autocompyute": autocompyute_step(ours, x)}
            if torch is not None:
                theirs = getattr(torch.nn, cell)(INPUT, HIDDEN)
                with torch.no_grad():
                    for name, parameter in theirs.named_parameters():
                        parameter.copy_(torch.from_numpy(getattr(ours, name).data))
                runs["pytorch"] = torch_step(torch, theirs, x)
            if args.profile:
                timing.print_profile(runs["autocompyute"], calls=20, lines=15)
                return
            losses = {name: run() for name, run in runs.items()}
            difference = abs(losses["autocompyute"] - losses["pytorch"]) if torch else None
            for count in args.threads:
                with timing.threads(count, torch):
                    times = timing.interleaved_times(runs, args.repeats, warmup=3, clock=clock)
                ours_ms = statistics.median(times["autocompyute"]) * 1e3
                theirs_ms = statistics.median(times["pytorch"]) * 1e3 if torch else None
                ratio = ours_ms / theirs_ms if theirs_ms else None
                fastest = min(times["autocompyute"]) / min(times["pytorch"]) if torch else None
                print(table.row(cell, steps, count, ours_ms, theirs_ms, ratio, fastest, difference))


if __name__ == "__main__":
    main()
