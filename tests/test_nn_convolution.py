"""Convolution (and pooling after it): PyTorch parity, finite differences, layers, errors."""

import math

import numpy as np
import pytest

import autocompyute as ac
from autocompyute.nn.functional.convolution import conv1d, conv2d, conv_transpose2d
from autocompyute.nn.functional.pooling import maxpool2d
from autocompyute.nn.layers.convolution import Conv1d, Conv2d, ConvTranspose2d
from autocompyute.testing import gradcheck, torch_or_skip

torch = torch_or_skip()
torch_functional = torch.nn.functional

RTOL, ATOL = 1e-4, 1e-5  # float32 sums over C * K taps, in another order than PyTorch's


def _random(*shape, dtype=np.float32):
    return np.random.default_rng(sum(shape)).standard_normal(shape).astype(dtype)


def _compare(ours, theirs, x_shape, w_shape, with_bias=True, **options):
    """Runs both functions on the same data; compares outputs and all gradients."""
    x, w = _random(*x_shape), _random(*w_shape)
    bias_size = w_shape[1] if ours is conv_transpose2d else w_shape[0]
    b = _random(bias_size) if with_bias else None
    x_ac, w_ac = ac.tensor(x, req_grad=True), ac.tensor(w, req_grad=True)
    b_ac = ac.tensor(b, req_grad=True) if with_bias else None
    out = ours(x_ac, w_ac, b_ac, **options)
    x_t, w_t = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    b_t = torch.tensor(b, requires_grad=True) if with_bias else None
    expected = theirs(x_t, w_t, b_t, **options)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=RTOL, atol=ATOL)
    grad = _random(*out.shape)
    out.backward(grad)
    expected.backward(torch.tensor(grad))
    pairs = [(x_ac, x_t), (w_ac, w_t)] + ([(b_ac, b_t)] if with_bias else [])
    for mine, reference in pairs:
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    "x_shape, w_shape, options",
    [
        ((2, 3, 7, 6), (4, 3, 3, 3), {}),
        ((2, 3, 9, 8), (5, 3, 3, 2), {"stride": 2, "padding": 1}),
        ((1, 2, 10, 9), (3, 2, 2, 3), {"stride": (2, 3), "padding": (0, 2), "dilation": (2, 1)}),
        ((3, 1, 6, 7), (2, 1, 5, 4), {"padding": 2, "dilation": 1}),
        ((2, 4, 8, 8), (3, 4, 3, 3), {"stride": 3, "padding": 1, "dilation": 2}),
        ((2, 3, 4, 4), (6, 3, 1, 1), {}),
    ],
)
def test_conv2d_matches_torch(x_shape, w_shape, options):
    _compare(conv2d, torch_functional.conv2d, x_shape, w_shape, **options)


def test_conv2d_without_bias_matches_torch():
    _compare(
        conv2d, torch_functional.conv2d, (2, 3, 6, 5), (4, 3, 2, 2), with_bias=False, padding=1
    )


@pytest.mark.parametrize(
    "x_shape, w_shape, options",
    [
        ((2, 3, 11), (4, 3, 3), {}),
        ((2, 3, 11), (4, 3, 3), {"stride": 2, "padding": 1, "dilation": 2}),
        ((3, 1, 7), (2, 1, 7), {"padding": 3}),
    ],
)
def test_conv1d_matches_torch(x_shape, w_shape, options):
    _compare(conv1d, torch_functional.conv1d, x_shape, w_shape, **options)


@pytest.mark.parametrize(
    "x_shape, w_shape, options",
    [
        ((2, 3, 4, 5), (3, 4, 3, 3), {}),
        ((2, 3, 4, 5), (3, 2, 3, 2), {"stride": 2, "padding": 1}),
        ((1, 2, 5, 4), (2, 3, 2, 3), {"stride": (2, 3), "padding": (1, 0), "dilation": (1, 2)}),
        ((2, 4, 3, 3), (4, 2, 4, 4), {"stride": 2, "padding": 1}),
        ((2, 3, 3, 3), (3, 2, 1, 1), {"stride": 2}),
    ],
)
def test_conv_transpose2d_matches_torch(x_shape, w_shape, options):
    _compare(conv_transpose2d, torch_functional.conv_transpose2d, x_shape, w_shape, **options)


def test_conv_transpose2d_without_bias_matches_torch():
    _compare(
        conv_transpose2d,
        torch_functional.conv_transpose2d,
        (2, 3, 3, 4),
        (3, 2, 3, 3),
        with_bias=False,
        stride=2,
    )


