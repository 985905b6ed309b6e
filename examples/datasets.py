"""Data loaders for the examples: MNIST, Tiny Shakespeare, airline passengers, 8x8 digits.

The full data sets are downloaded once into a cache folder (`examples/data_cache/` unless told
otherwise) and verified against their published SHA-256 checksums and sizes. Without a network,
the loaders raise `DatasetUnavailableError`, which names the URL to fetch by hand and where to put
the file; with `fallback=True` they print a notice and return a small data set bundled with the
examples (or with scikit-learn) instead, so every example runs offline.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import urllib.request
from pathlib import Path
from typing import NamedTuple

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_CACHE_DIR = Path(__file__).resolve().parent / "data_cache"


class RemoteFile(NamedTuple):
    """A file to download: its name, the URLs to try in order, and what it must hash to."""

    name: str
    urls: tuple[str, ...]
    size: int  # bytes
    sha256: str


_MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)


def _mnist_file(name: str, size: int, sha256: str) -> RemoteFile:
    return RemoteFile(name, tuple(mirror + name for mirror in _MNIST_MIRRORS), size, sha256)


# The gzipped IDX files as published by LeCun, Cortes and Burges (checksums as listed by
# torchvision and TensorFlow Datasets for the same files).
MNIST_FILES = {
    "train_images": _mnist_file(
        "train-images-idx3-ubyte.gz",
        9912422,
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    ),
    "train_labels": _mnist_file(
        "train-labels-idx1-ubyte.gz",
        28881,
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    ),
    "test_images": _mnist_file(
        "t10k-images-idx3-ubyte.gz",
        1648877,
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    ),
    "test_labels": _mnist_file(
        "t10k-labels-idx1-ubyte.gz",
        4542,
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    ),
}

TINY_SHAKESPEARE = RemoteFile(
    "tinyshakespeare.txt",
    ("https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",),
    1115394,
    "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
)

# IDX element type codes -> big-endian NumPy dtypes.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DatasetUnavailableError(RuntimeError):
    """A data set could not be downloaded (offline, blocked, or a corrupt download)."""


# ----------------------------------------------------------------------------------------------
# downloading and caching


def download(url: str, destination: Path, timeout: float = 30.0) -> None:
    """Downloads `url` to `destination` (raises `OSError` on network failure)."""
    with urllib.request.urlopen(url, timeout=timeout) as response, destination.open("wb") as out:
        while chunk := response.read(1 << 20):
            out.write(chunk)


def _checksum_problem(path: Path, remote: RemoteFile) -> str | None:
    """Why `path` is not the expected file, or None if its size and SHA-256 match."""
    size = path.stat().st_size
    if size != remote.size:
        return f"has {size} bytes, expected {remote.size}"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != remote.sha256:
        return f"has SHA-256 {digest}, expected {remote.sha256}"
    return None


def fetch(remote: RemoteFile, cache_dir: str | Path | None = None) -> Path:
    """Returns the path of `remote` in the cache, downloading and verifying it first if needed.

    Args:
        remote: the file to fetch.
        cache_dir: folder for downloads; default `examples/data_cache/`.

    Returns:
        The path of the verified file.

    Raises:
        DatasetUnavailableError: no URL gave a file with the right checksum.
    """
    cache = Path(DEFAULT_CACHE_DIR if cache_dir is None else cache_dir)
    path = cache / remote.name
    if path.exists():
        if _checksum_problem(path, remote) is None:
            return path
        path.unlink()  # a corrupt or truncated earlier download: fetch it again
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    failures = []
    for url in remote.urls:
        try:
            download(url, partial)
            problem = _checksum_problem(partial, remote)
        except OSError as error:
            failures.append(f"{url}: {error}")
            continue
        if problem is None:
            os.replace(partial, path)
            return path
        failures.append(f"{url}: the download {problem}")
    partial.unlink(missing_ok=True)
    raise DatasetUnavailableError(
        f"could not download {remote.name} ({'; '.join(failures)}). Without a network, "
        f"download {remote.urls[0]} by hand and save it as {path}"
    )


def _notice(message: str) -> None:
    print(f"[datasets] {message}")


# ----------------------------------------------------------------------------------------------
# MNIST


def parse_idx(data: bytes) -> np.ndarray:
    """Parses an IDX file (the MNIST format) into an array of its shape and element type.

    Args:
        data: the file's bytes (already decompressed).

    Returns:
        The array, in native byte order.

    >>> parse_idx(bytes([0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 2, 7, 9]))
    array([[7, 9]], dtype=uint8)
    """
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise ValueError("parse_idx: not an IDX file (bad magic number)")
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError("parse_idx: truncated header")
    shape = tuple(int(n) for n in np.frombuffer(data, ">u4", count=ndim, offset=4))
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(
            f"parse_idx: header says shape {shape} ({expected} bytes of data), file has "
            f"{len(data) - header} bytes of data"
        )
    return np.frombuffer(data, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def load_mnist(
    cache_dir: str | Path | None = None, fallback: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Loads MNIST (downloaded once, ~11 MB, checksums verified).

    Args:
        cache_dir: folder for the four `.gz` files; default `examples/data_cache/`.
        fallback: if MNIST cannot be downloaded, print a notice and return scikit-learn's 8x8
            digits instead (`load_digits_fallback`) rather than raising.

    Returns:
        `(x_train, y_train, x_test, y_test)`: images uint8 (N, 28, 28) in 0..255 (60000 train,
        10000 test), labels int64 (N,) in 0..9.

    Raises:
        DatasetUnavailableError: the download failed and `fallback` is False.
    """
    try:
        paths = {key: fetch(remote, cache_dir) for key, remote in MNIST_FILES.items()}
    except DatasetUnavailableError as error:
        if fallback:
            _notice(f"MNIST is unavailable ({error}). Using scikit-learn's 8x8 digits instead.")
            return load_digits_fallback()
        folder = Path(DEFAULT_CACHE_DIR if cache_dir is None else cache_dir)
        urls = ", ".join(remote.urls[0] for remote in MNIST_FILES.values())
        raise DatasetUnavailableError(
            f"MNIST: {error}. All four files belong in {folder}: {urls}"
        ) from error
    arrays = {key: parse_idx(gzip.decompress(path.read_bytes())) for key, path in paths.items()}
    return (
        arrays["train_images"],
        arrays["train_labels"].astype(np.int64),
        arrays["test_images"],
        arrays["test_labels"].astype(np.int64),
    )


