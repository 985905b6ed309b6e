"""Connects the compiled engine to the Python side: the one place where the engine is wired up.

The engine (csrc/autocompyute/_engine.pyx) knows no op, no dtype rule and no `Tensor` class of
its own. `install` hands it the tensor class its results are made of, the ops behind the
operators (`+ - * / @ ** -x`) and `tensor[key]`, the built-in ops it runs in C, the Python
paths for operands and keys it leaves to Python (dtype promotion, key checks), and the lookup
of CuPy's array module and of the user's source line (for anomaly mode).
tensor.py calls it once, right after defining `Tensor`.
"""

from __future__ import annotations

from autocompyute import _engine
from autocompyute.autograd.anomaly import user_source_line
from autocompyute.backend import array_module
from autocompyute.ops.binary import Add, Div, Mul, Pow, Sub, apply_promoted
from autocompyute.ops.indexing import Index, getitem
from autocompyute.ops.linalg import MatMul
from autocompyute.ops.reduce import Mean, Sum
from autocompyute.ops.unary import Abs, Cos, Exp, Log, Neg, ReLUOp, SigmoidOp, Sin, Sqrt, TanhOp

__all__ = ["install"]


def install(tensor_class: type[_engine.TensorCore]) -> None:
    """Registers `tensor_class` and the operator ops and fallbacks with the engine."""
    _engine.set_tensor_class(tensor_class)
    _engine.set_array_module_resolver(array_module)
    _engine.set_source_locator(user_source_line)  # where anomaly mode says an op was made
    _engine.register_arithmetic(Add, Sub, Mul, Div, MatMul, Neg, Pow, apply_promoted)
    _engine.register_indexing(Index, getitem)
    # Ops the engine runs in C (their classes stay the reference, see testing.reference_ops).
    _engine.register_builtin_ops(
        {
            "add": Add,
            "sub": Sub,
            "mul": Mul,
            "div": Div,
            "neg": Neg,
            "exp": Exp,
            "log": Log,
            "sqrt": Sqrt,
            "abs": Abs,
            "tanh": TanhOp,
            "sigmoid": SigmoidOp,
            "relu": ReLUOp,
            "sin": Sin,
            "cos": Cos,
            "pow": Pow,
            "sum": Sum,
            "mean": Mean,
        }
    )
