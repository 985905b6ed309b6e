"""Gradient checking and PyTorch comparison helpers for tests (ours and users' custom ops)."""

from __future__ import annotations

import contextlib
import importlib
import pathlib
import types
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy

from autocompyute import _engine
from autocompyute.autograd.gradcheck import gradcheck, numerical_grads, to_numpy
from autocompyute.backend import move_array
from autocompyute.tensor import Tensor

__all__ = [
    "assert_matches_torch",
    "assert_program_matches_torch",
    "gradcheck",
    "import_torch",
    "numerical_grads",
    "reference_ops",
    "torch_or_skip",
]


def import_torch() -> Any:
    """Imports PyTorch; under pytest, a missing PyTorch skips the calling test instead.

    Outside pytest (or with PyTorch installed) this is `import torch`, raising ImportError
    when it is missing.
    """
    try:
        pytest: Any = importlib.import_module("pytest")
    except ImportError:
        # Imported by name: PyTorch is optional, and type-checking it would triple mypy's time.
        return importlib.import_module("torch")
    return pytest.importorskip("torch")


def torch_or_skip() -> Any:
    """PyTorch if it is installed, else a stand-in whose first real use skips the test.

    For test modules that compare with PyTorch at module level (`torch = torch_or_skip()`):
    without PyTorch, the tests that need none still run, and each test that calls into the
    stand-in (`torch.tensor(...)`, `torch.nn.Linear(...)`) is skipped when it does. Classes
    may subclass stand-in attributes (`class Net(torch.nn.Module)`); they are plain classes then.
    """
    try:
        return importlib.import_module("torch")
    except ImportError:
        return _MissingTorch("torch")


class _MissingTorch:
    """Any attribute of a missing PyTorch; calling or iterating one skips the calling test."""

    def __init__(self, path: str) -> None:
        self._path = path

    def __getattr__(self, name: str) -> _MissingTorch:
        if name.startswith("__"):
            raise AttributeError(name)
        return _MissingTorch(f"{self._path}.{name}")

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[type, ...]:
        return (object,)

    def _skip(self) -> Any:
        pytest: Any = importlib.import_module("pytest")
        pytest.skip(f"needs PyTorch ({self._path})", allow_module_level=True)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._skip()

    def __iter__(self) -> Any:
        return self._skip()

    def __enter__(self) -> Any:
        return self._skip()

    def __exit__(self, *args: Any) -> None:
        return None

    def __repr__(self) -> str:
        return f"<missing {self._path}>"


def assert_matches_torch(
    function: Callable[..., Tensor],
    torch_function: Callable[..., Any],
    inputs: Sequence[Tensor],
    upstream: Callable[[tuple[int, ...]], numpy.ndarray] | None = None,
    rtol: float = 1e-5,
    atol: float = 1e-6,
) -> None:
    """Checks `function` and its gradients against a PyTorch reference (needs PyTorch).

    `torch_function` runs on contiguous CPU copies of `inputs` (which may be on a GPU). The
    outputs must agree in dtype, shape and values; then the same gradient w.r.t. the output is
    backpropagated through both, and the gradient of every input with req_grad must agree in
    dtype, shape and values.

    Args:
        function: our computation, called as `function(*inputs)`.
        torch_function: the reference, called with one torch tensor per input.
        inputs: the tensors (any memory layout; those with req_grad get gradients compared).
        upstream: makes the gradient w.r.t. the output, given the output's shape (a NumPy
            array of the output's dtype); by default evenly spaced values from -1 to 1.
        rtol: relative tolerance, for outputs and gradients.
        atol: absolute tolerance, for outputs and gradients.

    Raises:
        AssertionError: naming what differs.

    Example (with PyTorch installed)::

        x = ac.randn(3, 4, req_grad=True)
        assert_matches_torch(lambda t: t.tanh() * t, lambda t: t.tanh() * t, [x])
    """
    torch = import_torch()
    references = [
        torch.tensor(to_numpy(tensor.data).copy(order="C"), requires_grad=tensor.req_grad)
        for tensor in inputs
    ]
    out = function(*inputs)
    expected = torch_function(*references)
    expected_values = expected.detach().numpy()
    assert out.dtype == expected_values.dtype, (
        f"output dtype {out.dtype}, PyTorch's {expected_values.dtype}"
    )
    assert out.shape == expected_values.shape, (
        f"output shape {out.shape}, PyTorch's {expected_values.shape}"
    )
    numpy.testing.assert_allclose(
        to_numpy(out.data), expected_values, rtol=rtol, atol=atol, err_msg="output"
    )
    if upstream is None:
        grad = numpy.linspace(-1, 1, out.numel(), dtype=out.dtype).reshape(out.shape)
    else:
        grad = upstream(out.shape)
    out.backward(move_array(grad, out.device))
    expected.backward(torch.from_numpy(grad))
    for index, (tensor, reference) in enumerate(zip(inputs, references)):
        if not tensor.req_grad:
            continue
        assert tensor.grad is not None and reference.grad is not None, (
            f"input {index}: no gradient (ours {tensor.grad is not None}, PyTorch's "
            f"{reference.grad is not None})"
        )
        got = to_numpy(tensor.grad)
        assert got.dtype == tensor.dtype and got.shape == tensor.shape, (
            f"input {index}: gradient dtype {got.dtype} and shape {got.shape}, expected "
            f"{tensor.dtype} and {tensor.shape}"
        )
        numpy.testing.assert_allclose(
            got, reference.grad.numpy(), rtol=rtol, atol=atol, err_msg=f"gradient of input {index}"
        )


