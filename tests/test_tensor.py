"""Tensor: attributes, conversions, operators, comparisons, repr and dtype promotion rules."""

import numpy
import pytest

import autocompyute as ac
from autocompyute.testing import gradcheck


def leaf(values, dtype="float32"):
    return ac.tensor(values, dtype=dtype, req_grad=True)


def positive_float64_leaf(*shape):
    return ac.randu(*shape, low=0.5, high=2.0, dtype="float64", req_grad=True)


# ---------------------------------------------------------------------------------- attributes


def test_leaf_attributes():
    values = numpy.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=numpy.float32)
    t = ac.Tensor(values, req_grad=True, label="weights")
    assert t.data is values  # arrays of the right dtype and device are not copied
    assert t.grad is None
    assert t.ctx is None and t.grad_fn is None and t.is_leaf
    assert t.src == ()
    assert t.req_grad is True
    assert t.shape == (2, 3)
    assert t.dtype == ac.float32 and t.dtype == "float32"
    assert t.ndim == 2
    assert t.size() == (2, 3) and t.size(-1) == 3 and t.numel() == 6 and t.dim() == 2
    assert t.device == ac.Device("cpu") and t.device == "cpu" and str(t.device) == "cpu"
    assert t.label == "weights"
    t.label = "renamed"
    assert t.label == "renamed"


def test_op_result_attributes():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = a + b
    assert isinstance(y.ctx, ac.Op) and type(y.ctx).__name__ == "Add"
    assert y.grad_fn is y.ctx
    assert not y.is_leaf and y.req_grad
    assert y.src[0] is a and y.src[1] is b
    assert y.label is None
    y.sum().backward()
    assert y.grad is None
    numpy.testing.assert_array_equal(a.grad, [1.0, 1.0])
    assert y.src == ()  # the graph is freed by backward


def test_src_shows_python_scalar_operands_as_constant_tensors():
    a = leaf([1.0, 2.0])
    first, second = (a * 2).src
    assert first is a
    assert second.dtype == numpy.float32 and second.item() == 2.0 and not second.req_grad


def test_result_without_grad_inputs_has_no_graph():
    y = ac.tensor([1.0, 2.0]) * 3
    assert y.ctx is None and not y.req_grad and y.src == ()


def test_transpose_attribute_T():
    m = ac.tensor(numpy.arange(6.0).reshape(2, 3))
    numpy.testing.assert_array_equal(m.T.data, m.data.T)
    cube = ac.ones(2, 3, 4)
    assert cube.T.shape == (4, 3, 2)
    vector = ac.ones(3)
    assert vector.T is vector


def test_transpose_attribute_T_backward():
    m = leaf(numpy.arange(6.0).reshape(2, 3))
    weights = numpy.arange(6.0, dtype=numpy.float32).reshape(3, 2)
    (m.T * ac.tensor(weights)).sum().backward()
    numpy.testing.assert_array_equal(m.grad, weights.T)


def test_detach_shares_data_and_cuts_the_graph():
    t = leaf([1.0, 2.0])
    detached = t.detach()
    assert detached.data is t.data
    assert not detached.req_grad and detached.ctx is None
    (detached * t).sum().backward()
    numpy.testing.assert_array_equal(t.grad, t.data)  # no gradient through the detached path


def test_item_returns_python_scalars():
    assert ac.tensor([[2.5]]).item() == 2.5 and type(ac.tensor([2.5]).item()) is float
    assert type(ac.tensor(3).item()) is int
    assert ac.tensor(True).item() is True
    with pytest.raises(ValueError, match=r"one-element tensor, got shape \(2,\)"):
        ac.tensor([1.0, 2.0]).item()


def test_python_number_conversions_and_bool():
    assert float(ac.tensor([2.5])) == 2.5
    assert int(ac.tensor(3)) == 3
    assert not bool(ac.tensor([0.0]))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ac.tensor([1.0, 2.0]))


def test_as_numpy_and_numpy_asarray():
    t = ac.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.as_numpy() is t.data
    array = numpy.asarray(t)
    assert isinstance(array, numpy.ndarray) and array.dtype == numpy.float32
    numpy.testing.assert_array_equal(array, t.data)
    assert numpy.asarray(t, dtype=numpy.float64).dtype == numpy.float64


def test_len_is_size_of_dim_0():
    assert len(ac.ones(4, 2)) == 4
    with pytest.raises(TypeError, match="0-d"):
        len(ac.tensor(1.0))


