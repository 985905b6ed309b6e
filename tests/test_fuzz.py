"""Fuzzing against PyTorch: random small expressions, their values and every gradient, float64.

Each case draws one to three leaf tensors of random shapes (0-d, 0-size dims and size-1 dims
included), then applies a few random ops, each to a random earlier value (so values fan out and
are reused), sometimes with new leaves as second operands. The same expression runs in PyTorch.
Every intermediate value must agree; then one backward pass from the last value with a random
(sometimes non-contiguous) upstream gradient, optionally repeated with `retain_graph`, must give
every leaf the same gradient (or none in both).

Families: elementwise unary and binary with broadcasting and Python scalars, reductions with
dims and keepdims, matmul (1-D, 2-D, batched, 0-size), movement (reshape, transpose, permute,
squeeze/unsqueeze, expand, strided and reversed slices), indexing (integers, 0-d elements,
repeated index arrays), joining (concat, stack, where), softmax/log-softmax, cross-entropy,
conv2d, max-pooling, layer and batch norm.

Ops only get inputs where they are defined and smooth: exp below overflow, log/sqrt/division
away from 0, max/min over at least one element. Where autocompyute differs from PyTorch on
purpose the op says why next to its reference (max/min reductions compare with amax/amin; see
there).

The normal suite runs a few hundred cases; `pytest tests/test_fuzz.py --fuzz-cases N` (or the
environment variable AUTOCOMPYUTE_FUZZ_CASES=N) runs N. The cases are the same on every run
unless AUTOCOMPYUTE_FUZZ_SEED=S picks another sequence (long runs can be split into chunks of
different seeds); AUTOCOMPYUTE_FUZZ_PROGRESS=FILE appends a line there every 500 cases.
tests/README.md records the long runs.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as fixed_seed
from hypothesis import strategies as st

import autocompyute as ac
import autocompyute.nn.functional as F
from autocompyute.testing import torch_or_skip

torch = torch_or_skip()

torch_functional = torch.nn.functional

DEFAULT_CASES = 300
RTOL, ATOL = 1e-7, 1e-9
SIZES = st.sampled_from([1, 2, 3, 2, 3, 4, 0])


def fuzz_cases(config: Any) -> int:
    option = config.getoption("--fuzz-cases")
    if option is not None:
        return int(option)
    return int(os.environ.get("AUTOCOMPYUTE_FUZZ_CASES", DEFAULT_CASES))


@dataclass
class Case:
    """The expression built so far: pairs of (ours, theirs) values and leaves, and a log."""

    data: Any
    rng: np.random.Generator
    values: list[tuple[Any, Any]] = field(default_factory=list)
    leaves: list[tuple[Any, Any]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    def draw(self, strategy: Any) -> Any:
        return self.data.draw(strategy)

    def shape(self, min_dims: int = 0, max_dims: int = 3) -> tuple[int, ...]:
        ndim = self.draw(st.integers(min_dims, max_dims))
        return tuple(self.draw(SIZES) for _ in range(ndim))

    def array(self, shape: tuple[int, ...], low: float | None = None) -> np.ndarray:
        values = self.rng.normal(size=shape)
        if low is not None:  # away from zero, e.g. for a denominator: |v| in [low, low + 2]
            values = np.sign(values + (values == 0)) * (low + np.abs(values))
        return values

    def leaf(self, shape: tuple[int, ...], low: float | None = None) -> tuple[Any, Any]:
        values = self.array(shape, low)
        pair = (ac.tensor(values, req_grad=True), torch.tensor(values, requires_grad=True))
        self.leaves.append(pair)
        self.log.append(f"leaf{len(self.leaves) - 1} = {shape}")
        return pair

    def constant(self, values: np.ndarray) -> tuple[Any, Any]:
        return ac.tensor(values), torch.tensor(values)

    def pick(self) -> tuple[Any, Any]:
        return self.values[self.draw(st.integers(0, len(self.values) - 1))]


def numpy_of(pair: tuple[Any, Any]) -> np.ndarray:
    return pair[0].data


def broadcast_partner(case: Case, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts with `shape`: some trailing dims, some of them set to 1."""
    keep = case.draw(st.integers(0, len(shape)))
    tail = shape[len(shape) - keep :]
    partner = tuple(1 if case.draw(st.booleans()) else size for size in tail)
    if keep < len(shape):
        return partner
    lead = tuple(case.draw(st.sampled_from([1, 2])) for _ in range(case.draw(st.integers(0, 1))))
    return lead + partner  # one more leading dim than `shape`


