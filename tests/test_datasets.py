"""Tests of the examples' data loaders (examples/datasets.py), without any network."""

import gzip
import hashlib
import importlib.util
import urllib.error
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_module():
    spec = importlib.util.spec_from_file_location(
        "autocompyute_example_datasets", ROOT / "examples" / "datasets.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


datasets = _load_module()


def idx_bytes(array, type_code=0x08):
    header = bytes([0, 0, type_code, array.ndim])
    header += np.asarray(array.shape, dtype=">u4").tobytes()
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def remote_for(name, payload):
    return datasets.RemoteFile(
        name,
        (f"https://example.invalid/{name}",),
        len(payload),
        hashlib.sha256(payload).hexdigest(),
    )


@pytest.fixture
def offline(monkeypatch):
    calls = []

    def fail(url, destination, timeout=30.0):
        calls.append(url)
        Path(destination).write_bytes(b"partial")  # a download that breaks halfway
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(datasets, "download", fail)
    return calls


@pytest.fixture
def fake_mnist(monkeypatch):
    """Small fake MNIST files, with the checksum table pointing at them."""
    rng = np.random.default_rng(0)
    arrays = {
        "train_images": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, 5, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, 3, dtype=np.uint8),
    }
    payloads, files = {}, {}
    for key, array in arrays.items():
        name = datasets.MNIST_FILES[key].name
        payloads[name] = gzip.compress(idx_bytes(array), mtime=0)
        files[key] = remote_for(name, payloads[name])
    monkeypatch.setattr(datasets, "MNIST_FILES", files)
    return arrays, payloads


