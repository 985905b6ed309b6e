"""Optimizers, learning-rate schedulers and gradient clipping against torch.optim / torch.nn."""

import math

import numpy as np
import pytest

import autocompyute as ac
from autocompyute.nn import lr_schedulers
from autocompyute.nn.module import Parameter
from autocompyute.nn.optimizers import SGD, Adam, AdamW
from autocompyute.nn.utils import clip_grad_norm, clip_grad_value
from autocompyute.serialization import load, save
from autocompyute.testing import torch_or_skip

torch = torch_or_skip()

SHAPES = [(4, 3), (3,), (2, 2, 2), ()]
STEPS = 20


def _parameter_values(rng):
    return [np.array(rng.standard_normal(shape), dtype=np.float32) for shape in SHAPES]


def _gradient_sequence(rng):
    return [
        [np.array(rng.standard_normal(shape), dtype=np.float32) for shape in SHAPES]
        for _ in range(STEPS)
    ]


def _run_both(make_ours, make_torch, skip_some=False):
    """Applies the same gradients with both libraries and returns the final parameters."""
    rng = np.random.default_rng(1)
    initial = _parameter_values(rng)
    gradients = _gradient_sequence(rng)
    ours = [Parameter(value.copy()) for value in initial]
    theirs = [torch.tensor(value.copy(), requires_grad=True) for value in initial]
    optimizer, torch_optimizer = make_ours(ours), make_torch(theirs)
    for step, step_gradients in enumerate(gradients):
        for index, (p, q, g) in enumerate(zip(ours, theirs, step_gradients)):
            skipped = skip_some and index == 1 and step % 3 == 0
            p.grad = None if skipped else g.copy()
            q.grad = None if skipped else torch.tensor(g)
        optimizer.step()
        torch_optimizer.step()
    return ours, theirs


def _assert_close(ours, theirs, rtol=1e-5, atol=1e-6):
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=rtol, atol=atol)


