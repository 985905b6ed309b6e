"""Built-in ops run in C by the engine: bit-for-bit agreement with their Python `Op` classes
(the reference, forced with `reference_ops()`), and with PyTorch (values, gradients, dtypes,
broadcasting, 0-d, 0-size, non-contiguous inputs, retain_graph, no-grad, errors)."""

import contextlib
import os
import subprocess
import sys

import numpy
import pytest

import autocompyute as ac
from autocompyute import _engine
from autocompyute.ops.binary import Add, Div, Mul, Pow, Sub
from autocompyute.ops.indexing import Index
from autocompyute.ops.reduce import Mean, Sum
from autocompyute.ops.unary import Abs, Cos, Exp, Log, Neg, ReLUOp, SigmoidOp, Sin, Sqrt, TanhOp
from autocompyute.testing import assert_matches_torch, import_torch, reference_ops

RNG = numpy.random.default_rng(7)

# name -> (our function, torch function, domain of the inputs)
UNARY = {
    "neg": (lambda t: -t, lambda t: -t, "any"),
    "exp": (lambda t: t.exp(), lambda t: t.exp(), "any"),
    "log": (lambda t: t.log(), lambda t: t.log(), "positive"),
    "sqrt": (lambda t: t.sqrt(), lambda t: t.sqrt(), "positive"),
    "abs": (lambda t: t.abs(), lambda t: t.abs(), "any"),
    "tanh": (lambda t: t.tanh(), lambda t: t.tanh(), "any"),
    "sigmoid": (lambda t: t.sigmoid(), lambda t: t.sigmoid(), "any"),
    "relu": (lambda t: t.relu(), lambda t: t.relu(), "any"),
    "sin": (lambda t: t.sin(), lambda t: t.sin(), "any"),
    "cos": (lambda t: t.cos(), lambda t: t.cos(), "any"),
    "pow0": (lambda t: t**0, lambda t: t**0, "any"),
    "pow1": (lambda t: t**1, lambda t: t**1, "any"),
    "pow2": (lambda t: t**2, lambda t: t**2, "any"),
    "pow3": (lambda t: t**3, lambda t: t**3, "any"),
    "pow_half": (lambda t: t**0.5, lambda t: t**0.5, "positive"),
    "pow_neg": (lambda t: t**-1.5, lambda t: t**-1.5, "positive"),
}
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
}
SCALARS = [2, -3, 1.5, 1.0001, -0.0, 1e-3]
LAYOUTS = ["contiguous", "transposed", "strided", "0-d", "0-size"]
SHAPE_PAIRS = [
    ((3, 4), (3, 4)),
    ((3, 1), (4,)),
    ((1, 4), (3, 1)),
    ((), (2, 3)),
    ((0, 3), (3,)),
    ((2, 1, 3), (4, 1)),
]


def sample(shape, domain="any", dtype=numpy.float32):
    values = RNG.standard_normal(shape)
    if domain == "positive":
        values = RNG.uniform(0.5, 2.0, shape)
    return numpy.asarray(values, dtype=dtype)


def in_layout(kind, domain, dtype):
    """An array of values in the memory layout `kind`."""
    if kind == "0-d":
        return sample((), domain, dtype)
    if kind == "0-size":
        return sample((0, 3), domain, dtype)
    if kind == "transposed":
        return sample((4, 3), domain, dtype).T
    if kind == "strided":
        return sample((3, 8), domain, dtype)[:, ::2]
    return sample((3, 4), domain, dtype)


@contextlib.contextmanager
def engine_path(builtin):
    if builtin:
        previous = _engine.set_builtin_ops_enabled(True)
        try:
            yield
        finally:
            _engine.set_builtin_ops_enabled(previous)
    else:
        with reference_ops():
            yield


