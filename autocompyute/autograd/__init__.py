"""Autograd: the Op base class, grad mode and graph tools."""

from autocompyute._engine import IndexedGradient
from autocompyute.autograd.anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled
from autocompyute.autograd.callbacks import queue_callback
from autocompyute.autograd.drawing import GraphDrawing, draw_graph
from autocompyute.autograd.functional import grad
from autocompyute.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_autograd_tracking,
    no_grad,
    set_grad_enabled,
)
from autocompyute.autograd.gradcheck import gradcheck
from autocompyute.autograd.hooks import RemovableHandle
from autocompyute.autograd.op import Op

__all__ = [
    "AnomalyError",
    "GraphDrawing",
    "IndexedGradient",
    "Op",
    "RemovableHandle",
    "detect_anomaly",
    "draw_graph",
    "enable_grad",
    "grad",
    "gradcheck",
    "inference_mode",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "no_autograd_tracking",
    "no_grad",
    "queue_callback",
    "set_grad_enabled",
]
