"""PyTorch-layout losses (classes in dim 1, weight, ignore_index, label smoothing, reduction)
against torch.nn.functional, values and gradients in float32 and float64, plus finite
differences in float64 and every error."""

import numpy as np
import pytest

import autocompyute as ac
import autocompyute.nn.functional as F
from autocompyute import nn
from autocompyute.testing import assert_matches_torch, gradcheck, torch_or_skip

torch = torch_or_skip()
TF = torch.nn.functional

DTYPES = ["float32", "float64"]
REDUCTIONS = ["mean", "sum", "none"]


def _tol(dtype):
    return {"rtol": 1e-5, "atol": 1e-6} if dtype == "float32" else {"rtol": 1e-10, "atol": 1e-12}


def _scores(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return ac.tensor(rng.standard_normal(shape) * 2, dtype=dtype, req_grad=True)


def _fresh(*tensors):
    """Copies without gradients, so that two comparisons do not accumulate into one .grad."""
    return [ac.tensor(t.data.copy(), req_grad=t.req_grad) for t in tensors]


def _targets(shape, classes, seed=1, ignore=None):
    values = np.random.default_rng(seed).integers(0, classes, shape)
    if ignore is not None:
        values.flat[::3] = ignore
    return ac.tensor(values)


CE_CASES = {
    "2d": ((6, 5), (6,)),
    "unbatched": ((5,), ()),
    "spatial": ((3, 5, 4), (3, 4)),
    "image": ((2, 5, 3, 2), (2, 3, 2)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("case", sorted(CE_CASES))
def test_cross_entropy_index_targets_match_torch(case, smoothing, weighted, reduction, dtype):
    input_shape, target_shape = CE_CASES[case]
    x = _scores(input_shape, dtype)
    target = _targets(target_shape, 5, ignore=2 if case != "unbatched" else None)
    weight = ac.tensor([0.5, 1.0, 2.0, 0.3, 1.5], dtype=dtype) if weighted else None
    weight_t = None if weight is None else torch.tensor(weight.data)

    def ours(x, target):
        return F.cross_entropy(
            x, target, weight, ignore_index=2, reduction=reduction, label_smoothing=smoothing
        )

    def theirs(x, target):
        return TF.cross_entropy(
            x, target, weight_t, ignore_index=2, reduction=reduction, label_smoothing=smoothing
        )

    assert_matches_torch(ours, theirs, [x, target], **_tol(dtype))
    module = nn.CrossEntropyLoss(
        weight, ignore_index=2, reduction=reduction, label_smoothing=smoothing
    )
    np.testing.assert_allclose(module(x, target).data, ours(x, target).data)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("case", sorted(CE_CASES))
def test_nll_loss_matches_torch(case, weighted, reduction, dtype):
    input_shape, target_shape = CE_CASES[case]
    x = _scores(input_shape, dtype, seed=3)
    target = _targets(target_shape, 5, ignore=-100 if case != "unbatched" else None)
    weight = ac.tensor([0.5, 1.0, 2.0, 0.3, 1.5], dtype=dtype) if weighted else None
    weight_t = None if weight is None else torch.tensor(weight.data)
    assert_matches_torch(
        lambda x, t: F.nll_loss(
            F.log_softmax(x, dim=1 if x.ndim > 1 else 0), t, weight, reduction=reduction
        ),
        lambda x, t: TF.nll_loss(
            TF.log_softmax(x, dim=1 if x.ndim > 1 else 0), t, weight_t, reduction=reduction
        ),
        [x, target],
        **_tol(dtype),
    )
    module = nn.NLLLoss(weight, reduction=reduction)
    assert module(x, target).shape == F.nll_loss(x, target, weight, reduction=reduction).shape


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (3,)])
def test_cross_entropy_probability_targets_match_torch(
    shape, smoothing, weighted, reduction, dtype
):
    x = _scores(shape, dtype, seed=5)
    probs = np.random.default_rng(6).dirichlet(np.ones(3), size=int(np.prod(shape)) // 3)
    dim = 1 if len(shape) > 1 else 0
    moved = probs.reshape(*(s for i, s in enumerate(shape) if i != dim), 3)
    target = ac.tensor(np.moveaxis(moved, -1, dim), dtype=dtype, req_grad=True)
    weight = ac.tensor([0.2, 1.0, 3.0], dtype=dtype) if weighted else None
    weight_t = None if weight is None else torch.tensor(weight.data)
    assert_matches_torch(
        lambda x, t: F.cross_entropy(x, t, weight, reduction=reduction, label_smoothing=smoothing),
        lambda x, t: TF.cross_entropy(
            x, t, weight_t, reduction=reduction, label_smoothing=smoothing
        ),
        [x, target],
        **_tol(dtype),
    )


def test_cross_entropy_and_nll_gradcheck():
    x = _scores((3, 4, 2), "float64")
    target = _targets((3, 2), 4, ignore=1)
    weight = ac.tensor([0.5, 1.0, 2.0, 0.3], dtype="float64")
    for reduction in REDUCTIONS:
        gradcheck(
            lambda x, reduction=reduction: F.cross_entropy(
                x, target, weight, ignore_index=1, reduction=reduction, label_smoothing=0.1
            ),
            [x],
        )
        gradcheck(
            lambda x, reduction=reduction: F.nll_loss(
                x, target, weight, ignore_index=1, reduction=reduction
            ),
            [x],
        )


def test_cross_entropy_all_ignored_is_nan_and_deprecated_flags():
    x = _scores((2, 3), "float32")
    target = ac.tensor([-100, -100])
    assert np.isnan(F.cross_entropy(x, target).item())
    assert np.isnan(F.cross_entropy(x, target, ac.ones(3)).item())
    t = _targets((2,), 3)
    np.testing.assert_allclose(
        F.cross_entropy(x, t, size_average=False).item(),
        F.cross_entropy(x, t, reduction="sum").item(),
        rtol=1e-6,
    )
    assert F.cross_entropy(x, t, reduce=False).shape == (2,)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: F.cross_entropy(ac.ones(2, 3), ac.tensor([0, 1]), reduction="avg"),
            ValueError,
            "reduction must be",
        ),
        (
            lambda: F.cross_entropy(ac.ones(2, 3), ac.tensor([0, 3])),
            IndexError,
            r"class indices must be in \[0, 3\)",
        ),
        (
            lambda: F.cross_entropy(ac.ones(2, 3, 4), ac.tensor([0, 1])),
            ValueError,
            r"must have shape \(2, 4\)",
        ),
        (
            lambda: F.cross_entropy(ac.ones(2, 3), ac.ones(2, 4)),
            ValueError,
            "probability targets must have",
        ),
        (
            lambda: F.cross_entropy(ac.ones(2, 3), ac.tensor([True, False])),
            TypeError,
            "integer class indices or float",
        ),
        (
            lambda: F.cross_entropy(ac.ones(2, 3), ac.tensor([0, 1]), label_smoothing=1.5),
            ValueError,
            "label_smoothing",
        ),
        (
            lambda: F.cross_entropy(ac.ones(2, 3), ac.tensor([0, 1]), ac.ones(4)),
            ValueError,
            r"weight must have shape \(3,\)",
        ),
        (
            lambda: F.cross_entropy(ac.ones(2, 3), ac.tensor([0, 1]), ac.ones(3, dtype="float64")),
            TypeError,
            "weight has dtype float64",
        ),
        (lambda: F.cross_entropy(ac.tensor(1.0), ac.tensor(0)), ValueError, "0-d"),
        (lambda: F.nll_loss(ac.ones(2, 3), ac.ones(2)), TypeError, "integer class indices"),
        (lambda: F.nll_loss(ac.ones(2, 3), [0, 1]), TypeError, "must be a Tensor"),
        (lambda: F.mse_loss(ac.ones(3), ac.ones(2)), ValueError, "same shape"),
        (lambda: F.l1_loss(ac.ones(3), ac.ones(3), reduction="max"), ValueError, "reduction"),
        (
            lambda: F.binary_cross_entropy(ac.tensor([1.5]), ac.tensor([1.0])),
            ValueError,
            "between 0 and 1",
        ),
        (lambda: nn.MSELoss(reduction="avg"), ValueError, "reduction must be"),
        (lambda: nn.CrossEntropyLoss(label_smoothing=-0.1), ValueError, "label_smoothing"),
    ],
)
def test_loss_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses_match_torch(reduction, dtype):
    x = _scores((3, 4), dtype)
    y = _scores((3, 4), dtype, seed=9)
    assert_matches_torch(
        lambda a, b: F.mse_loss(a, b, reduction=reduction),
        lambda a, b: TF.mse_loss(a, b, reduction=reduction),
        [x, y],
        **_tol(dtype),
    )
    assert_matches_torch(
        lambda a, b: F.l1_loss(a, b, reduction=reduction),
        lambda a, b: TF.l1_loss(a, b, reduction=reduction),
        _fresh(x, y),
        **_tol(dtype),
    )
    assert (
        nn.MSELoss(reduction=reduction)(x, y).shape == F.mse_loss(x, y, reduction=reduction).shape
    )
    assert nn.L1Loss(reduction=reduction)(x, y).shape == F.l1_loss(x, y, reduction=reduction).shape


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_losses_match_torch(weighted, reduction, dtype):
    rng = np.random.default_rng(4)
    logits = ac.tensor(rng.standard_normal((4, 3)) * 3, dtype=dtype, req_grad=True)
    probs = ac.tensor(rng.uniform(0.05, 0.95, (4, 3)), dtype=dtype, req_grad=True)
    target = ac.tensor(rng.uniform(0, 1, (4, 3)), dtype=dtype, req_grad=True)
    weight = ac.tensor(rng.uniform(0.5, 2, (3,)), dtype=dtype) if weighted else None
    pos = ac.tensor([0.5, 2.0, 3.0], dtype=dtype) if weighted else None
    weight_t = None if weight is None else torch.tensor(weight.data)
    pos_t = None if pos is None else torch.tensor(pos.data)
    assert_matches_torch(
        lambda x, t: F.binary_cross_entropy(x, t, weight, reduction=reduction),
        lambda x, t: TF.binary_cross_entropy(x, t, weight_t, reduction=reduction),
        [probs, target],
        **_tol(dtype),
    )
    assert_matches_torch(
        lambda x, t: F.binary_cross_entropy_with_logits(
            x, t, weight, reduction=reduction, pos_weight=pos
        ),
        lambda x, t: TF.binary_cross_entropy_with_logits(
            x, t, weight_t, reduction=reduction, pos_weight=pos_t
        ),
        _fresh(logits, target),
        **_tol(dtype),
    )
    np.testing.assert_allclose(
        nn.BCEWithLogitsLoss(weight, reduction=reduction, pos_weight=pos)(logits, target).data,
        TF.binary_cross_entropy_with_logits(
            torch.tensor(logits.data),
            torch.tensor(target.data),
            weight_t,
            reduction=reduction,
            pos_weight=pos_t,
        ).numpy(),
        **_tol(dtype),
    )
    np.testing.assert_allclose(
        nn.BCELoss(weight, reduction=reduction)(probs, target).data,
        TF.binary_cross_entropy(
            torch.tensor(probs.data), torch.tensor(target.data), weight_t, reduction=reduction
        ).numpy(),
        **_tol(dtype),
    )


