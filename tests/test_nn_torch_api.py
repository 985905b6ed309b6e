"""PyTorch's nn API surface: pooling, pad, one_hot, gelu, layer_norm, sdpa, convolution groups
and output_padding, normalization layers, containers, Module.to/apply/tying, state-dict names,
nn.init; values and gradients against PyTorch in float32 and float64, and every error."""

import math
from collections import OrderedDict

import numpy as np
import pytest

import autocompyute as ac
import autocompyute.nn.functional as F
from autocompyute import nn
from autocompyute.testing import assert_matches_torch, gradcheck, torch_or_skip

torch = torch_or_skip()
TF = torch.nn.functional

DTYPES = ["float32", "float64"]


def _tol(dtype):
    return {"rtol": 1e-5, "atol": 1e-6} if dtype == "float32" else {"rtol": 1e-10, "atol": 1e-12}


def _rand(shape, dtype, seed=0, grad=True):
    return ac.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=dtype, req_grad=grad)


# ---------------------------------------------------------------------- pooling

POOL_CASES = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": (2, 3), "stride": (1, 2)},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", [*POOL_CASES, {"kernel_size": 2, "dilation": 2}])
def test_max_pool2d_matches_torch(kwargs, dtype):
    x = _rand((2, 3, 7, 8), dtype)
    assert_matches_torch(
        lambda x: F.max_pool2d(x, **kwargs),
        lambda x: TF.max_pool2d(x, **kwargs),
        [x],
        **_tol(dtype),
    )
    out, indices = F.max_pool2d(x, return_indices=True, **kwargs)
    _, torch_indices = TF.max_pool2d(torch.tensor(x.data), return_indices=True, **kwargs)
    np.testing.assert_array_equal(indices.data, torch_indices.numpy())
    layer = nn.MaxPool2d(**kwargs)
    np.testing.assert_array_equal(layer(x).data, out.data)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("kwargs", [*POOL_CASES, {"kernel_size": 3, "divisor_override": 4}])
def test_avg_pool2d_matches_torch(kwargs, count_include_pad, dtype):
    x = _rand((2, 3, 7, 8), dtype)
    kwargs = {**kwargs, "count_include_pad": count_include_pad}
    assert_matches_torch(
        lambda x: F.avg_pool2d(x, **kwargs),
        lambda x: TF.avg_pool2d(x, **kwargs),
        [x],
        **_tol(dtype),
    )
    np.testing.assert_array_equal(nn.AvgPool2d(**kwargs)(x).data, F.avg_pool2d(x, **kwargs).data)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [1, (3, 5), (None, 3), (7, 8), (4, 3), (9, 11)])
def test_adaptive_avg_pool2d_matches_torch(size, dtype):
    x = _rand((2, 3, 7, 8), dtype)
    assert_matches_torch(
        lambda x: F.adaptive_avg_pool2d(x, size),
        lambda x: TF.adaptive_avg_pool2d(x, size),
        [x],
        **_tol(dtype),
    )
    assert nn.AdaptiveAvgPool2d(size)(x).shape == F.adaptive_avg_pool2d(x, size).shape


def test_pooling_unbatched_gradcheck_and_errors():
    x = _rand((3, 6, 5), "float64")
    assert F.max_pool2d(x, 2).shape == (3, 3, 2)
    gradcheck(lambda x: F.max_pool2d(x, 3, stride=2, padding=1), [x])
    gradcheck(lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True), [x])
    gradcheck(lambda x: F.adaptive_avg_pool2d(x, (4, 3)), [x])
    with pytest.raises(ValueError, match="at most half of the kernel"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="does not fit"):
        F.avg_pool2d(x, 7)
    with pytest.raises(ValueError, match="kernel_size must be"):
        F.max_pool2d(x, 0)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        F.max_pool2d(ac.ones(4, 4), 2)
    with pytest.raises(ValueError, match="divisor_override"):
        F.avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(ValueError, match="output_size"):
        F.adaptive_avg_pool2d(x, (0, 2))


