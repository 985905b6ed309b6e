"""autocompyute.utils.data against torch.utils.data: batches, collation, samplers, splits."""

import numpy as np
import pytest

import autocompyute as ac
from autocompyute.testing import torch_or_skip
from autocompyute.utils import data

torch = torch_or_skip()
tdata = torch.utils.data


def _as_numpy(value):
    if isinstance(value, ac.Tensor):
        return value.data
    if isinstance(value, torch.Tensor):
        return value.numpy()
    if isinstance(value, dict):
        return {key: _as_numpy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_as_numpy(item) for item in value]
    return value


def _assert_same_batch(ours, theirs):
    ours, theirs = _as_numpy(ours), _as_numpy(theirs)
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs)
        for key in theirs:
            _assert_same_batch(ours[key], theirs[key])
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _assert_same_batch(a, b)
    elif isinstance(theirs, np.ndarray):
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)
    else:
        assert ours == theirs


@pytest.mark.parametrize(
    "batch_size, drop_last", [(1, False), (3, False), (3, True), (10, False), (4, True)]
)
def test_tensor_dataset_batches_match_torch(batch_size, drop_last):
    x = np.arange(30, dtype=np.float32).reshape(10, 3)
    y = np.arange(10)
    ours = data.DataLoader(
        data.TensorDataset(ac.tensor(x), ac.tensor(y)), batch_size=batch_size, drop_last=drop_last
    )
    theirs = tdata.DataLoader(
        tdata.TensorDataset(torch.tensor(x), torch.tensor(y)),
        batch_size=batch_size,
        drop_last=drop_last,
    )
    assert len(ours) == len(theirs)
    batches = list(ours)
    assert len(batches) == len(list(theirs))
    for a, b in zip(batches, theirs):
        _assert_same_batch(a, b)


class Records:
    """A map-style dataset of mixed samples (not a Dataset subclass: duck typing works)."""

    def __init__(self, kind):
        self.kind = kind

    def __len__(self):
        return 5

    def __getitem__(self, index):
        values = np.full(2, index, dtype=np.float32)
        if self.kind == "tuple":
            return values, index, float(index) / 2, f"s{index}", bool(index % 2)
        if self.kind == "dict":
            return {"x": values, "label": index, "nested": {"weight": 0.5 * index}}
        return [values, index]


@pytest.mark.parametrize("kind", ["tuple", "dict", "list"])
def test_default_collate_matches_torch(kind):
    ours = list(data.DataLoader(Records(kind), batch_size=2))
    theirs = list(tdata.DataLoader(Records(kind), batch_size=2))
    for a, b in zip(ours, theirs):
        _assert_same_batch(a, b)


def test_default_collate_named_tuples_and_tensors():
    from collections import namedtuple

    Pair = namedtuple("Pair", "x y")
    batch = [Pair(ac.ones(2), 1), Pair(ac.zeros(2), 2)]
    out = data.default_collate(batch)
    assert isinstance(out, Pair) and out.x.shape == (2, 2) and out.y.data.tolist() == [1, 2]


def test_default_collate_errors():
    with pytest.raises(TypeError, match="found object"):
        data.default_collate([object(), object()])
    with pytest.raises(RuntimeError, match="equal size"):
        data.default_collate([[1, 2], [1]])
    with pytest.raises(ValueError, match="empty"):
        data.default_collate([])


def test_shuffle_is_seeded_by_the_library_generator_and_covers_every_sample():
    dataset = data.TensorDataset(ac.arange(20))
    ac.set_random_seed(5)
    first = [b[0].data.tolist() for b in data.DataLoader(dataset, batch_size=6, shuffle=True)]
    ac.set_random_seed(5)
    again = [b[0].data.tolist() for b in data.DataLoader(dataset, batch_size=6, shuffle=True)]
    assert first == again
    flat = [index for batch in first for index in batch]
    assert sorted(flat) == list(range(20)) and flat != list(range(20))
    generator = np.random.default_rng(0)
    order = list(data.RandomSampler(range(20), generator=generator))
    assert order == np.random.default_rng(0).permutation(20).tolist()