def test_binary_cross_entropy_clamps_log_at_the_edges_like_torch():
    x = ac.tensor([0.0, 1.0, 1e-30], dtype="float64", req_grad=True)
    t = ac.tensor([1.0, 0.0, 1.0], dtype="float64")
    assert_matches_torch(
        lambda a, b: F.binary_cross_entropy(a, b, reduction="none"),
        lambda a, b: TF.binary_cross_entropy(a, b, reduction="none"),
        [x, t],
    )


def test_binary_losses_gradcheck():
    rng = np.random.default_rng(0)
    x = ac.tensor(rng.standard_normal((3, 2)), dtype="float64", req_grad=True)
    p = ac.tensor(rng.uniform(0.1, 0.9, (3, 2)), dtype="float64", req_grad=True)
    t = ac.tensor(rng.uniform(0, 1, (3, 2)), dtype="float64", req_grad=True)
    pos = ac.tensor([2.0, 0.5], dtype="float64")
    gradcheck(
        lambda x, t: F.binary_cross_entropy_with_logits(x, t, pos_weight=pos, reduction="sum"),
        [x, t],
    )
    gradcheck(lambda p, t: F.binary_cross_entropy(p, t, reduction="sum"), [p, t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_original_class_last_losses_take_reduction(reduction):
    x = _scores((2, 3, 4), "float64")
    t = _targets((2, 3), 4, ignore=-100)
    assert_matches_torch(
        lambda x, t: F.cross_entropy_loss(x, t, reduction=reduction, label_smoothing=0.1),
        lambda x, t: TF.cross_entropy(
            x.permute(0, 2, 1), t, reduction=reduction, label_smoothing=0.1
        ),
        [x, t],
        rtol=1e-10,
        atol=1e-12,
    )
    y = ac.tensor(np.random.default_rng(0).uniform(size=(2, 3, 4)), dtype="float64")
    assert_matches_torch(
        lambda x, y: F.bce_loss(x, y, reduction=reduction),
        lambda x, y: TF.binary_cross_entropy_with_logits(x, y, reduction=reduction),
        _fresh(x, y),
        rtol=1e-10,
        atol=1e-12,
    )
