"""Functional neural-network ops: `import autocompyute.nn.functional as F`."""

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
from autocompyute.nn.functional.convolution import conv1d, conv2d, conv_transpose2d
from autocompyute.nn.functional.dropout import dropout
from autocompyute.nn.functional.embedding import embedding
from autocompyute.nn.functional.linear import linear
from autocompyute.nn.functional.losses import bce_loss, cross_entropy_loss, mse_loss
from autocompyute.nn.functional.normalization import batchnorm, layernorm
from autocompyute.nn.functional.pooling import maxpool2d

__all__ = [
    "batchnorm",
    "bce_loss",
    "conv1d",
    "conv2d",
    "conv_transpose2d",
    "cross_entropy_loss",
    "dropout",
    "embedding",
    "gelu",
    "layernorm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "maxpool2d",
    "mse_loss",
    "relu",
    "scaled_dot_product_attention",
    "sigmoid",
    "softmax",
    "tanh",
]