# ---------------------------------------------------------------------- functional odds


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_both_forms_match_torch(approximate, dtype):
    x = _rand((4, 5), dtype)
    assert_matches_torch(
        lambda x: F.gelu(x, approximate=approximate),
        lambda x: TF.gelu(x, approximate=approximate),
        [x],
        **_tol(dtype),
    )
    layer, reference = nn.GELU(approximate), torch.nn.GELU(approximate)
    np.testing.assert_allclose(
        layer(x).data, reference(torch.tensor(x.data)).numpy(), **_tol(dtype)
    )
    gradcheck(lambda x: F.gelu(x, approximate=approximate), [_rand((3,), "float64")])
    with pytest.raises(ValueError, match="approximate must be"):
        F.gelu(x, approximate="erf")
    with pytest.raises(ValueError, match="approximate must be"):
        nn.GELU("fast")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "padding", [(1, 2), (1, 0, 0, 3), (0, 1, 2, 1, 1, 0), (-1, 2), (2, -1, -1, 0)]
)
def test_pad_matches_torch(padding, dtype):
    x = _rand((2, 3, 4), dtype)
    assert_matches_torch(
        lambda x: F.pad(x, padding, value=0.5),
        lambda x: TF.pad(x, padding, value=0.5),
        [x],
        **_tol(dtype),
    )


def test_pad_errors():
    with pytest.raises(ValueError, match="even number"):
        F.pad(ac.ones(2, 3), (1,))
    with pytest.raises(ValueError, match="mode='constant'"):
        F.pad(ac.ones(2, 3), (1, 1), mode="reflect")
    with pytest.raises(ValueError, match="crops more"):
        F.pad(ac.ones(2, 3), (-2, -2))


def test_one_hot_matches_torch_and_errors():
    t = ac.tensor([[0, 3], [1, 1]])
    out = F.one_hot(t)
    expected = TF.one_hot(torch.tensor(t.data))
    assert out.dtype == "int64"
    np.testing.assert_array_equal(out.data, expected.numpy())
    assert F.one_hot(t, num_classes=6).shape == (2, 2, 6)
    with pytest.raises(ValueError, match=r"must be in \[0, 2\)"):
        F.one_hot(t, num_classes=2)
    with pytest.raises(TypeError, match="integer tensor"):
        F.one_hot(ac.ones(2))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, normalized", [((2, 3, 4), 4), ((2, 3, 4), (3, 4))])
def test_layer_norm_signature_matches_torch(shape, normalized, dtype):
    x = _rand(shape, dtype)
    size = (normalized,) if isinstance(normalized, int) else normalized
    w, b = _rand(size, dtype, seed=1), _rand(size, dtype, seed=2)
    assert_matches_torch(
        lambda x, w, b: F.layer_norm(x, normalized, w, b, eps=1e-3),
        lambda x, w, b: TF.layer_norm(x, size, w, b, eps=1e-3),
        [x, w, b],
        **_tol(dtype),
    )
    layer = nn.LayerNorm(normalized, elementwise_affine=False)
    assert layer.weight is None and not list(layer.parameters())
    assert nn.LayerNorm(normalized, bias=False).bias is None


@pytest.mark.parametrize(
    "function, message",
    [
        (lambda: F.layer_norm(ac.ones(2, 3), 3, ac.ones(3, dtype="float64")), "layer_norm"),
        (lambda: F.layernorm(ac.ones(2, 3), ac.ones(3), ac.zeros(3, dtype="float64")), "layernorm"),
        (
            lambda: F.batchnorm(
                ac.ones(4, 3), ac.zeros(3), ac.ones(3), ac.ones(3, dtype="float64")
            ),
            "batchnorm",
        ),
        (lambda: F.batchnorm(ac.ones(4, 3), ac.zeros(3, dtype="float64"), ac.ones(3)), "batchnorm"),
        (lambda: nn.Batchnorm(3).double()(ac.ones(4, 3)), "batchnorm"),
        (
            lambda: F.scaled_dot_product_attention(
                ac.ones(1, 2, 3), ac.ones(1, 2, 3, dtype="float64"), ac.ones(1, 2, 3)
            ),
            "scaled_dot_product_attention",
        ),
    ],
)
def test_mixed_float_dtypes_are_rejected_in_forward(function, message):
    # regression: forward used to promote to float64 and backward then failed in the engine
    with pytest.raises(TypeError, match=message + r".*float(32|64)"):
        function()