@contextlib.contextmanager
def reference_ops() -> Iterator[None]:
    """Runs the built-in ops through their Python `Op` classes instead of the engine's C path.

    The classes are the reference implementation of the ops the engine runs in C (elementwise
    arithmetic and functions); both paths give the same results bit for bit. Setting the
    environment variable AUTOCOMPYUTE_REFERENCE_OPS=1 does the same for a whole process.

    >>> import autocompyute as ac
    >>> with reference_ops():
    ...     y = ac.tensor([1.0, 2.0]) * 3
    >>> y
    Tensor([3.0000, 6.0000], dtype=float32, device=cpu)
    """
    previous = _engine.set_builtin_ops_enabled(False)
    try:
        yield
    finally:
        _engine.set_builtin_ops_enabled(previous)


def assert_program_matches_torch(
    program: Callable[..., Any],
    *arrays: numpy.ndarray,
    dtypes: Sequence[tuple[str, float]] = (("float32", 1e-5), ("float64", 1e-12)),
) -> None:
    """Runs `program(lib, *inputs)` with lib = autocompyute and lib = torch and compares them.

    The same program text runs on both libraries (it may use `lib.` functions and tensor
    methods). For each (dtype, tolerance), the inputs are made from `arrays` with gradients
    required; the outputs must agree in dtype, shape and values, and after backpropagating the
    same random weighting of the output, so must every input's gradient.

    Example (with PyTorch installed)::

        assert_program_matches_torch(lambda lib, x: lib.tanh(x).cumsum(0), numpy.ones(3))
    """
    torch = import_torch()
    for dtype, tol in dtypes:
        torch_dtype = getattr(torch, dtype)
        ours = [Tensor(a, dtype=dtype, req_grad=True) for a in arrays]
        theirs = [torch.tensor(a, dtype=torch_dtype, requires_grad=True) for a in arrays]
        got = program(importlib.import_module("autocompyute"), *ours)
        expected = program(torch, *theirs)
        assert str(got.dtype) == dtype, f"output dtype {got.dtype}, expected {dtype}"
        assert got.shape == tuple(expected.shape), (
            f"output shape {got.shape}, PyTorch's {tuple(expected.shape)}"
        )
        numpy.testing.assert_allclose(
            to_numpy(got.data), expected.detach().numpy(), rtol=tol, atol=tol, err_msg="output"
        )
        weight = numpy.random.default_rng(1).standard_normal(got.shape)
        (got * Tensor(weight, dtype=dtype)).sum().backward()
        (expected * torch.tensor(weight, dtype=torch_dtype)).sum().backward()
        for index, (x, t) in enumerate(zip(ours, theirs)):
            want = numpy.zeros(t.shape) if t.grad is None else t.grad.numpy()
            have = numpy.zeros(x.shape) if x.grad is None else to_numpy(x.grad)
            numpy.testing.assert_allclose(
                have, want, rtol=tol, atol=tol, err_msg=f"gradient of input {index} ({dtype})"
            )


# The import lines of a PyTorch program and what they become under autocompyute.
TORCH_IMPORTS = {
    "import torch\n": "import autocompyute as torch\n",
    "import torch.nn as nn\n": "import autocompyute.nn as nn\n",
    "import torch.nn.functional as F\n": "import autocompyute.nn.functional as F\n",
    "from torch.optim.lr_scheduler import StepLR\n": (
        "from autocompyute.optim.lr_scheduler import StepLR\n"
    ),
    "from torch.utils.data import DataLoader, TensorDataset\n": (
        "from autocompyute.utils.data import DataLoader, TensorDataset\n"
    ),
}


def load_torch_program(path: Any, library: str) -> types.ModuleType:
    """Runs the PyTorch program file `path` as a module, as written ("torch") or with only its
    import lines switched to autocompyute ("autocompyute"), and returns the module.

    Raises:
        AssertionError: if the file holds an import line of `TORCH_IMPORTS` more than once, or
            code outside those lines mentions autocompyute (the program must be plain PyTorch).
    """
    source = pathlib.Path(path).read_text()
    lines = [line + "\n" for line in source.splitlines()]
    used = [line for line in TORCH_IMPORTS if line in lines]
    assert all(lines.count(line) == 1 for line in used), f"{path}: an import line repeats"
    body = "".join(line for line in lines if line not in TORCH_IMPORTS)
    code = body.replace("autocompyute.", "").split('"""', 2)[-1]  # after the docstring
    assert "autocompyute" not in code, f"{path}: not plain PyTorch code"
    if library == "autocompyute":
        for theirs in used:
            source = source.replace(theirs, TORCH_IMPORTS[theirs])
    elif library != "torch":
        raise ValueError(f"library must be 'torch' or 'autocompyute', got {library!r}")
    module = types.ModuleType(f"{pathlib.Path(path).stem}_{library}")
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module
