"""Elementwise unary and binary ops and matmul: finite-difference gradients (float64), PyTorch
parity of values and gradients (float32), dtype rules and error messages."""

import re

import numpy
import pytest

import autocompyute as ac
from autocompyute.testing import assert_matches_torch, gradcheck, import_torch

RNG = numpy.random.default_rng(1234)


# ------------------------------------------------------------------------------------ helpers


def sample(shape, domain="any", dtype=numpy.float64):
    """Random values of `shape` from a domain where the op is smooth and defined."""
    if domain == "any":
        values = RNG.standard_normal(shape)
    elif domain == "positive":
        values = RNG.uniform(0.5, 2.0, shape)
    elif domain == "nonzero":  # away from the kinks of abs/relu and the pole of 1/x
        values = RNG.uniform(0.2, 2.0, shape) * RNG.choice([-1.0, 1.0], shape)
    elif domain == "off_bounds":  # away from the clip bounds -0.5 and 0.5
        values = RNG.choice([-1.3, -0.8, -0.2, 0.1, 0.3, 0.9, 1.7], shape)
        values = values + RNG.uniform(-0.05, 0.05, shape)
    else:
        raise ValueError(domain)
    return numpy.asarray(values, dtype=dtype)


def layout(array, kind):
    """Returns `array`'s values in the memory layout `kind` (same shape and values)."""
    if kind == "transposed":
        return numpy.ascontiguousarray(array.T).T
    if kind == "strided":
        padded = numpy.zeros((*array.shape[:-1], 2 * array.shape[-1]), dtype=array.dtype)
        padded[..., ::2] = array
        return padded[..., ::2]
    return array


def run_gradcheck(function, arrays):
    inputs = [
        ac.tensor(numpy.array(a, dtype=numpy.float64), dtype="float64", req_grad=True)
        for a in arrays
    ]
    gradcheck(function, inputs)


def random_upstream(shape):
    return RNG.standard_normal(shape).astype(numpy.float32)


def run_torch(function, arrays, torch_function=None, rtol=1e-5, atol=1e-6, kinds=None):
    """Compares values and gradients with PyTorch in float32 (`function` may serve both)."""
    import_torch()
    kinds = kinds or ["contiguous"] * len(arrays)
    arrays = [numpy.asarray(a, dtype=numpy.float32) for a in arrays]
    ours = [ac.tensor(layout(a, kind), req_grad=True) for a, kind in zip(arrays, kinds)]
    assert_matches_torch(function, torch_function or function, ours, random_upstream, rtol, atol)


# ------------------------------------------------------------------------------------ unary

# name: (function for both libraries, input domain)
UNARY = {
    "abs": (lambda x: x.abs(), "nonzero"),
    "exp": (lambda x: x.exp(), "any"),
    "log": (lambda x: x.log(), "positive"),
    "sqrt": (lambda x: x.sqrt(), "positive"),
    "pow2": (lambda x: x**2, "any"),
    "pow3": (lambda x: x**3, "any"),
    "pow0": (lambda x: x**0, "any"),
    "pow1": (lambda x: x**1, "any"),
    "pow_half": (lambda x: x**0.5, "positive"),
    "pow_neg1": (lambda x: x**-1, "nonzero"),
    "pow_neg_frac": (lambda x: x**-1.5, "positive"),
    "pow_method": (lambda x: x.pow(2.5), "positive"),
    "tanh": (lambda x: x.tanh(), "any"),
    "sigmoid": (lambda x: x.sigmoid(), "any"),
    "relu": (lambda x: x.relu(), "nonzero"),
    "sin": (lambda x: x.sin(), "any"),
    "cos": (lambda x: x.cos(), "any"),
    "neg": (lambda x: -x, "any"),
    "clip_both": (lambda x: x.clip(-0.5, 0.5), "off_bounds"),
    "clip_min": (lambda x: x.clip(min=-0.5), "off_bounds"),
    "clip_max": (lambda x: x.clip(max=0.5), "off_bounds"),
    "clamp": (lambda x: x.clamp(-0.5, 0.5), "off_bounds"),
    "rsub": (lambda x: 2 - x, "any"),
    "rdiv": (lambda x: 2 / x, "nonzero"),
    "rpow": (lambda x: 2**x, "any"),
    "rpow_float": (lambda x: 0.7**x, "any"),
    "radd": (lambda x: 1.5 + x, "any"),
    "rmul": (lambda x: 3 * x, "any"),
    "sub_scalar": (lambda x: x - 2, "any"),
    "div_scalar": (lambda x: x / 4, "any"),
}

