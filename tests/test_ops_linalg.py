"""einsum: finite-difference gradients (float64), PyTorch parity (float32), broadcasting,
diagonals, 0-d, non-contiguous and empty operands, dtypes and error messages.

(matmul is covered with the other binary ops in test_ops_elementwise.py.)
"""

import re

import numpy
import pytest

import autocompyute as ac
from autocompyute.ops.linalg import einsum
from autocompyute.testing import assert_matches_torch, gradcheck, import_torch

RNG = numpy.random.default_rng(99)

# subscripts and operand shapes
CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ij, jk -> ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]),
    ("...ij,...jk", [(3, 2, 3), (3, 2)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("iij->j", [(2, 2, 3)]),
    ("iji->j", [(2, 3, 2)]),
    ("...ii->...i", [(2, 3, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->i", [(2, 3)]),
    ("...->", [(2, 3)]),
    ("i,i->", [(3,), (3,)]),
    ("i,i", [(3,), (3,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij,ij->ij", [(1, 3), (2, 1)]),
    ("ijk,ik->j", [(2, 3, 4), (2, 4)]),
    ("ij,j->i", [(3, 4), (4,)]),
    ("ab,bc,cd->ad", [(2, 3), (3, 4), (4, 2)]),
    ("Ab,bC->AC", [(2, 3), (3, 4)]),
    (",i->i", [(), (3,)]),
    (",->", [(), ()]),
    ("i,ii->i", [(3,), (3, 3)]),
    ("i->", [(0,)]),
    ("ij,jk->ik", [(2, 0), (0, 3)]),
    ("bij,bjk->bik", [(0, 2, 3), (0, 3, 4)]),
]

IDS = [f"{subscripts}-{shapes}" for subscripts, shapes in CASES]


@pytest.mark.parametrize(("subscripts", "shapes"), CASES, ids=IDS)
def test_einsum_matches_numpy_forward(subscripts, shapes):
    arrays = [RNG.standard_normal(shape) for shape in shapes]
    out = einsum(subscripts, *[ac.tensor(a) for a in arrays])
    # NumPy rejects an output that leaves out '...'; PyTorch (and we) sum those dims.
    sums_ellipsis = subscripts == "...->"
    expected = arrays[0].sum() if sums_ellipsis else numpy.einsum(subscripts, *arrays)
    assert out.shape == numpy.shape(expected)
    numpy.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("subscripts", "shapes"), CASES, ids=IDS)
def test_einsum_gradcheck(subscripts, shapes):
    inputs = [
        ac.tensor(RNG.standard_normal(shape), dtype="float64", req_grad=True) for shape in shapes
    ]
    gradcheck(lambda *operands: einsum(subscripts, *operands), inputs)


def torch_parity(subscripts, arrays, transposed=()):
    torch = import_torch()
    arrays = [numpy.asarray(a, dtype=numpy.float32) for a in arrays]
    ours = [
        ac.tensor(numpy.ascontiguousarray(a.T).T if index in transposed else a, req_grad=True)
        for index, a in enumerate(arrays)
    ]
    assert_matches_torch(
        lambda *operands: einsum(subscripts, *operands),
        lambda *operands: torch.einsum(subscripts, *operands),
        ours,
        lambda shape: RNG.standard_normal(shape).astype(numpy.float32),
    )


@pytest.mark.parametrize(("subscripts", "shapes"), CASES, ids=IDS)
def test_einsum_matches_torch(subscripts, shapes):
    torch_parity(subscripts, [RNG.standard_normal(shape) for shape in shapes])


@pytest.mark.parametrize(
    ("subscripts", "shapes"),
    [
        ("ij,jk->ik", [(3, 4), (4, 5)]),
        ("bij,bjk->bik", [(2, 3, 4), (2, 4, 3)]),
        ("ii->i", [(4, 4)]),
        ("ij->j", [(3, 5)]),
    ],
)
def test_einsum_non_contiguous(subscripts, shapes):
    arrays = [RNG.standard_normal(shape) for shape in shapes]
    torch_parity(subscripts, arrays, transposed=range(len(arrays)))
    views = [numpy.ascontiguousarray(a.T).T for a in arrays]
    inputs = [ac.tensor(view, dtype="float64", req_grad=True) for view in views]
    assert not inputs[0].data.flags.c_contiguous
    gradcheck(lambda *operands: einsum(subscripts, *operands), inputs)


def test_einsum_method_and_list_forms():
    a = ac.tensor(RNG.standard_normal((2, 3)))
    b = ac.tensor(RNG.standard_normal((3, 4)))
    expected = numpy.einsum("ij,jk->ik", a.data, b.data)
    numpy.testing.assert_allclose(a.einsum("ij,jk->ik", b).data, expected, rtol=1e-6)
    numpy.testing.assert_allclose(einsum("ij,jk->ik", [a, b]).data, expected, rtol=1e-6)
    numpy.testing.assert_allclose(einsum("ij,jk->ik", a, b.data).data, expected, rtol=1e-6)


def test_einsum_same_tensor_twice_accumulates():
    values = RNG.standard_normal(4)
    x = ac.tensor(values, dtype="float64", req_grad=True)
    einsum("i,i->", x, x).backward()
    numpy.testing.assert_allclose(x.grad, 2 * values)


def test_einsum_constant_operand_gets_no_gradient():
    x = ac.tensor(RNG.standard_normal((2, 3)), req_grad=True)
    constant = ac.tensor(RNG.standard_normal((3, 4)))
    out = einsum("ij,jk->ik", x, constant)
    grads = out.ctx.backward(numpy.ones((2, 4), dtype=numpy.float32))
    assert grads[0] is not None and grads[1] is None
    out.sum().backward()
    assert constant.grad is None


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_einsum_keeps_dtype(dtype):
    a = ac.tensor(RNG.standard_normal((2, 3)), dtype=dtype, req_grad=True)
    b = ac.tensor(RNG.standard_normal((3, 3)), dtype=dtype, req_grad=True)
    for subscripts in ("ij,jk->ik", "ij,kk->ij", "ij->"):
        a.grad = b.grad = None
        out = einsum(subscripts, a, b) if "," in subscripts else einsum(subscripts, a)
        assert out.dtype == dtype
        out.sum().backward()
        assert a.grad.dtype == dtype


def test_einsum_promotes_mixed_dtypes():
    ints = ac.tensor([[1, 2], [3, 4]])
    halves = ac.tensor([1.0, 2.0], dtype="float16", req_grad=True)
    out = einsum("ij,j->i", ints, halves)
    assert out.dtype == ac.float16
    out.sum().backward()
    assert halves.grad.dtype == ac.float16
    numpy.testing.assert_allclose(halves.grad, [4.0, 6.0])
    assert einsum("ij,ij->", ints, ints).dtype == ac.int64
    single = ac.tensor([1.0], dtype="float32")
    double = ac.tensor([2.0], dtype="float64", req_grad=True)
    assert einsum("i,i->i", single, double).dtype == ac.float64


# ------------------------------------------------------------------------------------ errors

ERRORS = [
    ("ij,jk", [(2, 3)], "einsum: subscripts 'ij,jk' name 2 operand(s), but 1 tensor(s) were given"),
    ("ij", [(2, 3), (3,)], "einsum: subscripts 'ij' name 1 operand(s), but 2 tensor(s) were given"),
    (
        "ij",
        [(2, 3, 4)],
        "einsum: operand 0 has 3 dims (shape (2, 3, 4)), but its subscripts 'ij' name 2",
    ),
    (
        "i,ijk",
        [(2,), (2, 3)],
        "einsum: operand 1 has 2 dims (shape (2, 3)), but its subscripts 'ijk' name 3",
    ),
    (
        "...ijk",
        [(2, 3)],
        "einsum: operand 0 has 2 dims (shape (2, 3)), but its subscripts '...ijk' name 3",
    ),
    (
        "ij,jk->ik",
        [(2, 3), (4, 5)],
        "einsum: subscript 'j' has size 3 in operand 0 but size 4 in operand 1",
    ),
    (
        "ii",
        [(2, 3)],
        "einsum: subscript 'i' is repeated in operand 0 with different sizes 2 "
        "and 3 (shape (2, 3))",
    ),
    (
        "...i,...i",
        [(2, 3), (4, 3)],
        "einsum: the dims covered by '...' do not broadcast: (2,) and (4,)",
    ),
    ("ij->ik", [(2, 3)], "einsum: output subscript 'k' in 'ij->ik' does not appear in the inputs"),
    ("ij->ii", [(2, 3)], "einsum: output subscript 'i' appears more than once in 'ij->ii'"),
    ("ij->i->j", [(2, 3)], "einsum: subscripts 'ij->i->j' contain '->' more than once"),
    ("i1", [(2, 3)], "einsum: invalid subscript '1' for operand 0 in 'i1'"),
    ("i..j", [(2, 3)], "einsum: invalid subscript '.' for operand 0 in 'i..j'"),
    ("ij->i.", [(2, 3)], "einsum: invalid subscript '.' for the output in 'ij->i.'"),
]


@pytest.mark.parametrize(
    ("subscripts", "shapes", "message"), ERRORS, ids=[case[0] for case in ERRORS]
)
def test_einsum_errors(subscripts, shapes, message):
    operands = [ac.ones(*shape) for shape in shapes]
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        einsum(subscripts, *operands)


def test_einsum_needs_operands_and_a_string():
    with pytest.raises(ValueError, match="einsum: needs at least one operand"):
        einsum("ij")
    with pytest.raises(TypeError, match="einsum: subscripts must be a string, got int"):
        einsum(3, ac.ones(2))
