"""Movement and indexing ops: gradcheck in float64 and PyTorch parity in float32."""

import numpy as np
import pytest

import autocompyute as ac
from autocompyute.ops.joining import concat, stack, where
from autocompyute.testing import gradcheck

try:
    import torch
except ImportError:  # parity checks are skipped, gradchecks still run
    torch = None


def _data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _as_list(output):
    return list(output) if isinstance(output, list | tuple) else [output]


def check(ac_fn, torch_fn, *arrays, rtol=1e-6, atol=1e-7):
    """gradcheck of ac_fn in float64, then forward values and gradients against torch_fn.

    Outputs are weighted by fixed random tensors before summing, so that gradients that a
    plain sum would make all ones (or counts) are really checked. Lists of outputs are allowed.
    """
    shapes = [out.shape for out in _as_list(ac_fn(*[ac.tensor(a) for a in arrays]))]
    weights = [np.random.default_rng(i + 1).standard_normal(s) for i, s in enumerate(shapes)]

    def weighted(fn, wrap, *inputs):
        total = 0
        for out, w in zip(_as_list(fn(*inputs)), weights):
            total = total + (out * wrap(w)).sum()
        return total

    inputs64 = [ac.tensor(a, dtype="float64", req_grad=True) for a in arrays]
    gradcheck(lambda *x: weighted(ac_fn, ac.tensor, *x).view(1), inputs64)
    if torch is None:
        return
    inputs32 = [ac.tensor(a, dtype="float32", req_grad=True) for a in arrays]
    tensors32 = [torch.tensor(a, dtype=torch.float32, requires_grad=True) for a in arrays]
    for got, expected in zip(_as_list(ac_fn(*inputs32)), _as_list(torch_fn(*tensors32))):
        assert got.dtype == ac.float32
        np.testing.assert_allclose(got.as_numpy(), expected.detach().numpy(), rtol, atol)
    weighted(ac_fn, lambda w: ac.tensor(w, dtype="float32"), *inputs32).backward()
    weighted(torch_fn, lambda w: torch.tensor(w, dtype=torch.float32), *tensors32).backward()
    for x, t in zip(inputs32, tensors32):
        expected = np.zeros(t.shape, np.float32) if t.grad is None else t.grad.numpy()
        np.testing.assert_allclose(x.grad, expected, rtol, atol)


def torch_key(key):
    """Translates an autocompyute/NumPy index into the equivalent torch index."""
    if isinstance(key, tuple):
        return tuple(torch_key(k) for k in key)
    if isinstance(key, ac.Tensor):
        return torch.from_numpy(key.as_numpy().copy())
    if isinstance(key, np.ndarray):
        return torch.from_numpy(key.copy())
    if isinstance(key, list):
        return torch.tensor(key) if key else torch.tensor([], dtype=torch.long)
    return key


# ------------------------------------------------------------------------------- squeeze etc.


@pytest.mark.parametrize("dim", [None, 1, -1, (1, 3), (0, 1), 0])
def test_squeeze(dim):
    check(
        lambda x: x.squeeze(dim),
        lambda t: t.squeeze() if dim is None else t.squeeze(dim),
        _data(2, 1, 3, 1),
    )


def test_squeeze_of_a_dim_not_of_size_one_is_a_no_op():
    x = ac.zeros(2, 3)
    assert x.squeeze(0) is x
    assert ac.zeros(1, 1).squeeze().shape == ()
    assert ac.tensor(2.0).squeeze().shape == ()
    assert ac.tensor(2.0).squeeze(0).shape == ()


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_unsqueeze(dim):
    check(lambda x: x.unsqueeze(dim), lambda t: t.unsqueeze(dim), _data(2, 3))


def test_unsqueeze_zero_dim():
    check(lambda x: x.unsqueeze(-1), lambda t: t.unsqueeze(-1), _data())
    assert ac.tensor(1.0).unsqueeze(0).shape == (1,)