def test_samplers():
    assert list(data.SequentialSampler(range(4))) == [0, 1, 2, 3]
    ac.set_random_seed(0)
    drawn = list(data.RandomSampler(range(3), replacement=True, num_samples=50))
    assert len(drawn) == 50 and set(drawn) <= {0, 1, 2}
    longer = list(data.RandomSampler(range(3), num_samples=7))
    assert len(longer) == 7 and sorted(longer[:3]) == [0, 1, 2] and sorted(longer[3:6]) == [0, 1, 2]
    assert sorted(data.SubsetRandomSampler([5, 7, 9])) == [5, 7, 9]
    batches = data.BatchSampler(data.SequentialSampler(range(7)), batch_size=3, drop_last=True)
    assert list(batches) == [[0, 1, 2], [3, 4, 5]] and len(batches) == 2
    torch_batches = tdata.BatchSampler(tdata.SequentialSampler(range(7)), 3, False)
    assert list(data.BatchSampler(range(7), 3, False)) == list(torch_batches)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        data.BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last must be a bool"):
        data.BatchSampler(range(3), 1, None)
    with pytest.raises(ValueError, match="num_samples"):
        data.RandomSampler(range(3), num_samples=0)
    with pytest.raises(TypeError, match="replacement must be a bool"):
        data.RandomSampler(range(3), replacement=1)
    with pytest.raises(TypeError, match=r"numpy\.random\.Generator"):
        list(data.RandomSampler(range(3), generator=42))


def test_custom_sampler_batch_sampler_and_collate_fn():
    dataset = data.TensorDataset(ac.arange(6) * 10)
    loader = data.DataLoader(dataset, batch_size=2, sampler=[5, 0, 3, 1])
    assert [b[0].data.tolist() for b in loader] == [[50, 0], [30, 10]]
    loader = data.DataLoader(dataset, batch_sampler=[[1], [2, 3, 4]])
    assert [b[0].data.tolist() for b in loader] == [[10], [20, 30, 40]] and len(loader) == 2
    loader = data.DataLoader(dataset, batch_size=4, collate_fn=lambda samples: len(samples))
    assert list(loader) == [4, 2]
    single = list(data.DataLoader(Records("list"), batch_size=None))
    assert len(single) == 5 and isinstance(single[2][0], ac.Tensor) and single[2][1] == 2


def test_dataloader_errors():
    dataset = data.TensorDataset(ac.arange(4))
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        data.DataLoader(dataset, shuffle=True, sampler=[0, 1])
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        data.DataLoader(dataset, batch_size=2, batch_sampler=[[0]])
    with pytest.raises(ValueError, match="mutually exclusive with drop_last"):
        data.DataLoader(dataset, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        data.DataLoader(dataset, batch_size=0)
    with pytest.raises(ValueError, match="num_workers"):
        data.DataLoader(dataset, num_workers=-1)


def test_tensor_dataset_subset_concat_and_errors():
    x = ac.arange(8).reshape(4, 2)
    dataset = data.TensorDataset(x, ac.arange(4))
    assert len(dataset) == 4 and dataset[2][0].data.tolist() == [4, 5]
    subset = data.Subset(dataset, [3, 1])
    assert len(subset) == 2 and subset[0][1].item() == 3
    both = dataset + subset
    assert len(both) == 6 and both[5][1].item() == 1 and both[-1][1].item() == 1
    with pytest.raises(IndexError, match="out of range"):
        both[6]
    with pytest.raises(ValueError, match="size mismatch"):
        data.TensorDataset(ac.zeros(3), ac.zeros(4))
    with pytest.raises(TypeError, match="expected a Tensor"):
        data.TensorDataset(np.zeros(3))
    with pytest.raises(ValueError, match="0-d"):
        data.TensorDataset(ac.tensor(1.0))


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.25, 0.25, 0.5], [0.33, 0.33, 0.34]])
def test_random_split_sizes_match_torch(lengths):
    ours = data.random_split(range(10), lengths, generator=np.random.default_rng(0))
    theirs = tdata.random_split(range(10), lengths)
    assert [len(part) for part in ours] == [len(part) for part in theirs]
    assert sorted(index for part in ours for index in part.indices) == list(range(10))
    with pytest.raises(ValueError, match="sum to the length"):
        data.random_split(range(10), [3, 3])


def test_iterable_dataset():
    class Stream(data.IterableDataset):
        def __iter__(self):
            return iter(range(7))

    assert [b.data.tolist() for b in data.DataLoader(Stream(), batch_size=3)] == [
        [0, 1, 2],
        [3, 4, 5],
        [6],
    ]
    assert len(list(data.DataLoader(Stream(), batch_size=3, drop_last=True))) == 2
    with pytest.raises(ValueError, match="IterableDataset"):
        data.DataLoader(Stream(), shuffle=True)


def test_original_dataloader_keeps_its_defaults():
    loader = ac.nn.Dataloader((ac.arange(5),), batch_size=2)
    assert loader.shuffle_data is True and loader.drop_remaining is False
