"""Layers: PyTorch parity with identical weights (outputs, input and parameter gradients),
initialization, train/eval behaviour, state and errors."""

import math

import numpy
import pytest

import autocompyute as ac
from autocompyute import nn
from autocompyute.testing import assert_matches_torch, torch_or_skip

torch = torch_or_skip()

RTOL, ATOL = 1e-5, 1e-6


def rand(*shape, scale=1.0, req_grad=True):
    values = numpy.random.default_rng(sum(shape)).normal(0.0, scale, shape)
    return ac.tensor(values, dtype="float32", req_grad=req_grad)


def as_torch(tensor):
    return torch.tensor(tensor.as_numpy().copy(), requires_grad=tensor.req_grad)


def close(ours, theirs, rtol=RTOL, atol=ATOL):
    ours = ours.as_numpy() if isinstance(ours, ac.Tensor) else numpy.asarray(ours)
    numpy.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=rtol, atol=atol)


def copy_into_torch(pairs):
    """Copies our parameter values into the torch parameters paired with them."""
    with torch.no_grad():
        for ours, theirs in pairs:
            theirs.copy_(torch.tensor(ours.as_numpy()))


def upstream(shape):
    """A fixed random gradient w.r.t. an output of `shape`."""
    return numpy.random.default_rng(7).normal(size=shape).astype("float32")


def backward_both(ours, theirs):
    dy = upstream(ours.shape)
    ours.backward(ac.tensor(dy))
    theirs.backward(torch.tensor(dy))


# ---------------------------------------------------------------------------------- Linear


def test_linear_matches_torch():
    layer = nn.Linear(4, 3)
    reference = torch.nn.Linear(4, 3)
    copy_into_torch([(layer.w, reference.weight), (layer.b, reference.bias)])
    x = rand(2, 5, 4)
    x_t = as_torch(x)
    out, out_t = layer(x), reference(x_t)
    close(out, out_t)
    backward_both(out, out_t)
    close(x.grad, x_t.grad)
    close(layer.w.grad, reference.weight.grad)
    close(layer.b.grad, reference.bias.grad)


def test_linear_parameters_init_and_labels():
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    weights = layer.w.as_numpy()
    assert layer.w.shape == (300, 400) and layer.b.shape == (300,)
    assert numpy.abs(weights).max() <= bound and numpy.abs(layer.b.as_numpy()).max() <= bound
    assert abs(weights.std() - bound / math.sqrt(3)) < 0.01 * bound  # uniform(-bound, bound)
    assert (layer.w.label, layer.b.label) == ("Weights", "Biases")
    assert layer.weight is layer.w and layer.bias is layer.b
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert layer.n_params == 400 * 300 + 300


def test_linear_graph_shows_linear_and_relu_ops():
    first, second = nn.Linear(4, 5), nn.Linear(5, 3)
    out = second(nn.ReLU()(first(ac.randn(1, 4))))
    assert out.ctx.name == "Linear"
    relu_out, weights, biases = out.src
    assert relu_out.ctx.name == "ReLU"
    assert (weights.label, biases.label) == ("Weights", "Biases")


def test_linear_without_bias_and_errors():
    layer = nn.Linear(3, 2, bias=False)
    assert layer.b is None and layer.n_params == 6
    assert layer(ac.ones(4, 3)).shape == (4, 2)
    with pytest.raises(ValueError, match=r"input of shape \(4, 5\).*\(2, 3\)"):
        layer(ac.ones(4, 5))


# ---------------------------------------------------------------------------------- activations


@pytest.mark.parametrize(
    "layer, reference",
    [
        (nn.GELU(), torch.nn.GELU()),
        (nn.GELU("tanh"), torch.nn.GELU(approximate="tanh")),
        (nn.ReLU(), torch.nn.ReLU()),
        (nn.LeakyReLU(0.1), torch.nn.LeakyReLU(0.1)),
        (nn.Sigmoid(), torch.nn.Sigmoid()),
        (nn.Tanh(), torch.nn.Tanh()),
        (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
    ],
    ids=["GELU", "GELU_tanh", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax"],
)
def test_activation_layers_match_torch(layer, reference):
    assert_matches_torch(layer, reference, [rand(3, 4, 5, scale=2.0)], upstream, RTOL, ATOL)
    assert layer.n_params == 0


# ---------------------------------------------------------------------------------- norms


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 6), (4, 3, 5, 5)])
def test_batchnorm_matches_torch_in_train_and_eval(shape):
    layer = nn.BatchNorm(3, m=0.2)
    reference = (torch.nn.BatchNorm1d if len(shape) < 4 else torch.nn.BatchNorm2d)(3, momentum=0.2)
    with torch.no_grad():
        reference.weight.uniform_(0.5, 1.5)
        reference.bias.uniform_(-0.5, 0.5)
    layer.w.data[...] = reference.weight.detach().numpy()
    layer.b.data[...] = reference.bias.detach().numpy()
    for step in range(3):
        x = rand(*shape, scale=step + 1.0)
        x_t = as_torch(x)
        out, out_t = layer(x + step), reference(x_t + step)
        close(out, out_t, atol=1e-5)
    backward_both(out, out_t)
    close(x.grad, x_t.grad, rtol=1e-4, atol=1e-5)
    close(layer.w.grad, reference.weight.grad, rtol=1e-4, atol=1e-5)
    close(layer.b.grad, reference.bias.grad, rtol=1e-4, atol=1e-5)
    close(layer.rmean, reference.running_mean, atol=1e-6)
    close(layer.rvar, reference.running_var, atol=1e-5)

    layer.eval()
    reference.eval()
    x = rand(*shape)
    x_t = as_torch(x)
    out, out_t = layer(x), reference(x_t)
    close(out, out_t, atol=1e-5)
    backward_both(out, out_t)
    close(x.grad, x_t.grad, atol=1e-5)
    close(layer.rvar, reference.running_var, atol=1e-5)  # unchanged in eval


