"""End to end: an MLP trained with Adam on scikit-learn's digits reaches >= 95% test accuracy."""

import numpy as np
import pytest

import autocompyute as ac
import autocompyute.nn.functional as F
from autocompyute import nn
from autocompyute.nn.optimizers import Adam

datasets = pytest.importorskip("sklearn.datasets")


def test_mlp_learns_digits():
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