def dims_of(case: Case, ndim: int) -> Any:
    """None, one dim (maybe negative) or a tuple of distinct dims."""
    choice = case.draw(st.integers(0, 2))
    if choice == 0 or ndim == 0:
        return None
    if choice == 1:
        return case.draw(st.integers(-ndim, ndim - 1))
    return tuple(sorted(case.draw(st.sets(st.integers(0, ndim - 1), min_size=1, max_size=ndim))))


# -------------------------------------------------------------------------------------------
# op families: each takes the case and returns (ours, theirs, description), or None where it
# does not apply to what it drew


def unary(case: Case) -> Any:
    x, tx = case.pick()
    values = numpy_of((x, tx))
    magnitude = float(np.max(np.abs(values))) if values.size else 0.0
    smallest = float(np.min(np.abs(values))) if values.size else 1.0
    lowest = float(np.min(values)) if values.size else 1.0
    options: list[tuple[str, Callable, Callable]] = [
        ("tanh", lambda a: a.tanh(), torch.tanh),
        ("sigmoid", F.sigmoid, torch.sigmoid),
        ("relu", F.relu, torch.relu),
        ("neg", lambda a: -a, lambda a: -a),
        ("sin", lambda a: a.sin(), torch.sin),
        ("cos", lambda a: a.cos(), torch.cos),
        ("square", lambda a: a * a, lambda a: a * a),
        ("pow3", lambda a: a**3, lambda a: a**3),
        ("gelu", F.gelu, torch_functional.gelu),
        (
            "gelu_tanh",
            lambda a: F.gelu(a, approximate="tanh"),
            lambda a: torch_functional.gelu(a, approximate="tanh"),
        ),
        (
            "leaky_relu",
            lambda a: F.leaky_relu(a, 0.1),
            lambda a: torch_functional.leaky_relu(a, 0.1),
        ),
        ("clip", lambda a: a.clip(-0.5, 0.7), lambda a: a.clamp(-0.5, 0.7)),
        ("scale", lambda a: a * 1.5 - 0.25, lambda a: a * 1.5 - 0.25),
        ("rdiv-scalar", lambda a: 2.0 - a / 4.0, lambda a: 2.0 - a / 4.0),
    ]
    if magnitude < 20:
        options.append(("exp", lambda a: a.exp(), torch.exp))
    if smallest > 0.05:
        # abs is not differentiable at 0; away from it both agree on sign(x)
        options.append(("abs", lambda a: a.abs(), torch.abs))
        options.append(("reciprocal", lambda a: 1.0 / a, lambda a: 1.0 / a))
    if lowest > 0.05:
        options.append(("log", lambda a: a.log(), torch.log))
        options.append(("sqrt", lambda a: a.sqrt(), torch.sqrt))
        options.append(("pow0.5", lambda a: a**0.5, lambda a: a**0.5))
    name, ours, theirs = case.draw(st.sampled_from(options))
    return ours(x), theirs(tx), name


