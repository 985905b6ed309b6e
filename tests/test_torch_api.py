"""PyTorch's tensor API: functions, methods, factories, dtypes, devices and grad modes."""

import numpy as np
import pytest

import autocompyute as ac
from autocompyute.testing import assert_program_matches_torch, gradcheck, torch_or_skip

torch = torch_or_skip()

check = assert_program_matches_torch


def _data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ---------------------------------------------------------------- sorting and selection


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_matches_torch(dim, descending):
    check(lambda lib, x: x.sort(dim, descending=descending).values, _data(4, 5))
    check(lambda lib, x: lib.sort(x, dim=dim, descending=descending)[0], _data(4, 5))
    x = ac.tensor(_data(4, 5))
    t = torch.tensor(_data(4, 5))
    assert x.sort(dim, descending).indices.tolist() == t.sort(dim, descending).indices.tolist()
    assert x.argsort(dim, descending).tolist() == t.argsort(dim, descending).tolist()
    assert ac.argsort(x, dim=dim).dtype == ac.long


@pytest.mark.parametrize("largest", [True, False])
def test_topk_matches_torch(largest):
    check(lambda lib, x: x.topk(3, largest=largest).values, _data(4, 6))
    check(lambda lib, x: lib.topk(x, 2, dim=0, largest=largest)[0], _data(4, 6))
    _, indices = ac.tensor(_data(4, 6)).topk(3, dim=1, largest=largest)
    expected = torch.tensor(_data(4, 6)).topk(3, dim=1, largest=largest)
    assert indices.tolist() == expected.indices.tolist() and indices.dtype == ac.int64


def test_gather_and_index_select_match_torch():
    index = np.array([[0, 2, 2], [1, 1, 0]])
    check(lambda lib, x: x.gather(1, lib.tensor(index)), _data(2, 4))
    check(lambda lib, x: lib.gather(x, 0, lib.tensor(index[:, :2] % 2)), _data(2, 4))
    check(lambda lib, x: x.index_select(1, lib.tensor([3, 0, 3])), _data(2, 4))
    x = ac.tensor(_data(2, 4), dtype="float64", requires_grad=True)
    gradcheck(lambda t: t.gather(1, ac.tensor(index)) * t.sort(1).values[:, :3], [x])


def test_selection_errors():
    x = ac.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"topk: k \(4\) is out of range for dim 1 with size 3"):
        x.topk(4)
    with pytest.raises(TypeError, match="gather: index must be an integer tensor"):
        x.gather(1, ac.zeros(2, 3))
    with pytest.raises(RuntimeError, match="gather: index has 1 dims, the input 2"):
        x.gather(1, ac.tensor([0]))
    with pytest.raises(IndexError, match="gather: index 3 is out of range for dim 1 with size 3"):
        x.gather(1, ac.tensor([[3]]))
    with pytest.raises(RuntimeError, match=r"gather: index of shape \(3, 1\) is larger"):
        x.gather(1, ac.tensor([[0], [0], [0]]))
    with pytest.raises(IndexError, match=r"^sort: dim 2 is out of range"):
        x.sort(2)
    with pytest.raises(TypeError, match="index_select: index must be a 1-D integer tensor"):
        x.index_select(0, ac.tensor([[0]]))


def test_max_min_along_a_dim_return_values_and_indices():
    check(lambda lib, x: x.max(1, keepdim=True).values + x.min(dim=0).values, _data(3, 4))
    check(lambda lib, x: lib.max(x, 1, keepdim=True)[0] * lib.max(x), _data(3, 4))
    check(lambda lib, x: lib.max(x, x.flip(0) if lib is torch else x[::-1]), _data(3, 4))
    _, indices = ac.tensor(_data(3, 4)).max(dim=1)
    assert indices.tolist() == torch.tensor(_data(3, 4)).max(dim=1).indices.tolist()
    with pytest.raises(TypeError, match=r"take \.values"):
        ac.zeros(2, 3) - ac.zeros(2, 3).max(1)


def test_reductions_take_keepdim_and_correction():
    check(lambda lib, x: x.sum(1, keepdim=True) + x.mean(dim=0) * x.amax(), _data(3, 4))
    check(lambda lib, x: x.var(1, unbiased=False) + x.std(dim=0).sum(), _data(3, 4))
    check(lambda lib, x: lib.var(x, 0, correction=0) + x.logsumexp(0), _data(3, 4))
    check(lambda lib, x: x.var(1, False) + x.std(1, True), _data(3, 4))  # positional unbiased
    assert ac.tensor([1, 2]).sum().dtype == ac.int64 == torch.tensor([1, 2]).sum().numpy().dtype
    assert ac.tensor([True, True]).sum().item() == 2
    assert ac.tensor([1.0, 2.0]).sum(dtype=ac.float64).dtype == ac.float64
    with pytest.raises(TypeError, match="var: give only one of ddof, correction and unbiased"):
        ac.zeros(3).var(ddof=1, correction=0)


