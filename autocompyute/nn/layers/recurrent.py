"""Recurrent layers with PyTorch's API: RNN (tanh or ReLU), LSTM and GRU, and their cells.

Each layer and direction runs as one whole-sequence op (`autocompyute.ops.recurrent`): one
matrix product for the input projections of all steps, a compiled time loop and a hand-written
backward through time. Parameters carry PyTorch's names, shapes, gate order and initialization,
so weights copy over from `torch.nn.LSTM` and friends one to one, and state dicts use the same
keys (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, `..._reverse`).

The original AutoCompyute layers (`LSTM(in_dim, h_dim, bias=True, return_seq=True)`: batch
first, returning one tensor) keep working: passing `return_seq` (or `in_dim`/`h_dim`) selects
their defaults. See docs/porting.md for what differs.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from autocompyute import factories
from autocompyute.nn.functional.dropout import dropout as dropout_function
from autocompyute.nn.module import Module, Parameter
from autocompyute.ops import joining
from autocompyute.ops.recurrent import GRUSequence, LSTMSequence, RNNSequence
from autocompyute.tensor import Tensor

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase"]

Weights = tuple[Parameter, Parameter, Parameter | None, Parameter | None]
LSTMState = tuple[Tensor, Tensor]


def _new_parameter(
    shape: tuple[int, ...], hidden_size: int, label: str, device: Any, dtype: Any
) -> Parameter:
    """uniform(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), PyTorch's init of every RNN tensor."""
    bound = 1.0 / math.sqrt(hidden_size)
    return Parameter(
        factories.randu(*shape, low=-bound, high=bound, dtype=dtype, device=device), label=label
    )


def _check_size(name: str, label: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}: {label} must be an int >= 1, got {value!r}")
    return value


