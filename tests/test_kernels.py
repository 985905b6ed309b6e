"""Fused kernels: the compiled and the reference path, each against PyTorch and each other.

Every op test runs twice (the `path` fixture): once with the compiled kernels and once with the
NumPy reference forced, in float32 and float64, on contiguous and strided inputs.
"""

import os
import subprocess
import sys

import numpy
import pytest

import autocompyute as ac
import autocompyute.nn.functional as F
from autocompyute import _kernels, kernels
from autocompyute.nn.optimizers import Adam, AdamW
from autocompyute.testing import assert_matches_torch, gradcheck, torch_or_skip

torch = torch_or_skip()
TF = torch.nn.functional

TOLERANCES = {"float32": (1e-5, 1e-6), "float64": (1e-10, 1e-12)}


@pytest.fixture(params=["compiled", "reference"])
def path(request):
    with kernels.reference_kernels(request.param == "reference"):
        yield request.param


def rand(*shape, dtype="float32", seed=0, scale=1.0, req_grad=True):
    values = numpy.random.default_rng(seed).normal(0.0, scale, shape)
    return ac.tensor(values, dtype=dtype, req_grad=req_grad)


def every_other(tensor):
    """Every other entry of the last dim: a strided view (in either library)."""
    return tensor[(slice(None),) * (tensor.ndim - 1) + (slice(None, None, 2),)]


def wide(*shape, **options):
    """An input whose last dim is twice `shape`'s, for `every_other`."""
    return rand(*shape[:-1], 2 * shape[-1], **options)


def check(function, torch_function, inputs, dtype):
    for tensor in inputs:
        tensor.grad = None  # inputs are shared between checks
    rtol, atol = TOLERANCES[dtype]
    assert_matches_torch(function, torch_function, inputs, rtol=rtol, atol=atol)


def assert_same(compiled_values, reference_values, dtype):
    rtol, atol = TOLERANCES[dtype]
    numpy.testing.assert_allclose(
        compiled_values, reference_values, rtol=rtol, atol=atol, equal_nan=True
    )


def both_paths(function, *arrays):
    """Values and input gradients of `function` on the compiled and on the reference path."""
    results = []
    for reference in (False, True):
        with kernels.reference_kernels(reference):
            inputs = [ac.tensor(array.copy(), req_grad=True) for array in arrays]
            out = function(*inputs)
            out.backward(numpy.linspace(-1, 1, out.numel(), dtype=out.dtype).reshape(out.shape))
            results.append((out.data, [tensor.grad for tensor in inputs]))
    return results


# ------------------------------------------------------------------------------ the switch


def test_compiled_applies_to_numpy_floats_of_one_dtype():
    with kernels.reference_kernels(False):
        assert kernels.compiled(numpy.zeros(3, "float32"), None, numpy.ones(2, "float32"))
        assert not kernels.compiled(numpy.zeros(3, "float32"), numpy.zeros(3, "float64"))
        assert not kernels.compiled(numpy.zeros(3, "float16"))
        assert not kernels.compiled(numpy.zeros(3, "int64"))
        assert not kernels.compiled([1.0, 2.0])
    with kernels.reference_kernels():
        assert kernels.using_reference_kernels()
        assert not kernels.compiled(numpy.zeros(3, "float32"))


def test_environment_variable_forces_the_reference_path():
    code = "import autocompyute.kernels as k; print(k.using_reference_kernels())"
    for value, expected in (("1", "True"), ("0", "False")):
        result = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "AUTOCOMPYUTE_REFERENCE_KERNELS": value},
        )
        assert result.stdout.strip().splitlines()[-1] == expected


# ------------------------------------------------------------------------------ GELU


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gelu_matches_torch(path, dtype):
    for form in ("tanh", "none"):
        check(
            lambda t, form=form: F.gelu(t, approximate=form),
            lambda t, form=form: TF.gelu(t, approximate=form),
            [rand(4, 6, dtype=dtype, scale=3.0)],
            dtype,
        )
        check(
            lambda t, form=form: F.gelu(every_other(t), approximate=form),
            lambda t, form=form: TF.gelu(every_other(t), approximate=form),
            [wide(4, 6, dtype=dtype)],
            dtype,
        )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gelu_exact_kernel_matches_torch(dtype):
    x = numpy.random.default_rng(1).normal(0, 3, 1000).astype(dtype)
    grad = numpy.random.default_rng(2).normal(size=1000).astype(dtype)
    reference = torch.from_numpy(x).requires_grad_(True)
    expected = TF.gelu(reference)
    expected.backward(torch.from_numpy(grad))
    rtol, atol = TOLERANCES[dtype]
    numpy.testing.assert_allclose(
        kernels.gelu(x, "none"), expected.detach().numpy(), rtol=rtol, atol=atol
    )
    numpy.testing.assert_allclose(
        kernels.gelu_backward(x, grad, "none"), reference.grad.numpy(), rtol=rtol, atol=atol
    )


