"""Timing and table printing shared by the benchmark scripts.

Importing this module limits the BLAS and OpenMP thread pools to one thread, so the scripts
import it before NumPy or PyTorch (the setting is read when those libraries load).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

Key = TypeVar("Key")


def interleaved_times(
    steps: Mapping[Key, Callable[[], object]],
    repeats: int,
    warmup: int,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[Key, list[float]]:
    """Seconds of every timed call of each step, read from `clock`.

    After `warmup` untimed rounds, each of the `repeats` timed rounds calls every step once, in
    the mapping's order, so that changes in machine load affect all steps alike. With
    `clock=time.process_time` the times are the process's CPU seconds (all its threads), which
    leave out the time other processes hold the cores on a shared machine.
    """
    for _ in range(warmup):
        for step in steps.values():
            step()
    times: dict[Key, list[float]] = {key: [] for key in steps}
    for _ in range(repeats):
        for key, step in steps.items():
            start = clock()
            step()
            times[key].append(clock() - start)
    return times


def interleaved_medians(
    steps: Mapping[Key, Callable[[], object]], repeats: int, warmup: int
) -> dict[Key, float]:
    """Median seconds per call of each step, timed as in `interleaved_times`."""
    times = interleaved_times(steps, repeats, warmup)
    return {key: statistics.median(values) for key, values in times.items()}


def training_step(
    optimizer: Any,
    compute_loss: Callable[[], Any],
    before_update: Callable[[], object] | None = None,
) -> Callable[[], float]:
    """A training step for either library: zero the gradients, compute the loss, backward,
    `before_update()` (e.g. gradient clipping), optimizer step; it returns the loss."""

    def step() -> float:
        optimizer.zero_grad()
        loss = compute_loss()
        loss.backward()
        if before_update is not None:
            before_update()
        optimizer.step()
        return float(loss.item())

    return step


def copy_weights(torch: Any, source: Any, target: Any) -> None:
    """Copies every parameter of an autocompyute module into the same-named one of a PyTorch
    module."""
    ours = dict(source.named_parameters())
    with torch.no_grad():
        for name, parameter in target.named_parameters():
            parameter.copy_(torch.from_numpy(ours[name].as_numpy()))


@contextlib.contextmanager
def threads(count: int, torch: Any = None) -> Iterator[None]:
    """NumPy's BLAS (through threadpoolctl, installed with scikit-learn) and PyTorch (if given)
    on `count` threads inside the block."""
    if count == 1:
        yield
        return
    from threadpoolctl import threadpool_limits

    previous = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=count, user_api="blas"):
        if torch is not None:
            torch.set_num_threads(count)
        try:
            yield
        finally:
            if previous is not None:
                torch.set_num_threads(previous)


def print_tables_per_thread_count(
    steps: Mapping[str, Callable[[], object]], counts: list[int], repeats: int, torch: Any
) -> None:
    """For each thread count: times the steps interleaved (2 warm-up rounds) and prints the
    library table."""
    for count in counts:
        with threads(count, torch):
            medians = interleaved_medians(steps, repeats, warmup=2)
        print(f"{count} thread{'s' if count > 1 else ''}:")
        print_library_table(medians)


def print_profile(step: Callable[[], object], calls: int, lines: int) -> None:
    """Runs `step` once, then `calls` times under cProfile; prints the top `lines` by own time."""
    import cProfile
    import pstats

    step()
    with cProfile.Profile() as profile:
        for _ in range(calls):
            step()
    pstats.Stats(profile).sort_stats("tottime").print_stats(lines)


@dataclass(frozen=True)
class Column:
    """A table column: its title, width, alignment ("<" or ">") and decimals of numbers."""

    title: str
    width: int
    align: str = ">"
    digits: int = 2


class Table:
    """A fixed-width text table whose cells are strings, numbers or None (shown as "-")."""

    def __init__(self, *columns: Column, separator: str = "") -> None:
        self.columns = columns
        self.separator = separator

    def header(self) -> str:
        return self.separator.join(
            f"{column.title:{column.align}{column.width}}" for column in self.columns
        )

    def row(self, *cells: str | float | None) -> str:
        return self.separator.join(
            self._cell(column, cell) for column, cell in zip(self.columns, cells, strict=True)
        )

    @staticmethod
    def _cell(column: Column, cell: str | float | None) -> str:
        if cell is None:
            cell = "-"
        if isinstance(cell, str):
            return f"{cell:{column.align}{column.width}}"
        return f"{cell:{column.align}{column.width}.{column.digits}f}"


def print_library_table(medians: Mapping[str, float], base: str = "pytorch") -> None:
    """Prints each library's median step time (given in seconds) in ms, and its ratio to `base`.

    The ratio is "-" where `base` did not run.
    """
    table = Table(Column("library", 14, "<"), Column("median ms", 12, digits=1), Column("ratio", 8))
    print(table.header())
    milliseconds = {name: median * 1e3 for name, median in medians.items()}
    base_ms = milliseconds.get(base)
    for name, ms in milliseconds.items():
        print(table.row(name, ms, ms / base_ms if base_ms else None))
