"""`profile`: records every op the engine runs (and every scope) for a block of code."""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from autocompyute import _engine
from autocompyute.profiler.gpu import CudaEventTimer, cuda_timer_available
from autocompyute.profiler.results import FunctionEvent, KeyAverages, Recording
from autocompyute.profiler.scopes import reset_module_paths

__all__ = ["ProfilerAction", "ProfilerActivity", "profile", "schedule"]

_PROFILE_BITS = (
    _engine.WATCH_PROFILE
    | _engine.WATCH_SHAPES
    | _engine.WATCH_MEMORY
    | _engine.WATCH_STACK
    | _engine.WATCH_GPU
)
_CALIBRATION_EVENTS = 2000


class ProfilerActivity(enum.Enum):
    """What to profile (PyTorch's names): host-side ops, and CUDA device time."""

    CPU = "cpu"
    CUDA = "cuda"


class ProfilerAction(enum.Enum):
    """What the profiler does during one step of a schedule."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(
    *, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0
) -> Callable[[int], ProfilerAction]:
    """A schedule for `profile(schedule=...)`: which steps to record, as in PyTorch.

    After `skip_first` steps, each cycle waits `wait` steps, warms up `warmup` steps (recording
    and then discarding, so start-up costs stay out of the results) and records `active` steps;
    `on_trace_ready` runs at the end of each cycle. `repeat` cycles (0: until the end).

    >>> plan = schedule(wait=1, warmup=1, active=2)
    >>> [plan(step).name for step in range(4)]
    ['NONE', 'WARMUP', 'RECORD', 'RECORD_AND_SAVE']
    """
    for name, value, low in (
        ("wait", wait, 0),
        ("warmup", warmup, 0),
        ("active", active, 1),
        ("repeat", repeat, 0),
        ("skip_first", skip_first, 0),
    ):
        if not isinstance(value, int) or value < low:
            raise ValueError(f"schedule: {name} must be an int >= {low}, got {value!r}")
    cycle = wait + warmup + active

    def action(step: int) -> ProfilerAction:
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if repeat > 0 and step // cycle >= repeat:
            return ProfilerAction.NONE
        position = step % cycle
        if position < wait:
            return ProfilerAction.NONE
        if position < wait + warmup:
            return ProfilerAction.WARMUP
        if position < cycle - 1:
            return ProfilerAction.RECORD
        return ProfilerAction.RECORD_AND_SAVE

    return action


_RECORDING_ACTIONS = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)
_active: list[profile] = []


class profile:  # noqa: N801 (PyTorch's name)
    """Records the ops the engine runs inside a `with` block, with timings taken in C.

    Every forward and backward the engine runs becomes one event (op name, phase, start and
    end time, the enclosing scopes, and on request input shapes, output bytes and the user's
    source line). Module calls, optimizer steps, data-loader batches and `record_function`
    blocks are scopes. Read the results after the block (or in `on_trace_ready`).

    Args:
        activities: ProfilerActivity values; CUDA adds device times from CUDA events for ops on
            CuPy arrays (the default when a GPU is usable).
        schedule: a `schedule(...)` (or any step -> ProfilerAction callable); advance it
            with `step()`. Without one, the whole block is recorded.
        on_trace_ready: called with this profiler when a recorded cycle (or the block) ends.
        record_shapes: record the input shapes and dtypes of every op.
        profile_memory: record the bytes of every op's output arrays.
        with_stack: record the user's source line that ran every op.
        with_flops, with_modules: accepted for PyTorch compatibility (module scopes are
            always recorded; FLOPs are not counted).

    >>> import autocompyute as ac
    >>> with ac.profiler.profile(record_shapes=True) as prof:
    ...     y = (ac.ones(2, 3, req_grad=True) * 2).sum()
    ...     y.backward()
    >>> [(e.name, e.phase, e.input_shapes) for e in prof.events()]  # doctest: +NORMALIZE_WHITESPACE
    [('Mul', 'forward', '[2, 3] float32, [] int'), ('Sum', 'forward', '[2, 3] float32'),
     ('Sum', 'backward', '[] float32'), ('Mul', 'backward', '[2, 3] float32')]
    """

    def __init__(
        self,
        activities: Iterable[ProfilerActivity] | None = None,
        schedule: Callable[[int], ProfilerAction] | None = None,
        on_trace_ready: Callable[[profile], Any] | None = None,
        record_shapes: bool = False,
        profile_memory: bool = False,
        with_stack: bool = False,
        with_flops: bool = False,
        with_modules: bool = False,
        **_: Any,
    ) -> None:
        wanted = set(activities) if activities is not None else None
        if wanted is not None and not wanted <= set(ProfilerActivity):
            raise ValueError(
                f"profile: unknown activities {wanted - set(ProfilerActivity)}; "
                "use ProfilerActivity.CPU and ProfilerActivity.CUDA"
            )
        self._use_gpu = (wanted is None or ProfilerActivity.CUDA in wanted) and (
            cuda_timer_available()
        )
        self._flags = _engine.WATCH_PROFILE
        if record_shapes:
            self._flags |= _engine.WATCH_SHAPES
        if profile_memory:
            self._flags |= _engine.WATCH_MEMORY
        if with_stack:
            self._flags |= _engine.WATCH_STACK
        if self._use_gpu:
            self._flags |= _engine.WATCH_GPU
        self._schedule = schedule
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self._action = ProfilerAction.NONE
        self._running = False  # inside the with block
        self._recording_now = False  # the engine is recording for us
        self._step_token = -1
        self._timer: CudaEventTimer | None = None
        self._result: Recording | None = None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Starts profiling (what entering the `with` block does)."""
        if _active:
            raise RuntimeError(
                "profile: another profiler is already running; profiling inside profiling is "
                "not supported (exit the outer profile first)"
            )
        _active.append(self)
        self._running = True
        self.step_num = 0
        self._action = self._schedule(0) if self._schedule is not None else (ProfilerAction.RECORD)
        if self._action is not ProfilerAction.NONE:
            self._begin_recording()
        self._open_step_scope()

    def stop(self) -> None:
        """Stops profiling and keeps what was recorded (what leaving the `with` block does)."""
        if not self._running:
            return
        try:
            self._close_step_scope()
            if self._recording_now:
                keep = self._action in _RECORDING_ACTIONS
                self._end_recording(keep)
                if keep:
                    self._trace_ready()
        finally:
            self._running = False
            _active.remove(self)

    def step(self) -> None:
        """Marks the end of one training step; moves the schedule on."""
        if not self._running:
            raise RuntimeError(
                "profile.step(): the profiler is not running (call it inside the with block)"
            )
        previous = self._action
        self._close_step_scope()
        self.step_num += 1
        current = self._schedule(self.step_num) if self._schedule is not None else previous
        if previous is ProfilerAction.RECORD_AND_SAVE or (
            previous in _RECORDING_ACTIONS and current is ProfilerAction.NONE
        ):
            self._end_recording(True)
            self._action = current
            self._trace_ready()
        elif previous is ProfilerAction.WARMUP and current is not ProfilerAction.WARMUP:
            self._end_recording(False)  # warm-up events are dropped
        elif previous is not ProfilerAction.NONE and current is ProfilerAction.NONE:
            self._end_recording(False)
        self._action = current
        if current is not ProfilerAction.NONE and not self._recording_now:
            self._begin_recording()
        self._open_step_scope()

    def _begin_recording(self) -> None:
        reset_module_paths()
        _engine.profiler_start()
        self._timer = CudaEventTimer() if self._use_gpu else None
        _engine.set_gpu_timer(self._timer)
        _engine.set_watch_flags((_engine.watch_flags() & ~_PROFILE_BITS) | self._flags)
        self._recording_now = True

    def _end_recording(self, keep: bool) -> None:
        _engine.set_watch_flags(_engine.watch_flags() & ~_PROFILE_BITS)
        _engine.set_gpu_timer(None)
        recording = _engine.profiler_take()
        self._recording_now = False
        if keep:
            times = self._timer.resolve() if self._timer is not None else []
            self._result = Recording(recording, times, self._calibrate)

    def _open_step_scope(self) -> None:
        if self._schedule is not None and self._recording_now:
            self._step_token = _engine.profiler_enter_scope(f"ProfilerStep#{self.step_num}")

    def _close_step_scope(self) -> None:
        if self._step_token >= 0:
            _engine.profiler_exit_scope(self._step_token)
        self._step_token = -1

    def _trace_ready(self) -> None:
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)

    # ------------------------------------------------------------------ results

    def _results(self, what: str) -> Recording:
        if self._result is None:
            if self._running:
                raise RuntimeError(
                    f"profile.{what}: the profiler is still running; read the results after "
                    "the with block (or inside on_trace_ready)"
                )
            raise RuntimeError(
                f"profile.{what}: nothing was recorded (the schedule never reached an active step)"
            )
        return self._result

    def events(self) -> list[FunctionEvent]:
        """Every recorded op call and scope, in the order they started (scopes first)."""
        return self._results("events()").events()

    def key_averages(
        self,
        group_by_input_shape: bool = False,
        group_by_stack_n: int = 0,
        group_by_scope: bool = False,
    ) -> KeyAverages:
        """Sums the events per op name (and input shapes and/or scope); `.table()` prints it.

        Args:
            group_by_input_shape: separate rows per input shapes (needs record_shapes).
            group_by_stack_n: accepted for PyTorch compatibility (not used).
            group_by_scope: separate rows per scope (module path or record_function name);
                backward ops count in the scope where their forward ran.
        """
        results = self._results("key_averages()")
        if group_by_input_shape and not self._flags & _engine.WATCH_SHAPES:
            raise ValueError(
                "key_averages(group_by_input_shape=True) needs profile(record_shapes=True)"
            )
        return results.key_averages(group_by_input_shape, group_by_scope)

    def export_chrome_trace(self, path: str | os.PathLike[str]) -> Path:
        """Writes the events as Chrome trace JSON (Perfetto, chrome://tracing).

        Forward and backward ops are on separate tracks; scopes are slices around their ops;
        GPU device times (CUDA events) are on their own process track.
        """
        return self._results("export_chrome_trace()").export_chrome_trace(path)

    def summary(self) -> str:
        """One line: ops, scopes, wall time, ops per second, share of time the ops and the
        profiler's own recording take."""
        return self._results("summary()").summary()

    @property
    def recorded_bytes(self) -> int:
        """Memory the recorded events take (the C buffer)."""
        return self._results("recorded_bytes").nbytes

    def _calibrate(self) -> float:
        """Estimates the profiler's cost per recorded op, in ns, by recording dummy ops with
        this profiler's settings (in a scratch recording; only while no profiler runs)."""
        if _active:
            return float("nan")
        previous = _engine.set_watch_flags((_engine.watch_flags() & ~_PROFILE_BITS) | self._flags)
        _engine.profiler_start()
        try:
            return float(_engine.profiler_calibrate(_CALIBRATION_EVENTS))
        finally:
            _engine.set_watch_flags(previous)
            _engine.profiler_take()
