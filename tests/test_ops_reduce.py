"""Reductions (sum, mean, var, std, max, min, logsumexp, argmax, argmin): finite-difference
gradients (float64), PyTorch parity of values and gradients (float32), dtypes and errors."""

import numpy
import pytest

import autocompyute as ac
from autocompyute.testing import assert_matches_torch, gradcheck, import_torch

RNG = numpy.random.default_rng(4321)


def torch_dims(dim, ndim):
    """Our `dim` as a PyTorch dim argument (PyTorch's amax/logsumexp need explicit dims)."""
    if dim is None:
        return tuple(range(ndim))
    return dim


# name: (ours(x, dim, keepdims), theirs(torch, x, dim, keepdims))
REDUCTIONS = {
    "sum": (
        lambda x, d, k: x.sum(dim=d, keepdims=k),
        lambda torch, x, d, k: x.sum(dim=d, keepdim=k),
    ),
    "mean": (
        lambda x, d, k: x.mean(dim=d, keepdims=k),
        lambda torch, x, d, k: x.mean(dim=d, keepdim=k),
    ),
    "var_ddof0": (
        lambda x, d, k: x.var(dim=d, ddof=0, keepdims=k),
        lambda torch, x, d, k: torch.var(x, dim=d, correction=0, keepdim=k),
    ),
    "var_ddof1": (
        lambda x, d, k: x.var(dim=d, keepdims=k),
        lambda torch, x, d, k: torch.var(x, dim=d, correction=1, keepdim=k),
    ),
    "std_ddof0": (
        lambda x, d, k: x.std(dim=d, ddof=0, keepdims=k),
        lambda torch, x, d, k: torch.std(x, dim=d, correction=0, keepdim=k),
    ),
    "std_ddof1": (
        lambda x, d, k: x.std(dim=d, ddof=1, keepdims=k),
        lambda torch, x, d, k: torch.std(x, dim=d, correction=1, keepdim=k),
    ),
    "max": (
        lambda x, d, k: x.amax(dim=d, keepdims=k),
        lambda torch, x, d, k: torch.amax(x, dim=torch_dims(d, x.ndim), keepdim=k),
    ),
    "min": (
        lambda x, d, k: x.amin(dim=d, keepdims=k),
        lambda torch, x, d, k: torch.amin(x, dim=torch_dims(d, x.ndim), keepdim=k),
    ),
    "logsumexp": (
        lambda x, d, k: x.logsumexp(dim=d, keepdims=k),
        lambda torch, x, d, k: torch.logsumexp(x, dim=torch_dims(d, x.ndim), keepdim=k),
    ),
}

DIMS_3D = [None, 0, 1, -1, (0, 2), (-1, 0), (0, 1, 2)]


def check_gradients(name, array, dim, keepdims):
    ours = REDUCTIONS[name][0]
    x = ac.tensor(numpy.array(array, dtype=numpy.float64), dtype="float64", req_grad=True)
    gradcheck(lambda t: ours(t, dim, keepdims), [x])


def check_torch(name, array, dim, keepdims, transposed=False, rtol=1e-5, atol=1e-6):
    torch = import_torch()
    ours, theirs = REDUCTIONS[name]
    array = numpy.asarray(array, dtype=numpy.float32)
    data = numpy.ascontiguousarray(array.T).T if transposed else array
    assert_matches_torch(
        lambda x: ours(x, dim, keepdims),
        lambda reference: theirs(torch, reference, dim, keepdims),
        [ac.tensor(data, req_grad=True)],
        lambda shape: RNG.standard_normal(shape).astype(numpy.float32),
        rtol,
        atol,
    )


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dim", DIMS_3D)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_gradcheck(name, dim, keepdims):
    check_gradients(name, RNG.standard_normal((2, 3, 4)), dim, keepdims)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dim", DIMS_3D)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_matches_torch(name, dim, keepdims):
    check_torch(name, RNG.standard_normal((2, 3, 4)), dim, keepdims)


@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_non_contiguous(name, dim):
    check_torch(name, RNG.standard_normal((3, 5)), dim, False, transposed=True)
    strided = RNG.standard_normal((3, 10))[:, ::2]
    check_gradients(name, strided, dim, True)


