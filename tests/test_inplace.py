"""In-place ops and indexed assignment: values and gradients against PyTorch, version counters."""

import numpy as np
import pytest

import autocompyute as ac
from autocompyute.testing import assert_program_matches_torch, gradcheck, torch_or_skip

torch = torch_or_skip()

check = assert_program_matches_torch


def _data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ---------------------------------------------------------------- indexed assignment


def _setitem_int(lib, x, v):
    h = x * 2
    h[1] = v[0, 0]
    return h


def _setitem_slice_broadcast(lib, x, v):
    h = x * 1
    h[:, 1:3] = v[0, :2]  # a row broadcast over the rows
    return h


def _setitem_index_tensor(lib, x, v):
    h = x.exp()
    h = h * 1
    h[lib.tensor([0, 2])] = v[:2]
    return h


def _setitem_mask(lib, x, v):
    h = x * 3
    h[x > 0] = 0.5
    return h + v.sum()


def _setitem_mask_tensor_value(lib, x, v):
    h = x * 3
    h[x < 0] = v[0, 0]
    return h


def _setitem_into_constant(lib, x, v):
    out = lib.zeros(4, 3, dtype=x.dtype)
    out[1:3] = x[:2] * v[0]
    out[0, 0] = 7
    return out


@pytest.mark.parametrize(
    "program",
    [
        _setitem_int,
        _setitem_slice_broadcast,
        _setitem_index_tensor,
        _setitem_mask,
        _setitem_mask_tensor_value,
        _setitem_into_constant,
    ],
)
def test_setitem_matches_torch(program):
    check(program, _data(4, 3), _data(3, 3, seed=1))


def test_setitem_gradcheck():
    x = ac.tensor(_data(4, 3), dtype="float64", req_grad=True)
    v = ac.tensor(_data(3), dtype="float64", req_grad=True)

    def program(x, v):
        h = x * 1
        h[1:3] = v * v
        h[x > 1] = v[0]
        return h

    gradcheck(program, [x, v])


def test_setitem_value_with_extra_leading_dims():
    check(lambda lib, x, v: _assign(x * 1, 0, v[:1]), _data(4, 3), _data(3, 3, seed=1))


def _assign(h, key, value):
    h[key] = value
    return h


def test_setitem_without_grad_writes_directly_and_casts():
    x = ac.zeros(2, 3, dtype="int64")
    x[0] = 2.7  # cast to the tensor's dtype, as in PyTorch
    x[1, [0, 2]] = ac.tensor([5, 6])
    assert x.tolist() == [[2, 2, 2], [5, 0, 6]]
    assert x.is_leaf and not x.req_grad and x._version == 2


# ---------------------------------------------------------------- masked_fill


def test_masked_fill_matches_torch():
    def program(lib, x, v):
        mask = lib.tensor([[True, False, True]])
        return x.masked_fill(mask, -1.5) + x.masked_fill(~mask, float("-inf")).exp()

    check(program, _data(4, 3), _data(1))


def test_masked_fill_broadcasts_to_the_mask_and_takes_a_tensor_value():
    def program(lib, x, v):
        mask = lib.tensor([[True], [False]]) & lib.tensor([True, False, True])
        return x[0].masked_fill(mask, v[0])

    check(program, _data(4, 3), _data(2))


def test_masked_fill_inplace_matches_torch():
    def program(lib, x, v):
        h = x @ x.transpose(0, 1)
        h.masked_fill_(
            lib.ones(4, 4, dtype=lib.bool).triu(1) if lib is torch else ac.ones(4, 4).triu(1) > 0,
            float("-inf"),
        )
        return h.softmax(-1) if lib is torch else _softmax(h)

    check(program, _data(4, 3), _data(1))


def _softmax(h):
    e = (h - h.amax(-1, keepdims=True)).exp()
    return e / e.sum(-1, keepdims=True)


def test_masked_fill_errors():
    x = ac.zeros(2, 3)
    with pytest.raises(TypeError, match="masked_fill: the mask must be a bool tensor, got dtype"):
        x.masked_fill(ac.ones(2, 3), 0.0)
    with pytest.raises(RuntimeError, match="masked_fill: the mask of shape \\(4,\\) does not"):
        x.masked_fill(ac.ones(4) > 0, 0.0)
    with pytest.raises(RuntimeError, match="masked_fill_: the mask of shape \\(2, 2, 3\\) would"):
        x.masked_fill_(ac.ones(2, 2, 3) > 0, 0.0)
    with pytest.raises(RuntimeError, match="must be a number or a 0-d tensor, got a tensor of"):
        x.masked_fill(x > 0, ac.ones(2))


