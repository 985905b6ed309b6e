"""Old names kept working: module attributes that warn and point to the new name."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["deprecated_aliases"]


def deprecated_aliases(module_name: str, aliases: Mapping[str, Any]) -> Callable[[str], Any]:
    """Returns a module `__getattr__` that serves `aliases` (old name -> object) with a warning.

    Usage, at the end of a module: `__getattr__ = deprecated_aliases(__name__, {"Old": New})`.
    Names not in `aliases` raise the usual AttributeError.
    """

    def __getattr__(name: str) -> Any:  # noqa: N807 (the module hook PEP 562 names)
        try:
            target = aliases[name]
        except KeyError:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}") from None
        warnings.warn(
            f"{module_name}.{name} is deprecated; use {target.__name__} (from {target.__module__})",
            DeprecationWarning,
            stacklevel=2,
        )
        return target

    return __getattr__
