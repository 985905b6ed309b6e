"""Learning-rate schedulers with `torch.optim.lr_scheduler`'s names, arguments and values.

A scheduler sets `param_groups[i]["lr"]` of its optimizer when it is created (step 0) and on
every `step()`, called once per epoch or iteration after `optimizer.step()`. Each group's
starting rate is kept as `group["initial_lr"]`, the base of the schedule. Rates are computed in
closed form from that base (equal to PyTorch's recursive updates up to rounding), so one
schedule per optimizer applies; use `SequentialLR` to run several one after another.

>>> import autocompyute as ac
>>> from autocompyute.optim import SGD
>>> optimizer = SGD([ac.zeros(2, req_grad=True)], lr=0.1)
>>> scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
>>> rates = []
>>> for _ in range(5):
...     rates.append(round(scheduler.get_last_lr()[0], 6))
...     scheduler.step()
>>> rates
[0.1, 0.1, 0.05, 0.05, 0.025]
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import Any

from autocompyute.optim.optimizer import Optimizer

__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
    "linear_warmup_cosine",
]


def _check_optimizer(name: str, optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{name}: expected an Optimizer, got {type(optimizer).__name__}")


def _per_group(name: str, key: str, optimizer: Optimizer, value: Any) -> list[Any]:
    """`value` repeated for every group, or a list with one entry per group."""
    groups = len(optimizer.param_groups)
    if isinstance(value, list | tuple):
        if len(value) != groups:
            raise ValueError(
                f"{name}: expected {groups} values of {key} (one per parameter "
                f"group), got {len(value)}"
            )
        return list(value)
    return [value] * groups


class LRScheduler:
    """Base class: maps a step count to one learning rate per parameter group.

    Subclasses implement `lr_for(base_lr, epoch, index)`, the rate of group `index` after
    `epoch` steps when the group started at `base_lr`.

    Args:
        optimizer: the optimizer whose groups' `lr` are scheduled.

    Attributes:
        last_epoch: the number of `step()` calls so far.
        base_lrs: each group's initial learning rate.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        _check_optimizer(type(self).__name__, optimizer)
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.optimizer = optimizer
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._apply(self.lrs_at(0))

    def lr_for(self, base_lr: float, epoch: int, index: int) -> float:
        """The learning rate of group `index` after `epoch` steps from `base_lr`."""
        raise NotImplementedError(f"{type(self).__name__} does not implement lr_for")

    def lrs_at(self, epoch: int) -> list[float]:
        """The learning rates of all groups after `epoch` steps."""
        return [self.lr_for(base, epoch, index) for index, base in enumerate(self.base_lrs)]

    def _apply(self, lrs: list[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = list(lrs)

    def step(self) -> None:
        """Advances the schedule by one step and updates every group's `lr`."""
        self.last_epoch += 1
        self._apply(self.lrs_at(self.last_epoch))

    def get_last_lr(self) -> list[float]:
        """The learning rates last set, one per parameter group."""
        return list(self._last_lr)

    def get_lr(self) -> list[float]:
        """The learning rates of the current step, one per parameter group."""
        return self.lrs_at(self.last_epoch)

    def state_dict(self) -> dict[str, Any]:
        """The schedule's position and base learning rates."""
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restores a position saved by `state_dict()` and sets the groups' `lr` to match."""
        self.last_epoch = int(state["last_epoch"])
        self.base_lrs = [float(lr) for lr in state["base_lrs"]]
        self._apply(self.lrs_at(self.last_epoch))


def _check_positive_int(name: str, **values: int) -> None:
    for key, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"{name}: {key} must be a positive int, got {value!r}")


class StepLR(LRScheduler):
    """Multiplies the learning rate by `gamma` every `step_size` steps.

    `lr = base_lr * gamma ** (epoch // step_size)`.

    Args:
        optimizer: the optimizer to schedule.
        step_size: steps between decays.
        gamma: decay factor.
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        _check_positive_int("StepLR", step_size=step_size)
        self.step_size = step_size
        self.gamma = float(gamma)
        super().__init__(optimizer)

    def lr_for(self, base_lr: float, epoch: int, index: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class MultiStepLR(LRScheduler):
    """Multiplies the learning rate by `gamma` at each of the `milestones` steps.

    `lr = base_lr * gamma ** (number of milestones <= epoch)`.

    Args:
        optimizer: the optimizer to schedule.
        milestones: increasing step counts.
        gamma: decay factor.
    """

    def __init__(self, optimizer: Optimizer, milestones: Sequence[int], gamma: float = 0.1) -> None:
        milestones = [int(milestone) for milestone in milestones]
        if milestones != sorted(milestones):
            raise ValueError(f"MultiStepLR: milestones must increase, got {milestones}")
        self.milestones = milestones
        self.gamma = float(gamma)
        super().__init__(optimizer)

    def lr_for(self, base_lr: float, epoch: int, index: int) -> float:
        return base_lr * self.gamma ** bisect_right(self.milestones, epoch)


class ExponentialLR(LRScheduler):
    """Multiplies the learning rate by `gamma` every step: `lr = base_lr * gamma ** epoch`.

    Args:
        optimizer: the optimizer to schedule.
        gamma: decay factor per step.
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = float(gamma)
        super().__init__(optimizer)

    def lr_for(self, base_lr: float, epoch: int, index: int) -> float:
        return base_lr * self.gamma**epoch


class LambdaLR(LRScheduler):
    """Scales the learning rate by a user function of the step: `lr = base_lr * f(epoch)`.

    Args:
        optimizer: the optimizer to schedule.
        lr_lambda: a function of the step count, or a list with one per parameter group.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
    ) -> None:
        _check_optimizer("LambdaLR", optimizer)
        self.lr_lambdas = _per_group("LambdaLR", "lr_lambda", optimizer, lr_lambda)
        for function in self.lr_lambdas:
            if not callable(function):
                raise TypeError(
                    f"LambdaLR: lr_lambda must be callable, got {type(function).__name__}"
                )
        super().__init__(optimizer)

    def lr_for(self, base_lr: float, epoch: int, index: int) -> float:
        return base_lr * self.lr_lambdas[index](epoch)


class CosineAnnealingLR(LRScheduler):
    """Anneals the learning rate from `base_lr` to `eta_min` along half a cosine in `T_max` steps.

    `lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2` (after `T_max`
    steps the cosine continues, rising again, as PyTorch's does).

    Args:
        optimizer: the optimizer to schedule.
        T_max: steps from the initial to the minimum learning rate.
        eta_min: the minimum learning rate.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        _check_positive_int("CosineAnnealingLR", T_max=T_max)
        self.T_max = T_max
        self.eta_min = float(eta_min)
        super().__init__(optimizer)

    def lr_for(self, base_lr: float, epoch: int, index: int) -> float:
        cosine = 1 + math.cos(math.pi * epoch / self.T_max)
        return self.eta_min + (base_lr - self.eta_min) * cosine / 2


class LinearLR(LRScheduler):
    """Scales the learning rate linearly from `start_factor` to `end_factor` (linear warm-up).

    `lr = base_lr * (start_factor + (end_factor - start_factor) * min(epoch, total_iters) /
    total_iters)`.

    Args:
        optimizer: the optimizer to schedule.
        start_factor: factor at step 0 (in (0, 1]).
        end_factor: factor from step `total_iters` on (in [0, 1]).
        total_iters: steps of the linear change.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor}")
        _check_positive_int("LinearLR", total_iters=total_iters)
        self.start_factor = float(start_factor)
        self.end_factor = float(end_factor)
        self.total_iters = total_iters
        super().__init__(optimizer)

    def lr_for(self, base_lr: float, epoch: int, index: int) -> float:
        progress = min(epoch, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class OneCycleLR(LRScheduler):
    """The 1cycle policy: warm up to `max_lr`, then anneal far below the start.

    The rate starts at `max_lr / div_factor`, rises to `max_lr` over the first `pct_start` of
    `total_steps`, then falls to `max_lr / div_factor / final_div_factor` (with `three_phase`,
    first back to the start, then down). With `cycle_momentum` the momentum (SGD) or `beta1`
    (Adam) moves the opposite way between `max_momentum` and `base_momentum`. Stepping past
    `total_steps` raises ValueError, as in PyTorch.

    Args:
        optimizer: the optimizer to schedule.
        max_lr: peak learning rate (or one per group).
        total_steps: steps of the cycle; or give `epochs` and `steps_per_epoch`.
        epochs: number of epochs (with `steps_per_epoch`).
        steps_per_epoch: steps per epoch (with `epochs`).
        pct_start: fraction of the cycle spent rising.
        anneal_strategy: "cos" or "linear".
        cycle_momentum: cycle the momentum inversely to the learning rate.
        base_momentum: lowest momentum (or one per group).
        max_momentum: highest momentum (or one per group).
        div_factor: `max_lr / initial lr`.
        final_div_factor: `initial lr / final lr`.
        three_phase: use three phases (up, back down to the start, then annihilate).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | Sequence[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | Sequence[float] = 0.85,
        max_momentum: float | Sequence[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
    ) -> None:
        name = "OneCycleLR"
        _check_optimizer(name, optimizer)
        if total_steps is not None:
            _check_positive_int(name, total_steps=total_steps)
        elif epochs is not None and steps_per_epoch is not None:
            _check_positive_int(name, epochs=epochs, steps_per_epoch=steps_per_epoch)
            total_steps = epochs * steps_per_epoch
        else:
            raise ValueError(f"{name}: give total_steps, or epochs and steps_per_epoch")
        if not 0 <= pct_start <= 1:
            raise ValueError(f"{name}: pct_start must be in [0, 1], got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"{name}: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}"
            )
        self.total_steps = total_steps
        self.anneal_strategy = anneal_strategy
        rise_end = float(pct_start * total_steps) - 1
        if three_phase:
            self._phases = [
                (rise_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (
                    float(2 * pct_start * total_steps) - 2,
                    "max_lr",
                    "initial_lr",
                    "base_momentum",
                    "max_momentum",
                ),
                (total_steps - 1.0, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        else:
            self._phases = [
                (rise_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (total_steps - 1.0, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]
        for group, peak in zip(
            optimizer.param_groups, _per_group(name, "max_lr", optimizer, max_lr)
        ):
            group["initial_lr"] = peak / div_factor
            group["max_lr"] = peak
            group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = bool(cycle_momentum)
        self._use_beta1 = "betas" in optimizer.defaults
        if self.cycle_momentum:
            if "momentum" not in optimizer.defaults and not self._use_beta1:
                raise ValueError(
                    f"{name}: cycle_momentum needs an optimizer with momentum or betas"
                )
            for group, highest, lowest in zip(
                optimizer.param_groups,
                _per_group(name, "max_momentum", optimizer, max_momentum),
                _per_group(name, "base_momentum", optimizer, base_momentum),
            ):
                group["max_momentum"], group["base_momentum"] = highest, lowest
                self._set_momentum(group, highest)
        super().__init__(optimizer)

    def _set_momentum(self, group: dict[str, Any], momentum: float) -> None:
        if self._use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum

    def _anneal(self, start: float, end: float, fraction: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * fraction) + 1)
        return (end - start) * fraction + start

    def _position(self, epoch: int) -> tuple[tuple[float, str, str, str, str], float]:
        """The phase `epoch` falls in and the fraction of that phase done."""
        if epoch > self.total_steps:
            raise ValueError(
                f"OneCycleLR: tried to step {epoch} times, but total_steps is {self.total_steps}"
            )
        start = 0.0
        for number, phase in enumerate(self._phases):
            if epoch <= phase[0] or number == len(self._phases) - 1:
                return phase, (epoch - start) / (phase[0] - start)
            start = phase[0]
        raise AssertionError("unreachable: the last phase always matches")

    def lrs_at(self, epoch: int) -> list[float]:
        phase, fraction = self._position(epoch)
        return [
            self._anneal(group[phase[1]], group[phase[2]], fraction)
            for group in self.optimizer.param_groups
        ]

    def _apply(self, lrs: list[float]) -> None:
        super()._apply(lrs)
        if self.cycle_momentum:
            phase, fraction = self._position(self.last_epoch)
            for group in self.optimizer.param_groups:
                self._set_momentum(group, self._anneal(group[phase[3]], group[phase[4]], fraction))


class SequentialLR(LRScheduler):
    """Runs schedulers one after another, switching at the given step milestones.

    Scheduler `i` starts from its own step 0 at `milestones[i - 1]`.

    Args:
        optimizer: the optimizer all schedulers belong to.
        schedulers: the schedulers in order.
        milestones: the steps at which to switch (one fewer than schedulers, increasing).
    """

    def __init__(
        self, optimizer: Optimizer, schedulers: Sequence[LRScheduler], milestones: Sequence[int]
    ) -> None:
        if not schedulers:
            raise ValueError("SequentialLR: needs at least one scheduler")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"SequentialLR: needs one milestone fewer than schedulers, got "
                f"{len(schedulers)} schedulers and {len(milestones)} milestones"
            )
        if list(milestones) != sorted(milestones):
            raise ValueError(f"SequentialLR: milestones must increase, got {list(milestones)}")
        for scheduler in schedulers:
            if scheduler.optimizer is not optimizer:
                raise ValueError("SequentialLR: all schedulers must belong to its optimizer")
        self.schedulers = list(schedulers)
        self.milestones = [int(milestone) for milestone in milestones]
        super().__init__(optimizer)

    def lrs_at(self, epoch: int) -> list[float]:
        index = bisect_right(self.milestones, epoch)
        start = self.milestones[index - 1] if index else 0
        return self.schedulers[index].lrs_at(epoch - start)


class ReduceLROnPlateau:
    """Multiplies the learning rate by `factor` when a metric stops improving.

    Call `step(metric)` after each evaluation. After more than `patience` steps without an
    improvement (by `threshold`, relative or absolute), every group's rate is reduced (never
    below `min_lr`, and only by more than `eps`), then `cooldown` steps pass before counting
    again.

    Args:
        optimizer: the optimizer to schedule.
        mode: "min" (the metric should fall) or "max".
        factor: reduction factor (< 1).
        patience: steps without improvement tolerated.
        threshold: how much better counts as an improvement.
        threshold_mode: "rel" (relative to the best) or "abs".
        cooldown: steps to wait after a reduction.
        min_lr: lower bound of the rate (or one per group).
        eps: smallest change applied.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | Sequence[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        name = "ReduceLROnPlateau"
        _check_optimizer(name, optimizer)
        if not factor < 1.0:
            raise ValueError(f"{name}: factor must be < 1, got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"{name}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"{name}: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}"
            )
        self.optimizer = optimizer
        self.min_lrs = [float(lr) for lr in _per_group(name, "min_lr", optimizer, min_lr)]
        self.mode, self.factor, self.patience = mode, float(factor), int(patience)
        self.threshold, self.threshold_mode = float(threshold), threshold_mode
        self.cooldown, self.eps = int(cooldown), float(eps)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [float(group["lr"]) for group in optimizer.param_groups]

    def _is_better(self, value: float) -> bool:
        if self.threshold_mode == "rel":
            scale = 1 - self.threshold if self.mode == "min" else 1 + self.threshold
            bound = self.best * scale
        else:
            bound = self.best - self.threshold if self.mode == "min" else self.best + self.threshold
        return value < bound if self.mode == "min" else value > bound

    def step(self, metrics: Any) -> None:
        """Records one evaluation of the metric (a number or 0-d tensor)."""
        value = float(metrics)
        self.last_epoch += 1
        if self._is_better(value):
            self.best = value
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, lowest in zip(self.optimizer.param_groups, self.min_lrs):
                old = float(group["lr"])
                new = max(old * self.factor, lowest)
                if old - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [float(group["lr"]) for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates after the last step, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """The counters and the best metric so far."""
        return {
            "best": self.best,
            "num_bad_epochs": self.num_bad_epochs,
            "cooldown_counter": self.cooldown_counter,
            "last_epoch": self.last_epoch,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restores counters saved by `state_dict()`."""
        self.best = float(state["best"])
        self.num_bad_epochs = int(state["num_bad_epochs"])
        self.cooldown_counter = int(state["cooldown_counter"])
        self.last_epoch = int(state["last_epoch"])


def linear_warmup_cosine(
    optimizer: Optimizer,
    warmup_steps: int,
    total_steps: int,
    start_factor: float = 1e-3,
    eta_min: float = 0.0,
) -> SequentialLR:
    """Linear warm-up for `warmup_steps`, then cosine annealing to `eta_min` at `total_steps`.

    Args:
        optimizer: the optimizer to schedule.
        warmup_steps: steps of the warm-up from `start_factor * lr` to `lr`.
        total_steps: the step at which the learning rate reaches `eta_min`.
        start_factor: the warm-up's starting fraction of the learning rate.
        eta_min: the final learning rate.
    """
    if total_steps <= warmup_steps:
        raise ValueError(
            f"linear_warmup_cosine: total_steps ({total_steps}) must exceed "
            f"warmup_steps ({warmup_steps})"
        )
    warmup = LinearLR(optimizer, start_factor, 1.0, warmup_steps)
    cosine = CosineAnnealingLR(optimizer, total_steps - warmup_steps, eta_min)
    return SequentialLR(optimizer, [warmup, cosine], [warmup_steps])
