"""The profiler: events recorded in the engine, scopes, tables, Chrome traces and schedules."""

import json
import time

import numpy
import pytest

import autocompyute as ac
from autocompyute import nn
from autocompyute.profiler import ProfilerAction, profile, record_function, schedule


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)

    def forward(self, x):
        return self.lin(x).relu()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.Sequential(Block(), Block())
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.blocks(x))


def ops(prof, phase=None):
    return [e for e in prof.events() if e.phase != "scope" and (phase is None or e.phase == phase)]


def test_events_match_the_ops_run_in_both_phases():
    x = ac.ones(2, 3, req_grad=True)
    with profile(record_shapes=True, profile_memory=True) as prof:
        y = (x * 2.0).exp().sum()
        y.backward()
    assert [(e.name, e.phase) for e in ops(prof)] == [
        ("Mul", "forward"),
        ("Exp", "forward"),
        ("Sum", "forward"),
        ("Sum", "backward"),
        ("Exp", "backward"),
        ("Mul", "backward"),
    ]
    mul, exp, total = ops(prof, "forward")
    assert mul.input_shapes == "[2, 3] float32, [] float"
    assert exp.input_shapes == "[2, 3] float32"
    assert (mul.nbytes, exp.nbytes, total.nbytes) == (24, 24, 4)
    assert [e.nbytes for e in ops(prof, "backward")] == [24, 24, 24]
    assert [e.input_shapes for e in ops(prof, "backward")] == [
        "[] float32",
        "[2, 3] float32",
        "[2, 3] float32",
    ]


def test_shapes_and_bytes_are_only_recorded_when_asked():
    with profile() as prof:
        ac.ones(3) + 1
    (event,) = prof.events()
    assert event.input_shapes is None and event.nbytes == 0 and event.source is None


def test_no_grad_ops_are_recorded_too():
    with profile() as prof, ac.no_grad():
        ac.ones(3).tanh()
    assert [e.name for e in prof.events()] == ["TanhOp"]


def test_nothing_is_recorded_outside_the_block():
    x = ac.ones(3, req_grad=True)
    y = x * 2
    with profile() as prof:
        z = y.sum()
    z.backward()
    ac.ones(2) + 1
    assert [(e.name, e.phase) for e in prof.events()] == [("Sum", "forward")]


def test_record_function_scopes_nest_and_own_their_ops():
    with profile() as prof, record_function("outer"):
        a = ac.ones(2) + 1
        with record_function("inner"):
            b = a * 3

        @record_function("decorated")
        def f(t):
            return t - 1

        f(b)
    events = prof.events()
    by_name = {e.name: e for e in events}
    assert [e.name for e in events] == ["outer", "Add", "inner", "Mul", "decorated", "Sub"]
    assert by_name["inner"].parent == by_name["outer"].index
    assert by_name["Mul"].parent == by_name["inner"].index and by_name["Mul"].scope == "inner"
    assert by_name["Add"].scope == "outer" and by_name["Sub"].scope == "decorated"
    outer = by_name["outer"]
    for event in events[1:]:
        assert outer.start_ns <= event.start_ns <= event.end_ns <= outer.end_ns


def test_module_scopes_are_named_by_their_path_and_backward_ops_keep_them():
    net = Net()
    x = ac.randn(3, 4)
    with profile() as prof:
        net(x).sum().backward()
    scopes = [e.name for e in prof.events() if e.phase == "scope"]
    assert scopes == [
        "Net",
        "blocks",
        "blocks.0",
        "blocks.0.lin",
        "blocks.1",
        "blocks.1.lin",
        "head",
    ]
    forward = [(e.name, e.scope) for e in ops(prof, "forward")]
    assert ("ReLUOp", "blocks.0") in forward and ("ReLUOp", "blocks.1") in forward
    backward = {(e.name, e.scope) for e in ops(prof, "backward")}
    assert ("ReLUOp", "blocks.1") in backward and ("Sum", None) in backward
    rows = {(r.name, r.scope): r for r in prof.key_averages(group_by_scope=True)}
    assert rows[("ReLUOp", "blocks.0")].count == 2  # forward and backward
    assert (
        rows[("ReLUOp", "blocks.0")].forward_ns > 0 and rows[("ReLUOp", "blocks.0")].backward_ns > 0
    )


def test_optimizer_steps_and_dataloader_batches_are_scopes():
    net = Net()
    optimizer = nn.optimizers.SGD(net.parameters(), lr=0.1)
    loader = nn.Dataloader((ac.randn(8, 4),), batch_size=4)
    with profile() as prof:
        for (x,) in loader:
            net(x).sum().backward()
            optimizer.step()
    names = [e.name for e in prof.events() if e.phase == "scope"]
    assert names.count("DataLoader.__next__") == 2
    assert names.count("Optimizer.step#SGD.step") == 2


