"""Device-side op times from CUDA events (recorded on the current stream, no synchronisation
per op; resolved once when the recording ends)."""

from __future__ import annotations

import functools
from typing import Any

from autocompyute.backend import Device, cuda_available

__all__ = ["CudaEventTimer", "cuda_timer_available"]


@functools.cache
def cuda_timer_available() -> bool:
    """Whether CuPy and a GPU are usable (then ops on CuPy arrays get device times; checked
    once: a failing import of CuPy is slow next to a profiled step)."""
    return cuda_available()


class CudaEventTimer:
    """Called by the engine: `timer(-1)` records a start event and returns its index;
    `timer(start)` records the matching end event and returns the index of the pair."""

    def __init__(self) -> None:
        self._cuda = Device("cuda").xp.cuda
        self._starts: list[Any] = []
        self._pairs: list[tuple[Any, Any]] = []

    def __call__(self, start: int) -> int:
        event = self._cuda.Event()
        event.record()
        if start < 0:
            self._starts.append(event)
            return len(self._starts) - 1
        self._pairs.append((self._starts[start], event))
        return len(self._pairs) - 1

    def resolve(self) -> list[tuple[float, float]]:
        """(start offset from the first event, duration) in ns for every pair, in order."""
        if not self._pairs:
            return []
        self._pairs[-1][1].synchronize()
        first = self._pairs[0][0]
        elapsed = self._cuda.get_elapsed_time
        return [
            (elapsed(first, start) * 1e6, elapsed(start, end) * 1e6) for start, end in self._pairs
        ]
