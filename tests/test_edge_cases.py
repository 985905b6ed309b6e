"""Edge cases found by fuzzing: 0-d and 0-size shapes, zero local gradients under NaN upstream.

Each is compared with PyTorch (float64), which computes all of them.
"""

from __future__ import annotations

import numpy as np
import pytest

import autocompyute as ac
import autocompyute.nn.functional as F
from autocompyute.testing import assert_matches_torch, torch_or_skip

torch = torch_or_skip()
torch_functional = torch.nn.functional


def leaf(values, dtype=np.float64):
    return ac.tensor(np.asarray(values, dtype=dtype), req_grad=True)


@pytest.mark.parametrize(
    "expression",
    [lambda s: s + s, lambda s: s.exp() + s, lambda s: s * 3 + s, lambda s: (s * s) * s],
    ids=["s+s", "exp(s)+s", "3s+s", "s*s*s"],
)
def test_a_0d_element_used_twice(expression):
    assert_matches_torch(
        lambda x: expression(x[0]), lambda x: expression(x[0]), [leaf([1.0, 2.0, 3.0])]
    )


def test_a_0d_element_gradient_stays_an_array():
    x = leaf([1.0, 2.0])
    s = x[1]
    (s + s).backward()
    assert isinstance(x.grad, np.ndarray)
    np.testing.assert_array_equal(x.grad, [0.0, 2.0])


def test_std_with_zero_spread_has_zero_gradient():
    assert_matches_torch(lambda x: x.std(dim=0), lambda x: x.std(dim=0), [leaf(np.ones((3, 2)))])
    mixed = leaf([[1.0, 2.0], [1.0, 5.0]])
    assert_matches_torch(
        lambda x: x.std(dim=0, ddof=0), lambda x: x.std(dim=0, correction=0), [mixed]
    )


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda x: F.softmax(x, dim=0), lambda x: torch_functional.softmax(x, dim=0)),
        (lambda x: F.log_softmax(x, dim=-1), lambda x: torch_functional.log_softmax(x, dim=-1)),
        (lambda x: F.gelu(x), torch_functional.gelu),
        (
            lambda x: F.gelu(x, approximate="tanh"),
            lambda x: torch_functional.gelu(x, approximate="tanh"),
        ),
    ],
    ids=["softmax", "log_softmax", "gelu", "gelu_tanh"],
)
def test_activations_of_a_0d_tensor(ours, theirs):
    assert_matches_torch(ours, theirs, [leaf(0.7)])


@pytest.mark.parametrize("shape", [(2, 0), (0, 3), (0,)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_along_and_beside_a_0_size_dim(shape, name):
    ours, theirs = getattr(F, name), getattr(torch_functional, name)
    assert_matches_torch(
        lambda x: ours(x, dim=-1), lambda x: theirs(x, dim=-1), [leaf(np.ones(shape))]
    )


def test_linear_and_matmul_with_0_size_inner_dim():
    x, w = leaf(np.ones((2, 2, 0))), leaf(np.ones((3, 0)))
    assert_matches_torch(F.linear, torch_functional.linear, [x, w])
    a, b = leaf(np.ones((2, 3, 4))), leaf(np.ones((4, 0)))
    assert_matches_torch(lambda a, b: a @ b, lambda a, b: a @ b, [a, b])
    a, b = leaf(np.ones((2, 3, 0))), leaf(np.ones((0, 5)))
    assert_matches_torch(lambda a, b: a @ b, lambda a, b: a @ b, [a, b])


def nan_upstream(shape):
    """An upstream gradient with NaN and inf in it."""
    grad = np.linspace(-1.0, 1.0, int(np.prod(shape))).reshape(shape)
    grad.flat[0] = np.nan
    if grad.size > 1:
        grad.flat[-1] = np.inf
    return grad


@pytest.mark.parametrize(
    ("ours", "theirs", "values"),
    [
        (F.relu, torch.relu, [-1.0, 2.0, -3.0, 4.0]),
        (lambda x: x.clip(0.0, 1.0), lambda x: x.clamp(0.0, 1.0), [-1.0, 0.5, 0.2, 3.0]),
        (lambda x: x.max(dim=1).values, lambda x: x.max(dim=1).values, [[1.0, 2.0], [4.0, 3.0]]),
        (lambda x: x.min(dim=0).values, lambda x: x.min(dim=0).values, [[1.0, 2.0], [4.0, 3.0]]),
        (
            lambda x: x.maximum(ac.tensor([0.0, 9.0, 0.0, 9.0], dtype="float64")),
            lambda x: torch.maximum(x, torch.tensor([0.0, 9.0, 0.0, 9.0], dtype=torch.float64)),
            [1.0, 2.0, 3.0, 4.0],
        ),
    ],
    ids=["relu", "clip", "max", "min", "maximum"],
)
def test_nan_upstream_does_not_leak_where_the_local_gradient_is_zero(ours, theirs, values):
    assert_matches_torch(ours, theirs, [leaf(values)], upstream=nan_upstream)


def test_nan_upstream_through_maxpool():
    x = leaf(np.arange(16.0).reshape(1, 1, 4, 4))
    assert_matches_torch(
        lambda x: F.maxpool2d(x, 2),
        lambda x: torch_functional.max_pool2d(x, 2),
        [x],
        upstream=nan_upstream,
    )


def test_ignored_cross_entropy_items_get_zero_gradient_under_nan_upstream():
    logits = leaf(np.random.default_rng(0).normal(size=(3, 4)))
    targets = ac.tensor([1, -100, 2])
    loss = F.cross_entropy_loss(logits, targets)
    loss.backward(ac.tensor(np.nan, dtype="float64"))
    assert np.all(logits.grad[1] == 0)  # PyTorch writes nothing for ignored items


def test_fully_masked_attention_row_gives_zeros_as_in_pytorch():
    rng = np.random.default_rng(0)
    q, k, v = (leaf(rng.normal(size=(1, 2, 3))) for _ in range(3))
    mask = np.array([[False, False], [True, True]])
    assert_matches_torch(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, mask=ac.tensor(mask)),
        lambda q, k, v: torch_functional.scaled_dot_product_attention(
            q, k, v, attn_mask=torch.tensor(mask)
        ),
        [q, k, v],
    )