def test_batchnorm_state():
    layer = nn.BatchNorm(4, eps=1e-3, m=0.5)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert [name for name, _ in layer.named_buffers()] == [
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert list(layer.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert list(layer.state_dict(names="autocompyute"))[:4] == ["w", "b", "rmean", "rvar"]
    assert layer.rmean is layer.running_mean and layer.rvar is layer.running_var

    assert layer.rmean is layer.running_mean and layer.m == layer.momentum == 0.5
    numpy.testing.assert_array_equal(layer.rvar.as_numpy(), numpy.ones(4))
    with pytest.raises(ValueError, match=r"4 channels \(dim 1\), but rmean has shape \(3,\)"):
        nn.BatchNorm(3)(ac.ones(2, 4))


@pytest.mark.parametrize("normalized_shape", [6, (5, 6)])
def test_layernorm_matches_torch(normalized_shape):
    layer = nn.LayerNorm(normalized_shape)
    reference = torch.nn.LayerNorm(normalized_shape)
    with torch.no_grad():
        reference.weight.uniform_(0.5, 1.5)
        reference.bias.uniform_(-0.5, 0.5)
    layer.w.data[...] = reference.weight.detach().numpy()
    layer.b.data[...] = reference.bias.detach().numpy()
    x = rand(2, 5, 6, scale=3.0)
    x_t = as_torch(x)
    out, out_t = layer(x), reference(x_t)
    close(out, out_t, atol=2e-6)
    backward_both(out, out_t)
    close(x.grad, x_t.grad, rtol=1e-4, atol=1e-5)
    close(layer.w.grad, reference.weight.grad, atol=1e-5)
    close(layer.b.grad, reference.bias.grad, atol=1e-5)


# ---------------------------------------------------------------------------------- dropout


def test_dropout_layer_train_and_eval():
    layer = nn.Dropout(0.25)
    x = ac.ones(100, 100)
    kept = layer(x).as_numpy() != 0
    assert abs(kept.mean() - 0.75) < 0.02
    layer.eval()
    assert layer(x) is x
    with pytest.raises(ValueError, match="Dropout"):
        nn.Dropout(-0.1)


# ---------------------------------------------------------------------------------- embedding


def test_embedding_matches_torch():
    layer = nn.Embedding(10, 4)
    reference = torch.nn.Embedding(10, 4)
    copy_into_torch([(layer.w, reference.weight)])
    indices = ac.tensor([[1, 3, 3], [9, 1, 0]])
    out, out_t = layer(indices), reference(torch.tensor(indices.as_numpy()))
    close(out, out_t)
    backward_both(out, out_t)
    close(layer.w.grad, reference.weight.grad)


def test_embedding_init():
    layer = nn.Embedding(500, 200)
    weights = layer.w.as_numpy()
    assert abs(weights.mean()) < 0.01 and abs(weights.std() - 1.0) < 0.01
    assert layer.w.label == "Weights" and layer.weight is layer.w


# ---------------------------------------------------------------------------------- reshaping


def test_flatten_and_reshape():
    x = rand(2, 3, 4)
    flat = nn.Flatten()(x)
    assert flat.shape == (2, 12)
    back = nn.Reshape((4, 3))(flat)
    assert back.shape == (2, 4, 3)
    back.sum().backward()
    numpy.testing.assert_array_equal(x.grad, numpy.ones((2, 3, 4)))


# ---------------------------------------------------------------------------------- attention


def _causal_additive(length):
    return numpy.triu(numpy.full((length, length), -numpy.inf, dtype="float32"), 1)


def _torch_attention(layer, in_dim, n_heads, bias):
    reference = torch.nn.MultiheadAttention(in_dim, n_heads, bias=bias, batch_first=True)
    with torch.no_grad():
        reference.in_proj_weight.copy_(
            torch.tensor(
                numpy.concatenate(
                    [layer.q.w.as_numpy(), layer.k.w.as_numpy(), layer.v.w.as_numpy()]
                )
            )
        )
        reference.out_proj.weight.copy_(torch.tensor(layer.out.w.as_numpy()))
        if bias:
            reference.in_proj_bias.copy_(
                torch.tensor(
                    numpy.concatenate(
                        [layer.q.b.as_numpy(), layer.k.b.as_numpy(), layer.v.b.as_numpy()]
                    )
                )
            )
            reference.out_proj.bias.copy_(torch.tensor(layer.out.b.as_numpy()))
    return reference


@pytest.mark.parametrize("mask_kind, bias", [("none", True), ("additive", True), ("bool", False)])
def test_multi_head_self_attention_matches_torch(mask_kind, bias):
    in_dim, n_heads, max_length, length = 8, 2, 7, 5
    mask = {
        "none": None,
        "additive": ac.tensor(_causal_additive(max_length)),
        "bool": ac.ones(max_length, max_length).tril() == 1,
    }[mask_kind]
    layer = nn.MultiHeadSelfAttention(in_dim, n_heads, mask=mask, bias=bias)
    reference = _torch_attention(layer, in_dim, n_heads, bias)
    x = rand(3, length, in_dim)
    x_t = as_torch(x)
    # The mask given at construction covers 7 positions; a length-5 input uses its top-left part.
    torch_mask = None if mask_kind == "none" else torch.tensor(_causal_additive(length))
    out = layer(x)
    out_t, _ = reference(x_t, x_t, x_t, attn_mask=torch_mask, need_weights=False)
    close(out, out_t, atol=2e-6)
    backward_both(out, out_t)
    close(x.grad, x_t.grad, rtol=1e-4, atol=1e-5)
    in_grad = reference.in_proj_weight.grad.numpy()
    for index, projection in enumerate((layer.q, layer.k, layer.v)):
        numpy.testing.assert_allclose(
            projection.w.grad, in_grad[index * in_dim :][:in_dim], rtol=1e-4, atol=1e-5
        )
        if bias:
            numpy.testing.assert_allclose(
                projection.b.grad,
                reference.in_proj_bias.grad.numpy()[index * in_dim :][:in_dim],
                rtol=1e-4,
                atol=1e-5,
            )
    close(layer.out.w.grad, reference.out_proj.weight.grad, rtol=1e-4, atol=1e-5)


def test_multi_head_self_attention_dropout_train_and_eval():
    layer = nn.MultiHeadSelfAttention(8, 4, dropout=0.5)
    x = rand(2, 6, 8)
    ac.set_random_seed(3)
    first = layer(x).as_numpy()
    ac.set_random_seed(3)
    numpy.testing.assert_array_equal(first, layer(x).as_numpy())
    layer.eval()
    evaluated = layer(x).as_numpy()
    numpy.testing.assert_array_equal(evaluated, layer(x).as_numpy())
    assert not numpy.allclose(first, evaluated)


def test_multi_head_self_attention_state_and_errors():
    mask = ac.ones(4, 4).tril() == 1
    layer = nn.MultiHeadSelfAttention(8, 2, mask=mask)
    assert layer.n_params == 4 * (8 * 8 + 8)
    assert "mask" in dict(layer.named_buffers())
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiHeadSelfAttention(8, 3)
    with pytest.raises(ValueError, match="exceeds"):
        layer(ac.ones(1, 5, 8))
    with pytest.raises(ValueError, match=r"\(B, T, 8\)"):
        layer(ac.ones(5, 8))


# ---------------------------------------------------------------------------------- devices


@pytest.mark.cuda
def test_layers_on_gpu_match_cpu():
    layers = [
        nn.Embedding(11, 8),
        nn.LayerNorm(8),
        nn.MultiHeadSelfAttention(8, 2, mask=ac.ones(6, 6).tril() == 1),
        nn.Linear(8, 8),
        nn.GELU(),
        nn.Dropout(0.0),
        nn.Linear(8, 11),
    ]
    batchnorm = nn.BatchNorm(6)
    indices = ac.tensor(numpy.random.default_rng(0).integers(0, 11, (3, 6)))

    def run(device):
        for layer in (*layers, batchnorm):
            layer.to(device)
            layer.zero_grad()
        x = indices.to(device)
        for layer in layers:
            x = layer(x)
        x = batchnorm(x)
        loss = nn.functional.cross_entropy_loss(x, indices.to(device), label_smoothing=0.1)
        loss.backward()
        grads = [
            p.grad if isinstance(p.grad, numpy.ndarray) else p.grad.get()
            for layer in layers
            for p in layer.parameters()
        ]
        return loss.item(), grads, batchnorm.rmean.as_numpy().copy()

    loss_cpu, grads_cpu, rmean_cpu = run("cpu")
    batchnorm.rmean.data[...] = 0
    loss_gpu, grads_gpu, rmean_gpu = run("cuda")
    numpy.testing.assert_allclose(loss_gpu, loss_cpu, rtol=1e-5)
    numpy.testing.assert_allclose(rmean_gpu, rmean_cpu, rtol=1e-5, atol=1e-6)
    for got, expected in zip(grads_gpu, grads_cpu):
        numpy.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
