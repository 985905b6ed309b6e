"""`pad` with PyTorch's flat, last-dim-first padding tuple."""

from __future__ import annotations

from collections.abc import Sequence

from autocompyute.ops.movement import pad as pad_dims
from autocompyute.tensor import Tensor

__all__ = ["pad"]


def pad(
    input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None
) -> Tensor:
    """Pads (or, with negative sizes, crops) the last dims, as PyTorch's `F.pad`.

    `pad` is flat and starts at the LAST dim: `(left, right)` pads the last dim,
    `(left, right, top, bottom)` the last two, and so on.

    Args:
        input: tensor of any shape.
        pad: an even number of ints, at most 2 * input.ndim.
        mode: only "constant".
        value: the fill value (default 0).

    >>> import autocompyute as ac
    >>> pad(ac.ones(2, 3, 4), (1, 2)).shape
    (2, 3, 7)
    >>> pad(ac.ones(2, 3, 4), (0, 0, -1, 0)).shape
    (2, 2, 4)
    """
    sizes = list(pad)
    if (
        len(sizes) % 2
        or len(sizes) > 2 * input.ndim
        or not all(isinstance(size, int) for size in sizes)
    ):
        raise ValueError(
            f"pad: pad must hold an even number of ints, at most 2 * ndim = "
            f"{2 * input.ndim} for input of shape {input.shape}; got {pad!r}"
        )
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}")
    # flat last-dim-first (left, right, ...) -> (before, after) pairs in dim order
    pairs = [(sizes[i], sizes[i + 1]) for i in range(0, len(sizes), 2)][::-1]
    crops = [(max(-before, 0), max(-after, 0)) for before, after in pairs]
    if any(before or after for before, after in crops):
        offset = input.ndim - len(pairs)
        for axis, (before, after) in enumerate(crops):
            if before + after > input.shape[offset + axis]:
                raise ValueError(
                    f"pad: negative padding {pad!r} crops more than the size of "
                    f"dim {offset + axis} of input {input.shape}"
                )
        key = (slice(None),) * offset + tuple(
            slice(before, input.shape[offset + axis] - after)
            for axis, (before, after) in enumerate(crops)
        )
        input = input[key]
    growth = [(max(before, 0), max(after, 0)) for before, after in pairs]
    return pad_dims(input, growth, 0.0 if value is None else float(value))