@pytest.mark.parametrize("shape", [(3, 4), (2, -1, 4), (5, 3, 1), ((2, 3, 4),), (2, 3, 0)])
def test_expand(shape):
    def torch_fn(t):
        return t.expand(*shape)

    check(lambda x: x.expand(*shape), torch_fn, _data(3, 1))


def test_expand_is_a_view_and_keeps_unchanged_tensors():
    x = ac.randn(3, 1)
    y = x.expand(2, 3, 4)
    assert np.shares_memory(y.data, x.data)
    assert x.expand(3, 1) is x
    assert x.expand(-1, -1) is x


@pytest.mark.parametrize("dims", [(0, -1), (1, 2), (0, 1), (-2, -1), (1, 1)])
def test_flatten(dims):
    check(lambda x: x.flatten(*dims), lambda t: t.flatten(*dims), _data(2, 3, 2))


def test_flatten_zero_dim_and_empty():
    check(lambda x: x.flatten(), lambda t: t.flatten(), _data())
    assert ac.zeros(2, 0, 3).flatten(1).shape == (2, 0)


# ------------------------------------------------------------------------------- getitem

BASIC_KEYS = [
    1,
    -1,
    (1, 2),
    (-2, slice(None), 0),
    slice(1, None),
    (slice(None), slice(None, None, 2)),
    (slice(None, None, 2), slice(1, 3), slice(None, None, 3)),
    (None, 1),
    (Ellipsis, 1),
    (1, Ellipsis),
    (Ellipsis, None, slice(1, 3)),
    (None, Ellipsis, None),
    (slice(None), None, 0, Ellipsis),
    Ellipsis,
    (),
    (slice(5, 1),),
]


@pytest.mark.parametrize("key", BASIC_KEYS, ids=repr)
def test_getitem_basic(key):
    check(lambda x: x[key], lambda t: t[key], _data(3, 4, 3))


def test_getitem_basic_returns_a_view():
    x = ac.randn(3, 4)
    assert np.shares_memory(x[1:, ::2].data, x.data)


@pytest.mark.parametrize(
    "ours, theirs",
    [
        ((slice(None, None, -1),), lambda t: t.flip(0)),
        ((slice(None), slice(None, None, -2)), lambda t: t.flip(1)[:, ::2]),
        ((slice(2, 0, -1), -1), lambda t: t[1:3, -1].flip(0)),
        ((Ellipsis, slice(None, None, -1), None), lambda t: t.flip(1)[..., None]),
    ],
    ids=["reverse", "reverse-step-2", "reverse-range", "reverse-ellipsis-none"],
)
def test_getitem_negative_steps(ours, theirs):
    # torch has no negative steps: compare with flip, which is the same selection.
    check(lambda x: x[ours], theirs, _data(3, 4))


ADVANCED_KEYS = [
    [0, 2, 0, 0],
    np.array([[1, 1], [0, -1]]),
    ac.tensor([2, 2, 1]),
    (slice(None), [1, 1, 3]),
    ([0, 2, 2], [1, 1, 0]),
    ([0, 0], slice(1, 3), [2, 2]),
    (slice(None), [0, 0], [1, 1]),
    (Ellipsis, [2, 0, 2]),
    (None, [1, 1], 1, Ellipsis),
    (1, [3, 3, 0]),
    ([[0], [2]], [1, 1, 2]),
    ([],),
    (ac.tensor(1),),
]


@pytest.mark.parametrize("key", ADVANCED_KEYS, ids=repr)
def test_getitem_advanced(key):
    check(lambda x: x[key], lambda t: t[torch_key(key)], _data(3, 4, 3))


def test_getitem_repeated_indices_accumulate():
    x = ac.tensor([1.0, 2.0, 3.0], req_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])
    y = ac.zeros(2, 3, req_grad=True)
    y[[1, 1], [2, 2]].sum().backward()
    np.testing.assert_array_equal(y.grad, [[0, 0, 0], [0, 0, 2]])


MASK_34 = np.array(
    [[True, False, True, False], [False, False, False, False], [True, True, False, True]]
)


