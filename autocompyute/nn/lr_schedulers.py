"""Learning-rate schedulers: step decay, cosine annealing, linear warm-up and their chaining.

A scheduler sets `optimizer.lr` when it is created (step 0) and on every `step()`, which is
called once per epoch or iteration after `optimizer.step()`. Learning rates follow PyTorch's
StepLR, CosineAnnealingLR, LinearLR and SequentialLR, computed in closed form from the
optimizer's initial learning rate.

>>> import autocompyute as ac
>>> from autocompyute.nn.optimizers import SGD
>>> optimizer = SGD([ac.zeros(2, req_grad=True)], lr=0.1)
>>> scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
>>> rates = []
>>> for _ in range(5):
...     rates.append(round(scheduler.get_lr(), 6))
...     scheduler.step()
>>> rates
[0.1, 0.1, 0.05, 0.05, 0.025]
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from autocompyute.nn.optimizers import Optimizer

__all__ = [
    "CosineAnnealingLR",
    "LRScheduler",
    "LinearLR",
    "SequentialLR",
    "StepLR",
    "linear_warmup_cosine",
]


class LRScheduler:
    """Base class: maps a step count to a learning rate and writes it to `optimizer.lr`.

    Args:
        optimizer: the optimizer whose `lr` is scheduled. Its learning rate when the first
            scheduler is attached is kept as `optimizer.initial_lr`, the base of every schedule.

    Attributes:
        last_epoch: the number of `step()` calls so far.
        base_lr: the initial learning rate the schedule scales.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}"
            )
        if not hasattr(optimizer, "initial_lr"):
            optimizer.initial_lr = optimizer.lr  # type: ignore[attr-defined]
        self.optimizer = optimizer
        self.base_lr: float = optimizer.initial_lr  # type: ignore[attr-defined]
        self.last_epoch = 0
        self.optimizer.lr = self.lr_at(0)

    def lr_at(self, epoch: int) -> float:
        """The learning rate after `epoch` steps."""
        raise NotImplementedError

    def step(self) -> None:
        """Advances the schedule by one step and updates `optimizer.lr`."""
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)

    def get_lr(self) -> float:
        """The current learning rate."""
        return self.lr_at(self.last_epoch)

    def state_dict(self) -> dict[str, Any]:
        """The schedule's position and base learning rate."""
        return {"last_epoch": self.last_epoch, "base_lr": self.base_lr}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restores a position saved by `state_dict()` and sets `optimizer.lr` to match."""
        self.last_epoch = int(state["last_epoch"])
        self.base_lr = float(state["base_lr"])
        self.optimizer.lr = self.lr_at(self.last_epoch)


def _check_positive_int(name: str, **values: int) -> None:
    for key, value in values.items():
        if not isinstance(value, int) or value <= 0:
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

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


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

    def lr_at(self, epoch: int) -> float:
        cosine = 1 + math.cos(math.pi * epoch / self.T_max)
        return self.eta_min + (self.base_lr - self.eta_min) * cosine / 2


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

    def lr_at(self, epoch: int) -> float:
        progress = min(epoch, self.total_iters) / self.total_iters
        return self.base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


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

    def lr_at(self, epoch: int) -> float:
        index = bisect_right(self.milestones, epoch)
        start = self.milestones[index - 1] if index else 0
        return self.schedulers[index].lr_at(epoch - start)


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
