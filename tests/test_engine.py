"""Autograd engine: graph shapes, retain_graph, accumulation, grad mode, depth, freeing, errors."""

import threading
import weakref

import numpy
import pytest

import autocompyute as ac
from autocompyute.testing import gradcheck, import_torch


def leaf(values, dtype="float32"):
    return ac.tensor(values, dtype=dtype, req_grad=True)


def float64_leaf(*shape):
    return ac.randn(*shape, dtype="float64", req_grad=True)


# ---------------------------------------------------------------------------------- graph shapes


def test_fan_out_x_times_x_plus_x():
    x = leaf([1.0, -2.0, 3.0])
    (x * x + x).sum().backward()
    numpy.testing.assert_array_equal(x.grad, 2 * x.data + 1)
    assert x.grad.dtype == numpy.float32


def test_diamond_two_branches_merge():
    x = leaf([0.5, -1.0, 2.0], dtype="float64")
    (x.sin() * x.exp()).sum().backward()
    expected = numpy.cos(x.data) * numpy.exp(x.data) + numpy.sin(x.data) * numpy.exp(x.data)
    numpy.testing.assert_allclose(x.grad, expected, rtol=1e-12)


def test_shared_subgraph_used_by_several_consumers():
    x, y = float64_leaf(2, 3), float64_leaf(2, 3)

    def function(x, y):
        shared = (x * y).tanh()  # one node feeding four consumers on different paths
        left = shared * shared + shared.exp()
        right = (shared - x) * y
        return left * right + shared

    gradcheck(function, [x, y])


def test_two_leaves_sharing_two_intermediates_in_a_lattice():
    a, b = float64_leaf(3), float64_leaf(3)

    def function(a, b):
        top = a * b
        left, right = top + a, top * b
        bottom = left * right
        return bottom + left - right * top

    gradcheck(function, [a, b])


def test_deep_lattice_with_exponentially_many_paths_is_linear_time():
    # Each level uses the previous two, so there are Fibonacci(300) paths from the output to x;
    # an engine that walks paths instead of nodes would never finish.
    x = leaf([1.5], dtype="float64")
    previous, current = x, x
    for _ in range(300):
        previous, current = current, (previous + current) * 0.5
    current.backward()
    numpy.testing.assert_allclose(x.grad, [1.0], rtol=1e-12)


