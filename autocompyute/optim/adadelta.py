"""Adadelta: steps scaled by running averages of squared gradients and squared updates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autocompyute.optim.optimizer import Optimizer, add_weight_decay, check_non_negative

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta, step for step as `torch.optim.Adadelta`.

    Per step, with gradient `g`: `g += weight_decay * p`; `v = rho v + (1 - rho) g^2`;
    `delta = sqrt(u + eps) / sqrt(v + eps) * g`; `u = rho u + (1 - rho) delta^2`;
    `p -= lr * delta`.

    Args:
        params: tensors or parameter-group dicts to optimize.
        lr: factor applied to the update.
        rho: smoothing constant of both running averages.
        eps: added inside both square roots for numerical stability.
        weight_decay: L2 penalty added to the gradient.
        maximize: ascend the objective instead of descending.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize},
        )

    def _check_options(self, group: dict[str, Any]) -> None:
        super()._check_options(group)
        if not 0 <= group["rho"] <= 1:
            raise ValueError(f"Adadelta: rho must be in [0, 1], got {group['rho']}")
        check_non_negative("Adadelta", eps=group["eps"], weight_decay=group["weight_decay"])

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, rho, eps, weight_decay = group["lr"], group["rho"], group["eps"], group["weight_decay"]
        for grad, state, (data, xp, scratch, other) in self._with_grads(group):
            if not state:
                state["step"] = 0
                state["square_avg"] = xp.zeros_like(data)
                state["acc_delta"] = xp.zeros_like(data)
            state["step"] += 1
            if weight_decay:
                grad = add_weight_decay(xp, grad, data, weight_decay, out=other)
            square_avg, acc_delta = state["square_avg"], state["acc_delta"]
            square_avg *= rho
            xp.multiply(grad, 1 - rho, out=scratch)
            scratch *= grad
            square_avg += scratch
            # delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * grad, built in `scratch`
            # (`other` holds the decayed gradient, so the denominator goes into `delta` last)
            delta = xp.add(acc_delta, eps, out=scratch)
            xp.sqrt(delta, out=delta)
            delta /= xp.sqrt(square_avg + eps)
            delta *= grad
            acc_delta *= rho
            acc_delta += (1 - rho) * delta * delta
            delta *= -lr
            data += delta
