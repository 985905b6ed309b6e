"""Backward from several threads: leaf gradients lose nothing; shared graphs are guarded."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import autocompyute as ac


def run_threads(target, n_threads: int) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(n_threads)

    def body() -> None:
        barrier.wait()
        try:
            target()
        except BaseException as error:  # collected and checked by the test
            errors.append(error)

    threads = [threading.Thread(target=body) for _ in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_threads_accumulating_into_one_leaf_lose_nothing():
    # Array additions this large release the GIL, so unguarded `+=` from two threads would race.
    n_threads, calls, size = 4, 10, 1_000_000
    leaf = ac.zeros(size, req_grad=True)

    def work() -> None:
        for _ in range(calls):
            (leaf * 1.0).sum().backward()  # each thread its own graph, one shared leaf

    errors = run_threads(work, n_threads)
    assert not errors
    short = int(np.count_nonzero(leaf.grad != n_threads * calls))
    assert short == 0, f"{short} elements lost contributions"


def test_threads_scattering_into_one_leaf_lose_nothing():
    n_threads, calls = 4, 20
    leaf = ac.zeros(200_000, req_grad=True)
    index = ac.tensor(np.arange(0, 200_000, 2))

    def work() -> None:
        for _ in range(calls):
            leaf[index].sum().backward()  # IndexedGradient path
            leaf[::2].sum().backward()

    assert not run_threads(work, n_threads)
    expected = np.zeros(200_000, np.float32)
    expected[::2] = 2 * n_threads * calls
    np.testing.assert_array_equal(leaf.grad, expected)


def test_concurrent_backward_over_one_graph_is_exact_or_refused():
    x = ac.ones(500_000, req_grad=True)
    y = ((x * 2.0).exp() * 1.5 + x).sum()  # retained and shared by all threads
    local = 2 * 1.5 * np.exp(np.float32(2.0)) + 1
    successes = []

    def work() -> None:
        for _ in range(15):
            try:
                y.backward(retain_graph=True)
            except RuntimeError as error:
                assert "concurrent backward passes over one graph" in str(error)
            else:
                successes.append(1)

    assert not run_threads(work, 4)
    # Each pass either added its whole contribution or (refused) nothing at all.
    np.testing.assert_allclose(x.grad, len(successes) * local, rtol=1e-5)
    y.backward(retain_graph=True)  # the graph is still usable afterwards
    np.testing.assert_allclose(x.grad, (len(successes) + 1) * local, rtol=1e-5)


def test_backward_started_inside_a_backward_of_the_same_graph_is_refused():
    from autocompyute.autograd.op import Op

    holder: dict = {}

    class Reenter(Op):
        def forward(self, x):
            return x * 1

        def backward(self, grad):
            holder["y"].backward(retain_graph=True)
            return grad

    x = ac.ones(3, req_grad=True)
    y = Reenter.apply(x * 2).sum()
    holder["y"] = y
    with pytest.raises(RuntimeError, match="being backpropagated by another backward"):
        y.backward(retain_graph=True)
    assert x.grad is None  # nothing written
    holder.clear()