UNARY_SHAPES = [
    ((), "contiguous"),
    ((5,), "contiguous"),
    ((2, 3), "contiguous"),
    ((2, 3, 4), "contiguous"),
    ((3, 4), "transposed"),
    ((2, 5), "strided"),
    ((0, 3), "contiguous"),
]


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize(("shape", "kind"), UNARY_SHAPES)
def test_unary_gradcheck(name, shape, kind):
    function, domain = UNARY[name]
    run_gradcheck(function, [layout(sample(shape, domain), kind)])


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize(("shape", "kind"), UNARY_SHAPES)
def test_unary_matches_torch(name, shape, kind):
    function, domain = UNARY[name]
    run_torch(function, [sample(shape, domain)], kinds=[kind])


@pytest.mark.parametrize("diagonal", [-2, -1, 0, 1, 2])
@pytest.mark.parametrize("method", ["tril", "triu"])
@pytest.mark.parametrize(
    ("shape", "kind"),
    [
        ((3, 4), "contiguous"),
        ((4, 3), "transposed"),
        ((2, 3, 3), "contiguous"),
        ((0, 3), "contiguous"),
    ],
)
def test_triangles(method, diagonal, shape, kind):
    def function(x):
        return getattr(x, method)(diagonal)

    run_gradcheck(function, [layout(sample(shape), kind)])
    run_torch(function, [sample(shape)], kinds=[kind])


def test_triangles_need_two_dims():
    with pytest.raises(ValueError, match=r"tril: needs a tensor with at least 2 dims"):
        ac.tensor([1.0, 2.0]).tril()


def test_sigmoid_is_accurate_in_the_tails():
    values = numpy.array([-80.0, -30.0, -20.0, -5.0, 0.0, 5.0, 20.0, 30.0, 100.0])
    run_torch(lambda x: x.sigmoid(), [values], rtol=1e-6, atol=0)
    assert 0 < ac.tensor(-100.0).sigmoid().item() < 1e-43


def test_sigmoid_does_not_overflow():
    with numpy.errstate(over="raise", invalid="raise", divide="raise"):
        out = ac.tensor([-1000.0, 1000.0]).sigmoid()
    numpy.testing.assert_array_equal(out.data, [0.0, 1.0])


def test_pow_special_points_match_torch():
    zeros_and_more = numpy.array([0.0, 1.0, -2.0, 0.5])
    run_torch(lambda x: x**0, [zeros_and_more])
    run_torch(lambda x: x**1, [zeros_and_more])
    run_torch(lambda x: x**2, [zeros_and_more])
    run_torch(lambda x: x**3, [zeros_and_more])


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_pow_tensor_special_points_match_torch():
    base = numpy.array([0.0, 0.0, 0.0, 2.0, 1.5])
    exponent = numpy.array([0.0, 2.0, 1.0, 0.0, -1.0])
    run_torch(lambda x, y: x**y, [base, exponent])
    run_torch(lambda y: 0.0**y, [exponent])


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_pow_scalar_base_negative_gives_nan_gradient_like_torch():
    torch = import_torch()
    exponent = ac.tensor([2.0, 3.0], req_grad=True)
    ((-2) ** exponent).sum().backward()
    reference = torch.tensor([2.0, 3.0], requires_grad=True)
    ((-2) ** reference).sum().backward()
    expected = numpy.isnan(reference.grad.numpy())
    numpy.testing.assert_array_equal(numpy.isnan(exponent.grad), expected)


