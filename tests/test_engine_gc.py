"""Reference cycles through user objects an op holds are collected; plain graphs stay untracked."""

from __future__ import annotations

import gc
import weakref

import numpy as np

import autocompyute as ac
from autocompyute.autograd.op import Op


class Scale(Op):
    def forward(self, x, cache=None):
        return x * 2

    def backward(self, grad):
        return grad * 2


class Remember(Op):
    """Keeps a user object as a Python attribute set in forward."""

    def forward(self, x):
        self.notes = {}
        return x * 2

    def backward(self, grad):
        return grad * 2


class SaveObject(Op):
    """Saves a user object (not an array) for backward."""

    def forward(self, x, box):
        self.save_for_backward(box)
        return x * 2

    def backward(self, grad):
        return grad * 2, None


def collected(make_cycle) -> bool:
    gc.collect()
    ref = make_cycle()
    gc.collect()
    return ref() is None


def test_cycle_through_a_keyword_argument_is_collected():
    t = ac.ones(1000, req_grad=True)

    def make():
        cache = {}
        cache["out"] = Scale.apply(t, cache=cache)
        cache["later"] = (cache["out"].exp() * 3).sum()  # downstream nodes are on the cycle too
        return weakref.ref(cache["later"])

    assert collected(make)


def test_cycle_through_an_attribute_set_in_forward_is_collected():
    t = ac.ones(1000, req_grad=True)

    def make():
        y = Remember.apply(t)
        y.grad_fn.notes["me"] = y.exp()
        return weakref.ref(y)

    assert collected(make)


def test_cycle_through_a_saved_object_is_collected():
    t = ac.ones(1000, req_grad=True)

    def make():
        box: list = []
        y = SaveObject.apply(t, box)
        box.append(y)
        return weakref.ref(y)

    assert collected(make)


def test_many_cycles_do_not_accumulate():
    t = ac.ones(10_000, req_grad=True)
    refs = []
    for _ in range(50):
        cache: dict = {}
        cache["out"] = Scale.apply(t, cache=cache)
        refs.append(weakref.ref(cache["out"]))
        del cache
    gc.collect()
    assert all(ref() is None for ref in refs)


def test_graphs_without_user_objects_stay_off_the_collector():
    x = ac.ones(3, req_grad=True)
    y = ((x * 2).exp().sum(0) + x[1]).tanh()
    node = y.grad_fn
    while node is not None:
        assert not gc.is_tracked(node), type(node).__name__
        parents = [p for p in node.parents if isinstance(p, ac.Tensor) and p.grad_fn is not None]
        for parent in parents:
            assert not gc.is_tracked(parent)
        node = parents[0].grad_fn if parents else None
    y.backward()
    np.testing.assert_allclose(x.grad[0], 2 * np.exp(2) * (1 - np.tanh(3 * np.exp(2) + 1) ** 2))
