"""Whole-sequence recurrent ops: one Elman RNN, LSTM or GRU layer in one direction.

Each op takes the time-major input x (T, B, I), the layer's weights and biases and an optional
initial state, and runs the whole sequence: one matrix product for the input projections of all
steps, then the recurrence (compiled for NumPy arrays, `autocompyute._recurrent`; the xp
reference `recurrent_reference` for CuPy or when forced), and in backward a hand-written pass
back through time followed by a few large matrix products for the weight and input gradients.

Gate blocks are stacked in PyTorch's order (LSTM: input, forget, cell, output; GRU: reset,
update, new), so weights copy over from `torch.nn.LSTM` and friends unchanged. Biases and
initial states may be None (no bias; zero state).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from autocompyute import _recurrent, kernels
from autocompyute.autograd.op import Op
from autocompyute.ops import recurrent_reference

__all__ = ["GRUSequence", "LSTMSequence", "RNNSequence"]


def _loops(x: Any) -> Any:
    """The compiled time loops for NumPy float arrays, else (CuPy, or forced) the reference."""
    return _recurrent if kernels.compiled(x) else recurrent_reference


def _check_arrays(
    name: str, x: Any, w_ih: Any, w_hh: Any, others: dict[str, Any], gates: int
) -> None:
    """Raises a clear error for inputs the kernels cannot take."""
    if x.ndim != 3:
        raise ValueError(f"{name}: x must be (T, B, input_size), got shape {x.shape}")
    size = w_hh.shape[1]
    if w_hh.shape != (gates * size, size) or w_ih.shape != (gates * size, x.shape[2]):
        raise ValueError(
            f"{name}: weights must be ({gates}H, {x.shape[2]}) and ({gates}H, H), got "
            f"{w_ih.shape} and {w_hh.shape}"
        )
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: expected float arrays, got {x.dtype}")
    for label, array in {"w_ih": w_ih, "w_hh": w_hh, **others}.items():
        if array is not None and array.dtype != x.dtype:
            raise TypeError(f"{name}: {label} is {array.dtype} but x is {x.dtype}")


def _project(xp: ModuleType, x: Any, w_ih: Any, bias: Any) -> tuple[Any, Any]:
    """x (T, B, I) -> (x as (T B, I), x w_ih^T + bias as a C-contiguous (T, B, G))."""
    steps, rows, features = x.shape
    flat = xp.ascontiguousarray(x).reshape(steps * rows, features)
    xw = flat @ w_ih.T
    if bias is not None:
        xw += bias
    return flat, xw.reshape(steps, rows, -1)


def _state(xp: ModuleType, state: Any) -> Any:
    return None if state is None else xp.ascontiguousarray(state)


def _hidden_weight_grad(xp: ModuleType, dgates: Any, out: Any, h0: Any, reverse: bool) -> Any:
    """sum over steps of dgates[t]^T h_prev[t], with h_prev the state each step started from."""
    size, width = out.shape[2], dgates.shape[2]
    later, earlier = (dgates[:-1], out[1:]) if reverse else (dgates[1:], out[:-1])
    grad = later.reshape(-1, width).T @ earlier.reshape(-1, size)
    if h0 is not None:
        grad += (dgates[-1] if reverse else dgates[0]).T @ h0
    return grad


def _weight_grads(
    op: Op, dgates: Any, flat: Any, w_ih: Any, out: Any, h0: Any, reverse: bool
) -> tuple[Any, Any, Any, Any, Any]:
    """(x, w_ih, w_hh, b_ih, b_hh) gradients of a cell whose two biases both add to the gates
    (RNN, LSTM), so they share one gradient."""
    grad_x, grad_w_ih, grad_b = _input_grads(op, dgates, flat, w_ih)
    needs = op.needs_grad
    grad_w_hh = _hidden_weight_grad(op.xp, dgates, out, h0, reverse) if needs[2] else None
    if grad_b is None and needs[4]:
        grad_b = dgates.reshape(-1, dgates.shape[2]).sum(axis=0)
    return grad_x, grad_w_ih, grad_w_hh, grad_b, grad_b if needs[4] else None


def _input_grads(op: Op, dxw: Any, flat: Any, w_ih: Any) -> tuple[Any, Any, Any]:
    """Gradients of x, w_ih and b_ih from the gradient dxw (T, B, G) of the input projection."""
    needs = op.needs_grad
    flat_grad = dxw.reshape(-1, dxw.shape[2])
    grad_x = (dxw @ w_ih) if needs[0] else None
    grad_w_ih = (flat_grad.T @ flat) if needs[1] else None
    grad_b_ih = flat_grad.sum(axis=0) if needs[3] else None
    return grad_x, grad_w_ih, grad_b_ih


class RNNSequence(Op):
    """Elman RNN over a sequence: h_t = act(x_t w_ih^T + b_ih + h_{t-1} w_hh^T + b_hh).

    Inputs x (T, B, I), w_ih (H, I), w_hh (H, H), b_ih, b_hh (H,) or None, h0 (B, H) or None;
    keywords `relu` (ReLU instead of tanh) and `reverse` (run from the last step to the first).
    Output (T, B, H): the hidden state of every step, in time order.
    """

    def forward(
        self,
        x: Any,
        w_ih: Any,
        w_hh: Any,
        b_ih: Any,
        b_hh: Any,
        h0: Any,
        *,
        relu: bool = False,
        reverse: bool = False,
    ) -> Any:
        xp = self.xp
        _check_arrays("RNNSequence", x, w_ih, w_hh, {"b_ih": b_ih, "b_hh": b_hh, "h0": h0}, 1)
        bias = b_ih if b_hh is None else (b_hh if b_ih is None else b_ih + b_hh)
        flat, xw = _project(xp, x, w_ih, bias)
        h0 = _state(xp, h0)
        out = xp.empty_like(xw)
        _loops(x).rnn_forward(xw, w_hh, h0, relu, reverse, out)
        self.save_for_backward(flat, w_ih, w_hh, h0, out)
        return out

    def backward(self, grad: Any) -> Any:
        xp = self.xp
        flat, w_ih, w_hh, h0, out = self.saved
        relu, reverse = self.kwargs.get("relu", False), self.kwargs.get("reverse", False)
        grad = xp.ascontiguousarray(grad, dtype=out.dtype)
        dpre = xp.empty_like(out)
        grad_h0 = _loops(out).rnn_backward(out, grad, w_hh, relu, reverse, dpre)
        grads = _weight_grads(self, dpre, flat, w_ih, out, h0, reverse)
        return (*grads, grad_h0 if self.needs_grad[5] else None)


class LSTMSequence(Op):
    """LSTM over a sequence, PyTorch's gates and gate order (input, forget, cell, output).

    Inputs x (T, B, I), w_ih (4H, I), w_hh (4H, H), b_ih, b_hh (4H,) or None, h0 and c0 (B, H)
    or None; keyword `reverse`. Output (T + 1, B, H): the hidden states of the T steps in time
    order, then the final cell state (a packed array, so that one op carries all results).
    """

    def forward(
        self,
        x: Any,
        w_ih: Any,
        w_hh: Any,
        b_ih: Any,
        b_hh: Any,
        h0: Any,
        c0: Any,
        *,
        reverse: bool = False,
    ) -> Any:
        xp = self.xp
        _check_arrays(
            "LSTMSequence", x, w_ih, w_hh, {"b_ih": b_ih, "b_hh": b_hh, "h0": h0, "c0": c0}, 4
        )
        bias = b_ih if b_hh is None else (b_hh if b_ih is None else b_ih + b_hh)
        flat, xw = _project(xp, x, w_ih, bias)
        h0, c0 = _state(xp, h0), _state(xp, c0)
        steps, rows, size = x.shape[0], x.shape[1], w_hh.shape[1]
        packed = xp.empty((steps + 1, rows, size), dtype=x.dtype)
        out = packed[:steps]
        gates = xp.empty_like(xw)
        cells = xp.empty((steps, rows, size), dtype=x.dtype)
        tanh_cells = xp.empty_like(cells)
        _loops(x).lstm_forward(xw, w_hh, h0, c0, reverse, out, gates, cells, tanh_cells)
        packed[steps] = cells[0 if reverse else steps - 1]
        self.save_for_backward(flat, w_ih, w_hh, h0, c0, out, gates, cells, tanh_cells)
        return packed

    def backward(self, grad: Any) -> Any:
        xp = self.xp
        flat, w_ih, w_hh, h0, c0, out, gates, cells, tanh_cells = self.saved
        reverse = self.kwargs.get("reverse", False)
        steps = out.shape[0]
        grad = xp.ascontiguousarray(grad, dtype=out.dtype)
        dc = grad[steps].copy()
        dgates = xp.empty_like(gates)
        grad_h0 = _loops(out).lstm_backward(
            gates, cells, tanh_cells, c0, grad[:steps], dc, w_hh, reverse, dgates
        )
        grads = _weight_grads(self, dgates, flat, w_ih, out, h0, reverse)
        needs = self.needs_grad
        return (*grads, grad_h0 if needs[5] else None, dc if needs[6] else None)


class GRUSequence(Op):
    """GRU over a sequence, PyTorch's formulation and gate order (reset, update, new).

    r, z = sigmoid(x w_i{r,z}^T + b_i{r,z} + h w_h{r,z}^T + b_h{r,z}),
    n = tanh(x w_in^T + b_in + r (h w_hn^T + b_hn)), h' = (1 - z) n + z h.
    Inputs x (T, B, I), w_ih (3H, I), w_hh (3H, H), b_ih, b_hh (3H,) or None, h0 (B, H) or
    None; keyword `reverse`. Output (T, B, H): the hidden state of every step, in time order.
    """

    def forward(
        self, x: Any, w_ih: Any, w_hh: Any, b_ih: Any, b_hh: Any, h0: Any, *, reverse: bool = False
    ) -> Any:
        xp = self.xp
        _check_arrays("GRUSequence", x, w_ih, w_hh, {"b_ih": b_ih, "b_hh": b_hh, "h0": h0}, 3)
        size = w_hh.shape[1]
        flat, xw = _project(xp, x, w_ih, b_ih)
        b_hn = None
        if b_hh is not None:
            # Only the new gate scales its hidden bias by r: the others join the projection.
            xw[:, :, : 2 * size] += b_hh[: 2 * size]
            b_hn = xp.ascontiguousarray(b_hh[2 * size :])
        h0 = _state(xp, h0)
        steps, rows = x.shape[0], x.shape[1]
        out = xp.empty((steps, rows, size), dtype=x.dtype)
        saved = xp.empty((steps, rows, 4 * size), dtype=x.dtype)
        _loops(x).gru_forward(xw, w_hh, b_hn, h0, reverse, out, saved)
        self.save_for_backward(flat, w_ih, w_hh, h0, out, saved)
        return out

    def backward(self, grad: Any) -> Any:
        xp = self.xp
        flat, w_ih, w_hh, h0, out, saved = self.saved
        reverse = self.kwargs.get("reverse", False)
        grad = xp.ascontiguousarray(grad, dtype=out.dtype)
        dxw = xp.empty((*out.shape[:2], 3 * out.shape[2]), dtype=out.dtype)
        dhw = xp.empty_like(dxw)
        grad_h0 = _loops(out).gru_backward(saved, out, h0, grad, w_hh, reverse, dxw, dhw)
        grad_x, grad_w_ih, grad_b_ih = _input_grads(self, dxw, flat, w_ih)
        needs = self.needs_grad
        grad_w_hh = _hidden_weight_grad(xp, dhw, out, h0, reverse) if needs[2] else None
        grad_b_hh = dhw.reshape(-1, dhw.shape[2]).sum(axis=0) if needs[4] else None
        return (grad_x, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh, grad_h0 if needs[5] else None)
