"""Loss functions with PyTorch's signatures: classes in dim 1, `weight`, `reduction`.

`nll_loss`, `cross_entropy`, `mse_loss`, `l1_loss`, `binary_cross_entropy` and
`binary_cross_entropy_with_logits` follow `torch.nn.functional`. The original AutoCompyute's
`cross_entropy_loss` and `bce_loss` keep the class dim LAST and take `reduction` too.
Every function accepts `reduction="mean" | "sum" | "none"` and PyTorch's deprecated
`size_average`/`reduce` flags.
"""

from __future__ import annotations

from typing import Any

from autocompyute.nn.functional.activations import log_softmax
from autocompyute.nn.functional.loss_ops import (
    BCELossOp,
    BCEWithLogitsTermsOp,
    BinaryCrossEntropyOp,
    CrossEntropyLossOp,
    MSELossOp,
    NLLLossOp,
    SoftCrossEntropyLossOp,
)
from autocompyute.ops.promotion import float_operand
from autocompyute.tensor import Tensor

__all__ = [
    "bce_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "cross_entropy_loss",
    "l1_loss",
    "mse_loss",
    "nll_loss",
]

_REDUCTIONS = ("mean", "sum", "none")


def _reduction(
    reduction: str, size_average: bool | None, reduce: bool | None, function: str
) -> str:
    """The reduction to use; PyTorch's deprecated `size_average`/`reduce` override it."""
    if size_average is not None or reduce is not None:
        if reduce is False:
            return "none"
        return "mean" if size_average is None or size_average else "sum"
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"{function}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}"
        )
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_same_shape(x: Tensor, targets: Tensor, function: str) -> None:
    if x.shape != targets.shape:
        raise ValueError(
            f"{function}: input of shape {x.shape} and target of shape "
            f"{targets.shape} must have the same shape"
        )


def _float_pair(x: Tensor, targets: Tensor) -> tuple[Tensor, Tensor]:
    x = float_operand(x)
    if targets.dtype != x.dtype:
        targets = targets.as_type(x.dtype)
    return x, targets


def _weight_array(weight: Tensor | None, x: Tensor, size: int, name: str, function: str) -> Any:
    """The raw array of a constant per-class or per-element weight, checked against `x`."""
    if weight is None:
        return None
    if not isinstance(weight, Tensor):
        raise TypeError(f"{function}: {name} must be a Tensor, got {type(weight).__name__}")
    if weight.dtype != x.dtype:
        raise TypeError(
            f"{function}: {name} has dtype {weight.dtype}, the input {x.dtype}; they must match"
        )
    if size >= 0 and weight.shape != (size,):
        raise ValueError(
            f"{function}: {name} must have shape ({size},) (one value per class), "
            f"got {weight.shape}"
        )
    return weight.data


def _check_class_range(targets: Tensor, n_classes: int, ignore_index: int, function: str) -> bool:
    """Raises if a target is neither a class index nor `ignore_index`.

    Returns True when no target equals `ignore_index` (known only on the CPU: on the GPU the
    check would force a device synchronization, so it is skipped and False returned).
    """
    data = targets.data
    if not data.size or type(data).__module__ != "numpy":
        return False
    low, high = data.min(), data.max()
    if low >= 0 and high < n_classes:
        return not (0 <= ignore_index < n_classes) or not (data == ignore_index).any()
    valid = data[data != ignore_index]
    if valid.size and (valid.min() < 0 or valid.max() >= n_classes):
        raise IndexError(
            f"{function}: class indices must be in [0, {n_classes}) or equal "
            f"ignore_index={ignore_index}, got values in [{valid.min()}, "
            f"{valid.max()}]"
        )
    return False


