"""Loss functions (mean reduction): mean squared error, cross-entropy, binary cross-entropy."""

from __future__ import annotations

from typing import Any

from autocompyute import kernels
from autocompyute.autograd.op import Op
from autocompyute.nn.functional import softmax_kernels
from autocompyute.ops.promotion import float_operand
from autocompyute.tensor import Tensor

__all__ = ["bce_loss", "cross_entropy_loss", "mse_loss"]


class MSELossOp(Op):
    """mean((x - targets)^2)."""

    def forward(self, x: Any, targets: Any) -> Any:
        diff = x - targets
        self.save_for_backward(diff)
        return (diff * diff).mean()

    def backward(self, grad: Any) -> tuple[Any, Any]:
        (diff,) = self.saved
        grad_x = diff * (grad * (2.0 / max(diff.size, 1)))
        grad_targets = -grad_x if self.needs_grad[1] else None
        return (grad_x if self.needs_grad[0] else None), grad_targets


class CrossEntropyLossOp(Op):
    """Softmax cross-entropy over the last dim with integer class targets.

    Mean over the targets that are not `ignore_index`; with label smoothing `eps` the target
    distribution is `(1 - eps) * one_hot + eps / C`. Forward keeps the softmax probabilities,
    from which backward gets the gradient `(softmax - target distribution) / count` in place.
    """

    def forward(
        self,
        logits: Any,
        targets: Any,
        *,
        ignore_index: int,
        smoothing: float,
        shape: tuple[int, ...],
        all_valid: bool = False,
    ) -> Any:
        if kernels.compiled(logits) and type(targets) is type(logits):
            loss, grad_logits = kernels.cross_entropy(logits, targets, ignore_index, smoothing)
            self.save_for_backward(grad_logits, targets)
            return loss
        xp = self.xp
        n_classes = logits.shape[-1]
        rows = logits.reshape(-1, n_classes)
        flat_targets = targets.reshape(-1)
        log_probs, probs = softmax_kernels.log_softmax_and_softmax(xp, rows, 1)
        row_index = xp.arange(rows.shape[0])
        valid: Any = None
        count: Any = None
        if all_valid:  # no item is ignored: skip the masking
            safe_targets = flat_targets
        else:
            valid = flat_targets != ignore_index
            safe_targets = xp.where(valid, flat_targets, 0)
            count = valid.sum()
        per_item = -log_probs[row_index, safe_targets]
        if smoothing:
            mean_log_prob = log_probs.mean(axis=1)
            per_item = per_item * (1.0 - smoothing) - mean_log_prob * smoothing
        self.save_for_backward(probs, row_index, safe_targets, valid, count)
        if all_valid:
            return per_item.sum() * (1.0 / max(rows.shape[0], 1))
        total = (per_item * valid).sum()
        # PyTorch's result when every target is ignored is nan (0 / 0).
        loss = xp.where(count > 0, total / xp.maximum(count, 1), xp.nan)
        return loss.astype(logits.dtype, copy=False)

    def backward(self, grad: Any) -> tuple[Any, None]:
        if len(self.saved) == 2:  # the compiled forward saved d loss / d logits
            grad_logits, targets = self.saved
            result = grad_logits * grad
            if not self.xp.isfinite(grad):  # ignored items still get 0, as in PyTorch
                result[targets == self.kwargs["ignore_index"]] = 0
            return result, None
        probs, row_index, safe_targets, valid, count = self.saved
        smoothing = self.kwargs["smoothing"]
        # d loss / d logits = softmax - target distribution, for each non-ignored item.
        grad_rows = probs - smoothing / probs.shape[1] if smoothing else probs.copy()
        grad_rows[row_index, safe_targets] -= 1.0 - smoothing
        if valid is None:
            grad_rows *= grad / probs.shape[0]
        else:
            # where: ignored items get 0 even when grad is NaN (as in PyTorch).
            scale = self.xp.where(valid, grad / self.xp.maximum(count, 1), 0)
            scale = scale.astype(probs.dtype, copy=False)
            grad_rows *= scale[:, None]
        return grad_rows.reshape(self.kwargs["shape"]), None