@pytest.mark.parametrize("dim", [None, 0, -1])
@pytest.mark.parametrize("name", ["sum", "mean", "var_ddof0", "max", "min", "logsumexp"])
def test_reduction_zero_dim(name, dim):
    check_torch(name, numpy.array(1.5), dim, False)
    check_torch(name, numpy.array(1.5), dim, True)
    check_gradients(name, numpy.array(1.5), dim, False)


def test_reduction_one_dim():
    for name in REDUCTIONS:
        check_torch(name, RNG.standard_normal(5), None, False)
        check_torch(name, RNG.standard_normal(5), 0, True)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.filterwarnings("ignore:.*degrees of freedom:UserWarning")
@pytest.mark.parametrize("dim", [None, 0, 1])
@pytest.mark.parametrize(
    "name", ["sum", "mean", "var_ddof0", "var_ddof1", "std_ddof1", "logsumexp"]
)
def test_reduction_over_empty_matches_torch(name, dim):
    # (0, 3): sum -> 0, mean/var/std -> NaN, logsumexp -> -inf over dim 0; dim 1 gives (0,).
    check_torch(name, numpy.zeros((0, 3)), dim, False)
    check_torch(name, numpy.zeros((0, 3)), dim, True)


def test_sum_of_empty_is_zero():
    assert ac.zeros(0).sum().item() == 0
    assert ac.zeros(2, 0).sum(dim=1).data.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("name", ["max", "min"])
def test_ties_share_the_gradient(name):
    values = numpy.array([[1.0, 3.0, 3.0, -1.0], [2.0, 2.0, 2.0, 2.0], [-1.0, 0.0, -1.0, 5.0]])
    for dim in (None, 0, 1, (0, 1)):
        check_torch(name, values, dim, False)
    x = ac.tensor([1.0, 3.0, 3.0, -1.0], req_grad=True)
    getattr(x, name)().backward()
    expected = [0, 0.5, 0.5, 0] if name == "max" else [0, 0, 0, 1]
    numpy.testing.assert_array_equal(x.grad, expected)


def test_logsumexp_is_stable():
    values = numpy.array(
        [[1000.0, 1000.0, 999.0], [-1000.0, -1001.0, -1000.5], [3e4, 3e4, 3e4 - 2]]
    )
    x = ac.tensor(values, req_grad=True)
    out = x.logsumexp(dim=1)
    out.sum().backward()
    # Exact values from float64: log(sum(exp(x))) and its gradient, softmax(x).
    shift = values.max(axis=1, keepdims=True)
    exps = numpy.exp(values - shift)
    expected = numpy.log(exps.sum(axis=1)) + shift[:, 0]
    numpy.testing.assert_allclose(out.data, expected, rtol=1e-6)
    numpy.testing.assert_allclose(x.grad, exps / exps.sum(axis=1, keepdims=True), rtol=1e-6)
    check_torch("logsumexp", numpy.array([[80.0, 81.0], [-90.0, -91.0]]), 1, False)


def test_logsumexp_with_infinities():
    check_torch("logsumexp", numpy.array([-numpy.inf, 0.0, -numpy.inf]), None, False)
    check_torch("logsumexp", numpy.array([[-numpy.inf, 1.0], [2.0, 3.0]]), 0, False)
    assert ac.tensor([numpy.inf, 1.0]).logsumexp().item() == numpy.inf
    with numpy.errstate(divide="ignore"):
        assert ac.tensor([-numpy.inf, -numpy.inf]).logsumexp().item() == -numpy.inf


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_match_torch(name, dim, keepdims):
    torch = import_torch()
    values = RNG.standard_normal((3, 4)).astype(numpy.float32)
    x = ac.tensor(values, req_grad=True)
    out = getattr(x, name)(dim=dim, keepdims=keepdims)
    expected = getattr(torch, name)(torch.tensor(values), dim=dim, keepdim=keepdims)
    assert out.dtype == ac.int64
    assert not out.req_grad
    assert out.shape == tuple(expected.shape)
    numpy.testing.assert_array_equal(out.data, expected.numpy())


