"""autograd.grad: gradients w.r.t. chosen inputs without touching .grad (against PyTorch)."""

import numpy
import pytest

import autocompyute as ac
from autocompyute.testing import torch_or_skip

torch = torch_or_skip()


def test_grad_matches_pytorch_for_several_outputs_and_inputs_and_leaves_grad_alone():
    values = numpy.random.default_rng(0).normal(size=(3, 4))
    x = ac.tensor(values, dtype="float64", req_grad=True)
    w = ac.tensor(values.T, dtype="float64", req_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    tw = torch.tensor(values.T.copy(), requires_grad=True)
    h, th = (x @ w).tanh(), (tx @ tw).tanh()
    outputs = [h.sum(), (h * x.sum()).exp().mean()]
    toutputs = [th.sum(), (th * tx.sum()).exp().mean()]
    ours = ac.autograd.grad(outputs, [x, w, h])
    theirs = torch.autograd.grad(toutputs, [tx, tw, th])
    for a, b in zip(ours, theirs):
        numpy.testing.assert_allclose(a.data, b.numpy(), rtol=1e-10)
    assert x.grad is None and w.grad is None


def test_grad_outputs_weight_the_outputs():
    x = ac.tensor([1.0, 2.0, 3.0], dtype="float64", req_grad=True)
    tx = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    v = numpy.array([0.5, -1.0, 2.0])
    (ours,) = ac.autograd.grad(x * x, x, grad_outputs=v)
    (theirs,) = torch.autograd.grad(tx * tx, tx, grad_outputs=torch.tensor(v))
    numpy.testing.assert_allclose(ours.data, theirs.numpy())


def test_retain_graph_and_unused_inputs():
    x = ac.ones(2, req_grad=True)
    unused = ac.ones(2, req_grad=True)
    y = (x * 3).sum()
    dx, none = ac.autograd.grad(y, [x, unused], retain_graph=True, allow_unused=True)
    assert dx.data.tolist() == [3.0, 3.0] and none is None
    (zeros,) = ac.autograd.grad(y, [unused], retain_graph=True, materialize_grads=True)
    assert zeros.data.tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match=r"inputs\[1\] was not used.*allow_unused=True"):
        ac.autograd.grad(y, [x, unused], retain_graph=True)
    ac.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        ac.autograd.grad(y, x)


def test_the_same_input_twice_and_an_input_that_is_the_output():
    x = ac.ones(2, req_grad=True)
    a, b = ac.autograd.grad((x * 2).sum(), [x, x])
    assert a.data.tolist() == b.data.tolist() == [2.0, 2.0]
    (same,) = ac.autograd.grad(x, x, grad_outputs=numpy.ones(2, dtype="float32"))
    assert same.data.tolist() == [1.0, 1.0]


def test_bad_arguments_are_named():
    x = ac.ones(2, req_grad=True)
    with pytest.raises(NotImplementedError, match=r"create_graph=True.*not supported"):
        ac.autograd.grad(x.sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match=r"inputs\[0\] does not require grad"):
        ac.autograd.grad(x.sum(), ac.ones(2))
    with pytest.raises(RuntimeError, match=r"without grad_outputs\[0\] needs a one-element"):
        ac.autograd.grad(x * 2, x)
    with pytest.raises(ValueError, match=r"grad_outputs\[0\] has shape \(3,\)"):
        ac.autograd.grad(x * 2, x, grad_outputs=numpy.ones(3))
    with pytest.raises(TypeError, match="expected a Tensor"):
        ac.autograd.grad(x.sum(), [x, 3])


def test_hooks_on_inputs_run_but_post_accumulate_hooks_do_not():
    x = ac.ones(2, req_grad=True)
    seen = []
    x.register_hook(lambda grad: grad * 10)
    x.register_post_accumulate_grad_hook(lambda p: seen.append("post"))
    (dx,) = ac.autograd.grad((x * 2).sum(), x)
    assert dx.data.tolist() == [20.0, 20.0] and seen == [] and x.grad is None


def test_gradcheck_is_public():
    x = ac.randn(3, dtype="float64", req_grad=True)
    assert ac.autograd.gradcheck(lambda t: (t * t).tanh(), [x])


def test_grad_in_one_thread_leaves_backward_in_another_alone():
    import threading

    x = ac.ones(2, req_grad=True)
    y = ac.ones(2, req_grad=True)
    results = []

    def worker():
        for _ in range(50):
            results.append(ac.autograd.grad((x * 2).sum(), x)[0].data.tolist())

    thread = threading.Thread(target=worker)
    thread.start()
    for _ in range(50):
        (y * 3).sum().backward()
    thread.join()
    assert y.grad.tolist() == [150.0, 150.0] and x.grad is None
    assert results == [[2.0, 2.0]] * 50
