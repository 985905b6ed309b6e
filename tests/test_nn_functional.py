"""Functional nn ops: PyTorch parity (float32), finite differences (float64), stability, errors."""

import numpy
import pytest

import autocompyute as ac
import autocompyute.nn.functional as F
from autocompyute.testing import assert_matches_torch, gradcheck, torch_or_skip

torch = torch_or_skip()
TF = torch.nn.functional

RTOL, ATOL = 1e-5, 1e-6


def rand(*shape, dtype="float32", req_grad=True, scale=1.0):
    return ac.tensor(
        numpy.random.default_rng(len(shape) + sum(shape)).normal(0.0, scale, shape),
        dtype=dtype,
        req_grad=req_grad,
    )


def as_torch(tensor, req_grad=None):
    out = torch.tensor(tensor.as_numpy().copy())
    if req_grad if req_grad is not None else tensor.req_grad:
        out.requires_grad_(True)
    return out


def close(ours, theirs, rtol=RTOL, atol=ATOL):
    ours = ours.as_numpy() if isinstance(ours, ac.Tensor) else numpy.asarray(ours)
    numpy.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=rtol, atol=atol)


def upstream(shape, dtype="float32"):
    """A fixed random gradient w.r.t. an output of `shape`."""
    return numpy.random.default_rng(7).normal(size=shape).astype(dtype)


def backward_both(ours, theirs):
    """Backpropagates the same random upstream gradient through both results."""
    dy = upstream(ours.shape, ours.dtype)
    ours.backward(ac.tensor(dy, dtype=ours.dtype))
    theirs.backward(torch.tensor(dy))


def weighted(function, shape):
    """Wraps `function` so that its output is weighted by fixed random values (no trivial sums)."""
    weights = ac.tensor(numpy.random.default_rng(3).normal(size=shape), dtype="float64")
    return lambda *args: function(*args) * weights


# ---------------------------------------------------------------------------------- activations

ACTIVATIONS = [
    ("gelu", F.gelu, TF.gelu),
    (
        "gelu_tanh",
        lambda x: F.gelu(x, approximate="tanh"),
        lambda x: TF.gelu(x, approximate="tanh"),
    ),
    ("relu", F.relu, TF.relu),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    ("sigmoid", F.sigmoid, torch.sigmoid),
    ("tanh", F.tanh, torch.tanh),
    ("softmax", F.softmax, lambda x: torch.softmax(x, -1)),
    ("softmax_dim0", lambda x: F.softmax(x, dim=0), lambda x: torch.softmax(x, 0)),
    ("log_softmax", F.log_softmax, lambda x: torch.log_softmax(x, -1)),
    ("log_softmax_dim1", lambda x: F.log_softmax(x, 1), lambda x: torch.log_softmax(x, 1)),
]


