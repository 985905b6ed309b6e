"""Hook handles, and registering hooks on tensors (the engine calls them during backward)."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

from autocompyute import _engine

__all__ = ["RemovableHandle", "register_hook", "register_post_accumulate_grad_hook"]


class RemovableHandle:
    """Returned by every `register_*hook`: `remove()` unregisters the hook (idempotent).

    Also a context manager that removes the hook on exit.
    """

    def __init__(self, registry: Any, key: Any) -> None:
        self._registry = registry
        self._key = key

    def remove(self) -> None:
        """Unregisters the hook."""
        registry, self._registry = self._registry, None
        if registry is None:
            return
        if isinstance(registry, MutableMapping):
            registry.pop(self._key, None)
        else:
            registry.remove(self._key)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


def register_hook(tensor: Any, hook: Callable[[Any], Any]) -> RemovableHandle:
    """Registers `hook(grad) -> replacement or None`, called with the gradient w.r.t. `tensor`.

    For a non-leaf tensor the hook runs once the tensor's gradient is complete, before it flows
    on (a returned array replaces it); for a leaf it runs on the gradient of the whole backward
    pass before it is added to `.grad`. Hooks run in registration order; `retain_grad()` stores
    the gradient after all of them.

    Args:
        tensor: a tensor that requires grad.
        hook: called with the gradient array (same shape and dtype as the tensor); may return
            an array or Tensor of that shape and dtype to use instead.

    Returns:
        A `RemovableHandle`.

    >>> import autocompyute as ac
    >>> x = ac.ones(2, req_grad=True)
    >>> handle = x.register_hook(lambda grad: grad * 10)
    >>> (x * 3).sum().backward()
    >>> x.grad
    array([30., 30.], dtype=float32)
    >>> handle.remove()
    """
    holder, key = _engine.add_tensor_hook(tensor, hook, False)
    return RemovableHandle(holder, key)


def register_post_accumulate_grad_hook(tensor: Any, hook: Callable[[Any], Any]) -> RemovableHandle:
    """Registers `hook(tensor)` on a leaf, called right after its `.grad` is final for a pass.

    "Final" means every gradient of this backward pass has been added to `.grad`; the hook
    sees the leaf itself (read `tensor.grad`). Its return value is ignored.

    Args:
        tensor: a leaf tensor that requires grad (a parameter).
        hook: called with the tensor.

    Returns:
        A `RemovableHandle`.

    >>> import autocompyute as ac
    >>> w = ac.ones(2, req_grad=True)
    >>> seen = []
    >>> handle = w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.tolist()))
    >>> (w * w + w).sum().backward()
    >>> seen
    [[3.0, 3.0]]
    """
    holder, key = _engine.add_tensor_hook(tensor, hook, True)
    return RemovableHandle(holder, key)