@pytest.mark.parametrize(
    "key",
    [
        MASK_34,
        ac.tensor(MASK_34),
        np.array([True, False, True]),
        (slice(None), np.array([False, True, True, False])),
        (Ellipsis, np.array([True, False, True])),
        (MASK_34, slice(None, None, 2)),
        np.zeros((3, 4), bool),
        (1, np.array([True, True, False, True]), 0),
    ],
    ids=repr,
)
def test_getitem_boolean_masks(key):
    check(lambda x: x[key], lambda t: t[torch_key(key)], _data(3, 4, 3))


def test_getitem_mask_from_comparison():
    x = ac.tensor([[1.0, -2.0], [-3.0, 4.0]], req_grad=True)
    y = x[x > 0]
    np.testing.assert_array_equal(y.as_numpy(), [1.0, 4.0])
    (y * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [[2.0, 0.0], [0.0, 2.0]])


def test_getitem_non_contiguous_input():
    def ours(x):
        view = x.transpose(0, 1)[::2]
        return view[[1, 1, 0], 1:]

    check(ours, lambda t: t.transpose(0, 1)[::2][[1, 1, 0], 1:], _data(3, 4, 2))


def test_getitem_zero_dim_and_empty():
    check(lambda x: x[()], lambda t: t[()], _data())
    check(lambda x: x[None, ...], lambda t: t[None, ...], _data())
    check(lambda x: x[2:2], lambda t: t[2:2], _data(3, 2))
    check(lambda x: x[:, []], lambda t: t[:, torch.tensor([], dtype=torch.long)], _data(3, 2))
    empty = ac.zeros(0, 3, req_grad=True)
    empty[:, 1].sum().backward()
    assert empty.grad.shape == (0, 3)


def test_getitem_integer_and_bool_tensors_pass_through():
    x = ac.arange(6).view(2, 3)
    y = x[:, [2, 0]]
    assert y.dtype == ac.int64 and not y.req_grad
    np.testing.assert_array_equal(y.as_numpy(), [[2, 0], [5, 3]])
    mask = ac.tensor([True, False, True])
    assert mask[[0, 2]].dtype == ac.bool_


# ------------------------------------------------------------------------------- split, iter_dim


@pytest.mark.parametrize(
    "split_size, dim", [(2, 0), (1, 1), (4, -1), ([1, 3], 1), ([0, 5, 0], 0), (10, 0)]
)
def test_split(split_size, dim):
    check(lambda x: x.split(split_size, dim), lambda t: t.split(split_size, dim), _data(5, 4))


def test_split_gradient_with_unused_pieces():
    x = ac.ones(4, 2, req_grad=True)
    first, _, third = x.split([1, 2, 1])
    (first * 3 + third).sum().backward()
    np.testing.assert_array_equal(x.grad, [[3, 3], [0, 0], [0, 0], [1, 1]])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_iter_dim(dim):
    check(lambda x: list(x.iter_dim(dim)), lambda t: list(t.unbind(dim)), _data(2, 3, 2))


def test_iteration_over_a_tensor():
    check(lambda x: list(x), lambda t: list(t), _data(3, 2))


# ------------------------------------------------------------------------------- concat, stack


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_concat(dim):
    shapes = {
        0: [(1, 3), (2, 3), (3, 3)],
        1: [(2, 1), (2, 3), (2, 2)],
        -1: [(2, 2), (2, 1), (2, 3)],
    }[dim]
    arrays = [_data(*s, seed=i) for i, s in enumerate(shapes)]
    check(lambda *x: concat(x, dim), lambda *t: torch.cat(t, dim), *arrays)


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack(dim):
    arrays = [_data(2, 3, seed=i) for i in range(3)]
    check(lambda *x: stack(list(x), dim), lambda *t: torch.stack(t, dim), *arrays)


def test_concat_and_stack_single_empty_and_zero_dim():
    check(lambda x: concat([x]), lambda t: torch.cat([t]), _data(2, 2))
    check(lambda x, y: concat([x, y]), lambda x, y: torch.cat([x, y]), _data(0, 2), _data(2, 2))
    check(lambda x, y: stack([x, y]), lambda x, y: torch.stack([x, y]), _data(), _data())