def binary(case: Case) -> Any:
    x, tx = case.pick()
    kind = case.draw(st.sampled_from(["add", "sub", "mul", "div", "maximum", "minimum", "rpow"]))
    other = case.draw(st.sampled_from(["leaf", "value", "scalar"]))
    if other == "scalar":
        scalar = case.draw(st.sampled_from([2.0, -1.5, 0.5, 3]))
        if kind == "rpow":
            return None
        y, ty = scalar, scalar
    elif other == "value":
        y, ty = case.pick()
        try:
            np.broadcast_shapes(x.shape, y.shape)
        except ValueError:
            return None
    else:
        low = 0.2 if kind in ("div", "rpow") else None
        y, ty = case.leaf(broadcast_partner(case, x.shape), low)
    if kind == "div" and isinstance(y, ac.Tensor) and np.min(np.abs(y.data), initial=1.0) < 0.1:
        return None  # too close to a pole
    if kind == "rpow":  # a positive base to the power of x
        if not isinstance(y, ac.Tensor) or np.min(y.data, initial=1.0) < 0.1:
            y, ty = case.leaf(broadcast_partner(case, x.shape), 0.2)
            y, ty = y.abs(), ty.abs()
        if np.max(np.abs(x.data), initial=0.0) > 10:
            return None
        return y**x, ty**tx, "rpow"
    swap = case.draw(st.booleans()) and kind in ("add", "sub", "mul", "maximum", "minimum")
    if swap:
        x, y, tx, ty = y, x, ty, tx
    if kind == "maximum" or kind == "minimum":
        if not isinstance(x, ac.Tensor):
            x, y, tx, ty = y, x, ty, tx
        if not isinstance(ty, torch.Tensor):
            ty = torch.tensor(float(ty), dtype=torch.float64)
        ours = x.maximum(y) if kind == "maximum" else x.minimum(y)
        theirs = torch.maximum(tx, ty) if kind == "maximum" else torch.minimum(tx, ty)
        return ours, theirs, kind
    operator = {"add": "__add__", "sub": "__sub__", "mul": "__mul__", "div": "__truediv__"}[kind]
    if isinstance(x, float | int):
        reflected = "__r" + operator[2:]
        return getattr(y, reflected)(x), getattr(ty, reflected)(tx), f"scalar {kind}"
    return getattr(x, operator)(y), getattr(tx, operator)(ty), f"{kind} {other}"


def reduction(case: Case) -> Any:
    x, tx = case.pick()
    dims = dims_of(case, x.ndim)
    keepdims = case.draw(st.booleans())
    kind = case.draw(st.sampled_from(["sum", "mean", "max", "min", "var", "std", "logsumexp"]))
    reduced = range(x.ndim) if dims is None else (dims,) if isinstance(dims, int) else dims
    count = math.prod(x.shape[d] for d in reduced)
    torch_dims = tuple(range(x.ndim)) if dims is None else dims
    if kind in ("max", "min"):
        if count == 0:
            return None  # the extremum of nothing is an error in both
        # amax/amin split the gradient evenly among tied extrema in both libraries (torch.max
        # with a dim picks one index instead).
        ours = getattr(x, "a" + kind)(dim=dims, keepdims=keepdims)
        reference = torch.amax if kind == "max" else torch.amin
        return ours, reference(tx, dim=torch_dims, keepdim=keepdims), f"{kind} {dims}"
    if kind in ("var", "std"):
        ddof = case.draw(st.sampled_from([0, 1]))
        if count - ddof <= 0:
            return None  # 0/0: both give NaN values, with gradients that are not comparable
        ours = getattr(x, kind)(dim=dims, ddof=ddof, keepdims=keepdims)
        theirs = getattr(torch, kind)(tx, dim=torch_dims, correction=ddof, keepdim=keepdims)
        return ours, theirs, f"{kind} {dims} ddof={ddof}"
    if kind == "logsumexp":
        ours = x.logsumexp(dim=dims, keepdims=keepdims)
        return ours, torch.logsumexp(tx, dim=torch_dims, keepdim=keepdims), f"logsumexp {dims}"
    if kind == "mean" and count == 0:
        return None  # NaN in both; the gradient of an empty mean is empty anyway
    ours = getattr(x, kind)(dim=dims, keepdims=keepdims)
    return ours, getattr(torch, kind)(tx, dim=torch_dims, keepdim=keepdims), f"{kind} {dims}"


def matmul(case: Case) -> Any:
    x, tx = case.pick()
    if x.ndim == 0:
        return None
    if case.draw(st.booleans()):  # x @ new: 1-D, a matrix, or a batch of matrices
        inner = x.shape[-1]
        ndim = case.draw(st.integers(1, 3))
        shape = (inner,) if ndim == 1 else (inner, case.draw(SIZES))
        if ndim == 3:
            batch = x.shape[-3] if x.ndim >= 3 and case.draw(st.booleans()) else case.draw(SIZES)
            shape = (batch, *shape)
        y, ty = case.leaf(shape)
        pair = ((x, tx), (y, ty))
    else:  # new @ x
        rows = x.shape[-2] if x.ndim >= 2 else x.shape[0]
        shape = (rows,) if x.ndim == 1 or case.draw(st.booleans()) else (case.draw(SIZES), rows)
        y, ty = case.leaf(shape)
        pair = ((y, ty), (x, tx))
    (a, ta), (b, tb) = pair
    try:
        expected = torch.matmul(ta, tb)
    except RuntimeError:
        return None  # batch dims that do not broadcast
    return a @ b, expected, f"matmul {a.shape} @ {b.shape}"


