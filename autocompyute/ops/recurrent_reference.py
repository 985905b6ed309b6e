"""The xp (NumPy/CuPy) reference of the compiled RNN, LSTM and GRU time loops.

Same functions, arguments and results as the compiled module `autocompyute._recurrent` (see
its docstrings): the ops call this one for CuPy arrays, and for NumPy arrays while the reference
path is forced (`ac.kernels.reference_kernels()` or `AUTOCOMPYUTE_REFERENCE_KERNELS=1`), so that
tests compare the two. Each step is a handful of whole-array operations of the array module
instead of one compiled loop.
"""

from __future__ import annotations

from typing import Any

from autocompyute.backend import array_module
from autocompyute.ops.unary import sigmoid_array

__all__ = [
    "gru_backward",
    "gru_forward",
    "lstm_backward",
    "lstm_forward",
    "rnn_backward",
    "rnn_forward",
    "sigmoid",
    "tanh",
]


def _order(steps: int, reverse: bool) -> range:
    """The time indices in the order the forward loop visits them."""
    return range(steps - 1, -1, -1) if reverse else range(steps)


def tanh(x: Any, out: Any) -> None:
    array_module(x).tanh(x, out=out)


def sigmoid(x: Any, out: Any) -> None:
    out[...] = sigmoid_array(array_module(x), x)


def rnn_forward(xw: Any, w_hh: Any, h0: Any, relu: bool, reverse: bool, out: Any) -> None:
    xp = array_module(xw)
    h_prev = h0
    for t in _order(xw.shape[0], reverse):
        pre = xw[t] if h_prev is None else xw[t] + h_prev @ w_hh.T
        if relu:
            xp.maximum(pre, 0, out=out[t])
        else:
            xp.tanh(pre, out=out[t])
        h_prev = out[t]


def rnn_backward(out: Any, grad: Any, w_hh: Any, relu: bool, reverse: bool, dpre: Any) -> Any:
    dh = None
    for t in reversed(_order(out.shape[0], reverse)):
        d = grad[t] if dh is None else grad[t] + dh
        dpre[t] = d * (out[t] > 0) if relu else d * (1 - out[t] * out[t])
        dh = dpre[t] @ w_hh
    return dh


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
) -> None:
    xp = array_module(xw)
    size = out.shape[2]
    h_prev, c_prev = h0, c0
    for t in _order(xw.shape[0], reverse):
        pre = xw[t] if h_prev is None else xw[t] + h_prev @ w_hh.T
        step = gates[t]
        step[:, : 2 * size] = sigmoid_array(xp, pre[:, : 2 * size])
        xp.tanh(pre[:, 2 * size : 3 * size], out=step[:, 2 * size : 3 * size])
        step[:, 3 * size :] = sigmoid_array(xp, pre[:, 3 * size :])
        i, f, g, o = (step[:, k * size : (k + 1) * size] for k in range(4))
        cells[t] = i * g if c_prev is None else f * c_prev + i * g
        xp.tanh(cells[t], out=tanh_cells[t])
        out[t] = o * tanh_cells[t]
        h_prev, c_prev = out[t], cells[t]


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
) -> Any:
    size = cells.shape[2]
    order = list(_order(gates.shape[0], reverse))
    dh = None
    for k in range(len(order) - 1, -1, -1):
        t = order[k]
        c_prev = c0 if k == 0 else cells[order[k - 1]]
        i, f, g, o = (gates[t][:, j * size : (j + 1) * size] for j in range(4))
        tc = tanh_cells[t]
        d = grad[t] if dh is None else grad[t] + dh
        dcell = dc + d * o * (1 - tc * tc)
        step = dgates[t]
        step[:, :size] = dcell * g * i * (1 - i)
        if c_prev is None:
            step[:, size : 2 * size] = 0
        else:
            step[:, size : 2 * size] = dcell * c_prev * f * (1 - f)
        step[:, 2 * size : 3 * size] = dcell * i * (1 - g * g)
        step[:, 3 * size :] = d * tc * o * (1 - o)
        dc[...] = dcell * f
        dh = step @ w_hh
    return dh


def gru_forward(
    xw: Any, w_hh: Any, b_hn: Any, h0: Any, reverse: bool, out: Any, saved: Any
) -> None:
    xp = array_module(xw)
    size = out.shape[2]
    h_prev = h0
    for t in _order(xw.shape[0], reverse):
        step = saved[t]
        if h_prev is None:
            step[:, : 2 * size] = sigmoid_array(xp, xw[t][:, : 2 * size])
            step[:, 3 * size :] = 0 if b_hn is None else b_hn
        else:
            hw = h_prev @ w_hh.T
            step[:, : 2 * size] = sigmoid_array(xp, xw[t][:, : 2 * size] + hw[:, : 2 * size])
            step[:, 3 * size :] = hw[:, 2 * size :] if b_hn is None else hw[:, 2 * size :] + b_hn
        r, z = step[:, :size], step[:, size : 2 * size]
        n = xp.tanh(xw[t][:, 2 * size :] + r * step[:, 3 * size :])
        step[:, 2 * size : 3 * size] = n
        out[t] = n - z * n if h_prev is None else n + z * (h_prev - n)
        h_prev = out[t]


def gru_backward(
    saved: Any, out: Any, h0: Any, grad: Any, w_hh: Any, reverse: bool, dxw: Any, dhw: Any
) -> Any:
    size = out.shape[2]
    order = list(_order(saved.shape[0], reverse))
    dh: Any = None
    carry: Any = 0
    for k in range(len(order) - 1, -1, -1):
        t = order[k]
        h_prev = h0 if k == 0 else out[order[k - 1]]
        r, z, n, hn = (saved[t][:, j * size : (j + 1) * size] for j in range(4))
        d = grad[t] + carry if dh is None else grad[t] + carry + dh
        dn = d * (1 - z) * (1 - n * n)
        dz = -n if h_prev is None else h_prev - n
        dz = d * dz * z * (1 - z)
        dr = dn * hn * r * (1 - r)
        dxw[t][:, :size] = dr
        dxw[t][:, size : 2 * size] = dz
        dxw[t][:, 2 * size :] = dn
        dhw[t][:, : 2 * size] = dxw[t][:, : 2 * size]
        dhw[t][:, 2 * size :] = dn * r
        carry = d * z
        dh = dhw[t] @ w_hh
    return carry + dh
