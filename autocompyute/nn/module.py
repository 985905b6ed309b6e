"""The `Module` base class and the tensors it owns: `Parameter` (trained) and `Buffer` (state).

A module registers every `Parameter`, `Buffer` and `Module` assigned to one of its attributes,
in assignment order. The registered objects also stay ordinary instance attributes, so reading
`self.weight` in `forward` costs a plain attribute lookup.

Layers register their tensors under PyTorch's names (`weight`, `bias`, `running_mean`, ...), so
`named_parameters()` and `state_dict()` give PyTorch's keys. The original AutoCompyute's names
(`w`, `b`, `rmean`, `rvar`) stay as aliases: a layer class lists them in `aliases`, reading,
assigning or deleting an alias acts on the PyTorch-named attribute, and `load_state_dict`
accepts keys under either name.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, Literal

import numpy

from autocompyute import _engine
from autocompyute.autograd.hooks import RemovableHandle
from autocompyute.backend import Device, device_of, get_device, move_array
from autocompyute.dtypes import to_dtype
from autocompyute.nn.module_hooks import ModuleHooks, add_module_hook, call_module
from autocompyute.tensor import Tensor

__all__ = ["Buffer", "Module", "Parameter"]

_ndarray = numpy.ndarray


class Parameter(Tensor):
    """A trainable tensor: always a leaf that requires grad, registered by modules.

    Args:
        data: a Tensor (its array is shared, not copied) or array-like float values.
        label: name shown in graph drawings (layers pass e.g. "Weights" or "Biases").

    >>> p = Parameter(numpy.zeros((2, 3), dtype="float32"))
    >>> p.req_grad, p.shape
    (True, (2, 3))
    """

    __slots__ = ()

    def __init__(self, data: Any, label: str | None = "Parameter") -> None:
        array = data.data if isinstance(data, Tensor) else data
        super().__init__(array)
        if self.data.dtype.kind != "f":
            raise TypeError(f"Parameter: data must have a float dtype, got {self.data.dtype}")
        self.label = label
        self.req_grad = True

    def __repr__(self) -> str:
        return "Parameter" + _tensor_repr_body(self)

    def __reduce__(self) -> tuple[Any, ...]:
        # copy.deepcopy and pickle rebuild a Parameter (not a plain Tensor), with its gradient
        return (_rebuild_parameter, (self.data, self.grad, self.label))


class Buffer(Tensor):
    """A tensor of module state that is saved in state dicts but never trained.

    Examples are batch-norm running statistics.

    Args:
        data: a Tensor (its array is shared, not copied) or array-like values.
        label: name shown in graph drawings.

    >>> Buffer(numpy.ones(2, dtype="float32")).req_grad
    False
    """

    __slots__ = ()

    def __init__(self, data: Any, label: str | None = "Buffer") -> None:
        array = data.data if isinstance(data, Tensor) else data
        super().__init__(array)
        self.label = label

    def __repr__(self) -> str:
        return "Buffer" + _tensor_repr_body(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Buffer, (self.data, self.label))


def _rebuild_parameter(data: Any, grad: Any, label: str | None) -> Parameter:
    parameter = Parameter(data, label=label)
    parameter.grad = grad
    return parameter


def _tensor_repr_body(tensor: Tensor) -> str:
    text = Tensor.__repr__(tensor)
    return text[len("Tensor") :]


class Module:
    """Base class of neural-network layers and models.

    Subclasses call `super().__init__()` first, assign their parameters, buffers and
    sub-modules to attributes, and implement `forward`. Calling the module runs `forward`.

    Attributes:
        training: whether the module is in training mode (see `train` and `eval`).

    >>> class Affine(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = Parameter(numpy.ones((2, 3), dtype="float32"))
    ...     def forward(self, x):
    ...         return x @ self.w.T
    >>> Affine().n_params
    6
    """

    # The original AutoCompyute's attribute names -> the PyTorch names they stand for.
    aliases: ClassVar[Mapping[str, str]] = {}

    training: bool
    _hooks: ModuleHooks | None = None  # set on the instance by the first register_*_hook
    _parameters: OrderedDict[str, Parameter]
    _buffers: OrderedDict[str, Buffer]
    _modules: OrderedDict[str, Module]

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: resolve the original library's names.
        canonical = type(self).aliases.get(name)
        if canonical is not None:
            return getattr(self, canonical)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        name = type(self).aliases.get(name, name)
        if "_parameters" not in self.__dict__:
            if isinstance(value, Parameter | Buffer | Module):
                raise AttributeError(
                    f"{type(self).__name__}: call super().__init__() before assigning "
                    f"parameters, buffers or sub-modules (assigning {name!r})"
                )
            object.__setattr__(self, name, value)
            return
        parameters, buffers, modules = self._parameters, self._buffers, self._modules
        # a name belongs to at most one registry; replacing keeps its position (as in PyTorch)
        target = (
            parameters
            if isinstance(value, Parameter)
            else buffers
            if isinstance(value, Buffer)
            else modules
            if isinstance(value, Module)
            else None
        )
        for registry in (parameters, buffers, modules):
            if registry is not target:
                registry.pop(name, None)
        if target is not None:
            target[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        name = type(self).aliases.get(name, name)
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, parameter: Parameter) -> None:
        """Registers `parameter` under `name` (same as assigning it to an attribute)."""
        if not isinstance(parameter, Parameter):
            raise TypeError(
                f"register_parameter: expected a Parameter, got {type(parameter).__name__}"
            )
        setattr(self, name, parameter)

    def register_buffer(
        self, name: str, buffer: Buffer | Tensor | None, persistent: bool = True
    ) -> None:
        """Registers `buffer` (a Buffer, or a Tensor wrapped into one) under `name`.

        Args:
            name: attribute name.
            buffer: the tensor (None sets the attribute to None, as in PyTorch).
            persistent: False keeps the buffer out of `state_dict()`.
        """
        if buffer is None:
            setattr(self, name, None)
            return
        if not isinstance(buffer, Tensor):
            raise TypeError(f"register_buffer: expected a Tensor, got {type(buffer).__name__}")
        setattr(self, name, buffer if isinstance(buffer, Buffer) else Buffer(buffer))
        non_persistent = self.__dict__.setdefault("_non_persistent", set())
        if persistent:
            non_persistent.discard(name)
        else:
            non_persistent.add(name)

    def register_module(self, name: str, module: Module) -> None:
        """Registers `module` under `name` (same as assigning it to an attribute)."""
        if not isinstance(module, Module):
            raise TypeError(f"register_module: expected a Module, got {type(module).__name__}")
        setattr(self, name, module)

    # ------------------------------------------------------------------ forward

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Computes the module's output; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} does not implement forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._hooks is None and not _engine.watch_flags():
            return self.forward(*args, **kwargs)
        # hooks, or the profiler records (then the call is a scope named by the module's path)
        return call_module(self, args, kwargs)

    # ------------------------------------------------------------------ hooks

    def register_forward_pre_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """Registers `hook(module, args)`, called before `forward`; it may return new args.

        With `with_kwargs`, `hook(module, args, kwargs)` may return `(args, kwargs)`. Hooks run
        in registration order (`prepend` puts this one first). Returns a handle with remove().
        """
        return add_module_hook(self, "forward_pre", hook, prepend, with_kwargs)

    def register_forward_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """Registers `hook(module, args, output)`, called after `forward`; it may return a new
        output. With `with_kwargs`: `hook(module, args, kwargs, output)`.

        >>> import autocompyute as ac
        >>> layer = ac.nn.Linear(2, 2)
        >>> handle = layer.register_forward_hook(lambda module, args, out: out * 0 + 1)
        >>> layer(ac.ones(1, 2)).data.tolist()
        [[1.0, 1.0]]
        >>> handle.remove()
        """
        return add_module_hook(self, "forward", hook, prepend, with_kwargs)

    def register_full_backward_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """Registers `hook(module, grad_input, grad_output)`, called during backward once the
        gradients w.r.t. the module's input tensors are computed.

        `grad_output` holds the gradient w.r.t. each output tensor, `grad_input` w.r.t. each
        positional input tensor (None where it does not require grad). The hook may return a
        replacement for `grad_input` (with several input tensors requiring grad, only the
        entry of the one whose gradient came last may change; see docs/porting.md).
        """
        return add_module_hook(self, "backward", hook, prepend, False)

    # ------------------------------------------------------------------ traversal

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """Yields (dotted name, module) for this module ("" for itself) and every descendant.

        A module reachable along several paths is yielded once.
        """
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [
                (f"{name}.{child_name}" if name else child_name, child)
                for child_name, child in module._modules.items()
            ]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        """Yields this module and every descendant module (each once)."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Yields (name, module) for the direct sub-modules."""
        seen: set[int] = set()
        for name, module in self._modules.items():
            if id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """Yields the direct sub-modules."""
        for _, module in self.named_children():
            yield module

    def named_parameters(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """Yields (dotted name, parameter), e.g. ("lin1.weight", ...); shared parameters once."""
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Yields every parameter of this module and (with `recurse`) its descendants, once."""
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Buffer]]:
        """Yields (dotted name, buffer) for this module and its descendants."""
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Buffer]:
        """Yields every buffer of this module and (with `recurse`) its descendants, once."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def _named_members(
        self, registry: str, prefix: str, recurse: bool
    ) -> Iterator[tuple[str, Any]]:
        modules = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        seen: set[int] = set()
        for module_name, module in modules:
            for name, member in getattr(module, registry).items():
                if id(member) in seen:
                    continue
                seen.add(id(member))
                yield (f"{module_name}.{name}" if module_name else name), member

    @property
    def n_params(self) -> int:
        """The number of trainable values (elements of all parameters, shared ones once)."""
        return sum(int(parameter.data.size) for parameter in self.parameters())

    # ------------------------------------------------------------------ modes and devices

    def train(self, mode: bool = True) -> Module:
        """Sets training mode (`mode=True`) or evaluation mode on this module and descendants."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Sets evaluation mode (e.g. dropout off, batch norm uses running statistics)."""
        return self.train(False)

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Moves and/or casts all parameters, their gradients and buffers, in place.

        Accepts PyTorch's forms: `to(device)`, `to(dtype)`, `to(device, dtype)`, `to(tensor)`
        (its device and dtype) and the keywords `device`, `dtype`, `non_blocking`. Casting
        changes only floating-point tensors. The Parameter and Buffer objects stay the same
        (optimizers keep working); only their arrays change. Returns the module itself.
        """
        device, dtype = _device_and_dtype("Module.to", args, kwargs)
        for tensor in (*self.parameters(), *self.buffers()):
            for attribute in ("data", "grad"):
                array = getattr(tensor, attribute)
                if array is None:
                    continue
                if device is not None:
                    array = move_array(array, device)
                if dtype is not None and array.dtype.kind == "f" and array.dtype != dtype:
                    array = array.astype(dtype)
                setattr(tensor, attribute, array)
        return self

    def double(self) -> Module:
        """Casts floating-point parameters and buffers to float64 (see `to`)."""
        return self.to(dtype="float64")

    def float(self) -> Module:
        """Casts floating-point parameters and buffers to float32 (see `to`)."""
        return self.to(dtype="float32")

    def half(self) -> Module:
        """Casts floating-point parameters and buffers to float16 (see `to`)."""
        return self.to(dtype="float16")

    def type(self, dst_type: Any) -> Module:
        """Casts floating-point parameters and buffers to `dst_type` (see `to`)."""
        return self.to(dtype=dst_type)

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Calls `fn` on every sub-module (children first, as PyTorch does) and on itself.

        Typical use is initialization: `model.apply(init_weights)`. Returns the module.
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Sets whether autograd records operations on the parameters (freezing layers)."""
        for parameter in self.parameters():
            parameter.req_grad = bool(requires_grad)
        return self

    def get_submodule(self, target: str) -> Module:
        """The sub-module at dotted path `target` ("" for this module)."""
        module: Module = self
        for part in target.split(".") if target else ():
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(
                    f"{type(module).__name__} has no sub-module {part!r} (looking up {target!r})"
                )
            module = child
        return module

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at dotted path `target`, e.g. "encoder.0.weight"."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        name = type(module).aliases.get(name, name)
        if name not in module._parameters:
            raise AttributeError(f"{type(module).__name__} has no parameter {name!r}")
        return module._parameters[name]

    def cpu(self) -> Module:
        """Moves the module to the CPU (see `to`)."""
        return self.to("cpu")

    def cuda(self, index: int = 0) -> Module:
        """Moves the module to GPU `index` (see `to`)."""
        return self.to(f"cuda:{index}")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clears the gradients of all parameters: None (default), or zeros in place."""
        for parameter in self.parameters():
            if set_to_none:
                parameter.grad = None
            elif parameter.grad is not None:
                parameter.grad[...] = 0

    # ------------------------------------------------------------------ state dicts

    def state_dict(
        self, names: Literal["torch", "autocompyute"] = "torch"
    ) -> OrderedDict[str, Any]:
        """Returns copies of all parameter and buffer arrays, keyed by dotted name.

        Each module contributes its parameters, then its buffers, then its sub-modules' entries
        (e.g. "lin1.weight", "lin1.bias", "bn.running_mean"), as PyTorch names them, so that
        `torch_model.load_state_dict(...)` of these arrays (as torch tensors) works for layers
        with a PyTorch counterpart. Arrays stay on their device.

        Args:
            names: "torch" (PyTorch's names, the default) or "autocompyute" (the original
                AutoCompyute's short names, e.g. "lin1.w", where a layer has them).
        """
        if names not in ("torch", "autocompyute"):
            raise ValueError(f"state_dict: names must be 'torch' or 'autocompyute', got {names!r}")
        state = self._state_tensors()
        if names == "autocompyute":
            owners = self._state_owners()
            state = OrderedDict(
                (_original_key(key, owners[key]), tensor) for key, tensor in state.items()
            )
        return OrderedDict((name, tensor.data.copy()) for name, tensor in state.items())

    get_state_dict = state_dict

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> None:
        """Copies arrays from `state` into this module's parameters and buffers.

        Every entry is checked before anything changes: names (missing and unexpected ones,
        unless `strict` is False), shapes and dtypes. All problems are reported together in one
        ValueError and the module is left untouched. Values may be NumPy/CuPy arrays or
        Tensors; they are copied onto the device of the tensor they replace.

        Args:
            state: mapping from dotted name to array, as returned by `state_dict()`.
            strict: whether missing and unexpected names are errors.

        Raises:
            ValueError: listing every mismatch.
        """
        if not isinstance(state, Mapping):
            raise TypeError(
                f"load_state_dict: expected a mapping of name -> array, got {type(state).__name__}"
            )
        targets = self._state_tensors()
        state, problems = self._canonical_state(state)
        updates: list[tuple[Tensor, Any]] = []
        for name, tensor in targets.items():
            if name not in state:
                if strict:
                    problems.append(
                        f"missing key {name!r} (expected shape {tensor.shape}, "
                        f"dtype {tensor.dtype})"
                    )
                continue
            value = state[name]
            array = value.data if isinstance(value, Tensor) else value
            if not (isinstance(array, _ndarray) or hasattr(array, "__cuda_array_interface__")):
                problems.append(f"{name!r}: expected an array, got {type(value).__name__}")
                continue
            if tuple(array.shape) != tensor.shape:
                problems.append(
                    f"{name!r}: shape mismatch, checkpoint has "
                    f"{tuple(array.shape)}, module has {tensor.shape}"
                )
            if array.dtype != tensor.dtype:
                problems.append(
                    f"{name!r}: dtype mismatch, checkpoint has {array.dtype}, "
                    f"module has {tensor.dtype}"
                )
            updates.append((tensor, array))
        if strict:
            problems.extend(f"unexpected key {name!r}" for name in state if name not in targets)
        if problems:
            raise ValueError(
                f"load_state_dict: {type(self).__name__} cannot load this state dict "
                f"({len(problems)} problem{'s' if len(problems) > 1 else ''}; nothing was "
                "changed):\n  " + "\n  ".join(problems)
            )
        for tensor, array in updates:
            device = device_of(tensor.data)
            moved = move_array(array, device)
            tensor.data = moved.copy() if moved is array else moved

    def _canonical_state(self, state: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """`state` with keys under an original alias renamed to PyTorch's name; clashes listed."""
        owners = self._state_owners()
        aliased = {
            _original_key(key, module): key
            for key, module in owners.items()
            if _original_key(key, module) != key
        }
        canonical: dict[str, Any] = {}
        problems = []
        for key, value in state.items():
            name = aliased.get(key, key)
            if name in canonical:
                problems.append(f"{name!r} is given twice (also under the name {key!r})")
            canonical[name] = value
        return canonical, problems

    def _state_owners(self) -> dict[str, Module]:
        """The module that holds each state-dict entry, by dotted name."""
        return {key: module for key, module, _ in self._state_entries()}

    def _state_tensors(self) -> OrderedDict[str, Tensor]:
        return OrderedDict((key, tensor) for key, _, tensor in self._state_entries())

    def _state_entries(self) -> list[tuple[str, Module, Tensor]]:
        """(dotted name, owning module, tensor) of every parameter and buffer, shared ones once."""
        entries: list[tuple[str, Module, Tensor]] = []
        seen: set[int] = set()
        for module_name, module in self.named_modules():
            skipped = module.__dict__.get("_non_persistent", ())
            for registry in (module._parameters, module._buffers):
                for name, tensor in registry.items():
                    if id(tensor) not in seen and name not in skipped:
                        seen.add(id(tensor))
                        key = f"{module_name}.{name}" if module_name else name
                        entries.append((key, module, tensor))
        return entries

    # ------------------------------------------------------------------ printing

    def extra_repr(self) -> str:
        """The configuration shown inside this module's repr parentheses (layers override)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        if not self._modules:
            return f"{type(self).__name__}({extra})"
        lines = [f"{type(self).__name__}("]
        if extra:
            lines.extend(f"  {line}" for line in extra.split("\n"))
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child}")
        lines.append(")")
        return "\n".join(lines)


def _original_key(key: str, owner: Module) -> str:
    """`key` with its last part under the owner's original alias, if it has one."""
    prefix, _, name = key.rpartition(".")
    for alias, canonical in type(owner).aliases.items():
        if canonical == name:
            return f"{prefix}.{alias}" if prefix else alias
    return key


def _device_and_dtype(
    function: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Device | None, Any]:
    """Parses PyTorch's `to(...)` arguments into (device or None, dtype or None)."""
    device: Any = kwargs.pop("device", None)
    dtype: Any = kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("copy", None)
    if kwargs:
        raise TypeError(f"{function}: unexpected keyword arguments {sorted(kwargs)}")
    for value in args:
        if isinstance(value, Tensor):
            device, dtype = value.device, value.dtype
        elif isinstance(value, Device) or (
            isinstance(value, str) and value.split(":")[0] in ("cpu", "cuda")
        ):
            device = value
        elif isinstance(value, bool):  # to(device, dtype, non_blocking)
            continue
        else:
            dtype = value
    resolved_dtype = None if dtype is None else to_dtype(dtype)
    if resolved_dtype is not None and resolved_dtype.kind != "f":
        raise TypeError(
            f"{function}: can only cast to a floating-point dtype, got {resolved_dtype}"
        )
    return (None if device is None else get_device(device)), resolved_dtype
