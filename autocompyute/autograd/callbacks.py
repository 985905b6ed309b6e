"""Callbacks that run once a backward pass has finished (PyTorch's `queue_callback`).

Code that runs during backward (a gradient hook) can queue work for the end of the pass: data
parallel training waits there for its last gradient all-reduce, so that `loss.backward()`
returns with every gradient final.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["backward_pass", "queue_callback"]

_state = threading.local()  # .queues: one list per backward pass running in this thread


def queue_callback(callback: Callable[[], None]) -> None:
    """Runs `callback()` when the backward pass that is running in this thread finishes.

    Callbacks run in the order they were queued, after every gradient of the pass has been
    delivered and before `backward()` returns; they do not run if the pass fails.

    Raises:
        RuntimeError: if no backward pass is running in this thread.
    """
    queues = getattr(_state, "queues", None)
    if not queues:
        raise RuntimeError("queue_callback: can only be called during a backward pass")
    queues[-1].append(callback)


@contextmanager
def backward_pass() -> Iterator[None]:
    """Marks a backward pass: callbacks queued inside it run when it exits without error."""
    queues = getattr(_state, "queues", None)
    if queues is None:
        queues = _state.queues = []
    queue: list[Callable[[], None]] = []
    queues.append(queue)
    try:
        yield
    finally:
        queues.pop()
    for callback in queue:
        callback()