def test_concat_and_stack_promote_and_accept_array_likes():
    x = ac.ones(2, 2, req_grad=True)
    joined = concat([x, ac.arange(2).view(1, 2), [[5.0, 6.0]]])
    assert joined.dtype == ac.float32 and joined.shape == (4, 2)
    np.testing.assert_array_equal(joined.as_numpy()[2:], [[0, 1], [5, 6]])
    joined.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 2)))
    assert stack([ac.arange(2), ac.arange(2)]).dtype == ac.int64
    half = stack([ac.ones(2, dtype="float16"), ac.ones(2, dtype="float64")])
    assert half.dtype == ac.float64


def test_concat_non_contiguous_inputs():
    def ours(x, y):
        return concat([x.T, y[:, ::2]], dim=1)

    check(ours, lambda x, y: torch.cat([x.T, y[:, ::2]], 1), _data(2, 3), _data(3, 4))


# ------------------------------------------------------------------------------- where


def test_where_tensors_broadcast():
    condition = np.array([[True], [False], [True]])

    def ours(x1, x2):
        return where(ac.tensor(condition), x1, x2)

    def theirs(x1, x2):
        return torch.where(torch.from_numpy(condition), x1, x2)

    check(ours, theirs, _data(3, 4), _data(4, seed=1))


@pytest.mark.parametrize("scalar_first", [True, False])
def test_where_with_scalars(scalar_first):
    condition = np.array([True, False, False, True])

    def ours(x):
        return where(condition, 2.5, x) if scalar_first else where(condition, x, -1)

    def theirs(t):
        mask = torch.from_numpy(condition)
        return torch.where(mask, 2.5, t) if scalar_first else torch.where(mask, t, -1.0)

    check(ours, theirs, _data(4))


def test_where_dtypes():
    condition = ac.tensor([True, False])
    assert where(condition, 1.0, 0.0).dtype == ac.float32
    assert where(condition, 1, 0).dtype == ac.int64
    assert where(condition, ac.arange(2), 0.5).dtype == ac.float32
    assert where(condition, ac.ones(2, dtype="float64"), 1.0).dtype == ac.float64
    assert where(condition, ac.ones(2, dtype="float16"), ac.arange(2)).dtype == ac.float16
    np.testing.assert_array_equal(where([True, False], [1, 2], [3, 4]).as_numpy(), [1, 4])


def test_where_keeps_inf_gradients_out_of_unpicked_input():
    x = ac.tensor([3.0, 1.0], req_grad=True)
    where(ac.tensor([False, True]), x, 0.0).backward(np.array([np.inf, 2.0], np.float32))
    np.testing.assert_array_equal(x.grad, [0.0, 2.0])


# ------------------------------------------------------------------------------- pad, tile


def _torch_padding(pairs):
    flat = []
    for before, after in reversed(pairs):
        flat += [before, after]
    return tuple(flat)


@pytest.mark.parametrize(
    "padding", [((1, 2), (0, 1), (2, 0)), ((1, 1), (2, 2)), ((0, 3),), ((0, 0),)]
)
@pytest.mark.parametrize("value", [0.0, -1.5])
def test_pad(padding, value):
    def theirs(t):
        return torch.nn.functional.pad(t, _torch_padding(padding), value=value)

    check(lambda x: x.pad(padding, value), theirs, _data(2, 3, 2))


def test_pad_integer_zero_dim_and_non_contiguous():
    padded = ac.arange(3).pad([(1, 1)], value=7)
    assert padded.dtype == ac.int64
    np.testing.assert_array_equal(padded.as_numpy(), [7, 0, 1, 2, 7])
    scalar = ac.tensor(1.0)
    assert scalar.pad(()) is scalar
    check(lambda x: x.T.pad([(1, 0)]), lambda t: torch.nn.functional.pad(t.T, (1, 0)), _data(2, 3))