def test_graph_matches_torch_on_fan_out_diamond_and_shared_nodes():
    torch = import_torch()
    x_values = numpy.random.default_rng(1).standard_normal((4, 5)).astype(numpy.float32)
    w_values = numpy.random.default_rng(2).standard_normal((5, 3)).astype(numpy.float32)

    def function(x, w):
        hidden = (x @ w).tanh()
        gate = hidden.sigmoid()
        return (hidden * gate + hidden * hidden - gate).mean()

    x, w = leaf(x_values), leaf(w_values)
    function(x, w).backward()
    torch_x = torch.tensor(x_values, requires_grad=True)
    torch_w = torch.tensor(w_values, requires_grad=True)
    function(torch_x, torch_w).backward()
    numpy.testing.assert_allclose(x.grad, torch_x.grad.numpy(), rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(w.grad, torch_w.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_inputs_without_req_grad_get_no_gradient():
    x = leaf([1.0, 2.0])
    constant = ac.tensor([3.0, 4.0])
    y = x * constant
    assert y.ctx.needs_grad == (True, False)
    y.sum().backward()
    numpy.testing.assert_array_equal(x.grad, [3.0, 4.0])
    assert constant.grad is None


def test_backward_from_a_leaf_with_dy_copies_dy():
    x = leaf([1.0, 2.0])
    dy = numpy.array([0.5, 0.25], dtype=numpy.float32)
    x.backward(dy)
    dy[:] = 100
    numpy.testing.assert_array_equal(x.grad, [0.5, 0.25])


def test_backward_accepts_dy_as_tensor_list_or_other_float_dtype():
    x = leaf([1.0, 2.0])
    (x * 3).backward(ac.tensor([1.0, 2.0]))
    (x * 3).backward([1.0, 1.0])
    (x * 3).backward(numpy.array([1.0, 1.0], dtype=numpy.float64))
    numpy.testing.assert_array_equal(x.grad, [9.0, 12.0])
    assert x.grad.dtype == numpy.float32


# ------------------------------------------------------------------------------- un-broadcasting


def test_unbroadcast_column_added_to_3d_tensor():
    column = leaf(numpy.ones((3, 1)))
    block = leaf(numpy.ones((2, 3, 4)))
    (column + block).sum().backward()
    assert column.grad.shape == (3, 1)
    numpy.testing.assert_array_equal(column.grad, numpy.full((3, 1), 8.0))
    numpy.testing.assert_array_equal(block.grad, numpy.ones((2, 3, 4)))


def test_unbroadcast_leading_dims_and_0d_tensor():
    row = leaf([1.0, 2.0, 3.0])
    scalar = leaf(2.0)
    block = leaf(numpy.arange(6.0).reshape(2, 3))
    (row * block * scalar).sum().backward()
    numpy.testing.assert_array_equal(row.grad, block.data.sum(0) * 2)
    assert scalar.grad.shape == ()
    assert scalar.grad == pytest.approx(float((row.data * block.data).sum()))
    numpy.testing.assert_array_equal(block.grad, numpy.broadcast_to(row.data * 2, (2, 3)))


# ------------------------------------------------------------------- retain_graph, accumulation


def test_retain_graph_allows_second_backward_which_accumulates():
    x = leaf([1.0, 2.0, 3.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.copy()
    y.backward()
    numpy.testing.assert_array_equal(x.grad, 2 * first)


def test_second_backward_without_retain_graph_raises_clear_error():
    x = leaf([1.0, 2.0])
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"retain_graph=True"):
        y.backward()


def test_backward_through_a_subgraph_freed_by_an_earlier_backward_raises():
    x = leaf([1.0, 2.0])
    hidden = x * 2
    hidden.sum().backward()
    with pytest.raises(RuntimeError, match=r"second time.*retain_graph=True"):
        (hidden * 3).sum().backward()


def test_leaf_gradient_accumulates_across_backward_calls_like_pytorch():
    x = leaf([1.0, 2.0])
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    numpy.testing.assert_array_equal(x.grad, [5.0, 5.0])
    x.grad = None
    (x * 3).sum().backward()
    numpy.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_gradients_accumulated_over_many_retained_backward_calls_are_exact():
    x = leaf([0.5, -1.5, 2.0])
    y = (x * x * x + x).sum()
    for _ in range(5):
        y.backward(retain_graph=True)
    numpy.testing.assert_allclose(x.grad, 5 * (3 * x.data**2 + 1), rtol=1e-6)


def test_intermediates_keep_no_gradient_unless_retain_grad():
    x = leaf([1.0, 2.0])
    plain = x * 2
    kept = x * 3
    kept.retain_grad()
    out = (plain * kept).sum()
    out.retain_grad()
    out.backward()
    assert plain.grad is None
    numpy.testing.assert_array_equal(kept.grad, plain.data)
    assert out.grad == 1.0
    numpy.testing.assert_array_equal(x.grad, 12 * x.data)


def test_retain_grad_accumulates_and_is_a_copy():
    x = leaf([1.0, 2.0])
    hidden = x + 1
    hidden.retain_grad()
    y = (hidden * 1.5).sum()
    y.backward(retain_graph=True)
    y.backward()
    numpy.testing.assert_array_equal(hidden.grad, [3.0, 3.0])
    hidden.grad[:] = 0  # must not reach the leaf's gradient
    numpy.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_retain_grad_on_a_leaf_is_a_no_op():
    x = leaf([1.0])
    x.retain_grad()
    (x * 2).backward()
    assert x.grad == 2.0


# ---------------------------------------------------------------------------------- aliasing


def test_add_gradients_of_two_leaves_are_independent_arrays():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    assert a.grad.flags.writeable and b.grad.flags.writeable
    assert not numpy.shares_memory(a.grad, b.grad)
    a.grad += 10
    numpy.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_leaf_gradients_do_not_alias_the_users_dy():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    dy = numpy.array([1.0, 2.0], dtype=numpy.float32)
    (a + b).backward(dy)
    dy[:] = 0
    a.grad += 1
    numpy.testing.assert_array_equal(a.grad, [2.0, 3.0])
    numpy.testing.assert_array_equal(b.grad, [1.0, 2.0])


def test_same_leaf_used_twice_in_add_gets_both_contributions():
    a = leaf([1.0, 2.0])
    (a + a).sum().backward()
    numpy.testing.assert_array_equal(a.grad, [2.0, 2.0])


def test_leaf_gradient_from_a_broadcast_view_is_writeable():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    x.sum().backward()
    assert x.grad.flags.writeable
    x.grad *= 3
    numpy.testing.assert_array_equal(x.grad, numpy.full((2, 2), 3.0))


def test_user_assigned_grad_is_not_modified_in_place():
    x = leaf([1.0, 2.0])
    assigned = numpy.ones(2, dtype=numpy.float32)
    x.grad = assigned
    (x * 2).sum().backward()
    numpy.testing.assert_array_equal(assigned, [1.0, 1.0])
    numpy.testing.assert_array_equal(x.grad, [3.0, 3.0])


class KeepsItsGradient(ac.Op):
    """2 * x, whose backward keeps a reference to the gradient it returns."""

    def forward(self, x):
        return x * 2

    def backward(self, grad):
        self.kept = grad * 2
        return self.kept


def test_engine_never_adds_into_an_array_an_op_still_references():
    x = leaf([1.0, 2.0])
    first, second = KeepsItsGradient.apply(x), KeepsItsGradient.apply(x)
    first.sum().backward()
    second.sum().backward()
    numpy.testing.assert_array_equal(x.grad, [4.0, 4.0])
    numpy.testing.assert_array_equal(first.ctx.kept, [2.0, 2.0])
    numpy.testing.assert_array_equal(second.ctx.kept, [2.0, 2.0])


class SameArrayTwice(ac.Op):
    """x1 + x2, whose backward returns one fresh array for both inputs."""

    def forward(self, x1, x2):
        return x1 + x2

    def backward(self, grad):
        shared = grad * 1
        return shared, shared


def test_one_array_returned_for_two_inputs_gives_independent_gradients():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    SameArrayTwice.apply(a, b).sum().backward()
    assert not numpy.shares_memory(a.grad, b.grad)
    a.grad += 1
    numpy.testing.assert_array_equal(b.grad, [1.0, 1.0])


# ---------------------------------------------------------------------------------- grad mode


def test_no_autograd_tracking_as_context_manager():
    x = leaf([1.0, 2.0])
    with ac.no_autograd_tracking():
        assert not ac.autograd.is_grad_enabled()
        y = x * 2 + 1
    assert ac.autograd.is_grad_enabled()
    assert y.req_grad is False
    assert y.ctx is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_no_autograd_tracking_as_decorator():
    @ac.no_autograd_tracking()
    def double(t):
        assert not ac.autograd.is_grad_enabled()
        return t * 2

    y = double(leaf([1.0]))
    assert ac.autograd.is_grad_enabled()
    assert y.req_grad is False and y.ctx is None


def test_no_autograd_tracking_nesting_and_exceptions_restore_state():
    context = ac.no_autograd_tracking()
    with context:
        with context:
            assert not ac.autograd.is_grad_enabled()
        assert not ac.autograd.is_grad_enabled()
    assert ac.autograd.is_grad_enabled()
    with pytest.raises(KeyError), ac.no_autograd_tracking():
        raise KeyError("inside")
    assert ac.autograd.is_grad_enabled()


def test_set_grad_enabled_takes_effect_when_called():
    # PyTorch's semantics: the call sets the mode; it returns a context manager, not a flag.
    ac.autograd.set_grad_enabled(False)
    try:
        assert not ac.autograd.is_grad_enabled()
    finally:
        ac.autograd.set_grad_enabled(True)
    assert ac.autograd.is_grad_enabled()


def test_no_autograd_tracking_is_thread_local_main_thread_off():
    x = leaf([1.0, 2.0])
    seen = {}

    def worker():
        seen["enabled"] = ac.autograd.is_grad_enabled()
        y = (x * x).sum()
        seen["req_grad"] = y.req_grad

    with ac.no_autograd_tracking():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
    assert seen == {"enabled": True, "req_grad": True}


def test_no_autograd_tracking_is_thread_local_worker_thread_off():
    inside, release = threading.Event(), threading.Event()

    def worker():
        with ac.no_autograd_tracking():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert inside.wait(5)
        assert ac.autograd.is_grad_enabled()
        assert (leaf([1.0]) * 2).req_grad
    finally:
        release.set()
        thread.join()


def test_backward_runs_under_no_autograd_tracking():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    with ac.no_autograd_tracking():
        y.backward()
    numpy.testing.assert_array_equal(x.grad, [2.0, 4.0])


# ---------------------------------------------------------------------------- depth, freeing


@pytest.mark.slow
def test_chain_of_a_million_ops_backpropagates_at_default_recursion_limit():
    x = leaf([2.0])
    y = x
    for _ in range(1_000_000):
        y = -y  # the cheapest op to build: the test is about depth, not arithmetic
    y.backward()
    numpy.testing.assert_array_equal(x.grad, [1.0])


def test_deep_graph_freed_without_backward_does_not_overflow_the_stack():
    x = leaf([2.0])
    y = x
    for _ in range(100_000):
        y = -y
    del y  # deallocating the chain must not recurse once per node
    assert x.grad is None


def test_intermediate_tensor_is_freed_after_backward():
    x = leaf([1.0, 2.0])
    hidden = x * 2
    reference = weakref.ref(hidden)
    y = (hidden * hidden).sum()
    del hidden
    assert reference() is not None  # the graph keeps it alive until backward
    y.backward()
    assert reference() is None


def test_saved_arrays_and_parents_are_dropped_after_backward():
    x = leaf([1.0, 2.0])
    product = x * x
    node = product.ctx
    assert node.saved is not None
    product.sum().backward()
    assert node.saved is None
    assert node.parents is None
    assert node.is_released


def test_retain_graph_keeps_saved_arrays_and_intermediates():
    x = leaf([1.0, 2.0])
    hidden = x * 2
    reference = weakref.ref(hidden)
    product = hidden * hidden
    del hidden
    product.sum().backward(retain_graph=True)
    assert product.ctx.saved is not None
    assert reference() is not None


def test_gradients_are_deterministic_bit_for_bit():
    values = ac.randn(16, 8).data

    def run():
        x = leaf(values)
        hidden = (x @ x.T).tanh()
        y = (hidden * hidden.sigmoid() + hidden.exp() * x.sum(1, keepdims=True)).mean()
        y.backward()
        return x.grad.tobytes()

    assert run() == run()


# ---------------------------------------------------------------------------------- errors


def test_backward_without_dy_on_non_scalar_says_pass_dy_or_reduce():
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match=r"pass dy.*reduce"):
        y.backward()


def test_backward_on_tensor_not_requiring_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (ac.tensor([1.0]) * 2).backward()


def test_backward_with_wrong_dy_shape_raises():
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(ValueError, match=r"dy has shape \(3,\), expected \(2,\)"):
        y.backward(numpy.ones(3, dtype=numpy.float32))


def test_error_in_forward_names_op_and_input_shapes():
    with pytest.raises(ValueError, match=r"Add: .*\(2,\) float32 and \(3,\) float32"):
        ac.ones(2) + ac.ones(3)


class WrongShapeGradient(ac.Op):
    def forward(self, x1, x2):
        return x1 * x2

    def backward(self, grad):
        return grad, self.xp.ones(grad.size + 1, dtype=grad.dtype)


class WrongDtypeGradient(ac.Op):
    def forward(self, x):
        return x * 2

    def backward(self, grad):
        return grad.astype("float64")


class WrongGradientCount(ac.Op):
    def forward(self, x1, x2):
        return x1 + x2

    def backward(self, grad):
        return (grad,)


class MissingGradient(ac.Op):
    def forward(self, x1, x2):
        return x1 + x2

    def backward(self, grad):
        return grad, None


def test_wrong_gradient_shape_from_custom_op_names_op_and_input_index():
    y = WrongShapeGradient.apply(leaf([1.0, 2.0]), leaf([3.0, 4.0]))
    with pytest.raises(ValueError, match=r"WrongShapeGradient.*shape \(3,\) for input 1"):
        y.sum().backward()


def test_wrong_gradient_dtype_from_custom_op_names_op_and_input_index():
    y = WrongDtypeGradient.apply(leaf([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"WrongDtypeGradient.*float64 gradient for input 0"):
        y.sum().backward()


def test_wrong_gradient_count_from_custom_op_raises():
    y = WrongGradientCount.apply(leaf([1.0]), leaf([2.0]))
    with pytest.raises(RuntimeError, match=r"WrongGradientCount.*returned 1 gradients, expected 2"):
        y.backward()


def test_missing_gradient_for_input_that_needs_it_raises():
    y = MissingGradient.apply(leaf([1.0]), leaf([2.0]))
    with pytest.raises(RuntimeError, match=r"MissingGradient.*None for input 1"):
        y.backward()


def test_pass_after_a_failed_backward_through_shared_nodes_is_correct():
    x = leaf([1.0, 2.0])
    shared = x * 2
    bad = (WrongDtypeGradient.apply(shared) + shared).sum()
    with pytest.raises(TypeError):
        bad.backward(retain_graph=True)  # fails after `shared` got part of its gradient
    (shared * 3).sum().backward()
    numpy.testing.assert_array_equal(x.grad, [6.0, 6.0])


@pytest.mark.cuda
def test_op_mixing_cpu_and_cuda_tensors_raises():
    with pytest.raises(RuntimeError, match=r"Add: expected all tensors on the same device"):
        ac.ones(2) + ac.ones(2, device="cuda")
