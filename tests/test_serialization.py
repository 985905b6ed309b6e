"""save/load: round trips, the documented format, atomic writes and corrupt files."""

import json
import os

import numpy as np
import pytest

import autocompyute as ac
from autocompyute import serialization
from autocompyute.serialization import load, save


def test_round_trip_of_nested_state_is_exact(tmp_path):
    obj = {
        "weights": {
            "lin1.w": np.arange(6, dtype=np.float32).reshape(2, 3),
            "lin1.b": np.array([1.5, -2.0], dtype=np.float64),
        },
        "state": {0: {"step": 3, "exp_avg": np.ones(2, np.float16)}, 7: {}},
        "hyper": {"lr": 0.001, "nesterov": True, "name": "Adam", "none": None},
        "list": [1, 2.5, (3, "x")],
        "scalar": np.float32(0.25),
        "ints": np.array([[1, 2]], dtype=np.int8),
        "empty": np.zeros((0, 4), np.float32),
    }
    path = tmp_path / "state.npz"
    save(obj, path)
    loaded = load(path)
    assert list(loaded) == list(obj)
    assert loaded["hyper"] == obj["hyper"]
    assert loaded["list"] == [1, 2.5, (3, "x")] and isinstance(loaded["list"][2], tuple)
    assert list(loaded["state"]) == [0, 7] and loaded["state"][0]["step"] == 3
    assert loaded["scalar"] == np.float32(0.25) and type(loaded["scalar"]) is np.float32
    for a, b in [
        (loaded["weights"]["lin1.w"], obj["weights"]["lin1.w"]),
        (loaded["weights"]["lin1.b"], obj["weights"]["lin1.b"]),
        (loaded["state"][0]["exp_avg"], obj["state"][0]["exp_avg"]),
        (loaded["ints"], obj["ints"]),
        (loaded["empty"], obj["empty"]),
    ]:
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


def test_tensors_come_back_as_tensors(tmp_path):
    tensor = ac.randn(3, 2, req_grad=True)
    save({"t": tensor}, tmp_path / "t.npz")
    loaded = load(tmp_path / "t.npz")["t"]
    assert isinstance(loaded, ac.Tensor) and not loaded.req_grad
    np.testing.assert_array_equal(loaded.data, tensor.data)


def test_format_is_plain_npz_with_json_metadata(tmp_path):
    path = tmp_path / "plain.npz"
    save({"w": np.ones(2, np.float32)}, path)
    with np.load(path, allow_pickle=False) as archive:
        metadata = json.loads(str(archive["__autocompyute__"][()]))
        assert metadata["format"] == "autocompyute" and metadata["version"] == 1
        node = metadata["structure"]["items"][0]
        assert node[0] == "w" and node[1]["type"] == "array" and node[1]["dtype"] == "<f4"
        np.testing.assert_array_equal(archive[node[1]["entry"]], 1)


def test_path_is_used_as_given_and_no_temporary_files_remain(tmp_path):
    path = tmp_path / "checkpoint"
    save({"a": 1}, path)
    save({"a": 2}, path)  # overwrite
    assert os.listdir(tmp_path) == ["checkpoint"]
    assert load(str(path)) == {"a": 2}


def test_failed_write_keeps_the_existing_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    save({"w": np.ones(3, np.float32)}, path)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        save({"w": np.zeros(3, np.float32)}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    np.testing.assert_array_equal(load(path)["w"], 1)


def test_unsupported_values_are_clear_errors(tmp_path):
    with pytest.raises(TypeError, match=r"set at obj\['bad'\]"):
        save({"bad": {1, 2}}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="keys"):
        save({(1, 2): 3}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="objects"):
        save(np.array([None, 1], dtype=object), tmp_path / "x.npz")
    assert os.listdir(tmp_path) == []


def test_truncated_file_is_a_clear_error_naming_the_path(tmp_path):
    path = tmp_path / "big.npz"
    save({"w": np.arange(1000, dtype=np.float32)}, path)
    data = path.read_bytes()
    for size in (len(data) // 2, len(data) - 10, 0):
        path.write_bytes(data[:size])
        with pytest.raises(ValueError, match=r"big\.npz.*not a valid autocompyute checkpoint"):
            load(path)


def test_corrupt_data_is_detected(tmp_path):
    path = tmp_path / "c.npz"
    save({"w": np.arange(1000, dtype=np.float32)}, path)
    data = bytearray(path.read_bytes())
    data[1500] ^= 0xFF  # inside the array bytes: the zip CRC no longer matches
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"c\.npz"):
        load(path)


def test_other_npz_files_and_newer_versions_are_rejected(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, x=np.ones(2))
    with pytest.raises(ValueError, match="no autocompyute metadata"):
        load(path)
    newer = tmp_path / "newer.npz"
    metadata = {
        "format": "autocompyute",
        "version": serialization.FORMAT_VERSION + 1,
        "structure": {"type": "none", "value": None},
    }
    np.savez(newer, __autocompyute__=np.array(json.dumps(metadata)))
    with pytest.raises(ValueError, match="newer"):
        load(newer)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.npz"):
        load(tmp_path / "nope.npz")


@pytest.mark.cuda
def test_gpu_arrays_are_saved_through_host_copies(tmp_path):
    tensor = ac.randn(4, 3, device="cuda")
    save({"t": tensor, "a": tensor.data}, tmp_path / "g.npz")
    loaded = load(tmp_path / "g.npz")
    assert isinstance(loaded["a"], np.ndarray)
    np.testing.assert_array_equal(loaded["a"], tensor.as_numpy())
    on_gpu = load(tmp_path / "g.npz", device="cuda")
    assert on_gpu["t"].device == "cuda:0"
    np.testing.assert_array_equal(on_gpu["t"].as_numpy(), tensor.as_numpy())
