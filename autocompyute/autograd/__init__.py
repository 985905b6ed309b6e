"""Autograd: the Op base class, grad mode and graph tools."""

from autocompyute.autograd.grad_mode import is_grad_enabled, no_autograd_tracking, set_grad_enabled
from autocompyute.autograd.op import Op

__all__ = ["Op", "is_grad_enabled", "no_autograd_tracking", "set_grad_enabled"]