def _check_nonlinearity(name: str, nonlinearity: str) -> bool:
    """Returns whether the nonlinearity is ReLU (else tanh)."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(
            f"{name}: unknown nonlinearity {nonlinearity!r} (expected 'tanh' or 'relu')"
        )
    return nonlinearity == "relu"


# ----------------------------------------------------------------------------- one layer run


def _run_rnn(
    x: Tensor, weights: Weights, h0: Tensor | None, reverse: bool, relu: bool
) -> tuple[Tensor, Tensor, None]:
    """One Elman layer in one direction: (output (T, B, H), h_n (1, B, H), None)."""
    out = RNNSequence.apply(x, *weights, h0, relu=relu, reverse=reverse)
    last = 0 if reverse else x.shape[0] - 1
    return out, out[last : last + 1], None


def _run_lstm(
    x: Tensor, weights: Weights, h0: Tensor | None, c0: Tensor | None, reverse: bool
) -> tuple[Tensor, Tensor, Tensor]:
    """One LSTM layer in one direction: (output (T, B, H), h_n (1, B, H), c_n (1, B, H))."""
    steps = x.shape[0]
    packed = LSTMSequence.apply(x, *weights, h0, c0, reverse=reverse)
    last = 0 if reverse else steps - 1
    return packed[:steps], packed[last : last + 1], packed[steps:]


def _run_gru(
    x: Tensor, weights: Weights, h0: Tensor | None, reverse: bool
) -> tuple[Tensor, Tensor, None]:
    """One GRU layer in one direction: (output (T, B, H), h_n (1, B, H), None)."""
    out = GRUSequence.apply(x, *weights, h0, reverse=reverse)
    last = 0 if reverse else x.shape[0] - 1
    return out, out[last : last + 1], None


# ---------------------------------------------------------------------------------- layers


class RNNBase(Module):
    """Shared setup and forward of RNN, LSTM and GRU (multi-layer, optionally bidirectional).

    Subclasses set `gates` (stacked gate blocks in each weight) and `_run_layer`.
    """

    gates = 1

    def __init__(
        self,
        input_size: int | None = None,
        hidden_size: int | None = None,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool | None = None,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
        *,
        in_dim: int | None = None,
        h_dim: int | None = None,
        return_seq: bool | None = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        # The original AutoCompyute's spelling: in_dim, h_dim, return_seq, batch first.
        self._legacy = return_seq is not None or in_dim is not None or h_dim is not None
        input_size = _pick(name, "input_size", input_size, "in_dim", in_dim)
        hidden_size = _pick(name, "hidden_size", hidden_size, "h_dim", h_dim)
        self.input_size = _check_size(name, "input_size", input_size)
        self.hidden_size = _check_size(name, "hidden_size", hidden_size)
        self.num_layers = _check_size(name, "num_layers", num_layers)
        if (
            isinstance(dropout, bool)
            or not isinstance(dropout, int | float)
            or not (0.0 <= dropout <= 1.0)
        ):
            raise ValueError(f"{name}: dropout must be a number in [0, 1], got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                f"{name}: dropout={dropout} acts between layers, so it has no effect with "
                "num_layers=1",
                UserWarning,
                stacklevel=2,
            )
        self.bias = bool(bias)
        self.batch_first = self._legacy if batch_first is None else bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.return_seq = True if return_seq is None else bool(return_seq)
        rows = self.gates * self.hidden_size
        for layer in range(self.num_layers):
            width = self.input_size if layer == 0 else self.hidden_size * self.num_directions
            for suffix in self._suffixes:
                shapes: list[tuple[str, tuple[int, ...]]] = [
                    ("weight_ih", (rows, width)),
                    ("weight_hh", (rows, self.hidden_size)),
                ]
                if self.bias:
                    shapes += [("bias_ih", (rows,)), ("bias_hh", (rows,))]
                for base, shape in shapes:
                    label = "Weights" if base.startswith("weight") else "Biases"
                    setattr(
                        self,
                        f"{base}_l{layer}{suffix}",
                        _new_parameter(shape, self.hidden_size, label, device, dtype),
                    )

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def _suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse") if self.bidirectional else ("",)

    def _weights(self, layer: int, direction: int) -> Weights:
        suffix = f"_l{layer}{self._suffixes[direction]}"
        weights: Weights = (
            getattr(self, "weight_ih" + suffix),
            getattr(self, "weight_hh" + suffix),
            getattr(self, "bias_ih" + suffix) if self.bias else None,
            getattr(self, "bias_hh" + suffix) if self.bias else None,
        )
        return weights

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters of each layer and direction, as in PyTorch."""
        return [
            [p for p in self._weights(layer, direction) if p is not None]
            for layer in range(self.num_layers)
            for direction in range(self.num_directions)
        ]

    def flatten_parameters(self) -> None:
        """Does nothing: the parameters are always used where they are (PyTorch packs cuDNN's
        weights here)."""

    # The original AutoCompyute's names for the first layer's parameters and sizes.
    @property
    def w_ih(self) -> Parameter:
        return self._weights(0, 0)[0]

    @property
    def w_hh(self) -> Parameter:
        return self._weights(0, 0)[1]

    @property
    def b_ih(self) -> Parameter | None:
        return self._weights(0, 0)[2]

    @property
    def b_hh(self) -> Parameter | None:
        return self._weights(0, 0)[3]

    @property
    def in_dim(self) -> int:
        return self.input_size

    @property
    def h_dim(self) -> int:
        return self.hidden_size

    def _run_layer(
        self, x: Tensor, weights: Weights, h0: Tensor | None, c0: Tensor | None, reverse: bool
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        raise NotImplementedError

    def forward(self, input: Tensor, hx: Any = None) -> Any:
        """Runs the layers over the sequence.

        Args:
            input: (T, B, input_size), or (B, T, input_size) with batch_first, or unbatched
                (T, input_size).
            hx: initial state (h_0, or (h_0, c_0) for LSTM), each (num_layers * directions,
                B, H) ((num_layers * directions, H) unbatched); None for zeros.

        Returns:
            (output, h_n) ((output, (h_n, c_n)) for LSTM): output (T, B, directions * H)
            (batch first with batch_first), h_n and c_n shaped like the initial state. With
            the original AutoCompyute's arguments (return_seq), only the output, or its last
            step when return_seq is False.
        """
        x, batched = self._time_major(input)
        batch = x.shape[1]
        h0, c0 = self._initial_state(hx, batched, batch, x)
        h_finals: list[Tensor] = []
        c_finals: list[Tensor] = []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                index = layer * self.num_directions + direction
                out, h_n, c_n = self._run_layer(
                    x,
                    self._weights(layer, direction),
                    None if h0 is None else h0[index],
                    None if c0 is None else c0[index],
                    direction == 1,
                )
                outputs.append(out)
                h_finals.append(h_n)
                if c_n is not None:
                    c_finals.append(c_n)
            x = outputs[0] if len(outputs) == 1 else joining.concat(outputs, dim=2)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = dropout_function(x, self.dropout)
        output = (
            x
            if batched and not self.batch_first
            else (x.transpose(0, 1) if batched else x.squeeze(1))
        )
        if self._legacy:
            if self.return_seq:
                return output
            return output[:, -1] if batched else output[-1]
        h_n = self._final(h_finals, batched)
        if c_finals:
            return output, (h_n, self._final(c_finals, batched))
        return output, h_n

    def _time_major(self, input: Any) -> tuple[Tensor, bool]:
        """Checks the input; returns it as (T, B, input_size) and whether it was batched."""
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            layout = "(B, T" if self.batch_first else "(T, B"
            raise ValueError(
                f"{name}: input must have shape {layout}, {self.input_size}) or unbatched "
                f"(T, {self.input_size}), got {input.shape}"
            )
        if input.dtype != self.w_ih.dtype:
            raise TypeError(
                f"{name}: input is {input.dtype} but the parameters are {self.w_ih.dtype}"
            )
        if input.ndim == 2:
            x = input.unsqueeze(1)
        else:
            x = input.transpose(0, 1) if self.batch_first else input
        if x.shape[0] == 0 or x.shape[1] == 0:
            raise ValueError(f"{name}: the input is empty ({input.shape})")
        return x, input.ndim == 3

    def _initial_state(
        self, hx: Any, batched: bool, batch: int, x: Tensor
    ) -> tuple[Tensor | None, Tensor | None]:
        """Checks hx; returns (h0, c0), each (layers * directions, B, H) or None."""
        if hx is None:
            return None, None
        name = type(self).__name__
        if self.gates == 4:
            if not (isinstance(hx, tuple | list) and len(hx) == 2):
                raise TypeError(f"{name}: hx must be a tuple (h_0, c_0), got {type(hx).__name__}")
            return (
                self._check_state(hx[0], "h_0", batched, batch, x),
                self._check_state(hx[1], "c_0", batched, batch, x),
            )
        return self._check_state(hx, "h_0", batched, batch, x), None

    def _check_state(self, state: Any, label: str, batched: bool, batch: int, x: Tensor) -> Tensor:
        name = type(self).__name__
        layers = self.num_layers * self.num_directions
        expected = (layers, batch, self.hidden_size) if batched else (layers, self.hidden_size)
        if not isinstance(state, Tensor):
            raise TypeError(f"{name}: {label} must be a Tensor, got {type(state).__name__}")
        if state.shape != expected:
            raise ValueError(f"{name}: {label} must have shape {expected}, got {state.shape}")
        if state.dtype != x.dtype:
            raise TypeError(f"{name}: {label} is {state.dtype} but the input is {x.dtype}")
        return state if batched else state.unsqueeze(1)

    @staticmethod
    def _final(states: list[Tensor], batched: bool) -> Tensor:
        """(layers * directions, B, H) from the per-layer (1, B, H) final states."""
        joined = states[0] if len(states) == 1 else joining.concat(states, dim=0)
        return joined if batched else joined.squeeze(1)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        defaults = {
            "num_layers": 1,
            "bias": True,
            "batch_first": self._legacy,
            "dropout": 0.0,
            "bidirectional": False,
        }
        for key, default in defaults.items():
            value = getattr(self, key)
            if value != default:
                text += f", {key}={value}"
        if self._legacy:
            text += f", return_seq={self.return_seq}"
        return text


def _pick(name: str, label: str, value: Any, legacy_label: str, legacy: Any) -> Any:
    """The size given under PyTorch's name or the original's, not both."""
    if legacy is None:
        if value is None:
            raise TypeError(f"{name}: missing argument {label}")
        return value
    if value is not None:
        raise TypeError(f"{name}: got both {label} and its alias {legacy_label}")
    return legacy


class RNN(RNNBase):
    """Elman RNN, as torch.nn.RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh).

    Args:
        input_size: features of the input. hidden_size: H.
        num_layers: stacked layers (each reads the previous one's output).
        nonlinearity: 'tanh' or 'relu'.
        bias: use b_ih and b_hh.
        batch_first: input and output are (B, T, features) instead of (T, B, features).
        dropout: dropout probability on the outputs of every layer but the last (training).
        bidirectional: also run each layer from the last step to the first and concatenate.
        device, dtype: where and in what float type the parameters are created.
        in_dim, h_dim, return_seq: the original AutoCompyute's arguments (see LSTM).

    Parameters (per layer k, `_reverse` for the second direction): weight_ih_l{k} (H, input
    features of layer k), weight_hh_l{k} (H, H), bias_ih_l{k}, bias_hh_l{k} (H,), all uniform
    in (-1/sqrt(H), 1/sqrt(H)).

    Returns (output, h_n); see `RNNBase.forward`.

    >>> import autocompyute as ac
    >>> output, h_n = RNN(3, 5, num_layers=2)(ac.ones(4, 2, 3))
    >>> output.shape, h_n.shape
    ((4, 2, 5), (2, 2, 5))
    """

    def __init__(
        self,
        input_size: int | None = None,
        hidden_size: int | None = None,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool | None = None,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
        *,
        in_dim: int | None = None,
        h_dim: int | None = None,
        return_seq: bool | None = None,
    ) -> None:
        self.relu = _check_nonlinearity(type(self).__name__, nonlinearity)
        self.nonlinearity = nonlinearity
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device,
            dtype,
            in_dim=in_dim,
            h_dim=h_dim,
            return_seq=return_seq,
        )

    def _run_layer(
        self, x: Tensor, weights: Weights, h0: Tensor | None, c0: Tensor | None, reverse: bool
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        return _run_rnn(x, weights, h0, reverse, self.relu)

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text if not self.relu else text + ", nonlinearity='relu'"


class LSTM(RNNBase):
    """Long short-term memory, as torch.nn.LSTM (gate order input, forget, cell, output).

    i, f, o = sigmoid(x W_i{i,f,o}^T + b_i{i,f,o} + h W_h{i,f,o}^T + b_h{i,f,o}),
    g = tanh(x W_ig^T + b_ig + h W_hg^T + b_hg), c' = f c + i g, h' = o tanh(c').

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
        device, dtype: as for RNN (weights have 4H rows: [W_i; W_f; W_g; W_o]).
        proj_size: only 0 (PyTorch's LSTM with projections is not supported).
        in_dim, h_dim, return_seq: the original AutoCompyute's arguments. Passing return_seq
            (True: the outputs of all steps; False: only the last step's) makes the layer batch
            first by default and return that one tensor instead of (output, (h_n, c_n)).

    Returns (output, (h_n, c_n)); see `RNNBase.forward`.

    >>> import autocompyute as ac
    >>> output, (h_n, c_n) = LSTM(3, 5, batch_first=True)(ac.ones(2, 4, 3))
    >>> output.shape, h_n.shape, c_n.shape
    ((2, 4, 5), (1, 2, 5), (1, 2, 5))
    >>> LSTM(3, 5, return_seq=False)(ac.ones(2, 4, 3)).shape
    (2, 5)
    """

    gates = 4

    def __init__(
        self,
        input_size: int | None = None,
        hidden_size: int | None = None,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool | None = None,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
        *,
        in_dim: int | None = None,
        h_dim: int | None = None,
        return_seq: bool | None = None,
    ) -> None:
        if proj_size != 0:
            raise ValueError(
                f"LSTM: proj_size={proj_size} is not supported (only 0, no projection)"
            )
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device,
            dtype,
            in_dim=in_dim,
            h_dim=h_dim,
            return_seq=return_seq,
        )
        self.proj_size = 0

    def _run_layer(
        self, x: Tensor, weights: Weights, h0: Tensor | None, c0: Tensor | None, reverse: bool
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        return _run_lstm(x, weights, h0, c0, reverse)


class GRU(RNNBase):
    """Gated recurrent unit, as torch.nn.GRU (gate order reset, update, new).

    r, z = sigmoid(x W_i{r,z}^T + b_i{r,z} + h W_h{r,z}^T + b_h{r,z}),
    n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)), h' = (1 - z) n + z h.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
        device, dtype: as for RNN (weights have 3H rows: [W_r; W_z; W_n]).
        in_dim, h_dim, return_seq: the original AutoCompyute's arguments (see LSTM).

    Returns (output, h_n); see `RNNBase.forward`.

    >>> import autocompyute as ac
    >>> output, h_n = GRU(3, 5, bidirectional=True)(ac.ones(4, 3))
    >>> output.shape, h_n.shape
    ((4, 10), (2, 5))
    """

    gates = 3

    def _run_layer(
        self, x: Tensor, weights: Weights, h0: Tensor | None, c0: Tensor | None, reverse: bool
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        return _run_gru(x, weights, h0, reverse)


# ----------------------------------------------------------------------------------- cells


class RNNCellBase(Module):
    """Shared setup of the one-step cells: weight_ih, weight_hh, bias_ih, bias_hh."""

    gates = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.input_size = _check_size(name, "input_size", input_size)
        self.hidden_size = _check_size(name, "hidden_size", hidden_size)
        self.bias = bool(bias)
        rows = self.gates * hidden_size
        self.weight_ih = _new_parameter((rows, input_size), hidden_size, "Weights", device, dtype)
        self.weight_hh = _new_parameter((rows, hidden_size), hidden_size, "Weights", device, dtype)
        self.bias_ih: Parameter | None = None
        self.bias_hh: Parameter | None = None
        if self.bias:
            self.bias_ih = _new_parameter((rows,), hidden_size, "Biases", device, dtype)
            self.bias_hh = _new_parameter((rows,), hidden_size, "Biases", device, dtype)

    def _weights(self) -> Weights:
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def _step_input(self, input: Any) -> tuple[Tensor, bool]:
        """Checks the input; returns it as a one-step sequence (1, B, I) and whether batched."""
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: input must have shape (B, {self.input_size}) or "
                f"({self.input_size},), got {input.shape}"
            )
        if input.dtype != self.weight_ih.dtype:
            raise TypeError(
                f"{name}: input is {input.dtype} but the parameters are {self.weight_ih.dtype}"
            )
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        if x.shape[0] == 0:
            raise ValueError(f"{name}: the input batch is empty ({input.shape})")
        return x.unsqueeze(0), batched

    def _state(self, state: Any, label: str, x: Tensor, batched: bool) -> Tensor | None:
        """Checks one state (B, H) ((H,) unbatched); returns it as (B, H), or None."""
        if state is None:
            return None
        name = type(self).__name__
        expected = (x.shape[1], self.hidden_size) if batched else (self.hidden_size,)
        if not isinstance(state, Tensor):
            raise TypeError(f"{name}: {label} must be a Tensor, got {type(state).__name__}")
        if state.shape != expected:
            raise ValueError(f"{name}: {label} must have shape {expected}, got {state.shape}")
        if state.dtype != x.dtype:
            raise TypeError(f"{name}: {label} is {state.dtype} but the input is {x.dtype}")
        return state if batched else state.unsqueeze(0)

    @staticmethod
    def _result(state: Tensor, batched: bool) -> Tensor:
        """A (1, B, H) state as (B, H), or (H,) unbatched."""
        return state[0] if batched else state[0, 0]

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(RNNCellBase):
    """One Elman RNN step, as torch.nn.RNNCell: h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh).

    Args:
        input_size, hidden_size, bias: as for RNN. nonlinearity: 'tanh' or 'relu'.

    Input (B, input_size) or (input_size,), hx (B, H) or (H,) (None for zeros) -> h'.

    >>> import autocompyute as ac
    >>> RNNCell(3, 5)(ac.ones(2, 3)).shape
    (2, 5)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        self.relu = _check_nonlinearity(type(self).__name__, nonlinearity)
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, batched = self._step_input(input)
        h0 = self._state(hx, "hx", x, batched)
        _, h_n, _ = _run_rnn(x, self._weights(), h0, False, self.relu)
        return self._result(h_n, batched)


class LSTMCell(RNNCellBase):
    """One LSTM step, as torch.nn.LSTMCell; the gates of LSTM.

    Input (B, input_size) or (input_size,), hx = (h, c) each (B, H) or (H,) (None for zeros)
    -> (h', c').

    >>> import autocompyute as ac
    >>> h, c = LSTMCell(3, 5)(ac.ones(2, 3))
    >>> h.shape, c.shape
    ((2, 5), (2, 5))
    """

    gates = 4

    def forward(self, input: Tensor, hx: LSTMState | None = None) -> LSTMState:
        x, batched = self._step_input(input)
        h0 = c0 = None
        if hx is not None:
            if not (isinstance(hx, tuple | list) and len(hx) == 2):
                raise TypeError(
                    f"{type(self).__name__}: hx must be a tuple (h, c), got {type(hx).__name__}"
                )
            h0 = self._state(hx[0], "h", x, batched)
            c0 = self._state(hx[1], "c", x, batched)
        _, h_n, c_n = _run_lstm(x, self._weights(), h0, c0, False)
        return self._result(h_n, batched), self._result(c_n, batched)


class GRUCell(RNNCellBase):
    """One GRU step, as torch.nn.GRUCell; the gates of GRU.

    Input (B, input_size) or (input_size,), hx (B, H) or (H,) (None for zeros) -> h'.

    >>> import autocompyute as ac
    >>> GRUCell(3, 5)(ac.ones(3)).shape
    (5,)
    """

    gates = 3

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, batched = self._step_input(input)
        h0 = self._state(hx, "hx", x, batched)
        _, h_n, _ = _run_gru(x, self._weights(), h0, False)
        return self._result(h_n, batched)
