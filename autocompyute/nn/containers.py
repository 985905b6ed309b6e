"""Containers: `Sequential`, `ModuleList`, `ModuleDict`, `ParameterList`, `ParameterDict`.

Members are registered with the container under their index ("0", "1", ...) or key, so their
parameters appear in the owner's `parameters()` and `state_dict()`, as in PyTorch.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from autocompyute.nn.module import Module, Parameter
from autocompyute.tensor import Tensor

__all__ = ["ModuleDict", "ModuleList", "Modulelist", "ParameterDict", "ParameterList", "Sequential"]


class _IndexedModules(Module):
    """Modules registered under the names "0", "1", ... in order."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> _IndexedModules:
        """Adds `module` at the end; returns self."""
        if not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}: expected a Module, got {type(module).__name__}"
            )
        setattr(self, str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> _IndexedModules:
        """Adds each of `modules` at the end; returns self."""
        for module in modules:
            self.append(module)
        return self

    def _index(self, index: int) -> int:
        size = len(self._modules)
        if not isinstance(index, int):
            raise TypeError(
                f"{type(self).__name__}: indices must be ints or slices, got {type(index).__name__}"
            )
        if not -size <= index < size:
            raise IndexError(
                f"{type(self).__name__}: index {index} out of range for {size} modules"
            )
        return index % size

    def insert(self, index: int, module: Module) -> None:
        """Inserts `module` before position `index` (renumbering the ones after it)."""
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)

    def __delitem__(self, index: int | slice) -> None:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            del modules[index]
        else:
            del modules[self._index(index)]
        self._renumber(modules)

    def _renumber(self, modules: list[Module]) -> None:
        for name in list(self._modules):
            delattr(self, name)
        for module in modules:
            self.append(module)

    def __getitem__(self, index: int | slice) -> Any:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return (
                type(self)(*modules[index])
                if isinstance(self, Sequential)
                else type(self)(modules[index])
            )
        return modules[self._index(index)]

    def __setitem__(self, index: int, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}: expected a Module, got {type(module).__name__}"
            )
        setattr(self, str(self._index(index)), module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class Sequential(_IndexedModules):
    """Runs modules one after the other, each on the previous one's output.

    Args:
        *modules: the modules in order; they are registered as "0", "1", ...

    >>> import autocompyute as ac
    >>> from autocompyute import nn
    >>> model = Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> model(ac.randn(3, 4)).shape
    (3, 2)
    """

    def __init__(self, *modules: Module | OrderedDict[str, Module]) -> None:
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            Module.__init__(self)
            for name, module in modules[0].items():
                if not isinstance(module, Module):
                    raise TypeError(
                        f"Sequential: expected a Module for {name!r}, got {type(module).__name__}"
                    )
                setattr(self, name, module)
            return
        super().__init__(modules)  # type: ignore[arg-type]

    def forward(self, x: Any) -> Any:
        """Feeds `x` through every module in order and returns the last output."""
        for module in self._modules.values():
            x = module(x)
        return x


class ModuleList(_IndexedModules):
    """A list of modules whose parameters are registered with the owning module.

    Unlike `Sequential` it has no `forward`: the owner decides how to call the modules.

    Args:
        modules: an iterable of modules (registered as "0", "1", ...).
    """

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__(modules)


Modulelist = ModuleList


class ModuleDict(Module):
    """A dict of modules registered with the owning module under their keys.

    Args:
        modules: a mapping or iterable of (key, module) pairs.

    >>> from autocompyute import nn
    >>> heads = ModuleDict({"cls": nn.Linear(4, 2), "reg": nn.Linear(4, 1)})
    >>> list(heads), heads["reg"].out_dim
    (['cls', 'reg'], 1)
    """

    def __init__(
        self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None
    ) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError(
                f"ModuleDict: expected a Module for {key!r}, got {type(module).__name__}"
            )
        if not isinstance(key, str) or not key or "." in key:
            raise KeyError(f"ModuleDict: keys must be non-empty strings without '.', got {key!r}")
        setattr(self, key, module)

    def __delitem__(self, key: str) -> None:
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        """The keys in insertion order."""
        return self._modules.keys()

    def values(self) -> Iterable[Module]:
        """The modules in insertion order."""
        return self._modules.values()

    def items(self) -> Iterable[tuple[str, Module]]:
        """(key, module) pairs in insertion order."""
        return self._modules.items()

    def pop(self, key: str) -> Module:
        """Removes and returns the module under `key`."""
        module = self._modules[key]
        del self[key]
        return module

    def clear(self) -> None:
        """Removes every module."""
        for key in list(self._modules):
            del self[key]

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Adds or replaces modules from a mapping or (key, module) pairs."""
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for key, module in pairs:
            self[key] = module


class ParameterList(Module):
    """A list of parameters registered with the owning module as "0", "1", ...

    Tensors that are not Parameters are wrapped into one (as PyTorch does).

    >>> import autocompyute as ac
    >>> params = ParameterList([ac.zeros(2), ac.ones(3)])
    >>> [p.shape for p in params], len(list(params.parameters()))
    ([(2,), (3,)], 2)
    """

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        for value in values or ():
            self.append(value)

    def append(self, value: Any) -> ParameterList:
        """Adds a parameter at the end; returns self."""
        setattr(self, str(len(self._parameters)), _as_parameter(value, "ParameterList"))
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Adds each of `values` at the end; returns self."""
        for value in values:
            self.append(value)
        return self

    def __getitem__(self, index: int) -> Parameter:
        values = list(self._parameters.values())
        return values[index]

    def __setitem__(self, index: int, value: Any) -> None:
        size = len(self._parameters)
        if not -size <= index < size:
            raise IndexError(f"ParameterList: index {index} out of range for {size} parameters")
        setattr(self, str(index % size), _as_parameter(value, "ParameterList"))

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._parameters.values())


class ParameterDict(Module):
    """A dict of parameters registered with the owning module under their keys.

    >>> import autocompyute as ac
    >>> params = ParameterDict({"scale": ac.ones(2)})
    >>> params["scale"].req_grad
    True
    """

    def __init__(self, values: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.update(values)

    def __getitem__(self, key: str) -> Parameter:
        return self._parameters[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str) or not key or "." in key:
            raise KeyError(
                f"ParameterDict: keys must be non-empty strings without '.', got {key!r}"
            )
        setattr(self, key, _as_parameter(value, "ParameterDict"))

    def __delitem__(self, key: str) -> None:
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[str]:
        return iter(self._parameters)

    def __contains__(self, key: object) -> bool:
        return key in self._parameters

    def keys(self) -> Iterable[str]:
        """The keys in insertion order."""
        return self._parameters.keys()

    def values(self) -> Iterable[Parameter]:
        """The parameters in insertion order."""
        return self._parameters.values()

    def items(self) -> Iterable[tuple[str, Parameter]]:
        """(key, parameter) pairs in insertion order."""
        return self._parameters.items()

    def update(self, values: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        """Adds or replaces parameters from a mapping or (key, value) pairs."""
        pairs = values.items() if isinstance(values, Mapping) else values
        for key, value in pairs:
            self[key] = value


def _as_parameter(value: Any, container: str) -> Parameter:
    if isinstance(value, Parameter):
        return value
    if not isinstance(value, Tensor):
        raise TypeError(f"{container}: expected a Parameter or Tensor, got {type(value).__name__}")
    return Parameter(value)
