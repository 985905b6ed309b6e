"""Shared pytest configuration: the `cuda` marker skips cleanly without CuPy and a GPU."""

import pytest

import autocompyute as ac


def pytest_collection_modifyitems(config, items):
    if ac.cuda_available():
        return
    skip = pytest.mark.skip(reason="needs CuPy and an NVIDIA GPU")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seed():
    ac.set_random_seed(0)
    yield
