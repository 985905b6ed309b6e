"""Anomaly mode: every forward and backward result is checked for NaN and Inf in the engine."""

from __future__ import annotations

import functools
import linecache
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from autocompyute import _engine

__all__ = ["AnomalyError", "detect_anomaly", "is_anomaly_enabled", "user_source_line"]

AnomalyError = _engine.AnomalyError

F = TypeVar("F", bound=Callable[..., Any])
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def user_source_line() -> str:
    """The innermost calling line outside autocompyute: "file:line in function: code"."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return "an unknown line"
    code = frame.f_code
    text = linecache.getline(code.co_filename, frame.f_lineno).strip()
    return f"{code.co_filename}:{frame.f_lineno} in {code.co_name}: {text}"


def is_anomaly_enabled() -> bool:
    """Whether anomaly mode is on."""
    return bool(_engine.watch_flags() & _engine.WATCH_ANOMALY)


class detect_anomaly:  # noqa: N801 (PyTorch's name)
    """Context manager and decorator: a NaN or Inf made by any op raises at once.

    Inside, every op notes the user's source line that created it, and the engine checks the
    output of every forward and the gradients of every backward. The error names the op, the
    phase and that line. Checking costs time: use it to debug, not to train.

    Args:
        check_nan: False turns the checks off (PyTorch's argument).

    Raises:
        AnomalyError: (a RuntimeError and a FloatingPointError) from the op whose result holds
            NaN or Inf.

    >>> import autocompyute as ac
    >>> x = ac.tensor([0.0, 1.0], req_grad=True)
    >>> with detect_anomaly():
    ...     y = x.log()  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    autocompyute._engine.AnomalyError: detect_anomaly: Log forward produced NaN or Inf ...
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = bool(check_nan)
        self._previous: list[int] = []

    def __enter__(self) -> detect_anomaly:
        flags = _engine.watch_flags()
        self._previous.append(flags & _engine.WATCH_ANOMALY)
        if self.check_nan:
            _engine.set_watch_flags(flags | _engine.WATCH_ANOMALY)
        else:
            _engine.set_watch_flags(flags & ~_engine.WATCH_ANOMALY)
        return self

    def __exit__(self, *exc_info: object) -> None:
        previous = self._previous.pop()
        _engine.set_watch_flags((_engine.watch_flags() & ~_engine.WATCH_ANOMALY) | previous)

    def __call__(self, function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly(self.check_nan):
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
