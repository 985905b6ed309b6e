"""Matrix products: matmul with NumPy's rules (1-D, batched, broadcast batch dims)."""

from __future__ import annotations

from typing import Any

from autocompyute.autograd.op import Op

__all__ = ["MatMul"]


class MatMul(Op):
    """x1 @ x2 following `numpy.matmul` (1-D operands get a dim added and removed)."""

    def forward(self, x1: Any, x2: Any) -> Any:
        ndim1, ndim2 = x1.ndim, x2.ndim
        if ndim1 == 0 or ndim2 == 0:
            raise ValueError(
                f"matmul: both operands need at least 1 dim, got shapes {x1.shape} and {x2.shape}"
            )
        inner2 = x2.shape[-2] if ndim2 > 1 else x2.shape[0]
        if x1.shape[-1] != inner2:
            raise ValueError(f"matmul: shapes {x1.shape} and {x2.shape} are not aligned")
        self.save_for_backward(x1, x2)
        return x1 @ x2

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x1, x2 = self.saved
        xp = self.xp
        if x1.ndim == 1 and x2.ndim == 1:
            return grad * x2, grad * x1
        # Treat 1-D operands as a row (x1) or a column (x2) and drop that dim again afterwards.
        matrix1 = x1[None, :] if x1.ndim == 1 else x1
        matrix2 = x2[:, None] if x2.ndim == 1 else x2
        if x1.ndim == 1:
            grad = xp.expand_dims(grad, -2)
        if x2.ndim == 1:
            grad = xp.expand_dims(grad, -1)
        grad_x1 = grad_x2 = None
        if self.needs_grad[0]:
            grad_x1 = grad @ xp.swapaxes(matrix2, -1, -2)
            if x1.ndim == 1:
                grad_x1 = grad_x1[..., 0, :]
        if self.needs_grad[1]:
            grad_x2 = xp.swapaxes(matrix1, -1, -2) @ grad
            if x2.ndim == 1:
                grad_x2 = grad_x2[..., 0]
        return grad_x1, grad_x2
