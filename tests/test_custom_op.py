"""A user-defined op: written against `ac.Op` alone, it works, gradchecks and composes."""

import numpy
import pytest

import autocompyute as ac
from autocompyute.testing import gradcheck, import_torch


class SoftPlus(ac.Op):
    """log(1 + exp(beta * x)) / beta, smooth ReLU."""

    def forward(self, x, *, beta=1.0):
        self.save_for_backward(x)
        return self.xp.logaddexp(0, beta * x) / beta

    def backward(self, grad):
        (x,) = self.saved
        beta = self.kwargs.get("beta", 1.0)
        return grad / (1 + self.xp.exp(-beta * x))


class ScaledProduct(ac.Op):
    """scale * x1 * x2, computing only the gradients the engine asks for."""

    def forward(self, x1, x2, *, scale):
        self.save_for_backward(x1, x2)
        return scale * x1 * x2

    def backward(self, grad):
        x1, x2 = self.saved
        scale = self.kwargs["scale"]
        self.computed = tuple(self.needs_grad)
        grad_x1 = grad * scale * x2 if self.needs_grad[0] else None
        grad_x2 = grad * scale * x1 if self.needs_grad[1] else None
        return grad_x1, grad_x2


def reference_softplus(x, beta=1.0):
    return numpy.log1p(numpy.exp(beta * x)) / beta


def test_forward_values_and_dtype():
    values = numpy.linspace(-4, 4, 9, dtype=numpy.float32)
    y = SoftPlus.apply(ac.tensor(values))
    assert isinstance(y, ac.Tensor) and y.dtype == numpy.float32 and y.shape == (9,)
    numpy.testing.assert_allclose(y.data, reference_softplus(values), rtol=1e-6)
    with_beta = SoftPlus.apply(ac.tensor(values), beta=2.0)
    numpy.testing.assert_allclose(with_beta.data, reference_softplus(values, 2.0), rtol=1e-6)


def test_graph_node_records_kwargs_and_uses_numpy_on_cpu():
    y = SoftPlus.apply(ac.randn(3, req_grad=True), beta=0.5)
    assert isinstance(y.ctx, SoftPlus) and isinstance(y.ctx, ac.Op)
    assert y.ctx.kwargs == {"beta": 0.5}
    assert y.ctx.xp is numpy
    assert y.ctx.name == "SoftPlus" and repr(y.ctx) == "<SoftPlus op>"
    assert repr(y).endswith("grad_fn=SoftPlus)")


@pytest.mark.parametrize("beta", [1.0, 2.5])
def test_gradcheck(beta):
    x = ac.randn(3, 4, dtype="float64", req_grad=True)
    gradcheck(lambda t: SoftPlus.apply(t, beta=beta), [x])


class WrongSoftPlus(SoftPlus):
    def backward(self, grad):
        return super().backward(grad) * 1.01


def test_gradcheck_catches_a_slightly_wrong_backward():
    x = ac.randn(3, dtype="float64", req_grad=True)
    with pytest.raises(AssertionError, match="input 0: analytic and numerical gradients differ"):
        gradcheck(WrongSoftPlus.apply, [x])


def test_gradcheck_needs_float64_inputs():
    with pytest.raises(TypeError, match="gradcheck needs float64 inputs, got float32"):
        gradcheck(SoftPlus.apply, [ac.randn(3, req_grad=True)])


def test_gradcheck_two_inputs_with_broadcasting():
    x1 = ac.randn(2, 3, dtype="float64", req_grad=True)
    x2 = ac.randn(3, dtype="float64", req_grad=True)
    gradcheck(lambda a, b: ScaledProduct.apply(a, b, scale=1.5), [x1, x2])


def test_composes_with_builtin_ops():
    x = ac.randn(4, 3, dtype="float64", req_grad=True)
    w = ac.randn(3, 2, dtype="float64", req_grad=True)

    def model(x, w):
        hidden = SoftPlus.apply(x @ w)
        return (ScaledProduct.apply(hidden, hidden.tanh(), scale=2.0) + hidden).mean()

    gradcheck(model, [x, w])


def test_matches_torch_softplus():
    torch = import_torch()
    values = numpy.random.default_rng(3).standard_normal((5, 4)).astype(numpy.float32)
    x = ac.tensor(values, req_grad=True)
    (SoftPlus.apply(x * 2, beta=1.5) * 3).sum().backward()
    torch_x = torch.tensor(values, requires_grad=True)
    torch_y = torch.nn.functional.softplus(torch_x * 2, beta=1.5)
    (torch_y * 3).sum().backward()
    numpy.testing.assert_allclose(
        SoftPlus.apply(x * 2, beta=1.5).data, torch_y.detach().numpy(), rtol=1e-5, atol=1e-6
    )
    numpy.testing.assert_allclose(x.grad, torch_x.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_needs_grad_tells_backward_which_gradients_to_compute():
    weight = ac.tensor([1.0, 2.0], req_grad=True)
    constant = ac.tensor([3.0, 4.0])
    y = ScaledProduct.apply(constant, weight, scale=2.0)
    assert y.ctx.needs_grad == (False, True)
    node = y.ctx
    y.sum().backward()
    assert node.computed == (False, True)
    numpy.testing.assert_array_equal(weight.grad, [6.0, 8.0])
    assert constant.grad is None


def test_non_tensor_inputs_are_passed_through_and_need_no_gradient():
    weight = ac.tensor([1.0, 2.0], req_grad=True)
    y = ScaledProduct.apply(weight, 4.0, scale=0.5)
    assert y.ctx.needs_grad == (True, False)
    numpy.testing.assert_array_equal(y.data, [2.0, 4.0])
    y.sum().backward()
    numpy.testing.assert_array_equal(weight.grad, [2.0, 2.0])


def test_without_grad_inputs_or_under_no_grad_nothing_is_saved():
    y = SoftPlus.apply(ac.ones(2))
    assert y.ctx is None and not y.req_grad
    with ac.no_autograd_tracking():
        z = SoftPlus.apply(ac.ones(2, req_grad=True))
    assert z.ctx is None and not z.req_grad


def test_op_forward_errors_name_the_op():
    with pytest.raises(ValueError, match=r"ScaledProduct: .*\(2,\) float32 and \(3,\) float32"):
        ScaledProduct.apply(ac.ones(2), ac.ones(3), scale=1.0)


def test_op_without_backward_raises_not_implemented_on_backward():
    class ForwardOnly(ac.Op):
        def forward(self, x):
            return x + 1

    y = ForwardOnly.apply(ac.ones(2, req_grad=True))
    with pytest.raises(NotImplementedError, match="ForwardOnly does not implement backward"):
        y.sum().backward()


def test_gradcheck_refuses_to_pass_when_nothing_requires_grad():
    with pytest.raises(ValueError, match="gradcheck: no input requires grad"):
        gradcheck(SoftPlus.apply, [ac.randn(3, dtype="float64")])
