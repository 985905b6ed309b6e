"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autocompyute.optim.optimizer import Optimizer, add_weight_decay, check_non_negative

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, step for step as `torch.optim.SGD`.

    Per step, with gradient `g` of parameter `p`:
    `g += weight_decay * p`; `buf = g` on the first step, then `buf = momentum * buf +
    (1 - dampening) * g`; `g = g + momentum * buf` (Nesterov) or `g = buf`; `p -= lr * g`.

    Args:
        params: tensors or parameter-group dicts to optimize.
        lr: learning rate.
        momentum: momentum factor (0 disables momentum).
        dampening: dampening of the momentum.
        weight_decay: L2 penalty added to the gradient.
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening 0).
        maximize: ascend the objective instead of descending.

    >>> import autocompyute as ac
    >>> w = ac.tensor([1.0, 2.0], req_grad=True)
    >>> (w * w).sum().backward()
    >>> SGD([w], lr=0.1).step()
    >>> w
    Tensor([0.8000, 1.6000], dtype=float32, device=cpu, req_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 0.001,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            {
                "lr": lr,
                "momentum": momentum,
                "dampening": dampening,
                "weight_decay": weight_decay,
                "nesterov": nesterov,
                "maximize": maximize,
            },
        )

    def _check_options(self, group: dict[str, Any]) -> None:
        super()._check_options(group)
        check_non_negative("SGD", momentum=group["momentum"], weight_decay=group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: nesterov needs momentum > 0 and dampening = 0")

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
        dampening, nesterov = group["dampening"], group["nesterov"]
        for grad, state, (data, xp, update, decayed) in self._with_grads(group):
            if weight_decay:
                grad = add_weight_decay(xp, grad, data, weight_decay, out=decayed)
            if momentum:
                buffer = state.get("momentum_buffer")
                if buffer is None:
                    buffer = state["momentum_buffer"] = grad.copy()
                else:
                    buffer *= momentum
                    if dampening:
                        xp.multiply(grad, 1 - dampening, out=update)
                        buffer += update
                    else:
                        buffer += grad
                if nesterov:
                    xp.multiply(buffer, momentum, out=update)
                    update += grad
                    grad = update
                else:
                    grad = buffer
            xp.multiply(grad, -lr, out=update)
            data += update
