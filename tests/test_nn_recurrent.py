"""RNN, LSTM and GRU layers and cells: PyTorch parity on copied weights, gradcheck, API, errors.

Every parity test runs twice: with the compiled time loops and with the xp reference path
(`ac.kernels.reference_kernels()`, as AUTOCOMPYUTE_REFERENCE_KERNELS=1 does).
"""

import math
import warnings

import numpy as np
import pytest

import autocompyute as ac
import autocompyute.nn as nn
from autocompyute import _recurrent
from autocompyute.ops import recurrent_reference
from autocompyute.testing import gradcheck, torch_or_skip

torch = torch_or_skip()

MODES = {
    "rnn_tanh": (nn.RNN, torch.nn.RNN, {}),
    "rnn_relu": (nn.RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (nn.LSTM, torch.nn.LSTM, {}),
    "gru": (nn.GRU, torch.nn.GRU, {}),
}
CELLS = {
    "rnn_tanh": (nn.RNNCell, torch.nn.RNNCell, {}),
    "rnn_relu": (nn.RNNCell, torch.nn.RNNCell, {"nonlinearity": "relu"}),
    "lstm": (nn.LSTMCell, torch.nn.LSTMCell, {}),
    "gru": (nn.GRUCell, torch.nn.GRUCell, {}),
}
# (num_layers, bidirectional, batch_first, bias, with initial state)
CONFIGS = [
    (1, False, False, True, False),
    (1, False, True, True, True),
    (2, False, False, False, True),
    (1, True, True, True, False),
    (2, True, False, True, True),
    (3, True, True, False, False),
]
TOLERANCES = {np.float32: {"rtol": 2e-5, "atol": 2e-6}, np.float64: {"rtol": 1e-11, "atol": 1e-12}}
TORCH_DTYPES = {np.float32: torch.float32, np.float64: torch.float64}


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here compares small problems with PyTorch: one thread each (see conftest)."""


@pytest.fixture(params=["compiled", "reference"])
def kernels(request):
    """Runs a test once with the compiled loops and once with the xp reference."""
    with ac.kernels.reference_kernels(request.param == "reference"):
        yield request.param


def _copy_weights(ours, theirs):
    with torch.no_grad():
        for name, parameter in theirs.named_parameters():
            getattr(ours, name).data = parameter.detach().numpy().copy()


def _close(actual, expected, dtype):
    np.testing.assert_allclose(actual, expected.detach().numpy(), **TOLERANCES[dtype])


def _pair(mode, dtype, **options):
    ours_class, torch_class, extra = MODES[mode]
    theirs = torch_class(4, 5, **extra, **options).to(TORCH_DTYPES[dtype])
    ours = ours_class(4, 5, **extra, **options, dtype=dtype)
    _copy_weights(ours, theirs)
    return ours, theirs


def _states(mode, rng, shape, dtype):
    count = 2 if mode == "lstm" else 1
    return [rng.standard_normal(shape).astype(dtype) for _ in range(count)]


def _as_hx(mode, tensors):
    return tuple(tensors) if mode == "lstm" else tensors[0]


def _flat_results(mode, result):
    output, state = result
    return [output, *state] if mode == "lstm" else [output, state]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("mode", sorted(MODES))
def test_layer_matches_torch(mode, config, dtype, kernels):
    num_layers, bidirectional, batch_first, bias, with_state = config
    ours, theirs = _pair(
        mode,
        dtype,
        num_layers=num_layers,
        bidirectional=bidirectional,
        batch_first=batch_first,
        bias=bias,
    )
    rng = np.random.default_rng(sum(map(int, config)))
    steps, batch = 6, 3
    x = rng.standard_normal((batch, steps, 4) if batch_first else (steps, batch, 4))
    x = x.astype(dtype)
    x_ours, x_torch = ac.tensor(x, req_grad=True), torch.tensor(x, requires_grad=True)
    states = _states(mode, rng, (num_layers * (2 if bidirectional else 1), batch, 5), dtype)
    states_ours = [ac.tensor(s, req_grad=True) for s in states]
    states_torch = [torch.tensor(s, requires_grad=True) for s in states]
    if with_state:
        results = _flat_results(mode, ours(x_ours, _as_hx(mode, states_ours)))
        expected = _flat_results(mode, theirs(x_torch, _as_hx(mode, states_torch)))
    else:
        results = _flat_results(mode, ours(x_ours))
        expected = _flat_results(mode, theirs(x_torch))
    for result, reference in zip(results, expected, strict=True):
        assert result.shape == tuple(reference.shape)
        _close(result.data, reference, dtype)
    total, total_torch = 0, 0
    for result, reference in zip(results, expected, strict=True):
        weight = rng.standard_normal(result.shape).astype(dtype)
        total = total + (result * ac.tensor(weight)).sum()
        total_torch = total_torch + (reference * torch.tensor(weight)).sum()
    total.backward()
    total_torch.backward()
    _close(x_ours.grad, x_torch.grad, dtype)
    if with_state:
        for state, reference in zip(states_ours, states_torch, strict=True):
            _close(state.grad, reference.grad, dtype)
    for name, parameter in theirs.named_parameters():
        _close(getattr(ours, name).grad, parameter.grad, dtype)


@pytest.mark.parametrize("mode", sorted(MODES))
def test_unbatched_input_matches_torch(mode, kernels):
    ours, theirs = _pair(mode, np.float64, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 4))
    states = _states(mode, rng, (4, 5), np.float64)
    results = _flat_results(mode, ours(ac.tensor(x), _as_hx(mode, [ac.tensor(s) for s in states])))
    expected = _flat_results(
        mode, theirs(torch.tensor(x), _as_hx(mode, [torch.tensor(s) for s in states]))
    )
    for result, reference in zip(results, expected, strict=True):
        assert result.shape == tuple(reference.shape)
        _close(result.data, reference, np.float64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [True, False])
@pytest.mark.parametrize("mode", sorted(CELLS))
def test_cell_matches_torch(mode, with_state, batched, dtype, kernels):
    ours_class, torch_class, extra = CELLS[mode]
    theirs = torch_class(4, 5, **extra).to(TORCH_DTYPES[dtype])
    ours = ours_class(4, 5, **extra, dtype=dtype)
    _copy_weights(ours, theirs)
    rng = np.random.default_rng(4)
    shape = (3, 4) if batched else (4,)
    x = rng.standard_normal(shape).astype(dtype)
    x_ours, x_torch = ac.tensor(x, req_grad=True), torch.tensor(x, requires_grad=True)
    states = _states(mode, rng, (*shape[:-1], 5), dtype)
    states_ours = [ac.tensor(s, req_grad=True) for s in states]
    states_torch = [torch.tensor(s, requires_grad=True) for s in states]
    args_ours = (x_ours, _as_hx(mode, states_ours)) if with_state else (x_ours,)
    args_torch = (x_torch, _as_hx(mode, states_torch)) if with_state else (x_torch,)
    results, expected = ours(*args_ours), theirs(*args_torch)
    if mode != "lstm":
        results, expected = (results,), (expected,)
    total, total_torch = 0, 0
    for result, reference in zip(results, expected, strict=True):
        assert result.shape == tuple(reference.shape)
        _close(result.data, reference, dtype)
        weight = rng.standard_normal(result.shape).astype(dtype)
        total = total + (result * ac.tensor(weight)).sum()
        total_torch = total_torch + (reference * torch.tensor(weight)).sum()
    total.backward()
    total_torch.backward()
    _close(x_ours.grad, x_torch.grad, dtype)
    if with_state:
        for state, reference in zip(states_ours, states_torch, strict=True):
            _close(state.grad, reference.grad, dtype)
    for name, parameter in theirs.named_parameters():
        _close(getattr(ours, name).grad, parameter.grad, dtype)


@pytest.mark.parametrize("mode", sorted(MODES))
def test_layer_passes_gradcheck(mode, kernels):
    layer = MODES[mode][0](
        2, 3, num_layers=2, bidirectional=True, dtype=np.float64, **MODES[mode][2]
    )
    rng = np.random.default_rng(5)
    x = ac.tensor(rng.standard_normal((4, 2, 2)), req_grad=True)
    states = [ac.tensor(s, req_grad=True) for s in _states(mode, rng, (4, 2, 3), np.float64)]

    def run(x, *inputs):
        output, state = layer(x, _as_hx(mode, inputs[: len(states)]))
        finals = state if mode == "lstm" else (state,)
        return output.sum() + sum(final.sum() * (k + 2) for k, final in enumerate(finals))

    parameters = [layer.weight_hh_l0, layer.weight_ih_l1_reverse, layer.bias_hh_l1]
    gradcheck(run, [x, *states, *parameters])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_and_reference_paths_agree(dtype):
    rng = np.random.default_rng(6)
    for mode in sorted(MODES):
        layer = MODES[mode][0](
            8, 16, num_layers=2, bidirectional=True, dtype=dtype, **MODES[mode][2]
        )
        x = ac.tensor(rng.standard_normal((20, 4, 8)).astype(dtype), req_grad=True)
        results = []
        for reference_path in (False, True):
            for tensor in (x, *layer.parameters()):
                tensor.grad = None
            with ac.kernels.reference_kernels(reference_path):
                output, _ = layer(x)
                (output * output).sum().backward()
            results.append([output.data, x.grad, *(p.grad for p in layer.parameters())])
        for compiled, reference in zip(*results, strict=True):
            # Rounding differs only in the last bits of each term; sums over many steps can
            # cancel, so the absolute tolerance scales with the array's magnitude.
            eps = np.finfo(dtype).eps
            np.testing.assert_allclose(
                compiled, reference, rtol=100 * eps, atol=100 * eps * np.abs(reference).max()
            )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cell_math_is_accurate_and_keeps_nan_and_inf(dtype):
    x = np.concatenate([np.linspace(-30, 30, 20001), np.geomspace(1e-30, 1.0, 200)]).astype(dtype)
    for name, reference in (("tanh", np.tanh), ("sigmoid", lambda v: 1 / (1 + np.exp(-v)))):
        out = np.empty_like(x)
        getattr(_recurrent, name)(x, out)
        expected = reference(x.astype(np.longdouble))
        np.testing.assert_allclose(
            out, expected.astype(dtype), rtol=4 * np.finfo(dtype).eps, atol=0
        )
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], dtype=dtype)
    out = np.empty_like(special)
    _recurrent.tanh(special, out)
    np.testing.assert_array_equal(out, [np.nan, 1, -1, 0, 0])
    assert np.signbit(out[4])
    _recurrent.sigmoid(special, out)
    np.testing.assert_array_equal(out, [np.nan, 1, 0, 0.5, 0.5])


@pytest.mark.parametrize("mode", sorted(MODES))
def test_nan_input_propagates_alike_in_both_paths(mode):
    layer = MODES[mode][0](3, 4, **MODES[mode][2])
    x = np.ones((5, 2, 3), dtype=np.float32)
    x[2, 1, 0] = np.nan
    outputs = []
    for reference_path in (False, True):
        with ac.kernels.reference_kernels(reference_path):
            outputs.append(layer(ac.tensor(x))[0].data)
    np.testing.assert_array_equal(np.isnan(outputs[0]), np.isnan(outputs[1]))
    assert not np.isnan(outputs[0][:2]).any() and np.isnan(outputs[0][2:, 1]).all()


@pytest.mark.parametrize("mode", sorted(MODES))
def test_parameter_names_shapes_and_init_follow_torch(mode):
    ours_class, torch_class, extra = MODES[mode]
    ours = ours_class(6, 4, num_layers=2, bidirectional=True, **extra)
    theirs = torch_class(6, 4, num_layers=2, bidirectional=True, **extra)
    assert [(n, p.shape) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()
    ]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    bound = 1 / math.sqrt(4)
    values = np.concatenate([p.data.ravel() for p in ours.parameters()])
    assert np.abs(values).max() <= bound
    # uniform(-bound, bound) has standard deviation bound / sqrt(3)
    assert abs(values.std() / (bound / math.sqrt(3)) - 1) < 0.15
    assert [p.label for p in ours.parameters()][:4] == ["Weights", "Weights", "Biases", "Biases"]
    assert len(ours.all_weights) == 4 and all(len(w) == 4 for w in ours.all_weights)
    no_bias = ours_class(6, 4, bias=False, **extra)
    assert [n for n, _ in no_bias.named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]


def test_defaults_and_repr_follow_torch():
    layer = nn.LSTM(3, 5)
    assert (
        layer.num_layers,
        layer.bias,
        layer.batch_first,
        layer.dropout,
        layer.bidirectional,
    ) == (1, True, False, 0.0, False)
    output, (h_n, c_n) = layer(ac.ones(7, 2, 3))
    assert output.shape == (7, 2, 5) and h_n.shape == c_n.shape == (1, 2, 5)
    assert repr(nn.LSTM(3, 5, num_layers=2, batch_first=True)) == (
        "LSTM(3, 5, num_layers=2, batch_first=True)"
    )
    assert repr(nn.RNN(3, 5, nonlinearity="relu")) == "RNN(3, 5, nonlinearity='relu')"
    assert repr(nn.GRUCell(3, 5, bias=False)) == "GRUCell(3, 5, bias=False)"
    assert nn.RNN(3, 5, 2, "relu", False, True).batch_first  # PyTorch's positional order


def test_dtype_argument_and_float64_layers():
    layer = nn.GRU(3, 4, dtype="float64")
    assert all(p.dtype == np.float64 for p in layer.parameters())
    output, h_n = layer(ac.ones(2, 1, 3, dtype="float64"))
    assert output.dtype == np.float64 and h_n.dtype == np.float64


def test_dropout_acts_between_layers_in_training_only():
    layer = nn.LSTM(3, 8, num_layers=2, dropout=0.5)
    x = ac.tensor(np.random.default_rng(7).standard_normal((5, 2, 3)).astype(np.float32))
    layer.eval()
    evaluated, _ = layer(x)
    reference = nn.LSTM(3, 8, num_layers=2)
    for name, parameter in layer.named_parameters():
        getattr(reference, name).data = parameter.data
    np.testing.assert_array_equal(evaluated.data, reference(x)[0].data)
    layer.train()
    trained, _ = layer(x)
    assert not np.allclose(trained.data, evaluated.data)
    ac.set_random_seed(1)
    first, _ = layer(x)
    ac.set_random_seed(1)
    second, _ = layer(x)
    np.testing.assert_array_equal(first.data, second.data)
    with pytest.warns(UserWarning, match="num_layers=1"):
        nn.GRU(3, 4, dropout=0.2)


def test_hidden_state_carried_across_calls_matches_one_long_call():
    layer = nn.LSTM(3, 4, num_layers=2, batch_first=True)
    x = ac.tensor(np.random.default_rng(8).standard_normal((2, 10, 3)).astype(np.float32))
    whole, (h_whole, c_whole) = layer(x)
    first, state = layer(x[:, :6])
    second, (h_n, c_n) = layer(x[:, 6:], state)
    np.testing.assert_allclose(ac.concat([first, second], dim=1).data, whole.data, atol=1e-6)
    np.testing.assert_allclose(h_n.data, h_whole.data, atol=1e-6)
    np.testing.assert_allclose(c_n.data, c_whole.data, atol=1e-6)


# ---------------------------------------------------------------- the original AutoCompyute API


@pytest.mark.parametrize("return_seq", [True, False])
@pytest.mark.parametrize("mode", ["rnn_tanh", "lstm", "gru"])
def test_original_api_keeps_its_defaults(mode, return_seq):
    ours_class, torch_class, _ = MODES[mode]
    ours = ours_class(3, 5, return_seq=return_seq)
    assert ours.batch_first and ours.in_dim == 3 and ours.h_dim == 5
    assert ours.w_ih is ours.weight_ih_l0 and ours.w_hh is ours.weight_hh_l0
    assert ours.b_ih is ours.bias_ih_l0 and ours.b_hh is ours.bias_hh_l0
    theirs = torch_class(3, 5, batch_first=True).double()
    ours = ours_class(in_dim=3, h_dim=5, return_seq=return_seq, dtype="float64")
    _copy_weights(ours, theirs)
    x = np.random.default_rng(9).standard_normal((4, 6, 3))
    out = ours(ac.tensor(x))
    expected = theirs(torch.tensor(x))[0]
    expected = expected if return_seq else expected[:, -1]
    assert out.shape == tuple(expected.shape)
    _close(out.data, expected, np.float64)
    assert "return_seq" in repr(ours)
    assert nn.LSTM(3, 5, bias=False, return_seq=True).b_ih is None


def test_existing_example_model_still_trains():
    lstm, head = nn.LSTM(1, 8, return_seq=False), nn.Linear(8, 1)
    x = ac.tensor(np.sin(np.arange(60, dtype=np.float32) / 3).reshape(5, 12, 1))
    assert head(lstm(x)).shape == (5, 1)


# ------------------------------------------------------------------------------------- errors


def test_bad_arguments_are_errors():
    with pytest.raises(ValueError, match="LSTM: hidden_size must be an int >= 1"):
        nn.LSTM(3, 0)
    with pytest.raises(ValueError, match="GRU: num_layers must be an int >= 1"):
        nn.GRU(3, 4, num_layers=0)
    with pytest.raises(ValueError, match=r"RNN: dropout must be a number in \[0, 1\]"):
        nn.RNN(3, 4, num_layers=2, dropout=1.5)
    with pytest.raises(ValueError, match="RNN: unknown nonlinearity 'gelu'"):
        nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="RNNCell: unknown nonlinearity"):
        nn.RNNCell(3, 4, nonlinearity="sigmoid")
    with pytest.raises(TypeError, match="LSTM: got both input_size and its alias in_dim"):
        nn.LSTM(3, 4, in_dim=3)
    with pytest.raises(TypeError, match="GRU: missing argument hidden_size"):
        nn.GRU(3)
    with pytest.raises(ValueError, match="LSTM: proj_size=2 is not supported"):
        nn.LSTM(3, 4, proj_size=2)
    assert nn.LSTM(3, 4, 1, True, False, 0.0, False, 0, None, "float64").w_ih.dtype == "float64"


def test_bad_inputs_are_errors():
    with pytest.raises(ValueError, match=r"LSTM: input must have shape \(T, B, 3\)"):
        nn.LSTM(3, 4)(ac.ones(2, 5, 4))
    with pytest.raises(ValueError, match=r"LSTM: input must have shape \(B, T, 3\)"):
        nn.LSTM(3, 4, return_seq=True)(ac.ones(2, 5, 4))
    with pytest.raises(ValueError, match="GRU: input must have shape"):
        nn.GRU(3, 4)(ac.ones(3))
    with pytest.raises(ValueError, match="RNN: the input is empty"):
        nn.RNN(3, 4)(ac.ones(0, 2, 3))
    with pytest.raises(TypeError, match="LSTM: input is float64 but the parameters are float32"):
        nn.LSTM(3, 4)(ac.ones(2, 2, 3, dtype="float64"))
    with pytest.raises(TypeError, match="GRU: input must be a Tensor"):
        nn.GRU(3, 4)(np.ones((2, 2, 3)))
    with pytest.raises(ValueError, match=r"GRU: h_0 must have shape \(2, 5, 4\), got \(1, 5, 4\)"):
        nn.GRU(3, 4, bidirectional=True)(ac.ones(2, 5, 3), ac.zeros(1, 5, 4))
    with pytest.raises(TypeError, match=r"LSTM: hx must be a tuple \(h_0, c_0\)"):
        nn.LSTM(3, 4)(ac.ones(2, 5, 3), ac.zeros(1, 5, 4))
    with pytest.raises(ValueError, match="LSTM: c_0 must have shape"):
        nn.LSTM(3, 4)(ac.ones(2, 5, 3), (ac.zeros(1, 5, 4), ac.zeros(1, 4, 4)))
    with pytest.raises(TypeError, match="RNN: h_0 is float64 but the input is float32"):
        nn.RNN(3, 4)(ac.ones(2, 5, 3), ac.zeros(1, 5, 4, dtype="float64"))
    with pytest.raises(ValueError, match=r"LSTMCell: input must have shape \(B, 3\)"):
        nn.LSTMCell(3, 4)(ac.ones(2, 2, 3))
    with pytest.raises(ValueError, match=r"GRUCell: hx must have shape \(2, 4\)"):
        nn.GRUCell(3, 4)(ac.ones(2, 3), ac.zeros(3, 4))
    with pytest.raises(TypeError, match=r"LSTMCell: hx must be a tuple \(h, c\)"):
        nn.LSTMCell(3, 4)(ac.ones(2, 3), ac.zeros(2, 4))


def test_ops_reject_mismatched_arrays():
    from autocompyute.ops.recurrent import LSTMSequence

    x = ac.ones(2, 1, 3)
    with pytest.raises(ValueError, match=r"LSTMSequence: weights must be \(4H, 3\) and \(4H, H\)"):
        LSTMSequence.apply(x, ac.ones(8, 3), ac.ones(4, 2), None, None, None, None)
    with pytest.raises(TypeError, match="LSTMSequence: w_hh is float64 but x is float32"):
        LSTMSequence.apply(x, ac.ones(8, 3), ac.ones(8, 2, dtype="float64"), None, None, None, None)


def test_reference_module_has_the_compiled_functions():
    names = [
        "rnn_forward",
        "rnn_backward",
        "lstm_forward",
        "lstm_backward",
        "gru_forward",
        "gru_backward",
        "tanh",
        "sigmoid",
    ]
    assert all(callable(getattr(recurrent_reference, n)) for n in names)
    assert all(callable(getattr(_recurrent, n)) for n in names)


@pytest.mark.cuda
@pytest.mark.parametrize("mode", sorted(MODES))
def test_layers_on_cuda_match_cpu(mode):
    rng = np.random.default_rng(10)
    cpu = MODES[mode][0](3, 4, num_layers=2, bidirectional=True, **MODES[mode][2])
    gpu = MODES[mode][0](3, 4, num_layers=2, bidirectional=True, device="cuda", **MODES[mode][2])
    for name, parameter in cpu.named_parameters():
        getattr(gpu, name).data = ac.tensor(parameter.data, device="cuda").data
    x = rng.standard_normal((5, 2, 3)).astype(np.float32)
    x_cpu, x_gpu = ac.tensor(x, req_grad=True), ac.tensor(x, device="cuda", req_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out_cpu, out_gpu = cpu(x_cpu)[0], gpu(x_gpu)[0]
    np.testing.assert_allclose(out_gpu.data.get(), out_cpu.data, rtol=1e-5, atol=1e-6)
    out_cpu.sum().backward()
    out_gpu.sum().backward()
    np.testing.assert_allclose(x_gpu.grad.get(), x_cpu.grad, rtol=1e-4, atol=1e-5)