@pytest.mark.parametrize("repeats", [(2, 3), (1, 1), (2,), (2, 1, 3), ((3, 2),), (0, 2)])
def test_tile(repeats):
    check(lambda x: x.tile(*repeats), lambda t: t.tile(*repeats), _data(2, 3))


def test_tile_zero_dim_and_non_contiguous():
    check(lambda x: x.tile(3), lambda t: t.tile(3), _data())
    check(lambda x: x.T.tile(2, 2), lambda t: t.T.tile(2, 2), _data(2, 3))
    assert ac.arange(2).repeat(2).dtype == ac.int64


# ------------------------------------------------------------------------------- contiguous


def test_contiguous():
    x = ac.randn(2, 3)
    assert x.contiguous() is x
    check(lambda x: x.T.contiguous(), lambda t: t.T.contiguous(), _data(2, 3))
    y = ac.randn(3, 4).T.contiguous()
    assert y.data.flags.c_contiguous


# ------------------------------------------------------------------------------- views in graphs


def test_views_followed_by_further_ops():
    def ours(x):
        row = x[0]
        column = x[:, 1].unsqueeze(-1)
        widened = x.unsqueeze(0).expand(2, -1, -1)
        return (row * column + widened.flatten(0, 1)[:3] * x.T.contiguous().T).tanh()

    def theirs(t):
        row = t[0]
        column = t[:, 1].unsqueeze(-1)
        widened = t.unsqueeze(0).expand(2, -1, -1)
        return (row * column + widened.flatten(0, 1)[:3] * t.T.contiguous().T).tanh()

    check(ours, theirs, _data(3, 3))


def test_leaf_gradient_is_not_aliased_with_a_view():
    x = ac.ones(4, req_grad=True)
    x.view(2, 2).sum().backward()
    first = x.grad.copy()
    x.view(2, 2).sum().backward()
    np.testing.assert_array_equal(first, np.ones(4))
    np.testing.assert_array_equal(x.grad, 2 * np.ones(4))


EMPTY_CASES = {
    "expand": (lambda x: x.expand(2, 0, 3), lambda t: t.expand(2, 0, 3)),
    "unsqueeze-squeeze": (lambda x: x.unsqueeze(1).squeeze(1), lambda t: t.unsqueeze(1).squeeze(1)),
    "split": (lambda x: x.split(2, 1), lambda t: t.split(2, 1)),
    "pad": (lambda x: x.pad([(1, 1), (0, 1)]), lambda t: torch.nn.functional.pad(t, (0, 1, 1, 1))),
    "tile": (lambda x: x.tile(2, 1), lambda t: t.tile(2, 1)),
    "where": (
        lambda x: where(ac.zeros(0, 1, dtype="bool"), x, 1.0),
        lambda t: torch.where(torch.zeros(0, 1, dtype=torch.bool), t, 1.0),
    ),
    "contiguous": (lambda x: x.T.contiguous(), lambda t: t.T.contiguous()),
    "stack": (lambda x: stack([x, x], 1), lambda t: torch.stack([t, t], 1)),
    "mask": (lambda x: x[np.zeros((0, 3), bool)], lambda t: t[torch.zeros(0, 3, dtype=torch.bool)]),
}


@pytest.mark.parametrize("case", sorted(EMPTY_CASES))
def test_empty_inputs(case):
    check(*EMPTY_CASES[case], _data(0, 3))


def test_zero_dim_inputs():
    check(lambda x: x.expand(2, 3), lambda t: t.expand(2, 3), _data())
    check(
        lambda x: where(ac.tensor([True, False]), x, 0.0),
        lambda t: torch.where(torch.tensor([True, False]), t, 0.0),
        _data(),
    )
    check(lambda x: x.contiguous() * 2, lambda t: t.contiguous() * 2, _data())


