"""Assigning `.grad` and `.data` checks what is assigned (as PyTorch does) and names the problem."""

from __future__ import annotations

import numpy as np
import pytest

import autocompyute as ac


def test_grad_of_the_wrong_shape_is_refused_naming_both_shapes():
    x = ac.ones(3, req_grad=True)
    with pytest.raises(
        ValueError, match=r"assigned grad has shape \(2,\), but the tensor has shape \(3,\)"
    ):
        x.grad = np.zeros(2, np.float32)
    with pytest.raises(ValueError, match=r"\(1, 3\).*\(3,\)"):
        x.grad = np.zeros((1, 3), np.float32)  # would otherwise broadcast silently in backward
    assert x.grad is None


def test_grad_of_the_wrong_dtype_or_kind_is_refused():
    x = ac.ones(3, req_grad=True)
    with pytest.raises(
        TypeError, match="assigned grad has dtype float64, but the tensor has dtype float32"
    ):
        x.grad = np.zeros(3)
    with pytest.raises(TypeError, match="assigned grad must be a ndarray"):
        x.grad = [0.0, 0.0, 0.0]


def test_valid_grad_assignments_are_kept_and_accumulated_into():
    x = ac.ones(3, req_grad=True)
    x.grad = np.full(3, 5.0, np.float32)
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [7.0, 7.0, 7.0])
    x.grad = ac.tensor([1.0, 2.0, 3.0])  # a tensor stands for its array
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 3.0])
    x.grad = None
    assert x.grad is None
    s = ac.tensor(2.0, req_grad=True)
    s.grad = np.float32(1.0)  # a NumPy scalar of a 0-d tensor
    assert s.grad.shape == () and isinstance(s.grad, np.ndarray)


def test_data_must_be_an_array():
    x = ac.ones(3)
    with pytest.raises(TypeError, match="data must be a NumPy or CuPy array, got str"):
        x.data = "abc"
    with pytest.raises(TypeError, match="got list"):
        x.data = [1.0, 2.0]


def test_memmap_data_is_a_cpu_array(tmp_path):
    mapped = np.memmap(tmp_path / "values.bin", dtype=np.float32, mode="w+", shape=(3,))
    mapped[:] = [1.0, 2.0, 3.0]
    x = ac.ones(3)
    x.data = mapped
    np.testing.assert_array_equal((x * 2).data, [2.0, 4.0, 6.0])
    assert type(x.data) is np.ndarray
    mapped[0] = 10.0  # still the mapped memory, not a copy
    assert x.data[0] == 10.0
