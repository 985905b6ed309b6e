"""Optimizers: SGD (with momentum and Nesterov), Adam and AdamW.

Updates follow the formulas of `torch.optim` (single-tensor implementations) step for step, so
runs can be compared with PyTorch. They change `param.data` in place with array ops (no graph)
and write intermediates into reused scratch arrays, so a step allocates nothing after the first.
Parameters whose `grad` is None are skipped (their state does not advance).

Typical loop::

    optimizer = Adam(model.parameters(), lr=1e-3)
    for x, y in dataloader:
        loss = F.cross_entropy_loss(model(x), y)
        optimizer.zero_grad()        # or reset_param_grads()
        loss.backward()
        optimizer.step()             # or update_params()
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy

from autocompyute.backend import array_module, device_of, move_array
from autocompyute.tensor import Tensor

__all__ = ["SGD", "Adam", "AdamW", "Optimizer"]

_ndarray = numpy.ndarray


class Optimizer:
    """Base class: holds the parameters, the learning rate and per-parameter state.

    Args:
        parameters: tensors to optimize (e.g. `model.parameters()`); duplicates are dropped.
        lr: learning rate (schedulers change `optimizer.lr`).

    Attributes:
        parameters: the list of optimized tensors.
        lr: the current learning rate.
        state: one dict of state arrays per parameter (empty until its first update).
    """

    _hyperparameter_names: tuple[str, ...] = ("lr",)

    def __init__(self, parameters: Iterable[Tensor], lr: float) -> None:
        name = type(self).__name__
        if isinstance(parameters, Tensor):
            raise TypeError(
                f"{name}: parameters must be an iterable of tensors, e.g. "
                "model.parameters(), got a single Tensor; wrap it in a list"
            )
        unique: list[Tensor] = []
        seen: set[int] = set()
        for parameter in parameters:
            if not isinstance(parameter, Tensor):
                raise TypeError(
                    f"{name}: parameters must be tensors, got {type(parameter).__name__}"
                )
            if not parameter.req_grad or not parameter.is_leaf:
                raise ValueError(f"{name}: can only optimize leaf tensors with req_grad=True")
            if id(parameter) not in seen:
                seen.add(id(parameter))
                unique.append(parameter)
        if not unique:
            raise ValueError(f"{name}: got an empty list of parameters")
        _check_non_negative(name, lr=lr)
        self.parameters = unique
        self.lr = float(lr)
        self.state: list[dict[str, Any]] = [{} for _ in unique]
        self._scratch: dict[tuple[Any, ...], Any] = {}
        self._workspaces: list[tuple[Any, Any, Any, Any] | None] = [None] * len(unique)

    # ------------------------------------------------------------------ steps

    def zero_grad(self) -> None:
        """Sets the gradients of all parameters to None (before the next backward)."""
        for parameter in self.parameters:
            parameter.grad = None

    reset_param_grads = zero_grad

    def step(self) -> None:
        """Updates every parameter that has a gradient."""
        raise NotImplementedError

    def update_params(self) -> None:
        """Same as `step()` (the name the original AutoCompyute uses)."""
        self.step()

    def _with_grads(self) -> Iterator[tuple[Any, dict[str, Any], tuple[Any, Any, Any, Any]]]:
        """Yields `(grad, state, (data, xp, scratch, other_scratch))` per parameter with a gradient.

        `xp` is the array module of the parameter's `data`; the scratch arrays are reusable and
        uninitialised, shaped like `data` (see `_workspace`).
        """
        workspaces = self._workspaces
        for index, (parameter, state) in enumerate(zip(self.parameters, self.state)):
            grad = parameter.grad
            if grad is None:
                continue
            workspace = workspaces[index]
            if workspace is None or workspace[0] is not parameter.data:
                workspace = self._workspace(index, parameter.data)
            yield grad, state, workspace

    def _workspace(self, index: int, data: Any) -> tuple[Any, Any, Any, Any]:
        """Builds `(data, xp, scratch, other_scratch)` for parameter `index` and caches it.

        The scratch arrays are views into flat buffers shared by all parameters of one dtype and
        device (only one parameter is updated at a time); the cache holds until `data` changes.
        """
        xp = numpy if type(data) is _ndarray else array_module(data)
        views = []
        for slot in (0, 1):
            key = (
                slot,
                data.dtype,
                type(data),
                None if type(data) is _ndarray else device_of(data),
            )
            flat = self._scratch.get(key)
            if flat is None or flat.size < data.size:
                size = max(
                    (
                        p.data.size
                        for p in self.parameters
                        if p.data.dtype == data.dtype and type(p.data) is type(data)
                    ),
                    default=data.size,
                )
                flat = self._scratch[key] = xp.empty(max(size, data.size), dtype=data.dtype)
            views.append(flat[: data.size].reshape(data.shape))
        workspace = self._workspaces[index] = (data, xp, views[0], views[1])
        return workspace

    # ------------------------------------------------------------------ state

    def hyperparameters(self) -> dict[str, Any]:
        """The optimizer's settings (learning rate, betas, ...) as a dict."""
        return {name: getattr(self, name) for name in self._hyperparameter_names}

    def state_dict(self) -> dict[str, Any]:
        """Returns the optimizer's settings and copies of its state arrays.

        Layout: `{"type": class name, "hyperparameters": {...}, "state": {index: {...}}}`,
        where `index` is the parameter's position in `optimizer.parameters`. It can be saved
        with `autocompyute.save`.
        """
        state = {
            index: {
                key: value.copy() if hasattr(value, "shape") else value
                for key, value in entry.items()
            }
            for index, entry in enumerate(self.state)
            if entry
        }
        return {
            "type": type(self).__name__,
            "hyperparameters": self.hyperparameters(),
            "state": state,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores settings and state saved by `state_dict()` (arrays are copied).

        Raises:
            ValueError: if the state belongs to another optimizer type or does not fit the
                parameters (count, shapes or dtypes); nothing is changed then.
        """
        name = type(self).__name__
        problems: list[str] = []
        if state_dict.get("type") != name:
            problems.append(f"state is for a {state_dict.get('type')!r} optimizer")
        hyperparameters = state_dict.get("hyperparameters", {})
        unknown = sorted(set(hyperparameters) - set(self._hyperparameter_names))
        if unknown:
            problems.append(f"unknown hyperparameters {unknown}")
        entries = {int(index): entry for index, entry in state_dict.get("state", {}).items()}
        for index, entry in entries.items():
            if not 0 <= index < len(self.parameters):
                problems.append(
                    f"state for parameter {index}, but there are only "
                    f"{len(self.parameters)} parameters"
                )
                continue
            data = self.parameters[index].data
            for key, value in entry.items():
                if hasattr(value, "shape") and (
                    tuple(value.shape) != data.shape or value.dtype != data.dtype
                ):
                    problems.append(
                        f"parameter {index} {key!r}: state has shape {tuple(value.shape)} "
                        f"dtype {value.dtype}, the parameter {data.shape} {data.dtype}"
                    )
        if problems:
            raise ValueError(
                f"{name}.load_state_dict: the state does not fit (nothing was "
                "changed):\n  " + "\n  ".join(problems)
            )
        for key, value in hyperparameters.items():
            setattr(self, key, value)
        self.state = [{} for _ in self.parameters]
        for index, entry in entries.items():
            device = device_of(self.parameters[index].data)
            restored: dict[str, Any] = {}
            for key, value in entry.items():
                if hasattr(value, "shape"):
                    array = value.data if isinstance(value, Tensor) else value
                    moved = move_array(array, device)
                    value = moved.copy() if moved is array else moved
                restored[key] = value
            self.state[index] = restored


def _check_non_negative(name: str, **values: float) -> None:
    for key, value in values.items():
        if not value >= 0:
            raise ValueError(f"{name}: {key} must be >= 0, got {value}")


def _check_beta(name: str, **values: float) -> None:
    for key, value in values.items():
        if not 0 <= value < 1:
            raise ValueError(f"{name}: {key} must be in [0, 1), got {value}")


def _add_weight_decay(xp: Any, grad: Any, data: Any, weight_decay: float, out: Any) -> Any:
    """Returns `grad + weight_decay * data` (the L2 penalty's gradient added), written to `out`."""
    xp.multiply(data, weight_decay, out=out)
    out += grad
    return out


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay.

    Per step, with gradient `g` of parameter `p`:
    `g += weight_decay * p`; `buf = g` on the first step, then `buf = momentum * buf +
    (1 - dampening) * g`; `g = g + momentum * buf` (Nesterov) or `g = buf`; `p -= lr * g`.

    Args:
        parameters: tensors to optimize.
        lr: learning rate.
        momentum: momentum factor (0 disables momentum).
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening 0).
        weight_decay: L2 penalty added to the gradient.
        dampening: dampening of the momentum.

    >>> import autocompyute as ac
    >>> w = ac.tensor([1.0, 2.0], req_grad=True)
    >>> (w * w).sum().backward()
    >>> SGD([w], lr=0.1).step()
    >>> w
    Tensor([0.8000, 1.6000], dtype=float32, device=cpu, req_grad=True)
    """

    _hyperparameter_names = ("lr", "momentum", "nesterov", "weight_decay", "dampening")

    def __init__(
        self,
        parameters: Iterable[Tensor],
        lr: float = 0.001,
        momentum: float = 0,
        nesterov: bool = False,
        weight_decay: float = 0,
        dampening: float = 0,
    ) -> None:
        super().__init__(parameters, lr)
        _check_non_negative("SGD", momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov needs momentum > 0 and dampening = 0")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.weight_decay = float(weight_decay)
        self.dampening = float(dampening)

    def step(self) -> None:
        lr, momentum, weight_decay = self.lr, self.momentum, self.weight_decay
        for grad, state, (data, xp, update, decayed) in self._with_grads():
            if weight_decay:
                grad = _add_weight_decay(xp, grad, data, weight_decay, out=decayed)
            if momentum:
                buffer = state.get("momentum_buffer")
                if buffer is None:
                    buffer = state["momentum_buffer"] = grad.copy()
                else:
                    buffer *= momentum
                    if self.dampening:
                        xp.multiply(grad, 1 - self.dampening, out=update)
                        buffer += update
                    else:
                        buffer += grad
                if self.nesterov:
                    xp.multiply(buffer, momentum, out=update)
                    update += grad
                    grad = update
                else:
                    grad = buffer
            xp.multiply(grad, -lr, out=update)
            data += update


class Adam(Optimizer):
    """Adam: adaptive moment estimation, with optional L2 weight decay added to the gradient.

    Per step t (counted per parameter), with gradient `g`:
    `g += weight_decay * p`; `m += (1 - beta1) * (g - m)`; `v = beta2 * v + (1 - beta2) * g * g`;
    `p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)`.

    Args:
        parameters: tensors to optimize.
        lr: learning rate.
        beta1: decay rate of the first moment (mean of gradients).
        beta2: decay rate of the second moment (mean of squared gradients).
        eps: added to the denominator for numerical stability.
        weight_decay: L2 penalty added to the gradient (see `AdamW` for decoupled decay).
    """

    _hyperparameter_names = ("lr", "beta1", "beta2", "eps", "weight_decay")
    _decoupled = False

    def __init__(
        self,
        parameters: Iterable[Tensor],
        lr: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0,
    ) -> None:
        super().__init__(parameters, lr)
        name = type(self).__name__
        _check_beta(name, beta1=beta1, beta2=beta2)
        _check_non_negative(name, eps=eps, weight_decay=weight_decay)
        self.beta1 = float(beta1)
        self.beta2 = float(beta2)
        self.eps = float(eps)
        self.weight_decay = float(weight_decay)

    def step(self) -> None:
        lr, beta1, beta2, eps = self.lr, self.beta1, self.beta2, self.eps
        weight_decay, decoupled = self.weight_decay, self._decoupled
        first_weight, second_weight = 1 - beta1, 1 - beta2
        corrected_step = -1  # the step count the two factors below were computed for
        step_factor = correction = 0.0
        for grad, state, (data, xp, scratch, other) in self._with_grads():
            if not state:
                state["step"] = 0
                state["exp_avg"] = xp.zeros_like(data)
                state["exp_avg_sq"] = xp.zeros_like(data)
            step = state["step"] = state["step"] + 1
            if step != corrected_step:
                corrected_step = step
                step_factor = -lr / (1 - beta1**step)
                correction = (1 - beta2**step) ** 0.5
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            if weight_decay:
                if decoupled:
                    data *= 1 - lr * weight_decay
                else:
                    grad = _add_weight_decay(xp, grad, data, weight_decay, out=other)
            # first moment as a linear interpolation towards g (PyTorch's lerp)
            xp.subtract(grad, exp_avg, out=scratch)
            scratch *= first_weight
            exp_avg += scratch
            exp_avg_sq *= beta2
            xp.multiply(grad, second_weight, out=scratch)
            scratch *= grad
            exp_avg_sq += scratch
            # `other` may hold the decayed gradient up to here; it is free from now on
            denominator = xp.sqrt(exp_avg_sq, out=scratch)
            denominator /= correction
            denominator += eps
            xp.multiply(exp_avg, step_factor, out=other)
            other /= denominator
            data += other


class AdamW(Adam):
    """Adam with decoupled weight decay: `p *= 1 - lr * weight_decay` before the Adam update.

    Args:
        parameters: tensors to optimize.
        lr: learning rate.
        beta1: decay rate of the first moment.
        beta2: decay rate of the second moment.
        eps: added to the denominator for numerical stability.
        weight_decay: decoupled weight decay coefficient.
    """

    _decoupled = True

    def __init__(
        self,
        parameters: Iterable[Tensor],
        lr: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.01,
    ) -> None:
        super().__init__(parameters, lr, beta1, beta2, eps, weight_decay)
