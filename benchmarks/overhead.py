"""Per-op overhead: long chains of tiny ops, autocompyute vs PyTorch vs a NumPy floor.

A chain of N ops on an (8, 8) float32 tensor, then `sum().backward()`. Reports microseconds per
op (median over interleaved repeats) for the forward pass alone and forward + backward, and the
ratio to the NumPy floor (the same forward math and a hand-written backward, no autograd).

Chains:
    elementwise  cycles y * 1.0001, y + x, tanh(y), exp(y)        (the foundation's benchmark)
    reduction    cycles y - y.mean(0), y / y.std(), y - y.amax(1, keepdim), y + y.logsumexp(1)
    indexing     cycles y[perm] (repeated indices), y[:, ::-1] * 1.0001,
                 concat([y[1:], y[:1]]) - y.mean()
An "op" is one step of the cycle (one line above), whatever it costs in library calls.

Usage:
    python benchmarks/overhead.py [--ops 1000] [--repeats 30] [--chains elementwise,...]
"""

from __future__ import annotations

import timing  # first: it pins NumPy's and PyTorch's thread pools to one thread

# isort: split

import argparse
import functools
from collections.abc import Callable

import numpy as np

import autocompyute as ac

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # PyTorch is optional: its columns are left out
    torch = None

SHAPE = (8, 8)


# ---------------------------------------------------------------------------------------------
# elementwise chain


def elementwise_numpy(x: np.ndarray, n_ops: int, backward: bool) -> None:
    y = x
    kinds = []
    saved = []
    for i in range(n_ops):
        kind = i % 4
        if kind == 0:
            y = y * 1.0001
            saved.append(None)
        elif kind == 1:
            y = y + x
            saved.append(None)
        elif kind == 2:
            y = np.tanh(y)
            saved.append(y)
        else:
            y = np.exp(y)
            saved.append(y)
        kinds.append(kind)
    y.sum()
    if not backward:
        return
    grad = np.ones_like(y)
    grad_x = np.zeros_like(x)
    for kind, out in zip(reversed(kinds), reversed(saved)):
        if kind == 0:
            grad = grad * 1.0001
        elif kind == 1:
            grad_x += grad
        elif kind == 2:
            grad = grad * (1 - out * out)
        else:
            grad = grad * out
    grad_x += grad


def elementwise_autocompyute(x_array: np.ndarray, n_ops: int, backward: bool) -> None:
    x = ac.Tensor(x_array, req_grad=True)
    y = x
    for i in range(n_ops):
        kind = i % 4
        if kind == 0:
            y = y * 1.0001
        elif kind == 1:
            y = y + x
        elif kind == 2:
            y = y.tanh()
        else:
            y = y.exp()
    loss = y.sum()
    if backward:
        loss.backward()


def elementwise_torch(x_array: np.ndarray, n_ops: int, backward: bool) -> None:
    x = torch.tensor(x_array, requires_grad=True)
    y = x
    for i in range(n_ops):
        kind = i % 4
        if kind == 0:
            y = y * 1.0001
        elif kind == 1:
            y = y + x
        elif kind == 2:
            y = y.tanh()
        else:
            y = y.exp()
    loss = y.sum()
    if backward:
        loss.backward()


# ---------------------------------------------------------------------------------------------
# reduction-heavy chain: each step reduces and combines the result with y (values stay bounded)


def reduction_numpy(x: np.ndarray, n_ops: int, backward: bool) -> None:
    y = x
    tape = []
    for i in range(n_ops):
        kind = i % 4
        if kind == 0:
            tape.append(None)
            y = y - y.mean(axis=0)
        elif kind == 1:
            std = y.std(ddof=1)
            tape.append((y, std))
            y = y / std
        elif kind == 2:
            peak = y.max(axis=1, keepdims=True)
            tape.append((y, peak))
            y = y - peak
        else:
            shift = y.max(axis=1, keepdims=True)
            exps = np.exp(y - shift)
            totals = exps.sum(axis=1, keepdims=True)
            tape.append(exps / totals)
            y = y + (np.log(totals) + shift)
    y.sum()
    if not backward:
        return
    grad = np.ones_like(y)
    for i in range(n_ops - 1, -1, -1):
        kind, saved = i % 4, tape[i]
        if kind == 0:
            grad = grad - grad.mean(axis=0, keepdims=True)
        elif kind == 1:
            before, std = saved
            centered = before - before.mean()
            grad_std = -(grad * before).sum() / (std * std)
            grad = grad / std + centered * (grad_std / ((before.size - 1) * std))
        elif kind == 2:
            before, peak = saved
            mask = before == peak
            grad = grad - mask * (grad.sum(axis=1, keepdims=True) / mask.sum(axis=1, keepdims=True))
        else:
            softmax = saved
            grad = grad + softmax * grad.sum(axis=1, keepdims=True)


def reduction_autocompyute(x_array: np.ndarray, n_ops: int, backward: bool) -> None:
    x = ac.Tensor(x_array, req_grad=True)
    y = x
    for i in range(n_ops):
        kind = i % 4
        if kind == 0:
            y = y - y.mean(0)
        elif kind == 1:
            y = y / y.std()
        elif kind == 2:
            y = y - y.amax(1, keepdim=True)
        else:
            y = y + y.logsumexp(1, keepdims=True)
    loss = y.sum()
    if backward:
        loss.backward()


