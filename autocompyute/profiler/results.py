"""Reading a finished recording: plain events, averaged tables, Chrome traces and summaries.

The engine hands over its C buffer as one bytes block; NumPy views it as a structured array, so
grouping and sums are vectorised and Python objects are made only for what is printed.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy

from autocompyute import _engine

__all__ = ["FunctionEvent", "KeyAverages", "Recording"]

EVENT_DTYPE = numpy.dtype(_engine.EVENT_FIELDS)
PHASES = {
    _engine.EVENT_FORWARD: "forward",
    _engine.EVENT_BACKWARD: "backward",
    _engine.EVENT_SCOPE: "scope",
}
_SORT_KEYS = {
    "self_time": "self_ns",
    "self_cpu_time_total": "self_ns",
    "self_cuda_time_total": "device_ns",
    "total_time": "total_ns",
    "cpu_time_total": "total_ns",
    "cuda_time_total": "device_ns",
    "mean_time": "mean_ns",
    "cpu_time": "mean_ns",
    "count": "count",
    "bytes": "nbytes",
    "cpu_memory_usage": "nbytes",
    "self_cpu_memory_usage": "nbytes",
    "forward_time": "forward_ns",
    "backward_time": "backward_ns",
    "device_time": "device_ns",
}


@dataclass(frozen=True, slots=True)
class FunctionEvent:
    """One recorded op call or scope.

    Attributes:
        index: position in the recording (scopes refer to each other by it).
        name: the op's class name, or the scope's name.
        phase: "forward", "backward" or "scope".
        start_ns, end_ns: monotonic clock readings (nanoseconds).
        scope: name of the enclosing scope (for backward ops: the scope where the op was made).
        parent: index of the enclosing scope event at the time it ran, or None.
        input_shapes: "[2, 3] float32, ..." when recorded with record_shapes, else None.
        nbytes: bytes of the output array(s) when recorded with profile_memory, else 0.
        source: the user's line that ran the op (with_stack), else None.
        device_ns: time on the GPU measured by CUDA events, or None for CPU ops.
    """

    index: int
    name: str
    phase: str
    start_ns: int
    end_ns: int
    scope: str | None
    parent: int | None
    input_shapes: str | None
    nbytes: int
    source: str | None
    device_ns: int | None

    @property
    def duration_ns(self) -> int:
        """end_ns - start_ns."""
        return self.end_ns - self.start_ns


class Recording:
    """The events of one profiled run (or one active cycle of a schedule)."""

    def __init__(
        self,
        recording: Any,
        device_times: list[tuple[float, float]],
        calibrate: Callable[[], float],
    ) -> None:
        # Nothing is converted until the results are read: stopping a profile stays cheap.
        self.nbytes = recording.nbytes
        self._recording = recording
        self.device_times = device_times  # per gpu index: (offset from the first, duration) ns
        self._calibrate = calibrate  # estimates the cost of recording one event, in ns
        self._overhead_ns: float | None = None

    @functools.cached_property
    def array(self) -> Any:
        """The events as a NumPy structured array (fields: EVENT_FIELDS)."""
        return numpy.frombuffer(self._recording.raw(), dtype=EVENT_DTYPE)

    @functools.cached_property
    def end(self) -> Any:
        """End times, with scopes still open at the stop ending at the last event's end."""
        end = self.array["end_ns"].copy()
        still_open = end == 0
        if still_open.any():
            end[still_open] = end.max()
        return end

    @functools.cached_property
    def duration(self) -> Any:
        return self.end - self.array["start_ns"]

    @functools.cached_property
    def self_time(self) -> Any:
        """Durations less those of the events directly inside (for scopes)."""
        table = self.array
        children = numpy.zeros(len(table), dtype=numpy.int64)
        nested = table["parent"] >= 0
        if nested.any():
            children = numpy.bincount(
                table["parent"][nested], weights=self.duration[nested], minlength=len(table)
            ).astype(numpy.int64)
        return self.duration - children

    def name(self, ident: int) -> str | None:
        return None if ident < 0 else self._recording.name(int(ident))  # type: ignore[no-any-return]

    def wall_ns(self) -> int:
        """From the first event's start to the last event's end."""
        if not len(self.array):
            return 0
        return int(self.end.max() - self.array["start_ns"].min())

    def device_ns(self, gpu: int) -> int | None:
        return None if gpu < 0 else int(self.device_times[gpu][1])

    def events(self) -> list[FunctionEvent]:
        table = self.array
        names = {}
        result = []
        for index, row in enumerate(table.tolist()):
            start, _, nbytes, name, parent, scope, shapes, source, gpu, kind, _ = row
            for ident in (name, scope, shapes, source):
                if ident >= 0 and ident not in names:
                    names[ident] = self.name(ident)
            result.append(
                FunctionEvent(
                    index=index,
                    name=names[name] or "",
                    phase=PHASES[kind],
                    start_ns=start,
                    end_ns=int(self.end[index]),
                    scope=names.get(scope),
                    nbytes=nbytes,
                    parent=None if parent < 0 else parent,
                    input_shapes=names.get(shapes),
                    source=names.get(source),
                    device_ns=self.device_ns(gpu),
                )
            )
        return result

    # ------------------------------------------------------------------ tables

    def key_averages(self, group_by_input_shape: bool, group_by_scope: bool) -> KeyAverages:
        table = self.array
        kinds = table["kind"]
        is_op = kinds != _engine.EVENT_SCOPE
        scope_key = numpy.where(is_op, table["scope"], -1) if group_by_scope else None
        columns = [table["name"], is_op.astype(numpy.int32)]
        if group_by_input_shape:
            columns.append(table["shapes"])
        if scope_key is not None:
            columns.append(scope_key)
        keys = numpy.stack(columns, axis=1) if len(table) else numpy.zeros((0, len(columns)))
        unique, inverse = numpy.unique(keys, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        groups = len(unique)
        device = numpy.array([self.device_ns(g) or 0 for g in table["gpu"]], dtype=numpy.int64)

        def total(values: Any, mask: Any = None) -> Any:
            weights = values if mask is None else numpy.where(mask, values, 0)
            return numpy.bincount(inverse, weights=weights, minlength=groups)

        count = numpy.bincount(inverse, minlength=groups)
        self_ns = total(self.self_time)
        total_ns = total(self.duration)
        forward = total(self.self_time, kinds == _engine.EVENT_FORWARD)
        backward = total(self.self_time, kinds == _engine.EVENT_BACKWARD)
        nbytes = total(table["nbytes"])
        device_ns = total(device)
        rows = []
        first_seen = numpy.full(groups, len(table))
        numpy.minimum.at(first_seen, inverse, numpy.arange(len(table)))
        for group in numpy.argsort(first_seen, kind="stable"):
            key = unique[group]
            rows.append(
                KeyAverage(
                    name=self.name(int(key[0])) or "",
                    is_op=bool(key[1]),
                    input_shapes=self.name(int(key[2])) if group_by_input_shape else None,
                    scope=self.name(int(key[-1])) if scope_key is not None else None,
                    count=int(count[group]),
                    self_ns=int(self_ns[group]),
                    total_ns=int(total_ns[group]),
                    forward_ns=int(forward[group]),
                    backward_ns=int(backward[group]),
                    nbytes=int(nbytes[group]),
                    device_ns=int(device_ns[group]),
                )
            )
        return KeyAverages(rows, self.wall_ns(), group_by_input_shape, group_by_scope)

    # ------------------------------------------------------------------ Chrome trace

    def chrome_trace(self) -> dict[str, Any]:
        table = self.array
        kinds = table["kind"].tolist()
        parents = table["parent"].tolist()
        # Which tracks a scope appears on: those of the ops inside it (forward if none).
        phases = [0] * len(kinds)
        for index in range(len(kinds) - 1, -1, -1):
            kind = kinds[index]
            if kind != _engine.EVENT_SCOPE:
                phases[index] |= 1 << kind
            elif phases[index] == 0:
                phases[index] = 1
            parent = parents[index]
            if parent >= 0:
                phases[parent] |= phases[index]
        origin = int(table["start_ns"].min()) if len(table) else 0
        trace: list[dict[str, Any]] = [
            {"ph": "M", "name": "process_name", "pid": 1, "args": {"name": "autocompyute (host)"}},
            {"ph": "M", "name": "thread_name", "pid": 1, "tid": 1, "args": {"name": "forward"}},
            {"ph": "M", "name": "thread_name", "pid": 1, "tid": 2, "args": {"name": "backward"}},
        ]
        gpu_origin: float | None = None
        for event in self.events():
            args: dict[str, Any] = {}
            if event.input_shapes is not None:
                args["input_shapes"] = event.input_shapes
            if event.nbytes:
                args["bytes"] = event.nbytes
            if event.scope is not None:
                args["scope"] = event.scope
            if event.source is not None:
                args["source"] = event.source
            slice_ = {
                "ph": "X",
                "name": event.name,
                "cat": event.phase,
                "pid": 1,
                "ts": (event.start_ns - origin) / 1000.0,
                "dur": event.duration_ns / 1000.0,
                "args": args,
            }
            mask = phases[event.index]
            for tid in (1, 2):
                if mask & (1 << (tid - 1)):
                    trace.append({**slice_, "tid": tid})
            gpu = int(table["gpu"][event.index])
            if gpu >= 0:
                offset, duration = self.device_times[gpu]
                if gpu_origin is None:
                    gpu_origin = (event.start_ns - origin) / 1000.0 - offset / 1000.0
                trace.append(
                    {
                        **slice_,
                        "pid": 2,
                        "tid": 1 if event.phase == "forward" else 2,
                        "ts": gpu_origin + offset / 1000.0,
                        "dur": duration / 1000.0,
                    }
                )
        if gpu_origin is not None:
            trace.append(
                {"ph": "M", "name": "process_name", "pid": 2, "args": {"name": "GPU (CUDA events)"}}
            )
        return {"traceEvents": trace, "displayTimeUnit": "ms"}

    def export_chrome_trace(self, path: str | os.PathLike[str]) -> Path:
        target = Path(path)
        text = json.dumps(self.chrome_trace())
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as error:
            raise type(error)(
                error.errno,
                f"export_chrome_trace: cannot write the trace to {str(target)!r}: {error.strerror}",
            ) from error
        return target

    def summary(self) -> str:
        table = self.array
        is_op = table["kind"] != _engine.EVENT_SCOPE
        ops = int(is_op.sum())
        backward = int((table["kind"] == _engine.EVENT_BACKWARD).sum())
        wall = self.wall_ns()
        op_time = int(self.duration[is_op].sum())
        if self._overhead_ns is None:
            self._overhead_ns = self._calibrate()
        overhead = ops * self._overhead_ns
        rate = ops / (wall / 1e9) if wall else 0.0
        return (
            f"{ops} ops ({ops - backward} forward, {backward} backward) and "
            f"{len(table) - ops} scopes in {wall / 1e6:.3f} ms: {rate:,.0f} ops/s; ops take "
            f"{_share(op_time, wall)} of the wall time; recording cost ~{_share(overhead, wall)} "
            f"({self._overhead_ns:.0f} ns per op; {self.nbytes / 1e6:.2f} MB of events)"
        )


def _share(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "n/a"


@dataclass(frozen=True, slots=True)
class KeyAverage:
    """One row of `key_averages()`: the calls of one op (or scope) summed up.

    Times are in nanoseconds: `self_ns` excludes nested events (for scopes), `total_ns`
    includes them; `forward_ns`/`backward_ns` split the self time of ops by phase.
    """

    name: str
    is_op: bool
    input_shapes: str | None
    scope: str | None
    count: int
    self_ns: int
    total_ns: int
    forward_ns: int
    backward_ns: int
    nbytes: int
    device_ns: int

    @property
    def mean_ns(self) -> float:
        """total_ns / count."""
        return self.total_ns / self.count if self.count else 0.0


class KeyAverages(list[KeyAverage]):
    """The rows of `profile.key_averages()` (a list of `KeyAverage`), with `table()`."""

    def __init__(
        self, rows: list[KeyAverage], wall_ns: int, by_shape: bool, by_scope: bool
    ) -> None:
        super().__init__(rows)
        self.wall_ns = wall_ns
        self._by_shape = by_shape
        self._by_scope = by_scope

    def table(
        self,
        sort_by: str | None = None,
        row_limit: int = 100,
        max_name_column_width: int = 40,
        **_: Any,
    ) -> str:
        """Formats the rows as a text table.

        Args:
            sort_by: "self_time", "total_time", "mean_time", "count", "bytes",
                "forward_time", "backward_time", "device_time" or PyTorch's names
                ("self_cpu_time_total", "cpu_time_total", ...); descending. None keeps the
                order of first appearance.
            row_limit: the most rows printed (-1 for all).
            max_name_column_width: names longer than this are shortened.

        Returns:
            The table; its last line gives the wall time the percentages refer to.
        """
        rows = list(self)
        if sort_by is not None:
            if sort_by not in _SORT_KEYS:
                raise ValueError(
                    f"table: unknown sort_by {sort_by!r}; expected one of {sorted(_SORT_KEYS)}"
                )
            attribute = _SORT_KEYS[sort_by]
            rows.sort(key=lambda row: getattr(row, attribute), reverse=True)
        if row_limit >= 0:
            rows = rows[:row_limit]
        width = max([4, *(min(len(r.name), max_name_column_width) for r in rows)])
        headers = ["Name"]
        if self._by_scope:
            headers.append("Scope")
        if self._by_shape:
            headers.append("Input shapes")
        headers += ["Calls", "Self", "Self %", "Total", "Mean", "Forward", "Backward", "Bytes"]
        on_device = any(row.device_ns for row in rows)  # ops ran on a GPU (CUDA event times)
        if on_device:
            headers.append("Device")
        lines = []
        for row in rows:
            name = row.name if len(row.name) <= width else row.name[: width - 3] + "..."
            cells = [name + ("" if row.is_op else " (scope)")]
            if self._by_scope:
                cells.append(row.scope or "-")
            if self._by_shape:
                cells.append(row.input_shapes or "-")
            cells += [
                str(row.count),
                _time(row.self_ns),
                _share(row.self_ns, self.wall_ns),
                _time(row.total_ns),
                _time(row.mean_ns),
                _time(row.forward_ns),
                _time(row.backward_ns),
                _bytes(row.nbytes),
            ]
            if on_device:
                cells.append(_time(row.device_ns))
            lines.append(cells)
        widths = [
            max(len(headers[i]), *(len(cells[i]) for cells in lines)) if lines else len(headers[i])
            for i in range(len(headers))
        ]

        def render(cells: list[str]) -> str:
            first = [cells[0].ljust(widths[0])]
            return "  ".join(first + [c.rjust(w) for c, w in zip(cells[1:], widths[1:])])

        rule = "-" * len(render(headers))
        body = [rule, render(headers), rule, *(render(c) for c in lines), rule]
        body.append(f"Wall time of the recording: {_time(self.wall_ns)}")
        return "\n".join(body)

    def __str__(self) -> str:
        return self.table()


def _time(ns: float) -> str:
    if ns >= 1e9:
        return f"{ns / 1e9:.3f}s"
    if ns >= 1e6:
        return f"{ns / 1e6:.3f}ms"
    return f"{ns / 1e3:.3f}us"


def _bytes(count: int) -> str:
    if count >= 1 << 20:
        return f"{count / (1 << 20):.2f} MB"
    if count >= 1 << 10:
        return f"{count / (1 << 10):.2f} KB"
    return f"{count} B"