# ---------------------------------------------------------------- fill_, zero_, copy_


def test_fill_zero_copy_match_torch():
    def program(lib, x, v):
        a = x * 2
        a[0].zero_() if lib is torch else _assign(a, 0, 0.0)
        b = x * 1
        b.fill_(v[0])
        c = x * 1
        c.copy_(v[:3])  # broadcast over the rows
        d = (x * 1).zero_() + (x * 1).fill_(2.5)
        return a + b * c + d

    check(program, _data(4, 3), _data(3))


def test_fill_copy_without_grad():
    x = ac.zeros(2, 2)
    assert x.fill_(3).tolist() == [[3, 3], [3, 3]]
    assert x.zero_().tolist() == [[0, 0], [0, 0]]
    x.copy_(ac.tensor([1, 2]))  # integer source, cast and broadcast
    assert x.tolist() == [[1, 2], [1, 2]] and x.dtype == ac.float32
    x.copy_([[5.0, 6.0], [7.0, 8.0]])
    assert x.tolist() == [[5, 6], [7, 8]]
    assert x._version == 4


def test_copy_and_fill_errors():
    x = ac.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"copy_: the source of shape \(4,\) cannot be"):
        x.copy_(ac.zeros(4))
    with pytest.raises(RuntimeError, match="fill_: the value must be a number or a 0-d tensor"):
        x.fill_(ac.zeros(3))
    with pytest.raises(TypeError, match="fill_: the value must be a number"):
        x.fill_("one")


# ---------------------------------------------------------------- arithmetic in place


def test_arithmetic_inplace_matches_torch():
    def program(lib, x, v):
        h = x * 1
        early = h * 3 + v  # consumed before the in-place ops: keeps the old history
        h.add_(v, alpha=2)
        h.sub_(0.5)
        h.mul_(v)
        h.div_(v * v + 1)
        h.clamp_(-0.8, 0.9)
        g = x.abs() + 1
        g.pow_(1.5)
        g.sqrt_()
        g = g + (x * x + 1).log_()
        k = (x * 1).tanh_() + (x * 1).sigmoid_() + (x * 1).neg_() + (x * 1).relu_()
        k.exp_()
        return early + h + g + k

    check(program, _data(4, 3), _data(3, seed=2))


def test_augmented_assignment_is_in_place():
    def program(lib, x, v):
        h = x * 1
        alias = h
        h += v
        h -= 1
        h *= v
        h /= 2
        assert alias is h
        return alias

    check(program, _data(4, 3), _data(3, seed=2))


def test_inplace_gradcheck_with_earlier_consumers():
    x = ac.tensor(_data(3, 2), dtype="float64", req_grad=True)
    w = ac.tensor(_data(2, seed=3), dtype="float64", req_grad=True)

    def program(x, w):
        h = x * 1
        before = h * 2 + w
        h.mul_(w)
        h.add_(before)
        h[0] = w
        return h + before

    gradcheck(program, [x, w])


def test_inplace_result_dtype_and_shape_errors():
    x = ac.zeros(3, dtype="int64")
    with pytest.raises(RuntimeError, match="div_: the result has dtype float32, which cannot"):
        x.div_(2)
    with pytest.raises(RuntimeError, match=r"add_: the result has shape \(2, 3\), but an in-place"):
        ac.zeros(3).add_(ac.zeros(2, 3))
    expanded = ac.zeros(1, 3).expand(2, 3)
    with pytest.raises(RuntimeError, match="add_: the tensor's memory is read-only"):
        expanded.add_(1)


# ---------------------------------------------------------------- autograd rules


def test_inplace_on_leaf_requiring_grad_raises_outside_no_grad():
    w = ac.ones(3, req_grad=True)
    for action in (
        lambda: w.add_(1),
        lambda: w.zero_(),
        lambda: w.__setitem__(0, 2.0),
        lambda: w.masked_fill_(w > 0, 0.0),
        lambda: w.copy_(ac.zeros(3)),
    ):
        with pytest.raises(RuntimeError, match="a leaf tensor that requires grad cannot be"):
            action()
    with ac.no_grad():
        w.mul_(3)
        w[0] = 0.0
    assert w.tolist() == [0, 3, 3] and w.is_leaf and w.req_grad