def test_layer_norm_errors():
    with pytest.raises(ValueError, match="does not end with"):
        F.layer_norm(ac.ones(2, 3), 4)
    with pytest.raises(ValueError, match="weight must have shape"):
        F.layer_norm(ac.ones(2, 3), 3, ac.ones(4))


@pytest.mark.parametrize("dtype", DTYPES)
def test_sdpa_pytorch_signature_matches_torch(dtype):
    q, k, v = (_rand((2, 2, 4, 3), dtype, seed=s) for s in (1, 2, 3))
    mask = ac.tensor(np.random.default_rng(0).uniform(size=(1, 4)) > 0.3)
    assert_matches_torch(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, mask, scale=0.7),
        lambda q, k, v: TF.scaled_dot_product_attention(
            q, k, v, torch.tensor(mask.data), scale=0.7
        ),
        [q, k, v],
        **_tol(dtype),
    )
    with pytest.raises(ValueError, match="does not broadcast"):
        F.scaled_dot_product_attention(q, k, v, ac.ones(3, 4) > 0)
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(q, k, v, mask, mask=mask)
    with pytest.raises(ValueError, match="enable_gqa"):
        F.scaled_dot_product_attention(q, k, v, enable_gqa=True)


# ---------------------------------------------------------------------- convolution


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("groups", [1, 2, 4])
def test_conv2d_groups_match_torch(groups, dtype):
    x = _rand((2, 4, 6, 5), dtype)
    w = _rand((8, 4 // groups, 3, 3), dtype, seed=1)
    b = _rand((8,), dtype, seed=2)
    assert_matches_torch(
        lambda x, w, b: F.conv2d(x, w, b, 2, 1, 1, groups),
        lambda x, w, b: TF.conv2d(x, w, b, 2, 1, 1, groups),
        [x, w, b],
        **_tol(dtype),
    )
    layer = nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=groups)
    assert layer.weight.shape == (8, 4 // groups, 3, 3)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "stride, padding, output_padding, groups, dilation",
    [(2, 1, 1, 1, 1), (3, 0, 2, 1, 1), (2, 1, 0, 2, 1), (2, 2, 1, 2, 2), (1, 0, 1, 1, 2)],
)
def test_conv_transpose2d_output_padding_and_groups_match_torch(
    stride, padding, output_padding, groups, dilation, dtype
):
    x = _rand((2, 4, 4, 3), dtype)
    w = _rand((4, 6 // groups, 3, 2), dtype, seed=1)
    b = _rand((6,), dtype, seed=2)
    args = (stride, padding, output_padding, groups, dilation)
    assert_matches_torch(
        lambda x, w, b: F.conv_transpose2d(x, w, b, *args),
        lambda x, w, b: TF.conv_transpose2d(x, w, b, *args),
        [x, w, b],
        **_tol(dtype),
    )
    ours = nn.ConvTranspose2d(4, 6, (3, 2), *args[:4], True, dilation)
    theirs = torch.nn.ConvTranspose2d(4, 6, (3, 2), *args[:4], True, dilation)
    assert ours.weight.shape == tuple(theirs.weight.shape)
    bound = 1 / math.sqrt((6 // groups) * 6)
    assert np.abs(ours.weight.data).max() <= bound


def test_convolution_option_errors():
    with pytest.raises(ValueError, match="divisible by groups"):
        F.conv2d(ac.ones(1, 3, 4, 4), ac.ones(4, 1, 3, 3), groups=2)
    with pytest.raises(ValueError, match="output_padding"):
        F.conv_transpose2d(ac.ones(1, 2, 4, 4), ac.ones(2, 2, 3, 3), stride=2, output_padding=2)
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(3, 4, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="groups=2 is not supported"):
        nn.Conv1d(2, 2, 3, groups=2)


# ---------------------------------------------------------------------- normalization layers


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("kind, shape", [("1d", (6, 3)), ("1d", (6, 3, 4)), ("2d", (4, 3, 2, 5))])
def test_batchnorm_layers_match_torch_over_steps(kind, shape, momentum, dtype):
    ours = getattr(nn, f"BatchNorm{kind}")(3, momentum=momentum).to(dtype)
    theirs = getattr(torch.nn, f"BatchNorm{kind}")(3, momentum=momentum).to(getattr(torch, dtype))
    for step in range(3):
        x = _rand(shape, dtype, seed=step)
        x_t = torch.tensor(x.data, requires_grad=True)
        out, out_t = ours(x), theirs(x_t)
        np.testing.assert_allclose(out.data, out_t.detach().numpy(), **_tol(dtype))
        out.sum().backward()
        out_t.sum().backward()
        np.testing.assert_allclose(x.grad, x_t.grad.numpy(), rtol=1e-4, atol=1e-5)
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(
            getattr(ours, name).data, getattr(theirs, name).detach().numpy(), **_tol(dtype)
        )
    assert int(ours.num_batches_tracked.data) == 3
    ours.eval()
    theirs.eval()
    x = _rand(shape, dtype, seed=9)
    np.testing.assert_allclose(
        ours(x).data, theirs(torch.tensor(x.data)).detach().numpy(), **_tol(dtype)
    )


def test_batchnorm_options_and_errors():
    layer = nn.BatchNorm2d(3, affine=False, track_running_stats=False)
    assert not list(layer.parameters()) and not list(layer.buffers())
    layer.eval()
    out = layer(_rand((2, 3, 2, 2), "float32"))
    assert abs(float(out.data.mean())) < 1e-5  # batch statistics also in eval
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(3)(ac.ones(2, 3))
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        nn.BatchNorm1d(3)(ac.ones(2, 3, 2, 2))


# ---------------------------------------------------------------------- modules


def test_weight_tying_shares_one_parameter():
    embedding, head = nn.Embedding(10, 4), nn.Linear(4, 10, bias=False)
    head.weight = embedding.weight
    model = nn.ModuleList([embedding, head])
    assert head.weight is embedding.weight and head.w is embedding.w
    assert len(list(model.parameters())) == 1
    assert list(model.state_dict()) == ["0.weight"]  # shared tensors once (PyTorch: both names)
    out = head(embedding(ac.tensor([1, 2])))
    out.sum().backward()
    assert embedding.weight.grad is not None
    other = nn.Linear(3, 3)
    other.w = nn.Linear(3, 3).weight  # the original name assigns the same parameter
    assert other.weight is other.w and list(other._parameters) == ["weight", "bias"]


def test_state_dict_uses_pytorch_names_and_loads_original_ones():
    model = nn.Sequential(nn.Linear(3, 4), nn.Batchnorm(4), nn.Embedding(5, 4))
    torch_model = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Embedding(5, 4)
    )
    assert list(model.state_dict()) == list(torch_model.state_dict())
    # a PyTorch state dict loads as is
    model.load_state_dict({k: v.numpy() for k, v in torch_model.state_dict().items()})
    np.testing.assert_array_equal(model[0].weight.data, torch_model[0].weight.detach().numpy())
    # a checkpoint written with the original names ("0.w", "1.rmean", ...) loads too
    original = {
        "0.w": np.ones((4, 3), np.float32),
        "0.b": np.zeros(4, np.float32),
        "1.w": np.ones(4, np.float32),
        "1.b": np.zeros(4, np.float32),
        "1.rmean": np.full(4, 2.0, np.float32),
        "1.rvar": np.ones(4, np.float32),
        "1.num_batches_tracked": np.array(0),
        "2.w": np.ones((5, 4), np.float32),
    }
    model.load_state_dict(original)
    assert model[1].running_mean.data.tolist() == [2.0] * 4
    assert list(model.state_dict(names="autocompyute"))[4] == "1.rmean"


def test_module_to_dtype_double_float_half():
    model = nn.Sequential(nn.Linear(3, 4), nn.Batchnorm(4))
    model[0].weight.grad = np.ones((4, 3), np.float32)
    same = model.double()
    assert same is model and model[0].weight.dtype == "float64"
    assert model[0].weight.grad.dtype == "float64"
    assert model[1].num_batches_tracked.dtype == "int64"  # integers are not cast
    assert model.float()[1].running_var.dtype == "float32"
    assert model.half()[0].bias.dtype == "float16"
    model.to(ac.zeros(1, dtype="float64"))
    assert model[0].weight.dtype == "float64"
    model.to("cpu", "float32")
    assert model[0].weight.dtype == "float32"
    model.to(dtype=ac.float64, device="cpu")
    assert model[0].weight.dtype == "float64"
    with pytest.raises(TypeError, match="floating-point dtype"):
        model.to("int32")
    with pytest.raises(TypeError, match="unexpected keyword"):
        model.to(memory_format="x")


def test_apply_train_eval_requires_grad_zero_grad():
    model = nn.Sequential(nn.Linear(3, 4), nn.Sequential(nn.Dropout(), nn.Linear(4, 2)))
    visited = []
    assert model.apply(lambda m: visited.append(type(m).__name__)) is model
    assert visited == ["Linear", "Dropout", "Linear", "Sequential", "Sequential"]
    model.apply(lambda m: nn.init.zeros_(m.bias) if isinstance(m, nn.Linear) else None)
    assert not model[0].bias.data.any()
    assert model.eval() is model and not model[1][0].training
    assert model.train() is model and model[1][0].training
    model.requires_grad_(False)
    assert not any(p.req_grad for p in model.parameters())
    model.requires_grad_()
    for p in model.parameters():
        p.grad = np.ones(p.shape, np.float32)
    model.zero_grad(set_to_none=False)
    assert all(not p.grad.any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert model.get_submodule("1.1") is model[1][1]
    assert model.get_parameter("1.1.weight") is model[1][1].weight
    with pytest.raises(AttributeError, match="no sub-module"):
        model.get_submodule("5")


def test_containers():
    heads = nn.ModuleDict({"a": nn.Linear(2, 3)})
    heads["b"] = nn.Linear(2, 1)
    assert list(heads) == ["a", "b"] and "a" in heads and len(heads) == 2
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias", "b.weight", "b.bias"]
    assert heads.pop("a").out_dim == 3 and list(heads.keys()) == ["b"]
    with pytest.raises(TypeError, match="expected a Module"):
        heads["c"] = 3
    with pytest.raises(KeyError, match=r"without '\.'"):
        heads["x.y"] = nn.Linear(1, 1)
    params = nn.ParameterList([ac.zeros(2), nn.Parameter(ac.ones(3))])
    params.append(ac.ones(1))
    assert len(params) == 3 and params[2].req_grad and isinstance(params[0], nn.Parameter)
    assert [n for n, _ in params.named_parameters()] == ["0", "1", "2"]
    table = nn.ParameterDict({"scale": ac.ones(2)})
    table["shift"] = ac.zeros(2)
    assert list(table) == ["scale", "shift"] and list(table.state_dict()) == ["scale", "shift"]
    with pytest.raises(TypeError, match="Parameter or Tensor"):
        nn.ParameterList([1.0])
    ordered = nn.Sequential(OrderedDict([("first", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    assert ordered.first.out_dim == 3 and ordered(ac.ones(1, 2)).shape == (1, 3)
    layers = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    layers.insert(0, nn.Sigmoid())
    del layers[1]
    assert [type(m).__name__ for m in layers] == ["Sigmoid", "Tanh"]


def test_small_layers():
    x = _rand((2, 3, 4), "float32")
    assert nn.Identity(3, anything=1)(x) is x
    assert nn.Flatten()(x).shape == (2, 12) and nn.Flatten(0, 1)(x).shape == (6, 4)
    assert nn.LeakyReLU(negative_slope=0.2).negative_slope == 0.2
    np.testing.assert_allclose(
        F.leaky_relu(x, 0.2).data, TF.leaky_relu(torch.tensor(x.data), 0.2).numpy()
    )
    embedding = nn.Embedding(5, 3, padding_idx=1)
    assert not embedding.weight.data[1].any()
    embedding(ac.tensor([1, 2, 1])).sum().backward()
    assert not embedding.weight.grad[1].any() and embedding.weight.grad[2].all()
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(5, 3, padding_idx=5)


# ---------------------------------------------------------------------- nn.init


def test_calculate_gain_matches_torch():
    for name in ["linear", "conv2d", "sigmoid", "tanh", "relu", "selu"]:
        assert nn.init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", 0.2)
    )
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        nn.init.calculate_gain("swish")


@pytest.mark.parametrize(
    "function, kwargs, expected_std",
    [
        ("xavier_uniform_", {}, math.sqrt(2 / (32 * 9 + 64 * 9))),
        ("xavier_normal_", {"gain": 2.0}, 2 * math.sqrt(2 / (32 * 9 + 64 * 9))),
        ("kaiming_uniform_", {"nonlinearity": "relu"}, math.sqrt(2 / (32 * 9))),
        ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2 / (64 * 9))),
        ("kaiming_uniform_", {"a": math.sqrt(5)}, math.sqrt(2 / 6) / math.sqrt(32 * 9)),
        ("normal_", {"std": 0.02}, 0.02),
        ("uniform_", {"a": -1.0, "b": 1.0}, 1 / math.sqrt(3)),
        ("trunc_normal_", {"std": 0.02}, 0.02),  # a, b = -2, 2 are absolute bounds
        ("trunc_normal_", {"a": -1.0, "b": 1.0}, 0.5390),  # PyTorch: 0.5390
        ("orthogonal_", {}, 1 / math.sqrt(32 * 9)),  # orthonormal rows of 288
    ],
)
def test_init_fills_in_place_with_pytorch_fans(function, kwargs, expected_std):
    ac.set_random_seed(0)
    weight = nn.Parameter(ac.zeros(64, 32, 3, 3))
    data = weight.data
    out = getattr(nn.init, function)(weight, **kwargs)
    assert out is weight and weight.data is data and weight.ctx is None
    assert float(data.std()) == pytest.approx(expected_std, rel=0.05)
    ac.set_random_seed(0)
    again = getattr(nn.init, function)(nn.Parameter(ac.zeros(64, 32, 3, 3)), **kwargs)
    np.testing.assert_array_equal(again.data, data)


def test_init_special_cases_and_errors():
    w = ac.zeros(4, 6)
    nn.init.orthogonal_(w, gain=2.0)
    np.testing.assert_allclose(w.data @ w.data.T, 4 * np.eye(4), atol=1e-5)
    tall = nn.init.orthogonal_(ac.zeros(6, 4))
    np.testing.assert_allclose(tall.data.T @ tall.data, np.eye(4), atol=1e-5)
    t = nn.init.trunc_normal_(ac.zeros(1000), a=-0.5, b=0.5)
    assert float(abs(t.data).max()) <= 0.5
    assert nn.init.ones_(ac.zeros(2)).data.tolist() == [1, 1]
    assert nn.init.constant_(ac.zeros(2), 0.3).data.tolist() == pytest.approx([0.3, 0.3])
    assert nn.init.eye_(ac.zeros(2, 3)).data.tolist() == [[1, 0, 0], [0, 1, 0]]
    conv = nn.init.dirac_(ac.zeros(2, 2, 3, 3))
    out = F.conv2d(ac.ones(1, 2, 5, 5), conv, padding=1)
    assert np.all(out.data == 1)
    with pytest.raises(ValueError, match="at least 2 dims"):
        nn.init.xavier_uniform_(ac.zeros(3))
    with pytest.raises(ValueError, match="mode must be"):
        nn.init.kaiming_normal_(ac.zeros(3, 3), mode="fan_avg")
    with pytest.raises(TypeError, match="floating-point"):
        nn.init.normal_(ac.zeros(3, dtype="int64"))
    with pytest.raises(TypeError, match="expected a Tensor"):
        nn.init.zeros_(np.zeros(3))
    with pytest.raises(ValueError, match="a < b"):
        nn.init.trunc_normal_(ac.zeros(3), a=1, b=0)


def test_comparison_methods_match_the_operators():
    x, y = ac.tensor([1, 2, 3]), ac.tensor([3, 2, 1])
    for method, operator in [
        ("eq", "__eq__"),
        ("ne", "__ne__"),
        ("lt", "__lt__"),
        ("le", "__le__"),
        ("gt", "__gt__"),
        ("ge", "__ge__"),
    ]:
        np.testing.assert_array_equal(getattr(x, method)(y).data, getattr(x, operator)(y).data)
        np.testing.assert_array_equal(
            getattr(x, method)(2).data, getattr(torch.tensor(x.data), method)(2).numpy()
        )
