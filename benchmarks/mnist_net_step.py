"""One training step of PyTorch's MNIST example network: autocompyute vs PyTorch, 1 and 2 threads.

The network of pytorch/examples mnist/main.py: conv 1->32 k3, relu, conv 32->64 k3, relu,
max-pool 2, dropout 0.25, flatten, linear 9216->128, relu, dropout 0.5, linear 128->10,
log-softmax; negative log-likelihood loss, backward, Adadelta (lr 1.0), batch 64 of 28x28
images. autocompyute has no `nll_loss` yet, so its loss is `cross_entropy_loss` of the
log-softmax output, which has the same value and gradient (log-softmax is idempotent). Both
models start from the same weights (the eval-mode losses are printed as a check); the
libraries run interleaved and the table shows median step times and their ratio to PyTorch.

    python benchmarks/mnist_net_step.py [--batch 64] [--repeats 20] [--threads 1 2]
"""

from __future__ import annotations

import timing  # first: it pins NumPy's and PyTorch's thread pools to one thread

# isort: split

import argparse
from collections.abc import Callable
from typing import Any

import numpy

import autocompyute as ac
import autocompyute.nn as nn
import autocompyute.nn.functional as F
from autocompyute import optim


class Net(nn.Module):
    """The benchmarked model, written with autocompyute layers."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.pool = nn.MaxPool2d(2)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x: ac.Tensor) -> ac.Tensor:
        x = F.relu(self.conv1(x))
        x = self.dropout1(self.pool(F.relu(self.conv2(x))))
        x = self.dropout2(F.relu(self.fc1(x.reshape(x.shape[0], -1))))
        return F.log_softmax(self.fc2(x), dim=1)


def nll(log_probs: ac.Tensor, labels: ac.Tensor) -> ac.Tensor:
    return F.cross_entropy_loss(log_probs, labels)


def autocompyute_step(model: Net, images: numpy.ndarray, labels: numpy.ndarray) -> Callable:
    x, y = ac.tensor(images), ac.tensor(labels)
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    return timing.training_step(optimizer, lambda: nll(model(x), y))


def torch_net(weights: Net) -> Any:
    import torch

    functional = torch.nn.functional

    class TorchNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = torch.nn.Conv2d(1, 32, 3, 1)
            self.conv2 = torch.nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = torch.nn.Dropout(0.25)
            self.dropout2 = torch.nn.Dropout(0.5)
            self.fc1 = torch.nn.Linear(9216, 128)
            self.fc2 = torch.nn.Linear(128, 10)

        def forward(self, x: Any) -> Any:
            x = functional.relu(self.conv1(x))
            x = self.dropout1(functional.max_pool2d(functional.relu(self.conv2(x)), 2))
            x = self.dropout2(functional.relu(self.fc1(torch.flatten(x, 1))))
            return functional.log_softmax(self.fc2(x), dim=1)

    model = TorchNet()
    timing.copy_weights(torch, weights, model)
    return model


def torch_step(model: Any, images: numpy.ndarray, labels: numpy.ndarray) -> Callable:
    import torch

    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    x, y = torch.from_numpy(images), torch.from_numpy(labels)
    return timing.training_step(optimizer, lambda: torch.nn.functional.nll_loss(model(x), y))


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
    model = Net()
    torch: Any
    try:
        import torch
    except ImportError:
        torch = None
    steps = {}
    if torch is not None:
        torch.set_num_threads(1)
        reference = torch_net(model)
        model.eval()
        reference.eval()
        with ac.no_grad(), torch.no_grad():
            ours = nll(model(ac.tensor(images)), ac.tensor(labels)).item()
            theirs = torch.nn.functional.nll_loss(
                reference(torch.from_numpy(images)), torch.from_numpy(labels)
            ).item()
        print(f"initial loss (eval mode): autocompyute {ours:.5f}, pytorch {theirs:.5f}")
        model.train()
        reference.train()
        steps["pytorch"] = torch_step(reference, images, labels)
    steps["autocompyute"] = autocompyute_step(model, images, labels)
    if args.profile:
        timing.print_profile(steps["autocompyute"], calls=5, lines=25)
        return

    print(f"MNIST example network training step, batch {args.batch}, {args.repeats} repeats")
    timing.print_tables_per_thread_count(steps, args.threads, args.repeats, torch)


if __name__ == "__main__":
    main()