def movement(case: Case) -> Any:
    x, tx = case.pick()
    kind = case.draw(
        st.sampled_from(
            [
                "reshape",
                "flatten",
                "transpose",
                "permute",
                "unsqueeze",
                "squeeze",
                "expand",
                "slice",
                "flip",
            ]
        )
    )
    ndim = x.ndim
    if kind == "reshape":
        shape = tuple(reversed(x.shape)) if case.draw(st.booleans()) else (*x.shape, 1)
        return x.reshape(*shape), tx.reshape(shape), f"reshape {shape}"
    if kind == "flatten":
        return x.reshape(-1), tx.reshape(-1), "flatten"
    if kind == "transpose" and ndim >= 2:
        a, b = case.draw(st.permutations(range(ndim)))[:2]
        return x.transpose(a, b), tx.transpose(a, b), f"transpose {a} {b}"
    if kind == "permute" and ndim >= 1:
        order = tuple(case.draw(st.permutations(range(ndim))))
        return x.permute(*order), tx.permute(*order), f"permute {order}"
    if kind == "unsqueeze":
        dim = case.draw(st.integers(-ndim - 1, ndim))
        return x.unsqueeze(dim), tx.unsqueeze(dim), f"unsqueeze {dim}"
    if kind == "squeeze":
        ones = [d for d in range(ndim) if x.shape[d] == 1]
        if not ones:
            return x.squeeze(), tx.squeeze(), "squeeze"
        dim = case.draw(st.sampled_from(ones))
        return x.squeeze(dim), tx.squeeze(dim), f"squeeze {dim}"
    if kind == "expand":
        shape = tuple(3 if size == 1 and case.draw(st.booleans()) else size for size in x.shape)
        shape = (2, *shape) if case.draw(st.booleans()) else shape
        return x.expand(*shape), tx.expand(shape), f"expand {shape}"
    if kind == "slice" and ndim >= 1:
        dim = case.draw(st.integers(0, ndim - 1))
        start = case.draw(st.integers(0, 2))
        step = case.draw(st.integers(1, 2))
        key = (slice(None),) * dim + (slice(start, None, step),)
        return x[key], tx[key], f"slice {key}"
    if kind == "flip" and ndim >= 1:
        dim = case.draw(st.integers(0, ndim - 1))
        key = (slice(None),) * dim + (slice(None, None, -1),)
        # PyTorch has no negative steps; flip is the same selection.
        return x[key], torch.flip(tx, (dim,)), f"reverse dim {dim}"
    return None


def indexing(case: Case) -> Any:
    x, tx = case.pick()
    if x.ndim == 0 or x.shape[0] == 0:
        return None
    kind = case.draw(st.sampled_from(["int", "element", "array", "pair"]))
    first = case.draw(st.integers(-x.shape[0], x.shape[0] - 1))
    if kind == "int":
        return x[first], tx[first], f"[{first}]"
    if kind == "element":  # a 0-d element (the first one of every dim)
        key = tuple(0 for _ in x.shape)
        if 0 in x.shape:
            return None
        return x[key], tx[key], f"[{key}]"
    if kind == "pair" and x.ndim >= 2 and x.shape[1] > 0:
        second = case.draw(st.integers(0, x.shape[1] - 1))
        return x[first, second], tx[first, second], f"[{first}, {second}]"
    # An integer index array with repeats: gradients of repeated rows add up.
    count = case.draw(st.integers(0, 5))
    index = case.rng.integers(0, x.shape[0], size=count)
    return x[ac.tensor(index)], tx[torch.tensor(index)], f"[{index.tolist()}]"