# ---------------------------------------------------------------- scans and roll


def test_cumsum_cumprod_match_torch():
    check(lambda lib, x: x.cumsum(1) + lib.cumsum(x, dim=0), _data(3, 4))
    check(lambda lib, x: x.cumprod(1) + lib.cumprod(x, 0), _data(3, 4))
    with_zeros = _data(3, 5)
    with_zeros[1, 2] = with_zeros[2, 0] = with_zeros[2, 3] = 0
    check(lambda lib, x: x.cumprod(1), with_zeros)
    x = ac.tensor(with_zeros, dtype="float64", requires_grad=True)
    gradcheck(lambda t: t.cumprod(1) + t.cumsum(0), [x])
    assert ac.tensor([1, 2, 3], dtype="int32").cumsum(0).dtype == ac.int64
    assert ac.tensor(2.0).cumsum(0).tolist() == 2.0
    with pytest.raises(IndexError, match="cumsum: dim 2 is out of range"):
        ac.zeros(2, 2).cumsum(2)


def test_roll_matches_torch():
    check(lambda lib, x: x.roll(1, 0) + lib.roll(x, (-1, 2), (0, 1)) + x.roll(5), _data(3, 4))
    with pytest.raises(RuntimeError, match="roll: got 2 shifts for 1 dims"):
        ac.zeros(3).roll((1, 2), 0)
    with pytest.raises(RuntimeError, match="roll: with dims=None, shifts must be one int"):
        ac.zeros(3).roll((1, 2))


# ---------------------------------------------------------------- multinomial and seeding


def test_multinomial_is_seeded_and_follows_the_weights():
    weights = ac.tensor([[0.0, 1.0, 3.0], [5.0, 0.0, 0.0]])
    ac.manual_seed(3)
    first = ac.multinomial(weights, 4, replacement=True)
    ac.manual_seed(3)
    assert (weights.multinomial(4, replacement=True) == first).all()
    assert first.dtype == ac.long and first.shape == (2, 4)
    assert first[1].tolist() == [0, 0, 0, 0] and 0 not in first[0].tolist()
    draws = ac.multinomial(ac.tensor([1.0, 3.0]), 4000, replacement=True)
    assert abs(draws.float().mean().item() - 0.75) < 0.03
    no_repeat = ac.multinomial(ac.tensor([1.0, 1.0, 1.0, 1e-3]), 4)
    assert sorted(no_repeat.tolist()) == [0, 1, 2, 3]
    g = ac.Generator().manual_seed(7)
    a = ac.multinomial(ac.ones(10), 5, generator=g)
    b = ac.multinomial(ac.ones(10), 5, generator=ac.Generator().manual_seed(7))
    assert a.tolist() == b.tolist() and g.initial_seed() == 7


def test_multinomial_errors():
    with pytest.raises(RuntimeError, match="cannot draw 3 samples without replacement"):
        ac.multinomial(ac.tensor([1.0, 0.0, 1.0]), 3)
    with pytest.raises(RuntimeError, match="weights must be finite and non-negative"):
        ac.multinomial(ac.tensor([1.0, -1.0]), 1)
    with pytest.raises(RuntimeError, match="every row of weights must have a positive sum"):
        ac.multinomial(ac.zeros(2, 3), 1)
    with pytest.raises(RuntimeError, match="must have 1 or 2 dims"):
        ac.multinomial(ac.ones(2, 2, 2), 1)
    with pytest.raises(RuntimeError, match="num_samples must be a positive int"):
        ac.multinomial(ac.ones(2), 0)
    with pytest.raises(TypeError, match="multinomial: x must be a float tensor"):
        ac.multinomial(ac.ones(2, dtype="int64"), 1)
    with pytest.raises(TypeError, match="manual_seed: the seed must be an int"):
        ac.manual_seed(1.5)


