"""2-D pooling: max_pool2d, avg_pool2d, adaptive_avg_pool2d (PyTorch) and maxpool2d (original).

General windows (kernel, stride, padding, dilation, ceil mode) are strided views of the
padded input; backward adds the gradient back one window offset at a time (kernel_h * kernel_w
strided slices, no scatter). Non-overlapping max pooling uses the faster `MaxPool2DOp`.
"""

from __future__ import annotations

import math
from typing import Any

from autocompyute.autograd.op import Op
from autocompyute.ops.promotion import float_operand
from autocompyute.tensor import Tensor

__all__ = ["adaptive_avg_pool2d", "avg_pool2d", "max_pool2d", "maxpool2d"]

Geometry = tuple[
    tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]
]  # kernel, stride, padding, dilation, output size


def _windows(padded: Any, geometry: Geometry, xp: Any) -> Any:
    """View (N, C, OH, OW, KH, KW) of the windows of `padded` (N, C, H', W')."""
    (kh, kw), (sh, sw), _, (dh, dw), (oh, ow) = geometry
    n, c = padded.shape[:2]
    s = padded.strides
    return xp.lib.stride_tricks.as_strided(
        padded,
        shape=(n, c, oh, ow, kh, kw),
        strides=(s[0], s[1], s[2] * sh, s[3] * sw, s[2] * dh, s[3] * dw),
    )


def _padded(x: Any, geometry: Geometry, value: float, xp: Any) -> Any:
    """`x` padded by `padding` on both sides, plus on the right what ceil mode's last window
    needs, filled with `value`."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = geometry
    height = max(x.shape[2] + 2 * ph, (oh - 1) * sh + dh * (kh - 1) + 1)
    width = max(x.shape[3] + 2 * pw, (ow - 1) * sw + dw * (kw - 1) + 1)
    out = xp.full((*x.shape[:2], height, width), value, dtype=x.dtype)
    out[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]] = x
    return out


def _offset_slices(geometry: Geometry) -> list[tuple[slice, slice]]:
    """For each window offset (i, j), the strided slices of the padded input it reads."""
    (kh, kw), (sh, sw), _, (dh, dw), (oh, ow) = geometry
    return [
        (
            slice(i * dh, i * dh + (oh - 1) * sh + 1, sh),
            slice(j * dw, j * dw + (ow - 1) * sw + 1, sw),
        )
        for i in range(kh)
        for j in range(kw)
    ]


def _unpad(grad_padded: Any, x_shape: tuple[int, ...], geometry: Geometry) -> Any:
    ph, pw = geometry[2]
    return grad_padded[:, :, ph : ph + x_shape[2], pw : pw + x_shape[3]]


class MaxPool2DWindowsOp(Op):
    """Max over each window (NaN propagates; the gradient goes to the first maximum)."""

    def forward(self, x: Any, *, geometry: Geometry, shape: tuple[int, ...]) -> Any:
        xp = self.xp
        windows = _windows(_padded(x, geometry, -math.inf, xp), geometry, xp)
        flat = windows.reshape(*windows.shape[:4], -1)
        argmax = flat.argmax(axis=-1)
        self.save_for_backward(argmax)
        return xp.take_along_axis(flat, argmax[..., None], axis=-1)[..., 0]

    def backward(self, grad: Any) -> Any:
        xp = self.xp
        (argmax,) = self.saved
        geometry, shape = self.kwargs["geometry"], self.kwargs["shape"]
        padded_shape = _padded_shape(shape, geometry)
        grad_padded = xp.zeros(padded_shape, dtype=grad.dtype)
        for offset, (rows, columns) in enumerate(_offset_slices(geometry)):
            grad_padded[:, :, rows, columns] += grad * (argmax == offset)
        return _unpad(grad_padded, shape, geometry)


def _padded_shape(shape: tuple[int, ...], geometry: Geometry) -> tuple[int, ...]:
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = geometry
    return (
        shape[0],
        shape[1],
        max(shape[2] + 2 * ph, (oh - 1) * sh + dh * (kh - 1) + 1),
        max(shape[3] + 2 * pw, (ow - 1) * sw + dw * (kw - 1) + 1),
    )


class AvgPool2DOp(Op):
    """Mean over each window, divided by `divisors` (per output position)."""

    def forward(self, x: Any, *, geometry: Geometry, divisors: Any, shape: tuple[int, ...]) -> Any:
        xp = self.xp
        windows = _windows(_padded(x, geometry, 0.0, xp), geometry, xp)
        return (windows.sum(axis=(-2, -1)) / divisors).astype(x.dtype, copy=False)

    def backward(self, grad: Any) -> Any:
        xp = self.xp
        geometry, shape = self.kwargs["geometry"], self.kwargs["shape"]
        share = (grad / self.kwargs["divisors"]).astype(grad.dtype, copy=False)
        grad_padded = xp.zeros(_padded_shape(shape, geometry), dtype=grad.dtype)
        for rows, columns in _offset_slices(geometry):
            grad_padded[:, :, rows, columns] += share
        return _unpad(grad_padded, shape, geometry)


class AdaptiveAvgPool2DOp(Op):
    """PyTorch's adaptive bins as two averaging matrices: out = A_h @ x @ A_w^T."""

    def forward(self, x: Any, *, rows: Any, columns: Any) -> Any:
        return self.xp.einsum("oh,nchw,pw->ncop", rows, x, columns)

    def backward(self, grad: Any) -> Any:
        return self.xp.einsum("oh,ncop,pw->nchw", self.kwargs["rows"], grad, self.kwargs["columns"])