def test_iteration_yields_slices_along_dim_0():
    t = leaf(numpy.arange(6.0).reshape(3, 2))
    rows = list(t)
    assert len(rows) == 3
    for index, row in enumerate(rows):
        assert row.shape == (2,)
        numpy.testing.assert_array_equal(row.data, t.data[index])
    sum(row.sum() * (index + 1) for index, row in enumerate(rows)).backward()
    numpy.testing.assert_array_equal(t.grad, [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])


def test_iterating_a_0d_tensor_raises():
    with pytest.raises(TypeError, match="0-d"):
        iter(ac.tensor(1.0)).__next__()


def test_to_cpu_returns_the_same_tensor():
    t = ac.ones(2)
    assert t.to("cpu") is t and t.cpu() is t and t.to(ac.Device("cpu")) is t


# ------------------------------------------------------------------------------------ req_grad


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "bool"])
def test_only_float_tensors_can_require_grad(dtype):
    with pytest.raises(TypeError, match=f"only floating point tensors.*{dtype}"):
        ac.tensor([1, 0], dtype=dtype, req_grad=True)
    t = ac.tensor([1, 0], dtype=dtype)
    with pytest.raises(TypeError, match="only floating point tensors"):
        t.req_grad = True


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_float_tensors_can_require_grad(dtype):
    t = ac.tensor([1.0], dtype=dtype)
    t.req_grad = True
    assert t.req_grad


def test_req_grad_cannot_be_switched_off_on_op_results():
    y = leaf([1.0]) * 2
    with pytest.raises(RuntimeError, match="detach"):
        y.req_grad = False


# ---------------------------------------------------------------------------------- operators


OPERATORS = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "add_scalar": (lambda a, b: a + 2.0, lambda a, b: a + 2.0),
    "radd": (lambda a, b: 2.0 + a, lambda a, b: 2.0 + a),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "sub_scalar": (lambda a, b: a - 3, lambda a, b: a - 3),
    "rsub": (lambda a, b: 3 - a, lambda a, b: 3 - a),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "mul_scalar": (lambda a, b: a * 1.5, lambda a, b: a * 1.5),
    "rmul": (lambda a, b: 1.5 * a, lambda a, b: 1.5 * a),
    "truediv": (lambda a, b: a / b, lambda a, b: a / b),
    "truediv_scalar": (lambda a, b: a / 4, lambda a, b: a / 4),
    "rtruediv": (lambda a, b: 4 / a, lambda a, b: 4 / a),
    "pow_int": (lambda a, b: a**2, lambda a, b: a**2),
    "pow_float": (lambda a, b: a**1.5, lambda a, b: a**1.5),
    "pow_tensor": (lambda a, b: a**b, lambda a, b: a**b),
    "rpow": (lambda a, b: 2**a, lambda a, b: 2**a),
    "neg": (lambda a, b: -a, lambda a, b: -a),
    "matmul": (lambda a, b: a @ b.T, lambda a, b: a @ b.T),
    "rmatmul_list": (lambda a, b: [1.0, 2.0] @ a, lambda a, b: numpy.array([1.0, 2.0]) @ a),
    "method_add": (lambda a, b: a.add(b), lambda a, b: a + b),
    "method_sub": (lambda a, b: a.sub(b), lambda a, b: a - b),
    "method_mul": (lambda a, b: a.mul(b), lambda a, b: a * b),
    "method_div": (lambda a, b: a.div(b), lambda a, b: a / b),
    "method_pow": (lambda a, b: a.pow(b), lambda a, b: a**b),
    "method_matmul": (lambda a, b: a.matmul(b.T), lambda a, b: a @ b.T),
    "method_neg": (lambda a, b: a.neg(), lambda a, b: -a),
}


@pytest.mark.parametrize("name", list(OPERATORS))
def test_operator_values_match_numpy(name):
    function, reference = OPERATORS[name]
    a_values = numpy.array([[0.5, 1.0, 1.5], [2.0, 2.5, 3.0]], dtype=numpy.float32)
    b_values = numpy.array([[1.5, 0.75, 2.0], [1.25, 0.5, 1.0]], dtype=numpy.float32)
    result = function(leaf(a_values), leaf(b_values))
    assert isinstance(result, ac.Tensor) and result.req_grad
    expected = reference(a_values, b_values)
    assert result.dtype == numpy.float32
    numpy.testing.assert_allclose(result.data, expected, rtol=1e-6)


@pytest.mark.parametrize("name", list(OPERATORS))
def test_operator_gradients_pass_gradcheck(name):
    function, _ = OPERATORS[name]
    gradcheck(function, [positive_float64_leaf(2, 3), positive_float64_leaf(2, 3)])