def test_chained_layers_match_torch():
    # Conv outputs are views of a batch-last layout; the next ops must handle (and keep) it.
    x = _random(3, 2, 12, 11)
    w1, b1, w2, b2 = _random(4, 2, 3, 3), _random(4), _random(5, 4, 3, 2), _random(5)
    params = [ac.tensor(a, req_grad=True) for a in (w1, b1, w2, b2)]
    x_ac = ac.tensor(x, req_grad=True)
    hidden = conv2d(x_ac, params[0], params[1], padding=1).relu()
    out = maxpool2d(conv2d(hidden, params[2], params[3], stride=(1, 2)).relu(), 2)
    (out.reshape(3, -1) * ac.tensor(_random(3, out.numel() // 3))).sum().backward()

    torch_params = [torch.tensor(a, requires_grad=True) for a in (w1, b1, w2, b2)]
    x_t = torch.tensor(x, requires_grad=True)
    hidden_t = torch.relu(torch_functional.conv2d(x_t, torch_params[0], torch_params[1], padding=1))
    out_t = torch_functional.max_pool2d(
        torch.relu(
            torch_functional.conv2d(hidden_t, torch_params[2], torch_params[3], stride=(1, 2))
        ),
        2,
    )
    (out_t.reshape(3, -1) * torch.tensor(_random(3, out.numel() // 3))).sum().backward()
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=RTOL, atol=ATOL)
    for mine, reference in zip([x_ac, *params], [x_t, *torch_params]):
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_conv2d_accepts_non_contiguous_input_and_weight_only_grad():
    x = _random(2, 5, 6, 3).transpose(0, 3, 1, 2)  # (2, 3, 5, 6), not contiguous
    w = ac.tensor(_random(2, 3, 2, 2), req_grad=True)
    out = conv2d(ac.tensor(x), w)
    out.sum().backward()
    expected = torch_functional.conv2d(torch.tensor(x), torch.tensor(w.data))
    np.testing.assert_allclose(out.data, expected.numpy(), rtol=RTOL, atol=ATOL)
    assert w.grad.shape == w.shape


def test_empty_batch():
    x = ac.zeros(0, 2, 5, 5, req_grad=True)
    w = ac.ones(3, 2, 3, 3, req_grad=True)
    out = conv2d(x, w, padding=1)
    assert out.shape == (0, 3, 5, 5)
    up = conv_transpose2d(out, ac.ones(3, 2, 2, 2, req_grad=True), stride=2)
    maxpool2d(up, 2).sum().backward()
    assert x.grad.shape == x.shape and np.all(w.grad == 0)


def test_conv2d_without_grad_tracking():
    with ac.no_autograd_tracking():
        out = conv2d(ac.ones(1, 2, 4, 4), ac.ones(3, 2, 3, 3, req_grad=True))
    assert out.ctx is None and not out.req_grad
    np.testing.assert_allclose(out.data, 18.0)


def test_convolutions_pass_gradcheck():
    def tensor(*shape):
        return ac.tensor(_random(*shape, dtype=np.float64), req_grad=True)

    gradcheck(
        lambda x, w, b: conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2)),
        [tensor(2, 2, 5, 4), tensor(3, 2, 2, 2), tensor(3)],
    )
    gradcheck(
        lambda x, w, b: conv1d(x, w, b, stride=2, padding=1),
        [tensor(2, 2, 6), tensor(2, 2, 3), tensor(2)],
    )
    gradcheck(
        lambda x, w, b: conv_transpose2d(x, w, b, stride=2, padding=1, dilation=(2, 1)),
        [tensor(1, 2, 3, 3), tensor(2, 3, 2, 3), tensor(3)],
    )


def test_channel_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"3 channels.*expects 4.*\(2, 3, 5, 5\).*\(1, 4, 3, 3\)"):
        conv2d(ac.ones(2, 3, 5, 5), ac.ones(1, 4, 3, 3))
    with pytest.raises(ValueError, match="channels"):
        conv_transpose2d(ac.ones(2, 3, 5, 5), ac.ones(4, 2, 3, 3))


def test_kernel_larger_than_padded_input_is_an_error():
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv2d(ac.ones(1, 1, 4, 4), ac.ones(1, 1, 5, 3), padding=(0, 1))
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv1d(ac.ones(1, 1, 4), ac.ones(1, 1, 3), dilation=2)
    conv2d(ac.ones(1, 1, 4, 4), ac.ones(1, 1, 5, 3), padding=1)  # fits once padded


def test_other_bad_arguments_are_errors():
    with pytest.raises(ValueError, match=r"conv2d: input must have shape \(B, C, H, W\)"):
        conv2d(ac.ones(3, 5, 5), ac.ones(1, 3, 3, 3))
    with pytest.raises(ValueError, match="stride"):
        conv2d(ac.ones(1, 1, 5, 5), ac.ones(1, 1, 3, 3), stride=0)
    with pytest.raises(ValueError, match="bias"):
        conv2d(ac.ones(1, 1, 5, 5), ac.ones(2, 1, 3, 3), ac.ones(3))
    with pytest.raises(TypeError, match="dtype"):
        conv2d(ac.ones(1, 1, 5, 5), ac.ones(1, 1, 3, 3, dtype="float64"))
    with pytest.raises(ValueError, match="padding"):
        conv_transpose2d(ac.ones(1, 1, 2, 2), ac.ones(1, 1, 2, 2), padding=2)
    with pytest.raises(ValueError, match="window"):
        maxpool2d(ac.ones(1, 1, 2, 2), 3)


def test_conv_layers_parameters_and_init():
    layer = Conv2d(3, 8, kernel_size=(3, 2), stride=2, padding=1)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert layer.w is layer.weight and layer.b is layer.bias  # the original names are aliases

    assert layer.w.shape == (8, 3, 3, 2) and layer.b.shape == (8,)
    assert (layer.w.label, layer.b.label) == ("Weights", "Biases")
    bound = 1 / math.sqrt(3 * 3 * 2)
    assert np.abs(layer.w.data).max() <= bound and np.abs(layer.b.data).max() <= bound
    assert np.abs(layer.w.data).max() > 0.8 * bound
    assert layer.weight is layer.w and layer.bias is layer.b
    assert Conv2d(3, 8, bias=False).b is None and Conv2d(3, 8, bias=False).n_params == 8 * 27
    transposed = ConvTranspose2d(4, 6, kernel_size=2)
    assert transposed.w.shape == (4, 6, 2, 2)
    assert np.abs(transposed.w.data).max() <= 1 / math.sqrt(6 * 4)  # PyTorch: fan_in = O * K
    assert Conv1d(2, 5, kernel_size=4).w.shape == (5, 2, 4)
    assert "kernel_size=(3, 2)" in repr(layer)


def test_conv_layers_match_torch_with_copied_weights():
    x = _random(2, 3, 9, 8)
    for ours, theirs in (
        (
            Conv2d(3, 4, 3, stride=2, padding=1, dilation=2),
            torch.nn.Conv2d(3, 4, 3, stride=2, padding=1, dilation=2),
        ),
        (
            ConvTranspose2d(3, 4, 3, stride=2, padding=1),
            torch.nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1),
        ),
    ):
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(ours.w.data))
            theirs.bias.copy_(torch.tensor(ours.b.data))
        expected = theirs(torch.tensor(x)).detach().numpy()
        np.testing.assert_allclose(ours(ac.tensor(x)).data, expected, rtol=RTOL, atol=ATOL)
    signal = _random(2, 3, 10)
    layer, reference = Conv1d(3, 2, 5, padding=2), torch.nn.Conv1d(3, 2, 5, padding=2)
    with torch.no_grad():
        reference.weight.copy_(torch.tensor(layer.w.data))
        reference.bias.copy_(torch.tensor(layer.b.data))
    np.testing.assert_allclose(
        layer(ac.tensor(signal)).data,
        reference(torch.tensor(signal)).detach().numpy(),
        rtol=RTOL,
        atol=ATOL,
    )


@pytest.mark.cuda
def test_conv_and_pool_on_gpu_match_cpu():
    x, w, b = _random(2, 3, 9, 8), _random(4, 3, 3, 2), _random(4)
    results = []
    for device in ("cpu", "cuda"):
        tensors = [ac.tensor(a, device=device, req_grad=True) for a in (x, w, b)]
        out = maxpool2d(conv2d(*tensors, stride=(1, 2), padding=1).relu(), 2)
        up = conv_transpose2d(out, tensors[1], stride=2)
        (up * up).sum().backward()
        results.append(
            [up.as_numpy()]
            + [np.asarray(t.grad.get() if device == "cuda" else t.grad) for t in tensors]
        )
    for on_cpu, on_gpu in zip(*results):
        np.testing.assert_allclose(on_gpu, on_cpu, rtol=RTOL, atol=1e-4)