def test_inplace_on_view_of_graph_tensor_raises():
    x = ac.ones(3, 2, req_grad=True)
    h = x * 2
    with pytest.raises(RuntimeError, match=r"add_: the tensor is a view \(made by Index\)"):
        h[0].add_(1)
    with pytest.raises(RuntimeError, match=r"mul_: the tensor is a view \(made by Reshape\)"):
        x.view(6).mul_(2)


def test_backward_after_saved_array_modified_raises_naming_op():
    x = ac.tensor([1.0, 2.0], req_grad=True)
    y = x.exp()  # Exp saves its output
    y.add_(1)
    with pytest.raises(
        RuntimeError,
        match=r"Exp.backward: .*saved array 0, float32 of shape "
        r"\(2,\)\) was modified by an in-place operation",
    ):
        y.sum().backward()
    # PyTorch raises too
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    u = t.exp()
    u.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        u.sum().backward()


def test_modification_through_a_view_is_caught():
    x = ac.tensor([1.0, 2.0, 3.0], req_grad=True)
    y = x.tanh()
    with ac.no_grad():
        y.detach()[1:].mul_(2)  # same memory as y
    with pytest.raises(RuntimeError, match=r"TanhOp\.backward"):
        y.sum().backward()


def test_optimizer_style_update_after_backward_is_fine():
    w = ac.tensor([1.0, 2.0], req_grad=True)
    for _ in range(2):
        loss = (w * w).sum()
        loss.backward()
        with ac.no_grad():
            w.sub_(ac.tensor(w.grad), alpha=0.1)
        w.grad = None
    np.testing.assert_allclose(w.as_numpy(), [0.64, 1.28], rtol=1e-6)


def test_modifying_a_saved_leaf_before_backward_raises():
    w = ac.tensor([1.0, 2.0], req_grad=True)
    loss = (w * w).sum()
    with ac.no_grad():
        w.add_(1)
    with pytest.raises(RuntimeError, match=r"Mul\.backward"):
        loss.backward()


# ---------------------------------------------------------------- version counters


def test_version_counter_counts_and_is_shared_by_views():
    x = ac.zeros(4)
    assert x._version == 0
    view = x[1:3]
    detached = x.detach()
    x.add_(1)
    assert x._version == view._version == detached._version == 1
    view.mul_(2)
    x[0] = 5.0
    assert x._version == 3 and detached._version == 3
    assert x.tolist() == [5, 2, 2, 1]
    assert (x + 1)._version == 0


def test_detach_and_requires_grad_inplace():
    x = ac.ones(2, req_grad=True)
    h = x * 2
    assert h.detach_() is h and h.is_leaf and not h.req_grad
    y = ac.zeros(2)
    assert y.requires_grad_() is y and y.req_grad
    assert y.requires_grad_(False) is y and not y.req_grad
    with pytest.raises(TypeError, match="only floating point tensors can require gradients"):
        ac.zeros(2, dtype="int64").requires_grad_()


def test_setitem_errors_name_setitem():
    x = ac.zeros(2, 3)
    with pytest.raises(IndexError, match="setitem: index 5 is out of range for dim 1"):
        x[0, 5] = 1.0
    with pytest.raises(IndexError, match="setitem: too many indices"):
        x[0, 0, 0] = 1.0
    with pytest.raises(RuntimeError, match=r"setitem: a value of shape \(2,\) cannot be assigned"):
        x[0] = ac.zeros(2)
    with pytest.raises(RuntimeError, match=r"setitem: a value of shape \(2,\) cannot be assigned"):
        (x * ac.ones(3, req_grad=True))[0] = ac.zeros(2)


def test_bitwise_operators_on_masks():
    a, b = ac.tensor([True, True, False]), ac.tensor([True, False, False])
    assert (~a).tolist() == [False, False, True]
    assert (a & b).tolist() == [True, False, False] and (a | b).tolist() == [True, True, False]
    assert (a ^ b).tolist() == [False, True, False] and (a & True).tolist() == a.tolist()
    assert (ac.tensor([6, 3]) & ac.tensor([3, 3])).tolist() == [2, 3]
    with pytest.raises(TypeError, match="operator ~: needs bool or integer tensors, got dtype"):
        ~ac.zeros(2)
    with pytest.raises(TypeError, match="operator &: needs bool or integer tensors, got float"):
        a & 1.5
