"""Shared pytest configuration: the `cuda` marker skips cleanly without CuPy and a GPU."""

import os

import pytest

import autocompyute as ac
from autocompyute.testing import import_torch


def pytest_addoption(parser):
    parser.addoption(
        "--fuzz-cases",
        type=int,
        default=None,
        help="cases of tests/test_fuzz.py (default 300, or $AUTOCOMPYUTE_FUZZ_CASES)",
    )


def pytest_collection_modifyitems(config, items):
    if ac.cuda_available():
        return
    skip = pytest.mark.skip(reason="needs CuPy and an NVIDIA GPU")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def _outside_the_source_tree(tmp_path_factory):
    """Runs the tests from an empty folder. A child `python -c ...` puts its working directory
    first on sys.path: started from a checkout whose package was installed without `-e` (as the
    README's `pip install ".[test]" && pytest` does), it would import the source folder, which
    has no compiled engine, instead of the installed package."""
    previous = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    yield
    os.chdir(previous)


@pytest.fixture(autouse=True)
def _seed():
    ac.set_random_seed(0)
    yield


@pytest.fixture
def one_thread():
    """PyTorch (if installed) and NumPy's BLAS on one thread for the test: on a busy machine their
    thread pools spin on the small matrix products of the tests and make them many times slower."""
    import contextlib
    import importlib.util

    # Only where PyTorch is installed: the tests here that need none must still run.
    try:
        installed = importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        installed = False
    torch = import_torch() if installed else None
    threads = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(1)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        limits = contextlib.nullcontext()
    else:
        limits = threadpool_limits(limits=1, user_api="blas")
    with limits:
        yield
    if torch is not None:
        torch.set_num_threads(threads)