def test_integer_pow_negative_exponent_error():
    with pytest.raises(ValueError, match=r"Pow: Integers to negative integer powers"):
        ac.tensor([1, 2]) ** -1


def test_abs_and_relu_gradient_at_zero_is_zero():
    run_torch(lambda x: x.abs(), [numpy.array([0.0, 1.0, -1.0])])
    run_torch(lambda x: x.relu(), [numpy.array([0.0, 1.0, -1.0])])


def test_clip_gradient_at_the_bounds_matches_torch():
    values = numpy.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    run_torch(lambda x: x.clip(-0.5, 0.5), [values])
    run_torch(lambda x: x.clip(min=-0.5), [values])
    run_torch(lambda x: x.clip(max=0.5), [values])


def test_clip_needs_a_bound():
    with pytest.raises(ValueError, match="clip: at least one of min and max"):
        ac.tensor([1.0]).clip()


# ------------------------------------------------------------------------------------ binary

BINARY = {
    "add": (lambda x, y: x + y, "any"),
    "sub": (lambda x, y: x - y, "any"),
    "mul": (lambda x, y: x * y, "any"),
    "truediv": (lambda x, y: x / y, "nonzero"),
    "maximum": (lambda x, y: x.maximum(y), "any"),
    "minimum": (lambda x, y: x.minimum(y), "any"),
    "pow": (lambda x, y: x**y, "positive"),
    "method_add": (lambda x, y: x.add(y), "any"),
    "method_sub": (lambda x, y: x.sub(y), "any"),
    "method_mul": (lambda x, y: x.mul(y), "any"),
    "method_div": (lambda x, y: x.div(y), "nonzero"),
}

BROADCAST_PAIRS = [
    ((2, 3), (2, 3)),
    ((2, 3), (3,)),
    ((3,), (2, 3)),
    ((2, 1), (1, 3)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((), ()),
    ((4, 1, 3), (2, 1)),
    ((0, 3), (3,)),
    ((2, 0), (1, 1)),
]


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize(("shape1", "shape2"), BROADCAST_PAIRS)
def test_binary_gradcheck(name, shape1, shape2):
    function, domain = BINARY[name]
    run_gradcheck(function, [sample(shape1, domain), sample(shape2, domain)])


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize(("shape1", "shape2"), BROADCAST_PAIRS)
def test_binary_matches_torch(name, shape1, shape2):
    function, domain = BINARY[name]
    run_torch(function, [sample(shape1, domain), sample(shape2, domain)])


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_non_contiguous(name):
    function, domain = BINARY[name]
    arrays = [sample((3, 4), domain), sample((3, 4), domain)]
    run_torch(function, arrays, kinds=["transposed", "strided"])
    run_gradcheck(function, [layout(arrays[0], "transposed"), layout(arrays[1], "strided")])


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_ties_split_the_gradient(name):
    x = numpy.array([1.0, 2.0, 3.0, -1.0])
    y = numpy.array([1.0, 0.0, 3.0, 2.0])
    run_torch(BINARY[name][0], [x, y])
    first = ac.tensor(x, req_grad=True)
    second = ac.tensor(y, req_grad=True)
    BINARY[name][0](first, second).sum().backward()
    numpy.testing.assert_allclose(first.grad + second.grad, numpy.ones(4))


def test_maximum_with_a_scalar():
    torch = import_torch()
    values = sample((2, 3))
    run_torch(
        lambda x: x.maximum(0.3),
        [values],
        torch_function=lambda x: torch.maximum(x, torch.tensor(0.3)),
    )
    run_gradcheck(lambda x: x.minimum(0.3), [values])


@pytest.mark.parametrize(
    "function",
    [
        lambda a, b: a + b,
        lambda a, b: b + a,
        lambda a, b: a - b,
        lambda a, b: a * b,
        lambda a, b: b * a,
        lambda a, b: a / b,
        lambda a, b: b / a,
        lambda a, b: b - a,
        lambda a, b: a.maximum(b),
        lambda a, b: b.minimum(a),
        lambda a, b: a ** b.abs(),
        lambda a, b: b.abs() ** a,
        lambda a, b: a @ b.T,
        lambda a, b: b.T @ a,
    ],
)
def test_backward_skips_gradients_that_are_not_needed(function):
    x = ac.tensor(sample((2, 3), "positive"), req_grad=True)
    constant = ac.tensor(sample((2, 3), "nonzero"))
    out = function(x, constant)
    grads = out.ctx.backward(numpy.ones(out.shape))
    assert [grad is None for grad in grads] == [not needed for needed in out.ctx.needs_grad]


def test_broadcast_error_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"^Add: .*\(2, 3\) float32 and \(4,\) float32"):
        ac.ones(2, 3) + ac.ones(4)
    with pytest.raises(ValueError, match=r"^Maximum: .*\(2, 3\).*\(4,\)"):
        ac.ones(2, 3).maximum(ac.ones(4))
    with pytest.raises(ValueError, match=r"^Div: .*\(2, 3\).*\(5, 1, 4\)"):
        ac.ones(2, 3) / ac.ones(5, 1, 4)