def load_digits_fallback(
    test_size: int = 297,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Loads scikit-learn's 8x8 handwritten digits (1797 images, bundled, no download).

    Scaled to MNIST's conventions so that examples treat both alike.

    Args:
        test_size: how many images (taken from the end) form the test split.

    Returns:
        `(x_train, y_train, x_test, y_test)`: images uint8 (N, 8, 8) in 0..255, labels int64
        (N,) in 0..9; 1500 train and 297 test images by default.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:
        raise DatasetUnavailableError(
            "load_digits_fallback needs scikit-learn: pip install scikit-learn"
        ) from error
    digits = load_digits()
    images = np.rint(digits.images * (255 / 16)).astype(np.uint8)  # 0..16 -> 0..255
    labels = digits.target.astype(np.int64)
    split = len(images) - test_size
    return images[:split], labels[:split], images[split:], labels[split:]


# ----------------------------------------------------------------------------------------------
# text and time series


def load_shakespeare(cache_dir: str | Path | None = None, fallback: bool = False) -> str:
    """Loads Tiny Shakespeare (downloaded once, 1.1 MB, checksum verified).

    Args:
        cache_dir: folder for the download; default `examples/data_cache/`.
        fallback: if the download fails, print a notice and return the bundled text of
            *Coriolanus* (165 KB, the play Tiny Shakespeare opens with) instead of raising.

    Returns:
        The text.

    Raises:
        DatasetUnavailableError: the download failed and `fallback` is False.
    """
    try:
        path = fetch(TINY_SHAKESPEARE, cache_dir)
    except DatasetUnavailableError as error:
        if not fallback:
            raise
        _notice(
            f"Tiny Shakespeare is unavailable ({error}). Using the bundled text of Coriolanus "
            "(165 KB) instead."
        )
        path = DATA_DIR / "shakespeare-coriolanus.txt"
    return path.read_text(encoding="utf-8")


def load_airline_passengers() -> tuple[np.ndarray, np.ndarray]:
    """Loads the monthly airline passenger counts, 1949-01 to 1960-12 (bundled, no download).

    Returns:
        `(months, passengers)`: months as strings "YYYY-MM" (144,), passengers in thousands,
        float32 (144,).

    >>> months, passengers = load_airline_passengers()
    >>> print(months[0], passengers[0], passengers.shape)
    1949-01 112.0 (144,)
    """
    lines = (DATA_DIR / "airline-passengers.csv").read_text(encoding="utf-8").split()
    if lines[0] != "Date,Passengers":
        raise ValueError(f"load_airline_passengers: unexpected header {lines[0]!r}")
    months, counts = zip(*(line.split(",") for line in lines[1:]))
    return np.array(months), np.array(counts, dtype=np.float32)
