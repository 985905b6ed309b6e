"""Forecasting monthly airline passengers with an LSTM, and plotting the forecast.

What it shows:

- preparing a time series for a recurrent network: a scaling that suits the data, sliding
  windows of past values as inputs and the next value as the target, and a split in time
  (train on the past, test on the future, never shuffled across the split);
- `nn.LSTM(..., return_seq=False)`, which reads a window of shape (B, T, features) and returns
  its last hidden state (B, hidden), followed by a `Linear` read-out;
- `F.mse_loss`, and plotting truth against forecast with matplotlib.

Data: the classic series of monthly international airline passengers (thousands), 1949-1960,
144 values (bundled with the examples). The first 96 months (1949-1956) are for training, the
last 48 (1957-1960) for testing.

Why log ratios: the series grows about fivefold (from 104 to 622 thousand) and its seasonal
swings grow with it, so the test period holds values never seen in training. A network fitted
to raw or min-max scaled values would have to extrapolate, which tanh/sigmoid units do badly.
Logarithms turn growth into a trend and proportional swings into constant ones, and expressing
each window relative to its last month (log x_t - log x_last) removes the level altogether: the
network only learns "how does next month compare to this month, given the last year's shape",
which is the same question in 1950 and in 1960.

The forecast is one step ahead: each test month is predicted from the 12 true months before
it. As a yardstick the script also prints the error of the naive forecast "same as last month".

Run it::

    python examples/lstm_air_passengers.py            # writes examples/output/*.png
    python examples/lstm_air_passengers.py --smoke    # a few steps, to check the setup works
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from data_parallel import DataParallel
from datasets import load_airline_passengers
from tqdm import tqdm

import autocompyute as ac
import autocompyute.nn.functional as F
from autocompyute import nn

WINDOW = 12  # months of history per forecast: one full seasonal cycle
TRAIN_MONTHS = 96  # 1949-01 .. 1956-12; the remaining 48 months are the test period
DEFAULT_OUTPUT_DIR = Path(__file__).resolve().parent / "output"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=150, help="passes over the training set")
    parser.add_argument("--batch-size", type=int, default=16, help="windows per update")
    parser.add_argument("--hidden", type=int, default=32, help="LSTM hidden state size")
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam's learning rate")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--seed", type=int, default=0, help="random seed (weights, batches)")
    parser.add_argument(
        "--data-dir", default=None, help="unused (the series is bundled); kept for symmetry"
    )
    parser.add_argument(
        "--output-dir",
        default=str(DEFAULT_OUTPUT_DIR),
        help="where the plot is written (default examples/output)",
    )
    parser.add_argument(
        "--distributed",
        action="store_true",
        help="data-parallel over the processes of mpiexec -n N (see examples/data_parallel.py)",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="3 epochs: a quick check that everything runs"
    )
    return parser.parse_args(argv)


# ----------------------------------------------------------------------------------------------
# data: log ratios in sliding windows


def make_windows(passengers: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cuts the series into (inputs, targets, target_months).

    For every month t >= WINDOW: inputs are log(x[t-WINDOW:t]) - log(x[t-1]), shape (WINDOW, 1);
    the target is log(x[t]) - log(x[t-1]), shape (1,); target_months holds t.
    """
    log_series = np.log(passengers)
    # Row i of `windows` holds months i .. i+WINDOW; the last column is the month to predict.
    windows = np.lib.stride_tricks.sliding_window_view(log_series, WINDOW + 1)
    last_known = windows[:, WINDOW - 1 : WINDOW]
    inputs = (windows[:, :WINDOW] - last_known)[..., None]
    targets = windows[:, WINDOW:] - last_known
    months = np.arange(WINDOW, len(passengers))
    return inputs.astype(np.float32), targets.astype(np.float32), months


class Standardizer:
    """Scales to zero mean and unit variance with statistics of the training data only.

    The log ratios are small numbers (a few hundredths); unit scale suits the network's
    initialization and the optimizer's default step sizes.
    """

    def __init__(self, values: np.ndarray) -> None:
        self.mean, self.std = float(values.mean()), float(values.std())

    def scale(self, values: np.ndarray) -> np.ndarray:
        return (values - self.mean) / self.std

    def unscale(self, values: np.ndarray) -> np.ndarray:
        return values * self.std + self.mean


# ----------------------------------------------------------------------------------------------
# the model


class Forecaster(nn.Module):
    """An LSTM reads the window; a linear layer turns its final state into the forecast.

    Shapes:
        input (B, WINDOW, 1) -> output (B, 1).
    """

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, return_seq=False)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: ac.Tensor) -> ac.Tensor:
        return self.head(self.lstm(x))