SGD_CASES = [
    {},
    {"momentum": 0.9},
    {"momentum": 0.9, "nesterov": True},
    {"momentum": 0.8, "weight_decay": 0.05},
    {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    {"momentum": 0.5, "dampening": 0.3},
    {"weight_decay": 0.1},
]


@pytest.mark.parametrize("kwargs", SGD_CASES)
def test_sgd_matches_torch(kwargs):
    ours, theirs = _run_both(
        lambda ps: SGD(ps, lr=0.05, **kwargs),
        lambda ps: torch.optim.SGD(ps, lr=0.05, **kwargs),
        skip_some=True,
    )
    _assert_close(ours, theirs)


ADAM_CASES = [{}, {"weight_decay": 0.1}, {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6}]


@pytest.mark.parametrize("kwargs", ADAM_CASES)
@pytest.mark.parametrize("ours_class, torch_class", [(Adam, "Adam"), (AdamW, "AdamW")])
def test_adam_and_adamw_match_torch(kwargs, ours_class, torch_class):
    torch_kwargs = {key: value for key, value in kwargs.items() if not key.startswith("beta")}
    if "beta1" in kwargs:
        torch_kwargs["betas"] = (kwargs["beta1"], kwargs["beta2"])
    ours, theirs = _run_both(
        lambda ps: ours_class(ps, lr=0.01, **kwargs),
        lambda ps: getattr(torch.optim, torch_class)(ps, lr=0.01, **torch_kwargs),
        skip_some=True,
    )
    _assert_close(ours, theirs)


def test_adamw_default_weight_decay_matches_torch():
    ours, theirs = _run_both(
        lambda ps: AdamW(ps, lr=0.01), lambda ps: torch.optim.AdamW(ps, lr=0.01)
    )
    _assert_close(ours, theirs)


def test_float64_parameters_match_torch_closely():
    rng = np.random.default_rng(0)
    value = rng.standard_normal((3, 3))
    ours = Parameter(value.copy())
    theirs = torch.tensor(value.copy(), requires_grad=True)
    optimizer = Adam([ours], lr=0.1, weight_decay=0.01)
    torch_optimizer = torch.optim.Adam([theirs], lr=0.1, weight_decay=0.01)
    for _ in range(STEPS):
        gradient = rng.standard_normal((3, 3))
        ours.grad, theirs.grad = gradient.copy(), torch.tensor(gradient)
        optimizer.step()
        torch_optimizer.step()
    assert ours.dtype == np.float64
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_spec_names_and_zero_grad():
    w = Parameter(ac.ones(3))
    optimizer = SGD([w, w], lr=0.5)
    assert optimizer.parameters == [w]  # duplicates dropped
    w.grad = np.ones(3, np.float32)
    optimizer.update_params()
    np.testing.assert_array_equal(w.data, 0.5)
    optimizer.reset_param_grads()
    assert w.grad is None
    optimizer.update_params()  # no gradient: skipped
    np.testing.assert_array_equal(w.data, 0.5)
    w.grad = np.ones(3, np.float32)
    optimizer.zero_grad()
    assert w.grad is None


def test_step_allocates_no_graph_and_updates_in_place():
    w = Parameter(ac.ones(4))
    data = w.data
    optimizer = Adam([w], lr=0.1)
    (w * w).sum().backward()
    optimizer.step()
    assert w.data is data and w.is_leaf and w.ctx is None


def test_bad_arguments_are_clear_errors():
    w = Parameter(ac.ones(2))
    with pytest.raises(ValueError, match="empty"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="nesterov"):
        SGD([w], nesterov=True)
    with pytest.raises(ValueError, match="lr"):
        Adam([w], lr=-1.0)
    with pytest.raises(ValueError, match="beta1"):
        Adam([w], beta1=1.0)
    with pytest.raises(ValueError, match="req_grad"):
        SGD([ac.ones(2)])


def test_state_dict_round_trip_resumes_identically(tmp_path):
    def make():
        ac.set_random_seed(3)
        return [Parameter(ac.randn(3, 2)), Parameter(ac.randn(2))]

    def gradients(step):
        rng = np.random.default_rng(step)
        return [
            rng.standard_normal((3, 2)).astype(np.float32),
            rng.standard_normal(2).astype(np.float32),
        ]

    reference = make()
    reference_optimizer = Adam(reference, lr=0.05, weight_decay=0.01)
    resumed = make()
    first_optimizer = Adam(resumed, lr=0.05, weight_decay=0.01)
    for step in range(6):
        for optimizer, params in ((reference_optimizer, reference), (first_optimizer, resumed)):
            if step >= 3 and optimizer is first_optimizer:
                continue
            for p, g in zip(params, gradients(step)):
                p.grad = g
            optimizer.step()
        if step == 2:
            save(first_optimizer.state_dict(), tmp_path / "optimizer.npz")
    second_optimizer = Adam(resumed, lr=1.0)
    second_optimizer.load_state_dict(load(tmp_path / "optimizer.npz"))
    assert second_optimizer.lr == 0.05 and second_optimizer.state[resumed[0]]["step"] == 3
    for step in range(3, 6):
        for p, g in zip(resumed, gradients(step)):
            p.grad = g
        second_optimizer.step()
    for p, q in zip(reference, resumed):
        np.testing.assert_array_equal(p.data, q.data)


def test_load_state_dict_rejects_mismatches():
    optimizer = SGD([Parameter(ac.ones(2))], momentum=0.9)
    state = optimizer.state_dict()
    state["param_groups"][0]["lr"] = 0.1
    state["state"] = {0: {"momentum_buffer": np.zeros(3, np.float32)}, 4: {}}
    with pytest.raises(ValueError) as info:
        optimizer.load_state_dict(state)
    assert "shape (3,)" in str(info.value) and "parameter 4" in str(info.value)
    assert optimizer.lr == 0.001
    adam_state = Adam([Parameter(ac.ones(2))]).state_dict()
    with pytest.raises(ValueError, match="another optimizer type"):
        optimizer.load_state_dict(adam_state)
    with pytest.raises(ValueError, match="1 parameter groups"):
        SGD(
            [{"params": [Parameter(ac.ones(2))]}, {"params": [Parameter(ac.ones(2))]}]
        ).load_state_dict(state)
    with pytest.raises(ValueError, match="as returned by state_dict"):
        optimizer.load_state_dict({"type": "SGD"})


# ---------------------------------------------------------------------- schedulers


def _torch_lrs(make_scheduler, steps=30):
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


def _our_lrs(make_scheduler, steps=30):
    optimizer = SGD([Parameter(ac.zeros(1))], lr=0.1)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(steps):
        rates.append(optimizer.lr)
        assert scheduler.get_last_lr() == [optimizer.lr] == scheduler.get_lr()
        optimizer.step()
        scheduler.step()
    return rates


SCHEDULER_CASES = {
    "step": (
        lambda o: lr_schedulers.StepLR(o, step_size=4, gamma=0.5),
        lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=4, gamma=0.5),
    ),
    "cosine": (
        lambda o: lr_schedulers.CosineAnnealingLR(o, T_max=12, eta_min=0.001),
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=12, eta_min=0.001),
    ),
    "linear": (
        lambda o: lr_schedulers.LinearLR(o, start_factor=0.1, total_iters=8),
        lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=8),
    ),
    "linear_decay": (
        lambda o: lr_schedulers.LinearLR(o, start_factor=1.0, end_factor=0.2, total_iters=10),
        lambda o: torch.optim.lr_scheduler.LinearLR(
            o, start_factor=1.0, end_factor=0.2, total_iters=10
        ),
    ),
    "warmup_cosine": (
        lambda o: lr_schedulers.SequentialLR(
            o,
            [lr_schedulers.LinearLR(o, 0.01, 1.0, 5), lr_schedulers.CosineAnnealingLR(o, T_max=20)],
            milestones=[5],
        ),
        lambda o: torch.optim.lr_scheduler.SequentialLR(
            o,
            [
                torch.optim.lr_scheduler.LinearLR(o, 0.01, 1.0, 5),
                torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=20),
            ],
            milestones=[5],
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(SCHEDULER_CASES))
def test_schedulers_match_torch(case):
    ours, theirs = SCHEDULER_CASES[case]
    np.testing.assert_allclose(_our_lrs(ours), _torch_lrs(theirs), rtol=1e-12, atol=1e-15)


