"""Hostile use of the engine must end in a Python exception, never in an interpreter crash.

Each probe of the catalogue runs in a child process (a crash there cannot take pytest down);
the child reports which probes it started and how each ended, and a child that dies is restarted
on the probes after the one that killed it, so one run names every crashing probe.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import autocompyute as ac
from autocompyute import _engine
from autocompyute.autograd.op import Op

PRELUDE = """
import numpy as np
import autocompyute as ac
from autocompyute import _engine
from autocompyute.autograd import IndexedGradient
from autocompyute.autograd.op import Op

class Double(Op):
    def forward(self, x):
        return x * 2

    def backward(self, grad):
        return grad * 2
"""

# name -> (code, the exception type it must end in, or None where completing is correct)
PROBES: dict[str, tuple[str, str | None]] = {
    "write parents then backward": (
        "y = ac.ones(3, req_grad=True).exp()\ny.grad_fn.parents = (1.0,)\ny.sum().backward()",
        "AttributeError",
    ),
    "write needs_grad then backward": (
        "y = ac.ones(3, req_grad=True) * 2.0\ny.grad_fn.needs_grad = (True, True)\n"
        "y.sum().backward()",
        "AttributeError",
    ),
    "write saved": ("(ac.ones(3, req_grad=True).exp()).grad_fn.saved = (1,)", "AttributeError"),
    "write kwargs": ("ac.ones(3, req_grad=True).sum(0).grad_fn.kwargs = 1", "AttributeError"),
    "write xp": ("(ac.ones(3, req_grad=True) * 2.0).grad_fn.xp = None", "AttributeError"),
    "write seq": ("(ac.ones(3, req_grad=True) * 2.0).grad_fn.seq = -1", "AttributeError"),
    "backward assigns self.parents": (
        "class Bad(Double):\n"
        "    def backward(self, grad):\n"
        "        self.parents = (1.0, 2.0, 3.0)\n"
        "        return grad\n"
        "Bad.apply(ac.ones(3, req_grad=True)).sum().backward()",
        "AttributeError",
    ),
    "ctx set to a bare op": (
        "x = ac.ones(3, req_grad=True)\nx.ctx = Double()\nx.sum().backward()",
        "TypeError",
    ),
    "apply with OpNode": ("_engine.apply(_engine.OpNode, ac.ones(3))", "AttributeError"),
    "apply with int": ("_engine.apply(int, ac.ones(3))", "TypeError"),
    "apply1 with OpNode": ("_engine.apply1(_engine.OpNode, ac.ones(3))", "AttributeError"),
    "apply2 with int": ("_engine.apply2(int, ac.ones(3), 1.0)", "TypeError"),
    "apply with kwargs and OpNode": (
        "_engine.apply(_engine.OpNode, ac.ones(3), dim=1)",
        "AttributeError",
    ),
    "set_tensor_class TensorCore": (
        "_engine.set_tensor_class(_engine.TensorCore)\n"
        "try:\n"
        "    y = ac.ones(3, req_grad=True) * 2\n"
        "    assert type(y) is _engine.TensorCore\n"
        "    _engine.run_backward(y, np.ones(3, np.float32))\n"
        "finally:\n"
        "    _engine.set_tensor_class(ac.Tensor)",
        None,
    ),
    "set_tensor_class int": ("_engine.set_tensor_class(int)", "TypeError"),
    "register_arithmetic int": (
        "_engine.register_arithmetic(int, int, int, int, int, int, int, None)",
        "TypeError",
    ),
    "register_arithmetic without fallback": (
        "_engine.register_arithmetic(Double, Double, Double, Double, Double, Double, Double, 1)",
        "TypeError",
    ),
    "register_indexing int": ("_engine.register_indexing(int, None)", "TypeError"),
    "register_indexing without fallback": ("_engine.register_indexing(Double, None)", "TypeError"),
    "run_backward None": ("_engine.run_backward(None, None)", "TypeError"),
    "run_backward string gradient": (
        "x = ac.ones(3, req_grad=True)\n_engine.run_backward(x.exp(), 'grad')",
        "TypeError",
    ),
    "data replaced by a list": (
        "x = ac.ones(3, req_grad=True)\ny = x.exp()\nx.data = [1.0, 2.0]\ny.sum().backward()",
        "TypeError",
    ),
    "data replaced by a string": ("x = ac.ones(3)\nx.data = 'abc'\nx * 2", "TypeError"),
    "data replaced by an array look-alike": (
        "class Fake:\n"
        "    shape = (3,)\n"
        "    dtype = np.dtype('float32')\n"
        "x = ac.ones(3, req_grad=True)\n"
        "y = x.exp()\n"
        "x.data = Fake()\n"
        "y.sum().backward()\n"
        "x * 2",
        "Exception",
    ),
    "grad replaced by a string": ("x = ac.ones(3, req_grad=True)\nx.grad = 'abc'", "TypeError"),
    "backward returns a string": (
        "class Bad(Double):\n"
        "    def backward(self, grad):\n"
        "        return 'abc'\n"
        "Bad.apply(ac.ones(3, req_grad=True)).sum().backward()",
        "TypeError",
    ),
    "backward returns a tensor": (
        "class Bad(Double):\n"
        "    def backward(self, grad):\n"
        "        return ac.tensor(grad)\n"
        "Bad.apply(ac.ones(3, req_grad=True)).sum().backward()",
        "TypeError",
    ),
    "backward returns an int": (
        "class Bad(Double):\n"
        "    def backward(self, grad):\n"
        "        return 3\n"
        "Bad.apply(ac.ones(3, req_grad=True)).sum().backward()",
        "TypeError",
    ),
    "IndexedGradient with a bad key": (
        "class Bad(Double):\n"
        "    def backward(self, grad):\n"
        "        return IndexedGradient((slice(None), 7), grad)\n"
        "Bad.apply(ac.ones(3, req_grad=True)).sum().backward()",
        "ValueError",
    ),
    "IndexedGradient with list values": (
        "class Bad(Double):\n"
        "    def backward(self, grad):\n"
        "        return IndexedGradient(0, [1.0])\n"
        "Bad.apply(ac.ones(3, req_grad=True)).sum().backward()",
        "TypeError",
    ),
    "forward returns a tensor": (
        "class Bad(Double):\n"
        "    def forward(self, x):\n"
        "        return ac.tensor(x)\n"
        "Bad.apply(ac.ones(3, req_grad=True))",
        "TypeError",
    ),
    "backward through a freed graph": (
        "y = ac.ones(3, req_grad=True).exp().sum()\ny.backward()\ny.backward()",
        "RuntimeError",
    ),
    "Tensor.float replaced by a non-tensor": (
        "ac.Tensor.float = lambda self: 1.0\nac.tensor([1, 2]).exp()",
        "TypeError",
    ),
    "save_for_backward of the op itself": (
        "class Selfish(Double):\n"
        "    def forward(self, x):\n"
        "        self.save_for_backward(self, x)\n"
        "        return x * 2\n"
        "Selfish.apply(ac.ones(3, req_grad=True)).sum().backward()\n"
        "import gc; gc.collect()",
        None,
    ),
}

RUNNER = """
import json, sys, traceback
PROBES = json.loads(sys.argv[1])
for name, code in PROBES:
    print("@probe", json.dumps(["start", name]), flush=True)
    namespace = {}
    try:
        exec(compile(PRELUDE + code, name, "exec"), namespace)
    except Exception as error:
        kinds = [kind.__name__ for kind in type(error).__mro__]
        print("@probe", json.dumps(["raised", name, kinds, str(error)[:300]]), flush=True)
    else:
        print("@probe", json.dumps(["completed", name]), flush=True)