def test_argmax_flattened_and_zero_dim():
    x = ac.tensor([[1.0, 9.0], [9.0, 3.0]])
    assert x.argmax().item() == 1  # the first maximum of the flattened tensor
    assert x.argmin().item() == 0
    assert x.T.argmax().item() == 1  # flattening follows the logical (not memory) order
    assert ac.tensor(4.0).argmax().item() == 0
    assert ac.tensor(4.0).argmin(dim=-1).shape == ()
    assert ac.tensor([3, 1, 2]).argmin().item() == 1


# ------------------------------------------------------------------------------------ dtypes


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_keeps_float_dtype(name, dtype):
    x = ac.tensor(RNG.standard_normal((3, 4)), dtype=dtype, req_grad=True)
    for dim in (None, 1):
        x.grad = None
        out = REDUCTIONS[name][0](x, dim, False)
        assert out.dtype == dtype
        out.sum().backward()
        assert x.grad.dtype == dtype


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "bool"])
def test_integer_reductions(dtype):
    values = numpy.array([[1, 0, 1], [1, 1, 0]])
    x = ac.tensor(values, dtype=dtype)
    assert x.mean().dtype == ac.float32
    assert x.var().dtype == ac.float32
    assert x.std(dim=0).dtype == ac.float32
    assert x.logsumexp().dtype == ac.float32
    numpy.testing.assert_allclose(x.mean(dim=1).data, [2 / 3, 2 / 3], rtol=1e-6)
    numpy.testing.assert_allclose(x.var(ddof=0).data, numpy.var(values), rtol=1e-6)
    assert x.sum().item() == 4
    assert x.sum().dtype.kind in "iu"
    assert x.max().dtype == dtype
    assert x.argmax(dim=1).data.tolist() == [0, 0]


# ------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "max", "min", "logsumexp"])
def test_out_of_range_dims(name):
    x = ac.ones(2, 3)
    method = getattr(x, name)
    with pytest.raises(IndexError, match=rf"^{name}: dim 2 is out of range for a tensor with 2 "):
        method(dim=2)
    with pytest.raises(IndexError, match=rf"^{name}: dim -3 is out of range"):
        method(dim=(0, -3))
    with pytest.raises(ValueError, match=rf"^{name}: dim \(1, -1\) repeats a dimension"):
        method(dim=(1, -1))
    with pytest.raises(TypeError, match=rf"^{name}: dim must be an int"):
        method(dim=(1.0,))


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_arg_reduction_errors(name):
    x = ac.ones(2, 3)
    with pytest.raises(IndexError, match=rf"^{name}: dim 2 is out of range"):
        getattr(x, name)(dim=2)
    with pytest.raises(TypeError, match=rf"^{name}: dim must be an int"):
        getattr(x, name)(dim=(0, 1))
    with pytest.raises(ValueError, match=rf"^{name}: cannot search an empty tensor"):
        getattr(ac.zeros(0, 3), name)()
    with pytest.raises(ValueError, match=rf"^{name}: cannot search dim 0, which has size 0"):
        getattr(ac.zeros(0, 3), name)(dim=0)
    assert getattr(ac.zeros(0, 3), name)(dim=1).shape == (0,)


@pytest.mark.parametrize("name", ["max", "min"])
def test_extremum_of_nothing_is_an_error(name):
    with pytest.raises(ValueError, match=rf"^{name}: cannot reduce over dim 0, which has size 0"):
        getattr(ac.zeros(0, 3), name)(dim=0)
    with pytest.raises(ValueError, match=rf"{name}imum of no elements is undefined"):
        getattr(ac.zeros(0, 3), name)()
    assert getattr(ac.zeros(0, 3), name)(dim=1).values.shape == (0,)


@pytest.mark.parametrize("name", ["var", "std"])
def test_bad_ddof(name):
    with pytest.raises(ValueError, match=rf"^{name}: ddof must be a non-negative number"):
        getattr(ac.ones(3), name)(ddof=-1)
    with pytest.raises(ValueError, match=rf"^{name}: ddof must be a non-negative number"):
        getattr(ac.ones(3), name)(ddof="1")
