"""autocompyute.optim against torch.optim: parameter groups, every optimizer, every scheduler."""

import numpy as np
import pytest

import autocompyute as ac
from autocompyute import nn, optim
from autocompyute.nn.module import Parameter
from autocompyute.serialization import load, save
from autocompyute.testing import torch_or_skip

torch = torch_or_skip()

SHAPES = [(4, 3), (3,), (2, 2, 2)]
STEPS = 25


def _trajectories(make_ours, make_torch, dtype, steps=STEPS, grad_source=None):
    """Runs both optimizers on the same parameters and gradients; returns both final values.

    Gradients come from a fixed quadratic-plus-noise so that they depend on the parameters.
    """
    rng = np.random.default_rng(7)
    initial = [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]
    noise = [[rng.standard_normal(shape).astype(dtype) for shape in SHAPES] for _ in range(steps)]
    ours = [Parameter(value.copy()) for value in initial]
    theirs = [torch.tensor(value.copy(), requires_grad=True) for value in initial]
    optimizer, torch_optimizer = make_ours(ours), make_torch(theirs)
    for step in range(steps):
        for index, (p, q) in enumerate(zip(ours, theirs)):
            if index == 1 and step % 4 == 3:  # a parameter without gradient is skipped
                p.grad, q.grad = None, None
                continue
            grad = p.data * 0.5 + noise[step][index]
            p.grad, q.grad = grad.copy(), torch.tensor(grad)
        optimizer.step()
        torch_optimizer.step()
    return ours, theirs


def _groups(params, library):
    """Two parameter groups with their own options (the second overrides lr)."""
    del library
    return [{"params": params[:2]}, {"params": params[2:], "lr": 0.003}]


OPTIMIZERS = {
    "sgd": ("SGD", {"lr": 0.05}),
    "sgd_momentum": ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
    "sgd_nesterov": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    "sgd_maximize": ("SGD", {"lr": 0.05, "momentum": 0.5, "maximize": True}),
    "adam": ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1}),
    "adam_amsgrad": ("Adam", {"lr": 0.01, "amsgrad": True}),
    "adamw": ("AdamW", {"lr": 0.01}),
    "adamw_amsgrad": ("AdamW", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.2}),
    "rmsprop": ("RMSprop", {"lr": 0.01}),
    "rmsprop_all": (
        "RMSprop",
        {
            "lr": 0.01,
            "alpha": 0.9,
            "momentum": 0.8,
            "centered": True,
            "weight_decay": 0.05,
            "eps": 1e-6,
        },
    ),
    "adagrad": ("Adagrad", {"lr": 0.1}),
    "adagrad_all": (
        "Adagrad",
        {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.5},
    ),
    "adadelta": ("Adadelta", {}),
    "adadelta_all": ("Adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1, "eps": 1e-5}),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", sorted(OPTIMIZERS))
def test_trajectory_matches_torch_with_two_groups(case, dtype):
    name, kwargs = OPTIMIZERS[case]
    ours, theirs = _trajectories(
        lambda ps: getattr(optim, name)(_groups(ps, "ours"), **kwargs),
        lambda ps: getattr(torch.optim, name)(_groups(ps, "torch"), **kwargs),
        dtype,
    )
    tolerance = (
        {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-13}
    )
    for p, q in zip(ours, theirs):
        assert p.dtype == dtype
        np.testing.assert_allclose(p.data, q.detach().numpy(), **tolerance)


def test_nn_optimizers_is_an_alias():
    assert nn.optimizers.Adam is optim.Adam and nn.optimizers.SGD is optim.SGD
    assert nn.lr_schedulers.StepLR is optim.lr_scheduler.StepLR


def test_param_groups_options_and_writable_lr():
    a, b = Parameter(ac.ones(2)), Parameter(ac.ones(3))
    optimizer = optim.AdamW(
        [{"params": [a], "weight_decay": 0.1}, {"params": [b], "weight_decay": 0.0}],
        lr=0.01,
        betas=(0.5, 0.6),
    )
    assert [g["weight_decay"] for g in optimizer.param_groups] == [0.1, 0.0]
    assert optimizer.param_groups[1]["betas"] == (0.5, 0.6)
    assert optimizer.param_groups[0]["params"] == [a]
    optimizer.param_groups[1]["lr"] = 0.0
    a.grad, b.grad = np.ones(2, np.float32), np.ones(3, np.float32)
    optimizer.step()
    assert np.all(b.data == 1.0) and np.all(a.data < 1.0)
    optimizer.lr = 0.5  # the original's attribute sets every group
    assert [g["lr"] for g in optimizer.param_groups] == [0.5, 0.5]


