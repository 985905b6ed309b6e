"""Typed stub of the compiled fused kernels (csrc/autocompyute/_kernels.pyx), written by hand.

Arrays are C-contiguous NumPy arrays of one floating dtype (float32 or float64); see
`autocompyute.kernels` for the functions that prepare them.
"""

from typing import Any

from numpy.typing import NDArray

_Array = NDArray[Any]

def gelu_forward(x: _Array, out: _Array, approximate_tanh: bool) -> None: ...
def gelu_backward(x: _Array, grad: _Array, out: _Array, approximate_tanh: bool) -> None: ...
def layer_norm_forward(
    x: _Array,
    w: _Array | None,
    b: _Array | None,
    eps: float,
    out: _Array,
    mean: _Array,
    inv_std: _Array,
) -> None: ...
def layer_norm_backward(
    x: _Array,
    mean: _Array,
    inv_std: _Array,
    w: _Array | None,
    grad: _Array,
    grad_x: _Array | None,
    grad_w: _Array | None,
    grad_b: _Array | None,
) -> None: ...
def softmax_forward(x: _Array, n_queries: int, log_output: bool, out: _Array) -> None: ...
def softmax_backward(out: _Array, grad: _Array, result: _Array) -> None: ...
def log_softmax_backward(out: _Array, grad: _Array, n_queries: int, result: _Array) -> None: ...
def cross_entropy(
    logits: _Array, targets: _Array, ignore_index: int, smoothing: float, grad_out: _Array
) -> float: ...
def adam_update(
    params: list[_Array],
    grads: list[_Array],
    exp_avgs: list[_Array],
    exp_avg_sqs: list[_Array],
    steps: list[int],
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled: bool,
) -> None: ...