# ------------------------------------------------------------------------------------ matmul

MATMUL_SHAPES = [
    ((3,), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3,)),
    ((2, 3), (3, 4)),
    ((5, 2, 3), (5, 3, 4)),
    ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)),
    ((2, 1, 2, 3), (3, 3, 4)),
    ((3,), (5, 3, 4)),
    ((5, 2, 3), (3,)),
    ((0, 3), (3, 4)),
    ((2, 0), (0, 3)),
]


@pytest.mark.parametrize(("shape1", "shape2"), MATMUL_SHAPES)
def test_matmul(shape1, shape2):
    arrays = [sample(shape1), sample(shape2)]
    run_gradcheck(lambda x, y: x @ y, arrays)
    run_torch(lambda x, y: x @ y, arrays)
    run_torch(lambda x, y: x.matmul(y), arrays)


@pytest.mark.parametrize(
    "kinds", [["transposed", "contiguous"], ["contiguous", "transposed"], ["strided", "transposed"]]
)
def test_matmul_non_contiguous(kinds):
    run_torch(lambda x, y: x @ y, [sample((2, 4, 3)), sample((2, 3, 4))], kinds=kinds)
    run_torch(lambda x, y: x @ y, [sample((2, 4, 3)), sample((3, 4))], kinds=kinds)
    run_torch(lambda x, y: x @ y, [sample((4, 3)), sample((2, 3, 4))], kinds=kinds)


def test_matmul_reflected_with_array():
    torch = import_torch()
    matrix = sample((2, 3)).astype(numpy.float32)
    run_torch(
        lambda y: y.__rmatmul__(matrix),
        [sample((3, 4))],
        torch_function=lambda y: torch.from_numpy(matrix) @ y,
    )


def test_matmul_errors():
    with pytest.raises(ValueError) as error:
        ac.ones(2, 3) @ ac.ones(4, 5)
    assert str(error.value) == "matmul: shapes (2, 3) and (4, 5) are not aligned"
    with pytest.raises(ValueError, match=r"matmul: both operands need at least 1 dim"):
        ac.ones(3) @ ac.tensor(2.0)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "matmul: the batch dims of shapes (2, 2, 3) and (3, 3, 5) do not broadcast"
        ),
    ):
        ac.ones(2, 2, 3) @ ac.ones(3, 3, 5)


# ------------------------------------------------------------------------------------ dtypes