@pytest.mark.parametrize("name, ours, theirs", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_matches_torch(name, ours, theirs):
    assert_matches_torch(ours, theirs, [rand(3, 4, 5, scale=3.0)], upstream, RTOL, ATOL)


@pytest.mark.parametrize("name, ours, theirs", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_gradcheck(name, ours, theirs):
    x = rand(3, 4, dtype="float64", scale=2.0)
    gradcheck(weighted(ours, (3, 4)), [x])


def test_op_names_for_graph_drawings():
    x, w, b = rand(2, 3), rand(4, 3), rand(4)
    assert F.linear(x, w, b).ctx.name == "Linear"
    assert F.relu(x).ctx.name == "ReLU"
    assert F.gelu(x, approximate="tanh").ctx.name == "GELU"
    assert F.gelu(x).ctx.name == "GELUErf"


def test_softmax_and_log_softmax_are_stable_for_huge_logits():
    x = ac.tensor([[1e4, 0.0, -1e4], [5e3, 5e3, 0.0]], req_grad=True)
    expected = torch.log_softmax(torch.tensor(x.as_numpy(), dtype=torch.float64), -1)
    out = F.log_softmax(x)
    assert numpy.isfinite(out.as_numpy()).all()
    numpy.testing.assert_allclose(out.as_numpy(), expected.numpy(), rtol=1e-6)
    probabilities = F.softmax(x)
    numpy.testing.assert_allclose(probabilities.as_numpy(), expected.exp().numpy(), atol=1e-7)
    (out.sum() + probabilities.sum()).backward()
    assert numpy.isfinite(x.grad).all()


def test_activations_accept_integer_input():
    assert F.softmax(ac.tensor([1, 1])).dtype == ac.float32
    assert F.gelu(ac.tensor([0, 1])).dtype == ac.float32


def test_softmax_bad_dim():
    with pytest.raises(IndexError, match="softmax"):
        F.softmax(ac.ones(2, 3), dim=2)


# ---------------------------------------------------------------------------------- linear


@pytest.mark.parametrize("x_shape", [(5, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(x_shape, bias):
    x, w = rand(*x_shape), rand(6, 4)
    b = rand(6) if bias else None
    x_t, w_t = as_torch(x), as_torch(w)
    b_t = as_torch(b) if bias else None
    out, out_t = F.linear(x, w, b), TF.linear(x_t, w_t, b_t)
    close(out, out_t)
    backward_both(out, out_t)
    close(x.grad, x_t.grad)
    close(w.grad, w_t.grad)
    if bias:
        close(b.grad, b_t.grad)


def test_linear_non_contiguous_input():
    x = rand(4, 3).T  # (3, 4), transposed view
    w = rand(5, 4)
    expected = x.as_numpy() @ w.as_numpy().T
    numpy.testing.assert_allclose(F.linear(x, w).as_numpy(), expected, rtol=RTOL, atol=ATOL)


def test_linear_gradcheck():
    x, w, b = rand(2, 3, 4, dtype="float64"), rand(5, 4, dtype="float64"), rand(5, dtype="float64")
    gradcheck(weighted(F.linear, (2, 3, 5)), [x, w, b])


def test_linear_only_needed_gradients():
    x, w = rand(3, 4, req_grad=False), rand(2, 4)
    F.linear(x, w).sum().backward()
    assert x.grad is None and w.grad is not None


def test_linear_errors():
    with pytest.raises(ValueError, match=r"linear: input of shape \(2, 3\).*\(5, 4\)"):
        F.linear(ac.ones(2, 3), ac.ones(5, 4))
    with pytest.raises(ValueError, match="biases"):
        F.linear(ac.ones(2, 4), ac.ones(5, 4), ac.ones(4))
    with pytest.raises(ValueError, match="weights"):
        F.linear(ac.ones(2, 4), ac.ones(4))
    with pytest.raises(TypeError, match="float64"):
        F.linear(ac.ones(2, 4, dtype="float64"), ac.ones(5, 4))


# ---------------------------------------------------------------------------------- dropout


def test_dropout_statistics_and_scaling():
    x = ac.ones(200, 500, req_grad=True)
    out = F.dropout(x, p=0.3)
    values = out.as_numpy()
    kept = values != 0
    assert abs(kept.mean() - 0.7) < 0.01
    numpy.testing.assert_allclose(values[kept], 1 / 0.7, rtol=1e-6)
    assert abs(values.mean() - 1.0) < 0.02
    out.sum().backward()
    numpy.testing.assert_array_equal(x.grad, values)  # gradient is mask / (1 - p)


def test_dropout_identity_and_edge_cases():
    x = rand(3, 4)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert not F.dropout(x, 1.0).as_numpy().any()
    with pytest.raises(ValueError, match="dropout"):
        F.dropout(x, 1.5)


def test_dropout_is_reproducible_with_the_library_seed():
    x = ac.ones(50, 50)
    ac.set_random_seed(1)
    first = F.dropout(x, 0.5).as_numpy()
    ac.set_random_seed(1)
    numpy.testing.assert_array_equal(first, F.dropout(x, 0.5).as_numpy())
    assert (first != F.dropout(x, 0.5).as_numpy()).any()


def test_dropout_gradcheck():
    x = rand(4, 5, dtype="float64")

    def function(t):
        ac.set_random_seed(5)
        return F.dropout(t, 0.4)

    gradcheck(weighted(function, (4, 5)), [x])


# ---------------------------------------------------------------------------------- embedding


def test_embedding_matches_torch_with_repeated_indices():
    indices = ac.tensor([[0, 2, 2], [4, 0, 2]])
    w = rand(5, 3)
    w_t = as_torch(w)
    out, out_t = F.embedding(indices, w), TF.embedding(torch.tensor(indices.as_numpy()), w_t)
    close(out, out_t)
    backward_both(out, out_t)
    close(w.grad, w_t.grad)


def test_embedding_gradcheck():
    indices = ac.tensor([1, 1, 3, 0])
    w = rand(4, 3, dtype="float64")
    gradcheck(weighted(F.embedding, (4, 3)), [indices, w])


def test_embedding_errors():
    w = rand(4, 3)
    with pytest.raises(TypeError, match="integer"):
        F.embedding(ac.tensor([0.0, 1.0]), w)
    with pytest.raises(IndexError, match=r"\[0, 4\)"):
        F.embedding(ac.tensor([0, 4]), w)


# ---------------------------------------------------------------------------------- normalization


@pytest.mark.parametrize(
    "shape, normalized", [((6, 5), (5,)), ((2, 3, 8), (8,)), ((2, 3, 4), (3, 4))]
)
def test_layernorm_matches_torch(shape, normalized):
    x, w, b = rand(*shape, scale=3.0), rand(*normalized), rand(*normalized)
    x_t, w_t, b_t = as_torch(x), as_torch(w), as_torch(b)
    out, out_t = F.layernorm(x, w, b), TF.layer_norm(x_t, normalized, w_t, b_t, 1e-5)
    close(out, out_t, atol=2e-6)
    backward_both(out, out_t)
    close(x.grad, x_t.grad, rtol=1e-4, atol=1e-5)
    close(w.grad, w_t.grad, atol=1e-5)
    close(b.grad, b_t.grad, atol=1e-5)


def test_layernorm_without_affine_parameters():
    x = rand(3, 4)
    expected = TF.layer_norm(as_torch(x, False), (4,))
    close(F.layernorm(x), expected, atol=2e-6)


def test_layernorm_gradcheck():
    x, w, b = rand(3, 5, dtype="float64"), rand(5, dtype="float64"), rand(5, dtype="float64")
    gradcheck(weighted(F.layernorm, (3, 5)), [x, w, b])


def test_layernorm_errors():
    with pytest.raises(ValueError, match="layernorm"):
        F.layernorm(ac.ones(2, 3), ac.ones(4), ac.zeros(4))
    with pytest.raises(ValueError, match="biases"):
        F.layernorm(ac.ones(2, 3), ac.ones(3), ac.zeros(2))


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5), (4, 3, 5, 6)])
def test_batchnorm_training_matches_torch(shape):
    channels = shape[1]
    x, w, b = rand(*shape, scale=2.0), rand(channels), rand(channels)
    rmean, rvar = ac.zeros(channels), ac.ones(channels)
    x_t, w_t, b_t = as_torch(x), as_torch(w), as_torch(b)
    rmean_t, rvar_t = torch.zeros(channels), torch.ones(channels)
    for step in range(3):
        out = F.batchnorm(x * (step + 1.0), rmean, rvar, w, b, momentum=0.2, training=True)
        out_t = TF.batch_norm(
            x_t * (step + 1.0), rmean_t, rvar_t, w_t, b_t, training=True, momentum=0.2
        )
        close(out, out_t, atol=1e-5)
    close(rmean, rmean_t, atol=1e-6)
    close(rvar, rvar_t, atol=1e-5)
    backward_both(out, out_t)
    close(x.grad, x_t.grad, rtol=1e-4, atol=1e-5)
    close(w.grad, w_t.grad, rtol=1e-4, atol=1e-5)
    close(b.grad, b_t.grad, rtol=1e-4, atol=1e-5)


def test_batchnorm_eval_matches_torch():
    x, w, b = rand(4, 3, 5), rand(3), rand(3)
    rmean, rvar = ac.tensor([0.5, -1.0, 2.0]), ac.tensor([1.5, 0.5, 3.0])
    x_t, w_t, b_t = as_torch(x), as_torch(w), as_torch(b)
    rmean_t, rvar_t = as_torch(rmean), as_torch(rvar)
    out = F.batchnorm(x, rmean, rvar, w, b, training=False)
    out_t = TF.batch_norm(x_t, rmean_t, rvar_t, w_t, b_t, training=False)
    close(out, out_t)
    backward_both(out, out_t)
    close(x.grad, x_t.grad)
    close(w.grad, w_t.grad, atol=1e-5)
    close(b.grad, b_t.grad, atol=1e-5)
    numpy.testing.assert_array_equal(rmean.as_numpy(), [0.5, -1.0, 2.0])  # eval leaves them


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_gradcheck(training):
    x = rand(4, 3, 2, dtype="float64")
    w, b = rand(3, dtype="float64"), rand(3, dtype="float64")
    rmean, rvar = ac.zeros(3, dtype="float64"), ac.ones(3, dtype="float64")

    def function(x, w, b):
        return F.batchnorm(x, rmean, rvar, w, b, training=training)

    gradcheck(weighted(function, (4, 3, 2)), [x, w, b])


def test_batchnorm_errors():
    with pytest.raises(ValueError, match="more than one value per channel"):
        F.batchnorm(ac.ones(1, 3), ac.zeros(3), ac.ones(3))
    with pytest.raises(ValueError, match=r"3 channels \(dim 1\), but rmean has shape \(4,\)"):
        F.batchnorm(ac.ones(2, 3), ac.zeros(4), ac.ones(4))
    with pytest.raises(ValueError, match=r"\(B, C\)"):
        F.batchnorm(ac.ones(3), ac.zeros(3), ac.ones(3))


# ---------------------------------------------------------------------------------- attention


def _causal(n):
    return numpy.tril(numpy.ones((n, n), dtype=bool))


MASKS = {
    "none": lambda n: None,
    "bool": lambda n: _causal(n),
    "additive": lambda n: numpy.where(_causal(n), 0.0, -numpy.inf).astype("float32"),
}


@pytest.mark.parametrize("mask_kind", list(MASKS))
def test_attention_matches_torch(mask_kind):
    q, k, v = rand(2, 3, 5, 4), rand(2, 3, 5, 4, scale=1.5), rand(2, 3, 5, 6)
    mask = MASKS[mask_kind](5)
    q_t, k_t, v_t = as_torch(q), as_torch(k), as_torch(v)
    out = F.scaled_dot_product_attention(q, k, v, None if mask is None else ac.tensor(mask))
    out_t = TF.scaled_dot_product_attention(
        q_t, k_t, v_t, attn_mask=None if mask is None else torch.tensor(mask)
    )
    close(out, out_t, atol=2e-6)
    backward_both(out, out_t)
    for ours, theirs in ((q, q_t), (k, k_t), (v, v_t)):
        close(ours.grad, theirs.grad, rtol=1e-4, atol=1e-5)


def test_attention_is_causal_and_cross_lengths():
    q, k, v = rand(2, 4, 3), rand(2, 6, 3), rand(2, 6, 2)
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    out_t = TF.scaled_dot_product_attention(
        as_torch(q),
        as_torch(k),
        as_torch(v),
        attn_mask=torch.tensor(numpy.tril(numpy.ones((4, 6), dtype=bool))),
    )
    close(out, out_t, atol=2e-6)


@pytest.mark.parametrize("mask_kind", ["bool", "additive"])
def test_attention_gradcheck(mask_kind):
    q, k, v = (rand(2, 2, 4, 3, dtype="float64", scale=s) for s in (1.0, 1.2, 0.8))
    mask = ac.tensor(MASKS[mask_kind](4))
    if mask.dtype.kind == "f":
        mask = mask.double()

    def function(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, mask)

    gradcheck(weighted(function, (2, 2, 4, 3)), [q, k, v])


def test_attention_dropout_gradcheck_and_reproducibility():
    q, k, v = (rand(1, 2, 4, 3, dtype="float64", scale=s) for s in (1.0, 1.2, 0.8))

    def function(q, k, v):
        ac.set_random_seed(11)
        return F.scaled_dot_product_attention(q, k, v, dropout_p=0.3, is_causal=True)

    gradcheck(weighted(function, (1, 2, 4, 3)), [q, k, v])
    first, second = function(q, k, v), function(q, k, v)
    numpy.testing.assert_array_equal(first.as_numpy(), second.as_numpy())
    no_dropout = F.scaled_dot_product_attention(
        q, k, v, dropout_p=0.3, training=False, is_causal=True
    )
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    numpy.testing.assert_array_equal(no_dropout.as_numpy(), expected.as_numpy())
    assert not numpy.allclose(first.as_numpy(), expected.as_numpy())


def test_attention_dropout_rescales_weights():
    # With v = identity rows, the output is the (dropped) attention weight matrix itself.
    q = k = ac.zeros(1, 1, 400, 2)
    v = ac.tensor(numpy.eye(400, dtype="float32")[None, None])
    weights = F.scaled_dot_product_attention(q, k, v, dropout_p=0.25).as_numpy()
    kept = weights != 0
    assert abs(kept.mean() - 0.75) < 0.01
    numpy.testing.assert_allclose(weights[kept], 1 / 400 / 0.75, rtol=1e-5)


def test_attention_errors():
    q = ac.ones(2, 3, 4)
    with pytest.raises(ValueError, match="share D"):
        F.scaled_dot_product_attention(q, ac.ones(2, 3, 5), ac.ones(2, 3, 4))
    with pytest.raises(ValueError, match="mask of shape"):
        F.scaled_dot_product_attention(q, q, q, ac.tensor(_causal(4)))


# ---------------------------------------------------------------------------------- losses


def _torch_cross_entropy(logits, targets, **kwargs):
    """PyTorch's cross_entropy with our class-last layout moved to dim 1."""
    if logits.ndim > 2:
        logits = logits.movedim(-1, 1)
        if targets.is_floating_point():
            targets = targets.movedim(-1, 1)
    return TF.cross_entropy(logits, targets, **kwargs)


CROSS_ENTROPY_CASES = {
    "2d": ((6, 5), {}),
    "3d": ((2, 4, 5), {}),
    "1d": ((5,), {}),
    "ignore": ((2, 4, 5), {"ignore_index": 3}),
    "smoothing": ((6, 5), {"label_smoothing": 0.2}),
    "ignore_smoothing": ((2, 4, 5), {"ignore_index": 1, "label_smoothing": 0.1}),
}


def _index_targets(shape, ignore_index=None):
    targets = numpy.random.default_rng(2).integers(0, shape[-1], shape[:-1])
    if ignore_index is not None:
        targets.reshape(-1)[::3] = ignore_index
    return targets


@pytest.mark.parametrize("case", list(CROSS_ENTROPY_CASES))
def test_cross_entropy_matches_torch(case):
    shape, kwargs = CROSS_ENTROPY_CASES[case]
    logits = rand(*shape, scale=3.0)
    targets = _index_targets(shape, kwargs.get("ignore_index"))
    logits_t = as_torch(logits)
    loss = F.cross_entropy_loss(logits, ac.tensor(targets), **kwargs)
    loss_t = _torch_cross_entropy(logits_t, torch.tensor(targets), **kwargs)
    close(loss, loss_t)
    backward_both(loss, loss_t)
    close(logits.grad, logits_t.grad)


@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_probability_targets_match_torch(smoothing):
    logits = rand(2, 3, 4, scale=2.0)
    probabilities = numpy.random.default_rng(4).dirichlet(numpy.ones(4), (2, 3))
    targets = ac.tensor(probabilities, req_grad=True)
    logits_t, targets_t = as_torch(logits), as_torch(targets)
    loss = F.cross_entropy_loss(logits, targets, label_smoothing=smoothing)
    loss_t = _torch_cross_entropy(logits_t, targets_t, label_smoothing=smoothing)
    close(loss, loss_t)
    backward_both(loss, loss_t)
    close(logits.grad, logits_t.grad)
    close(targets.grad, targets_t.grad)


@pytest.mark.parametrize("case", list(CROSS_ENTROPY_CASES))
def test_cross_entropy_gradcheck(case):
    shape, kwargs = CROSS_ENTROPY_CASES[case]
    logits = rand(*shape, dtype="float64", scale=2.0)
    targets = ac.tensor(_index_targets(shape, kwargs.get("ignore_index")))
    gradcheck(lambda x: F.cross_entropy_loss(x, targets, **kwargs), [logits])


def test_cross_entropy_probability_targets_gradcheck():
    logits = rand(3, 4, dtype="float64")
    targets = ac.tensor(
        numpy.random.default_rng(4).dirichlet(numpy.ones(4), 3), dtype="float64", req_grad=True
    )
    gradcheck(lambda x, t: F.cross_entropy_loss(x, t, label_smoothing=0.2), [logits, targets])


def test_cross_entropy_is_stable_for_huge_logits():
    logits = ac.tensor([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4]], req_grad=True)
    targets = ac.tensor([1, 2])
    loss = F.cross_entropy_loss(logits, targets)
    expected = TF.cross_entropy(
        torch.tensor(logits.as_numpy(), dtype=torch.float64), torch.tensor(targets.as_numpy())
    )
    assert numpy.isfinite(loss.item())
    numpy.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)
    loss.backward()
    assert numpy.isfinite(logits.grad).all()


