"""autocompyute: a small deep-learning library with a compiled autograd engine.

The top level mirrors `torch`: tensor factories, the functions of tensors (`ac.exp(x)`,
`ac.cat`, `ac.topk`, ...), dtypes (`ac.float32`, `ac.long`, ...), devices, grad modes and
seeding, so that a PyTorch program runs with `import autocompyute as torch`.

>>> import autocompyute as ac
>>> x = ac.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
array([2., 4., 6.], dtype=float32)
"""

from autocompyute import autograd as autograd
from autocompyute import nn, optim, profiler, utils
from autocompyute._version import __version__ as __version__
from autocompyute.autograd import (
    Op,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_autograd_tracking,
    no_grad,
    set_grad_enabled,
)
from autocompyute.backend import Device, cuda_available
from autocompyute.backend import Device as device  # noqa: N813 (PyTorch spells the class torch.device)
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
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randi,
    randi_like,
    randint,
    randint_like,
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
from autocompyute.generator import Generator, manual_seed
from autocompyute.nn.functional import log_softmax, softmax
from autocompyute.ops.binary import add, div, maximum, minimum, mul, pow, sub
from autocompyute.ops.cast import type_as
from autocompyute.ops.comparison import (
    allclose,
    eq,
    equal,
    ge,
    gt,
    isclose,
    isfinite,
    isinf,
    isnan,
    le,
    lt,
    ne,
)
from autocompyute.ops.indexing import chunk, split, unbind
from autocompyute.ops.joining import concat, stack, where
from autocompyute.ops.joining import concat as cat
from autocompyute.ops.linalg import bmm, einsum, matmul, mm
from autocompyute.ops.logical import all, any
from autocompyute.ops.movement import (
    clone,
    flatten,
    permute,
    roll,
    squeeze,
    transpose,
    unsqueeze,
)
from autocompyute.ops.movement import view as reshape
from autocompyute.ops.promotion import is_tensor
from autocompyute.ops.reduce import (
    amax,
    amin,
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    std,
    sum,
    var,
)
from autocompyute.ops.sampling import multinomial
from autocompyute.ops.scan import cumprod, cumsum
from autocompyute.ops.shapes import numel
from autocompyute.ops.sorting import argsort, gather, index_select, sort, topk
from autocompyute.ops.unary import abs, cos, exp, log, relu, sigmoid, sin, sqrt, tanh, tril, triu
from autocompyute.ops.unary import clip as clamp
from autocompyute.ops.unary import clip as clip
from autocompyute.serialization import load, save
from autocompyute.tensor import Tensor

# PyTorch's dtype names (NumPy dtypes underneath).
float = float32
double = float64
half = float16
int = int32
long = int64
short = int16
bool = bool_

__all__ = [
    "Device",
    "Generator",
    "Op",
    "Tensor",
    "abs",
    "add",
    "all",
    "allclose",
    "amax",
    "amin",
    "any",
    "arange",
    "argmax",
    "argmin",
    "argsort",
    "autograd",
    "bmm",
    "bool",
    "bool_",
    "cat",
    "chunk",
    "clamp",
    "clip",
    "clone",
    "concat",
    "cos",
    "cuda_available",
    "cumprod",
    "cumsum",
    "device",
    "div",
    "double",
    "einsum",
    "empty",
    "empty_like",
    "enable_grad",
    "eq",
    "equal",
    "exp",
    "eye",
    "flatten",
    "float",
    "float16",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "full_like",
    "gather",
    "ge",
    "gt",
    "half",
    "index_select",
    "inference_mode",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "is_tensor",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "le",
    "linspace",
    "load",
    "log",
    "log_softmax",
    "logsumexp",
    "long",
    "lt",
    "manual_seed",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mm",
    "mul",
    "multinomial",
    "ne",
    "nn",
    "no_autograd_tracking",
    "no_grad",
    "numel",
    "ones",
    "ones_like",
    "optim",
    "permute",
    "pow",
    "profiler",
    "rand",
    "rand_like",
    "randi",
    "randi_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "randperm",
    "randu",
    "randu_like",
    "relu",
    "reshape",
    "roll",
    "save",
    "set_grad_enabled",
    "set_random_seed",
    "short",
    "sigmoid",
    "sin",
    "softmax",
    "sort",
    "split",
    "sqrt",
    "squeeze",
    "stack",
    "std",
    "sub",
    "sum",
    "tanh",
    "tensor",
    "topk",
    "transpose",
    "tril",
    "triu",
    "type_as",
    "unbind",
    "unsqueeze",
    "utils",
    "var",
    "where",
    "zeros",
    "zeros_like",
]