def _check_index_targets(x: Tensor, targets: Tensor, function: str) -> None:
    """Class-dim-1 layout: input (N, C, d1, ...) with target (N, d1, ...), or (C,) with ()."""
    if x.ndim == 0:
        raise ValueError(f"{function}: input must have shape (C,) or (N, C, ...), got a 0-d tensor")
    expected = () if x.ndim == 1 else (x.shape[0], *x.shape[2:])
    if targets.shape != expected:
        raise ValueError(
            f"{function}: for input of shape {x.shape} the class-index target "
            f"must have shape {expected} (the input without dim 1), got "
            f"{targets.shape}"
        )


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of class indices, given log-probabilities in dim 1.

    Args:
        input: log-probabilities of shape (N, C), (N, C, d1, ...) or (C,).
        target: integer class indices of shape (N,), (N, d1, ...) or ().
        weight: per-class weights of shape (C,).
        size_average: deprecated (see `reduction`).
        ignore_index: target value that is left out of the loss and of the mean.
        reduce: deprecated (see `reduction`).
        reduction: "mean" (divided by the summed weights of the counted items), "sum" or
            "none" (shape of `target`).

    >>> import autocompyute as ac
    >>> nll_loss(ac.tensor([[-1.0, -2.0]]), ac.tensor([1]))
    Tensor(2.0000, dtype=float32, device=cpu)
    """
    reduction = _reduction(reduction, size_average, reduce, "nll_loss")
    input = float_operand(input)
    _check_int_targets(target, "nll_loss")
    _check_index_targets(input, target, "nll_loss")
    n_classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    weights = _weight_array(weight, input, n_classes, "weight", "nll_loss")
    _check_class_range(target, n_classes, ignore_index, "nll_loss")
    return NLLLossOp.apply(
        input,
        target,
        weight=weights,
        ignore_index=int(ignore_index),
        reduction=reduction,
        shape=input.shape,
    )


def _check_int_targets(target: Any, function: str) -> None:
    if not isinstance(target, Tensor):
        raise TypeError(f"{function}: target must be a Tensor, got {type(target).__name__}")
    if target.dtype.kind not in "iu":
        raise TypeError(f"{function}: target must hold integer class indices, got {target.dtype}")


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy with PyTorch's layout: classes in dim 1.

    Args:
        input: unnormalized scores of shape (N, C), (N, C, d1, ...) or (C,).
        target: integer class indices of shape (N,), (N, d1, ...) or (); or class
            probabilities of the shape of `input`.
        weight: per-class weights of shape (C,).
        size_average: deprecated (see `reduction`).
        ignore_index: target value that is left out (index targets only).
        reduce: deprecated (see `reduction`).
        reduction: "mean", "sum" or "none". With index targets "mean" divides by the summed
            weights of the counted items; with probability targets by the number of items.
        label_smoothing: in [0, 1]; mixes the target with the uniform distribution.

    >>> import autocompyute as ac
    >>> cross_entropy(ac.tensor([[0.0, 0.0]]), ac.tensor([1]))
    Tensor(0.6931, dtype=float32, device=cpu)
    """
    function = "cross_entropy"
    reduction = _reduction(reduction, size_average, reduce, function)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{function}: label_smoothing must be in [0, 1], got {label_smoothing}")
    if not isinstance(target, Tensor):
        raise TypeError(f"{function}: target must be a Tensor, got {type(target).__name__}")
    input = float_operand(input)
    if input.ndim == 0:
        raise ValueError(f"{function}: input must have shape (C,) or (N, C, ...), got a 0-d tensor")
    class_dim = 1 if input.ndim > 1 else 0
    n_classes = input.shape[class_dim]
    weights = _weight_array(weight, input, n_classes, "weight", function)
    kind = target.dtype.kind
    if kind == "f":
        if target.shape != input.shape:
            raise ValueError(
                f"{function}: probability targets must have the input's shape "
                f"{input.shape}, got {target.shape} (class indices need an "
                "integer tensor)"
            )
        return _soft_cross_entropy(input, target, weight, reduction, float(label_smoothing))
    if kind not in "iu":
        raise TypeError(
            f"{function}: target must be integer class indices or float "
            f"probabilities, got {target.dtype}"
        )
    _check_index_targets(input, target, function)
    all_valid = _check_class_range(target, n_classes, ignore_index, function)
    if weights is None and reduction == "mean":
        # the fused op wants classes last
        scores = input.unsqueeze(0) if input.ndim == 1 else input
        if scores.ndim > 2:
            scores = scores.permute(0, *range(2, scores.ndim), 1)
        rows = target.reshape(1) if input.ndim == 1 else target
        return CrossEntropyLossOp.apply(
            scores,
            rows,
            ignore_index=int(ignore_index),
            smoothing=float(label_smoothing),
            shape=scores.shape,
            all_valid=all_valid,
        )
    log_probs = log_softmax(input, dim=class_dim)
    loss = NLLLossOp.apply(
        log_probs,
        target,
        weight=weights,
        ignore_index=int(ignore_index),
        reduction=reduction,
        shape=log_probs.shape,
    )
    if not label_smoothing:
        return loss
    return _smoothed(
        loss, log_probs, target, weight, int(ignore_index), reduction, float(label_smoothing)
    )


def _class_weights(weight: Tensor, ndim: int) -> Tensor:
    """`weight` shaped (C, 1, ...) to broadcast over an input with classes in dim 1 (or 0)."""
    return weight.reshape(-1, *([1] * (ndim - 2))) if ndim > 1 else weight


