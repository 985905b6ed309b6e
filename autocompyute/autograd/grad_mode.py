"""Grad modes: switching graph recording off and on (thread-local, stored in the engine).

`no_grad` (the original's `no_autograd_tracking`), `enable_grad`, `set_grad_enabled(mode)` and
`inference_mode(mode=True)` are context managers and decorators, as in PyTorch.
`set_grad_enabled(mode)` also takes effect when just called.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from autocompyute import _engine

__all__ = [
    "enable_grad",
    "inference_mode",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "no_autograd_tracking",
    "no_grad",
    "set_grad_enabled",
]

F = TypeVar("F", bound=Callable[..., Any])

is_grad_enabled = _engine.is_grad_enabled


class _GradMode:
    """Sets grad mode to `self.mode` inside a `with` block or a decorated function."""

    mode = False
    takes_function = False  # `@no_grad` without parentheses decorates the function

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls.takes_function and len(args) == 1 and callable(args[0]) and not kwargs:
            return cls()(args[0])
        return super().__new__(cls)

    def __init__(self) -> None:
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        self._previous.append(_engine.set_grad_enabled(self.mode))

    def __exit__(self, *exc_info: object) -> None:
        _engine.set_grad_enabled(self._previous.pop())

    def __call__(self, function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def _fresh(self) -> _GradMode:
        # One object per call keeps decorated functions re-entrant and thread-safe.
        fresh = object.__new__(type(self))
        _GradMode.__init__(fresh)
        fresh.mode = self.mode
        return fresh


class no_autograd_tracking(_GradMode):  # noqa: N801 (lower case: used like a function, as in the spec)
    """Context manager and decorator under which operations record no graph.

    The setting is per thread. Results computed inside do not require grad.

    >>> import autocompyute as ac
    >>> x = ac.ones(2, req_grad=True)
    >>> with ac.no_autograd_tracking():
    ...     y = x * 2
    >>> y.req_grad
    False
    """

    mode = False
    takes_function = True


no_grad = no_autograd_tracking  # PyTorch's name


class enable_grad(_GradMode):  # noqa: N801 (PyTorch's name)
    """Context manager and decorator that turns graph recording back on (e.g. inside no_grad).

    >>> import autocompyute as ac
    >>> x = ac.ones(2, requires_grad=True)
    >>> with ac.no_grad():
    ...     with ac.enable_grad():
    ...         y = x * 2
    >>> y.requires_grad
    True
    """

    mode = True
    takes_function = True


class set_grad_enabled(_GradMode):  # noqa: N801 (PyTorch's name)
    """Sets grad mode to `mode`: at once when called, and back when its `with` block ends.

    Args:
        mode: True to record graphs, False not to.

    >>> import autocompyute as ac
    >>> with ac.set_grad_enabled(False):
    ...     ac.is_grad_enabled()
    False
    >>> ac.is_grad_enabled()
    True
    """

    def __init__(self, mode: bool) -> None:
        super().__init__()
        self.mode = bool(mode)
        self._called_previous = _engine.set_grad_enabled(self.mode)

    def __enter__(self) -> None:
        # The call already set the mode; the block restores what was there before the call.
        self._previous.append(self._called_previous)

    def __call__(self, function: F) -> F:
        # As a decorator, the mode applies inside the function only: undo the call's setting.
        _engine.set_grad_enabled(self._called_previous)
        return super().__call__(function)

    def _fresh(self) -> _GradMode:
        fresh = object.__new__(_GradMode)
        _GradMode.__init__(fresh)
        fresh.mode = self.mode
        return fresh


class inference_mode(_GradMode):  # noqa: N801 (PyTorch's name)
    """Like `no_grad` (with `mode=False`, like `enable_grad`): no graph is recorded inside.

    PyTorch additionally marks tensors made inside as inference tensors; here they are ordinary
    tensors that do not require grad.
    """

    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        self.mode = not mode


def is_inference_mode_enabled() -> bool:
    """Whether graph recording is off (inference mode and no_grad are one setting here)."""
    return not _engine.is_grad_enabled()