def serve(monkeypatch, payloads):
    """Replaces the download with one that serves `payloads` by file name; returns the calls."""
    calls = []

    def fake_download(url, destination, timeout=30.0):
        calls.append(url)
        Path(destination).write_bytes(payloads[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(datasets, "download", fake_download)
    return calls


def test_parse_idx_types_and_errors():
    images = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(datasets.parse_idx(idx_bytes(images)), images)
    values = np.array([1.5, -2.0], dtype=np.float32)
    parsed = datasets.parse_idx(idx_bytes(values, 0x0D))
    assert parsed.dtype == np.float32 and parsed.dtype.isnative
    np.testing.assert_array_equal(parsed, values)
    with pytest.raises(ValueError, match="bad magic number"):
        datasets.parse_idx(b"\x1f\x8b\x08\x00")
    with pytest.raises(ValueError, match=r"shape \(2, 3, 4\)"):
        datasets.parse_idx(idx_bytes(images)[:-1])


def test_mnist_checksum_table_is_complete():
    for remote in datasets.MNIST_FILES.values():
        assert len(remote.sha256) == 64 and remote.size > 0
        assert all(url.startswith("https://") and url.endswith(remote.name) for url in remote.urls)


def test_mnist_from_cache_does_not_download(tmp_path, fake_mnist, offline):
    arrays, payloads = fake_mnist
    for name, payload in payloads.items():
        (tmp_path / name).write_bytes(payload)
    x_train, y_train, x_test, y_test = datasets.load_mnist(tmp_path)
    assert offline == []
    np.testing.assert_array_equal(x_train, arrays["train_images"])
    np.testing.assert_array_equal(x_test, arrays["test_images"])
    assert x_train.dtype == np.uint8 and y_train.dtype == np.int64
    np.testing.assert_array_equal(y_train, arrays["train_labels"])
    np.testing.assert_array_equal(y_test, arrays["test_labels"])


def test_mnist_downloads_once(tmp_path, fake_mnist, monkeypatch):
    _, payloads = fake_mnist
    calls = serve(monkeypatch, payloads)
    cache = tmp_path / "nested" / "cache"
    first = datasets.load_mnist(cache)
    assert len(calls) == 4 and sorted(p.name for p in cache.iterdir()) == sorted(payloads)
    second = datasets.load_mnist(cache)
    assert len(calls) == 4
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_corrupt_cache_is_downloaded_again(tmp_path, fake_mnist, monkeypatch):
    _, payloads = fake_mnist
    for name, payload in payloads.items():
        (tmp_path / name).write_bytes(payload)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"truncated")
    calls = serve(monkeypatch, payloads)
    datasets.load_mnist(tmp_path)
    assert [url.rsplit("/", 1)[1] for url in calls] == ["t10k-labels-idx1-ubyte.gz"]


def test_wrong_checksum_download_is_rejected(tmp_path, fake_mnist, monkeypatch):
    _, payloads = fake_mnist
    tampered = {name: bytes([payload[0] ^ 1]) + payload[1:] for name, payload in payloads.items()}
    serve(monkeypatch, tampered)
    with pytest.raises(datasets.DatasetUnavailableError, match="has SHA-256"):
        datasets.load_mnist(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_mnist_offline_error_names_url_and_folder(tmp_path, offline):
    with pytest.raises(datasets.DatasetUnavailableError) as info:
        datasets.load_mnist(tmp_path)
    message = str(info.value)
    assert "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz" in message
    assert "https://storage.googleapis.com/cvdf-datasets/mnist/" in message  # second mirror
    assert "no network" in message
    assert f"save it as {tmp_path / 'train-images-idx3-ubyte.gz'}" in message
    assert "t10k-labels-idx1-ubyte.gz" in message  # all four files are named
    assert len(offline) == 2  # both mirrors tried
    assert list(tmp_path.iterdir()) == []  # no partial files left behind


def test_mnist_fallback_prints_notice(tmp_path, offline, capsys):
    pytest.importorskip("sklearn")
    x_train, y_train, x_test, _ = datasets.load_mnist(tmp_path, fallback=True)
    assert "MNIST is unavailable" in capsys.readouterr().out
    assert x_train.shape == (1500, 8, 8) and x_test.shape == (297, 8, 8)
    assert y_train.shape == (1500,)


def test_digits_fallback():
    pytest.importorskip("sklearn")
    x_train, y_train, x_test, y_test = datasets.load_digits_fallback()
    assert x_train.dtype == np.uint8 and y_train.dtype == np.int64
    assert x_train.shape == (1500, 8, 8) and y_train.shape == (1500,)
    assert x_test.shape == (297, 8, 8) and y_test.shape == (297,)
    assert x_train.max() == 255 and x_train.min() == 0
    assert set(np.unique(y_train)) == set(range(10))
    again = datasets.load_digits_fallback()
    np.testing.assert_array_equal(again[0], x_train)


def test_airline_passengers():
    months, passengers = datasets.load_airline_passengers()
    assert months.shape == passengers.shape == (144,)
    assert passengers.dtype == np.float32
    assert (months[0], months[-1]) == ("1949-01", "1960-12")
    assert (passengers[0], passengers[-1]) == (112.0, 432.0)
    assert passengers.min() > 0


def test_shakespeare_from_cache(tmp_path, monkeypatch, offline):
    text = "First Citizen:\nBefore we proceed any further, hear me speak.\n"
    payload = text.encode()
    monkeypatch.setattr(datasets, "TINY_SHAKESPEARE", remote_for("tinyshakespeare.txt", payload))
    (tmp_path / "tinyshakespeare.txt").write_bytes(payload)
    assert datasets.load_shakespeare(tmp_path) == text
    assert offline == []


def test_shakespeare_offline_error_and_fallback(tmp_path, offline, capsys):
    with pytest.raises(datasets.DatasetUnavailableError) as info:
        datasets.load_shakespeare(tmp_path)
    message = str(info.value)
    assert "karpathy/char-rnn/master/data/tinyshakespeare/input.txt" in message
    assert str(tmp_path / "tinyshakespeare.txt") in message
    assert list(tmp_path.iterdir()) == []

    text = datasets.load_shakespeare(tmp_path, fallback=True)
    assert "Coriolanus" in capsys.readouterr().out
    assert text.startswith("THE TRAGEDY OF CORIOLANUS") and len(text) > 150_000
