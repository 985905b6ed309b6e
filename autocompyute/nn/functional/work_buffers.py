"""Reusable work arrays for the convolution ops (im2col columns, fold inputs, GEMM outputs).

A fresh multi-megabyte NumPy array is mapped from the OS and page-faulted on first touch, which
costs as much as copying into it; training steps allocate the same shapes every step. The pool
keeps the arrays it handed out and gives one out again only when the pool holds the only
reference to it: a view of the array (a reshape, a saved tensor's data) keeps its base alive and
so keeps it out of reuse. CuPy arrays are not pooled (CuPy has its own memory pool).

>>> import numpy
>>> pool = WorkBuffers()
>>> a = pool.empty(numpy, (2, 3), numpy.float32)
>>> pool.empty(numpy, (2, 3), numpy.float32) is a  # `a` is still referenced here
False
>>> del a
>>> pool.empty(numpy, (2, 3), numpy.float32).shape
(2, 3)
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import numpy

__all__ = ["WorkBuffers", "conv_buffers"]

# References to a pooled array that only the pool holds, as sys.getrefcount sees it inside
# `empty`: the pool's list, the loop variable and getrefcount's own argument.
_POOL_ONLY = 3


class WorkBuffers:
    """A bounded pool of uninitialised NumPy arrays keyed by shape and dtype.

    Args:
        max_bytes: the pool drops its oldest free arrays when it holds more than this.
    """

    def __init__(self, max_bytes: int = 512 * 2**20) -> None:
        self.max_bytes = max_bytes
        self._arrays: list[Any] = []  # oldest first
        self._lock = threading.Lock()

    def empty(self, xp: Any, shape: tuple[int, ...], dtype: Any) -> Any:
        """An uninitialised array of `shape` and `dtype` that nobody else references."""
        if xp is not numpy:
            return xp.empty(shape, dtype=dtype)
        dtype = numpy.dtype(dtype)
        with self._lock:
            for array in self._arrays:
                if (
                    array.shape == shape
                    and array.dtype == dtype
                    and sys.getrefcount(array) == _POOL_ONLY
                ):
                    return array
            array = numpy.empty(shape, dtype=dtype)
            self._arrays.append(array)
            self._shrink()
        return array

    def clear(self) -> None:
        """Forgets every pooled array (arrays still in use stay valid)."""
        with self._lock:
            self._arrays.clear()

    def _shrink(self) -> None:
        total = sum(array.nbytes for array in self._arrays)
        index = 0
        while total > self.max_bytes and index < len(self._arrays):
            array = self._arrays[index]
            if sys.getrefcount(array) == _POOL_ONLY:
                total -= array.nbytes
                del self._arrays[index]
            else:
                index += 1
            del array


conv_buffers = WorkBuffers()
