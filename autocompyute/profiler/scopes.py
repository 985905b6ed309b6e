"""Named scopes in the profiler's recording: `record_function`, module paths, optimizer steps.

A scope is one event of the compiled engine's buffer; every op recorded while it is open
belongs to it. Opening a scope costs one C call while the profiler runs and nothing otherwise.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from autocompyute import _engine

__all__ = [
    "enter_module_scope",
    "enter_scope",
    "exit_module_scope",
    "exit_scope",
    "is_recording",
    "record_function",
    "scoped",
]

F = TypeVar("F", bound=Callable[..., Any])

# The modules whose scopes are open, innermost last, with their paths: a module called inside
# another is named by its attribute path from the outermost one ("blocks.3.attn").
_open_modules: list[tuple[Any, str]] = []
_child_names: dict[tuple[int, int], str] = {}


def is_recording() -> bool:
    """Whether a profiler is recording events right now."""
    return bool(_engine.watch_flags() & _engine.WATCH_PROFILE)


class record_function:  # noqa: N801 (PyTorch's name)
    """Context manager and decorator that groups the ops run inside under `name`.

    Scopes nest; tables can be grouped by them and the Chrome trace shows them as slices
    around their ops. Outside a profiler it does nothing.

    Args:
        name: the scope's name.

    >>> import autocompyute as ac
    >>> with ac.profiler.profile() as prof:
    ...     with ac.profiler.record_function("double"):
    ...         y = ac.ones(3) * 2
    >>> [(e.name, e.scope) for e in prof.events()]
    [('double', None), ('Mul', 'double')]
    """

    def __init__(self, name: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"record_function: name must be a str, got {type(name).__name__}")
        self.name = name
        self._tokens: list[int] = []

    def __enter__(self) -> record_function:
        self._tokens.append(_engine.profiler_enter_scope(self.name))
        return self

    def __exit__(self, *exc_info: object) -> None:
        _engine.profiler_exit_scope(self._tokens.pop())

    def __call__(self, function: F) -> F:
        name = self.name

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            token = _engine.profiler_enter_scope(name)
            try:
                return function(*args, **kwargs)
            finally:
                _engine.profiler_exit_scope(token)

        return wrapper  # type: ignore[return-value]


def enter_scope(name: str) -> int:
    """Opens a scope named `name` (if the profiler records); returns the token to close it."""
    return _engine.profiler_enter_scope(name)  # type: ignore[no-any-return]


def exit_scope(token: int) -> None:
    """Closes the scope opened with `token` (a no-op for the -1 of a profiler that was off)."""
    _engine.profiler_exit_scope(token)


def scoped(name: str, function: F) -> F:
    """Wraps `function` so that each call is a scope named `name` while the profiler records."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _engine.watch_flags() & _engine.WATCH_PROFILE:
            return function(*args, **kwargs)
        token = _engine.profiler_enter_scope(name)
        try:
            return function(*args, **kwargs)
        finally:
            _engine.profiler_exit_scope(token)

    return wrapper  # type: ignore[return-value]


def enter_module_scope(module: Any) -> int:
    """Opens the scope of one module call (named by its path); returns the token to close it."""
    if not _engine.watch_flags() & _engine.WATCH_PROFILE:
        return -1
    if _open_modules:
        parent, parent_path = _open_modules[-1]
        child = _child_name(parent, module)
        path = (
            type(module).__name__
            if child is None
            else (child if parent is _open_modules[0][0] else f"{parent_path}.{child}")
        )
    else:
        path = type(module).__name__
    _open_modules.append((module, path))
    return _engine.profiler_enter_scope(path)  # type: ignore[no-any-return]


def exit_module_scope(token: int) -> None:
    """Closes a scope opened by `enter_module_scope`."""
    if token < 0:
        return
    if _open_modules:
        _open_modules.pop()
    _engine.profiler_exit_scope(token)


def _child_name(parent: Any, child: Any) -> str | None:
    key = (id(parent), id(child))
    name = _child_names.get(key)
    if name is None:
        for candidate, module in getattr(parent, "_modules", {}).items():
            if module is child:
                name = _child_names[key] = candidate
                break
    return name


def reset_module_paths() -> None:
    """Forgets the cached child names (at the start of each recording; ids may be reused)."""
    _child_names.clear()
    _open_modules.clear()
