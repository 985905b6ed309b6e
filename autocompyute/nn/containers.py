"""Containers of modules: `Sequential` (a pipeline) and `ModuleList` (an indexable list)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from autocompyute.nn.module import Module

__all__ = ["ModuleList", "Modulelist", "Sequential"]


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

    def __init__(self, *modules: Module) -> None:
        super().__init__(modules)

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
