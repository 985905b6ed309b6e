"""Differentiable operations, one module per family.

Each op is a small `Op` subclass whose `forward` and `backward` work on raw arrays through
`self.xp` (NumPy or CuPy). The functions beside the classes take and return tensors.
"""

from autocompyute.ops import binary, linalg, movement, reduce, unary

__all__ = ["binary", "linalg", "movement", "reduce", "unary"]
