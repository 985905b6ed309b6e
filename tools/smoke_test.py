"""Smoke test of an installed autocompyute: run it from outside the source tree.

It checks that the package imports from site-packages (not from a checkout), that the engine is
the compiled extension, and that a forward and backward pass give the right numbers. It exits
non-zero with a message naming the failed check.
"""

from __future__ import annotations

import pathlib
import sys


def fail(check: str, detail: str) -> None:
    print(f"smoke test FAILED at '{check}': {detail}", file=sys.stderr)
    sys.exit(1)


def main() -> None:
    try:
        import autocompyute as ac
        from autocompyute import _engine
    except Exception as error:  # any import failure is the finding
        fail("import", f"{type(error).__name__}: {error}")
        return
    if "cupy" in sys.modules:
        fail("lazy CuPy", "importing autocompyute imported CuPy (it must wait for a CUDA device)")
    package_dir = pathlib.Path(ac.__file__).resolve().parent
    if (package_dir.parent / "csrc").is_dir():
        fail("installed copy", f"imported from a source tree: {package_dir}")
    engine_file = pathlib.Path(_engine.__file__ or "")
    if engine_file.suffix not in (".so", ".pyd"):
        fail("compiled engine", f"autocompyute._engine is not an extension module: {engine_file}")
    x = ac.tensor([[1.0, 2.0], [3.0, 4.0]], req_grad=True)
    w = ac.tensor([[0.5], [-1.0]], req_grad=True)
    loss = ((x @ w).tanh() ** 2).sum()
    loss.backward()
    if x.grad is None or w.grad is None:
        fail("backward", "gradients were not written")
        return
    import numpy as np

    xv, wv = x.data.astype(np.float64), w.data.astype(np.float64)
    t = np.tanh(xv @ wv)
    upstream = 2 * t * (1 - t**2)
    if not np.allclose(float(loss.item()), (t**2).sum(), rtol=1e-5):
        fail("forward", f"loss {loss.item()} != {(t**2).sum()}")
    if not np.allclose(x.grad, upstream @ wv.T, rtol=1e-5):
        fail("backward", f"x.grad {x.grad.tolist()} is wrong")
    if not np.allclose(w.grad, xv.T @ upstream, rtol=1e-5):
        fail("backward", f"w.grad {w.grad.tolist()} is wrong")
    print(
        f"autocompyute {ac.__version__} OK: compiled engine {engine_file.name}, from {package_dir}"
    )


if __name__ == "__main__":
    main()
