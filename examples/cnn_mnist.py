"""A convolutional network for handwritten digits (MNIST), built from `nn` layers.

What it shows:

- a model as an `nn.Module` made of an `nn.Sequential` of layers: `Conv2d`, `BatchNorm`,
  `ReLU`, `MaxPool2d`, `Flatten`, `Dropout` and `Linear`;
- `model.train()` / `model.eval()`: dropout and batch normalization behave differently while
  training (random masks, batch statistics) and when evaluating (no dropout, running
  statistics), so the mode must be switched before each phase;
- `nn.Dataloader` for shuffled mini-batches, `F.cross_entropy_loss`, `nn.optimizers.Adam`;
- evaluation in batches under `ac.no_autograd_tracking()`.

Data: MNIST (60000 training and 10000 test images of 28x28 pixels), downloaded once into
`--data-dir`. Without a network the script says so and falls back to scikit-learn's 8x8
digits (1500 training and 297 test images). The network is the same for both: its convolutions
keep the image size and each pooling halves it, so only the size of the final `Linear` layer
depends on the image size. The 8x8 digits are used as they are rather than upsampled to 28x28:
upsampling adds no information but would make every convolution 12 times more expensive.

On full MNIST the default 3 epochs should reach about 99% test accuracy (at least 98%); this
could not be checked on the machine the examples were developed on, which has no network.

Run it::

    python examples/cnn_mnist.py                     # MNIST, or the 8x8 digits when offline
    python examples/cnn_mnist.py --dataset digits    # the 8x8 digits directly
    python examples/cnn_mnist.py --smoke             # a few steps, to check the setup works
    mpiexec -n 2 python examples/cnn_mnist.py --distributed   # data-parallel on 2 processes
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from data_parallel import DataParallel
from datasets import load_digits_fallback, load_mnist
from tqdm import tqdm

import autocompyute as ac
import autocompyute.nn.functional as F
from autocompyute import nn

N_CLASSES = 10
# Full passes over the training data when --epochs is not given: MNIST is 40 times larger.
DEFAULT_EPOCHS = {"mnist": 3, "digits": 30}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="passes over the training set (default: 3 on MNIST, 30 on digits)",
    )
    parser.add_argument("--batch-size", type=int, default=64, help="images per update")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate")
    parser.add_argument(
        "--dataset",
        choices=("mnist", "digits"),
        default="mnist",
        help="mnist (falls back to digits when offline) or digits",
    )
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--seed", type=int, default=0, help="random seed (weights, batches)")
    parser.add_argument(
        "--data-dir",
        default=None,
        help="cache folder for the MNIST download (default examples/data_cache)",
    )
    parser.add_argument(
        "--distributed",
        action="store_true",
        help="data-parallel over the processes of mpiexec -n N (see examples/data_parallel.py)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="one short epoch on 256 images: a quick check that everything runs",
    )
    return parser.parse_args(argv)


# ----------------------------------------------------------------------------------------------
# data


def load_images(args: argparse.Namespace) -> tuple[np.ndarray, ...]:
    """Returns (x_train, y_train, x_test, y_test): uint8 images (N, H, W), int64 labels."""
    if args.dataset == "digits":
        return load_digits_fallback()
    # fallback=True prints a notice and returns the 8x8 digits when MNIST cannot be fetched.
    return load_mnist(cache_dir=args.data_dir, fallback=True)


def standardize(images: np.ndarray, mean: float, std: float) -> np.ndarray:
    """uint8 (N, H, W) -> float32 (N, 1, H, W) with zero mean and unit variance.

    Inputs centred around zero with unit scale keep the first layer's activations in a range
    where training is well behaved. The statistics come from the training set only.
    """
    return ((images.astype(np.float32) - mean) / std)[:, None]


# ----------------------------------------------------------------------------------------------
# the model


def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """Conv 3x3 (same size) -> batch norm -> ReLU -> 2x2 max pooling (halves height and width).

    The convolution has no bias: batch normalization subtracts the per-channel mean right after
    it, which would cancel any bias, and adds its own learned shift instead.
    """
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm(out_channels),
        nn.ReLU(),
        nn.MaxPool2d(2),
    )


class CNN(nn.Module):
    """Two convolution blocks and a small classifier head.

    Args:
        image_size: height (= width) of the input images, e.g. 28 or 8.

    Shapes:
        input (B, 1, image_size, image_size) -> logits (B, 10).
    """

    def __init__(self, image_size: int) -> None:
        super().__init__()
        self.features = nn.Sequential(conv_block(1, 16), conv_block(16, 32))
        reduced = image_size // 4  # two 2x2 poolings
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(0.25),  # regularizes the head, which holds most of the parameters
            nn.Linear(32 * reduced * reduced, 128),
            nn.ReLU(),
            nn.Dropout(0.25),
            nn.Linear(128, N_CLASSES),
        )

    def forward(self, x: ac.Tensor) -> ac.Tensor:
        return self.classifier(self.features(x))


# ----------------------------------------------------------------------------------------------
# training and evaluation


def evaluate(model: CNN, x: ac.Tensor, y: ac.Tensor, batch_size: int, device: str) -> float:
    """Accuracy on (x, y), in batches so that the whole test set need not fit in memory."""
    model.eval()  # dropout off, batch norm uses its running statistics
    correct = 0
    loader = nn.Dataloader((x, y), batch_size=batch_size, device=device, shuffle_data=False)
    with ac.no_autograd_tracking():
        for x_batch, y_batch in loader:
            predictions = model(x_batch).argmax(dim=-1)
            correct += int((predictions == y_batch).as_numpy().sum())
    return correct / len(x)


def main(argv: list[str] | None = None) -> float:
    """Trains the CNN and returns the test accuracy (a fraction in [0, 1])."""
    args = parse_args(argv)
    ac.set_random_seed(args.seed)
    start = time.perf_counter()
    parallel = DataParallel.setup(args.distributed)
    log = print if parallel.is_main else lambda *_: None

    x_train, y_train, x_test, y_test = load_images(args)
    dataset = "mnist" if x_train.shape[1] == 28 else "digits"
    if args.smoke:
        x_train, y_train, x_test, y_test = x_train[:256], y_train[:256], x_test[:128], y_test[:128]
    mean, std = float(x_train.mean()), float(x_train.std())
    # The data stay on the CPU; the loader moves each batch to the device.
    x_train, x_test = (ac.tensor(standardize(images, mean, std)) for images in (x_train, x_test))
    y_train, y_test = ac.tensor(y_train), ac.tensor(y_test)
    x_train, y_train = parallel.shard(x_train, y_train)  # this process's share

    model = CNN(image_size=x_train.shape[-1]).to(args.device)
    trained = parallel.wrap(model)  # averages the gradients over the processes
    optimizer = nn.optimizers.Adam(model.parameters(), lr=args.lr)
    loader = nn.Dataloader((x_train, y_train), batch_size=args.batch_size, device=args.device)
    log(
        f"{dataset}: {len(x_train)} training and {len(x_test)} test images of "
        f"{x_train.shape[-2]}x{x_train.shape[-1]} pixels; model has {model.n_params} parameters"
    )

    epochs = 1 if args.smoke else args.epochs or DEFAULT_EPOCHS[dataset]
    for epoch in range(1, epochs + 1):
        model.train()  # evaluate() switched to eval mode: switch back every epoch
        total_loss, n_batches = 0.0, 0
        progress = tqdm(
            loader, desc=f"epoch {epoch}/{epochs}", leave=False, disable=not parallel.is_main
        )
        for x, y in progress:
            loss = F.cross_entropy_loss(trained(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
            n_batches += 1
            progress.set_postfix(loss=f"{total_loss / n_batches:.4f}", refresh=False)
        test_accuracy = evaluate(model, x_test, y_test, 256, args.device)
        log(
            f"epoch {epoch:3d}/{epochs}  train loss {parallel.mean(total_loss / n_batches):.4f}  "
            f"test accuracy {test_accuracy:.2%}"
        )

    log(f"test accuracy: {test_accuracy:.2%} ({dataset}, {time.perf_counter() - start:.0f} s)")
    return test_accuracy


if __name__ == "__main__":
    main()
