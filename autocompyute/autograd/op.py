"""The public base class of differentiable operations, and the typed ways to run one.

`apply(OpType, *inputs, **kwargs)` runs an op on tensors (and constants) and wires the result
into the graph; `apply1`/`apply2` are its fast paths for one or two inputs without keyword
arguments; `wrap(array)` makes a tensor of an array, outside the graph. All four are the
engine's functions, typed here so that callers get a `Tensor` back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autocompyute import _engine

if TYPE_CHECKING:
    from autocompyute.tensor import Tensor

__all__ = ["Op", "apply", "apply1", "apply2", "op_name", "wrap"]

if TYPE_CHECKING:

    def apply(op_type: type[_engine.OpNode], *inputs: Any, **kwargs: Any) -> Tensor: ...
    def apply1(op_type: type[_engine.OpNode], x: Any) -> Tensor: ...
    def apply2(op_type: type[_engine.OpNode], x1: Any, x2: Any) -> Tensor: ...
    def wrap(data: Any) -> Tensor: ...

else:
    apply = _engine.apply
    apply1 = _engine.apply1
    apply2 = _engine.apply2
    wrap = _engine.wrap


def op_name(node: _engine.OpNode) -> str:
    """The name of a graph node as reprs, drawings and errors show it (`Op.name` for ops)."""
    name = getattr(node, "name", None)
    return name if isinstance(name, str) else type(node).__name__


class Op(_engine.OpNode):
    """A differentiable operation on raw arrays (NumPy or CuPy).

    Subclasses implement `forward(*arrays, **kwargs) -> array` and `backward(grad) -> gradients`
    (one per input, `None` where `self.needs_grad[i]` is False). Inside both, `self.xp` is the
    array module of the inputs, so one implementation serves CPU and GPU. Whatever backward needs
    is kept with `self.save_for_backward(...)` and read back from `self.saved`; the engine frees
    it after backward. Gradients may be returned in broadcast form: the engine sums them down to
    each input's shape and checks their dtype.

    User-defined subclasses always run through these Python methods. (The library's own
    elementwise, reduction and indexing ops are also run by the engine in C; their classes are
    the reference, forced with `autocompyute.testing.reference_ops()`.)

    The engine creates ops without calling `__init__`; configuration arrives as keyword
    arguments of `forward` (and is kept in `self.kwargs`).

    Example:
        >>> import autocompyute as ac
        >>> class Cube(Op):
        ...     def forward(self, x):
        ...         self.save_for_backward(x)
        ...         return x * x * x
        ...     def backward(self, grad):
        ...         (x,) = self.saved
        ...         return grad * 3 * x * x
        >>> x = ac.tensor([1.0, 2.0], req_grad=True)
        >>> y = Cube.apply(x)
        >>> y.sum().backward()
        >>> x.grad
        array([ 3., 12.], dtype=float32)
    """

    def forward(self, *arrays: Any, **kwargs: Any) -> Any:
        """Computes the output array from the input arrays."""
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, grad: Any) -> Any:
        """Returns the gradients w.r.t. the inputs, given the gradient w.r.t. the output."""
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    @classmethod
    def apply(cls, *inputs: Any, **kwargs: Any) -> Tensor:
        """Applies the op to tensors (and constants), recording it in the graph if needed."""
        return apply(cls, *inputs, **kwargs)

    @property
    def name(self) -> str:
        """The op's name as shown in reprs and graph drawings: the class name without "Op".

        Op classes whose natural name is also a layer's (`LinearOp`, `ReLUOp`) carry the suffix
        so that the two never share a name; drawings still read `Linear`, `ReLU`.
        """
        return type(self).__name__.removesuffix("Op")

    def __repr__(self) -> str:
        return f"<{self.name} op>"