def test_key_averages_counts_and_times_add_up():
    x = ac.randn(16, 16, req_grad=True)
    start = time.perf_counter_ns()
    with profile() as prof:
        for _ in range(5):
            (x @ x).tanh().sum().backward()
    wall = time.perf_counter_ns() - start
    rows = {row.name: row for row in prof.key_averages()}
    assert {name: row.count for name, row in rows.items()} == {
        "MatMul": 10,
        "TanhOp": 10,
        "Sum": 10,
    }
    for row in rows.values():
        assert row.forward_ns + row.backward_ns == row.self_ns == row.total_ns
        assert 0 < row.mean_ns * row.count == pytest.approx(row.total_ns)
    self_total = sum(row.self_ns for row in rows.values())
    assert 0 < self_total <= prof.key_averages().wall_ns <= wall
    table = prof.key_averages().table(sort_by="self_time", row_limit=2)
    lines = table.splitlines()
    assert "Self %" in lines[1] and "Forward" in lines[1] and "Backward" in lines[1]
    assert len([line for line in lines if line.startswith(("MatMul", "TanhOp", "Sum"))]) == 2
    assert "Wall time" in lines[-1]


def test_scope_self_time_excludes_nested_events():
    with profile() as prof, record_function("outer"):
        time.sleep(0.002)
        with record_function("inner"):
            time.sleep(0.002)
    rows = {row.name: row for row in prof.key_averages()}
    outer, inner = rows["outer"], rows["inner"]
    assert outer.total_ns == pytest.approx(outer.self_ns + inner.total_ns)
    assert inner.self_ns >= 2_000_000 and outer.self_ns >= 2_000_000


def test_group_by_input_shape_needs_and_uses_record_shapes():
    with profile(record_shapes=True) as prof:
        ac.ones(2) + 1
        ac.ones(3) + 1
        ac.ones(3) + 1
    rows = prof.key_averages(group_by_input_shape=True)
    assert [(r.input_shapes, r.count) for r in rows] == [
        ("[2] float32, [] int", 1),
        ("[3] float32, [] int", 2),
    ]
    assert "[3] float32" in rows.table()
    with profile() as plain:
        ac.ones(2) + 1
    with pytest.raises(ValueError, match="record_shapes=True"):
        plain.key_averages(group_by_input_shape=True)


def test_table_rejects_an_unknown_sort_key():
    with profile() as prof:
        ac.ones(2) + 1
    with pytest.raises(ValueError, match="unknown sort_by 'speed'"):
        prof.key_averages().table(sort_by="speed")


def test_chrome_trace_is_valid_json_with_separate_tracks_and_nested_scopes(tmp_path):
    net = Net()
    with profile(record_shapes=True) as prof, record_function("step"):
        net(ac.randn(2, 4)).sum().backward()
    path = prof.export_chrome_trace(tmp_path / "trace.json")
    trace = json.loads(path.read_text())
    slices = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    names = {e["args"]["name"] for e in trace["traceEvents"] if e["name"] == "thread_name"}
    assert names == {"forward", "backward"}
    for event in slices:
        assert {"name", "ts", "dur", "pid", "tid"} <= event.keys()
        assert event["dur"] >= 0
    forward_ops = {e["tid"] for e in slices if e["cat"] == "forward"}
    backward_ops = {e["tid"] for e in slices if e["cat"] == "backward"}
    assert forward_ops == {1} and backward_ops == {2}
    # the "step" scope holds both phases, so it is drawn on both tracks; module scopes on the
    # forward one; on each track slices nest properly (no partial overlaps)
    assert sorted(e["tid"] for e in slices if e["name"] == "step") == [1, 2]
    assert {e["tid"] for e in slices if e["name"] == "blocks.0.lin"} == {1}
    for tid in (1, 2):
        track = sorted((e for e in slices if e["tid"] == tid), key=lambda e: (e["ts"], -e["dur"]))
        stack = []
        for event in track:
            end = event["ts"] + event["dur"]
            while stack and stack[-1] <= event["ts"]:
                stack.pop()
            assert not stack or end <= stack[-1] + 1e-3
            stack.append(end)


def test_export_errors_name_the_problem(tmp_path):
    prof = profile()
    with prof:
        ac.ones(2) + 1
        with pytest.raises(RuntimeError, match="still running"):
            prof.export_chrome_trace(tmp_path / "early.json")
    with pytest.raises(OSError, match=r"cannot write the trace to .*missing"):
        prof.export_chrome_trace(tmp_path / "missing" / "trace.json")
    with pytest.raises(RuntimeError, match=r"nothing was recorded|still running"):
        profile().events()