def test_generators_seed_the_factories():
    g1, g2 = ac.Generator().manual_seed(1), ac.Generator().manual_seed(1)
    assert (ac.randn(3, generator=g1) == ac.randn(3, generator=g2)).all()
    assert (ac.rand(2, generator=g1) == ac.rand(2, generator=g2)).all()
    assert (ac.randint(5, (4,), generator=g1) == ac.randint(0, 5, (4,), generator=g2)).all()
    assert (ac.randperm(6, generator=g1) == ac.randperm(6, generator=g2)).all()
    with pytest.raises(TypeError, match="generator must be an autocompyute Generator"):
        ac.randn(2, generator=np.random.default_rng())


# ---------------------------------------------------------------- factories


def test_factories_take_torch_signatures():
    pairs = [
        (ac.zeros(2, 3, dtype=ac.long), torch.zeros(2, 3, dtype=torch.long)),
        (ac.ones((2,), requires_grad=True), torch.ones((2,), requires_grad=True)),
        (ac.full((2, 2), 7), torch.full((2, 2), 7)),
        (ac.full((2,), 1.5), torch.full((2,), 1.5)),
        (ac.full((2,), True), torch.full((2,), True)),
        (ac.arange(5), torch.arange(5)),
        (ac.arange(1, 2, 0.25), torch.arange(1, 2, 0.25)),
        (ac.arange(0, 1, 0.1), torch.arange(0, 1, 0.1)),
        (ac.arange(2, end=6, step=2), torch.arange(2, end=6, step=2)),
        (ac.linspace(-1, 1, 5), torch.linspace(-1, 1, 5)),
        (ac.eye(2, 3), torch.eye(2, 3)),
        (ac.eye(3, dtype=ac.float64), torch.eye(3, dtype=torch.float64)),
        (ac.tensor([1, 2], dtype=ac.float), torch.tensor([1, 2], dtype=torch.float)),
        (ac.zeros_like(ac.ones(2, dtype=ac.int)), torch.zeros_like(torch.ones(2, dtype=torch.int))),
        (ac.full_like(ac.ones(2), 3.0), torch.full_like(torch.ones(2), 3.0)),
        (
            ac.ones_like(ac.ones(2), dtype=ac.double),
            torch.ones_like(torch.ones(2), dtype=torch.double),
        ),
    ]
    for ours, theirs in pairs:
        assert ours.dtype == theirs.numpy(force=True).dtype, (ours, theirs)
        assert ours.shape == tuple(theirs.shape)
        assert ours.requires_grad == theirs.requires_grad
        np.testing.assert_allclose(ours.as_numpy(), theirs.numpy(force=True), rtol=1e-6)
    for ours, size, dtype in [
        (ac.empty(2, 3), (2, 3), ac.float32),
        (ac.empty_like(ac.ones(4, dtype=ac.long)), (4,), ac.long),
        (ac.rand(3, 2), (3, 2), ac.float32),
        (ac.rand_like(ac.ones(2, dtype=ac.double)), (2,), ac.float64),
        (ac.randn(2, 2, dtype=ac.float64), (2, 2), ac.float64),
        (ac.randint(3, 9, (5,)), (5,), ac.int64),
        (ac.randint(4, size=(2, 2)), (2, 2), ac.int64),
        (ac.randint_like(ac.ones(3), 10), (3,), ac.float32),
        (ac.randperm(5), (5,), ac.int64),
    ]:
        assert ours.shape == size and ours.dtype == dtype
    assert ((ac.rand(1000) >= 0) & (ac.rand(1000) < 1)).all()
    assert ac.randn(3, requires_grad=True).requires_grad
    array = np.arange(3.0)
    shared = ac.from_numpy(array)
    array[0] = 5
    assert shared.tolist() == [5.0, 1.0, 2.0] and shared.dtype == ac.float64


def test_factory_errors():
    with pytest.raises(TypeError, match=r"full: missing the fill value"):
        ac.full(2, 3)
    with pytest.raises(TypeError, match="randint: expected randint"):
        ac.randint(5)
    with pytest.raises(ValueError, match="linspace: steps must be a non-negative int"):
        ac.linspace(0, 1, -1)
    with pytest.raises(ValueError, match="eye: invalid shape"):
        ac.eye(-1)
    with pytest.raises(TypeError, match=r"from_numpy: expected a numpy\.ndarray"):
        ac.from_numpy([1, 2])


