"""Tensor and Module hooks: order and semantics compared with PyTorch."""

import gc
import weakref

import numpy
import pytest

import autocompyute as ac
from autocompyute import nn
from autocompyute.testing import torch_or_skip

torch = torch_or_skip()


def both(values):
    ours = ac.tensor(numpy.asarray(values, dtype=numpy.float64), req_grad=True)
    theirs = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    return ours, theirs


def to_numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().numpy().copy()
    return numpy.array(value.data if isinstance(value, ac.Tensor) else value)


def log_hook(log, name, scale=None):
    def hook(grad):
        array = grad if isinstance(grad, numpy.ndarray) else grad.detach().numpy()
        log.append((name, array.tolist()))
        if scale is not None:
            return grad * scale
        return None

    return hook


def test_tensor_hooks_fire_in_pytorchs_order_and_may_replace_the_gradient():
    logs = []
    for lib in ("ac", "torch"):
        log = []
        x, tx = both([1.0, 2.0])
        x = x if lib == "ac" else tx
        y = x * x
        y.register_hook(log_hook(log, "y first", 10.0))
        y.register_hook(log_hook(log, "y second"))
        y.retain_grad()
        x.register_hook(log_hook(log, "x", 2.0))
        z = y * 3 + x
        z.register_hook(log_hook(log, "z"))
        z.sum().backward()
        x_grad = x.grad if lib == "ac" else x.grad.numpy()
        y_grad = y.grad if lib == "ac" else y.grad.numpy()
        logs.append((log, numpy.asarray(x_grad).tolist(), numpy.asarray(y_grad).tolist()))
    assert logs[0] == logs[1]
    # the leaf hook saw the sum over both paths once, the retained grad is after the hooks
    log, x_grad, y_grad = logs[0]
    assert ("x", [61.0, 121.0]) in log and x_grad == [122.0, 242.0] and y_grad == [30.0, 30.0]


