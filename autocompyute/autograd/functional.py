"""`grad`: gradients of outputs w.r.t. chosen inputs, without touching any `.grad`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy

from autocompyute import _engine
from autocompyute.backend import device_of

__all__ = ["grad", "seed_gradient"]


def seed_gradient(tensor: Any, dy: Any, caller: str, argument: str = "dy") -> Any:
    """The gradient array that starts backpropagation from `tensor`.

    Args:
        tensor: where backpropagation starts.
        dy: the gradient w.r.t. `tensor` (array-like or Tensor of its shape), or None for a
            one-element tensor (then 1).
        caller, argument: the function and argument named in the error messages.
    """
    data = tensor.data
    if dy is None:
        if data.size != 1:
            raise RuntimeError(
                f"{caller} without {argument} needs a one-element tensor, got shape "
                f"{tuple(data.shape)}; pass {argument} (the gradient w.r.t. this tensor) or "
                f"reduce first, e.g. y.sum()"
            )
        seed = data.__class__(data.shape, dtype=data.dtype)
        seed.fill(1)
        return seed
    seed = dy.data if isinstance(dy, _engine.TensorCore) else dy
    if not isinstance(seed, numpy.ndarray) and not hasattr(seed, "__cuda_array_interface__"):
        seed = numpy.asarray(seed, dtype=data.dtype)
    if tuple(seed.shape) != tuple(data.shape):
        raise ValueError(
            f"{caller}: {argument} has shape {tuple(seed.shape)}, expected {tuple(data.shape)}"
        )
    if seed.dtype != data.dtype:
        seed = seed.astype(data.dtype)
    if type(seed) is not type(data):
        raise RuntimeError(
            f"{caller}: {argument} is on {device_of(seed)}, the tensor on {device_of(data)}"
        )
    return seed


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    materialize_grads: bool = False,
) -> tuple[Any, ...]:
    """Returns the gradients of `outputs` w.r.t. `inputs`; no `.grad` is read or written.

    Computes the sum over outputs of `grad_outputs[i]` times the Jacobian of `outputs[i]`
    (vector-Jacobian products), as `torch.autograd.grad` does. Hooks registered on the inputs
    run; post-accumulate hooks do not (nothing is accumulated).

    Args:
        outputs: a Tensor or a sequence of Tensors that require grad.
        inputs: a Tensor or a sequence of Tensors (leaves or intermediates) that require grad.
        grad_outputs: the gradient w.r.t. each output (array-like or Tensor of its shape);
            None (or a None entry) means 1 for a one-element output.
        retain_graph: keep the graph for another backward pass (default False).
        create_graph: higher-order gradients are not supported: True raises.
        allow_unused: if False (default), an input that the outputs do not depend on is an
            error; if True its gradient is None.
        materialize_grads: return zeros instead of None for unused inputs (implies
            allow_unused).

    Returns:
        A tuple of Tensors (or None), one per input, shaped like the inputs.

    >>> import autocompyute as ac
    >>> x = ac.tensor([1.0, 2.0], req_grad=True)
    >>> (dx,) = ac.autograd.grad((x * x).sum(), x)
    >>> dx.data, x.grad
    (array([2., 4.], dtype=float32), None)
    """
    if create_graph:
        raise NotImplementedError(
            "grad(create_graph=True): higher-order gradients (differentiating a gradient) are "
            "not supported by autocompyute; gradients are computed outside the graph"
        )
    output_list = _as_sequence(outputs, "outputs")
    input_list = _as_sequence(inputs, "inputs")
    if not input_list:
        raise ValueError("grad: inputs must not be empty")
    seeds = (
        _as_sequence(grad_outputs, "grad_outputs")
        if grad_outputs is not None
        else ([None] * len(output_list))
    )
    if len(seeds) != len(output_list):
        raise ValueError(f"grad: got {len(seeds)} grad_outputs for {len(output_list)} outputs")
    for index, tensor in enumerate(input_list):
        if not tensor.req_grad:
            raise RuntimeError(
                f"grad: inputs[{index}] does not require grad (one of the "
                "differentiated Tensors does not require grad)"
            )
    for index, tensor in enumerate(output_list):
        if not tensor.req_grad:
            raise RuntimeError(f"grad: outputs[{index}] does not require grad and has no graph")
    if len(output_list) == 1:
        root = output_list[0]
        seed = seed_gradient(root, seeds[0], "grad", "grad_outputs[0]")
    else:
        # one pass over all outputs: backpropagate sum_i <outputs[i], grad_outputs[i]>
        root = None
        previous = _engine.set_grad_enabled(True)
        try:
            for index, (tensor, dy) in enumerate(zip(output_list, seeds)):
                dy = seed_gradient(tensor, dy, "grad", f"grad_outputs[{index}]")
                term = (tensor * _engine.wrap(dy)).sum()
                root = term if root is None else root + term
        finally:
            _engine.set_grad_enabled(previous)
        seed = seed_gradient(root, None, "grad")
    unique: dict[int, int] = {}
    for tensor in input_list:
        unique.setdefault(id(tensor), len(unique))
    distinct = tuple({id(t): t for t in input_list}.values())
    found = _engine.run_backward_capturing(root, seed, bool(retain_graph), distinct)
    results: list[Any] = []
    for index, tensor in enumerate(input_list):
        value = found[unique[id(tensor)]]
        if value is None:
            if not (allow_unused or materialize_grads):
                raise RuntimeError(
                    f"grad: inputs[{index}] was not used to compute the outputs (one of the "
                    "differentiated Tensors appears to not have been used in the graph); "
                    "set allow_unused=True if this is the desired behavior"
                )
            if materialize_grads:
                data = tensor.data
                value = data.__class__(data.shape, dtype=data.dtype)
                value.fill(0)
        results.append(None if value is None else _engine.wrap(value))
    return tuple(results)


def _as_sequence(value: Any, name: str) -> list[Any]:
    if isinstance(value, _engine.TensorCore):
        return [value]
    if isinstance(value, Sequence) and not isinstance(value, str):
        items = list(value)
        for index, item in enumerate(items):
            if name != "grad_outputs" and not isinstance(item, _engine.TensorCore):
                raise TypeError(
                    f"grad: {name}[{index}] is a {type(item).__name__}, expected a Tensor"
                )
        return items
    if name == "grad_outputs":
        return [value]
    raise TypeError(
        f"grad: {name} must be a Tensor or a sequence of Tensors, got {type(value).__name__}"
    )
