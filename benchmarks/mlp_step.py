"""One MLP training step (forward, cross-entropy, backward, Adam): autocompyute vs PyTorch vs NumPy.

Models (ReLU between linear layers, cross-entropy over the last layer's outputs):
    small  64-128-128-10, batch 32
    large  1024-4096-4096-1024, batch 512

The NumPy floor is the same math written by hand: forward, softmax cross-entropy, manual
backward into preallocated arrays, and Adam with in-place updates; no autograd, no modules.
All libraries run on one thread, interleaved; the table shows median step times and the ratios
of autocompyute to the floor and to PyTorch.

    python benchmarks/mlp_step.py [--models small,large] [--repeats 30] [--large-repeats 5]
"""

from __future__ import annotations

import timing  # first: it pins NumPy's and PyTorch's thread pools to one thread

# isort: split

import argparse
import itertools
from collections.abc import Callable

import numpy

import autocompyute as ac
import autocompyute.nn as nn
import autocompyute.nn.functional as F
from autocompyute.nn.optimizers import Adam

MODELS = {"small": ((64, 128, 128, 10), 32), "large": ((1024, 4096, 4096, 1024), 512)}
LEARNING_RATE, BETA1, BETA2, EPS = 1e-3, 0.9, 0.999, 1e-8

Step = Callable[[], float]


def _initial_weights(sizes: tuple[int, ...]) -> list[tuple[numpy.ndarray, numpy.ndarray]]:
    generator = numpy.random.default_rng(0)
    layers = []
    for in_dim, out_dim in itertools.pairwise(sizes):
        bound = 1 / in_dim**0.5
        weight = generator.uniform(-bound, bound, (out_dim, in_dim)).astype(numpy.float32)
        bias = generator.uniform(-bound, bound, out_dim).astype(numpy.float32)
        layers.append((weight, bias))
    return layers


def autocompyute_step(sizes: tuple[int, ...], x: numpy.ndarray, y: numpy.ndarray) -> Step:
    layers: list[nn.Module] = []
    for weight, bias in _initial_weights(sizes):
        linear = nn.Linear(weight.shape[1], weight.shape[0])
        linear.w.data, linear.b.data = weight, bias
        layers += [linear, nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    optimizer = Adam(model.parameters(), lr=LEARNING_RATE)
    inputs, targets = ac.tensor(x), ac.tensor(y)

    def step() -> float:
        loss = F.cross_entropy_loss(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return float(loss.item())

    return step


def torch_step(sizes: tuple[int, ...], x: numpy.ndarray, y: numpy.ndarray) -> Step | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    layers: list[torch.nn.Module] = []
    for weight, bias in _initial_weights(sizes):
        linear = torch.nn.Linear(weight.shape[1], weight.shape[0])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weight))
            linear.bias.copy_(torch.from_numpy(bias))
        layers += [linear, torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    inputs, targets = torch.from_numpy(x), torch.from_numpy(y)

    def step() -> float:
        loss = torch.nn.functional.cross_entropy(model(inputs), targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return float(loss.item())

    return step


def numpy_step(sizes: tuple[int, ...], x: numpy.ndarray, y: numpy.ndarray) -> Step:
    """The floor: hand-written forward/backward and Adam, all into preallocated arrays."""
    batch = x.shape[0]
    params = [array for layer in _initial_weights(sizes) for array in layer]
    grads = [numpy.empty_like(p) for p in params]
    first = [numpy.zeros_like(p) for p in params]
    second = [numpy.zeros_like(p) for p in params]
    scratch = [numpy.empty_like(p) for p in params]
    hidden = [numpy.empty((batch, size), numpy.float32) for size in sizes[1:]]
    deltas = [numpy.empty((batch, size), numpy.float32) for size in sizes[1:]]
    rows = numpy.arange(batch)
    n_layers = len(sizes) - 1
    counter = [0]

    def step() -> float:
        # forward: hidden[i] = relu(input @ w.T + b), the last layer without relu
        current = x
        for layer in range(n_layers):
            weight, bias, out = params[2 * layer], params[2 * layer + 1], hidden[layer]
            numpy.matmul(current, weight.T, out=out)
            out += bias
            if layer < n_layers - 1:
                numpy.maximum(out, 0, out=out)
            current = out
        # softmax cross-entropy (mean over the batch) and its gradient w.r.t. the logits
        logits, delta = hidden[-1], deltas[-1]
        numpy.subtract(logits, logits.max(axis=1, keepdims=True), out=delta)
        numpy.exp(delta, out=delta)
        totals = delta.sum(axis=1, keepdims=True)
        loss = float(numpy.mean(numpy.log(totals[:, 0]) + logits.max(axis=1) - logits[rows, y]))
        delta /= totals
        delta[rows, y] -= 1
        delta /= batch
        # backward
        for layer in range(n_layers - 1, -1, -1):
            below = x if layer == 0 else hidden[layer - 1]
            numpy.matmul(deltas[layer].T, below, out=grads[2 * layer])
            numpy.sum(deltas[layer], axis=0, out=grads[2 * layer + 1])
            if layer:
                numpy.matmul(deltas[layer], params[2 * layer], out=deltas[layer - 1])
                deltas[layer - 1] *= hidden[layer - 1] > 0
        # Adam
        counter[0] += 1
        t = counter[0]
        step_size = LEARNING_RATE / (1 - BETA1**t)
        correction = (1 - BETA2**t) ** 0.5
        for p, g, m, v, tmp in zip(params, grads, first, second, scratch):
            m *= BETA1
            numpy.multiply(g, 1 - BETA1, out=tmp)
            m += tmp
            v *= BETA2
            numpy.multiply(g, g, out=tmp)
            tmp *= 1 - BETA2
            v += tmp
            numpy.sqrt(v, out=tmp)
            tmp /= correction
            tmp += EPS
            numpy.divide(m, tmp, out=tmp)
            tmp *= -step_size
            p += tmp
        return loss

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="small,large")
    parser.add_argument("--repeats", type=int, default=30, help="repeats of the small model")
    parser.add_argument("--large-repeats", type=int, default=5)
    args = parser.parse_args()

    print("MLP training step (forward, cross-entropy, backward, Adam), 1 thread, median ms")
    table = timing.Table(
        timing.Column("model", 7, "<"),
        timing.Column("numpy floor", 12),
        timing.Column("pytorch", 10),
        timing.Column("autocompyute", 14),
        timing.Column("ac/floor", 10),
        timing.Column("ac/torch", 10),
    )
    print(table.header())
    for model in args.models.split(","):
        sizes, batch = MODELS[model]
        generator = numpy.random.default_rng(1)
        x = generator.standard_normal((batch, sizes[0]), dtype=numpy.float32)
        y = generator.integers(0, sizes[-1], batch)
        steps = {"floor": numpy_step(sizes, x, y)}
        reference = torch_step(sizes, x, y)
        if reference is not None:
            steps["pytorch"] = reference
        steps["autocompyute"] = autocompyute_step(sizes, x, y)
        large = model == "large"
        medians = timing.interleaved_medians(
            steps, args.large_repeats if large else args.repeats, warmup=2 if large else 20
        )
        ours, floor = medians["autocompyute"], medians["floor"]
        theirs = medians.get("pytorch")  # absent without PyTorch
        print(
            table.row(
                model,
                floor * 1e3,
                None if theirs is None else theirs * 1e3,
                ours * 1e3,
                ours / floor,
                None if theirs is None else ours / theirs,
            )
        )


if __name__ == "__main__":
    main()
