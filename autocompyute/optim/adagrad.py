"""Adagrad: per-element learning rates from the sum of all squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autocompyute.optim.optimizer import Optimizer, add_weight_decay, check_non_negative

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad, step for step as `torch.optim.Adagrad`.

    Per step t, with gradient `g`: `g += weight_decay * p`; `s += g^2`;
    `p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)`.

    Args:
        params: tensors or parameter-group dicts to optimize.
        lr: learning rate.
        lr_decay: learning-rate decay per step.
        weight_decay: L2 penalty added to the gradient.
        initial_accumulator_value: starting value of the squared-gradient sum.
        eps: added to the denominator for numerical stability.
        maximize: ascend the objective instead of descending.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 0.01,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            {
                "lr": lr,
                "lr_decay": lr_decay,
                "weight_decay": weight_decay,
                "initial_accumulator_value": initial_accumulator_value,
                "eps": eps,
                "maximize": maximize,
            },
        )

    def _check_options(self, group: dict[str, Any]) -> None:
        super()._check_options(group)
        check_non_negative(
            "Adagrad",
            lr_decay=group["lr_decay"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            initial_accumulator_value=group["initial_accumulator_value"],
        )

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, lr_decay, eps, weight_decay = (
            group["lr"],
            group["lr_decay"],
            group["eps"],
            group["weight_decay"],
        )
        for grad, state, (data, xp, scratch, other) in self._with_grads(group):
            if not state:
                state["step"] = 0
                state["sum"] = xp.full_like(data, group["initial_accumulator_value"])
            step = state["step"] = state["step"] + 1
            if weight_decay:
                grad = add_weight_decay(xp, grad, data, weight_decay, out=other)
            total = state["sum"]
            xp.multiply(grad, grad, out=scratch)
            total += scratch
            denominator = xp.sqrt(total, out=scratch)
            denominator += eps
            xp.divide(grad, denominator, out=scratch)
            scratch *= -lr / (1 + (step - 1) * lr_decay)
            data += scratch
