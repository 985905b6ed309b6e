"""Convolutions as fused ops (conv1d, conv2d, conv_transpose2d); pooling is in pooling.py.

Each convolution is one matrix product between the weights and the input's sliding windows
("im2col", a strided view copied once), with the batch folded into the columns. Internally the
arrays are laid out channels-first and batch-last, (C, *spatial, B): then every kernel tap of a
window is a block with long contiguous runs, which makes both the window copy (im2col) and its
adjoint, the scatter-add over kernel taps (col2im), fast. Outputs are returned as (B, C, *spatial)
views of that layout; a following convolution reads them back without a copy.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from autocompyute.autograd.op import Op
from autocompyute.deprecation import deprecated_aliases
from autocompyute.nn.functional import pooling
from autocompyute.nn.functional.work_buffers import conv_buffers
from autocompyute.ops.joining import concat
from autocompyute.tensor import Tensor

__all__ = ["conv1d", "conv2d", "conv_transpose2d"]


# ---------------------------------------------------------------------------------- layout helpers


def _to_channels_first(xp: Any, x: Any, padding: tuple[int, ...]) -> Any:
    """(B, C, *spatial) -> C-contiguous (C, *padded spatial, B), zero-padded on both sides."""
    spatial_dims = x.ndim - 2
    moved = x.transpose(1, *range(2, 2 + spatial_dims), 0)
    if not any(padding):
        return xp.ascontiguousarray(moved)
    padded_shape = (
        x.shape[1],
        *(size + 2 * pad for size, pad in zip(x.shape[2:], padding)),
        x.shape[0],
    )
    padded = xp.zeros(padded_shape, dtype=x.dtype)
    padded[_interior(padding, x.shape[2:])] = moved
    return padded


def _to_batch_first(array: Any) -> Any:
    """(C, *spatial, B) -> a (B, C, *spatial) view."""
    return array.transpose(array.ndim - 1, *range(array.ndim - 1))


def _interior(padding: tuple[int, ...], size: tuple[int, ...]) -> tuple[slice, ...]:
    """Index of the unpadded region of a (C, *padded spatial, B) array."""
    inner = tuple(slice(pad, pad + extent) for pad, extent in zip(padding, size))
    return (slice(None), *inner, slice(None))


def _unfold(
    xp: Any,
    array: Any,
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    out_size: tuple[int, ...],
) -> Any:
    """Sliding windows: (C, *spatial, B) -> columns (C * prod(kernel), prod(out_size) * B)."""
    channel_stride, *spatial_strides, batch_stride = array.strides
    tap_strides = tuple(s * d for s, d in zip(spatial_strides, dilation))
    step_strides = tuple(s * st for s, st in zip(spatial_strides, stride))
    windows = xp.lib.stride_tricks.as_strided(
        array,
        shape=(array.shape[0], *kernel, *out_size, array.shape[-1]),
        strides=(channel_stride, *tap_strides, *step_strides, batch_stride),
    )
    rows = array.shape[0] * math.prod(kernel)
    columns = conv_buffers.empty(xp, windows.shape, array.dtype)
    columns[...] = windows
    return columns.reshape(rows, math.prod(out_size) * array.shape[-1])


def _fold(
    xp: Any,
    columns: Any,
    channels: int,
    padded_size: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    out_size: tuple[int, ...],
) -> Any:
    """Adjoint of `_unfold`: scatter-adds columns back to (C, *padded_size, B)."""
    batch = columns.shape[1] // math.prod(out_size)
    columns = columns.reshape(channels, *kernel, *out_size, batch)
    result = xp.zeros((channels, *padded_size, batch), dtype=columns.dtype)
    # One strided add per kernel tap; each moves whole (C, *out_size, B) blocks.
    for tap in itertools.product(*(range(k) for k in kernel)):
        target = tuple(
            slice(t * d, t * d + s * (n - 1) + 1, s)
            for t, d, s, n in zip(tap, dilation, stride, out_size)
        )
        result[(slice(None), *target, slice(None))] += columns[(slice(None), *tap)]
    return result


def _matmul(xp: Any, a: Any, b: Any) -> Any:
    """a @ b for 2-D arrays, written into a pooled work array."""
    return xp.matmul(a, b, out=conv_buffers.empty(xp, (a.shape[0], b.shape[1]), b.dtype))


def _conv_out_size(
    padded_size: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
) -> tuple[int, ...]:
    return tuple(
        (size - d * (k - 1) - 1) // s + 1
        for size, k, s, d in zip(padded_size, kernel, stride, dilation)
    )


# ---------------------------------------------------------------------------------- ops


class _WeightedOp(Op):
    """Bookkeeping shared by the convolution ops, whose inputs are x, w and optional biases b."""

    def _save_factors(self, grad_w_factor: Any, w: Any, x_shape: Any, w_shape: Any) -> None:
        """Saves what backward multiplies with, each only where a gradient needs it.

        `grad_w_factor` (the input's windows or rows) is kept only if w needs a gradient and `w`
        only if x needs one; both shapes are always kept.
        """
        needs_grad = self.needs_grad or (False, False, False)  # empty outside a graph
        self.save_for_backward(
            grad_w_factor if needs_grad[1] else None, w if needs_grad[0] else None, x_shape, w_shape
        )

    def _geometry(self) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """The stride, padding and dilation that forward was called with."""
        kwargs = self.kwargs
        return kwargs["stride"], kwargs["padding"], kwargs["dilation"]


class _ConvolutionOp(_WeightedOp):
    """Cross-correlation of x (B, C, *spatial) with w (O, C, *kernel), plus optional bias (O,)."""

    def forward(
        self,
        x: Any,
        w: Any,
        b: Any = None,
        *,
        stride: tuple[int, ...],
        padding: tuple[int, ...],
        dilation: tuple[int, ...],
    ) -> Any:
        xp = self.xp
        kernel = w.shape[2:]
        padded = _to_channels_first(xp, x, padding)
        out_size = _conv_out_size(padded.shape[1:-1], kernel, stride, dilation)
        columns = _unfold(xp, padded, kernel, stride, dilation, out_size)
        out = _matmul(xp, w.reshape(w.shape[0], columns.shape[0]), columns)
        if b is not None:
            out += b[:, None]
        # Keeping the columns (prod(kernel) times the input's size) for the weight gradient is
        # cheaper than building them again in backward.
        self._save_factors(columns, w, x.shape, w.shape)
        return _to_batch_first(out.reshape(w.shape[0], *out_size, x.shape[0]))

    def backward(self, grad: Any) -> tuple[Any, ...]:
        xp = self.xp
        columns, w, x_shape, w_shape = self.saved
        stride, padding, dilation = self._geometry()
        needs_grad = self.needs_grad
        out_channels = w_shape[0]
        # Free when grad is a view of this op's own layout (e.g. after an elementwise op).
        grad_rows = xp.ascontiguousarray(grad.transpose(1, *range(2, grad.ndim), 0)).reshape(
            out_channels, grad.size // out_channels
        )
        grad_x = grad_w = grad_b = None
        if needs_grad[0]:
            grad_columns = _matmul(xp, w.reshape(out_channels, -1).T, grad_rows)
            padded_size = tuple(size + 2 * pad for size, pad in zip(x_shape[2:], padding))
            grad_padded = _fold(
                xp,
                grad_columns,
                x_shape[1],
                padded_size,
                w_shape[2:],
                stride,
                dilation,
                grad.shape[2:],
            )
            grad_x = _to_batch_first(grad_padded[_interior(padding, x_shape[2:])])
        if needs_grad[1]:
            grad_w = (grad_rows @ columns.T).reshape(w_shape)
        if len(needs_grad) > 2 and needs_grad[2]:
            grad_b = grad_rows.sum(axis=1)
        return (grad_x, grad_w, grad_b)[: len(needs_grad)]


class Conv1DOp(_ConvolutionOp):
    """1-D cross-correlation: x (B, C, L), w (O, C, K), b (O,) -> (B, O, L_out)."""


class Conv2DOp(_ConvolutionOp):
    """2-D cross-correlation: x (B, C, H, W), w (O, C, KH, KW), b (O,) -> (B, O, H_out, W_out)."""


class ConvTranspose2DOp(_WeightedOp):
    """Transposed 2-D convolution (the adjoint of Conv2DOp): x (B, C, H, W), w (C, O, KH, KW)."""

    def forward(
        self,
        x: Any,
        w: Any,
        b: Any = None,
        *,
        stride: tuple[int, ...],
        padding: tuple[int, ...],
        dilation: tuple[int, ...],
    ) -> Any:
        xp = self.xp
        in_channels, out_channels = w.shape[:2]
        kernel = w.shape[2:]
        x_rows = _to_channels_first(xp, x, (0,) * (x.ndim - 2))
        x_rows = x_rows.reshape(in_channels, x_rows.size // in_channels)
        columns = w.reshape(in_channels, -1).T @ x_rows
        full_size = tuple(
            (n - 1) * s + d * (k - 1) + 1
            for n, s, d, k in zip(x.shape[2:], stride, dilation, kernel)
        )
        full = _fold(xp, columns, out_channels, full_size, kernel, stride, dilation, x.shape[2:])
        out_size = tuple(size - 2 * pad for size, pad in zip(full_size, padding))
        out = full[_interior(padding, out_size)]
        if b is not None:
            out += b.reshape(-1, *(1,) * (out.ndim - 1))
        self._save_factors(x_rows, w, x.shape, w.shape)
        return _to_batch_first(out)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        xp = self.xp
        x_rows, w, x_shape, w_shape = self.saved
        stride, padding, dilation = self._geometry()
        needs_grad = self.needs_grad
        in_channels = w_shape[0]
        # The output gradient, padded back to the uncropped size, convolved like a Conv2D input.
        grad_padded = _to_channels_first(xp, grad, padding)
        grad_x = grad_w = grad_b = None
        if needs_grad[0] or needs_grad[1]:
            grad_columns = _unfold(xp, grad_padded, w_shape[2:], stride, dilation, x_shape[2:])
        if needs_grad[0]:
            grad_x = w.reshape(in_channels, -1) @ grad_columns
            grad_x = _to_batch_first(grad_x.reshape(in_channels, *x_shape[2:], x_shape[0]))
        if needs_grad[1]:
            grad_w = (x_rows @ grad_columns.T).reshape(w_shape)
        if len(needs_grad) > 2 and needs_grad[2]:
            grad_b = grad_padded.sum(axis=tuple(range(1, grad_padded.ndim)))
        return (grad_x, grad_w, grad_b)[: len(needs_grad)]


def _as_tuple(value: Any, length: int, name: str, function: str, minimum: int) -> tuple[int, ...]:
    values = (value,) * length if isinstance(value, int) else tuple(value)
    if len(values) != length or not all(isinstance(v, int) and v >= minimum for v in values):
        raise ValueError(
            f"{function}: {name} must be an int >= {minimum} or {length} such ints, got {value!r}"
        )
    return values


def _check_inputs(
    function: str, x: Tensor, w: Tensor, b: Tensor | None, spatial_dims: int, in_channels_axis: int
) -> None:
    names = {1: "(B, C, L)", 2: "(B, C, H, W)"}
    if x.ndim != spatial_dims + 2:
        raise ValueError(f"{function}: input must have shape {names[spatial_dims]}, got {x.shape}")
    if w.ndim != spatial_dims + 2:
        raise ValueError(
            f"{function}: weight must have {spatial_dims + 2} dims, got shape {w.shape}"
        )
    if x.shape[1] != w.shape[in_channels_axis]:
        raise ValueError(
            f"{function}: input has {x.shape[1]} channels but the weight expects "
            f"{w.shape[in_channels_axis]} (input shape {x.shape}, weight shape {w.shape})"
        )
    if x.dtype.kind != "f" or x.dtype != w.dtype:
        raise TypeError(
            f"{function}: input and weight must have the same float dtype, "
            f"got {x.dtype} and {w.dtype}"
        )
    out_channels = w.shape[1 - in_channels_axis]
    if b is not None and (b.shape != (out_channels,) or b.dtype != w.dtype):
        raise ValueError(
            f"{function}: bias must have shape ({out_channels},) and dtype {w.dtype}, "
            f"got shape {b.shape} and dtype {b.dtype}"
        )


def _check_kernel_fits(
    function: str, x: Tensor, w: Tensor, padding: tuple[int, ...], dilation: tuple[int, ...]
) -> None:
    padded = tuple(size + 2 * pad for size, pad in zip(x.shape[2:], padding))
    spans = tuple(d * (k - 1) + 1 for d, k in zip(dilation, w.shape[2:]))
    if any(span > size for span, size in zip(spans, padded)):
        raise ValueError(
            f"{function}: the kernel (spanning {spans} with dilation {dilation}) is larger than "
            f"the padded input {padded} (input shape {x.shape}, weight shape {w.shape})"
        )


def _check_transposed_output(
    function: str,
    x: Tensor,
    w: Tensor,
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    dilation: tuple[int, ...],
) -> None:
    out_size = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + 1
        for n, s, p, d, k in zip(x.shape[2:], stride, padding, dilation, w.shape[2:])
    )
    if any(size < 1 for size in out_size):
        raise ValueError(
            f"{function}: the output would have size {out_size}; padding {padding} is too large "
            f"for input shape {x.shape} and weight shape {w.shape}"
        )


def _convolve(
    op: type[_WeightedOp],
    function: str,
    spatial_dims: int,
    x: Tensor,
    w: Tensor,
    b: Tensor | None,
    stride: Any,
    padding: Any,
    dilation: Any,
) -> Tensor:
    """Checks the arguments of the convolution function `function`, then applies `op`."""
    transposed = op is ConvTranspose2DOp
    _check_inputs(function, x, w, b, spatial_dims, 0 if transposed else 1)
    stride = _as_tuple(stride, spatial_dims, "stride", function, 1)
    padding = _as_tuple(padding, spatial_dims, "padding", function, 0)
    dilation = _as_tuple(dilation, spatial_dims, "dilation", function, 1)
    if transposed:
        _check_transposed_output(function, x, w, stride, padding, dilation)
    else:
        _check_kernel_fits(function, x, w, padding, dilation)
    inputs = (x, w) if b is None else (x, w, b)
    return op.apply(*inputs, stride=stride, padding=padding, dilation=dilation)


def conv1d(
    x: Tensor,
    w: Tensor,
    b: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
) -> Tensor:
    """1-D convolution (cross-correlation, as in PyTorch) over the last dim (op `Conv1D`).

    Args:
        x: input of shape (B, C, L).
        w: weights of shape (O, C, K).
        b: optional biases of shape (O,).
        stride: step between windows.
        padding: zeros added on both sides of L.
        dilation: spacing between kernel taps.

    Returns:
        Tensor of shape (B, O, L_out), L_out = (L + 2 * padding - dilation * (K - 1) - 1)
        // stride + 1.

    >>> import autocompyute as ac
    >>> conv1d(ac.ones(2, 3, 10), ac.ones(4, 3, 5), padding=1).shape
    (2, 4, 8)
    """
    return _convolve(Conv1DOp, "conv1d", 1, x, w, b, stride, padding, dilation)


def conv2d(
    x: Tensor,
    w: Tensor,
    b: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation, as in PyTorch) over the last two dims (op `Conv2D`).

    Args:
        x: input of shape (B, C, H, W).
        w: weights of shape (O, C, KH, KW).
        b: optional biases of shape (O,).
        stride: step between windows, an int or (stride_h, stride_w).
        padding: zeros added on both sides, an int or (pad_h, pad_w).
        dilation: spacing between kernel taps, an int or (dilation_h, dilation_w).
        groups: split the channels into this many independent groups; `w` is then
            (O, C / groups, KH, KW) and output group i sees input group i only.

    Returns:
        Tensor of shape (B, O, H_out, W_out), H_out = (H + 2 * pad_h - dilation_h * (KH - 1) - 1)
        // stride_h + 1 (W_out likewise).

    Raises:
        ValueError: if the channels of x and w differ or the kernel exceeds the padded input.

    >>> import autocompyute as ac
    >>> conv2d(ac.ones(2, 3, 8, 8), ac.ones(4, 3, 3, 3), stride=2, padding=1).shape
    (2, 4, 4, 4)
    """
    if groups == 1:
        return _convolve(Conv2DOp, "conv2d", 2, x, w, b, stride, padding, dilation)
    _check_groups("conv2d", groups, x.shape[1] if x.ndim == 4 else -1, w.shape[0])
    in_size, out_size = x.shape[1] // groups, w.shape[0] // groups
    parts = [
        _convolve(
            Conv2DOp,
            "conv2d",
            2,
            x[:, g * in_size : (g + 1) * in_size],
            w[g * out_size : (g + 1) * out_size],
            None,
            stride,
            padding,
            dilation,
        )
        for g in range(groups)
    ]
    return _add_channel_bias(concat(parts, dim=1), b, w.shape[0], w.dtype, "conv2d")


def _check_groups(function: str, groups: int, in_channels: int, out_channels: int) -> None:
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{function}: groups must be a positive int, got {groups!r}")
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"{function}: the input channels ({in_channels}) and output channels "
            f"({out_channels}) must both be divisible by groups={groups}"
        )


