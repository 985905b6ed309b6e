"""RNN, LSTM and GRU layers: PyTorch parity with copied weights, finite differences, errors."""

import math

import numpy as np
import pytest

import autocompyute as ac
from autocompyute.nn.layers.recurrent import GRU, LSTM, RNN
from autocompyute.testing import gradcheck

torch = pytest.importorskip("torch")

LAYERS = {"RNN": (RNN, torch.nn.RNN), "LSTM": (LSTM, torch.nn.LSTM), "GRU": (GRU, torch.nn.GRU)}
PARAMETER_NAMES = {
    "w_ih": "weight_ih_l0",
    "w_hh": "weight_hh_l0",
    "b_ih": "bias_ih_l0",
    "b_hh": "bias_hh_l0",
}


def _pair(name, in_dim, h_dim, bias=True, return_seq=True):
    ours_class, torch_class = LAYERS[name]
    ours = ours_class(in_dim, h_dim, bias=bias, return_seq=return_seq)
    theirs = torch_class(in_dim, h_dim, bias=bias, batch_first=True)
    with torch.no_grad():
        for mine, reference in PARAMETER_NAMES.items():
            if getattr(ours, mine) is not None:
                getattr(theirs, reference).copy_(torch.tensor(getattr(ours, mine).data))
    return ours, theirs


@pytest.mark.parametrize("name", sorted(LAYERS))
@pytest.mark.parametrize("return_seq", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_matches_torch(name, return_seq, bias):
    ours, theirs = _pair(name, 3, 5, bias=bias, return_seq=return_seq)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6, 3)).astype(np.float32)
    x_ac, x_t = ac.tensor(x, req_grad=True), torch.tensor(x, requires_grad=True)
    out = ours(x_ac)
    expected = theirs(x_t)[0]
    if not return_seq:
        expected = expected[:, -1]
    assert out.shape == ((4, 6, 5) if return_seq else (4, 5))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    grad = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(grad)
    expected.backward(torch.tensor(grad))
    np.testing.assert_allclose(x_ac.grad, x_t.grad.numpy(), rtol=1e-5, atol=1e-6)
    for mine, reference in PARAMETER_NAMES.items():
        if bias or mine.startswith("w"):
            np.testing.assert_allclose(
                getattr(ours, mine).grad,
                getattr(theirs, reference).grad.numpy(),
                rtol=1e-5,
                atol=1e-5,
            )


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_passes_gradcheck(name):
    layer = LAYERS[name][0](2, 3)
    for parameter in layer.parameters():
        parameter.data = parameter.data.astype(np.float64)
    x = ac.tensor(
        np.random.default_rng(1).standard_normal((2, 3, 2)), dtype="float64", req_grad=True
    )
    gradcheck(lambda inputs, w_hh: layer(inputs), [x, layer.w_hh])


@pytest.mark.parametrize("name, gates", [("RNN", 1), ("LSTM", 4), ("GRU", 3)])
def test_parameters_and_init(name, gates):
    layer = LAYERS[name][0](6, 4)
    assert [n for n, _ in layer.named_parameters()] == ["w_ih", "w_hh", "b_ih", "b_hh"]
    shapes = [p.shape for p in layer.parameters()]
    assert shapes == [(gates * 4, 6), (gates * 4, 4), (gates * 4,), (gates * 4,)]
    assert [p.label for p in layer.parameters()] == ["Weights", "Weights", "Biases", "Biases"]
    bound = 1 / math.sqrt(4)
    assert all(np.abs(p.data).max() <= bound for p in layer.parameters())
    no_bias = LAYERS[name][0](6, 4, bias=False)
    assert no_bias.b_ih is None and no_bias.n_params == gates * 4 * 10
    assert "h_dim=4" in repr(layer)


def test_bad_input_is_an_error():
    with pytest.raises(ValueError, match=r"LSTM: input must have shape \(B, T, 3\)"):
        LSTM(3, 4)(ac.ones(2, 5, 4))
    with pytest.raises(ValueError, match="GRU: input must have shape"):
        GRU(3, 4)(ac.ones(5, 3))
    with pytest.raises(ValueError, match="empty"):
        RNN(3, 4)(ac.ones(2, 0, 3))
