"""Utilities outside the network itself; `autocompyute.utils.data` is PyTorch's data loading."""

from autocompyute.utils import data

__all__ = ["data"]