def test_cross_entropy_all_ignored_is_nan_like_torch():
    loss = F.cross_entropy_loss(ac.ones(2, 3), ac.tensor([-100, -100]))
    assert numpy.isnan(loss.item())


def test_cross_entropy_errors():
    logits = ac.ones(4, 3)
    with pytest.raises(ValueError, match=r"integer targets must have shape \(4,\)"):
        F.cross_entropy_loss(logits, ac.tensor([0, 1]))
    with pytest.raises(ValueError, match="probability targets"):
        F.cross_entropy_loss(logits, ac.ones(4))
    with pytest.raises(TypeError, match="bool"):
        F.cross_entropy_loss(logits, ac.tensor([True, False, True, True]))
    with pytest.raises(IndexError, match=r"\[0, 3\)"):
        F.cross_entropy_loss(logits, ac.tensor([0, 1, 2, 3]))


def test_mse_loss_matches_torch_and_gradcheck():
    x, y = rand(3, 4), rand(3, 4, scale=2.0)
    x_t, y_t = as_torch(x), as_torch(y)
    loss, loss_t = F.mse_loss(x, y), TF.mse_loss(x_t, y_t)
    close(loss, loss_t)
    backward_both(loss, loss_t)
    close(x.grad, x_t.grad)
    close(y.grad, y_t.grad)
    transposed = ac.tensor(
        numpy.random.default_rng(0).normal(size=(3, 2)).T, dtype="float64", req_grad=True
    )  # a non-contiguous leaf
    gradcheck(F.mse_loss, [rand(2, 3, dtype="float64"), transposed])
    with pytest.raises(ValueError, match="mse_loss"):
        F.mse_loss(ac.ones(3), ac.ones(3, 1))


