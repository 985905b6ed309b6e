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
from autocompyute.nn.functional.embedding import embedding, one_hot
from autocompyute.nn.functional.linear import linear
from autocompyute.nn.functional.losses import (
    bce_loss,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    cross_entropy_loss,
    l1_loss,
    mse_loss,
    nll_loss,
)
from autocompyute.nn.functional.normalization import (
    batch_norm,
    batchnorm,
    layer_norm,
    layernorm,
)
from autocompyute.nn.functional.padding import pad
from autocompyute.nn.functional.pooling import (
    adaptive_avg_pool2d,
    avg_pool2d,
    max_pool2d,
    maxpool2d,
)

__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "batch_norm",
    "batchnorm",
    "bce_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv1d",
    "conv2d",
    "conv_transpose2d",
    "cross_entropy",
    "cross_entropy_loss",
    "dropout",
    "embedding",
    "gelu",
    "l1_loss",
    "layer_norm",
    "layernorm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool2d",
    "maxpool2d",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "pad",
    "relu",
    "scaled_dot_product_attention",
    "sigmoid",
    "softmax",
    "tanh",
]