def test_unary_plus_returns_the_tensor():
    t = leaf([1.0])
    assert +t is t


COMPARISONS = {
    "eq": (lambda a, b: a == b, numpy.equal),
    "ne": (lambda a, b: a != b, numpy.not_equal),
    "lt": (lambda a, b: a < b, numpy.less),
    "le": (lambda a, b: a <= b, numpy.less_equal),
    "gt": (lambda a, b: a > b, numpy.greater),
    "ge": (lambda a, b: a >= b, numpy.greater_equal),
}


@pytest.mark.parametrize("name", list(COMPARISONS))
def test_comparisons_give_bool_tensors_without_grad(name):
    compare, reference = COMPARISONS[name]
    a_values = numpy.array([1.0, 2.0, 3.0], dtype=numpy.float32)
    b_values = numpy.array([3.0, 2.0, 1.0], dtype=numpy.float32)
    for other, other_values in [(leaf(b_values), b_values), (2.0, 2.0), (2, 2)]:
        result = compare(leaf(a_values), other)
        assert result.dtype == numpy.bool_
        assert not result.req_grad and result.ctx is None
        numpy.testing.assert_array_equal(result.data, reference(a_values, other_values))


def test_reflected_comparison_with_scalar_on_the_left():
    t = ac.tensor([1.0, 2.0, 3.0])
    numpy.testing.assert_array_equal((2.0 < t).data, [False, False, True])  # noqa: SIM300
    numpy.testing.assert_array_equal((2 == t).data, [False, True, False])  # noqa: SIM300


def test_any_and_all():
    assert ac.tensor([0.0, 1.0]).any() and not ac.tensor([0.0, 1.0]).all()


@pytest.mark.parametrize("left", [numpy.float32(2.0), numpy.array([2.0, 2.0], numpy.float32)])
def test_numpy_operand_on_the_left_defers_to_the_tensor(left):
    x = leaf([1.0, 2.0])
    y = left * x
    assert isinstance(y, ac.Tensor) and y.req_grad
    y.sum().backward()
    numpy.testing.assert_array_equal(x.grad, [2.0, 2.0])


# ------------------------------------------------------------------------------------------ repr


def test_repr_matches_spec_format_for_op_result():
    values = [[13.8923, 11.5502, 5.2445], [15.6469, 18.8092, 16.2810]]
    y = leaf(values) + ac.zeros(2, 3)
    assert repr(y) == (
        "Tensor([[13.8923, 11.5502,  5.2445],\n"
        "        [15.6469, 18.8092, 16.2810]], dtype=float32, device=cpu, grad_fn=Add)"
    )


def test_repr_of_leaves_ints_bools_and_0d():
    assert repr(leaf([1.0, -2.5])) == (
        "Tensor([ 1.0000, -2.5000], dtype=float32, device=cpu, req_grad=True)"
    )
    assert repr(ac.tensor([1, 2, 3])) == "Tensor([1, 2, 3], dtype=int64, device=cpu)"
    assert repr(ac.tensor([True, False])) == "Tensor([ True, False], dtype=bool, device=cpu)"
    assert repr(ac.tensor(2.5)) == "Tensor(2.5000, dtype=float32, device=cpu)"
    assert repr(leaf([1.0], dtype="float64") * 2) == (
        "Tensor([2.0000], dtype=float64, device=cpu, grad_fn=Mul)"
    )


# ------------------------------------------------------------------------------------- casting


def test_float_casts_are_differentiable_and_gradients_keep_the_input_dtype():
    x = leaf([1.0, 2.0])
    y = x.double()
    assert y.dtype == numpy.float64 and type(y.ctx).__name__ == "AsType"
    (y * y).sum().backward()
    assert x.grad.dtype == numpy.float32
    numpy.testing.assert_array_equal(x.grad, [2.0, 4.0])
    assert x.half().dtype == numpy.float16 and x.float() is x


def test_integer_casts_carry_no_gradient():
    x = leaf([1.5, 2.5])
    for cast, dtype in [(x.int(), numpy.int32), (x.long(), numpy.int64)]:
        assert cast.dtype == dtype and not cast.req_grad and cast.ctx is None
    assert ac.tensor([1, 2]).float().dtype == numpy.float32
    assert x.as_type("int16").dtype == numpy.int16


# --------------------------------------------------------------------- dtype promotion rules
# The rules are stated in the docstring of autocompyute/dtypes.py; each test names one.


