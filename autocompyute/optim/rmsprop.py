"""RMSprop: gradients divided by a running root mean square, optionally centered."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autocompyute.optim.optimizer import Optimizer, add_weight_decay, check_non_negative

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop, step for step as `torch.optim.RMSprop`.

    Per step, with gradient `g`: `g += weight_decay * p`; `v = alpha * v + (1 - alpha) g^2`;
    centered: `m += (1 - alpha) (g - m)` and `d = sqrt(v - m^2) + eps`, else
    `d = sqrt(v) + eps`; with momentum `buf = momentum * buf + g / d` and `p -= lr * buf`,
    else `p -= lr * g / d`.

    Args:
        params: tensors or parameter-group dicts to optimize.
        lr: learning rate.
        alpha: smoothing constant of the squared-gradient average.
        eps: added to the denominator for numerical stability.
        weight_decay: L2 penalty added to the gradient.
        momentum: momentum factor.
        centered: normalize by the estimated variance instead of the second moment.
        maximize: ascend the objective instead of descending.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            {
                "lr": lr,
                "alpha": alpha,
                "eps": eps,
                "weight_decay": weight_decay,
                "momentum": momentum,
                "centered": centered,
                "maximize": maximize,
            },
        )

    def _check_options(self, group: dict[str, Any]) -> None:
        super()._check_options(group)
        check_non_negative(
            "RMSprop",
            alpha=group["alpha"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            momentum=group["momentum"],
        )

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        weight_decay, centered = group["weight_decay"], group["centered"]
        for grad, state, (data, xp, scratch, other) in self._with_grads(group):
            if not state:
                state["step"] = 0
                state["square_avg"] = xp.zeros_like(data)
                if momentum > 0:
                    state["momentum_buffer"] = xp.zeros_like(data)
                if centered:
                    state["grad_avg"] = xp.zeros_like(data)
            state["step"] += 1
            if weight_decay:
                grad = add_weight_decay(xp, grad, data, weight_decay, out=other)
            square_avg = state["square_avg"]
            square_avg *= alpha
            xp.multiply(grad, 1 - alpha, out=scratch)
            scratch *= grad
            square_avg += scratch
            if centered:
                grad_avg = state["grad_avg"]
                xp.subtract(grad, grad_avg, out=scratch)
                scratch *= 1 - alpha
                grad_avg += scratch
                xp.multiply(grad_avg, grad_avg, out=scratch)
                xp.subtract(square_avg, scratch, out=scratch)
                denominator = xp.sqrt(scratch, out=scratch)
            else:
                denominator = xp.sqrt(square_avg, out=scratch)
            denominator += eps
            if momentum > 0:
                buffer = state["momentum_buffer"]
                buffer *= momentum
                xp.divide(grad, denominator, out=scratch)
                buffer += scratch
                xp.multiply(buffer, -lr, out=scratch)
            else:
                xp.divide(grad, denominator, out=scratch)
                scratch *= -lr
            data += scratch