class MaxPool2DOp(Op):
    """Max over non-overlapping (window, window) blocks of x (B, C, H, W); the remainder is dropped.

    The gradient goes to the first maximum of each block in row-major order (as in PyTorch).
    """

    def forward(self, x: Any, *, window: int) -> Any:
        xp = self.xp
        taps = _pool_taps(x, window)
        out = taps[0].copy() if len(taps) == 1 else xp.maximum(taps[0], taps[1])
        for tap in taps[2:]:
            xp.maximum(out, tap, out=out)
        if self.needs_grad:
            # Position of the first maximal tap = how many taps precede it without matching.
            not_found = taps[0] != out
            argmax = not_found.astype("uint8" if len(taps) <= 256 else "int32")
            for tap in taps[1:-1]:
                not_found &= tap != out
                argmax += not_found
            self.save_for_backward(argmax, x.shape, _memory_order(x))
        return out

    def backward(self, grad: Any) -> Any:
        xp = self.xp
        argmax, x_shape, x_order = self.saved
        if _memory_order(grad) != _memory_order(argmax):
            # Elementwise ops across different memory orders are several times slower.
            aligned = xp.empty_like(argmax, dtype=grad.dtype)
            aligned[...] = grad
            grad = aligned
        # In the input's memory order, so that a convolution below reads it without a copy.
        grad_x = xp.zeros(tuple(x_shape[axis] for axis in x_order), dtype=grad.dtype)
        grad_x = grad_x.transpose(sorted(range(len(x_order)), key=x_order.__getitem__))
        for position, tap in enumerate(_pool_taps(grad_x, self.kwargs["window"])):
            # A masked copy, not a product: NaN in grad must not reach the non-maximal taps.
            xp.copyto(tap, grad, where=argmax == position)
        return grad_x


def _memory_order(array: Any) -> list[int]:
    """The axes from the largest to the smallest stride."""
    return sorted(range(array.ndim), key=lambda axis: -array.strides[axis])


def _pool_taps(x: Any, window: int) -> list[Any]:
    """The window * window strided views of x, one per position inside a pooling block."""
    height, width = x.shape[2] // window * window, x.shape[3] // window * window
    return [
        x[:, :, row:height:window, column:width:window]
        for row in range(window)
        for column in range(window)
    ]


# ---------------------------------------------------------------------------------- functions


# ---------------------------------------------------------------------------------- functions


def _pair(value: Any, name: str, function: str, minimum: int) -> tuple[int, int]:
    values = (value, value) if isinstance(value, int) else tuple(value)
    if len(values) == 1:
        values = (values[0], values[0])
    if len(values) != 2 or not all(isinstance(v, int) and v >= minimum for v in values):
        raise ValueError(
            f"{function}: {name} must be an int >= {minimum} or a pair of them, got {value!r}"
        )
    return values[0], values[1]


