"""Module, Parameter, Buffer and containers: registration, traversal, modes, state dicts."""

import numpy as np
import pytest

import autocompyute as ac
from autocompyute import nn
from autocompyute.nn.containers import ModuleList, Modulelist, Sequential
from autocompyute.nn.module import Buffer, Module, Parameter
from autocompyute.serialization import load, save


class Affine(Module):
    """x @ w.T + b from raw ops, so these tests do not depend on the layer files."""

    def __init__(self, in_dim, out_dim):
        super().__init__()
        self.w = Parameter(ac.randu(out_dim, in_dim), label="Weights")
        self.b = Parameter(ac.zeros(out_dim), label="Biases")

    def forward(self, x):
        return x @ self.w.T + self.b

    def extra_repr(self):
        return f"in_dim={self.w.shape[1]}, out_dim={self.w.shape[0]}"


class Relu(Module):
    def forward(self, x):
        return x.relu()


class Net(Module):
    def __init__(self):
        super().__init__()
        self.lin1 = Affine(4, 5)
        self.act = Relu()
        self.lin2 = Affine(5, 3)
        self.running = Buffer(ac.zeros(3))

    def forward(self, x):
        return self.lin2(self.act(self.lin1(x))) + self.running


def test_parameter_is_a_leaf_that_requires_grad():
    p = Parameter(ac.ones(2, 3))
    assert p.req_grad and p.is_leaf and p.label == "Parameter"
    assert isinstance(p, ac.Tensor)
    y = p * 2 + 1  # Tensor arithmetic works and gives plain tensors
    assert type(y) is ac.Tensor and y.req_grad
    assert repr(p).startswith("Parameter(")


def test_parameter_shares_the_tensor_array():
    t = ac.ones(3)
    assert Parameter(t).data is t.data


def test_parameter_rejects_integer_data():
    with pytest.raises(TypeError, match="float"):
        Parameter(ac.arange(3))


def test_buffer_does_not_require_grad():
    b = Buffer(ac.zeros(3))
    assert not b.req_grad and isinstance(b, ac.Tensor)


def test_nn_exports():
    assert nn.Module is Module and nn.Parameter is Parameter and nn.Buffer is Buffer
    assert nn.Sequential is Sequential and nn.ModuleList is ModuleList
    assert nn.Modulelist is ModuleList


def test_registration_and_traversal_order():
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == ["lin1.w", "lin1.b", "lin2.w", "lin2.b"]
    assert [name for name, _ in net.named_buffers()] == ["running"]
    assert [name for name, _ in net.named_modules()] == ["", "lin1", "act", "lin2"]
    assert list(net.children()) == [net.lin1, net.act, net.lin2]
    assert len(list(net.modules())) == 4
    assert net.n_params == 4 * 5 + 5 + 5 * 3 + 3
    assert list(net.parameters(recurse=False)) == []


def test_shared_parameters_and_modules_are_listed_once():
    net = Net()
    net.lin3 = net.lin1
    net.extra = net.lin2.w
    assert len(list(net.parameters())) == 4
    assert len(list(net.modules())) == 4
    assert net.n_params == 4 * 5 + 5 + 5 * 3 + 3


def test_reassignment_replaces_and_none_unregisters():
    net = Net()
    net.lin1 = Relu()
    assert [name for name, _ in net.named_parameters()] == ["lin2.w", "lin2.b"]
    net.lin2.b = None
    assert [name for name, _ in net.named_parameters()] == ["lin2.w"]
    del net.running
    assert list(net.buffers()) == []


def test_assigning_before_super_init_is_a_clear_error():
    class Broken(Module):
        def __init__(self):
            self.w = Parameter(ac.ones(2))

    with pytest.raises(AttributeError, match="super"):
        Broken()


def test_forward_runs_and_gradients_reach_parameters():
    net = Net()
    x = ac.randn(2, 4)
    net(x).sum().backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_missing_forward_is_a_clear_error():
    with pytest.raises(NotImplementedError, match="forward"):
        Module()(1)


def test_train_eval_propagate():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_repr_is_nested():
    text = repr(Net())
    assert text == (
        "Net(\n"
        "  (lin1): Affine(in_dim=4, out_dim=5)\n"
        "  (act): Relu()\n"
        "  (lin2): Affine(in_dim=5, out_dim=3)\n"
        ")"
    )
    nested = repr(Sequential(Net(), Relu()))
    assert "  (0): Net(\n    (lin1): Affine(in_dim=4, out_dim=5)" in nested


def test_sequential_chains_modules():
    first, second = Affine(4, 6), Affine(6, 2)
    model = Sequential(first, Relu(), second)
    x = ac.randn(3, 4)
    expected = second(first(x).relu())
    np.testing.assert_array_equal(model(x).data, expected.data)
    assert len(model) == 3 and model[0] is first and model[-1] is second
    assert [name for name, _ in model.named_parameters()] == ["0.w", "0.b", "2.w", "2.b"]
    assert isinstance(model[1:], Sequential) and len(model[1:]) == 2
    with pytest.raises(IndexError, match="out of range"):
        model[3]


