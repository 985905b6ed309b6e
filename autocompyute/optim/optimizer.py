"""The `Optimizer` base class: parameter groups, per-parameter state and state dicts.

Optimizers follow `torch.optim`: `param_groups` is a list of dicts, each with its `"params"`
and its own options (`lr`, `weight_decay`, ...); `state` maps each parameter to a dict of its
state arrays. Updates change `param.data` in place with array ops (no graph) and write
intermediates into reused scratch arrays, so a step allocates little after the first.
Parameters whose `grad` is None are skipped (their state does not advance).

Typical loop::

    optimizer = optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}], lr=1e-3)
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy

from autocompyute.backend import array_module, device_of, move_array
from autocompyute.profiler.scopes import enter_scope, exit_scope, is_recording
from autocompyute.tensor import Tensor

__all__ = ["Optimizer"]

_ndarray = numpy.ndarray

# (grad, state, (data, xp, scratch, other_scratch)) for one parameter with a gradient
Workspace = tuple[Any, Any, Any, Any]


class Optimizer:
    """Base class: holds parameter groups, their options and the per-parameter state.

    Args:
        params: an iterable of tensors (e.g. `model.parameters()`), or of dicts, each with a
            `"params"` entry and options that override `defaults` for that group.
        defaults: the options of every group that does not set them itself.

    Attributes:
        param_groups: list of dicts with `"params"` (list of tensors) and the group's options;
            writable (schedulers set `param_groups[i]["lr"]`).
        state: maps each parameter to the dict of its state (empty until its first update).
        defaults: the default options.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(
                f"{name}: params must be an iterable of tensors or dicts, e.g. "
                "model.parameters(), got a single Tensor; wrap it in a list"
            )
        if isinstance(params, dict):
            params = [params]
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[Tensor, dict[str, Any]] = {}
        self._scratch: dict[tuple[Any, ...], Any] = {}
        self._workspaces: dict[int, Workspace] = {}
        groups = list(params)
        if not groups:
            raise ValueError(f"{name}: got an empty list of parameters")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Adds a group of parameters with its own options (missing ones from `defaults`).

        Raises:
            TypeError: if the group is not a dict with tensors in `"params"`.
            ValueError: if a parameter is not a leaf that requires grad, is already in another
                group, or an option is out of range.
        """
        name = type(self).__name__
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError(
                f"{name}: a parameter group must be a dict with a 'params' entry, "
                f"got {type(param_group).__name__}"
            )
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        unique: list[Tensor] = []
        for parameter in params:
            if not isinstance(parameter, Tensor):
                raise TypeError(
                    f"{name}: parameters must be tensors, got {type(parameter).__name__}"
                )
            if not parameter.req_grad or not parameter.is_leaf:
                raise ValueError(f"{name}: can only optimize leaf tensors with req_grad=True")
            if all(parameter is not other for other in unique):
                unique.append(parameter)
        existing = {id(parameter) for group in self.param_groups for parameter in group["params"]}
        if any(id(parameter) in existing for parameter in unique):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        group = {**self.defaults, **param_group, "params": unique}
        self._check_options(group)
        self.param_groups.append(group)

    def _check_options(self, group: dict[str, Any]) -> None:
        """Raises ValueError for an option out of range (subclasses extend it)."""
        check_non_negative(type(self).__name__, lr=group["lr"])

    # ------------------------------------------------------------------ access

    @property
    def parameters(self) -> list[Tensor]:
        """All optimized tensors, group after group (the original AutoCompyute's attribute)."""
        return [parameter for group in self.param_groups for parameter in group["params"]]

    @property
    def lr(self) -> float:
        """The learning rate of the first group; setting it sets every group's."""
        return float(self.param_groups[0]["lr"])

    @lr.setter
    def lr(self, value: float) -> None:
        for group in self.param_groups:
            group["lr"] = value

    # ------------------------------------------------------------------ steps

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clears the gradients of all parameters (before the next backward).

        Args:
            set_to_none: set `grad` to None (PyTorch's default); otherwise fill it with zeros.
        """
        for parameter in self.parameters:
            if set_to_none:
                parameter.grad = None
            elif parameter.grad is not None:
                parameter.grad[...] = 0

    reset_param_grads = zero_grad

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Updates every parameter that has a gradient.

        Args:
            closure: optional function that recomputes the loss (calling backward); it is
                called first and its result returned.
        """
        loss = closure() if closure is not None else None
        # while the profiler records, the update is a scope with PyTorch's name
        token = enter_scope(f"Optimizer.step#{type(self).__name__}.step") if is_recording() else -1
        try:
            for group in self.param_groups:
                self._update_group(group)
        finally:
            exit_scope(token)
        return loss

    def update_params(self) -> None:
        """Same as `step()` (the name the original AutoCompyute uses)."""
        self.step()

    def _update_group(self, group: dict[str, Any]) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement its update")

    def _with_grads(self, group: dict[str, Any]) -> Iterator[tuple[Any, dict[str, Any], Workspace]]:
        """Yields `(grad, state, (data, xp, scratch, other_scratch))` per parameter of `group`
        with a gradient (negated when the group maximizes).

        `xp` is the array module of the parameter's `data`; the scratch arrays are reusable and
        uninitialised, shaped like `data` (see `_workspace`).
        """
        maximize = group.get("maximize", False)
        for parameter in group["params"]:
            grad = parameter.grad
            if grad is None:
                continue
            workspace = self._workspaces.get(id(parameter))
            if workspace is None or workspace[0] is not parameter.data:
                workspace = self._workspace(parameter)
            state = self.state.get(parameter)
            if state is None:
                state = self.state[parameter] = {}
            yield (-grad if maximize else grad), state, workspace

    def _workspace(self, parameter: Tensor) -> Workspace:
        """Builds `(data, xp, scratch, other_scratch)` for `parameter` and caches it.

        The scratch arrays are views into flat buffers shared by all parameters of one dtype and
        device (only one parameter is updated at a time); the cache holds until `data` changes.
        """
        data = parameter.data
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
        workspace = self._workspaces[id(parameter)] = (data, xp, views[0], views[1])
        return workspace

    # ------------------------------------------------------------------ state dicts

    def state_dict(self) -> dict[str, Any]:
        """Returns the groups' options and copies of the state arrays, as PyTorch lays it out.

        Layout: `{"state": {index: {...}}, "param_groups": [{options..., "params": [index,
        ...]}]}`, where `index` numbers the parameters group after group. It can be saved with
        `autocompyute.save`.
        """
        indices = {id(parameter): index for index, parameter in enumerate(self.parameters)}
        state = {
            indices[id(parameter)]: {
                key: value.copy() if hasattr(value, "shape") else value
                for key, value in entry.items()
            }
            for parameter, entry in self.state.items()
            if entry
        }
        groups = [
            {
                **{key: value for key, value in group.items() if key != "params"},
                "params": [indices[id(parameter)] for parameter in group["params"]],
            }
            for group in self.param_groups
        ]
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores options and state saved by `state_dict()` (arrays are copied).

        Raises:
            ValueError: if the state does not fit the parameter groups (count, sizes, shapes,
                dtypes) or lacks this optimizer's options; nothing is changed then.
        """
        name = type(self).__name__
        problems: list[str] = []
        groups = state_dict.get("param_groups") if isinstance(state_dict, dict) else None
        if not isinstance(groups, list | tuple):
            raise ValueError(
                f"{name}.load_state_dict: expected a dict with 'state' and "
                "'param_groups' as returned by state_dict()"
            )
        if len(groups) != len(self.param_groups):
            problems.append(
                f"the state has {len(groups)} parameter groups, the optimizer "
                f"{len(self.param_groups)}"
            )
        for index, (saved, group) in enumerate(zip(groups, self.param_groups)):
            if len(saved.get("params", ())) != len(group["params"]):
                problems.append(
                    f"group {index} has {len(saved.get('params', ()))} parameters "
                    f"in the state, {len(group['params'])} in the optimizer"
                )
            missing = sorted(set(self.defaults) - set(saved))
            if missing:
                problems.append(
                    f"group {index} lacks the options {missing} (is the state "
                    f"from another optimizer type?)"
                )
        parameters = self.parameters
        entries = {int(index): entry for index, entry in state_dict.get("state", {}).items()}
        for index, entry in entries.items():
            if not 0 <= index < len(parameters):
                problems.append(
                    f"state for parameter {index}, but there are only {len(parameters)} parameters"
                )
                continue
            data = parameters[index].data
            for key, value in entry.items():
                if (
                    hasattr(value, "shape")
                    and value.ndim
                    and (tuple(value.shape) != data.shape or value.dtype != data.dtype)
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
        for saved, group in zip(groups, self.param_groups):
            for key, value in saved.items():
                if key != "params":
                    group[key] = tuple(value) if isinstance(value, list) else value
        self.state = {}
        for index, entry in entries.items():
            device = device_of(parameters[index].data)
            restored: dict[str, Any] = {}
            for key, value in entry.items():
                if hasattr(value, "shape") and value.ndim:
                    array = value.data if isinstance(value, Tensor) else value
                    moved = move_array(array, device)
                    value = moved.copy() if moved is array else moved
                elif hasattr(value, "shape"):
                    value = value.item()
                restored[key] = value
            self.state[parameters[index]] = restored

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            lines.extend(
                f"    {key}: {value}" for key, value in sorted(group.items()) if key != "params"
            )
        return "\n".join(lines) + "\n)"


def check_non_negative(name: str, **values: float) -> None:
    """Raises ValueError naming optimizer `name` and the option if a value is negative or nan."""
    for key, value in values.items():
        if not value >= 0:
            raise ValueError(f"{name}: {key} must be >= 0, got {value}")


def check_beta(name: str, **values: float) -> None:
    """Raises ValueError naming optimizer `name` and the option if a value is not in [0, 1)."""
    for key, value in values.items():
        if not 0 <= value < 1:
            raise ValueError(f"{name}: {key} must be in [0, 1), got {value}")


def add_weight_decay(xp: Any, grad: Any, data: Any, weight_decay: float, out: Any) -> Any:
    """Returns `grad + weight_decay * data` (the L2 penalty's gradient added), written to `out`."""
    xp.multiply(data, weight_decay, out=out)
    out += grad
    return out
