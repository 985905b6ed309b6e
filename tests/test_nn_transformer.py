"""nn.MultiheadAttention, nn.TransformerEncoderLayer, nn.TransformerEncoder against PyTorch on
copied weights: outputs, attention weights and gradients, float32 and float64, every option."""

import numpy as np
import pytest

import autocompyute as ac
from autocompyute import nn
from autocompyute.testing import torch_or_skip

torch = torch_or_skip()


def _copy_weights(ours, theirs):
    ours_params = dict(ours.named_parameters())
    for name, reference in theirs.named_parameters():
        assert ours_params[name].shape == tuple(reference.shape), name
        ours_params[name].data = reference.detach().numpy().copy()
    assert set(ours_params) == {name for name, _ in theirs.named_parameters()}


def _inputs(shape, dtype, seed):
    value = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return ac.tensor(value, req_grad=True), torch.tensor(value, requires_grad=True)


def _tol(dtype):
    return {"rtol": 1e-4, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-9, "atol": 1e-10}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("mask", [None, "bool", "float", "causal", "padding"])
def test_multihead_attention_matches_torch(mask, batch_first, dtype):
    ours = nn.MultiheadAttention(8, 2, batch_first=batch_first).to(dtype)
    theirs = torch.nn.MultiheadAttention(8, 2, batch_first=batch_first).to(getattr(torch, dtype))
    _copy_weights(ours, theirs)
    shape = (3, 5, 8) if batch_first else (5, 3, 8)
    (q, q_t), (kv, kv_t) = _inputs(shape, dtype, 0), _inputs(shape, dtype, 1)
    kwargs, kwargs_t = {}, {}
    rng = np.random.default_rng(2)
    if mask == "bool":
        m = rng.uniform(size=(5, 5)) > 0.7
        np.fill_diagonal(m, False)
        kwargs["attn_mask"], kwargs_t["attn_mask"] = ac.tensor(m), torch.tensor(m)
    elif mask == "float":
        m = rng.standard_normal((5, 5)).astype(dtype)
        kwargs["attn_mask"], kwargs_t["attn_mask"] = ac.tensor(m), torch.tensor(m)
    elif mask == "causal":
        m = np.triu(np.ones((5, 5), bool), 1)
        kwargs["attn_mask"], kwargs_t["attn_mask"] = ac.tensor(m), torch.tensor(m)
    elif mask == "padding":
        m = np.zeros((3, 5), bool)
        m[1, 3:] = True
        kwargs["key_padding_mask"], kwargs_t["key_padding_mask"] = ac.tensor(m), torch.tensor(m)
    out, weights = ours(q, kv, kv, **kwargs)
    out_t, weights_t = theirs(q_t, kv_t, kv_t, **kwargs_t)
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), **_tol(dtype))
    np.testing.assert_allclose(weights.data, weights_t.detach().numpy(), **_tol(dtype))
    grad = np.random.default_rng(3).standard_normal(out.shape).astype(dtype)
    out.backward(grad)
    out_t.backward(torch.tensor(grad))
    np.testing.assert_allclose(q.grad, q_t.grad.numpy(), **_tol(dtype))
    np.testing.assert_allclose(kv.grad, kv_t.grad.numpy(), **_tol(dtype))
    grads = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        np.testing.assert_allclose(parameter.grad, grads[name].grad.numpy(), **_tol(dtype))


