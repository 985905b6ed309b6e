"""Dataloader: batching, shuffling, drop_remaining, len, device and validation."""

import numpy as np
import pytest

import autocompyute as ac
from autocompyute import nn
from autocompyute.nn.dataloader import Dataloader


def _data(n=10):
    x = ac.arange(n * 3, dtype="float32").view(n, 3)
    y = ac.arange(n)
    return x, y


def test_export():
    assert nn.Dataloader is Dataloader


def test_unshuffled_batches_in_order_with_remainder():
    x, y = _data(10)
    loader = Dataloader((x, y), batch_size=4, shuffle_data=False)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [b[1].data.tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    for bx, by in batches:
        assert isinstance(bx, ac.Tensor) and not bx.req_grad
        np.testing.assert_array_equal(bx.data, x.data[by.data])
        assert bx.dtype == np.float32 and by.dtype == np.int64


def test_drop_remaining():
    loader = Dataloader(_data(10), batch_size=4, shuffle_data=False, drop_remaining=True)
    assert len(loader) == 2
    assert [len(b[0]) for b in loader] == [4, 4]
    exact = Dataloader(_data(8), batch_size=4, drop_remaining=True)
    assert len(exact) == 2 and len(list(exact)) == 2


def test_batch_size_larger_than_data_gives_one_batch():
    loader = Dataloader(_data(3), batch_size=8, drop_remaining=True)
    assert len(loader) == 1 and len(next(iter(loader))[0]) == 3


def test_shuffling_covers_all_samples_and_keeps_pairs_aligned():
    x, y = _data(10)
    loader = Dataloader((x, y), batch_size=3)
    seen = []
    for bx, by in loader:
        np.testing.assert_array_equal(bx.data, x.data[by.data])
        seen.extend(by.data.tolist())
    assert sorted(seen) == list(range(10)) and seen != list(range(10))


def test_shuffling_differs_between_epochs_and_follows_the_seed():
    loader = Dataloader(_data(20), batch_size=20)
    ac.set_random_seed(5)
    first = next(iter(loader))[1].data.tolist()
    second = next(iter(loader))[1].data.tolist()
    ac.set_random_seed(5)
    again = next(iter(loader))[1].data.tolist()
    assert first != second and first == again


def test_call_form_of_the_original_api():
    loader = Dataloader(_data(4), batch_size=2, shuffle_data=False)
    assert [b[1].data.tolist() for b in loader()] == [[0, 1], [2, 3]]


def test_single_tensor_gives_one_element_tuples():
    batches = list(Dataloader(ac.arange(4), batch_size=2, shuffle_data=False))
    assert len(batches) == 2 and len(batches[0]) == 1


def test_validation_errors():
    x, _ = _data(10)
    with pytest.raises(ValueError, match=r"same length.*\[10, 9\]"):
        Dataloader((x, ac.arange(9)))
    with pytest.raises(ValueError, match="batch_size"):
        Dataloader((x,), batch_size=0)
    with pytest.raises(TypeError, match="Tensor"):
        Dataloader((x, np.arange(10)))
    with pytest.raises(ValueError, match="at least one"):
        Dataloader(())


@pytest.mark.cuda
def test_batches_are_placed_on_the_device():
    x, y = _data(10)
    loader = Dataloader((x, y), batch_size=4, device="cuda")
    for bx, by in loader:
        assert bx.device == "cuda:0" and by.device == "cuda:0"
        np.testing.assert_array_equal(bx.as_numpy(), x.data[by.as_numpy()])
    gpu_loader = Dataloader((x.to("cuda"), y.to("cuda")), batch_size=4, device="cpu")
    for bx, by in gpu_loader:
        assert bx.device == "cpu"
        np.testing.assert_array_equal(bx.data, x.data[by.data])
