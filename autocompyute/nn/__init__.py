"""Neural networks: modules, layers, losses, optimizers and data loading.

>>> from autocompyute import nn
>>> model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3))
>>> model.n_params
43
"""

from autocompyute.deprecation import deprecated_aliases
from autocompyute.nn import functional, init, lr_schedulers, optimizers, utils
from autocompyute.nn.containers import (
    ModuleDict,
    ModuleList,
    Modulelist,
    ParameterDict,
    ParameterList,
    Sequential,
)
from autocompyute.nn.dataloader import Dataloader
from autocompyute.nn.layers.activations import GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from autocompyute.nn.layers.attention import MultiHeadSelfAttention
from autocompyute.nn.layers.convolution import Conv1d, Conv2d, ConvTranspose2d
from autocompyute.nn.layers.dropout import Dropout
from autocompyute.nn.layers.embedding import Embedding
from autocompyute.nn.layers.linear import Linear
from autocompyute.nn.layers.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from autocompyute.nn.layers.normalization import BatchNorm, BatchNorm1d, BatchNorm2d, LayerNorm
from autocompyute.nn.layers.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
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
from autocompyute.nn.layers.reshaping import Flatten, Identity, Reshape
from autocompyute.nn.layers.transformer import (
    MultiheadAttention,
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from autocompyute.nn.module import Buffer, Module, Parameter

__all__ = [
    "GELU",
    "GRU",
    "LSTM",
    "RNN",
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm",
    "BatchNorm1d",
    "BatchNorm2d",
    "Buffer",
    "Conv1d",
    "Conv2d",
    "ConvTranspose2d",
    "CrossEntropyLoss",
    "Dataloader",
    "Dropout",
    "Embedding",
    "Flatten",
    "GRUCell",
    "Identity",
    "L1Loss",
    "LSTMCell",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "MSELoss",
    "MaxPool2d",
    "Module",
    "ModuleDict",
    "ModuleList",
    "Modulelist",
    "MultiHeadSelfAttention",
    "MultiheadAttention",
    "NLLLoss",
    "Parameter",
    "ParameterDict",
    "ParameterList",
    "RNNBase",
    "RNNCell",
    "RNNCellBase",
    "ReLU",
    "Reshape",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "functional",
    "init",
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
