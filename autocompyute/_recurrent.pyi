# Hand-written stub of the compiled time loops (csrc/autocompyute/_recurrent.pyx), checked by
# mypy.stubtest. Arrays are C-contiguous float32 or float64 NumPy arrays of one dtype.
from typing import Any

def tanh(x: Any, out: Any) -> None: ...
def sigmoid(x: Any, out: Any) -> None: ...
def rnn_forward(xw: Any, w_hh: Any, h0: Any, relu: bool, reverse: bool, out: Any) -> None: ...
def rnn_backward(out: Any, grad: Any, w_hh: Any, relu: bool, reverse: bool, dpre: Any) -> Any: ...
def lstm_forward(
    xw: Any,
    w_hh: Any,
    h0: Any,
    c0: Any,
    reverse: bool,
    out: Any,
    gates: Any,
    cells: Any,
    tanh_cells: Any,
) -> None: ...
def lstm_backward(
    gates: Any,
    cells: Any,
    tanh_cells: Any,
    c0: Any,
    grad: Any,
    dc: Any,
    w_hh: Any,
    reverse: bool,
    dgates: Any,
) -> Any: ...
def gru_forward(
    xw: Any, w_hh: Any, b_hn: Any, h0: Any, reverse: bool, out: Any, saved: Any
) -> None: ...
def gru_backward(
    saved: Any, out: Any, h0: Any, grad: Any, w_hh: Any, reverse: bool, dxw: Any, dhw: Any
) -> Any: ...
