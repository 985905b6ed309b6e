"""What profiling costs: autocompyute's profiler off vs on, and PyTorch's profiler, paired.

Workloads:
    chain        the elementwise chain of benchmarks/overhead.py (1000 tiny ops on (8, 8)
                 float32, then sum().backward()): the worst case, every op is tiny
    transformer  one training step of benchmarks/transformer_step.py (default sizes)

Each variant runs the same step; "on" wraps every step in its own `profile()` block (start,
record, stop; the results are not read), as a user would profile one step. The variants of
each library run interleaved in every repeat (autocompyute's, then PyTorch's, in the same
process); the table shows median ms per step and the ratio to the same library with its
profiler off. PyTorch is only run on the chain (its profiler on the transformer is not needed
for the comparison).

Usage:
    python benchmarks/profiler_overhead.py [--ops 1000] [--repeats 40] [--transformer-repeats 8]
"""

from __future__ import annotations

import timing  # first: it pins NumPy's and PyTorch's thread pools to one thread

# isort: split

import argparse
import functools
from collections.abc import Callable

import numpy as np
import overhead
import transformer_step

import autocompyute as ac

try:
    import torch
    import torch.profiler

    torch.set_num_threads(1)
except ImportError:  # PyTorch is optional: its rows are left out
    torch = None


def profiled(step: Callable[[], object], **options: bool) -> Callable[[], None]:
    def run() -> None:
        with ac.profiler.profile(**options):
            step()

    return run


def torch_profiled(step: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]):
            step()

    return run


def report(title: str, medians: dict[str, float]) -> None:
    print(title)
    table = timing.Table(
        timing.Column("variant", 34, "<"),
        timing.Column("median ms", 11, digits=3),
        timing.Column("x off", 8, digits=3),
    )
    print(table.header())
    for name, seconds in medians.items():
        base = medians["pytorch, profiler off" if name.startswith("pytorch") else "ac, off"]
        print(table.row(name, seconds * 1e3, seconds / base))
    print()


def chain(n_ops: int, repeats: int) -> None:
    x = np.random.default_rng(0).normal(size=overhead.SHAPE).astype(np.float32)
    ours = functools.partial(overhead.elementwise_autocompyute, x, n_ops, True)
    steps: dict[str, Callable[[], object]] = {
        "ac, off": ours,
        "ac, on": profiled(ours),
        "ac, on + shapes + memory": profiled(ours, record_shapes=True, profile_memory=True),
    }
    medians = timing.interleaved_medians(steps, repeats, warmup=3)
    if torch is not None:
        # a group of its own: the garbage PyTorch's profiler leaves must not slow our steps
        theirs = functools.partial(overhead.elementwise_torch, x, n_ops, True)
        pairs = {"pytorch, profiler off": theirs, "pytorch, profiler on": torch_profiled(theirs)}
        medians.update(timing.interleaved_medians(pairs, repeats, warmup=3))
    report(f"elementwise chain, {n_ops} ops + backward, {repeats} repeats", medians)
    with ac.profiler.profile() as prof:
        ours()
    print("one profiled chain:", prof.summary())
    print()


def transformer(repeats: int) -> None:
    sizes = transformer_step.Sizes()
    ac.set_random_seed(0)
    generator = np.random.default_rng(0)
    tokens = generator.integers(0, sizes.vocab, (sizes.batch, sizes.context))
    targets = generator.integers(0, sizes.vocab, (sizes.batch, sizes.context))
    model = transformer_step.Transformer(sizes)
    ours = transformer_step.autocompyute_step(model, tokens, targets)
    steps: dict[str, Callable[[], object]] = {"ac, off": ours, "ac, on": profiled(ours)}
    medians = timing.interleaved_medians(steps, repeats, warmup=1)
    report(f"transformer training step (default sizes), {repeats} repeats", medians)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--transformer-repeats", type=int, default=8)
    parser.add_argument("--skip-transformer", action="store_true")
    args = parser.parse_args()
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else '-'}, 1 thread")
    chain(args.ops, args.repeats)
    if not args.skip_transformer:
        transformer(args.transformer_repeats)


if __name__ == "__main__":
    main()
