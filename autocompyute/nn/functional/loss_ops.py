"""The ops behind the loss functions (raw arrays in and out); the functions are in `losses`."""

from __future__ import annotations

from typing import Any

import numpy

from autocompyute import kernels
from autocompyute.autograd.op import Op
from autocompyute.nn.functional import softmax_kernels

__all__ = [
    "BCELossOp",
    "BCEWithLogitsTermsOp",
    "BinaryCrossEntropyOp",
    "CrossEntropyLossOp",
    "MSELossOp",
    "NLLLossOp",
    "SoftCrossEntropyLossOp",
]


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


class NLLLossOp(Op):
    """-weight[t] * log_probs[t] per item, classes in dim 1, reduced by `reduction`.

    `log_probs` has shape (N, C, d1, ...) (or (C,) with a 0-d target); items whose target is
    `ignore_index` contribute 0 and carry no weight. "mean" divides by the summed weights of the
    counted items (nan if there are none), as PyTorch does.
    """

    def forward(
        self,
        log_probs: Any,
        targets: Any,
        *,
        weight: Any,
        ignore_index: int,
        reduction: str,
        shape: tuple[int, ...],
    ) -> Any:
        xp = self.xp
        n_classes = log_probs.shape[1] if log_probs.ndim > 1 else log_probs.shape[0]
        rows = (
            xp.moveaxis(log_probs, 1, -1).reshape(-1, n_classes)
            if log_probs.ndim > 1
            else log_probs.reshape(1, n_classes)
        )
        flat_targets = targets.reshape(-1)
        valid = flat_targets != ignore_index
        safe_targets = xp.where(valid, flat_targets, 0)
        item_weights = valid.astype(log_probs.dtype)
        if weight is not None:
            item_weights *= weight[safe_targets]
        row_index = xp.arange(rows.shape[0])
        per_item = rows[row_index, safe_targets] * -item_weights
        total_weight = item_weights.sum() if reduction == "mean" else None
        self.save_for_backward(row_index, safe_targets, item_weights, total_weight)
        if reduction == "none":
            return per_item.reshape(targets.shape)
        if reduction == "sum":
            return per_item.sum()
        with numpy.errstate(invalid="ignore"):  # 0 / 0 = nan when every item is ignored
            return (per_item.sum() / total_weight).astype(log_probs.dtype, copy=False)

    def backward(self, grad: Any) -> tuple[Any, None]:
        xp = self.xp
        row_index, safe_targets, item_weights, total_weight = self.saved
        shape = self.kwargs["shape"]
        n_classes = shape[1] if len(shape) > 1 else shape[0]
        reduction = self.kwargs["reduction"]
        if reduction == "none":
            scale = -item_weights * grad.reshape(-1)
        elif reduction == "sum":
            scale = -item_weights * grad
        else:
            # every item ignored: the loss is nan, its gradient zero (as in PyTorch)
            scale = -item_weights * (grad / self.xp.where(total_weight == 0, 1, total_weight))
        grad_rows = xp.zeros((row_index.shape[0], n_classes), dtype=item_weights.dtype)
        grad_rows[row_index, safe_targets] = scale
        if len(shape) == 1:
            return grad_rows.reshape(shape), None
        moved = (shape[0], *shape[2:], shape[1])
        return xp.moveaxis(grad_rows.reshape(moved), -1, 1), None


class BinaryCrossEntropyOp(Op):
    """-weight * (t log(x) + (1 - t) log(1 - x)) per element on probabilities x.

    Each log is clamped to >= -100, so x = 0 or 1 gives a finite loss, as in PyTorch.
    """

    def forward(self, probs: Any, targets: Any, *, weight: Any) -> Any:
        xp = self.xp
        with numpy.errstate(divide="ignore"):
            log_p = xp.maximum(xp.log(probs), -100.0)
            log_not_p = xp.maximum(xp.log1p(-probs), -100.0)
        loss = -(targets * log_p + (1 - targets) * log_not_p)
        if weight is not None:
            loss *= weight
        self.save_for_backward(probs, targets, log_p, log_not_p)
        return loss

    def backward(self, grad: Any) -> tuple[Any, Any]:
        xp = self.xp
        probs, targets, log_p, log_not_p = self.saved
        weight = self.kwargs["weight"]
        scale = grad if weight is None else grad * weight
        grad_probs = grad_targets = None
        if self.needs_grad[0]:
            # PyTorch's bound on the denominator keeps the gradient finite at 0 and 1.
            grad_probs = scale * (probs - targets) / xp.maximum(probs * (1 - probs), 1e-12)
        if self.needs_grad[1]:
            grad_targets = scale * (log_not_p - log_p)
        return grad_probs, grad_targets


class BCEWithLogitsTermsOp(Op):
    """Per-element binary cross-entropy on logits with optional `weight` and `pos_weight`.

    `w ((1 - t) x + (1 + (pw - 1) t) softplus(-x))`, with `softplus(-x) = max(-x, 0) +
    log1p(exp(-|x|))` so that large |x| stay finite.
    """

    def forward(self, logits: Any, targets: Any, *, weight: Any, pos_weight: Any) -> Any:
        xp = self.xp
        softplus = xp.maximum(-logits, 0) + xp.log1p(xp.exp(-xp.abs(logits)))
        factor = 1.0 if pos_weight is None else 1 + (pos_weight - 1) * targets
        loss = (1 - targets) * logits + factor * softplus
        if weight is not None:
            loss *= weight
        self.save_for_backward(logits, targets, softplus)
        return loss

    def backward(self, grad: Any) -> tuple[Any, Any]:
        xp = self.xp
        logits, targets, softplus = self.saved
        weight, pos_weight = self.kwargs["weight"], self.kwargs["pos_weight"]
        scale = grad if weight is None else grad * weight
        grad_logits = grad_targets = None
        if self.needs_grad[0]:
            sigmoid_neg = 0.5 - 0.5 * xp.tanh(logits * 0.5)  # sigmoid(-x), stable
            factor = 1.0 if pos_weight is None else 1 + (pos_weight - 1) * targets
            grad_logits = scale * ((1 - targets) - factor * sigmoid_neg)
        if self.needs_grad[1]:
            slope = -logits if pos_weight is None else -logits + (pos_weight - 1) * softplus
            grad_targets = scale * slope
        return grad_logits, grad_targets