def test_promotion_python_float_takes_the_float_tensor_dtype():
    assert (ac.tensor([1.0], dtype="float16") * 2.5).dtype == numpy.float16
    assert (2.5 * ac.tensor([1.0], dtype="float16")).dtype == numpy.float16
    assert (ac.tensor([1.0], dtype="float64") + 1.0).dtype == numpy.float64
    assert (ac.tensor([1.0]) - 1e-3).dtype == numpy.float32


def test_promotion_python_int_takes_the_tensor_dtype():
    assert (ac.tensor([1], dtype="int8") * 3).dtype == numpy.int8
    assert (3 + ac.tensor([1], dtype="int16")).dtype == numpy.int16
    assert (ac.tensor([1.0], dtype="float16") + 1).dtype == numpy.float16


def test_promotion_python_float_with_int_or_bool_tensor_gives_float32():
    assert (ac.tensor([1, 2]) * 2.5).dtype == numpy.float32
    assert (2.5 - ac.tensor([1, 2], dtype="int32")).dtype == numpy.float32
    assert (ac.tensor([True, False]) + 1.5).dtype == numpy.float32
    numpy.testing.assert_array_equal((ac.tensor([1, 2]) * 2.5).data, [2.5, 5.0])


def test_promotion_numpy_scalar_on_the_right_acts_like_a_python_scalar():
    assert (ac.tensor([1.0], dtype="float16") * numpy.float64(2.0)).dtype == numpy.float16
    assert (ac.tensor([1]) * numpy.float32(0.5)).dtype == numpy.float32


def test_promotion_int_tensor_with_float_tensor_takes_the_float_dtype():
    ints = ac.tensor([1, 2])
    assert (ints + ac.tensor([1.0, 2.0], dtype="float16")).dtype == numpy.float16
    assert (ac.tensor([1.0, 2.0]) * ints).dtype == numpy.float32
    assert (
        ac.tensor([1, 2], dtype="int32") - ac.tensor([1.0, 2.0], dtype="float64")
    ).dtype == numpy.float64


def test_promotion_int_tensor_times_float_leaf_gives_float_gradient():
    x = leaf([1.0, 2.0])
    (ac.tensor([3, 4]) * x).sum().backward()
    assert x.grad.dtype == numpy.float32
    numpy.testing.assert_array_equal(x.grad, [3.0, 4.0])


def test_promotion_float_tensors_follow_numpy():
    half, single, double = (ac.tensor([1.0], dtype=d) for d in ("float16", "float32", "float64"))
    assert (single + double).dtype == numpy.float64
    assert (half * single).dtype == numpy.float32
    assert (double / half).dtype == numpy.float64


def test_promotion_mixed_float_tensors_backward_gives_each_input_its_own_dtype():
    single = leaf([1.0, 2.0])
    double = leaf([3.0, 4.0], dtype="float64")
    (single * double).sum().backward()
    assert single.grad.dtype == numpy.float32 and double.grad.dtype == numpy.float64
    numpy.testing.assert_array_equal(single.grad, [3.0, 4.0])
    numpy.testing.assert_array_equal(double.grad, [1.0, 2.0])


def test_promotion_int_tensors_follow_numpy():
    assert (ac.tensor([1], dtype="int32") + ac.tensor([1])).dtype == numpy.int64
    assert (ac.tensor([1], dtype="int8") * ac.tensor([1], dtype="int16")).dtype == numpy.int16


def test_promotion_true_division_of_integers_gives_float32():
    assert (ac.tensor([1, 2]) / ac.tensor([2, 4])).dtype == numpy.float32
    assert (ac.tensor([1, 2]) / 2).dtype == numpy.float32
    assert (1 / ac.tensor([1, 2])).dtype == numpy.float32
    numpy.testing.assert_array_equal((ac.tensor([1, 2]) / 4).data, [0.25, 0.5])


def test_promotion_lists_become_constants_of_the_float_tensor_dtype():
    floats, halves = [1.0, 2.0], ac.tensor([1.0, 2.0], dtype="float16")
    assert (halves + floats).dtype == numpy.float16
    assert (ac.tensor([1, 2]) - floats).dtype == numpy.float32


def test_pytorch_style_aliases():
    x = ac.tensor([[1.0, 2.0]])
    x.requires_grad = True
    assert x.req_grad and x.requires_grad
    assert x.tolist() == [[1.0, 2.0]] and ac.tensor(3).tolist() == 3
    numpy.testing.assert_array_equal(x.numpy(), [[1.0, 2.0]])
    with ac.no_grad():
        y = x * 2
    assert not y.req_grad and ac.no_grad is ac.no_autograd_tracking
