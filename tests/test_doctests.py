"""Runs the `>>>` examples in the installed package's docstrings."""

import doctest
import importlib
import pkgutil

import pytest

import autocompyute


def _modules() -> list[str]:
    names = ["autocompyute"]
    for info in pkgutil.walk_packages(autocompyute.__path__, "autocompyute."):
        if not info.name.split(".")[-1].startswith("_"):
            names.append(info.name)
    return names


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