def _smoothed(
    nll: Tensor,
    log_probs: Tensor,
    target: Tensor,
    weight: Tensor | None,
    ignore_index: int,
    reduction: str,
    smoothing: float,
) -> Tensor:
    """PyTorch's label smoothing: (1 - s) nll + s / C * sum over classes of -weight log p."""
    class_dim = 1 if log_probs.ndim > 1 else 0
    n_classes = log_probs.shape[class_dim]
    weighted = log_probs if weight is None else log_probs * _class_weights(weight, log_probs.ndim)
    kept = target.data != ignore_index
    smooth = -weighted.sum(class_dim) * Tensor(kept.astype(log_probs.dtype))
    if reduction == "mean":
        denominator = kept.sum() if weight is None else weight.data[target.data[kept]].sum()
        if not bool(denominator):
            # every item ignored: the loss is nan (as the nll part), its gradient zero
            smooth = smooth.sum() * 0.0 + float("nan")
        else:
            divisor = log_probs.device.xp.asarray(denominator, dtype=log_probs.dtype)
            smooth = smooth.sum() / Tensor(divisor)
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - smoothing) + smooth * (smoothing / n_classes)


def _soft_cross_entropy(
    input: Tensor, target: Tensor, weight: Tensor | None, reduction: str, smoothing: float
) -> Tensor:
    input, target = _float_pair(input, target)
    if weight is None and reduction == "mean" and input.ndim == 2:
        return SoftCrossEntropyLossOp.apply(input, target, smoothing=smoothing)
    class_dim = 1 if input.ndim > 1 else 0
    log_probs = log_softmax(input, dim=class_dim)
    if smoothing:
        target = target * (1 - smoothing) + smoothing / input.shape[class_dim]
    weighted = log_probs * target
    if weight is not None:
        weighted = weighted * _class_weights(weight, input.ndim)
    per_item = -weighted.sum(class_dim)
    return _reduce(per_item, reduction)


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Squared error `(input - target)^2`, reduced by `reduction`.

    Args:
        input: predictions of any shape.
        target: values of the same shape.
        size_average: deprecated (see `reduction`).
        reduce: deprecated (see `reduction`).
        reduction: "mean", "sum" or "none".

    >>> import autocompyute as ac
    >>> mse_loss(ac.tensor([1.0, 3.0]), ac.tensor([0.0, 0.0]))
    Tensor(5.0000, dtype=float32, device=cpu)
    """
    reduction = _reduction(reduction, size_average, reduce, "mse_loss")
    _check_same_shape(input, target, "mse_loss")
    input, target = _float_pair(input, target)
    if reduction == "mean":
        return MSELossOp.apply(input, target)
    difference = input - target
    return _reduce(difference * difference, reduction)


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Absolute error `|input - target|`, reduced by `reduction`.

    >>> import autocompyute as ac
    >>> l1_loss(ac.tensor([1.0, -3.0]), ac.tensor([0.0, 0.0]))
    Tensor(2.0000, dtype=float32, device=cpu)
    """
    reduction = _reduction(reduction, size_average, reduce, "l1_loss")
    _check_same_shape(input, target, "l1_loss")
    input, target = _float_pair(input, target)
    return _reduce((input - target).abs(), reduction)


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross-entropy of probabilities `input` in [0, 1] (logs clamped to >= -100).

    Args:
        input: probabilities of any shape.
        target: values in [0, 1] of the same shape.
        weight: rescaling weight broadcastable to the input's shape.
        size_average: deprecated (see `reduction`).
        reduce: deprecated (see `reduction`).
        reduction: "mean", "sum" or "none".

    >>> import autocompyute as ac
    >>> binary_cross_entropy(ac.tensor([0.5]), ac.tensor([1.0]))
    Tensor(0.6931, dtype=float32, device=cpu)
    """
    function = "binary_cross_entropy"
    reduction = _reduction(reduction, size_average, reduce, function)
    _check_same_shape(input, target, function)
    input, target = _float_pair(input, target)
    data = input.data
    if type(data).__module__ == "numpy" and data.size and (data.min() < 0 or data.max() > 1):
        raise ValueError(
            f"{function}: all elements of input should be between 0 and 1 "
            "(for logits use binary_cross_entropy_with_logits)"
        )
    weights = _weight_array(weight, input, -1, "weight", function)
    return _reduce(BinaryCrossEntropyOp.apply(input, target, weight=weights), reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Binary cross-entropy on logits (sigmoid included), stable for large |input|.

    Args:
        input: logits of any shape.
        target: values in [0, 1] of the same shape.
        weight: rescaling weight broadcastable to the input's shape.
        size_average: deprecated (see `reduction`).
        reduce: deprecated (see `reduction`).
        reduction: "mean", "sum" or "none".
        pos_weight: weight of the positive term, broadcastable along the last dim (classes).

    >>> import autocompyute as ac
    >>> binary_cross_entropy_with_logits(ac.tensor([0.0]), ac.tensor([1.0]))
    Tensor(0.6931, dtype=float32, device=cpu)
    """
    function = "binary_cross_entropy_with_logits"
    reduction = _reduction(reduction, size_average, reduce, function)
    _check_same_shape(input, target, function)
    input, target = _float_pair(input, target)
    weights = _weight_array(weight, input, -1, "weight", function)
    positive = _weight_array(pos_weight, input, -1, "pos_weight", function)
    if weights is None and positive is None and reduction == "mean":
        return BCELossOp.apply(input, target)
    terms = BCEWithLogitsTermsOp.apply(input, target, weight=weights, pos_weight=positive)
    return _reduce(terms, reduction)


