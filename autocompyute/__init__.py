"""autocompyute: a small deep-learning library with a compiled autograd engine.

>>> import autocompyute as ac
>>> x = ac.tensor([1.0, 2.0, 3.0], req_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
array([2., 4., 6.], dtype=float32)
"""

from autocompyute import autograd as autograd
from autocompyute import nn, optim, profiler, utils
from autocompyute._version import __version__ as __version__
from autocompyute.autograd import Op, no_autograd_tracking, no_grad
from autocompyute.backend import Device, cuda_available
from autocompyute.dtypes import (
    bool_,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
)
from autocompyute.factories import (
    arange,
    full,
    full_like,
    ones,
    ones_like,
    randi,
    randi_like,
    randn,
    randn_like,
    randperm,
    randu,
    randu_like,
    set_random_seed,
    tensor,
    zeros,
    zeros_like,
)
from autocompyute.ops.joining import concat, stack, where
from autocompyute.ops.linalg import einsum
from autocompyute.serialization import load, save
from autocompyute.tensor import Tensor

__all__ = [
    "Device",
    "Op",
    "Tensor",
    "arange",
    "autograd",
    "bool_",
    "concat",
    "cuda_available",
    "einsum",
    "float16",
    "float32",
    "float64",
    "full",
    "full_like",
    "int8",
    "int16",
    "int32",
    "int64",
    "load",
    "nn",
    "no_autograd_tracking",
    "no_grad",
    "ones",
    "ones_like",
    "optim",
    "profiler",
    "randi",
    "randi_like",
    "randn",
    "randn_like",
    "randperm",
    "randu",
    "randu_like",
    "save",
    "set_random_seed",
    "stack",
    "tensor",
    "utils",
    "where",
    "zeros",
    "zeros_like",
]