def test_add_param_group_and_its_errors():
    a, b = Parameter(ac.ones(2)), Parameter(ac.ones(2))
    optimizer = optim.SGD([a], lr=0.1, momentum=0.9)
    optimizer.add_param_group({"params": b, "lr": 0.2})
    assert len(optimizer.param_groups) == 2
    assert optimizer.param_groups[1]["momentum"] == 0.9 and optimizer.param_groups[1]["lr"] == 0.2
    with pytest.raises(ValueError, match="more than one parameter group"):
        optimizer.add_param_group({"params": [a]})
    with pytest.raises(TypeError, match="'params' entry"):
        optimizer.add_param_group({"lr": 0.1})
    with pytest.raises(TypeError, match="must be tensors"):
        optimizer.add_param_group({"params": [1.0]})
    with pytest.raises(ValueError, match="leaf tensors"):
        optimizer.add_param_group({"params": [ac.ones(2)]})
    with pytest.raises(ValueError, match="lr must be >= 0"):
        optimizer.add_param_group({"params": [Parameter(ac.ones(1))], "lr": -1.0})


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda ps: optim.Adam(ps, betas=(0.9, 1.0)), "beta2 must be in"),
        (lambda ps: optim.Adam(ps, betas=(0.9,)), "betas must be a pair"),
        (lambda ps: optim.SGD(ps, nesterov=True), "nesterov"),
        (lambda ps: optim.SGD(ps, momentum=-1), "momentum must be >= 0"),
        (lambda ps: optim.RMSprop(ps, alpha=-0.1), "alpha must be >= 0"),
        (lambda ps: optim.Adagrad(ps, lr_decay=-1), "lr_decay must be >= 0"),
        (lambda ps: optim.Adadelta(ps, rho=1.5), "rho must be in"),
        (lambda ps: optim.Adadelta(ps, eps=-1), "eps must be >= 0"),
        (lambda ps: optim.AdamW([]), "empty list"),
        (lambda ps: optim.AdamW(ps[0]), "single Tensor"),
    ],
)
def test_bad_options_are_clear_errors(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make([Parameter(ac.ones(2))])


def test_zero_grad_set_to_none_false_zeroes_in_place():
    w = Parameter(ac.ones(2))
    optimizer = optim.SGD([w])
    w.grad = np.ones(2, np.float32)
    grad = w.grad
    optimizer.zero_grad(set_to_none=False)
    assert w.grad is grad and np.all(grad == 0)
    optimizer.zero_grad()
    assert w.grad is None


def test_step_closure_returns_its_loss():
    w = Parameter(ac.tensor([1.0, 2.0]))
    optimizer = optim.SGD([w], lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    assert optimizer.step(closure).item() == pytest.approx(5.0)
    np.testing.assert_allclose(w.data, [0.8, 1.6], rtol=1e-6)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"])
def test_state_dict_round_trip_with_groups(name, tmp_path):
    kwargs = {"SGD": {"momentum": 0.9}, "RMSprop": {"momentum": 0.5, "centered": True}}.get(
        name, {}
    )

    def run(optimizer, params, steps):
        for step in range(steps):
            rng = np.random.default_rng(step)
            for p in params:
                p.grad = rng.standard_normal(p.shape).astype(np.float32)
            optimizer.step()

    def make():
        ac.set_random_seed(4)
        params = [Parameter(ac.randn(3, 2)), Parameter(ac.randn(2))]
        groups = [{"params": params[:1]}, {"params": params[1:], "lr": 0.02}]
        return params, getattr(optim, name)(groups, **kwargs)

    reference, reference_optimizer = make()
    run(reference_optimizer, reference, 6)
    resumed, first = make()
    run(first, resumed, 3)
    saved = first.state_dict()
    assert saved["param_groups"][1]["params"] == [1]
    save(saved, tmp_path / "optimizer.npz")
    second = getattr(optim, name)(
        [{"params": resumed[:1]}, {"params": resumed[1:]}], lr=1.0, **kwargs
    )
    second.load_state_dict(load(tmp_path / "optimizer.npz"))
    assert second.param_groups[1]["lr"] == 0.02
    for p in range(3, 6):
        rng = np.random.default_rng(p)
        for q in resumed:
            q.grad = rng.standard_normal(q.shape).astype(np.float32)
        second.step()
    for p, q in zip(reference, resumed):
        np.testing.assert_array_equal(p.data, q.data)


def test_state_is_keyed_by_parameter_as_in_pytorch():
    w = Parameter(ac.ones(2))
    optimizer = optim.Adam([w])
    w.grad = np.ones(2, np.float32)
    optimizer.step()
    assert optimizer.state[w]["step"] == 1
    assert set(optimizer.state[w]) == {"step", "exp_avg", "exp_avg_sq"}


# ---------------------------------------------------------------------- schedulers

LR = optim.lr_scheduler
TLR = torch.optim.lr_scheduler

SCHEDULERS = {
    "multistep": (
        lambda o: LR.MultiStepLR(o, milestones=[3, 7, 8], gamma=0.5),
        lambda o: TLR.MultiStepLR(o, milestones=[3, 7, 8], gamma=0.5),
    ),
    "exponential": (
        lambda o: LR.ExponentialLR(o, gamma=0.9),
        lambda o: TLR.ExponentialLR(o, gamma=0.9),
    ),
    "lambda": (
        lambda o: LR.LambdaLR(o, lambda e: 1 / (1 + e)),
        lambda o: TLR.LambdaLR(o, lambda e: 1 / (1 + e)),
    ),
    "lambda_per_group": (
        lambda o: LR.LambdaLR(o, [lambda e: 0.9**e, lambda e: e + 1]),
        lambda o: TLR.LambdaLR(o, [lambda e: 0.9**e, lambda e: e + 1]),
    ),
    "step": (
        lambda o: LR.StepLR(o, step_size=3, gamma=0.3),
        lambda o: TLR.StepLR(o, step_size=3, gamma=0.3),
    ),
    "cosine": (
        lambda o: LR.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
        lambda o: TLR.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    ),
    "linear": (
        lambda o: LR.LinearLR(o, start_factor=0.25, total_iters=6),
        lambda o: TLR.LinearLR(o, start_factor=0.25, total_iters=6),
    ),
    "onecycle": (
        lambda o: LR.OneCycleLR(o, max_lr=[0.5, 0.1], total_steps=30),
        lambda o: TLR.OneCycleLR(o, max_lr=[0.5, 0.1], total_steps=30),
    ),
    "onecycle_linear_3phase": (
        lambda o: LR.OneCycleLR(
            o,
            max_lr=0.4,
            epochs=3,
            steps_per_epoch=10,
            anneal_strategy="linear",
            three_phase=True,
            pct_start=0.25,
        ),
        lambda o: TLR.OneCycleLR(
            o,
            max_lr=0.4,
            epochs=3,
            steps_per_epoch=10,
            anneal_strategy="linear",
            three_phase=True,
            pct_start=0.25,
        ),
    ),
}


def _schedule(library, make_optimizer, make_scheduler, steps=30):
    """(lr, momentum-like) of every group at every step."""
    params = (
        [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)]
        if library is torch.optim
        else [Parameter(ac.zeros(1)), Parameter(ac.zeros(1))]
    )
    optimizer = make_optimizer(
        library, [{"params": params[:1]}, {"params": params[1:], "lr": 0.05}]
    )
    scheduler = make_scheduler(optimizer)
    rows = []
    for _ in range(steps):
        rows.append(
            [(g["lr"], g.get("momentum", g.get("betas", (0,))[0])) for g in optimizer.param_groups]
        )
        last = scheduler.get_last_lr()
        assert last == [g["lr"] for g in optimizer.param_groups]
        optimizer.step()
        scheduler.step()
    return np.array(rows, dtype=float)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("case", sorted(SCHEDULERS))
def test_schedulers_match_torch_per_group(case, optimizer):
    def make(library, groups):
        if optimizer == "sgd":
            return library.SGD(groups, lr=0.1, momentum=0.9)
        return library.Adam(groups, lr=0.1)

    ours, theirs = SCHEDULERS[case]
    np.testing.assert_allclose(
        _schedule(optim, make, ours), _schedule(torch.optim, make, theirs), rtol=1e-12, atol=1e-15
    )


def test_onecycle_errors_past_the_end_and_bad_arguments():
    optimizer = optim.SGD([Parameter(ac.zeros(1))], lr=0.1, momentum=0.9)
    scheduler = LR.OneCycleLR(optimizer, max_lr=1.0, total_steps=3)
    for _ in range(3):
        scheduler.step()
    with pytest.raises(ValueError, match="total_steps is 3"):
        scheduler.step()
    with pytest.raises(ValueError, match="total_steps, or epochs"):
        LR.OneCycleLR(optimizer, max_lr=1.0)
    with pytest.raises(ValueError, match="anneal_strategy"):
        LR.OneCycleLR(optimizer, max_lr=1.0, total_steps=5, anneal_strategy="exp")
    with pytest.raises(ValueError, match="momentum or betas"):
        LR.OneCycleLR(optim.Adagrad([Parameter(ac.zeros(1))]), max_lr=1.0, total_steps=5)
    with pytest.raises(ValueError, match="one per parameter group"):
        LR.OneCycleLR(optimizer, max_lr=[1.0, 2.0], total_steps=5)


def test_scheduler_errors():
    optimizer = optim.SGD([Parameter(ac.zeros(1))], lr=0.1)
    with pytest.raises(TypeError, match="expected an Optimizer"):
        LR.StepLR(object(), step_size=2)
    with pytest.raises(ValueError, match="milestones must increase"):
        LR.MultiStepLR(optimizer, milestones=[3, 1])
    with pytest.raises(TypeError, match="callable"):
        LR.LambdaLR(optimizer, 0.5)
    with pytest.raises(ValueError, match="factor must be < 1"):
        LR.ReduceLROnPlateau(optimizer, factor=1.5)
    with pytest.raises(ValueError, match="mode must be"):
        LR.ReduceLROnPlateau(optimizer, mode="up")
    with pytest.raises(ValueError, match="threshold_mode"):
        LR.ReduceLROnPlateau(optimizer, threshold_mode="log")


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"mode": "max", "factor": 0.5, "patience": 2, "cooldown": 1},
        {"threshold_mode": "abs", "threshold": 0.05, "patience": 1, "min_lr": [0.02, 0.001]},
    ],
)
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    metrics = [1.0, 0.9, 0.95, 0.95, 0.96, 0.8, 0.8, 0.81, 0.8, 0.82, 0.83, 0.84, 0.85] * 3

    def run(library, scheduler_class, params):
        optimizer = library.SGD(
            [{"params": params[:1]}, {"params": params[1:], "lr": 0.05}], lr=0.1
        )
        scheduler = scheduler_class(optimizer, **kwargs)
        rows = []
        for metric in metrics:
            scheduler.step(metric)
            rows.append(scheduler.get_last_lr())
        return rows

    ours = run(optim, LR.ReduceLROnPlateau, [Parameter(ac.zeros(1)), Parameter(ac.zeros(1))])
    theirs = run(
        torch.optim,
        TLR.ReduceLROnPlateau,
        [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)],
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_reduce_lr_on_plateau_state_dict_and_tensor_metric():
    optimizer = optim.SGD([Parameter(ac.zeros(1))], lr=0.1)
    scheduler = LR.ReduceLROnPlateau(optimizer, patience=0)
    scheduler.step(ac.tensor(1.0))
    scheduler.step(ac.tensor(2.0))
    assert optimizer.lr == pytest.approx(0.01)
    other = LR.ReduceLROnPlateau(optim.SGD([Parameter(ac.zeros(1))], lr=0.1), patience=0)
    other.load_state_dict(scheduler.state_dict())
    assert other.best == 1.0