def predict(model: Forecaster, inputs: np.ndarray, device: str) -> np.ndarray:
    model.eval()
    with ac.no_autograd_tracking():
        return model(ac.tensor(inputs, device=device)).as_numpy()


def rmse(forecast: np.ndarray, truth: np.ndarray) -> float:
    return float(np.sqrt(np.mean((forecast - truth) ** 2)))


# ----------------------------------------------------------------------------------------------
# plotting


def plot_forecast(
    path: Path,
    months: np.ndarray,
    passengers: np.ndarray,
    forecast_months: np.ndarray,
    forecast: np.ndarray,
    test_rmse: float,
) -> None:
    """Saves truth vs forecast as a PNG (matplotlib's Agg backend: no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    years = 1949 + np.arange(len(passengers)) / 12  # fractional years for the x axis
    figure, axes = plt.subplots(figsize=(9, 4.5), dpi=100)
    axes.plot(years, passengers, color="black", linewidth=1.5, label="actual")
    axes.plot(
        years[forecast_months],
        forecast,
        color="tab:orange",
        linewidth=1.5,
        marker=".",
        label=f"LSTM one-step forecast (test RMSE {test_rmse:.1f})",
    )
    axes.axvline(years[TRAIN_MONTHS], color="gray", linestyle="--", linewidth=1)
    axes.text(
        years[TRAIN_MONTHS] - 0.15,
        passengers.max(),
        "train | test",
        ha="center",
        va="top",
        color="gray",
    )
    axes.set_xlabel("year")
    axes.set_ylabel("passengers (thousands)")
    axes.set_title(f"Monthly airline passengers {months[0]} to {months[-1]}")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


# ----------------------------------------------------------------------------------------------
# training


def main(argv: list[str] | None = None) -> float:
    """Trains the forecaster, writes the plot and returns the test RMSE (thousands)."""
    args = parse_args(argv)
    ac.set_random_seed(args.seed)
    start = time.perf_counter()
    parallel = DataParallel.setup(args.distributed)
    log = print if parallel.is_main else lambda *_: None

    months, passengers = load_airline_passengers()
    inputs, targets, target_months = make_windows(passengers)
    is_train = target_months < TRAIN_MONTHS  # split by the month predicted, not at random
    scaler = Standardizer(targets[is_train])
    x_train = ac.tensor(scaler.scale(inputs[is_train]))
    y_train = ac.tensor(scaler.scale(targets[is_train]))
    x_train, y_train = parallel.shard(x_train, y_train)  # this process's share

    model = Forecaster(args.hidden).to(args.device)
    trained = parallel.wrap(model)  # averages the gradients over the processes
    optimizer = nn.optimizers.Adam(model.parameters(), lr=args.lr)
    loader = nn.Dataloader((x_train, y_train), batch_size=args.batch_size, device=args.device)
    log(
        f"{len(x_train)} training windows, {int((~is_train).sum())} test windows of "
        f"{WINDOW} months; model has {model.n_params} parameters"
    )

    epochs = 3 if args.smoke else args.epochs
    progress = tqdm(range(1, epochs + 1), desc="training", disable=not parallel.is_main)
    for epoch in progress:
        model.train()
        total_loss = 0.0
        for x, y in loader:
            loss = F.mse_loss(trained(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
        progress.set_postfix(loss=f"{total_loss / len(loader):.4f}", refresh=False)
        mean_loss = parallel.mean(total_loss / len(loader))
        if (epoch % 25 == 0 or epoch == epochs) and parallel.is_main:
            tqdm.write(f"epoch {epoch:4d}/{epochs}  train loss {mean_loss:.4f}")

    # Undo the scaling and the log ratio: forecast = last known month * exp(predicted ratio).
    predicted_ratio = scaler.unscale(predict(model, scaler.scale(inputs), args.device))[:, 0]
    forecast = passengers[target_months - 1] * np.exp(predicted_ratio)
    truth = passengers[target_months]
    test = ~is_train
    test_rmse = rmse(forecast[test], truth[test])
    naive_rmse = rmse(passengers[target_months[test] - 1], truth[test])
    log(
        f"train RMSE {rmse(forecast[is_train], truth[is_train]):.1f}, naive forecast "
        f"('same as last month') test RMSE {naive_rmse:.1f}"
    )

    plot_path = Path(args.output_dir) / "lstm_air_passengers.png"
    if parallel.is_main:
        plot_forecast(plot_path, months, passengers, target_months[test], forecast[test], test_rmse)
    log(f"plot written to {plot_path}")
    log(f"test RMSE: {test_rmse:.1f} thousand passengers ({time.perf_counter() - start:.0f} s)")
    return test_rmse


if __name__ == "__main__":
    main()