def test_bce_loss_matches_torch_and_gradcheck():
    x = rand(3, 4, scale=4.0)
    y = ac.tensor(numpy.random.default_rng(1).uniform(size=(3, 4)), req_grad=True)
    x_t, y_t = as_torch(x), as_torch(y)
    loss, loss_t = F.bce_loss(x, y), TF.binary_cross_entropy_with_logits(x_t, y_t)
    close(loss, loss_t)
    backward_both(loss, loss_t)
    close(x.grad, x_t.grad)
    close(y.grad, y_t.grad)
    gradcheck(F.bce_loss, [rand(3, 4, dtype="float64"), y.double().detach()])
    with pytest.raises(ValueError, match="bce_loss"):
        F.bce_loss(ac.ones(3), ac.ones(2))


def test_bce_loss_is_stable_for_huge_logits():
    x = ac.tensor([1e4, -1e4, 50.0], req_grad=True)
    y = ac.tensor([0.0, 1.0, 1.0])
    loss = F.bce_loss(x, y)
    expected = TF.binary_cross_entropy_with_logits(
        torch.tensor(x.as_numpy()), torch.tensor(y.as_numpy())
    )
    numpy.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)
    loss.backward()
    numpy.testing.assert_allclose(x.grad, [1 / 3, -1 / 3, 0.0], atol=1e-7)


def test_ops_run_without_recording_a_graph():
    x = rand(2, 3)
    with ac.no_autograd_tracking():
        for out in (
            F.softmax(x),
            F.gelu(x),
            F.layernorm(x, ac.ones(3), ac.zeros(3)),
            F.cross_entropy_loss(x, ac.tensor([0, 2])),
        ):
            assert out.ctx is None
