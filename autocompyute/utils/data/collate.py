"""Default batching of samples: `default_collate` (stack) and `default_convert` (no batch dim)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy

from autocompyute.ops.joining import stack
from autocompyute.tensor import Tensor

__all__ = ["default_collate", "default_convert"]


def _is_array(value: Any) -> bool:
    return isinstance(value, numpy.ndarray) or hasattr(value, "__cuda_array_interface__")


def default_collate(batch: Sequence[Any]) -> Any:
    """Merges a list of samples into a batch, as `torch.utils.data.default_collate` does.

    Tensors (and NumPy arrays) are stacked along a new first dim; Python floats become a
    float64 tensor, ints an int64 tensor, bools a bool tensor; strings stay a list; dicts are
    collated per key, named tuples per field, other sequences position by position (returned
    as a list, like PyTorch).

    Raises:
        TypeError: for a sample type it cannot batch.
        RuntimeError: if sequence samples differ in length.

    >>> import autocompyute as ac
    >>> default_collate([(ac.zeros(2), 1), (ac.ones(2), 2)])[1]
    Tensor([1, 2], dtype=int64, device=cpu)
    """
    if not len(batch):
        raise ValueError("default_collate: the batch is empty")
    element = batch[0]
    if isinstance(element, Tensor):
        return stack([sample.data for sample in batch])
    if _is_array(element):
        return stack(list(batch))
    if isinstance(element, bool | numpy.bool_):
        return Tensor(numpy.asarray(batch, dtype=numpy.bool_))
    if isinstance(element, int | numpy.integer):
        return Tensor(numpy.asarray(batch, dtype=numpy.int64))
    if isinstance(element, float | numpy.floating):
        return Tensor(numpy.asarray(batch, dtype=numpy.float64))
    if isinstance(element, str | bytes):
        return list(batch)
    if isinstance(element, Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in element}
    if isinstance(element, tuple) and hasattr(element, "_fields"):  # named tuple
        return type(element)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(element, Sequence):
        size = len(element)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("default_collate: each element in the batch should be of equal size")
        return [default_collate(list(samples)) for samples in zip(*batch)]
    raise TypeError(
        f"default_collate: batch must contain tensors, arrays, numbers, dicts or "
        f"lists; found {type(element).__name__}"
    )


def default_convert(data: Any) -> Any:
    """Turns NumPy arrays (also inside dicts and sequences) into tensors; other data unchanged."""
    if _is_array(data) and getattr(data, "dtype", None) is not None and data.dtype.kind in "biuf":
        return Tensor(data)
    if isinstance(data, Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(value) for value in data))
    if isinstance(data, tuple):
        return [default_convert(value) for value in data]
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        return [default_convert(value) for value in data]
    return data
