"""Devices: parsing, errors without CUDA, and GPU ops/backward/moves (skipped without a GPU)."""

import numpy
import pytest

import autocompyute as ac
from autocompyute.backend import array_module, device_of, get_device


def test_cpu_device():
    device = ac.Device("cpu")
    assert device.type == "cpu" and device.index is None
    assert str(device) == "cpu" and repr(device) == "Device('cpu')"
    assert device.xp is numpy
    assert device == "cpu" and device == ac.Device("CPU") and device == ac.Device("cpu:0")
    assert hash(device) == hash(ac.Device("cpu"))


@pytest.mark.parametrize(
    ("spec", "index"), [("cuda", 0), ("cuda:0", 0), ("cuda:1", 1), (" CUDA:12 ", 12)]
)
def test_cuda_device_parsing_needs_no_gpu(spec, index):
    device = ac.Device(spec)
    assert device.type == "cuda" and device.index == index
    assert str(device) == f"cuda:{index}"
    assert device == f"cuda:{index}"
    assert ac.Device(device) == device


def test_devices_compare_by_type_and_index():
    assert ac.Device("cuda") == ac.Device("cuda:0")
    assert ac.Device("cuda:0") != ac.Device("cuda:1")
    assert ac.Device("cpu") != ac.Device("cuda")
    assert ac.Device("cpu") != "not a device"
    assert len({ac.Device("cuda"), ac.Device("cuda:0"), ac.Device("cpu")}) == 2


@pytest.mark.parametrize(
    "spec", ["gpu", "cuda:", "cuda:-1", "cpu:1", "", "cuda:x", "cuda 1", "cuda:0:1", "tpu:0"]
)
def test_bad_device_strings_raise_value_error(spec):
    with pytest.raises(ValueError, match="device"):
        ac.Device(spec)


def test_non_string_device_raises_type_error():
    with pytest.raises(TypeError, match="device must be a string"):
        ac.Device(0)


def test_cpu_helpers():
    array = numpy.ones(2)
    assert array_module(array) is numpy
    assert device_of(array) == "cpu"
    assert get_device(None) == "cpu" and get_device("cpu") == "cpu"


@pytest.mark.skipif(ac.cuda_available(), reason="CUDA is available here")
@pytest.mark.parametrize(
    "make",
    [
        lambda: ac.ones(2, device="cuda"),
        lambda: ac.tensor([1.0], device="cuda:0"),
        lambda: ac.randn(2, device="cuda"),
        lambda: ac.ones(2).to("cuda"),
        lambda: ac.ones(2).cuda(),
    ],
)
def test_asking_for_cuda_without_it_raises_runtime_error_mentioning_cupy(make):
    with pytest.raises(RuntimeError, match="CuPy"):
        make()
    assert not ac.cuda_available()


# ------------------------------------------------------------------------------------- GPU


@pytest.mark.cuda
def test_cuda_tensor_attributes_and_repr():
    x = ac.tensor([[1.0, 2.0]], device="cuda")
    assert x.device == "cuda:0" and type(x.data).__module__.startswith("cupy")
    assert isinstance(x.as_numpy(), numpy.ndarray)
    numpy.testing.assert_array_equal(numpy.asarray(x), [[1.0, 2.0]])
    assert repr(x) == "Tensor([[1.0000, 2.0000]], dtype=float32, device=cuda:0)"
    assert x.to("cuda:0") is x


@pytest.mark.cuda
def test_cuda_ops_and_backward_match_cpu():
    x_values = numpy.random.default_rng(0).standard_normal((3, 4)).astype(numpy.float32)
    w_values = numpy.random.default_rng(1).standard_normal((4, 2)).astype(numpy.float32)
    results = {}
    for device in ("cpu", "cuda"):
        x = ac.tensor(x_values, device=device, req_grad=True)
        w = ac.tensor(w_values, device=device, req_grad=True)
        hidden = (x @ w).tanh() * 2 + 1
        loss = (hidden * hidden - hidden.exp() / 4).sum()
        loss.backward()
        assert x.grad.shape == (3, 4) and type(x.grad) is type(x.data)
        results[device] = [
            loss.as_numpy(),
            ac.Tensor(x.grad).as_numpy(),
            ac.Tensor(w.grad).as_numpy(),
        ]
    for cpu, cuda in zip(results["cpu"], results["cuda"]):
        numpy.testing.assert_allclose(cuda, cpu, rtol=1e-5, atol=1e-5)


@pytest.mark.cuda
def test_to_cuda_and_back_carries_gradients_across_devices():
    x = ac.tensor([1.0, 2.0, 3.0], req_grad=True)
    on_gpu = x.to("cuda")
    assert on_gpu.device == "cuda:0" and on_gpu.req_grad
    back = (on_gpu * on_gpu).cpu()
    assert back.device == "cpu"
    (back * 3).sum().backward()
    assert isinstance(x.grad, numpy.ndarray)
    numpy.testing.assert_allclose(x.grad, 6 * x.data)


@pytest.mark.cuda
def test_cuda_leaf_round_trip_without_grad():
    values = numpy.arange(6.0, dtype=numpy.float32).reshape(2, 3)
    moved = ac.tensor(values).cuda().cpu()
    numpy.testing.assert_array_equal(moved.data, values)


@pytest.mark.cuda
def test_cuda_backward_dy_on_the_wrong_device_raises():
    y = ac.ones(2, device="cuda", req_grad=True) * 2
    with pytest.raises(RuntimeError, match="dy is on cpu"):
        y.backward(numpy.ones(2, dtype=numpy.float32))


@pytest.mark.cuda
def test_comparison_across_devices_raises():
    with pytest.raises(RuntimeError, match="different devices"):
        ac.ones(2) == ac.ones(2, device="cuda")  # noqa: B015