def run(function, arrays, builtin, retain=False):
    """Output and gradients of `function` on fresh leaves of `arrays` (None: a constant)."""
    with engine_path(builtin):
        inputs = [a if not hasattr(a, "shape") else ac.Tensor(a, req_grad=True) for a in arrays]
        out = function(*inputs)
        upstream = numpy.linspace(-1, 1, out.data.size, dtype=out.dtype).reshape(out.shape)
        if out.req_grad:
            out.backward(upstream, retain_graph=retain)
            if retain:
                out.backward(upstream)
        grads = [t.grad for t in inputs if isinstance(t, ac.Tensor)]
    return out, grads


def assert_same_bits(first, second):
    assert type(first) is type(second)
    assert first.dtype == second.dtype and first.shape == second.shape
    assert first.tobytes() == second.tobytes()


def assert_paths_agree(function, arrays, retain=False):
    fast, fast_grads = run(function, arrays, True, retain)
    reference, reference_grads = run(function, arrays, False, retain)
    assert_same_bits(fast.data, reference.data)
    assert type(fast.ctx) is type(reference.ctx)
    for got, expected in zip(fast_grads, reference_grads, strict=True):
        assert (got is None) == (expected is None)
        if got is not None:
            assert_same_bits(got, expected)
    return fast


# ------------------------------------------------------------------------ C path vs reference


@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64, numpy.float16])
@pytest.mark.parametrize("kind", LAYOUTS)
@pytest.mark.parametrize("name", list(UNARY))
def test_unary_ops_agree_bit_for_bit(name, kind, dtype):
    function, _, domain = UNARY[name]
    assert_paths_agree(function, [in_layout(kind, domain, dtype)])


@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
@pytest.mark.parametrize("shapes", SHAPE_PAIRS)
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_ops_agree_bit_for_bit(name, shapes, dtype):
    function, _ = BINARY[name]
    assert_paths_agree(
        function, [sample(shapes[0], "positive", dtype), sample(shapes[1], "positive", dtype)]
    )


@pytest.mark.parametrize("scalar", SCALARS)
@pytest.mark.parametrize("kind", ["contiguous", "0-d", "0-size", "strided"])
@pytest.mark.parametrize("name", list(BINARY))
def test_scalar_operands_agree_bit_for_bit(name, kind, scalar):
    function, _ = BINARY[name]
    array = in_layout(kind, "positive", numpy.float32)
    assert_paths_agree(lambda t: function(t, scalar), [array])
    assert_paths_agree(lambda t: function(scalar, t), [array])


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
@pytest.mark.parametrize("name", list(BINARY))
def test_integer_tensors_agree_with_the_reference(name, dtype):
    function, _ = BINARY[name]
    values = numpy.arange(1, 7, dtype=dtype).reshape(2, 3)
    for operand in (3, 2.5, values[::-1].copy()):
        fast = function(
            ac.Tensor(values),
            operand if not isinstance(operand, numpy.ndarray) else ac.Tensor(operand),
        )
        with reference_ops():
            slow = function(
                ac.Tensor(values),
                operand if not isinstance(operand, numpy.ndarray) else ac.Tensor(operand),
            )
        assert_same_bits(fast.data, slow.data)


def test_scalars_out_of_an_integer_dtype_raise_as_in_the_reference():
    errors = []
    for path in (contextlib.nullcontext, reference_ops):
        with path(), pytest.raises(OverflowError) as error:
            ac.tensor([1, 2], dtype="int8") * 300
        errors.append(str(error.value))
    assert errors[0] == errors[1]


def test_bool_tensors_take_the_reference_path():
    flags = numpy.array([True, False])
    fast = ac.Tensor(flags) * 2
    with reference_ops():
        slow = ac.Tensor(flags) * 2
    assert_same_bits(fast.data, slow.data)


def test_unary_methods_convert_integer_tensors_to_float():
    values = ac.tensor([1, 4, 9])
    for name in ("exp", "log", "sqrt", "tanh", "sigmoid", "sin", "cos"):
        fast = getattr(values, name)()
        with reference_ops():
            slow = getattr(values, name)()
        assert fast.dtype == numpy.float32
        assert_same_bits(fast.data, slow.data)
    assert values.abs().dtype == numpy.int64 and values.relu().dtype == numpy.int64


