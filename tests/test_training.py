"""End to end: models train for real (an MLP on digits, an LSTM and a transformer on toys)."""

import numpy as np
import pytest

import autocompyute as ac
import autocompyute.nn.functional as F
from autocompyute import nn
from autocompyute.nn.optimizers import Adam


def test_mlp_learns_digits():
    datasets = pytest.importorskip("sklearn.datasets")
    images, labels = datasets.load_digits(return_X_y=True)  # 1797 8x8 images, no download
    order = np.random.default_rng(0).permutation(len(images))
    images = (images[order] / 16.0).astype(np.float32)
    labels = labels[order].astype(np.int64)
    split = 1400
    x_train, y_train = ac.tensor(images[:split]), ac.tensor(labels[:split])
    x_test, y_test = ac.tensor(images[split:]), ac.tensor(labels[split:])

    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = Adam(model.parameters(), lr=3e-3)
    loader = nn.Dataloader((x_train, y_train), batch_size=32)
    losses = []
    for _ in range(8):
        model.train()
        for x, y in loader:
            loss = F.cross_entropy_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    model.eval()
    with ac.no_autograd_tracking():
        predictions = model(x_test).argmax(-1)
    accuracy = float((predictions.data == y_test.data).mean())
    assert np.mean(losses[-20:]) < np.mean(losses[:20]) / 5
    assert accuracy >= 0.95, f"test accuracy {accuracy:.3f}"


def test_lstm_learns_to_continue_a_sine_wave():
    # Toy task: from 12 samples of a sine wave with a random phase, predict the next sample.
    rng = np.random.default_rng(0)
    phases = rng.uniform(0, 2 * np.pi, 256)
    steps = np.arange(13) * 0.4
    waves = np.sin(phases[:, None] + steps[None, :]).astype(np.float32)
    x, y = ac.tensor(waves[:, :12, None]), ac.tensor(waves[:, 12:])

    lstm, head = nn.LSTM(1, 16, return_seq=False), nn.Linear(16, 1)
    optimizer = Adam([*lstm.parameters(), *head.parameters()], lr=1e-2)
    losses = []
    for _ in range(3):
        for x_batch, y_batch in nn.Dataloader((x, y), batch_size=32):
            loss = F.mse_loss(head(lstm(x_batch)), y_batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    assert np.mean(losses[-4:]) < np.mean(losses[:4]) / 5, losses


class _TinyGPT(nn.Module):
    def __init__(self, vocab: int, context: int, width: int) -> None:
        super().__init__()
        self.tokens = nn.Embedding(vocab, width)
        self.positions = nn.Embedding(context, width)
        self.norm1 = nn.LayerNorm(width)
        causal = ac.ones(context, context).tril() == 1
        self.attention = nn.MultiHeadSelfAttention(width, 2, mask=causal)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(
            nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, width)
        )
        self.head = nn.Linear(width, vocab)

    def forward(self, tokens: ac.Tensor) -> ac.Tensor:
        positions = ac.arange(tokens.shape[1])
        x = self.tokens(tokens) + self.positions(positions)
        x = x + self.attention(self.norm1(x))
        x = x + self.mlp(self.norm2(x))
        return self.head(x)


def test_tiny_transformer_learns_a_counting_sequence():
    # Toy task: sequences that count up modulo the vocabulary; the next token is predictable
    # from the current one, so a causal transformer can drive the loss far below ln(vocab).
    vocab, context = 11, 8
    rng = np.random.default_rng(0)
    starts = rng.integers(0, vocab, 256)
    sequences = (starts[:, None] + np.arange(context + 1)[None, :]) % vocab
    inputs, targets = ac.tensor(sequences[:, :-1]), ac.tensor(sequences[:, 1:])

    model = _TinyGPT(vocab, context, width=16)
    optimizer = nn.optimizers.AdamW(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(4):
        for x_batch, y_batch in nn.Dataloader((inputs, targets), batch_size=32):
            loss = F.cross_entropy_loss(model(x_batch), y_batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    assert losses[0] > 2.0  # about ln(11) = 2.4 at the start
    assert np.mean(losses[-4:]) < 0.3, losses