def _add_channel_bias(
    y: Tensor, b: Tensor | None, channels: int, dtype: Any, function: str
) -> Tensor:
    if b is None:
        return y
    if b.shape != (channels,) or b.dtype != dtype:
        raise ValueError(
            f"{function}: bias must have shape ({channels},) and dtype {dtype}, "
            f"got shape {b.shape} and dtype {b.dtype}"
        )
    return y + b.reshape(1, channels, 1, 1)


def conv_transpose2d(
    x: Tensor,
    w: Tensor,
    b: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """Transposed 2-D convolution, as PyTorch's `conv_transpose2d` (op `ConvTranspose2D`).

    It maps the output space of `conv2d` (same stride, padding, dilation) back to its input space.

    Args:
        x: input of shape (B, C, H, W).
        w: weights of shape (C, O, KH, KW) (input channels first, as in PyTorch).
        b: optional biases of shape (O,).
        stride: an int or (stride_h, stride_w).
        padding: rows/columns cropped from both sides of the full output, int or pair.
        output_padding: rows/columns added at the bottom/right (each smaller than the stride
            or the dilation), to pick one of the input sizes a strided conv2d maps alike.
        groups: independent channel groups; `w` is then (C, O / groups, KH, KW).
        dilation: spacing between kernel taps, an int or pair.

    Returns:
        Tensor of shape (B, O, H_out, W_out), H_out = (H - 1) * stride_h - 2 * pad_h
        + dilation_h * (KH - 1) + output_padding_h + 1 (W_out likewise).

    >>> import autocompyute as ac
    >>> conv_transpose2d(ac.ones(2, 3, 4, 4), ac.ones(3, 5, 3, 3), stride=2, padding=1).shape
    (2, 5, 7, 7)
    >>> conv_transpose2d(ac.ones(1, 3, 4, 4), ac.ones(3, 5, 3, 3), stride=2, padding=1,
    ...                  output_padding=1).shape
    (1, 5, 8, 8)
    """
    function = "conv_transpose2d"
    extra = _as_tuple(output_padding, 2, "output_padding", function, 0)
    strides = _as_tuple(stride, 2, "stride", function, 1)
    dilations = _as_tuple(dilation, 2, "dilation", function, 1)
    for axis in (0, 1):
        if extra[axis] >= max(strides[axis], dilations[axis]):
            raise ValueError(
                f"{function}: output_padding {extra} must be smaller than either "
                f"the stride {strides} or the dilation {dilations}"
            )
    if groups == 1 and extra == (0, 0):
        return _convolve(ConvTranspose2DOp, function, 2, x, w, b, stride, padding, dilation)
    _check_groups(function, groups, x.shape[1] if x.ndim == 4 else -1, w.shape[0])
    pads = _as_tuple(padding, 2, "padding", function, 0)
    crop = pads if extra == (0, 0) else (0, 0)  # with output_padding, crop by hand below
    in_size = x.shape[1] // groups
    parts = [
        _convolve(
            ConvTranspose2DOp,
            function,
            2,
            x[:, g * in_size : (g + 1) * in_size],
            w[g * in_size : (g + 1) * in_size],
            None,
            stride,
            crop,
            dilation,
        )
        for g in range(groups)
    ]
    y = parts[0] if groups == 1 else concat(parts, dim=1)
    if extra != (0, 0):
        y = _crop_with_output_padding(y, pads, extra)
    return _add_channel_bias(y, b, y.shape[1], w.dtype, function)


def _crop_with_output_padding(
    full: Tensor, pads: tuple[int, ...], extra: tuple[int, ...]
) -> Tensor:
    """Rows [p, size - p + extra) of the uncropped transposed-conv output, zeros past its end."""
    sizes = [full.shape[2 + axis] - 2 * pads[axis] + extra[axis] for axis in (0, 1)]
    beyond = [max(pads[axis] + sizes[axis] - full.shape[2 + axis], 0) for axis in (0, 1)]
    if any(beyond):
        full = full.pad([(0, 0), (0, 0), (0, beyond[0]), (0, beyond[1])])
    return full[:, :, pads[0] : pads[0] + sizes[0], pads[1] : pads[1] + sizes[1]]


# maxpool2d lived here before pooling had its own module.
__getattr__ = deprecated_aliases(__name__, {"maxpool2d": pooling.maxpool2d})