def test_shared_inputs_fan_out_and_retain_graph_agree():
    x = sample((3, 4))
    w = sample((4,), "positive")

    def network(a, b):
        hidden = (a * b + a).tanh() * a
        return (hidden / b - hidden.sigmoid() * 0.5 + (-hidden).exp() + hidden**2).relu()

    assert_paths_agree(network, [x, w])
    assert_paths_agree(network, [x, w], retain=True)


def test_retain_graph_accumulates_and_release_is_reported():
    x = ac.Tensor(sample((2, 2)), req_grad=True)
    y = (x * x).exp().sum()
    y.backward(retain_graph=True)
    first = x.grad.copy()
    y.backward(retain_graph=True)
    numpy.testing.assert_array_equal(x.grad, first * 2)
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_saved_arrays_are_dropped_after_backward():
    x = ac.Tensor(sample((2, 2)), req_grad=True)
    y = x.tanh()
    assert y.ctx.saved is not None
    y.sum().backward()
    assert y.ctx.saved is None and y.ctx.parents is None and y.ctx.is_released


def test_no_grad_records_nothing():
    x = ac.Tensor(sample((3,)), req_grad=True)
    with ac.no_grad():
        y = (x * 2 + x).tanh()
    assert y.ctx is None and not y.req_grad
    with reference_ops(), ac.no_grad():
        z = (x * 2 + x).tanh()
    assert_same_bits(y.data, z.data)


def test_constant_inputs_record_nothing():
    y = ac.Tensor(sample((3,))).exp() * 2
    assert y.ctx is None and not y.req_grad