def _output_size(
    size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool
) -> int:
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    count = (-(-span // stride) if ceil_mode else span // stride) + 1
    # the last window must start inside the input or the left padding (PyTorch's rule)
    if ceil_mode and (count - 1) * stride >= size + padding:
        count -= 1
    return count


def _geometry(
    x: Tensor,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool,
    function: str,
) -> Geometry:
    if x.ndim != 4:
        raise ValueError(
            f"{function}: input must have shape (N, C, H, W) or (C, H, W), got {x.shape}"
        )
    kernel = _pair(kernel_size, "kernel_size", function, 1)
    strides = (
        kernel
        if stride is None or stride == () or stride == []
        else _pair(stride, "stride", function, 1)
    )
    pads = _pair(padding, "padding", function, 0)
    dilations = _pair(dilation, "dilation", function, 1)
    for axis in (0, 1):
        if pads[axis] * 2 > kernel[axis]:
            raise ValueError(
                f"{function}: padding should be at most half of the kernel size, "
                f"got padding {pads} for kernel {kernel}"
            )
    sizes = []
    for axis in (0, 1):
        size = _output_size(
            x.shape[2 + axis], kernel[axis], strides[axis], pads[axis], dilations[axis], ceil_mode
        )
        if size < 1:
            raise ValueError(
                f"{function}: the kernel {kernel} (dilation {dilations}, padding "
                f"{pads}) does not fit the input of size {x.shape[2:]}"
            )
        sizes.append(size)
    return kernel, strides, pads, dilations, (sizes[0], sizes[1])


def _batched(x: Any, function: str) -> tuple[Tensor, bool]:
    """`x` as (N, C, H, W); True if a batch dim was added to a (C, H, W) input."""
    x = float_operand(x)
    if x.ndim == 3:
        return x.unsqueeze(0), True
    return x, False


def max_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """2-D max pooling, as PyTorch's `max_pool2d`.

    Args:
        input: (N, C, H, W) or (C, H, W).
        kernel_size: window size (int or pair).
        stride: window step (default: kernel_size).
        padding: implicit -inf padding on both sides (at most half the kernel).
        dilation: spacing between window elements.
        ceil_mode: round the output size up (windows may overhang on the right).
        return_indices: also return the flat index (into H * W) of each maximum.

    Returns:
        (N, C, OH, OW) tensor, and with `return_indices` an int64 tensor of the same shape.

    >>> import autocompyute as ac
    >>> max_pool2d(ac.arange(16.0).view(1, 1, 4, 4), 3, stride=1).data
    array([[[[10., 11.],
             [14., 15.]]]], dtype=float32)
    """
    function = "max_pool2d"
    x, unbatched = _batched(input, function)
    geometry = _geometry(x, kernel_size, stride, padding, dilation, ceil_mode, function)
    kernel, strides, pads, dilations, _ = geometry
    if (
        kernel[0] == kernel[1] == strides[0] == strides[1]
        and pads == (0, 0)
        and dilations == (1, 1)
        and not ceil_mode
        and not return_indices
    ):
        out = MaxPool2DOp.apply(x, window=kernel[0])
    else:
        out = MaxPool2DWindowsOp.apply(x, geometry=geometry, shape=x.shape)
    if unbatched:
        out = out.squeeze(0)
    if not return_indices:
        return out
    indices = _max_indices(out.ctx, x.shape, geometry)  # type: ignore[arg-type]
    return out, Tensor(indices[0] if unbatched else indices)


def _max_indices(op: Any, shape: tuple[int, ...], geometry: Geometry) -> Any:
    """Flat input positions (row * W + column) of the maxima saved by a `MaxPool2DWindowsOp`."""
    node = op
    while not isinstance(node, MaxPool2DWindowsOp):
        node = node.parents[0].ctx  # through the squeeze of an unbatched input
    (argmax,) = node.saved
    xp = node.xp
    (_kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = geometry
    row = xp.arange(oh)[:, None] * sh + (argmax // kw) * dh - ph
    column = xp.arange(ow)[None, :] * sw + (argmax % kw) * dw - pw
    return (row * shape[3] + column).astype("int64")


def _avg_divisors(
    x: Tensor, geometry: Geometry, count_include_pad: bool, divisor_override: int | None
) -> Any:
    """Per output position: how many input (and, with count_include_pad, padding) values its
    window covers; PyTorch never counts the right overhang of ceil mode."""
    xp = x.device.xp
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = geometry
    if divisor_override is not None:
        return xp.asarray(float(divisor_override), dtype=x.dtype)
    height, width = x.shape[2], x.shape[3]
    low_h, high_h = (-ph, height + ph) if count_include_pad else (0, height)
    low_w, high_w = (-pw, width + pw) if count_include_pad else (0, width)
    start_h = xp.arange(oh) * sh - ph
    start_w = xp.arange(ow) * sw - pw
    rows = xp.minimum(start_h + (kh - 1) * dh + 1, high_h) - xp.maximum(start_h, low_h)
    columns = xp.minimum(start_w + (kw - 1) * dw + 1, high_w) - xp.maximum(start_w, low_w)
    return (rows[:, None] * columns[None, :]).astype(x.dtype)


def avg_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """2-D average pooling, as PyTorch's `avg_pool2d`.

    Args:
        input: (N, C, H, W) or (C, H, W).
        kernel_size: window size (int or pair).
        stride: window step (default: kernel_size).
        padding: implicit zero padding on both sides (at most half the kernel).
        ceil_mode: round the output size up.
        count_include_pad: count the zero padding in each window's divisor.
        divisor_override: divide every window sum by this instead.

    >>> import autocompyute as ac
    >>> avg_pool2d(ac.arange(16.0).view(1, 1, 4, 4), 2).data
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]], dtype=float32)
    """
    function = "avg_pool2d"
    if divisor_override is not None and (
        not isinstance(divisor_override, int) or divisor_override == 0
    ):
        raise ValueError(
            f"{function}: divisor_override must be a non-zero int, got {divisor_override!r}"
        )
    x, unbatched = _batched(input, function)
    geometry = _geometry(x, kernel_size, stride, padding, 1, ceil_mode, function)
    divisors = _avg_divisors(x, geometry, count_include_pad, divisor_override)
    out = AvgPool2DOp.apply(x, geometry=geometry, divisors=divisors, shape=x.shape)
    return out.squeeze(0) if unbatched else out


def _bin_matrix(size: int, bins: int, dtype: Any, xp: Any) -> Any:
    """(bins, size) averaging matrix over PyTorch's adaptive bins [floor(i s / b), ceil(...))."""
    matrix = xp.zeros((bins, size), dtype=dtype)
    for index in range(bins):
        start, end = (index * size) // bins, -(-((index + 1) * size) // bins)
        matrix[index, start:end] = 1.0 / (end - start)
    return matrix


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a fixed output size, as PyTorch's `adaptive_avg_pool2d`.

    Output cell (i, j) averages input rows [floor(i H / OH), ceil((i + 1) H / OH)) and the
    same for columns.

    Args:
        input: (N, C, H, W) or (C, H, W).
        output_size: (OH, OW), an int for both, or None in a place to keep that size.

    >>> import autocompyute as ac
    >>> adaptive_avg_pool2d(ac.arange(16.0).view(1, 1, 4, 4), 1).data
    array([[[[7.5]]]], dtype=float32)
    """
    function = "adaptive_avg_pool2d"
    x, unbatched = _batched(input, function)
    if x.ndim != 4:
        raise ValueError(
            f"{function}: input must have shape (N, C, H, W) or (C, H, W), got {input.shape}"
        )
    sizes = (
        (output_size, output_size)
        if isinstance(output_size, int) or output_size is None
        else tuple(output_size)
    )
    if len(sizes) != 2:
        raise ValueError(f"{function}: output_size must be an int or a pair, got {output_size!r}")
    sizes = tuple(x.shape[2 + axis] if size is None else size for axis, size in enumerate(sizes))
    if not all(isinstance(size, int) and size >= 1 for size in sizes):
        raise ValueError(f"{function}: output_size must hold positive ints, got {output_size!r}")
    xp = x.device.xp
    rows = _bin_matrix(x.shape[2], sizes[0], x.dtype, xp)
    columns = _bin_matrix(x.shape[3], sizes[1], x.dtype, xp)
    out = AdaptiveAvgPool2DOp.apply(x, rows=rows, columns=columns)
    return out.squeeze(0) if unbatched else out


def maxpool2d(x: Tensor, window: int = 2) -> Tensor:
    """Max pooling over non-overlapping (window, window) blocks (stride = window; op `MaxPool2DOp`).

    Rows and columns that do not fill a whole block are dropped (PyTorch's floor mode). The
    gradient of each block goes to its first maximum in row-major order, as in PyTorch.

    Args:
        x: input of shape (B, C, H, W).
        window: block size.

    Returns:
        Tensor of shape (B, C, H // window, W // window).

    >>> import autocompyute as ac
    >>> maxpool2d(ac.arange(16.0).view(1, 1, 4, 4)).data
    array([[[[ 5.,  7.],
             [13., 15.]]]], dtype=float32)
    """
    if x.ndim != 4:
        raise ValueError(f"maxpool2d: input must have shape (B, C, H, W), got {x.shape}")
    if not isinstance(window, int) or window < 1:
        raise ValueError(f"maxpool2d: window must be a positive int, got {window!r}")
    if x.shape[2] < window or x.shape[3] < window:
        raise ValueError(f"maxpool2d: window {window} is larger than the input {x.shape[2:]}")
    return MaxPool2DOp.apply(x, window=window)