def test_new_tensors_take_dtype_and_device_of_self():
    x = ac.ones(2, dtype=ac.float64)
    t = torch.ones(2, dtype=torch.float64)
    for ours, theirs in [
        (x.new_zeros(2, 3), t.new_zeros(2, 3)),
        (x.new_ones((3,)), t.new_ones((3,))),
        (x.new_full((2,), 4), t.new_full((2,), 4)),
        (x.new_tensor([1, 2]), t.new_tensor([1, 2])),
        (x.new_zeros(2, dtype=ac.long), t.new_zeros(2, dtype=torch.long)),
        (x.new_empty(4), t.new_empty(4)),
    ]:
        assert ours.dtype == theirs.numpy().dtype and ours.shape == tuple(theirs.shape)
        if ours.shape != (4,):
            assert ours.tolist() == theirs.tolist()
    assert x.new_ones(2, requires_grad=True).requires_grad
    source = ac.zeros(2)
    copy = source.new_tensor(source)
    copy[0] = 1.0
    assert source.tolist() == [0.0, 0.0]


# ---------------------------------------------------------------- tensor methods


def test_shape_queries_follow_torch():
    x, t = ac.zeros(2, 3, 4), torch.zeros(2, 3, 4)
    assert x.size() == tuple(t.size()) and x.size(1) == t.size(1) and x.size(-1) == 4
    assert x.numel() == t.numel() == ac.numel(x) and x.dim() == t.dim() == x.ndim
    assert x.shape == (2, 3, 4) and isinstance(x.shape, tuple) and len(x) == 2
    assert ac.tensor(3.5).item() == 3.5 and ac.tensor([[7]]).item() == 7
    with pytest.raises(IndexError, match="size: dim 3 is out of range"):
        x.size(3)


def test_casts_and_to():
    x = ac.tensor([1.7, -2.2], requires_grad=True)
    t = torch.tensor([1.7, -2.2])
    for name in ["float", "double", "half", "long", "int", "bool"]:
        ours, theirs = getattr(x, name)(), getattr(t, name)()
        assert ours.dtype == theirs.numpy().dtype and ours.tolist() == theirs.tolist()
    assert x.to(ac.float64).dtype == ac.float64 and x.to("cpu") is x
    assert x.to("cpu", ac.int64).tolist() == [1, -2]
    assert x.to(dtype=ac.double).requires_grad
    assert x.to(ac.zeros(1, dtype=ac.float16)).dtype == ac.float16
    assert x.type_as(ac.zeros(1, dtype=ac.long)).dtype == ac.long
    copy = x.detach().to(copy=True)
    copy[0] = 0.0
    assert x.tolist()[0] == pytest.approx(1.7)
    assert x.to(device=ac.device("cpu")) is x
    y = x.double() * 2
    y.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [2.0, 2.0]


def test_dtype_and_device_aliases():
    assert ac.float is ac.float32 and ac.double is ac.float64 and ac.half is ac.float16
    assert ac.long is ac.int64 and ac.int is ac.int32 and ac.bool == np.bool_
    assert ac.short is ac.int16
    assert ac.device("cpu") == "cpu" and str(ac.zeros(1).device) == "cpu"
    assert ac.zeros(1, dtype=ac.bool).dtype == ac.bool


def test_movement_and_copy_methods_match_torch():
    check(lambda lib, x: x.clone() * 2 + lib.clone(x).t(), _data(3, 3))
    check(lambda lib, x: lib.cat([x, x * 2], dim=1) + lib.concat([x, x], 1), _data(2, 2))
    check(
        lambda lib, x: x.chunk(2, 1)[1] * lib.chunk(x, 3, 1)[0] + x.unbind(1)[0][:, None],
        _data(2, 3),
    )
    check(
        lambda lib, x: x.view_as(x.t()) + x.reshape_as(x.t()) + x[0:1].expand_as(x).t(), _data(2, 2)
    )