def test_linear_warmup_cosine_helper():
    optimizer = SGD([Parameter(ac.zeros(1))], lr=0.1)
    scheduler = lr_schedulers.linear_warmup_cosine(optimizer, warmup_steps=4, total_steps=14)
    rates = []
    for _ in range(15):
        rates.append(optimizer.lr)
        scheduler.step()
    assert rates[0] == pytest.approx(1e-4)
    assert rates[4] == pytest.approx(0.1)
    assert rates[1] < rates[2] < rates[3] < rates[4]
    assert rates[9] == pytest.approx(0.1 * (1 + math.cos(math.pi / 2)) / 2)
    assert rates[14] == pytest.approx(0.0, abs=1e-15)


def test_scheduler_state_dict_resumes():
    optimizer = SGD([Parameter(ac.zeros(1))], lr=0.1)
    scheduler = lr_schedulers.CosineAnnealingLR(optimizer, T_max=10)
    for _ in range(4):
        scheduler.step()
    state = scheduler.state_dict()
    other_optimizer = SGD([Parameter(ac.zeros(1))], lr=0.1)
    other = lr_schedulers.CosineAnnealingLR(other_optimizer, T_max=10)
    other.load_state_dict(state)
    assert other_optimizer.lr == optimizer.lr


# ---------------------------------------------------------------------- clipping


def _clip_pair(rng, scale):
    values = [np.array(rng.standard_normal(shape) * scale, dtype=np.float32) for shape in SHAPES]
    ours = [Parameter(ac.zeros(*shape)) for shape in SHAPES]
    theirs = [torch.zeros(shape, requires_grad=True) for shape in SHAPES]
    for p, q, g in zip(ours, theirs, values):
        p.grad, q.grad = g.copy(), torch.tensor(g)
    return ours, theirs


@pytest.mark.parametrize(
    "max_norm, norm_type", [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (0.3, float("inf"))]
)
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    ours, theirs = _clip_pair(np.random.default_rng(0), 3.0)
    total = clip_grad_norm(ours, max_norm, norm_type)
    torch_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(total, float)
    assert total == pytest.approx(torch_total.item(), rel=1e-6)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_clip_grad_norm_skips_missing_gradients():
    w = Parameter(ac.ones(2))
    assert clip_grad_norm([w], 1.0) == 0.0


def test_clip_grad_value_matches_torch():
    ours, theirs = _clip_pair(np.random.default_rng(1), 2.0)
    clip_grad_value(ours, 0.7)
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad, q.grad.numpy())
    with pytest.raises(ValueError, match="clip_value"):
        clip_grad_value(ours, -1.0)


@pytest.mark.cuda
@pytest.mark.parametrize(
    "make",
    [
        lambda ps: Adam(ps, lr=0.01, weight_decay=0.1),
        lambda ps: AdamW(ps, lr=0.01),
        lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    ],
)
def test_optimizers_on_gpu_match_cpu(make):
    rng = np.random.default_rng(2)
    initial = _parameter_values(rng)
    gradients = _gradient_sequence(rng)
    cpu = [Parameter(value.copy()) for value in initial]
    gpu = [Parameter(ac.tensor(value.copy(), device="cuda")) for value in initial]
    cpu_optimizer, gpu_optimizer = make(cpu), make(gpu)
    for step_gradients in gradients:
        for p, q, g in zip(cpu, gpu, step_gradients):
            p.grad, q.grad = g.copy(), ac.tensor(g, device="cuda").data
        cpu_optimizer.step()
        gpu_optimizer.step()
    for p, q in zip(cpu, gpu):
        assert q.device == "cuda:0"
        np.testing.assert_allclose(q.as_numpy(), p.data, rtol=1e-5, atol=1e-6)


@pytest.mark.cuda
def test_clipping_on_gpu():
    values = [np.array([3.0, 4.0], np.float32), np.array([[12.0]], np.float32)]
    params = [Parameter(ac.zeros(*v.shape, device="cuda")) for v in values]
    for p, v in zip(params, values):
        p.grad = ac.tensor(v, device="cuda").data
    assert clip_grad_norm(params, 1.0) == pytest.approx(13.0)
    np.testing.assert_allclose(params[0].grad.get(), values[0] / 13.0, rtol=1e-5)
    clip_grad_value(params, 0.1)
    assert float(abs(params[1].grad).max()) == pytest.approx(0.1)