def reduction_torch(x_array: np.ndarray, n_ops: int, backward: bool) -> None:
    x = torch.tensor(x_array, requires_grad=True)
    y = x
    for i in range(n_ops):
        kind = i % 4
        if kind == 0:
            y = y - y.mean(0)
        elif kind == 1:
            y = y / y.std()
        elif kind == 2:
            y = y - y.amax(1, keepdim=True)
        else:
            y = y + y.logsumexp(1, keepdim=True)
    loss = y.sum()
    if backward:
        loss.backward()


# ---------------------------------------------------------------------------------------------
# indexing-heavy chain: a gather with repeated indices, a reversing slice, a roll by one row

PERMUTATION = np.array([3, 1, 4, 1, 5, 0, 2, 6])  # repeats index 1: gradients must accumulate


def indexing_numpy(x: np.ndarray, n_ops: int, backward: bool) -> None:
    y = x
    for i in range(n_ops):
        kind = i % 3
        if kind == 0:
            y = y[PERMUTATION]
        elif kind == 1:
            y = y[:, ::-1] * 1.0001
        else:
            y = np.concatenate([y[1:], y[:1]]) - y.mean()
    y.sum()
    if not backward:
        return
    grad = np.ones_like(y)
    for i in range(n_ops - 1, -1, -1):
        kind = i % 3
        if kind == 0:
            scattered = np.zeros_like(grad)
            np.add.at(scattered, PERMUTATION, grad)
            grad = scattered
        elif kind == 1:
            grad = (grad * 1.0001)[:, ::-1]
        else:
            unrolled = np.concatenate([grad[-1:], grad[:-1]])
            grad = unrolled - grad.sum() / grad.size


def indexing_autocompyute(x_array: np.ndarray, n_ops: int, backward: bool) -> None:
    x = ac.Tensor(x_array, req_grad=True)
    y = x
    permutation = ac.tensor(PERMUTATION)
    for i in range(n_ops):
        kind = i % 3
        if kind == 0:
            y = y[permutation]
        elif kind == 1:
            y = y[:, ::-1] * 1.0001
        else:
            y = ac.concat([y[1:], y[:1]]) - y.mean()
    loss = y.sum()
    if backward:
        loss.backward()


def indexing_torch(x_array: np.ndarray, n_ops: int, backward: bool) -> None:
    x = torch.tensor(x_array, requires_grad=True)
    y = x
    permutation = torch.tensor(PERMUTATION)
    for i in range(n_ops):
        kind = i % 3
        if kind == 0:
            y = y[permutation]
        elif kind == 1:
            y = y.flip(1) * 1.0001  # PyTorch has no negative slice steps
        else:
            y = torch.cat([y[1:], y[:1]]) - y.mean()
    loss = y.sum()
    if backward:
        loss.backward()


CHAINS: dict[str, dict[str, Callable[[np.ndarray, int, bool], None]]] = {
    "elementwise": {
        "numpy floor": elementwise_numpy,
        "autocompyute": elementwise_autocompyute,
        "pytorch": elementwise_torch,
    },
    "reduction": {
        "numpy floor": reduction_numpy,
        "autocompyute": reduction_autocompyute,
        "pytorch": reduction_torch,
    },
    "indexing": {
        "numpy floor": indexing_numpy,
        "autocompyute": indexing_autocompyute,
        "pytorch": indexing_torch,
    },
}


def measure(chain: str, n_ops: int, repeats: int) -> dict[tuple[str, bool], float]:
    """Median microseconds per op for each implementation, forward and forward+backward."""
    x = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32) * 0.5
    implementations = {
        name: function
        for name, function in CHAINS[chain].items()
        if name != "pytorch" or torch is not None
    }
    for function in implementations.values():  # warm-up
        function(x, n_ops, True)
    runs = {
        (name, backward): functools.partial(function, x, n_ops, backward)
        for backward in (False, True)
        for name, function in implementations.items()
    }
    medians = timing.interleaved_medians(runs, repeats, warmup=0)
    return {key: seconds / n_ops * 1e6 for key, seconds in medians.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ops", type=int, default=1000, help="ops per chain")
    parser.add_argument("--repeats", type=int, default=30, help="interleaved repeats")
    parser.add_argument("--chains", default="elementwise,reduction,indexing")
    args = parser.parse_args()
    print(
        f"numpy {np.__version__}, torch {torch.__version__ if torch else 'absent'}, "
        f"{args.ops} ops on {SHAPE} float32, median of {args.repeats} interleaved repeats, "
        "1 thread"
    )
    table = timing.Table(
        timing.Column("chain", 12, "<"),
        timing.Column("implementation", 14, "<"),
        timing.Column("fwd us/op", 10),
        timing.Column("x floor", 8),
        timing.Column("fwd+bwd us/op", 14),
        timing.Column("x floor", 8),
        separator=" ",
    )
    header = table.header()
    print(header)
    print("-" * len(header))
    for chain in args.chains.split(","):
        results = measure(chain, args.ops, args.repeats)
        floor_forward = results[("numpy floor", False)]
        floor_total = results[("numpy floor", True)]
        for name in CHAINS[chain]:
            if (name, False) not in results:
                continue
            forward, total = results[(name, False)], results[(name, True)]
            print(
                table.row(chain, name, forward, forward / floor_forward, total, total / floor_total)
            )


if __name__ == "__main__":
    main()