def test_module_level_functions_match_torch():
    check(
        lambda lib, x, y: (
            lib.tanh(x)
            + lib.exp(x) * lib.sigmoid(y)
            + lib.log(lib.abs(x) + 1)
            + lib.sin(x) * lib.cos(y)
            + lib.sqrt(lib.pow(x, 2) + 1)
            + lib.relu(y)
            + lib.clamp(x, -0.5, 0.5)
            + lib.maximum(x, y)
            - lib.minimum(x, y)
        ),
        _data(3, 3),
        _data(3, 3, seed=1),
    )
    check(
        lambda lib, x, y: (
            lib.matmul(x, y)
            + lib.mm(x, y).t()
            + lib.tril(x)
            + lib.triu(y, 1)
            + lib.where(x > 0, x, y)
            + lib.add(x, y, alpha=2)
            - lib.sub(x, y) * lib.mul(x, 2)
            + lib.div(x, 3)
        ),
        _data(3, 3),
        _data(3, 3, seed=1),
    )
    check(
        lambda lib, x: (
            lib.softmax(x, dim=-1)
            + lib.log_softmax(x, 1)
            + lib.flatten(lib.reshape(x, (3, 1, 3)), 1)
            + lib.transpose(x, 0, 1)
            + lib.permute(x, (1, 0))
            + lib.squeeze(lib.unsqueeze(x, 0), 0)
            + lib.stack([x, x]).sum(0)
            + lib.sum(x, 1, keepdim=True)
            + lib.mean(x)
            + lib.amax(x, 0)
            + lib.logsumexp(x, 1)
        ),
        _data(3, 3),
    )
    check(lambda lib, x: lib.bmm(x.reshape(1, 3, 3), x.reshape(1, 3, 3))[0], _data(3, 3))
    x, t = ac.tensor(_data(3, 4)), torch.tensor(_data(3, 4))
    assert ac.argmax(x, 1).tolist() == torch.argmax(t, 1).tolist()
    assert ac.argmin(x).item() == torch.argmin(t).item()
    assert ac.allclose(x, x + 1e-9) and not ac.allclose(x, x + 1) and x.allclose(x)
    assert ac.equal(x, x) and not ac.equal(x, x[:2]) and x.equal(x)
    assert ac.isclose(x, x).all().item() and not ac.isnan(x).any() and ac.isfinite(x).all()
    assert ac.isinf(ac.tensor([float("inf"), 0.0])).tolist() == [True, False]
    assert ac.is_tensor(x) and not ac.is_tensor(x.data)
    assert ac.any(x > 2).item() == bool(torch.any(t > 2)) and ac.all(x > -10).item()
    assert (x > 0).any(dim=1).tolist() == (t > 0).any(dim=1).tolist()
    with pytest.raises(RuntimeError, match="bmm: expected 3-D tensors"):
        ac.bmm(x, x)
    with pytest.raises(RuntimeError, match="mm: expected 2-D tensors"):
        ac.mm(x[0], x)


# ---------------------------------------------------------------- grad modes


def test_grad_modes_as_context_managers_and_decorators():
    x = ac.ones(2, requires_grad=True)
    with ac.no_grad():
        assert not ac.is_grad_enabled() and not (x * 2).requires_grad
        with ac.enable_grad():
            assert (x * 2).requires_grad
    with ac.inference_mode():
        assert not (x * 2).requires_grad and ac.is_inference_mode_enabled()
    with ac.inference_mode(False):
        assert (x * 2).requires_grad
    with ac.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ac.is_grad_enabled()

    @ac.no_grad()
    def without():
        return x * 2

    @ac.no_grad
    def bare():
        return x * 2

    @ac.set_grad_enabled(False)
    def disabled():
        return x * 2

    @ac.inference_mode()
    def inferred():
        return x * 2

    @ac.enable_grad()
    def enabled():
        return x * 2

    assert ac.is_grad_enabled()  # decorating with set_grad_enabled(False) leaves it on
    assert not without().requires_grad and not bare().requires_grad
    assert not disabled().requires_grad and not inferred().requires_grad
    with ac.no_grad():
        assert enabled().requires_grad
    ac.set_grad_enabled(False)
    try:
        assert not ac.is_grad_enabled()
    finally:
        ac.set_grad_enabled(True)
    assert bare.__name__ == "bare"


def test_random_fills_in_place():
    w = ac.ones(2000, requires_grad=True)
    with pytest.raises(RuntimeError, match="uniform_: a leaf tensor that requires grad"):
        w.uniform_()
    with ac.no_grad():
        w.uniform_(-2.0, 3.0)
    assert w.requires_grad and w.is_leaf and w._version == 1
    assert ((w >= -2) & (w < 3)).all() and abs(w.mean().item() - 0.5) < 0.1
    with ac.no_grad():
        w.normal_(1.0, 0.5)
    assert abs(w.mean().item() - 1.0) < 0.05 and abs(w.std().item() - 0.5) < 0.05
    first = ac.empty(4, dtype=ac.float64).normal_(generator=ac.Generator().manual_seed(5))
    again = ac.empty(4, dtype=ac.float64).normal_(generator=ac.Generator().manual_seed(5))
    assert first.tolist() == again.tolist() and first.dtype == ac.float64
    with pytest.raises(TypeError, match="normal_: needs a float tensor, got dtype int64"):
        ac.zeros(2, dtype=ac.long).normal_()
    with pytest.raises(ValueError, match="uniform_: a must not exceed b"):
        ac.zeros(2).uniform_(1.0, 0.0)
    with pytest.raises(ValueError, match="normal_: std must be non-negative"):
        ac.zeros(2).normal_(0.0, -1.0)
