"""The original AutoCompyute spellings keep working, with a DeprecationWarning naming the new."""

import importlib

import pytest

import autocompyute as ac

OLD_NAMES = [
    ("autocompyute.nn", "Batchnorm", "BatchNorm"),
    ("autocompyute.nn", "Layernorm", "LayerNorm"),
    ("autocompyute.nn", "Conv1D", "Conv1d"),
    ("autocompyute.nn", "Conv2D", "Conv2d"),
    ("autocompyute.nn", "ConvTranspose2D", "ConvTranspose2d"),
    ("autocompyute.nn", "MaxPooling2D", "MaxPool2d"),
    ("autocompyute.nn.layers.normalization", "Layernorm", "LayerNorm"),
    ("autocompyute.nn.layers.convolution", "Conv2D", "Conv2d"),
    ("autocompyute.nn.layers.pooling", "MaxPooling2D", "MaxPool2d"),
    ("autocompyute.nn.functional.convolution", "maxpool2d", "maxpool2d"),
    ("autocompyute.ops.unary", "ReLU", "ReLUOp"),
    ("autocompyute.ops.unary", "Sigmoid", "SigmoidOp"),
    ("autocompyute.ops.unary", "Tanh", "TanhOp"),
    ("autocompyute.ops.movement", "Reshape", "ReshapeOp"),
    ("autocompyute.autograd.graph", "draw_graph", "draw_graph"),
]


@pytest.mark.parametrize(("module_name", "old", "new"), OLD_NAMES)
def test_old_name_warns_and_is_the_new_object(module_name, old, new):
    module = importlib.import_module(module_name)
    with pytest.warns(DeprecationWarning, match=f"{old} is deprecated; use {new}"):
        value = getattr(module, old)
    assert value.__name__ == new


def test_old_layer_spellings_still_build_working_layers():
    with pytest.warns(DeprecationWarning):
        model = ac.nn.Sequential(
            ac.nn.Conv2D(1, 2, kernel_size=3, padding=1),
            ac.nn.Batchnorm(2),
            ac.nn.MaxPooling2D(2),
            ac.nn.Flatten(),
            ac.nn.Layernorm(8),
        )
    assert model(ac.ones(3, 1, 4, 4)).shape == (3, 8)


def test_unknown_names_still_raise_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        ac.nn.Nope  # noqa: B018