def test_the_c_path_calls_no_python_forward_or_backward(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("the Python method ran")

    for op in (
        Add,
        Sub,
        Mul,
        Div,
        Neg,
        Exp,
        Log,
        Sqrt,
        Abs,
        TanhOp,
        SigmoidOp,
        ReLUOp,
        Sin,
        Cos,
        Pow,
        Sum,
        Mean,
        Index,
    ):
        monkeypatch.setattr(op, "forward", boom)
        monkeypatch.setattr(op, "backward", boom)
    x = ac.Tensor(sample((3,), "positive"), req_grad=True)
    y = (x + x - x * 2 / x).exp().log().sqrt().abs().tanh().sigmoid().relu().sin().cos() ** 3
    (-y[::-1].mean(0, keepdims=True)).sum().backward()
    assert x.grad is not None
    with reference_ops(), pytest.raises(AssertionError, match="the Python method ran"):
        x.exp()


def test_reference_path_is_taken_from_the_environment():
    code = "import autocompyute as ac, autocompyute._engine as e; print(e.builtin_ops_enabled())"
    env = dict(os.environ, AUTOCOMPYUTE_REFERENCE_OPS="1")
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split()[-1] == "False"


# ------------------------------------------------------------------------------ errors


@pytest.mark.parametrize("builtin", [True, False])
def test_shape_errors_name_the_op(builtin):
    with engine_path(builtin), pytest.raises(ValueError, match=r"^Mul: operands could not"):
        ac.Tensor(sample((3,))) * ac.Tensor(sample((4,)))


@pytest.mark.parametrize("builtin", [True, False])
def test_unsupported_dtypes_name_the_op(builtin):
    with engine_path(builtin), pytest.raises(TypeError, match=r"^Neg: "):
        -ac.tensor([True, False])


def test_error_messages_are_the_same_on_both_paths():
    messages = []
    for builtin in (True, False):
        with engine_path(builtin), pytest.raises(ValueError) as error:
            ac.Tensor(sample((2, 3))) + ac.Tensor(sample((4,)))
        messages.append(str(error.value))
    assert messages[0] == messages[1]


# ------------------------------------------------------------------------------ PyTorch


@pytest.mark.parametrize("kind", LAYOUTS)
@pytest.mark.parametrize("name", list(UNARY))
def test_unary_ops_match_torch(name, kind):
    import_torch()
    function, torch_function, domain = UNARY[name]
    x = ac.Tensor(in_layout(kind, domain, numpy.float32), req_grad=True)
    assert_matches_torch(function, torch_function, [x])


@pytest.mark.parametrize("shapes", SHAPE_PAIRS)
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_ops_match_torch(name, shapes):
    import_torch()
    function, torch_function = BINARY[name]
    a = ac.Tensor(sample(shapes[0], "positive"), req_grad=True)
    b = ac.Tensor(sample(shapes[1], "positive"), req_grad=True)
    assert_matches_torch(function, torch_function, [a, b])


@pytest.mark.parametrize("scalar", SCALARS)
@pytest.mark.parametrize("name", list(BINARY))
def test_scalar_operands_match_torch(name, scalar):
    import_torch()
    function, torch_function = BINARY[name]
    for dtype in (numpy.float32, numpy.float64):
        values = sample((3, 4), "positive", dtype)
        assert_matches_torch(
            lambda t: function(t, scalar),
            lambda t: torch_function(t, scalar),
            [ac.Tensor(values, req_grad=True)],
        )
        assert_matches_torch(
            lambda t: function(scalar, t),
            lambda t: torch_function(scalar, t),
            [ac.Tensor(values, req_grad=True)],
        )


# ------------------------------------------------------------------------------ CuPy


@pytest.mark.cuda
@pytest.mark.parametrize("name", list(UNARY))
def test_unary_ops_agree_on_the_gpu(name):
    cupy = pytest.importorskip("cupy")
    function, _, domain = UNARY[name]
    array = cupy.asarray(sample((3, 4), domain))
    fast, fast_grads = run(function, [array], True)
    reference, reference_grads = run(function, [array], False)
    assert type(fast.data) is cupy.ndarray
    assert_same_bits(fast.data.get(), reference.data.get())
    assert_same_bits(fast_grads[0].get(), reference_grads[0].get())


# ------------------------------------------------------------------- profiler and anomaly mode


def test_the_profiler_sees_built_in_ops_as_on_the_reference_path():
    from autocompyute.profiler import profile

    recorded = []
    for builtin in (True, False):
        x = ac.Tensor(sample((2, 3)), req_grad=True)
        with engine_path(builtin), profile(record_shapes=True, profile_memory=True) as prof:
            ((x * 2.0 + x).tanh().relu() / 3).sum().backward()
        recorded.append(
            [
                (e.name, e.phase, e.input_shapes, e.nbytes)
                for e in prof.events()
                if e.phase != "scope"
            ]
        )
    assert recorded[0] == recorded[1]
    assert ("TanhOp", "backward") in [(name, phase) for name, phase, *_ in recorded[0]]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_anomaly_mode_names_built_in_ops_in_both_phases():
    from autocompyute.autograd import detect_anomaly

    for builtin in (True, False):
        with engine_path(builtin), detect_anomaly():
            with pytest.raises(FloatingPointError, match="Log forward produced NaN"):
                ac.tensor([-1.0]).log()
            y = ac.tensor([0.0], req_grad=True).sqrt()
            with pytest.raises(FloatingPointError, match="Sqrt backward produced NaN or Inf"):
                y.sum().backward()


# ------------------------------------------------------------------------------ indexing

INDEX_KEYS = {
    "reverse": lambda t, i: t[:, ::-1],
    "reverse_both": lambda t, i: t[::-1, ::-1],
    "rows": lambda t, i: t[1:],
    "strided": lambda t, i: t[::2, 1:3],
    "index_tensor": lambda t, i: t[i],
    "two_slices_concat": lambda t, i: ac.concat([t[1:], t[:1]]) * 2.0,
    "empty": lambda t, i: t[2:2],
}


@pytest.mark.parametrize("name", list(INDEX_KEYS))
def test_indexing_agrees_bit_for_bit(name):
    index = ac.tensor([3, 1, 0, 1, 1])  # repeats: the gradients must accumulate
    values = sample((4, 5))
    values[0, 0] = -0.0
    function = INDEX_KEYS[name]
    assert_paths_agree(lambda t: function(t, index) * t[:1].sum(), [values])


@pytest.mark.parametrize("name", list(INDEX_KEYS))
def test_indexing_matches_torch(name):
    torch = import_torch()
    index = ac.tensor([3, 1, 0, 1, 1])
    function = INDEX_KEYS[name]
    torch_key = {
        "reverse": lambda t: t.flip(1),
        "reverse_both": lambda t: t.flip(0).flip(1),
        "rows": lambda t: t[1:],
        "strided": lambda t: t[::2, 1:3],
        "index_tensor": lambda t: t[torch.tensor([3, 1, 0, 1, 1])],
        "two_slices_concat": lambda t: torch.cat([t[1:], t[:1]]) * 2.0,
        "empty": lambda t: t[2:2],
    }[name]
    x = ac.Tensor(sample((4, 5)), req_grad=True)
    assert_matches_torch(lambda t: function(t, index), torch_key, [x])


def test_reversing_slices_pass_negative_zero_gradients_on_as_pytorch_does():
    x = ac.Tensor(sample((2, 3)), req_grad=True)
    upstream = numpy.full((2, 3), -0.0, dtype=numpy.float32)
    x[:, ::-1].backward(upstream)
    assert numpy.signbit(x.grad).all()


def test_plain_graphs_leave_no_containers_for_the_collector():
    import gc

    x = ac.Tensor(sample((4, 4)), req_grad=True)
    y = ac.concat([x[1:], x[:1]]).mean(0) + x.sum(1, keepdims=True).exp()
    node = y.ctx
    assert not gc.is_tracked(node)
    assert not gc.is_tracked(node.parents)
    mean = y.ctx.parents[0].ctx
    assert not gc.is_tracked(mean) and not gc.is_tracked(mean.kwargs)
    concat = mean.parents[0].ctx
    assert type(concat).__name__ == "Concat" and not gc.is_tracked(concat)


# ------------------------------------------------------------------------------ reductions

REDUCTIONS = {
    "sum_all": lambda t: t.sum(),
    "sum_0": lambda t: t.sum(0),
    "sum_1_keep": lambda t: t.sum(1, keepdims=True),
    "sum_both_keep": lambda t: t.sum((0, 1), keepdims=True),
    "mean_all": lambda t: t.mean(),
    "mean_0": lambda t: t.mean(0),
    "mean_neg_keep": lambda t: t.mean(-1, keepdims=True),
}


@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64, numpy.float16])
@pytest.mark.parametrize("kind", LAYOUTS)
@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reductions_agree_bit_for_bit(name, kind, dtype):
    if kind == "0-d" and name not in ("sum_all", "mean_all"):
        return  # no dim 0 or 1 to reduce
    values = in_layout(kind, "any", dtype)
    assert_paths_agree(lambda t: REDUCTIONS[name](t) * 1.5, [values])