# ---------------------------------------------------------------------- clipping


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_norm_underscore_matches_torch(norm_type, dtype):
    rng = np.random.default_rng(3)
    values = [rng.standard_normal(shape).astype(dtype) * 3 for shape in SHAPES]
    ours = [Parameter(ac.zeros(*shape, dtype=dtype)) for shape in SHAPES]
    theirs = [
        torch.zeros(shape, dtype=torch.from_numpy(values[0]).dtype, requires_grad=True)
        for shape in SHAPES
    ]
    for p, q, g in zip(ours, theirs, values):
        p.grad, q.grad = g.copy(), torch.tensor(g)
    total = nn.utils.clip_grad_norm_(ours, 1.0, norm_type)
    torch_total = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type)
    assert isinstance(total, ac.Tensor) and total.shape == () and total.dtype == dtype
    np.testing.assert_allclose(total.item(), torch_total.item(), rtol=1e-6)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_clip_grad_norm_underscore_errors():
    w = Parameter(ac.ones(2))
    assert nn.utils.clip_grad_norm_([w], 1.0).item() == 0.0
    w.grad = np.array([np.inf, 1.0], np.float32)
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([w], 1.0, error_if_nonfinite=True)
    assert w.grad[1] == 1.0  # nothing clipped before the error
    with pytest.raises(ValueError, match="norm_type must be > 0"):
        nn.utils.clip_grad_norm_([w], 1.0, norm_type=0)
    w.grad = np.array([-3.0, 3.0], np.float32)
    nn.utils.clip_grad_value_(w, 1.0)
    assert w.grad.tolist() == [-1.0, 1.0]