def joining(case: Case) -> Any:
    x, tx = case.pick()
    kind = case.draw(st.sampled_from(["concat", "stack", "self-concat", "where"]))
    if kind == "where":
        y, ty = case.leaf(broadcast_partner(case, x.shape))
        shape = np.broadcast_shapes(x.shape, y.shape)
        condition = case.rng.random(shape) < 0.5
        ours = ac.where(ac.tensor(condition), x, y)
        return ours, torch.where(torch.tensor(condition), tx, ty), "where"
    if x.ndim == 0 and kind != "stack":
        return None
    if kind == "self-concat":
        dim = case.draw(st.integers(0, x.ndim - 1))
        return ac.concat([x, x], dim), torch.cat([tx, tx], dim), f"concat self {dim}"
    if kind == "concat":
        dim = case.draw(st.integers(0, x.ndim - 1))
        shape = list(x.shape)
        shape[dim] = case.draw(SIZES)
        y, ty = case.leaf(tuple(shape))
        return ac.concat([x, y], dim), torch.cat([tx, ty], dim), f"concat {dim}"
    dim = case.draw(st.integers(0, x.ndim))
    y, ty = case.leaf(x.shape)
    return ac.stack([y, x], dim), torch.stack([ty, tx], dim), f"stack {dim}"


def softmax(case: Case) -> Any:
    x, tx = case.pick()
    dim = case.draw(st.integers(-max(x.ndim, 1), max(x.ndim, 1) - 1))
    if case.draw(st.booleans()):
        return F.softmax(x, dim), torch_functional.softmax(tx, dim), f"softmax {dim}"
    return F.log_softmax(x, dim), torch_functional.log_softmax(tx, dim), f"log_softmax {dim}"


def cross_entropy(case: Case) -> Any:
    x, tx = case.pick()
    if x.ndim != 2 or x.shape[1] == 0:
        x, tx = case.leaf((case.draw(SIZES), case.draw(st.integers(1, 4))))
    rows, classes = x.shape
    targets = case.rng.integers(0, classes, size=rows)
    targets[case.rng.random(rows) < 0.3] = -100  # ignored items
    smoothing = case.draw(st.sampled_from([0.0, 0.1]))
    ours = F.cross_entropy_loss(x, ac.tensor(targets), label_smoothing=smoothing)
    theirs = torch_functional.cross_entropy(tx, torch.tensor(targets), label_smoothing=smoothing)
    return ours, theirs, f"cross_entropy {targets.tolist()} smoothing={smoothing}"


def convolution(case: Case) -> Any:
    x, tx = case.pick()
    if x.ndim != 4 or 0 in x.shape:
        x, tx = case.leaf(
            (
                case.draw(st.integers(1, 2)),
                case.draw(st.integers(1, 2)),
                case.draw(st.integers(3, 5)),
                case.draw(st.integers(3, 5)),
            )
        )
    kernel = case.draw(st.integers(1, 3))
    out_channels = case.draw(st.integers(1, 3))
    w, tw = case.leaf((out_channels, x.shape[1], kernel, kernel))
    b, tb = case.leaf((out_channels,)) if case.draw(st.booleans()) else (None, None)
    stride = case.draw(st.integers(1, 2))
    padding = case.draw(st.integers(0, 1))
    if min(x.shape[2:]) + 2 * padding < kernel:
        return None
    ours = F.conv2d(x, w, b, stride=stride, padding=padding)
    theirs = torch_functional.conv2d(tx, tw, tb, stride=stride, padding=padding)
    return ours, theirs, f"conv2d k={kernel} stride={stride} padding={padding}"


def pooling(case: Case) -> Any:
    x, tx = case.pick()
    if x.ndim != 4 or min(x.shape[2:]) < 2 or 0 in x.shape:
        x, tx = case.leaf((1, case.draw(st.integers(1, 2)), case.draw(st.integers(2, 5)), 4))
    return F.maxpool2d(x, 2), torch_functional.max_pool2d(tx, 2), "maxpool2d"


def normalization(case: Case) -> Any:
    x, tx = case.pick()
    if case.draw(st.booleans()):
        if x.ndim == 0 or x.shape[-1] < 2:
            x, tx = case.leaf((case.draw(st.integers(1, 3)), case.draw(st.integers(2, 4))))
        size = x.shape[-1]
        w, tw = case.leaf((size,))
        b, tb = case.leaf((size,))
        ours = F.layernorm(x, w, b)
        return ours, torch_functional.layer_norm(tx, (size,), tw, tb), "layer_norm"
    if x.ndim not in (2, 4) or x.shape[0] < 2 or 0 in x.shape:
        x, tx = case.leaf((case.draw(st.integers(2, 4)), case.draw(st.integers(1, 3))))
    channels = x.shape[1]
    w, tw = case.leaf((channels,))
    b, tb = case.leaf((channels,))
    ours = F.batchnorm(x, None, None, w, b, training=True)
    theirs = torch_functional.batch_norm(tx, None, None, tw, tb, training=True)
    return ours, theirs, "batch_norm"


