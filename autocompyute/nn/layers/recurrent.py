"""Recurrent layers: RNN (tanh), LSTM and GRU, single layer, batch first.

Parameters follow PyTorch's `nn.RNN`/`nn.LSTM`/`nn.GRU` (batch_first=True, num_layers=1), so
weights copy over one to one: `w_ih` = `weight_ih_l0`, `w_hh` = `weight_hh_l0`, `b_ih` =
`bias_ih_l0`, `b_hh` = `bias_hh_l0`. The input projection of all time steps is one matrix
product before the time loop; the loop itself is built from differentiable tensor ops.
"""

from __future__ import annotations

from autocompyute import factories
from autocompyute.nn.functional.linear import linear
from autocompyute.nn.layers._weights import uniform_parameter
from autocompyute.nn.module import Module, Parameter
from autocompyute.ops import joining
from autocompyute.tensor import Tensor

__all__ = ["GRU", "LSTM", "RNN"]


class _Recurrent(Module):
    """Shared setup: `gates` stacked gate blocks of h_dim rows in each weight and bias."""

    gates = 1

    def __init__(self, in_dim: int, h_dim: int, bias: bool = True, return_seq: bool = True) -> None:
        super().__init__()
        if in_dim < 1 or h_dim < 1:
            raise ValueError(
                f"{type(self).__name__}: in_dim and h_dim must be >= 1, got {in_dim} and {h_dim}"
            )
        self.in_dim, self.h_dim, self.return_seq = in_dim, h_dim, return_seq
        # As in PyTorch, every weight and bias takes h_dim as its fan_in.
        rows = self.gates * h_dim
        self.w_ih = uniform_parameter((rows, in_dim), h_dim, "Weights")
        self.w_hh = uniform_parameter((rows, h_dim), h_dim, "Weights")
        self.b_ih: Parameter | None = None
        self.b_hh: Parameter | None = None
        if bias:
            self.b_ih = uniform_parameter((rows,), h_dim, "Biases")
            self.b_hh = uniform_parameter((rows,), h_dim, "Biases")

    def _project_inputs(self, x: Tensor, add_b_hh: bool = True) -> Tensor:
        """Checks x (B, T, in_dim); returns x w_ih^T + b_ih for all steps in one product.

        With `add_b_hh`, b_hh joins the projection too (where it simply adds up, as in RNN and
        LSTM), instead of being added at every step.
        """
        if x.ndim != 3 or x.shape[2] != self.in_dim:
            raise ValueError(
                f"{type(self).__name__}: input must have shape (B, T, {self.in_dim}), got {x.shape}"
            )
        if x.shape[1] == 0:
            raise ValueError(f"{type(self).__name__}: the input sequence is empty ({x.shape})")
        bias = self.b_ih
        if add_b_hh and bias is not None:
            bias = bias + self.b_hh
        return linear(x, self.w_ih, bias)

    def _initial_state(self, x: Tensor) -> Tensor:
        return factories.zeros(x.shape[0], self.h_dim, dtype=x.dtype, device=x.device)

    def _result(self, states: list[Tensor]) -> Tensor:
        return joining.stack(states, dim=1) if self.return_seq else states[-1]

    def extra_repr(self) -> str:
        return (
            f"in_dim={self.in_dim}, h_dim={self.h_dim}, bias={self.b_ih is not None}, "
            f"return_seq={self.return_seq}"
        )


class RNN(_Recurrent):
    """Elman recurrent layer with tanh: h_t = tanh(x_t w_ih^T + b_ih + h_{t-1} w_hh^T + b_hh).

    Args:
        in_dim: input features.
        h_dim: hidden state size H.
        bias: whether to use the biases b_ih and b_hh.
        return_seq: return the hidden states of all steps, else only the last one.

    Attributes:
        w_ih: (H, in_dim), w_hh: (H, H), b_ih: (H,), b_hh: (H,) (biases None without bias).

    Input (B, T, in_dim) -> output (B, T, H) with return_seq, else (B, H); h_0 = 0.

    >>> import autocompyute as ac
    >>> RNN(3, 5)(ac.ones(2, 4, 3)).shape
    (2, 4, 5)
    """

    def forward(self, x: Tensor) -> Tensor:
        projected = self._project_inputs(x)
        h = projected[:, 0].tanh()
        states = [h]
        for t in range(1, x.shape[1]):
            h = (projected[:, t] + linear(h, self.w_hh)).tanh()
            states.append(h)
        return self._result(states)