def test_post_accumulate_hooks_see_the_final_grad_of_each_pass_in_pytorchs_order():
    ac.set_random_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    ours = list(net.named_parameters())
    theirs = list(tnet.named_parameters())
    with torch.no_grad():
        for (_, p), (_, t) in zip(ours, theirs):
            t.copy_(torch.from_numpy(numpy.array(p.data)).reshape(t.shape))
    x = ac.randn(5, 3)
    tx = torch.from_numpy(numpy.array(x.data))
    logs = ([], [])
    for log, params, lib in ((logs[0], ours, "ac"), (logs[1], theirs, "torch")):
        for index, (_, param) in enumerate(params):

            def hook(p, index=index, log=log, lib=lib):
                grad = p.grad if lib == "ac" else p.grad.numpy()
                log.append((index, numpy.array(grad).reshape(-1)))

            param.register_post_accumulate_grad_hook(hook)
    for model, inputs in ((net, x), (tnet, tx)):
        for _ in range(2):  # the second pass accumulates: the hooks see the summed .grad
            out = model(inputs)
            (out * out).sum().backward()
    layer_order = [[index // 2 for index, _ in log] for log in logs]
    assert layer_order[0] == layer_order[1] == [1, 1, 0, 0, 1, 1, 0, 0]  # last layer first
    for log in logs:
        log.sort(key=lambda item: item[0])
    for (i, a), (j, b) in zip(*logs):
        assert i == j
        numpy.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_post_accumulate_hook_fires_once_per_pass_after_all_uses():
    w = ac.ones(2, req_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.tolist()))
    (w * 2 + w * w + w).sum().backward()
    assert seen == [[5.0, 5.0]]
    handle.remove()
    handle.remove()  # idempotent
    (w * 2).sum().backward()
    assert seen == [[5.0, 5.0]] and w.grad.tolist() == [7.0, 7.0]


def test_hooks_on_a_leaf_that_is_also_the_root_and_on_indexed_gradients():
    x = ac.ones(4, req_grad=True)
    seen = []
    x.register_hook(lambda grad: seen.append(grad.tolist()))
    x[1:3].sum().backward()
    x[0].backward()
    assert seen == [[0.0, 1.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0]]
    assert x.grad.tolist() == [1.0, 1.0, 1.0, 0.0]


def test_hook_errors_name_the_problem():
    x = ac.ones(3, req_grad=True)
    x.register_hook(lambda grad: grad[:2])
    with pytest.raises(
        ValueError,
        match=r"returned a gradient of shape \(2,\) for a tensor of "
        r"shape \(3,\)",
    ):
        (x * 2).sum().backward()
    y = ac.ones(3, req_grad=True)
    y.register_hook(lambda grad: grad.astype(numpy.float64))
    with pytest.raises(TypeError, match="float64 gradient for a float32 tensor"):
        (y * 2).sum().backward()
    z = ac.ones(3, req_grad=True)

    def failing(grad):
        raise KeyError("boom")

    z.register_hook(failing)
    with pytest.raises(KeyError) as error:
        (z * 2).sum().backward()
    assert "failing" in "".join(error.value.__notes__)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ac.ones(2).register_hook(print)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (ac.ones(2, req_grad=True) * 2).register_post_accumulate_grad_hook(print)
    with pytest.raises(TypeError, match="expected a callable"):
        ac.ones(2, req_grad=True).register_hook(3)


def test_a_hook_referring_to_its_tensor_is_collected():
    def make_cycles():
        x = ac.ones(2, req_grad=True)
        y = x * 2
        y.register_hook(lambda grad: y.data and None)
        x.register_post_accumulate_grad_hook(lambda p: x)
        return [weakref.ref(x), weakref.ref(y)]

    refs = make_cycles()
    gc.collect()  # frees y's cycle (and its node); x's cycle goes in the next pass
    gc.collect()
    assert all(ref() is None for ref in refs)


def test_module_forward_hooks_match_pytorch():
    orders = []
    for lib in ("ac", "torch"):
        calls = []
        orders.append(calls)
        layer = nn.Linear(3, 2) if lib == "ac" else torch.nn.Linear(3, 2)
        x = ac.ones(1, 3) if lib == "ac" else torch.ones(1, 3)
        log = calls.append
        layer.register_forward_pre_hook(lambda m, args, log=log: log("pre1"))
        layer.register_forward_pre_hook(lambda m, args, log=log: log("pre0"), prepend=True)
        handle = layer.register_forward_hook(lambda m, args, out, log=log: log("post"))
        layer.register_forward_hook(lambda m, args, out: out * 0)
        layer.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
        out = layer(x)
        assert float(out.sum().detach()) == 0.0
        handle.remove()
        layer(x)
    assert orders[0] == orders[1] == ["pre0", "pre1", "post", "pre0", "pre1"]


def test_forward_hooks_with_kwargs():
    layer = nn.Linear(2, 2)
    seen = []
    layer.register_forward_pre_hook(
        lambda m, args, kwargs: ((args[0] * 0,), kwargs), with_kwargs=True
    )
    layer.register_forward_hook(lambda m, args, kwargs, out: seen.append(kwargs), with_kwargs=True)
    out = layer(ac.ones(1, 2))
    numpy.testing.assert_allclose(
        out.data, layer.b.data.reshape(1, 2) if hasattr(layer, "b") else out.data
    )
    assert seen == [{}]


def test_full_backward_hook_matches_pytorch_and_may_replace_grad_input():
    layer = nn.Linear(3, 2)
    tlayer = torch.nn.Linear(3, 2)
    with torch.no_grad():
        for (_, p), (_, t) in zip(layer.named_parameters(), tlayer.named_parameters()):
            t.copy_(torch.from_numpy(numpy.array(p.data)).reshape(t.shape))
    x = ac.randn(4, 3, req_grad=True)
    tx = torch.from_numpy(numpy.array(x.data)).requires_grad_(True)
    results = []
    for module, inputs in ((layer, x), (tlayer, tx)):
        seen = []

        def hook(module, grad_input, grad_output, seen=seen):
            seen.append(([to_numpy(g) for g in grad_input], [to_numpy(g) for g in grad_output]))
            return (grad_input[0] * 3,)

        module.register_full_backward_hook(hook)
        out = module(inputs)
        (out * out).sum().backward()
        results.append((seen, to_numpy(inputs.grad)))
    (ours, ours_grad), (theirs, theirs_grad) = results
    assert len(ours) == len(theirs) == 1
    for a, b in zip(ours[0][0] + ours[0][1], theirs[0][0] + theirs[0][1]):
        numpy.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(ours_grad, theirs_grad, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(ours_grad, 3 * ours[0][0][0], rtol=1e-6)


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
def test_full_backward_hook_with_inputs_that_need_no_grad():
    for lib in ("ac", "torch"):
        seen = []
        layer = nn.Linear(3, 2) if lib == "ac" else torch.nn.Linear(3, 2)
        layer.register_full_backward_hook(
            lambda m, gi, go, seen=seen: seen.append((gi[0] is None, tuple(go[0].shape)))
        )
        x = ac.ones(4, 3) if lib == "ac" else torch.ones(4, 3)
        layer(x).sum().backward()
        assert seen == [(True, (4, 2))]


def test_full_backward_hook_replacement_values_match_pytorch():
    values = [[1.0, -2.0, 0.5]]
    grads = []
    for lib in ("ac", "torch"):
        act = nn.Tanh() if lib == "ac" else torch.nn.Tanh()
        act.register_full_backward_hook(lambda m, gi, go: (gi[0] * 3,))
        x, tx = both(values)
        x = x if lib == "ac" else tx
        (act(x) * 2).sum().backward()
        grads.append(numpy.asarray(x.grad if lib == "ac" else x.grad.numpy()))
    numpy.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_module_hook_handles_remove_and_cost_nothing_after():
    layer = nn.Linear(2, 2)
    handle = layer.register_full_backward_hook(lambda m, gi, go: None)
    handle.remove()
    out = layer(ac.ones(1, 2, req_grad=True))
    assert type(out.ctx).__name__ != "ModuleOutputGrad"


def test_a_module_without_hooks_takes_the_plain_path():
    layer = nn.Linear(2, 2)
    assert layer._hooks is None
    out = layer(ac.ones(1, 2))
    assert out.shape == (1, 2)


class Bilinear(nn.Module):
    def forward(self, a, b):
        return (a * b).tanh()


class TorchBilinear(torch.nn.Module):
    def forward(self, a, b):
        return (a * b).tanh()


def test_full_backward_hook_of_a_module_with_two_inputs_matches_pytorch():
    values = numpy.random.default_rng(1).normal(size=(2, 3))
    seen = []
    for module, lib in ((Bilinear(), "ac"), (TorchBilinear(), "torch")):
        log = []
        seen.append(log)
        module.register_full_backward_hook(
            lambda m, gi, go, log=log: log.append([to_numpy(g) for g in (*gi, *go)])
        )
        a, ta = both(values)
        b, tb = both(values[::-1].copy())
        out = module(a, b) if lib == "ac" else module(ta, tb)
        (out * out).sum().backward()
    ours, theirs = seen
    assert len(ours) == len(theirs) == 1
    for x, y in zip(ours[0], theirs[0]):
        numpy.testing.assert_allclose(x, y, rtol=1e-12)


def test_full_backward_hook_with_two_inputs_may_return_grad_input_unchanged():
    module = Bilinear()
    module.register_full_backward_hook(lambda m, gi, go: gi)
    a = ac.ones(2, req_grad=True)
    b = ac.ones(2, req_grad=True)
    module(a, b).sum().backward()
    assert a.grad is not None and b.grad is not None
    module.register_full_backward_hook(lambda m, gi, go: (gi[0] * 2, gi[1] * 2))
    with pytest.raises(RuntimeError, match=r"only the entry|last only"):
        module(a, b).sum().backward()
