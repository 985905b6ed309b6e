"""One training step of a small CNN on 28x28 images: autocompyute vs PyTorch, 1 and 2 threads.

Model: conv 1->32 k5, relu, conv 32->64 k3, relu, maxpool 2, flatten, linear 7744->10;
cross-entropy loss, backward, SGD update. Both models start from the same weights (the first
losses are printed as a check); the libraries run interleaved and the table shows median step
times and their ratio.

    python benchmarks/cnn_step.py [--batch 64] [--repeats 20] [--threads 1 2] [--profile]
"""

from __future__ import annotations

import timing  # first: it pins NumPy's and PyTorch's thread pools to one thread

# isort: split

import argparse
import sys
from collections.abc import Callable

import numpy

import autocompyute as ac
import autocompyute.nn as nn
import autocompyute.nn.functional as F
from autocompyute.nn.optimizers import SGD

LEARNING_RATE = 0.01


class SmallCNN(nn.Module):
    """The benchmarked model, written with autocompyute layers."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=5)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3)
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Linear(64 * 11 * 11, 10)

    def forward(self, x: ac.Tensor) -> ac.Tensor:
        x = F.relu(self.conv1(x))
        x = self.pool(F.relu(self.conv2(x)))
        return self.head(x.reshape(x.shape[0], -1))


def autocompyute_step(
    model: SmallCNN, images: numpy.ndarray, labels: numpy.ndarray
) -> Callable[[], float]:
    x, y = ac.tensor(images), ac.tensor(labels)
    optimizer = SGD(model.parameters(), lr=LEARNING_RATE)

    def step() -> float:
        optimizer.zero_grad()
        loss = F.cross_entropy_loss(model(x), y)
        loss.backward()
        optimizer.step()
        return float(loss.item())

    return step


def torch_step(
    weights: SmallCNN, images: numpy.ndarray, labels: numpy.ndarray
) -> Callable[[], float] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 5),
        torch.nn.ReLU(),
        torch.nn.Conv2d(32, 64, 3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(64 * 11 * 11, 10),
    )
    with torch.no_grad():
        for theirs, ours in zip(model.parameters(), weights.parameters()):
            theirs.copy_(torch.from_numpy(ours.data))
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    x, y = torch.from_numpy(images), torch.from_numpy(labels)

    def step() -> float:
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return float(loss.item())

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--profile", action="store_true", help="cProfile autocompyute's step")
    args = parser.parse_args()

    generator = numpy.random.default_rng(0)
    images = generator.standard_normal((args.batch, 1, 28, 28), dtype=numpy.float32)
    labels = generator.integers(0, 10, args.batch)
    ac.set_random_seed(0)
    model = SmallCNN()
    reference = torch_step(model, images, labels)  # copies the initial weights first
    steps = {"autocompyute": autocompyute_step(model, images, labels)}
    if reference is not None:
        steps["pytorch"] = reference
    if args.profile:
        timing.print_profile(steps["autocompyute"], calls=5, lines=15)
        return

    first_losses = {name: step() for name, step in steps.items()}
    print(f"small CNN training step, batch {args.batch}, {args.repeats} repeats")
    print("first losses: " + ", ".join(f"{n} {v:.5f}" for n, v in first_losses.items()))
    torch = sys.modules.get("torch")
    timing.print_tables_per_thread_count(steps, args.threads, args.repeats, torch)


if __name__ == "__main__":
    main()