FAMILIES = {
    "unary": unary,
    "binary": binary,
    "reduction": reduction,
    "matmul": matmul,
    "movement": movement,
    "indexing": indexing,
    "joining": joining,
    "softmax": softmax,
    "cross_entropy": cross_entropy,
    "convolution": convolution,
    "pooling": pooling,
    "normalization": normalization,
}


# -------------------------------------------------------------------------------------------
# building and checking one case


def assert_close(ours: Any, theirs: Any, what: str, case: Case) -> None:
    expected = theirs.detach().numpy()
    assert isinstance(ours, np.ndarray), f"{what}: got {type(ours).__name__}\n" + "\n".join(
        case.log
    )
    assert ours.dtype == expected.dtype and ours.shape == expected.shape, (
        f"{what}: got {ours.dtype} {ours.shape}, PyTorch {expected.dtype} {expected.shape}\n"
        + "\n".join(case.log)
    )
    np.testing.assert_allclose(
        ours, expected, rtol=RTOL, atol=ATOL, err_msg=f"{what}\n" + "\n".join(case.log)
    )


def build(case: Case) -> None:
    for _ in range(case.draw(st.integers(1, 3))):
        case.values.append(case.leaf(case.shape()))
    for _ in range(case.draw(st.integers(1, 5))):
        family = case.draw(st.sampled_from(sorted(FAMILIES)))
        result = FAMILIES[family](case)
        if result is None:
            continue
        ours, theirs, description = result
        case.log.append(f"v{len(case.values)} = {family}: {description} -> {tuple(theirs.shape)}")
        assert_close(ours.data, theirs, f"value of v{len(case.values)}", case)
        case.values.append((ours, theirs))


def upstream(case: Case, shape: tuple[int, ...]) -> np.ndarray:
    grad = case.array(shape)
    if len(shape) >= 2 and case.draw(st.booleans()):  # a non-contiguous upstream gradient
        grad = np.ascontiguousarray(grad.swapaxes(-1, -2)).swapaxes(-1, -2)
    return grad


def check_gradients(case: Case) -> None:
    ours, theirs = case.values[-1]
    if not theirs.requires_grad:
        return
    grad = upstream(case, tuple(theirs.shape))
    repeats = case.draw(st.integers(1, 2))
    for repeat in range(repeats):
        retain = repeat < repeats - 1
        ours.backward(ac.tensor(grad), retain_graph=retain)
        theirs.backward(torch.tensor(grad), retain_graph=retain)
    for index, (leaf, torch_leaf) in enumerate(case.leaves):
        if torch_leaf.grad is None:
            assert leaf.grad is None or not np.any(leaf.grad), (
                f"leaf{index}: gradient without a path"
            )
            continue
        assert leaf.grad is not None, f"leaf{index}: no gradient\n" + "\n".join(case.log)
        assert_close(leaf.grad, torch_leaf.grad, f"gradient of leaf{index}", case)


@pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch notes on 0-size dims and layouts
def test_random_expressions_match_pytorch(request):
    cases = fuzz_cases(request.config)

    chosen_seed = os.environ.get("AUTOCOMPYUTE_FUZZ_SEED")
    progress_file = os.environ.get("AUTOCOMPYUTE_FUZZ_PROGRESS")
    done = [0]

    @settings(
        max_examples=cases,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=chosen_seed is None,  # by default the same cases on every run
    )
    @given(data=st.data(), seed=st.integers(0, 2**32 - 1))
    def run(data: Any, seed: int) -> None:
        case = Case(data, np.random.default_rng(seed))
        with np.errstate(all="ignore"):
            build(case)
            check_gradients(case)
        done[0] += 1
        if progress_file and done[0] % 500 == 0:
            with open(progress_file, "a") as file:
                file.write(f"{done[0]} cases passed (seed {chosen_seed})\n")

    if chosen_seed is not None:
        run = fixed_seed(int(chosen_seed))(run)
    run()