@pytest.mark.parametrize("dtype", ["int32", "int64", "bool"])
def test_integer_sums_and_means_agree_with_the_reference(dtype):
    values = (numpy.arange(12).reshape(3, 4) % 3).astype(dtype)
    for name, function in REDUCTIONS.items():
        fast = function(ac.Tensor(values))
        with reference_ops():
            slow = function(ac.Tensor(values))
        assert_same_bits(fast.data, slow.data), name


@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reductions_match_torch(name):
    torch = pytest.importorskip("torch")
    torch_function = {
        "sum_all": lambda t: t.sum(),
        "sum_0": lambda t: t.sum(0),
        "sum_1_keep": lambda t: t.sum(1, keepdim=True),
        "sum_both_keep": lambda t: t.sum((0, 1), keepdim=True),
        "mean_all": lambda t: t.mean(),
        "mean_0": lambda t: t.mean(0),
        "mean_neg_keep": lambda t: t.mean(-1, keepdim=True),
    }[name]
    del torch
    x = ac.Tensor(sample((3, 4)), req_grad=True)
    assert_matches_torch(REDUCTIONS[name], torch_function, [x])


def test_reduction_errors_name_the_op_on_both_paths():
    for builtin in (True, False):
        with engine_path(builtin), pytest.raises(IndexError, match=r"^sum: dim 2 is out of range"):
            ac.Tensor(sample((3, 4))).sum(2)