def test_gelu_gradcheck(path):
    gradcheck(F.gelu, [rand(3, 5, dtype="float64", scale=2.0)])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the reference path warns on NaN
def test_gelu_paths_agree_with_nan_and_inf():
    x = numpy.array(
        [numpy.nan, numpy.inf, -numpy.inf, 0.0, -30.0, 30.0, 1e30, -1e30], dtype="float32"
    )
    (compiled, (compiled_grad,)), (reference, (reference_grad,)) = both_paths(F.gelu, x)
    assert_same(compiled, reference, "float32")
    assert_same(compiled_grad, reference_grad, "float32")


# ------------------------------------------------------------------------------ LayerNorm


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_layernorm_matches_torch(path, dtype):
    x = rand(3, 5, 8, dtype=dtype, scale=2.0)
    w, b = rand(8, dtype=dtype, seed=1), rand(8, dtype=dtype, seed=2)
    check(F.layernorm, lambda *t: TF.layer_norm(t[0], (8,), t[1], t[2]), [x, w, b], dtype)
    check(
        lambda t, *p: F.layernorm(every_other(t), *p),
        lambda t, *p: TF.layer_norm(every_other(t), (8,), *p),
        [wide(3, 5, 8, dtype=dtype), w, b],
        dtype,
    )
    check(lambda t: F.layernorm(t), lambda t: TF.layer_norm(t, (8,)), [x], dtype)


def test_layernorm_over_two_dims_and_without_shift(path):
    x, w = rand(4, 3, 5, dtype="float64"), rand(3, 5, dtype="float64", seed=3)
    check(
        lambda a, c: F.layernorm(a, c), lambda a, c: TF.layer_norm(a, (3, 5), c), [x, w], "float64"
    )


def test_layernorm_gradcheck(path):
    x = rand(2, 3, 6, dtype="float64")
    w, b = rand(6, dtype="float64", seed=1), rand(6, dtype="float64", seed=2)
    gradcheck(F.layernorm, [x, w, b])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the reference path warns on NaN
def test_layernorm_paths_agree_with_nan_and_inf():
    x = numpy.random.default_rng(0).normal(size=(4, 6)).astype("float32")
    x[1, 2], x[2, 0], x[3, 5] = numpy.nan, numpy.inf, -numpy.inf
    w, b = numpy.ones(6, "float32"), numpy.zeros(6, "float32")
    (compiled, compiled_grads), (reference, reference_grads) = both_paths(F.layernorm, x, w, b)
    assert_same(compiled, reference, "float32")
    for got, expected in zip(compiled_grads, reference_grads):
        assert_same(got, expected, "float32")


# ------------------------------------------------------------------------------ softmax


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("ours", "theirs"), [(F.softmax, TF.softmax), (F.log_softmax, TF.log_softmax)]
)
def test_softmax_matches_torch(path, dtype, ours, theirs):
    x = rand(3, 4, 7, dtype=dtype, scale=5.0)
    check(ours, lambda t: theirs(t, dim=-1), [x], dtype)
    check(
        lambda t: ours(every_other(t)),
        lambda t: theirs(every_other(t), dim=-1),
        [wide(3, 4, 7, dtype=dtype, scale=5.0)],
        dtype,
    )
    check(lambda t: ours(t, dim=1), lambda t: theirs(t, dim=1), [x], dtype)


def test_softmax_gradcheck(path):
    gradcheck(F.softmax, [rand(3, 5, dtype="float64")])
    gradcheck(F.log_softmax, [rand(3, 5, dtype="float64")])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the reference path warns on NaN
@pytest.mark.parametrize("function", [F.softmax, F.log_softmax])
def test_softmax_paths_agree_with_nan_and_inf(function):
    x = numpy.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    x[1, 1], x[2, 3], x[3] = numpy.nan, numpy.inf, -numpy.inf
    x[4, 0] = 1e30
    (compiled, (compiled_grad,)), (reference, (reference_grad,)) = both_paths(function, x)
    assert_same(compiled, reference, "float32")
    assert_same(compiled_grad, reference_grad, "float32")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_causal_softmax_kernels_match_a_tril_mask(dtype):
    scores = numpy.random.default_rng(0).normal(size=(2, 3, 5, 5)).astype(dtype)
    grad = numpy.random.default_rng(1).normal(size=scores.shape).astype(dtype)
    mask = torch.ones(5, 5, dtype=torch.bool).tril()
    for log, theirs in ((False, TF.softmax), (True, TF.log_softmax)):
        reference = torch.from_numpy(scores).requires_grad_(True)
        expected = theirs(reference.masked_fill(~mask, -torch.inf), dim=-1)
        expected.backward(torch.from_numpy(grad))
        out = kernels.softmax(scores, log=log, causal=True)
        if log:
            grad_scores = kernels.log_softmax_backward(out, grad, causal=True)
        else:
            grad_scores = kernels.softmax_backward(out, grad)
        rtol, atol = TOLERANCES[dtype]
        numpy.testing.assert_allclose(out, expected.detach().numpy(), rtol=rtol, atol=atol)
        numpy.testing.assert_allclose(grad_scores, reference.grad.numpy(), rtol=rtol, atol=atol)