class LSTM(_Recurrent):
    """Long short-term memory layer, with PyTorch's gate order (input, forget, cell, output).

    i = sigmoid(x w_ii^T + b_ii + h w_hi^T + b_hi), f likewise, g = tanh(...), o = sigmoid(...);
    c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t); h_0 = c_0 = 0.

    Args:
        in_dim: input features.
        h_dim: hidden state size H.
        bias: whether to use the biases b_ih and b_hh.
        return_seq: return the hidden states of all steps, else only the last one.

    Attributes:
        w_ih: (4H, in_dim), rows [w_ii; w_if; w_ig; w_io]. w_hh: (4H, H), same row blocks.
        b_ih, b_hh: (4H,), same blocks (None without bias).

    Input (B, T, in_dim) -> output (B, T, H) with return_seq, else (B, H).

    >>> import autocompyute as ac
    >>> LSTM(3, 5, return_seq=False)(ac.ones(2, 4, 3)).shape
    (2, 5)
    """

    gates = 4

    def forward(self, x: Tensor) -> Tensor:
        size = self.h_dim
        projected = self._project_inputs(x)
        h = c = self._initial_state(x)
        states = []
        for t in range(x.shape[1]):
            gates = projected[:, t] if t == 0 else projected[:, t] + linear(h, self.w_hh)
            input_forget = gates[:, : 2 * size].sigmoid()
            cell = gates[:, 2 * size : 3 * size].tanh()
            output = gates[:, 3 * size :].sigmoid()
            update = input_forget[:, :size] * cell
            c = update if t == 0 else input_forget[:, size:] * c + update
            h = output * c.tanh()
            states.append(h)
        return self._result(states)


class GRU(_Recurrent):
    """Gated recurrent unit layer, with PyTorch's gate order (reset, update, new).

    r = sigmoid(x w_ir^T + b_ir + h w_hr^T + b_hr), z likewise,
    n = tanh(x w_in^T + b_in + r * (h w_hn^T + b_hn)), h_t = (1 - z) * n + z * h_{t-1}; h_0 = 0.

    Args:
        in_dim: input features.
        h_dim: hidden state size H.
        bias: whether to use the biases b_ih and b_hh.
        return_seq: return the hidden states of all steps, else only the last one.

    Attributes:
        w_ih: (3H, in_dim), rows [w_ir; w_iz; w_in]. w_hh: (3H, H), same row blocks.
        b_ih, b_hh: (3H,), same blocks (None without bias).

    Input (B, T, in_dim) -> output (B, T, H) with return_seq, else (B, H).

    >>> import autocompyute as ac
    >>> GRU(3, 5)(ac.ones(2, 4, 3)).shape
    (2, 4, 5)
    """

    gates = 3

    def forward(self, x: Tensor) -> Tensor:
        size = self.h_dim
        # b_hh stays in the hidden projection: its new-gate block is scaled by r.
        projected = self._project_inputs(x, add_b_hh=False)
        h = self._initial_state(x)
        states = []
        for t in range(x.shape[1]):
            step = projected[:, t]
            hidden = linear(h, self.w_hh, self.b_hh)
            reset_update = (step[:, : 2 * size] + hidden[:, : 2 * size]).sigmoid()
            new = (step[:, 2 * size :] + reset_update[:, :size] * hidden[:, 2 * size :]).tanh()
            h = new + reset_update[:, size:] * (h - new)
            states.append(h)
        return self._result(states)
