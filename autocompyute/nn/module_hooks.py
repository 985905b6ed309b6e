"""Module hooks (forward pre-hooks, forward hooks, full backward hooks) and the hooked call.

`Module.__call__` takes the plain path (`forward` only) unless a hook is registered or the
profiler records; then `call_module` runs, in PyTorch's order: forward pre-hooks, forward,
forward hooks, and, for full backward hooks, identity ops on the inputs and outputs that
collect `grad_input` and `grad_output` during backward.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from autocompyute import _engine
from autocompyute.autograd.hooks import RemovableHandle
from autocompyute.autograd.op import Op
from autocompyute.profiler.scopes import enter_module_scope, exit_module_scope

__all__ = ["ModuleHooks", "add_module_hook", "call_module"]

_KINDS = ("forward_pre", "forward", "backward")


class ModuleHooks:
    """The hooks of one module, by kind, each in call order: key -> (hook, with_kwargs)."""

    def __init__(self) -> None:
        self.forward_pre: OrderedDict[int, tuple[Callable[..., Any], bool]] = OrderedDict()
        self.forward: OrderedDict[int, tuple[Callable[..., Any], bool]] = OrderedDict()
        self.backward: OrderedDict[int, tuple[Callable[..., Any], bool]] = OrderedDict()

    def __bool__(self) -> bool:
        return bool(self.forward_pre or self.forward or self.backward)


_next_key = [0]


def add_module_hook(
    module: Any, kind: str, hook: Callable[..., Any], prepend: bool, with_kwargs: bool
) -> RemovableHandle:
    """Registers `hook` of `kind` ("forward_pre", "forward", "backward") on `module`."""
    if kind not in _KINDS:
        raise ValueError(f"unknown module hook kind {kind!r}")
    if not callable(hook):
        raise TypeError(f"register_{kind}_hook: expected a callable, got {type(hook).__name__}")
    hooks = module.__dict__.get("_hooks")
    if hooks is None:
        hooks = ModuleHooks()
        object.__setattr__(module, "_hooks", hooks)
    registry: OrderedDict[int, tuple[Callable[..., Any], bool]] = getattr(hooks, kind)
    _next_key[0] += 1
    registry[_next_key[0]] = (hook, with_kwargs)
    if prepend:
        registry.move_to_end(_next_key[0], last=False)
    return RemovableHandle(registry, _next_key[0])


def call_module(module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Calls `module.forward` with its hooks and, while the profiler records, inside its scope."""
    token = enter_module_scope(module)
    try:
        hooks: ModuleHooks | None = module.__dict__.get("_hooks")
        if not hooks:
            return module.forward(*args, **kwargs)
        return _call_with_hooks(module, hooks, args, kwargs)
    finally:
        exit_module_scope(token)