def test_integer_and_bool_tensors_pass_through_movement_ops():
    numbers = ac.arange(6).view(2, 3)
    mask = numbers > 2
    for x in (numbers, mask):
        data = x.as_numpy()
        results = {
            "squeeze": (x.unsqueeze(0).squeeze(), data),
            "expand": (x.expand(2, 2, 3), np.broadcast_to(data, (2, 2, 3))),
            "flatten": (x.flatten(), data.reshape(-1)),
            "getitem": (x[:, [0, 0]], data[:, [0, 0]]),
            "mask": (x[mask], data[mask.as_numpy()]),
            "split": (x.split(1)[1], data[1:]),
            "concat": (concat([x, x], 1), np.concatenate([data, data], 1)),
            "stack": (stack([x, x]), np.stack([data, data])),
            "where": (where(mask, x, x[::-1]), np.where(mask.as_numpy(), data, data[::-1])),
            "pad": (x.pad([(1, 0)]), np.pad(data, ((0, 0), (1, 0)))),
            "tile": (x.tile(2), np.tile(data, 2)),
            "contiguous": (x.T.contiguous(), data.T),
            "iter_dim": (next(x.iter_dim(1)), data[:, 0]),
        }
        for name, (result, expected) in results.items():
            assert result.dtype == x.dtype and not result.req_grad, name
            np.testing.assert_array_equal(result.as_numpy(), expected, err_msg=name)


# ------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda x: x.squeeze(3), IndexError, r"squeeze: dim 3 is out of range"),
        (lambda x: x.unsqueeze(4), IndexError, r"unsqueeze: dim 4 is out of range"),
        (lambda x: x.flatten(2, 0), ValueError, r"flatten: start_dim 2 comes after end_dim 0"),
        (lambda x: x.flatten(0, 5), IndexError, r"flatten: dim 5 is out of range"),
        (
            lambda x: x.expand(2, 5, 4),
            ValueError,
            r"expand: cannot expand a tensor of shape \(2, 3, 4\) to \(2, 5, 4\): dim 1 has size 3",
        ),
        (lambda x: x.expand(3, 4), ValueError, r"expand: .*\(2, 3, 4\) to \(3, 4\), .*fewer"),
        (lambda x: x.expand(-1, 2, 3, 4), ValueError, r"expand: .*new leading dim 0"),
        (lambda x: x.expand(2.0, 3, 4), TypeError, r"expand: sizes must be ints"),
        (lambda x: x[2], IndexError, r"getitem: index 2 is out of range for dim 0 with size 2"),
        (
            lambda x: x[:, -4],
            IndexError,
            r"getitem: index -4 is out of range for dim 1 with size 3",
        ),
        (
            lambda x: x[..., [0, 4]],
            IndexError,
            r"getitem: index 4 is out of range for dim 2 with size 4",
        ),
        (
            lambda x: x[ac.tensor([[0, -3]])],
            IndexError,
            r"Index: index -3 is out of bounds for axis 0 with size 2",
        ),
        (lambda x: x[0, 0, 0, 0], IndexError, r"getitem: too many indices .*\(2, 3, 4\)"),
        (lambda x: x[..., 0, ...], IndexError, r"getitem: an index can only have a single"),
        (
            lambda x: x[np.array([True, False, True])],
            IndexError,
            r"getitem: boolean mask of shape \(3,\) does not match dims 0..0 of shape \(2,\)",
        ),
        (lambda x: x[np.ones((3, 4), bool)], IndexError, r"getitem: boolean mask .*\(3, 4\)"),
        (
            lambda x: x[[0.5]],
            IndexError,
            r"getitem: indices must be ints, .* or arrays of integers or bools, "
            r"got a float64 array",
        ),
        (lambda x: x[ac.tensor([0.0])], IndexError, r"getitem: indices .*got a float32 array"),
        (lambda x: x[1.5], IndexError, r"getitem: indices must be ints, .*got 1.5"),
        (lambda x: x.split(0), ValueError, r"split: split_size must be positive"),
        (
            lambda x: x.split([2, 2], 1),
            ValueError,
            r"split: sizes \[2, 2\] add up to 4, but dim 1 of shape \(2, 3, 4\) has size 3",
        ),
        (lambda x: x.split([-1, 4], 1), ValueError, r"split: sizes must be non-negative"),
        (lambda x: x.split(1, 3), IndexError, r"split: dim 3 is out of range"),
        (lambda x: x.iter_dim(-4), IndexError, r"iter_dim: dim -4 is out of range"),
        (
            lambda x: concat([x, ac.zeros(2, 2, 4)], 0),
            ValueError,
            r"concat: tensors must have equal shapes except in dim 0, got shapes "
            r"\[\(2, 3, 4\), \(2, 2, 4\)\]",
        ),
        (lambda x: concat([x, ac.zeros(2, 3)]), ValueError, r"concat: .*\(2, 3\)\]"),
        (lambda x: concat([x], 3), IndexError, r"concat: dim 3 is out of range"),
        (lambda x: concat([]), ValueError, r"concat: expected at least one tensor"),
        (lambda x: concat(x), TypeError, r"concat: expected a sequence of tensors"),
        (lambda x: concat([x[0, 0, 0]] * 2), ValueError, r"concat: 0-d tensors"),
        (
            lambda x: stack([x, x[0]]),
            ValueError,
            r"stack: tensors must all have the same shape, got shapes \[\(2, 3, 4\), \(3, 4\)\]",
        ),
        (lambda x: stack([x], 4), IndexError, r"stack: dim 4 is out of range"),
        (
            lambda x: where(x, x, x),
            TypeError,
            r"where: condition must be a bool tensor, got dtype float32",
        ),
        (lambda x: where(x > 0, x, ac.zeros(5)), ValueError, r"Where: .*\(2, 3, 4\)"),
        (lambda x: x.pad((1, 1)), ValueError, r"pad: padding must be a sequence of \(before"),
        (lambda x: x.pad([(1, -1)]), ValueError, r"pad: padding must be"),
        (
            lambda x: x.pad([(1, 1)] * 4),
            ValueError,
            r"pad: got 4 \(before, after\) pairs for a tensor of shape \(2, 3, 4\)",
        ),
        (lambda x: x.tile(2, -1), ValueError, r"tile: repeats must be non-negative ints"),
    ],
    ids=lambda value: "" if callable(value) or isinstance(value, type) else value[:40],
)
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(ac.zeros(2, 3, 4))