class SoftCrossEntropyLossOp(Op):
    """Softmax cross-entropy over the last dim with target probabilities (mean over items)."""

    def forward(self, logits: Any, targets: Any, *, smoothing: float) -> Any:
        xp = self.xp
        log_probs = softmax_kernels.log_softmax(xp, logits, -1)
        if smoothing:
            targets = targets * (1.0 - smoothing) + smoothing / logits.shape[-1]
        self.save_for_backward(log_probs, targets)
        n_items = max(logits.size // max(logits.shape[-1], 1), 1)
        return -(targets * log_probs).sum() / n_items

    def backward(self, grad: Any) -> tuple[Any, Any]:
        xp = self.xp
        log_probs, targets = self.saved
        scale = grad / max(log_probs.size // max(log_probs.shape[-1], 1), 1)
        grad_logits = grad_targets = None
        if self.needs_grad[0]:
            # d/dz of -sum(t * log_softmax(z)) = softmax(z) * sum(t) - t
            grad_logits = xp.exp(log_probs)
            grad_logits *= targets.sum(axis=-1, keepdims=True)
            grad_logits -= targets
            grad_logits *= scale
        if self.needs_grad[1]:
            grad_targets = log_probs * -scale
            smoothing = self.kwargs["smoothing"]
            if smoothing:
                grad_targets *= 1.0 - smoothing
        return grad_logits, grad_targets


class BCELossOp(Op):
    """mean(max(x, 0) - x * t + log(1 + exp(-|x|))): binary cross-entropy on logits x."""

    def forward(self, logits: Any, targets: Any) -> Any:
        xp = self.xp
        loss = xp.maximum(logits, 0)
        loss -= logits * targets
        loss += xp.log1p(xp.exp(-xp.abs(logits)))
        self.save_for_backward(logits, targets)
        return loss.mean()

    def backward(self, grad: Any) -> tuple[Any, Any]:
        xp = self.xp
        logits, targets = self.saved
        scale = grad / max(logits.size, 1)
        grad_logits = grad_targets = None
        if self.needs_grad[0]:
            # sigmoid via tanh: stable for large |x|
            grad_logits = xp.tanh(logits * 0.5)
            grad_logits += 1.0
            grad_logits *= 0.5
            grad_logits -= targets
            grad_logits *= scale
        if self.needs_grad[1]:
            grad_targets = logits * -scale
        return grad_logits, grad_targets


def _check_same_shape(logits: Tensor, targets: Tensor, function: str) -> None:
    if logits.shape != targets.shape:
        raise ValueError(
            f"{function}: logits of shape {logits.shape} and targets of shape {targets.shape} "
            f"must have the same shape"
        )


def _float_pair(logits: Tensor, targets: Tensor) -> tuple[Tensor, Tensor]:
    logits = float_operand(logits)
    if targets.dtype != logits.dtype:
        targets = targets.as_type(logits.dtype)
    return logits, targets


def mse_loss(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean squared error `mean((logits - targets)^2)`.

    Args:
        logits: predictions of any shape.
        targets: values of the same shape.

    Returns:
        0-d tensor.

    >>> import autocompyute as ac
    >>> mse_loss(ac.tensor([1.0, 3.0]), ac.tensor([0.0, 0.0]))
    Tensor(5.0000, dtype=float32, device=cpu)
    """
    _check_same_shape(logits, targets, "mse_loss")
    return MSELossOp.apply(*_float_pair(logits, targets))


def cross_entropy_loss(
    logits: Tensor,
    targets: Tensor,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy with the class dim LAST, averaged over the items.

    Matches PyTorch's `cross_entropy` (mean reduction, no class weights) with the classes moved
    to the last dim. Stable for huge logits.

    Args:
        logits: unnormalized scores of shape (..., C), e.g. (B, C) or (B, T, C).
        targets: either integer class indices of shape (...) (items equal to `ignore_index` are
            left out of the loss and the mean), or class probabilities of shape (..., C).
        ignore_index: class index whose items are ignored (integer targets only).
        label_smoothing: in [0, 1]; mixes the target distribution with the uniform one:
            `(1 - label_smoothing) * target + label_smoothing / C`.

    Returns:
        0-d tensor (nan if every item is ignored, as in PyTorch).

    >>> import autocompyute as ac
    >>> cross_entropy_loss(ac.tensor([[0.0, 0.0]]), ac.tensor([1]))
    Tensor(0.6931, dtype=float32, device=cpu)
    """
    if logits.ndim == 0:
        raise ValueError("cross_entropy_loss: logits must have shape (..., C), got a 0-d tensor")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"cross_entropy_loss: label_smoothing must be in [0, 1], got {label_smoothing}"
        )
    logits = float_operand(logits)
    kind = targets.dtype.kind
    if kind in "iu":
        if targets.shape != logits.shape[:-1]:
            raise ValueError(
                f"cross_entropy_loss: integer targets must have shape {logits.shape[:-1]} "
                f"(logits {logits.shape} without the class dim), got {targets.shape}"
            )
        all_valid = _check_class_range(targets, logits.shape[-1], ignore_index)
        return CrossEntropyLossOp.apply(
            logits,
            targets,
            ignore_index=int(ignore_index),
            smoothing=float(label_smoothing),
            shape=logits.shape,
            all_valid=all_valid,
        )
    if kind == "f":
        if targets.shape != logits.shape:
            raise ValueError(
                f"cross_entropy_loss: probability targets must have the shape of the logits "
                f"{logits.shape}, got {targets.shape} (for class indices use an integer tensor)"
            )
        logits, targets = _float_pair(logits, targets)
        return SoftCrossEntropyLossOp.apply(logits, targets, smoothing=float(label_smoothing))
    raise TypeError(
        f"cross_entropy_loss: targets must be integer class indices or float probabilities, "
        f"got {targets.dtype}"
    )


def _check_class_range(targets: Tensor, n_classes: int, ignore_index: int) -> bool:
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
            f"cross_entropy_loss: class indices must be in [0, {n_classes}) or equal "
            f"ignore_index={ignore_index}, got values in [{valid.min()}, {valid.max()}]"
        )
    return False


def bce_loss(logits: Tensor, targets: Tensor) -> Tensor:
    """Binary cross-entropy on logits (sigmoid included), stable for large |logits|.

    Like PyTorch's `binary_cross_entropy_with_logits` with mean reduction.

    Args:
        logits: unnormalized scores of any shape.
        targets: probabilities in [0, 1] of the same shape.

    Returns:
        0-d tensor.

    >>> import autocompyute as ac
    >>> bce_loss(ac.tensor([0.0]), ac.tensor([1.0]))
    Tensor(0.6931, dtype=float32, device=cpu)
    """
    _check_same_shape(logits, targets, "bce_loss")
    return BCELossOp.apply(*_float_pair(logits, targets))
