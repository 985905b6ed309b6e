"""Switching graph recording off (thread-local, stored in the compiled engine)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from autocompyute import _engine

__all__ = ["is_grad_enabled", "no_autograd_tracking", "no_grad", "set_grad_enabled"]

F = TypeVar("F", bound=Callable[..., Any])

is_grad_enabled = _engine.is_grad_enabled
set_grad_enabled = _engine.set_grad_enabled


class no_autograd_tracking:  # noqa: N801 (lower case: used like a function, as in the spec)
    """Context manager and decorator under which operations record no graph.

    The setting is per thread. Results computed inside do not require grad.

    >>> import autocompyute as ac
    >>> x = ac.ones(2, req_grad=True)
    >>> with ac.no_autograd_tracking():
    ...     y = x * 2
    >>> y.req_grad
    False
    """

    def __init__(self) -> None:
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        self._previous.append(_engine.set_grad_enabled(False))

    def __exit__(self, *exc_info: object) -> None:
        _engine.set_grad_enabled(self._previous.pop())

    def __call__(self, function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with no_autograd_tracking():
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


no_grad = no_autograd_tracking  # PyTorch's name