def test_zero_dim_errors():
    scalar = ac.tensor(1.0)
    with pytest.raises(ValueError, match="split: cannot split a 0-d tensor"):
        scalar.split(1)
    with pytest.raises(TypeError, match="iter_dim: cannot iterate over a 0-d tensor"):
        scalar.iter_dim()
    with pytest.raises(IndexError, match=r"getitem: too many indices .*\(\): 1 dims"):
        scalar[0]


# ------------------------------------------------------------------------------- GPU


@pytest.mark.cuda
def test_cuda_indexing_joining_and_errors():
    x = ac.randn(4, 3, device="cuda", req_grad=True)
    index = ac.tensor([0, 0, 3])  # on the CPU: moved to the GPU
    y = x[index, 1:]
    (y * 2).sum().backward()
    expected = np.zeros((4, 3), np.float32)
    expected[0, 1:] = 4
    expected[3, 1:] = 2
    np.testing.assert_array_equal(x.grad.get(), expected)
    mask = x > 0
    np.testing.assert_allclose(x[mask].as_numpy(), x.as_numpy()[mask.as_numpy()])
    with pytest.raises(IndexError, match="getitem: index 4 is out of range for dim 0"):
        x[[4]]
    pieces = x.split([1, 3])
    joined = concat(pieces[::-1])
    assert joined.device == "cuda:0"
    assert where(mask, x, 0.0).device == "cuda:0"
    assert x.pad([(1, 1)]).tile(2).expand(2, -1, -1).shape == (2, 4, 10)
    with pytest.raises(RuntimeError, match="concat: expected all tensors on one device"):
        concat([x, ac.zeros(1, 3)])
    with pytest.raises(RuntimeError, match="where: expected condition, x1 and x2 on one device"):
        where(mask, x, ac.zeros(4, 3))


def test_top_level_exports():
    assert ac.concat is concat and ac.stack is stack and ac.where is where