def cross_entropy_loss(
    logits: Tensor,
    targets: Tensor,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
) -> Tensor:
    """Softmax cross-entropy with the class dim LAST (the original AutoCompyute's layout).

    Equals `cross_entropy` with the classes moved to dim 1. Stable for huge logits.

    Args:
        logits: unnormalized scores of shape (..., C), e.g. (B, C) or (B, T, C).
        targets: either integer class indices of shape (...) (items equal to `ignore_index` are
            left out of the loss and the mean), or class probabilities of shape (..., C).
        ignore_index: class index whose items are ignored (integer targets only).
        label_smoothing: in [0, 1]; mixes the target distribution with the uniform one:
            `(1 - label_smoothing) * target + label_smoothing / C`.
        reduction: "mean", "sum" or "none" (shape (...)).

    Returns:
        0-d tensor (nan if every item is ignored, as in PyTorch), or per item with "none".

    >>> import autocompyute as ac
    >>> cross_entropy_loss(ac.tensor([[0.0, 0.0]]), ac.tensor([1]))
    Tensor(0.6931, dtype=float32, device=cpu)
    """
    function = "cross_entropy_loss"
    if logits.ndim == 0:
        raise ValueError(f"{function}: logits must have shape (..., C), got a 0-d tensor")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{function}: label_smoothing must be in [0, 1], got {label_smoothing}")
    reduction = _reduction(reduction, None, None, function)
    logits = float_operand(logits)
    kind = targets.dtype.kind
    if kind in "iu":
        if targets.shape != logits.shape[:-1]:
            raise ValueError(
                f"{function}: integer targets must have shape {logits.shape[:-1]} "
                f"(logits {logits.shape} without the class dim), got "
                f"{targets.shape}"
            )
        all_valid = _check_class_range(targets, logits.shape[-1], ignore_index, function)
        if reduction == "mean":
            return CrossEntropyLossOp.apply(
                logits,
                targets,
                ignore_index=int(ignore_index),
                smoothing=float(label_smoothing),
                shape=logits.shape,
                all_valid=all_valid,
            )
    elif kind == "f":
        if targets.shape != logits.shape:
            raise ValueError(
                f"{function}: probability targets must have the shape of the "
                f"logits {logits.shape}, got {targets.shape} (for class indices "
                "use an integer tensor)"
            )
        if reduction == "mean":
            logits, targets = _float_pair(logits, targets)
            return SoftCrossEntropyLossOp.apply(logits, targets, smoothing=float(label_smoothing))
    else:
        raise TypeError(
            f"{function}: targets must be integer class indices or float "
            f"probabilities, got {targets.dtype}"
        )
    # Other reductions: the PyTorch layout with the classes moved from last to dim 1.
    class_first = logits if logits.ndim == 1 else logits.permute(0, -1, *range(1, logits.ndim - 1))
    if kind == "f" and logits.ndim > 1:
        targets = targets.permute(0, -1, *range(1, targets.ndim - 1))
    return cross_entropy(
        class_first,
        targets,
        ignore_index=ignore_index,
        reduction=reduction,
        label_smoothing=label_smoothing,
    )


def bce_loss(logits: Tensor, targets: Tensor, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy on logits (the original AutoCompyute's name).

    Same as `binary_cross_entropy_with_logits(logits, targets, reduction=reduction)`.

    >>> import autocompyute as ac
    >>> bce_loss(ac.tensor([0.0]), ac.tensor([1.0]))
    Tensor(0.6931, dtype=float32, device=cpu)
    """
    _check_same_shape(logits, targets, "bce_loss")
    return binary_cross_entropy_with_logits(logits, targets, reduction=reduction)
