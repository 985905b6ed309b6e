"""Neural networks: modules, layers, losses, optimizers and data loading."""

# Exports resolve lazily while the package is assembled; see _EXPORTS.
import importlib
from typing import Any

_EXPORTS = {
    "Module": "autocompyute.nn.module",
    "Parameter": "autocompyute.nn.module",
    "Buffer": "autocompyute.nn.module",
    "Sequential": "autocompyute.nn.containers",
    "ModuleList": "autocompyute.nn.containers",
    "Modulelist": "autocompyute.nn.containers",
    "Dataloader": "autocompyute.nn.dataloader",
    "Linear": "autocompyute.nn.layers.linear",
    "GELU": "autocompyute.nn.layers.activations",
    "ReLU": "autocompyute.nn.layers.activations",
    "LeakyReLU": "autocompyute.nn.layers.activations",
    "Sigmoid": "autocompyute.nn.layers.activations",
    "Tanh": "autocompyute.nn.layers.activations",
    "Softmax": "autocompyute.nn.layers.activations",
    "Batchnorm": "autocompyute.nn.layers.normalization",
    "Layernorm": "autocompyute.nn.layers.normalization",
    "Dropout": "autocompyute.nn.layers.dropout",
    "Embedding": "autocompyute.nn.layers.embedding",
    "Flatten": "autocompyute.nn.layers.reshaping",
    "Reshape": "autocompyute.nn.layers.reshaping",
    "MultiHeadSelfAttention": "autocompyute.nn.layers.attention",
    "Conv1D": "autocompyute.nn.layers.convolution",
    "Conv2D": "autocompyute.nn.layers.convolution",
    "ConvTranspose2D": "autocompyute.nn.layers.convolution",
    "MaxPooling2D": "autocompyute.nn.layers.pooling",
    "RNN": "autocompyute.nn.layers.recurrent",
    "LSTM": "autocompyute.nn.layers.recurrent",
    "GRU": "autocompyute.nn.layers.recurrent",
}
_SUBMODULES = {"functional", "optimizers", "lr_schedulers", "utils", "init"}

__all__ = sorted(_EXPORTS) + sorted(_SUBMODULES)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"autocompyute.nn.{name}")
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'autocompyute.nn' has no attribute {name!r}")
