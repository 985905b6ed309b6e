"""Parameter setup shared by layers: PyTorch's default initialization, `weight` and `bias`."""

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
    """Base of layers with `weight` and optional `bias` (Linear and the convolutions).

    The original AutoCompyute's names `w` and `b` read and assign the same parameters, so
    `a.weight = b.weight` and `a.w = b.w` both tie the two layers to one parameter.
    """

    aliases = {"w": "weight", "b": "bias"}
    weight: Parameter
    bias: Parameter | None
