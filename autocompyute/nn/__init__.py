"""Neural networks: modules, layers, losses, optimizers and data loading.

>>> from autocompyute import nn
>>> model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3))
>>> model.n_params
43
"""

from autocompyute.deprecation import deprecated_aliases
from autocompyute.nn import functional, lr_schedulers, optimizers, utils
from autocompyute.nn.containers import ModuleList, Modulelist, Sequential
from autocompyute.nn.dataloader import Dataloader
from autocompyute.nn.layers.activations import GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from autocompyute.nn.layers.attention import MultiHeadSelfAttention
from autocompyute.nn.layers.convolution import Conv1d, Conv2d, ConvTranspose2d
from autocompyute.nn.layers.dropout import Dropout
from autocompyute.nn.layers.embedding import Embedding
from autocompyute.nn.layers.linear import Linear
from autocompyute.nn.layers.normalization import BatchNorm, LayerNorm
from autocompyute.nn.layers.pooling import MaxPool2d
from autocompyute.nn.layers.recurrent import (
    GRU,
    LSTM,
    RNN,
    GRUCell,
    LSTMCell,
    RNNBase,
    RNNCell,
    RNNCellBase,
)
from autocompyute.nn.layers.reshaping import Flatten, Reshape
from autocompyute.nn.module import Buffer, Module, Parameter

__all__ = [
    "GELU",
    "GRU",
    "LSTM",
    "RNN",
    "BatchNorm",
    "Buffer",
    "Conv1d",
    "Conv2d",
    "ConvTranspose2d",
    "Dataloader",
    "Dropout",
    "Embedding",
    "Flatten",
    "GRUCell",
    "LSTMCell",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "MaxPool2d",
    "Module",
    "ModuleList",
    "Modulelist",
    "MultiHeadSelfAttention",
    "Parameter",
    "RNNBase",
    "RNNCell",
    "RNNCellBase",
    "ReLU",
    "Reshape",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "functional",
    "lr_schedulers",
    "optimizers",
    "utils",
]

# The original AutoCompyute spellings, before PyTorch's casing.
__getattr__ = deprecated_aliases(
    __name__,
    {
        "Batchnorm": BatchNorm,
        "Conv1D": Conv1d,
        "Conv2D": Conv2d,
        "ConvTranspose2D": ConvTranspose2d,
        "Layernorm": LayerNorm,
        "MaxPooling2D": MaxPool2d,
    },
)
