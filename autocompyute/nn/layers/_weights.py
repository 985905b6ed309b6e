"""Parameter setup shared by layers: PyTorch's default initialization, `weight`/`bias` aliases."""

from __future__ import annotations

import math

from autocompyute import factories
from autocompyute.nn.module import Module, Parameter


def uniform_parameter(shape: tuple[int, ...], fan_in: int, label: str) -> Parameter:
    """A parameter drawn uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's default for layers.

    Args:
        shape: the parameter's shape.
        fan_in: the number of inputs that each output sums over.
        label: name shown in graph drawings ("Weights" or "Biases").
    """
    bound = 1.0 / math.sqrt(fan_in)
    return Parameter(factories.randu(*shape, low=-bound, high=bound), label=label)


class WeightsAndBiases(Module):
    """Base of layers with weights `w` and optional biases `b` (Linear and the convolutions)."""

    w: Parameter
    b: Parameter | None

    @property
    def weight(self) -> Parameter:
        """Alias of `w` (PyTorch's name)."""
        return self.w

    @property
    def bias(self) -> Parameter | None:
        """Alias of `b` (PyTorch's name)."""
        return self.b