# ------------------------------------------------------------------------------ cross-entropy


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_matches_torch(path, dtype, smoothing):
    logits = rand(6, 5, dtype=dtype, scale=4.0)
    targets = ac.tensor(numpy.array([0, 4, -100, 2, 2, 1]))

    def ours(t):
        return F.cross_entropy_loss(t, targets, label_smoothing=smoothing)

    def theirs(t):
        return TF.cross_entropy(t, torch.from_numpy(targets.data), label_smoothing=smoothing)

    check(ours, theirs, [logits], dtype)
    check(
        lambda t: ours(every_other(t)),
        lambda t: theirs(every_other(t)),
        [wide(6, 5, dtype=dtype, scale=4.0)],
        dtype,
    )


def test_cross_entropy_with_every_target_ignored_is_nan(path):
    logits = rand(3, 4)
    loss = F.cross_entropy_loss(logits, ac.tensor(numpy.full(3, -100)))
    assert numpy.isnan(loss.item())
    loss.backward()
    numpy.testing.assert_array_equal(logits.grad, numpy.zeros((3, 4), "float32"))


def test_cross_entropy_gradcheck(path):
    targets = ac.tensor(numpy.array([[1, 0, 3], [2, 2, -100]]))
    gradcheck(
        lambda t: F.cross_entropy_loss(t, targets, label_smoothing=0.1),
        [rand(2, 3, 4, dtype="float64")],
    )


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the reference path warns on NaN
def test_cross_entropy_paths_agree_with_nan_and_inf():
    x = numpy.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    x[1, 1], x[2, 0] = numpy.nan, numpy.inf
    targets = ac.tensor(numpy.array([0, 1, 2, 0]))
    (compiled, (compiled_grad,)), (reference, (reference_grad,)) = both_paths(
        lambda t: F.cross_entropy_loss(t, targets), x
    )
    assert_same(compiled, reference, "float32")
    assert_same(compiled_grad, reference_grad, "float32")


def test_cross_entropy_kernel_rejects_out_of_range_targets():
    logits = numpy.zeros((2, 3), "float32")
    with pytest.raises(IndexError, match=r"target 3 of item 1 is not a class index in \[0, 3\)"):
        kernels.cross_entropy(logits, numpy.array([0, 3]), -100, 0.0)


# ------------------------------------------------------------------------------ Adam


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("ours", "theirs", "weight_decay"),
    [(Adam, "Adam", 0.0), (Adam, "Adam", 0.1), (AdamW, "AdamW", 0.05)],
)
def test_adam_matches_torch(path, dtype, ours, theirs, weight_decay):
    rng = numpy.random.default_rng(0)
    initial = [rng.normal(size=(3, 4)).astype(dtype), rng.normal(size=5).astype(dtype)]
    grads = [[rng.normal(size=p.shape).astype(dtype) for p in initial] for _ in range(4)]
    params = [ac.tensor(p.copy(), req_grad=True) for p in initial]
    references = [torch.tensor(p.copy(), requires_grad=True) for p in initial]
    optimizer = ours(params, lr=0.01, weight_decay=weight_decay)
    reference = getattr(torch.optim, theirs)(references, lr=0.01, weight_decay=weight_decay)
    for step_grads in grads:
        for param, torch_param, grad in zip(params, references, step_grads):
            param.grad = grad.copy()
            torch_param.grad = torch.from_numpy(grad.copy())
        optimizer.step()
        reference.step()
    rtol, atol = TOLERANCES[dtype]
    for param, torch_param in zip(params, references):
        numpy.testing.assert_allclose(
            param.data, torch_param.detach().numpy(), rtol=rtol, atol=atol
        )


def test_adam_paths_agree_bit_for_bit_and_skip_strided_params():
    results = []
    for reference in (False, True):
        with kernels.reference_kernels(reference):
            rng = numpy.random.default_rng(0)
            contiguous = ac.tensor(rng.normal(size=(4, 3)), dtype="float32", req_grad=True)
            transposed = ac.tensor(rng.normal(size=(3, 4)), dtype="float32", req_grad=True)
            transposed.data = transposed.data.T  # updated by the reference loop
            optimizer = AdamW([contiguous, transposed], lr=0.1)
            for _ in range(3):
                contiguous.grad = rng.normal(size=(4, 3)).astype("float32")
                transposed.grad = rng.normal(size=(4, 3)).astype("float32")
                optimizer.step()
            results.append((contiguous.data.copy(), transposed.data.copy()))
    for got, expected in zip(*results):
        numpy.testing.assert_array_equal(got, expected)