def _call_with_hooks(
    module: Any, hooks: ModuleHooks, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    for hook, with_kwargs in list(hooks.forward_pre.values()):
        if with_kwargs:
            result = hook(module, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"forward pre-hook {_name(hook)} registered with with_kwargs=True must "
                        f"return None or an (args, kwargs) tuple, got {type(result).__name__}"
                    )
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    state = None
    if hooks.backward and _engine.is_grad_enabled():
        state = BackwardHookState(module, [hook for hook, _ in hooks.backward.values()])
        args = state.wrap_inputs(args)
    output = module.forward(*args, **kwargs)
    for hook, with_kwargs in list(hooks.forward.values()):
        result = hook(module, args, kwargs, output) if with_kwargs else hook(module, args, output)
        if result is not None:
            output = result
    if state is not None:
        output = state.wrap_outputs(output)
    return output


def _name(hook: Any) -> str:
    return getattr(hook, "__qualname__", None) or type(hook).__name__


class BackwardHookState:
    """One hooked module call: collects grad_output and grad_input, then calls the hooks."""

    def __init__(self, module: Any, hooks: list[Callable[..., Any]]) -> None:
        self.module = module
        self.hooks = hooks
        self.input_nodes: list[Any] = []  # identity op of each input tensor requiring grad
        self.output_nodes: list[Any] = []
        self.grad_inputs: list[Any] = []
        self.grad_outputs: list[Any] = []
        self.replacement: tuple[Any, ...] | None = None

    def wrap_inputs(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        wrapped = []
        slot = 0
        for arg in args:
            if isinstance(arg, _engine.TensorCore):
                if arg.req_grad:
                    arg = _engine.apply(ModuleInputGrad, arg, state=self, index=slot)
                    self.input_nodes.append(arg.ctx)
                else:
                    self.input_nodes.append(None)
                slot += 1
            wrapped.append(arg)
        self.grad_inputs = [None] * slot
        return tuple(wrapped)

    def wrap_outputs(self, output: Any) -> Any:
        def wrap(tensor: Any) -> Any:
            if isinstance(tensor, _engine.TensorCore) and tensor.req_grad:
                index = len(self.grad_outputs)
                self.grad_outputs.append(None)
                tensor = _engine.apply(ModuleOutputGrad, tensor, state=self, index=index)
                self.output_nodes.append(tensor.ctx)
            elif isinstance(tensor, _engine.TensorCore):
                self.grad_outputs.append(None)
                self.output_nodes.append(None)
            return tensor

        if isinstance(output, tuple | list):
            return type(output)(wrap(item) for item in output)
        return wrap(output)

    def output_grad_arrived(self, index: int, grad: Any) -> None:
        self.grad_outputs[index] = _engine.wrap(grad)
        if any(
            node is not None and _engine.is_pending_in_backward(node)
            for i, node in enumerate(self.output_nodes)
            if i != index
        ):
            return
        if not any(
            node is not None and _engine.is_pending_in_backward(node) for node in self.input_nodes
        ):
            self._call_hooks()  # no input will receive a gradient: grad_input is all None

    def input_grad_arrived(self, index: int, grad: Any) -> Any:
        position = index
        self.grad_inputs[position] = _engine.wrap(grad)
        pending = [
            node
            for i, node in enumerate(self.input_nodes)
            if node is not None and i != position and _engine.is_pending_in_backward(node)
        ]
        if pending:
            return grad
        passed = tuple(self.grad_inputs)
        replacement = self._call_hooks()
        if replacement is None:
            return grad
        # The other inputs' gradients have flowed on already: they can only be kept as passed.
        changed = [
            i
            for i, (new, old) in enumerate(zip(replacement, passed))
            if i != position and new is not old
        ]
        if changed:
            raise RuntimeError(
                f"full backward hook of {type(self.module).__name__}: replacing grad_input is "
                "supported for the input that received its gradient last only; return the "
                f"other entries unchanged (grad_input[{changed[0]}] was replaced)"
            )
        value = replacement[position]
        array = value.data if isinstance(value, _engine.TensorCore) else value
        if array is None or tuple(array.shape) != tuple(grad.shape) or array.dtype != grad.dtype:
            raise ValueError(
                f"full backward hook of {type(self.module).__name__} returned "
                f"grad_input[{position}] of {_describe(array)}; expected shape "
                f"{tuple(grad.shape)} and dtype {grad.dtype}"
            )
        return array

    def _call_hooks(self) -> tuple[Any, ...] | None:
        grad_input = tuple(self.grad_inputs)
        grad_output = tuple(self.grad_outputs)
        replacement = None
        for hook in self.hooks:
            result = hook(self.module, grad_input, grad_output)
            if result is not None:
                result = tuple(result) if isinstance(result, tuple | list) else (result,)
                if len(result) != len(grad_input):
                    raise ValueError(
                        f"full backward hook {_name(hook)} of {type(self.module).__name__} "
                        f"returned {len(result)} gradients, expected {len(grad_input)} (one "
                        "per input tensor)"
                    )
                grad_input = replacement = result
        return replacement


def _describe(array: Any) -> str:
    if array is None:
        return "None"
    return f"shape {tuple(array.shape)} and dtype {array.dtype}"


class ModuleInputGrad(Op):
    """Identity on a hooked module's input; its backward hands grad_input to the hooks."""

    def forward(self, x: Any, state: BackwardHookState, index: int) -> Any:
        return x

    def backward(self, grad: Any) -> Any:
        return self.kwargs["state"].input_grad_arrived(self.kwargs["index"], grad)


class ModuleOutputGrad(Op):
    """Identity on a hooked module's output; its backward records grad_output."""

    def forward(self, x: Any, state: BackwardHookState, index: int) -> Any:
        return x

    def backward(self, grad: Any) -> Any:
        self.kwargs["state"].output_grad_arrived(self.kwargs["index"], grad)
        return grad