def test_profiling_inside_profiling_is_an_error_and_the_outer_one_survives():
    with profile() as outer:
        with pytest.raises(RuntimeError, match="another profiler is already running"), profile():
            pass
        ac.ones(2) + 1
    assert [e.name for e in outer.events()] == ["Add"]


def test_an_exception_inside_the_block_keeps_what_was_recorded():
    prof = profile()
    with pytest.raises(ZeroDivisionError), prof, record_function("failing"):
        _ = ac.ones(2) * 3
        raise ZeroDivisionError
    events = prof.events()
    assert [e.name for e in events] == ["failing", "Mul"]
    assert events[0].end_ns >= events[1].end_ns
    assert not ac.profiler.is_recording()
    with profile():  # a new profiler can start
        pass


@pytest.mark.filterwarnings("ignore:Profiler won.t be using warmup")
def test_schedule_actions_match_pytorch():
    torch_profiler = pytest.importorskip("torch.profiler")
    for args in [
        dict(wait=1, warmup=1, active=2),
        dict(wait=0, warmup=0, active=1, repeat=2),
        dict(wait=2, warmup=1, active=3, repeat=1, skip_first=2),
    ]:
        ours = schedule(**args)
        theirs = torch_profiler.schedule(**args)
        assert [ours(i).name for i in range(14)] == [theirs(i).name for i in range(14)]
    with pytest.raises(ValueError, match="active must be an int >= 1"):
        schedule(wait=0, warmup=0, active=0)


def test_schedule_records_only_active_steps_and_calls_on_trace_ready():
    cycles = []

    def ready(prof):
        cycles.append(sorted({e.name for e in prof.events() if e.phase == "scope"}))
        assert sum(1 for e in ops(prof) if e.name == "Add") == 2

    plan = schedule(wait=1, warmup=1, active=2, repeat=2)
    with profile(schedule=plan, on_trace_ready=ready) as prof:
        for _ in range(10):
            ac.ones(2) + 1
            prof.step()
    assert cycles == [["ProfilerStep#2", "ProfilerStep#3"], ["ProfilerStep#6", "ProfilerStep#7"]]
    assert plan(0) is ProfilerAction.NONE


def test_without_a_schedule_on_trace_ready_runs_at_exit():
    seen = []
    with profile(on_trace_ready=lambda prof: seen.append(len(prof.events()))):
        ac.ones(2) + 1
    assert seen == [1]


def test_summary_is_one_line_with_rates_and_overhead():
    with profile() as prof:
        for _ in range(10):
            ac.ones(2) + 1
    line = prof.summary()
    assert "\n" not in line
    assert line.startswith("10 ops (10 forward, 0 backward) and 0 scopes")
    assert "ops/s" in line and "recording cost" in line


def test_events_take_under_100_bytes_each():
    with profile(record_shapes=True, profile_memory=True) as prof:
        x = ac.ones(1)
        for _ in range(20_000):
            x.neg()
    assert len(ops(prof)) == 20_000
    per_event = prof.recorded_bytes / 20_000
    assert per_event <= 56  # so a million events take under 100 MB


def test_with_stack_records_the_users_line():
    with profile(with_stack=True) as prof:
        ac.ones(2).exp()  # the line recorded
    (event,) = prof.events()
    assert event.source is not None
    assert "test_profiler.py" in event.source and "ac.ones(2).exp()" in event.source


def test_activities_are_accepted():
    activities = [ac.profiler.ProfilerActivity.CPU, ac.profiler.ProfilerActivity.CUDA]
    with profile(activities=activities) as prof:
        ac.ones(2) + 1
    assert len(prof.events()) == 1
    with pytest.raises(ValueError, match="unknown activities"):
        profile(activities=["tpu"])


@pytest.mark.cuda
def test_gpu_ops_get_device_times_from_cuda_events(tmp_path):
    x = ac.randn(256, 256, device="cuda", req_grad=True)
    with profile(activities=[ac.profiler.ProfilerActivity.CUDA]) as prof:
        (x @ x).sum().backward()
    events = ops(prof)
    assert events and all(e.device_ns is not None and e.device_ns > 0 for e in events)
    trace = json.loads(prof.export_chrome_trace(tmp_path / "gpu.json").read_text())
    assert any(e.get("pid") == 2 and e["ph"] == "X" for e in trace["traceEvents"])
    assert numpy.isfinite(sum(e.device_ns for e in events))
    assert "Device" in prof.key_averages().table()
