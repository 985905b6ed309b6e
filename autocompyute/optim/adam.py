"""Adam and AdamW (decoupled weight decay), with optional AMSGrad."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autocompyute import kernels
from autocompyute.optim.optimizer import (
    Optimizer,
    add_weight_decay,
    check_beta,
    check_non_negative,
)

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam: adaptive moment estimation, step for step as `torch.optim.Adam`.

    Per step t (counted per parameter), with gradient `g`:
    `g += weight_decay * p` (AdamW instead: `p *= 1 - lr * weight_decay`);
    `m += (1 - beta1) * (g - m)`; `v = beta2 * v + (1 - beta2) * g * g`;
    with AMSGrad `v_max = max(v_max, v)` replaces `v` below;
    `p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)`.

    Args:
        params: tensors or parameter-group dicts to optimize.
        lr: learning rate.
        betas: decay rates `(beta1, beta2)` of the first and second moments.
        eps: added to the denominator for numerical stability.
        weight_decay: L2 penalty added to the gradient (see `AdamW` for decoupled decay).
        amsgrad: use the maximum of all second moments so far (AMSGrad).
        maximize: ascend the objective instead of descending.
        beta1: keyword alias of `betas[0]` (the original AutoCompyute's spelling).
        beta2: keyword alias of `betas[1]`.
    """

    _decoupled = False

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        beta1: float | None = None,
        beta2: float | None = None,
    ) -> None:
        if beta1 is not None or beta2 is not None:
            betas = (betas[0] if beta1 is None else beta1, betas[1] if beta2 is None else beta2)
        super().__init__(
            params,
            {
                "lr": lr,
                "betas": tuple(betas),
                "eps": eps,
                "weight_decay": weight_decay,
                "amsgrad": amsgrad,
                "maximize": maximize,
            },
        )

    def _check_options(self, group: dict[str, Any]) -> None:
        super()._check_options(group)
        name = type(self).__name__
        betas = group["betas"]
        if len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        group["betas"] = (float(betas[0]), float(betas[1]))
        check_beta(name, beta1=betas[0], beta2=betas[1])
        check_non_negative(name, eps=group["eps"], weight_decay=group["weight_decay"])

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, amsgrad, decoupled = group["weight_decay"], group["amsgrad"], self._decoupled
        first_weight, second_weight = 1 - beta1, 1 - beta2
        corrected_step = -1  # the step count the two factors below were computed for
        step_factor = correction = 0.0
        # parameters for the compiled kernel, all updated in one call after the loop:
        # (params, grads, exp_avgs, exp_avg_sqs, steps)
        batch: tuple[list[Any], ...] = ([], [], [], [], [])
        for grad, state, (data, xp, scratch, other) in self._with_grads(group):
            if not state:
                state["step"] = 0
                state["exp_avg"] = xp.zeros_like(data)
                state["exp_avg_sq"] = xp.zeros_like(data)
                if amsgrad:
                    state["max_exp_avg_sq"] = xp.zeros_like(data)
            step = state["step"] = state["step"] + 1
            if not amsgrad and _compiled_update(data, grad, state):
                entry = (data, grad, state["exp_avg"], state["exp_avg_sq"], step)
                for items, item in zip(batch, entry):
                    items.append(item)
                continue
            if step != corrected_step:
                corrected_step = step
                step_factor = -lr / (1 - beta1**step)
                correction = (1 - beta2**step) ** 0.5
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            if weight_decay:
                if decoupled:
                    data *= 1 - lr * weight_decay
                else:
                    grad = add_weight_decay(xp, grad, data, weight_decay, out=other)
            # first moment as a linear interpolation towards g (PyTorch's lerp)
            xp.subtract(grad, exp_avg, out=scratch)
            scratch *= first_weight
            exp_avg += scratch
            exp_avg_sq *= beta2
            xp.multiply(grad, second_weight, out=scratch)
            scratch *= grad
            exp_avg_sq += scratch
            second_moment = exp_avg_sq
            if amsgrad:
                second_moment = xp.maximum(
                    state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"]
                )
            # `other` may hold the decayed gradient up to here; it is free from now on
            denominator = xp.sqrt(second_moment, out=scratch)
            denominator /= correction
            denominator += eps
            xp.multiply(exp_avg, step_factor, out=other)
            other /= denominator
            data += other
        if batch[0]:
            kernels.adam_update(
                *batch,
                lr=lr,
                beta1=beta1,
                beta2=beta2,
                eps=eps,
                weight_decay=weight_decay,
                decoupled=decoupled,
            )


def _compiled_update(data: Any, grad: Any, state: dict[str, Any]) -> bool:
    """Whether the compiled kernel can update this parameter in place."""
    arrays = (data, state["exp_avg"], state["exp_avg_sq"])
    return kernels.compiled(data, grad) and all(array.flags.c_contiguous for array in arrays)


class AdamW(Adam):
    """Adam with decoupled weight decay: `p *= 1 - lr * weight_decay` before the Adam update.

    Same arguments as `Adam`; `weight_decay` defaults to 0.01 as in `torch.optim.AdamW`.
    """

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        beta1: float | None = None,
        beta2: float | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            beta1=beta1,
            beta2=beta2,
        )
