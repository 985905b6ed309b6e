"""Property tests: random shapes, broadcastable pairs and dims, checked against PyTorch.

Values are multiples of 0.5 in [-4, 4], so ties (for maximum and max) occur often and sums are
exact in float32; forward values and gradients must agree with PyTorch in float32.
"""

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autocompyute as ac
from autocompyute.testing import assert_matches_torch, torch_or_skip

torch = torch_or_skip()

SETTINGS = settings(max_examples=30, deadline=None, database=None)

HALVES = st.integers(-8, 8).map(lambda value: value / 2)
NONZERO_HALVES = st.integers(1, 8).map(lambda value: value / 2) | st.integers(-8, -1).map(
    lambda value: value / 2
)


def arrays(shape, elements=HALVES):
    return hnp.arrays(numpy.float32, shape, elements=elements)


def compare(ours, theirs, arrays_in, rtol=1e-5, atol=1e-6):
    """Runs `ours` on autocompyute tensors and `theirs` on torch tensors; compares everything.

    The gradient w.r.t. the output is a ramp from -1 to 1 (`assert_matches_torch`'s default).
    """
    inputs = [ac.tensor(a, req_grad=True) for a in arrays_in]
    assert_matches_torch(ours, theirs, inputs, rtol=rtol, atol=atol)


BINARY = {
    "add": (lambda x, y: x + y, lambda x, y: x + y),
    "sub": (lambda x, y: x - y, lambda x, y: x - y),
    "mul": (lambda x, y: x * y, lambda x, y: x * y),
    "div": (lambda x, y: x / y, lambda x, y: x / y),
    "maximum": (lambda x, y: x.maximum(y), torch.maximum),
    "minimum": (lambda x, y: x.minimum(y), torch.minimum),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(data=st.data())
def test_binary_ops_broadcast_like_torch(name, data):
    shapes = data.draw(
        hnp.mutually_broadcastable_shapes(
            num_shapes=2, min_dims=0, max_dims=4, min_side=0, max_side=3
        )
    )
    first, second = shapes.input_shapes
    x = data.draw(arrays(first))
    y = data.draw(arrays(second, NONZERO_HALVES if name == "div" else HALVES))
    compare(*BINARY[name], [x, y])


@st.composite
def shapes_and_dims(draw, min_side=1):
    """A shape and a reduction `dim` for it: None, an int or a tuple (negative dims too)."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=min_side, max_side=4))
    ndim = len(shape)
    if ndim == 0:
        return shape, draw(st.sampled_from([None, 0, -1]))
    dims = draw(
        st.none() | st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)
    )
    if dims is None:
        return shape, None
    signed = [d - ndim if draw(st.booleans()) else d for d in dims]
    return shape, signed[0] if len(signed) == 1 and draw(st.booleans()) else tuple(signed)


def torch_all_dims(dim, ndim):
    return tuple(range(ndim)) if dim is None else dim


REDUCTIONS = {
    "sum": (lambda x, d, k: x.sum(dim=d, keepdims=k), lambda x, d, k: x.sum(dim=d, keepdim=k)),
    "mean": (lambda x, d, k: x.mean(dim=d, keepdims=k), lambda x, d, k: x.mean(dim=d, keepdim=k)),
    "max": (
        lambda x, d, k: x.amax(dim=d, keepdims=k),
        lambda x, d, k: torch.amax(x, dim=torch_all_dims(d, x.ndim), keepdim=k),
    ),
    "min": (
        lambda x, d, k: x.amin(dim=d, keepdims=k),
        lambda x, d, k: torch.amin(x, dim=torch_all_dims(d, x.ndim), keepdim=k),
    ),
    "var0": (
        lambda x, d, k: x.var(dim=d, ddof=0, keepdims=k),
        lambda x, d, k: torch.var(x, dim=d, correction=0, keepdim=k),
    ),
    "var1": (
        lambda x, d, k: x.var(dim=d, ddof=1, keepdims=k),
        lambda x, d, k: torch.var(x, dim=d, correction=1, keepdim=k),
    ),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.filterwarnings("ignore:.*degrees of freedom:UserWarning")
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@SETTINGS
@given(data=st.data())
def test_reductions_like_torch(name, data):
    shape, dim = data.draw(shapes_and_dims())
    keepdims = data.draw(st.booleans())
    x = data.draw(arrays(shape))
    ours, theirs = REDUCTIONS[name]
    # var's mean is inexact in float32, so its result carries rounding error around zero.
    compare(
        lambda t: ours(t, dim, keepdims),
        lambda t: theirs(t, dim, keepdims),
        [x],
        atol=1e-5 if name.startswith("var") else 1e-6,
    )