def test_multihead_attention_per_head_weights_unbatched_and_errors():
    ours, theirs = nn.MultiheadAttention(4, 2), torch.nn.MultiheadAttention(4, 2)
    _copy_weights(ours, theirs)
    (x, x_t) = _inputs((3, 4), "float32", 0)
    out, weights = ours(x, x, x, average_attn_weights=False)
    out_t, weights_t = theirs(x_t, x_t, x_t, average_attn_weights=False)
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(weights.data, weights_t.detach().numpy(), rtol=1e-4, atol=1e-5)
    assert ours(x, x, x, need_weights=False)[1] is None
    with pytest.raises(ValueError, match="divisible by num_heads"):
        nn.MultiheadAttention(5, 2)
    with pytest.raises(ValueError, match="width 4"):
        ours(ac.ones(3, 1, 5), ac.ones(3, 1, 5), ac.ones(3, 1, 5))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_encoder_matches_torch(batch_first, activation, norm_first, dtype):
    kwargs = {
        "dim_feedforward": 16,
        "dropout": 0.0,
        "activation": activation,
        "batch_first": batch_first,
        "norm_first": norm_first,
    }
    ours = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(8, 2, **kwargs), 2, norm=nn.LayerNorm(8)
    ).to(dtype)
    theirs = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(8, 2, **kwargs),
        2,
        norm=torch.nn.LayerNorm(8),
        enable_nested_tensor=False,
    ).to(getattr(torch, dtype))
    _copy_weights(ours, theirs)
    x, x_t = _inputs((3, 5, 8) if batch_first else (5, 3, 8), dtype, 0)
    mask = np.triu(np.ones((5, 5), bool), 1)
    out = ours(x, mask=ac.tensor(mask))
    out_t = theirs(x_t, mask=torch.tensor(mask))
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), **_tol(dtype))
    out.sum().backward()
    out_t.sum().backward()
    np.testing.assert_allclose(x.grad, x_t.grad.numpy(), **_tol(dtype))
    assert len(ours.layers) == 2 and ours.layers[0].linear1 is not ours.layers[1].linear1
    with pytest.raises(ValueError, match="activation should be"):
        nn.TransformerEncoderLayer(8, 2, activation="swish")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(batch_first, norm_first, dtype):
    kwargs = {
        "d_model": 8,
        "nhead": 2,
        "num_encoder_layers": 2,
        "num_decoder_layers": 2,
        "dim_feedforward": 16,
        "dropout": 0.0,
        "batch_first": batch_first,
        "norm_first": norm_first,
    }
    ours = nn.Transformer(**kwargs).to(dtype)
    theirs = torch.nn.Transformer(**kwargs).to(getattr(torch, dtype))
    _copy_weights(ours, theirs)
    src, src_t = _inputs((2, 6, 8) if batch_first else (6, 2, 8), dtype, 0)
    tgt, tgt_t = _inputs((2, 4, 8) if batch_first else (4, 2, 8), dtype, 1)
    mask = nn.Transformer.generate_square_subsequent_mask(4, dtype=dtype)
    mask_t = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=getattr(torch, dtype))
    np.testing.assert_array_equal(mask.data, mask_t.numpy())
    padding = np.zeros((2, 6), bool)
    padding[0, 4:] = True
    out = ours(
        src,
        tgt,
        tgt_mask=mask,
        src_key_padding_mask=ac.tensor(padding),
        memory_key_padding_mask=ac.tensor(padding),
    )
    out_t = theirs(
        src_t,
        tgt_t,
        tgt_mask=mask_t,
        src_key_padding_mask=torch.tensor(padding),
        memory_key_padding_mask=torch.tensor(padding),
    )
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), **_tol(dtype))
    out.sum().backward()
    out_t.sum().backward()
    np.testing.assert_allclose(src.grad, src_t.grad.numpy(), **_tol(dtype))
    np.testing.assert_allclose(tgt.grad, tgt_t.grad.numpy(), **_tol(dtype))
    grads = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        np.testing.assert_allclose(parameter.grad, grads[name].grad.numpy(), **_tol(dtype))


def test_transformer_init_is_xavier_uniform():
    model = nn.Transformer(
        d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=32
    )
    weight = model.encoder.layers[0].linear1.weight
    bound = (6 / (16 + 32)) ** 0.5
    assert float(abs(weight.data).max()) <= bound
    assert float(abs(weight.data).max()) > 0.8 * bound
    with pytest.raises(ValueError, match="activation should be"):
        nn.TransformerDecoderLayer(8, 2, activation="tanh")