"""


def run_catalogue(probes: dict[str, tuple[str, str | None]]) -> tuple[dict, list[str]]:
    """Runs the probes in child processes; returns how each ended and the ones that crashed."""
    outcomes: dict[str, tuple[str, ...]] = {}
    crashed: list[str] = []
    todo = [(name, textwrap.dedent(code)) for name, (code, _) in probes.items()]
    while todo:
        script = f"PRELUDE = {PRELUDE!r}\n{RUNNER}"
        child = subprocess.run(
            [sys.executable, "-c", script, json.dumps(todo)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        started = None
        for line in child.stdout.splitlines():
            if not line.startswith("@probe "):
                continue  # e.g. the editable install rebuilding the engine
            event = json.loads(line.removeprefix("@probe "))
            if event[0] == "start":
                started = event[1]
            else:
                outcomes[event[1]] = tuple(event[2:]) if event[0] == "raised" else ("completed",)
                started = None
        if child.returncode == 0:
            break
        assert started is not None, f"the child failed outside a probe:\n{child.stderr[-2000:]}"
        crashed.append(f"{started} (exit status {child.returncode})")
        names = [name for name, _ in todo]
        todo = todo[names.index(started) + 1 :]
    return outcomes, crashed


def test_misuse_catalogue_never_crashes():
    outcomes, crashed = run_catalogue(PROBES)
    assert not crashed, f"probes that crashed the interpreter: {crashed}"
    for name, (_, expected) in PROBES.items():
        outcome = outcomes[name]
        if expected is None:
            assert outcome == ("completed",), f"{name}: {outcome}"
        else:
            assert outcome[0] != "completed" and expected in outcome[0], (
                f"{name}: expected {expected}, got {outcome}"
            )


def test_a_crashing_probe_is_named():
    outcomes, crashed = run_catalogue(
        {
            "fine": ("1 / 0", "ZeroDivisionError"),
            "segfault": ("import ctypes; ctypes.string_at(0)", None),
            "after": ("int('x')", "ValueError"),
        }
    )
    assert crashed and crashed[0].startswith("segfault")
    assert "ZeroDivisionError" in outcomes["fine"][0] and "ValueError" in outcomes["after"][0]


def test_node_attributes_are_read_only_with_a_clear_error():
    y = ac.ones(3, req_grad=True).exp()
    for name in ("parents", "needs_grad", "saved", "kwargs", "xp", "seq"):
        with pytest.raises(AttributeError, match=f"'{name}'.*not writable"):
            setattr(y.grad_fn, name, None)
    y.sum().backward()  # the graph is intact
    np.testing.assert_allclose(y.grad_fn.xp.asarray(1.0), 1.0)


def test_registrations_and_apply_validate_their_classes():
    with pytest.raises(TypeError, match="register_indexing: expected an op class"):
        _engine.register_indexing(int, None)
    with pytest.raises(TypeError, match="register_arithmetic: expected an op class"):
        _engine.register_arithmetic(int, int, int, int, int, int, int, None)
    with pytest.raises(TypeError, match="apply: expected an op class"):
        _engine.apply(dict, ac.ones(2))
    with pytest.raises(TypeError, match="set_tensor_class"):
        _engine.set_tensor_class(int)
    x = ac.ones(2, req_grad=True)
    (x * 2 + x[0]).sum().backward()  # the registrations in place still work
    np.testing.assert_array_equal(x.grad, [4.0, 2.0])


class _Plain(Op):
    def forward(self, x):
        return x + 1

    def backward(self, grad):
        return grad


def test_ops_may_still_keep_python_attributes():
    class Remembers(_Plain):
        def forward(self, x):
            self.shape_seen = x.shape
            return x + 1

    y = Remembers.apply(ac.ones(2, req_grad=True))
    assert y.grad_fn.shape_seen == (2,)