def test_module_list_registers_its_modules():
    class Stack(Module):
        def __init__(self):
            super().__init__()
            self.blocks = ModuleList([Affine(3, 3) for _ in range(2)])

        def forward(self, x):
            for block in self.blocks:
                x = block(x)
            return x

    stack = Stack()
    assert Modulelist is ModuleList
    assert [name for name, _ in stack.named_parameters()] == [
        "blocks.0.w",
        "blocks.0.b",
        "blocks.1.w",
        "blocks.1.b",
    ]
    stack.blocks.append(Affine(3, 1))
    assert stack(ac.randn(2, 3)).shape == (2, 1)
    with pytest.raises(TypeError, match="Module"):
        stack.blocks.append(3)


def test_state_dict_holds_copies_with_dotted_names():
    net = Net()
    state = net.state_dict()
    assert list(state) == ["running", "lin1.w", "lin1.b", "lin2.w", "lin2.b"]
    assert net.get_state_dict().keys() == state.keys()
    state["lin1.w"][...] = 7
    assert not (net.lin1.w.data == 7).any()


def test_state_dict_round_trip_through_a_file_is_bit_exact(tmp_path):
    net = Net()
    net.running.data[...] = ac.randn(3).data
    path = tmp_path / "net.npz"
    save(net.state_dict(), path)
    fresh = Net()
    fresh.load_state_dict(load(path))
    for (name, a), (_, b) in zip(net.state_dict().items(), fresh.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    x = ac.randn(5, 4)
    np.testing.assert_array_equal(net(x).data, fresh(x).data)


def test_load_state_dict_reports_every_problem_and_changes_nothing():
    net = Net()
    before = net.state_dict()
    bad = net.state_dict()
    del bad["lin1.b"]  # missing
    bad["lin9.w"] = np.zeros(2, np.float32)  # unexpected
    bad["lin1.w"] = np.zeros((4, 5), np.float32)  # wrong shape
    bad["lin2.b"] = bad["lin2.b"].astype(np.float64)  # wrong dtype
    bad["lin2.w"] = bad["lin2.w"] + 1  # fine on its own, must not be applied
    with pytest.raises(ValueError) as info:
        net.load_state_dict(bad)
    message = str(info.value)
    for fragment in (
        "4 problems",
        "missing key 'lin1.b'",
        "unexpected key 'lin9.w'",
        "'lin1.w': shape mismatch",
        "(4, 5)",
        "'lin2.b': dtype mismatch",
        "float64",
        "nothing was changed",
    ):
        assert fragment in message
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_load_state_dict_non_strict_ignores_missing_and_unexpected():
    net = Net()
    partial = {"lin1.w": np.ones((5, 4), np.float32), "other": np.zeros(1)}
    net.load_state_dict(partial, strict=False)
    np.testing.assert_array_equal(net.lin1.w.data, 1)


def test_load_state_dict_accepts_tensors_and_copies():
    net = Net()
    source = ac.ones(5, 4)
    state = net.state_dict()
    state["lin1.w"] = source
    net.load_state_dict(state)
    source.data[...] = 3
    np.testing.assert_array_equal(net.lin1.w.data, 1)


def test_to_cpu_keeps_objects():
    net = Net()
    weight = net.lin1.w
    assert net.to("cpu") is net and net.lin1.w is weight and net.lin1.w.device == "cpu"


@pytest.mark.cuda
def test_to_cuda_moves_parameters_buffers_and_grads():
    net = Net()
    net(ac.randn(2, 4)).sum().backward()
    weight = net.lin1.w
    net.to("cuda")
    assert net.lin1.w is weight
    assert all(t.device == "cuda:0" for t in (*net.parameters(), *net.buffers()))
    assert all(type(p.grad) is not np.ndarray for p in net.parameters())
    y = net(ac.randn(2, 4, device="cuda"))
    assert y.device == "cuda:0"
    cpu_state = Net().state_dict()
    net.load_state_dict(cpu_state)  # host arrays are copied onto the GPU
    assert net.lin1.w.device == "cuda:0"
    net.cpu()
    np.testing.assert_array_equal(net.lin1.w.data, cpu_state["lin1.w"])


def test_deepcopy_and_pickle_keep_parameter_and_buffer_types():
    import copy
    import pickle

    net = Net()
    net(ac.randn(2, 4)).sum().backward()
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert isinstance(clone.lin1.w, Parameter) and isinstance(clone.running, Buffer)
        assert clone.lin1.w is not net.lin1.w and clone.lin1.w.label == "Weights"
        assert clone.lin1.w.req_grad and not clone.running.req_grad
        np.testing.assert_array_equal(clone.lin1.w.grad, net.lin1.w.grad)
        x = ac.randn(3, 4)
        np.testing.assert_array_equal(clone(x).data, net(x).data)
        clone.lin1.w.data += 1
        assert not np.array_equal(clone.lin1.w.data, net.lin1.w.data)
