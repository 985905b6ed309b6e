"""Runs every example script in --smoke mode, in-process and without any network."""

import importlib
import json
import math
from pathlib import Path

import numpy as np
import pytest

import autocompyute as ac

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

pytest.importorskip("tqdm")


@pytest.fixture
def load_example(monkeypatch):
    """Imports an example script as a module, with downloads made to fail at once.

    The examples import `datasets` (examples/datasets.py) as a top-level module, as they do
    when run as scripts, so the examples folder goes on sys.path. Failing downloads exercise
    the offline fallbacks and keep the tests off the network.
    """
    monkeypatch.syspath_prepend(str(EXAMPLES))

    def load(name):
        module = importlib.import_module(name)
        datasets = importlib.import_module("datasets")
        assert Path(datasets.__file__).parent == EXAMPLES

        def no_network(remote, cache_dir=None):
            raise datasets.DatasetUnavailableError(f"{remote.name}: no network in the tests")

        monkeypatch.setattr(datasets, "fetch", no_network)
        return module

    return load


def test_mlp_from_scratch(load_example, capsys):
    pytest.importorskip("sklearn")
    accuracy = load_example("mlp_from_scratch").main(["--smoke", "--seed", "1"])
    assert 0.0 <= accuracy <= 1.0
    assert accuracy > 0.3  # two epochs on 200 images already beat guessing (10%)
    assert "test accuracy: " in capsys.readouterr().out


def test_mlp_from_scratch_draws_its_graph(load_example, tmp_path):
    pytest.importorskip("sklearn")
    path = tmp_path / "graph.md"
    load_example("mlp_from_scratch").main(["--smoke", "--draw-graph", str(path)])
    text = path.read_text()
    assert "flowchart" in text
    assert text.count("Weights") == 2 and "ReLU" in text and "MatMul" in text


def test_cnn_mnist_on_digits(load_example, capsys, tmp_path):
    pytest.importorskip("sklearn")
    cnn = load_example("cnn_mnist")
    accuracy = cnn.main(["--smoke", "--dataset", "digits", "--data-dir", str(tmp_path)])
    assert 0.0 <= accuracy <= 1.0
    assert "test accuracy: " in capsys.readouterr().out


def test_cnn_mnist_falls_back_to_digits_offline(load_example, capsys, tmp_path):
    pytest.importorskip("sklearn")
    cnn = load_example("cnn_mnist")
    accuracy = cnn.main(["--smoke", "--batch-size", "128", "--data-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert "MNIST is unavailable" in out
    assert "digits: 256 training" in out
    assert math.isfinite(accuracy)


def test_cnn_switches_train_and_eval_mode(load_example):
    cnn = load_example("cnn_mnist")
    model = cnn.CNN(image_size=8)
    x, y = ac.randn(6, 1, 8, 8), ac.tensor([0, 1, 2, 3, 4, 5])
    cnn.evaluate(model, x, y, batch_size=4, device="cpu")
    assert not any(module.training for module in model.modules())
    assert model(x).shape == (6, 10)


def test_lstm_air_passengers_writes_plot(load_example, capsys, tmp_path):
    pytest.importorskip("matplotlib")
    rmse = load_example("lstm_air_passengers").main(["--smoke", "--output-dir", str(tmp_path)])
    assert math.isfinite(rmse) and rmse > 0
    plot = tmp_path / "lstm_air_passengers.png"
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "test RMSE: " in capsys.readouterr().out


def test_lstm_windows_predict_the_next_month(load_example):
    lstm = load_example("lstm_air_passengers")
    series = np.arange(1.0, 31.0, dtype=np.float32)
    inputs, targets, months = lstm.make_windows(series)
    assert inputs.shape == (30 - lstm.WINDOW, lstm.WINDOW, 1)
    assert targets.shape == (30 - lstm.WINDOW, 1)
    # Window 0 covers months 0..11 relative to month 11; its target is month 12.
    np.testing.assert_allclose(np.exp(inputs[0, :, 0]) * series[11], series[:12], rtol=1e-5)
    np.testing.assert_allclose(np.exp(targets[0, 0]) * series[11], series[12], rtol=1e-5)
    assert months[0] == 12


def test_transformer_shakespeare(load_example, capsys, tmp_path):
    loss = load_example("transformer_shakespeare").main(["--smoke", "--data-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert "Using the bundled text of Coriolanus" in out
    assert "--- sample" in out
    assert math.isfinite(loss)
    assert loss < 5.0  # cross-entropy over 66 characters starts near ln 66 = 4.19


def test_transformer_causal_mask_hides_the_future(load_example):
    gpt_module = load_example("transformer_shakespeare")
    model = gpt_module.GPT(
        vocabulary_size=10, context=8, d_model=16, n_heads=2, n_layers=2, dropout=0.0
    )
    model.eval()
    ids = ac.tensor([[1, 2, 3, 4, 5, 6]])
    changed = ac.tensor([[1, 2, 3, 9, 9, 9]])
    with ac.no_autograd_tracking():
        before, after = model(ids).as_numpy(), model(changed).as_numpy()
    # Changing positions 3.. must not change the predictions made at positions 0..2.
    np.testing.assert_allclose(before[0, :3], after[0, :3], rtol=1e-5, atol=1e-6)
    assert not np.allclose(before[0, 3:], after[0, 3:])


def test_profile_transformer(load_example, capsys, tmp_path):
    trace = tmp_path / "trace.json"
    prof = load_example("profile_transformer").main(
        ["--smoke", "--data-dir", str(tmp_path), "--trace-path", str(trace)]
    )
    out = capsys.readouterr().out
    assert "Self %" in out and "Chrome trace written" in out
    steps = {e.name for e in prof.events() if e.name.startswith("ProfilerStep#")}
    assert steps == {"ProfilerStep#2", "ProfilerStep#3", "ProfilerStep#4"}
    assert json.loads(trace.read_text())["traceEvents"]