FLOATS = ["float16", "float32", "float64"]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_keeps_float_dtype(name, dtype):
    function, domain = UNARY[name]
    x = ac.tensor(sample((2, 3), domain), dtype=dtype, req_grad=True)
    out = function(x)
    assert out.dtype == dtype
    out.sum().backward()
    assert x.grad.dtype == dtype


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", [*sorted(BINARY), "matmul"])
def test_binary_keeps_float_dtype(name, dtype):
    function, domain = BINARY.get(name, (lambda x, y: x @ y.T, "any"))
    domain = "positive" if domain == "positive" else "nonzero"
    x = ac.tensor(sample((2, 3), domain), dtype=dtype, req_grad=True)
    y = ac.tensor(sample((2, 3), domain), dtype=dtype, req_grad=True)
    out = function(x, y)
    assert out.dtype == dtype
    out.sum().backward()
    assert x.grad.dtype == dtype and y.grad.dtype == dtype


@pytest.mark.parametrize("dtype", FLOATS)
def test_python_scalars_take_the_tensor_dtype(dtype):
    x = ac.tensor([1.0, 2.0], dtype=dtype, req_grad=True)
    for out in (
        x + 2.5,
        2.5 + x,
        x - 1,
        1 - x,
        x * 0.1,
        0.1 * x,
        x / 3,
        3 / x,
        x**2.5,
        2.5**x,
        x.maximum(1.5),
        x.minimum(1),
        x.clip(0.5, 1.5),
    ):
        assert out.dtype == dtype
        x.grad = None
        out.sum().backward()
        assert x.grad.dtype == dtype


def test_integer_tensor_with_python_numbers():
    ints = ac.tensor([1, 2, 3])
    assert (ints + 1).dtype == ac.int64
    assert (ints * 2).dtype == ac.int64
    assert (ints + 1.5).dtype == ac.float32
    assert (1.5 * ints).dtype == ac.float32
    assert (ints / 2).dtype == ac.float32
    assert (2 / ints).dtype == ac.float32
    assert (ints**2).dtype == ac.int64
    assert (ints**0.5).dtype == ac.float32
    assert ints.clip(0.5, 2.5).dtype == ac.float32
    assert ints.clip(0, 2).dtype == ac.int64
    assert ints.exp().dtype == ac.float32
    assert ints.sigmoid().dtype == ac.float32
    numpy.testing.assert_allclose((ints + 1.5).data, [2.5, 3.5, 4.5])


@pytest.mark.parametrize("int_dtype", ["int8", "int32", "int64"])
@pytest.mark.parametrize("float_dtype", FLOATS)
def test_integer_tensor_with_float_tensor_takes_the_float_dtype(int_dtype, float_dtype):
    ints = ac.tensor([1, 2], dtype=int_dtype)
    floats = ac.tensor([0.5, 1.5], dtype=float_dtype, req_grad=True)
    for out in (
        ints + floats,
        floats + ints,
        ints * floats,
        ints / floats,
        floats - ints,
        ints.maximum(floats),
        ints @ floats,
        floats**ints,
    ):
        assert out.dtype == float_dtype
        floats.grad = None
        out.sum().backward()
        assert floats.grad.dtype == float_dtype


def test_mixed_float_tensors_promote():
    half = ac.tensor([1.0, 2.0], dtype="float16", req_grad=True)
    double = ac.tensor([1.0, 2.0], dtype="float64", req_grad=True)
    out = half * double
    assert out.dtype == ac.float64
    out.sum().backward()
    assert half.grad.dtype == ac.float16 and double.grad.dtype == ac.float64


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "bool"])
def test_integer_tensors_cannot_require_grad(dtype):
    with pytest.raises(TypeError, match=r"only floating point tensors can require gradients"):
        ac.tensor([1, 0], dtype=dtype, req_grad=True)
    tensor = ac.tensor([1, 0], dtype=dtype)
    with pytest.raises(TypeError, match=rf"got dtype {dtype}"):
        tensor.req_grad = True


def test_zero_dim_results_are_arrays():
    x = ac.tensor(2.0, req_grad=True)
    for function, _ in UNARY.values():
        out = function(x)
        assert out.shape == ()
        assert isinstance(out.data, numpy.ndarray)
