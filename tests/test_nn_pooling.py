"""Max pooling (nn/functional/pooling.py, nn/layers/pooling.py): PyTorch parity, gradcheck."""

import numpy as np
import pytest

import autocompyute as ac
from autocompyute.nn.functional.pooling import maxpool2d
from autocompyute.nn.layers.pooling import MaxPool2d
from autocompyute.testing import gradcheck, torch_or_skip

torch = torch_or_skip()
torch_functional = torch.nn.functional


def _random(*shape, dtype=np.float32):
    return np.random.default_rng(sum(shape)).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("window, shape", [(2, (2, 3, 6, 8)), (2, (1, 2, 7, 5)), (3, (2, 2, 7, 9))])
def test_maxpool2d_matches_torch(window, shape):
    x = _random(*shape)
    x_ac, x_t = ac.tensor(x, req_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = maxpool2d(x_ac, window), torch_functional.max_pool2d(x_t, window)
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    grad = _random(*out.shape)
    out.backward(grad)
    expected.backward(torch.tensor(grad))
    np.testing.assert_array_equal(x_ac.grad, x_t.grad.numpy())


def test_maxpool2d_ties_send_the_gradient_to_the_first_maximum():
    x = np.random.default_rng(0).integers(0, 2, (2, 3, 6, 6)).astype(np.float32)
    x[0, 0] = 1.0  # whole blocks tied
    x_ac, x_t = ac.tensor(x, req_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = maxpool2d(x_ac, 3), torch_functional.max_pool2d(x_t, 3)
    grad = _random(*out.shape)
    out.backward(grad)
    expected.backward(torch.tensor(grad))
    np.testing.assert_array_equal(x_ac.grad, x_t.grad.numpy())
    assert x_ac.grad[0, 0, 0, 0] == grad[0, 0, 0, 0] and x_ac.grad[0, 0, 0, 1] == 0


def test_maxpool2d_passes_gradcheck():
    x = ac.tensor(
        np.random.default_rng(1).permutation(50).reshape(1, 2, 5, 5) * 0.1,
        dtype="float64",
        req_grad=True,
    )  # distinct values: no ties to break
    gradcheck(lambda t: maxpool2d(t, 2), [x])


def test_maxpooling2d_layer():
    pool = MaxPool2d(3)
    assert pool(ac.ones(2, 3, 7, 9)).shape == (2, 3, 2, 3)
    assert repr(pool) == repr(torch.nn.MaxPool2d(3))
    assert pool.window_size == 3
    with pytest.raises(ValueError, match="kernel_size must be"):  # as PyTorch: when called
        MaxPool2d(0)(ac.ones(1, 1, 4, 4))
