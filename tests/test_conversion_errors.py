"""ac.tensor names what is wrong with data it cannot convert, and keeps NumPy scalar dtypes."""

from __future__ import annotations

import numpy as np
import pytest

import autocompyute as ac


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([[1, 2], [3]], r"ragged: expected sequences of length 2 at dim 1 \(got 1\)"),
        ([[[1], [2]], [[3], [4, 5]]], r"length 1 at dim 2 \(got 2\)"),
        ([[1, 2], 3], "mix numbers and sequences at dim 1"),
    ],
)
def test_ragged_nested_lists_are_named(data, message):
    with pytest.raises(ValueError, match=message):
        ac.tensor(data)


@pytest.mark.parametrize("data", ["abc", ["a", "b"], [1.0, "a"], b"raw"])
def test_strings_are_refused_by_name(data):
    with pytest.raises(TypeError, match="cannot make a tensor from strings or bytes"):
        ac.tensor(data)


def test_numpy_scalars_keep_their_dtype_as_in_pytorch():
    assert ac.tensor(np.float64(2.5)).dtype == np.float64
    assert ac.tensor(np.int32(3)).dtype == np.int32
    assert ac.tensor(np.float32(1.0)).dtype == np.float32
    assert ac.tensor(2.5).dtype == np.float32  # Python floats still become float32