# ------------------------------------------------------------------------------ bad input


def test_kernels_reject_mismatched_sizes_and_dtypes():
    x = numpy.zeros((2, 3), "float32")
    with pytest.raises(ValueError, match="softmax_forward: out has shape"):
        _kernels.softmax_forward(x, 0, False, numpy.zeros((3, 3), "float32"))
    with pytest.raises(ValueError, match="gelu_forward: out has 2 elements, expected 6"):
        _kernels.gelu_forward(x.reshape(-1), numpy.zeros(2, "float32"), True)
    with pytest.raises(ValueError):
        _kernels.gelu_forward(x.reshape(-1), numpy.zeros(6, "float64"), True)
    with pytest.raises(ValueError, match="layer_norm_forward: w has 2 elements, expected 3"):
        _kernels.layer_norm_forward(
            x,
            numpy.zeros(2, "float32"),
            None,
            1e-5,
            x.copy(),
            numpy.zeros(2, "float32"),
            numpy.zeros(2, "float32"),
        )
    with pytest.raises(ValueError, match="adam_update: params, grads"):
        _kernels.adam_update([x], [], [], [], [], 0.1, 0.9, 0.999, 1e-8, 0.0, False)


def test_empty_inputs(path):
    x = ac.zeros(0, 4, req_grad=True)
    for function in (F.gelu, F.softmax, F.log_softmax, lambda t: F.layernorm(t, ac.ones(4))):
        out = function(x)
        assert out.shape == (0, 4)
        out.sum().backward()
        assert x.grad.shape == (0, 4)
        x.grad = None


# ------------------------------------------------------------------------------ work buffers


def test_work_buffers_reuse_only_unreferenced_arrays():
    from autocompyute.nn.functional.work_buffers import WorkBuffers

    pool = WorkBuffers()
    first = pool.empty(numpy, (4, 5), numpy.float32)
    first_id = id(first)
    view = first.reshape(20)
    del first
    second = pool.empty(numpy, (4, 5), numpy.float32)
    assert id(second) != first_id  # the view keeps the first array in use
    assert pool.empty(numpy, (4, 5), numpy.float64).dtype == numpy.float64
    del view
    assert id(pool.empty(numpy, (4, 5), numpy.float32)) == first_id


def test_conv_outputs_alive_together_stay_independent(path):
    conv = ac.nn.Conv2d(3, 4, 3)
    x1, x2 = rand(2, 3, 8, 8, seed=1), rand(2, 3, 8, 8, seed=2)
    y1 = conv(x1)
    kept = y1.data.copy()
    y2 = conv(x2)
    numpy.testing.assert_array_equal(y1.data, kept)
    assert not numpy.shares_memory(y1.data, y2.data)
    (y1.sum() + y2.sum()).backward()
    again = ac.nn.Conv2d(3, 4, 3)
    again.load_state_dict(conv.state_dict())
    numpy.testing.assert_array_equal(again(x1).data, kept)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n_keys", [5, 3, 7])
def test_causal_attention_matches_torch(path, dtype, n_keys):
    q = rand(2, 3, 5, 4, dtype=dtype, seed=1)
    k, v = rand(2, 3, n_keys, 4, dtype=dtype, seed=2), rand(2, 3, n_keys, 6, dtype=dtype, seed=3)
    check(
        lambda *t: F.scaled_dot_product_attention(*t, is_causal=True),
        lambda *t: TF.scaled_dot_product_attention(*t, is_causal=True),
        [q, k, v],
        dtype,
    )


def test_self_attention_gradients_share_one_array(path):
    q, k, v = (rand(2, 3, 5, 4, dtype="float64", seed=seed) for seed in (1, 2, 3))
    check(
        lambda *t: F.scaled_dot_product_attention(*t, is_causal=True),
        lambda *t: TF.scaled_dot_product_attention(*t, is_causal=True),
        [q, k, v],
        "float64",
    )
    seen = []
    for tensor in (q, k, v):
        tensor.grad = None
        tensor.register_hook(lambda grad: seen.append(grad))
    F.scaled_dot_product_attention(q, k, v, is_causal=True).sum().backward()
    arrays = [grad.data if isinstance(grad, ac.Tensor) else grad for grad in seen]
    assert len(arrays) == 3 and arrays[0].base is not None
    assert all(array.base is arrays[0].base for array in arrays)  # views of one (3, ...) array
