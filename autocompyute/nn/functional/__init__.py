"""Functional neural-network ops: `import autocompyute.nn.functional as F`."""

import importlib
from typing import Any

from autocompyute.nn.functional.activations import (
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    softmax,
    tanh,
)
from autocompyute.nn.functional.attention import scaled_dot_product_attention
from autocompyute.nn.functional.dropout import dropout
from autocompyute.nn.functional.embedding import embedding
from autocompyute.nn.functional.linear import linear
from autocompyute.nn.functional.losses import bce_loss, cross_entropy_loss, mse_loss
from autocompyute.nn.functional.normalization import batchnorm, layernorm

_EXPORTS = {
    "gelu": "activations",
    "relu": "activations",
    "leaky_relu": "activations",
    "sigmoid": "activations",
    "tanh": "activations",
    "softmax": "activations",
    "log_softmax": "activations",
    "linear": "linear",
    "dropout": "dropout",
    "embedding": "embedding",
    "batchnorm": "normalization",
    "layernorm": "normalization",
    "scaled_dot_product_attention": "attention",
    "mse_loss": "losses",
    "cross_entropy_loss": "losses",
    "bce_loss": "losses",
    "conv1d": "convolution",
    "conv2d": "convolution",
    "conv_transpose2d": "convolution",
    "maxpool2d": "convolution",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f"autocompyute.nn.functional.{_EXPORTS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'autocompyute.nn.functional' has no attribute {name!r}")
