"""Timing and table printing shared by the benchmark scripts.

Importing this module limits the BLAS and OpenMP thread pools to one thread, so the scripts
import it before NumPy or PyTorch (the setting is read when those libraries load).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

Key = TypeVar("Key")


def interleaved_medians(
    steps: Mapping[Key, Callable[[], object]], repeats: int, warmup: int
) -> dict[Key, float]:
    """Median seconds per call of each step.

    After `warmup` untimed rounds, each of the `repeats` timed rounds calls every step once, in
    the mapping's order, so that changes in machine load affect all steps alike.
    """
    for _ in range(warmup):
        for step in steps.values():
            step()
    times: dict[Key, list[float]] = {key: [] for key in steps}
    for _ in range(repeats):
        for key, step in steps.items():
            start = time.perf_counter()
            step()
            times[key].append(time.perf_counter() - start)
    return {key: statistics.median(values) for key, values in times.items()}


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
