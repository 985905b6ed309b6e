"""safetensors checkpoints: round trips, PyTorch <-> autocompyute in both directions, resumed
training, malformed files, crashes mid-write, dtypes, and lazy mapping."""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import autocompyute as ac
import autocompyute.nn as nn
from autocompyute.serialization import load, save
from autocompyute.testing import torch_or_skip

safetensors_numpy = pytest.importorskip("safetensors.numpy")


def _write_raw(path, header, data=b""):
    text = json.dumps(header).encode()
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", len(text)) + text + data)


# ------------------------------------------------------------------ round trips


def test_state_dict_round_trips_exactly_with_its_own_keys(tmp_path):
    ac.set_random_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.Batchnorm(5), nn.Linear(5, 2))
    model(ac.randn(8, 4))  # updates the batch-norm statistics
    path = tmp_path / "model.safetensors"
    save(model.state_dict(), path)
    # Any safetensors reader sees the state dict's keys as tensor names.
    plain = safetensors_numpy.load_file(str(path))
    assert set(plain) == set(model.state_dict())
    loaded = load(path)
    assert list(loaded) == list(model.state_dict())
    for name, array in model.state_dict().items():
        assert loaded[name].dtype == array.dtype and loaded[name].shape == array.shape
        np.testing.assert_array_equal(loaded[name], array)
    assert int(loaded["1.num_batches_tracked"]) == 1


def test_nested_object_with_optimizer_state_round_trips(tmp_path):
    ac.set_random_seed(0)
    model = nn.Linear(3, 2)
    optimizer = ac.optim.AdamW(model.parameters(), lr=1e-2, betas=(0.8, 0.9), weight_decay=0.1)
    for _ in range(3):
        optimizer.zero_grad()
        (model(ac.randn(4, 3)) ** 2).mean().backward()
        optimizer.step()
    obj = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "epoch": 7,
        "note": "résumé",
        "history": [1.5, float("inf"), None, True, (1, 2)],
        "scalar": np.float32(2.5),
    }
    path = tmp_path / "ckpt.safetensors"
    save(obj, path)
    loaded = load(path)
    assert loaded["epoch"] == 7 and loaded["note"] == "résumé"
    assert loaded["history"] == [1.5, float("inf"), None, True, (1, 2)]
    assert loaded["scalar"] == np.float32(2.5) and isinstance(loaded["scalar"], np.float32)
    assert json.dumps(_strip_arrays(loaded["optimizer"])) == json.dumps(
        _strip_arrays(optimizer.state_dict())
    )
    _assert_same_arrays(loaded["optimizer"], optimizer.state_dict())
    _assert_same_arrays(loaded["model"], model.state_dict())


def _strip_arrays(value):
    if isinstance(value, dict):
        return {str(k): _strip_arrays(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_strip_arrays(v) for v in value]
    if isinstance(value, np.ndarray | ac.Tensor):
        return "array"
    return value


def _assert_same_arrays(a, b):
    if isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            _assert_same_arrays(a[key], b[key])
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same_arrays(x, y)
    elif isinstance(a, np.ndarray | ac.Tensor):
        x = a.as_numpy() if isinstance(a, ac.Tensor) else a
        y = b.as_numpy() if isinstance(b, ac.Tensor) else b
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)
    else:
        assert a == b


def test_resumed_training_continues_bit_for_bit(tmp_path):
    def make():
        ac.set_random_seed(1)
        model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 1))
        return model, ac.optim.Adam(model.parameters(), lr=1e-2)

    def step(model, optimizer, i):
        rng = np.random.default_rng(i)
        x = ac.tensor(rng.standard_normal((5, 6)).astype(np.float32))
        optimizer.zero_grad()
        loss = (model(x) ** 2).mean()
        loss.backward()
        optimizer.step()
        return loss.item()

    model, optimizer = make()
    straight = [step(model, optimizer, i) for i in range(10)]

    model, optimizer = make()
    for i in range(5):
        step(model, optimizer, i)
    path = tmp_path / "resume.safetensors"
    save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, path)
    model, optimizer = make()
    state = load(path)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    resumed = [step(model, optimizer, i) for i in range(5, 10)]
    assert resumed == straight[5:]


def test_format_follows_the_extension_and_npz_stays_readable(tmp_path):
    state = {"w": np.arange(6, dtype=np.float64).reshape(2, 3)}
    save(state, tmp_path / "a.safetensors")
    save(state, tmp_path / "a.npz")
    save(state, tmp_path / "a.pt")  # any other name: the .npz format, recognised on load
    assert (tmp_path / "a.npz").read_bytes()[:2] == b"PK"
    assert (tmp_path / "a.pt").read_bytes()[:2] == b"PK"
    for name in ("a.safetensors", "a.npz", "a.pt"):
        np.testing.assert_array_equal(load(tmp_path / name)["w"], state["w"])


def test_load_accepts_pytorch_keywords(tmp_path):
    save({"w": np.ones(2, np.float32)}, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors", map_location="cpu", weights_only=True)
    np.testing.assert_array_equal(loaded["w"], 1)
    with pytest.raises(TypeError, match="device or map_location"):
        load(tmp_path / "m.safetensors", device="cpu", map_location="cpu")


# ------------------------------------------------------------------ PyTorch interop


torch = torch_or_skip()
safetensors_torch = pytest.importorskip("safetensors.torch")


def _mlp_pair():
    ours = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))
    return ours, theirs, np.random.default_rng(0).standard_normal((4, 6))


class _OurCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2D(2, 4, 3, padding=1)
        self.bn = nn.Batchnorm(4)
        self.pool = nn.MaxPooling2D(2)
        self.fc = nn.Linear(4 * 3 * 3, 5)

    def forward(self, x):
        x = self.pool(self.bn(self.conv(x)).relu())
        return self.fc(x.reshape(x.shape[0], -1))


class _TorchCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 4, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(4)
        self.pool = torch.nn.MaxPool2d(2)
        self.fc = torch.nn.Linear(4 * 3 * 3, 5)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn(self.conv(x))))
        return self.fc(x.reshape(x.shape[0], -1))


def _cnn_pair():
    return _OurCNN(), _TorchCNN(), np.random.default_rng(1).standard_normal((3, 2, 6, 6))


def _layer_norm(lib_nn, size):
    # The original AutoCompyute spells it Layernorm; PyTorch's casing may not exist yet.
    return getattr(lib_nn, "LayerNorm", getattr(lib_nn, "Layernorm", None))(size)


def _transformer_classes():
    """A small causal transformer written the same way in both libraries."""

    def build(lib_nn, softmax, tril):
        class Block(lib_nn.Module):
            def __init__(self, emb, heads):
                super().__init__()
                self.heads = heads
                self.ln1 = _layer_norm(lib_nn, emb)
                self.qkv = lib_nn.Linear(emb, 3 * emb)
                self.proj = lib_nn.Linear(emb, emb)
                self.ln2 = _layer_norm(lib_nn, emb)
                self.fc1 = lib_nn.Linear(emb, 4 * emb)
                self.fc2 = lib_nn.Linear(4 * emb, emb)

            def forward(self, x):
                b, t, e = x.shape
                h = self.ln1(x)
                qkv = self.qkv(h).reshape(b, t, 3, self.heads, e // self.heads)
                qkv = qkv.permute(2, 0, 3, 1, 4)
                q, k, v = qkv[0], qkv[1], qkv[2]
                scores = q @ k.transpose(-2, -1) * (e // self.heads) ** -0.5
                scores = scores + tril(t)
                y = (softmax(scores) @ v).transpose(1, 2).reshape(b, t, e)
                x = x + self.proj(y)
                return x + self.fc2(self.fc1(self.ln2(x)).tanh())

        class Model(lib_nn.Module):
            def __init__(self, vocab=11, emb=16, heads=2, context=5):
                super().__init__()
                self.tok = lib_nn.Embedding(vocab, emb)
                self.pos = lib_nn.Embedding(context, emb)
                self.blocks = lib_nn.ModuleList([Block(emb, heads), Block(emb, heads)])
                self.ln = _layer_norm(lib_nn, emb)
                self.head = lib_nn.Linear(emb, vocab)

            def forward(self, idx, positions):
                x = self.tok(idx) + self.pos(positions)
                for block in self.blocks:
                    x = block(x)
                return self.head(self.ln(x))

        return Model

    def ours_tril(t):
        mask = np.triu(np.full((t, t), -1e9, dtype=np.float32), 1)
        return ac.tensor(mask)

    def theirs_tril(t):
        return torch.triu(torch.full((t, t), -1e9), 1)

    ours = build(nn, lambda s: nn.functional.softmax(s, dim=-1), ours_tril)
    theirs = build(torch.nn, lambda s: torch.softmax(s, dim=-1), theirs_tril)
    return ours, theirs


def _transformer_pair():
    ours, theirs = _transformer_classes()
    rng = np.random.default_rng(2)
    return ours(), theirs(), (rng.integers(0, 11, (3, 5)), np.arange(5)[None].repeat(3, 0))


def _run(model, inputs, library):
    if library == "torch":
        model.eval()
        args = [
            torch.tensor(x) if x.dtype.kind == "i" else torch.tensor(x, dtype=torch.float32)
            for x in (inputs if isinstance(inputs, tuple) else (inputs,))
        ]
        with torch.no_grad():
            return model(*args).numpy()
    model.eval()
    args = [
        ac.tensor(x) if x.dtype.kind == "i" else ac.tensor(x.astype(np.float32))
        for x in (inputs if isinstance(inputs, tuple) else (inputs,))
    ]
    with ac.no_grad():
        return model(*args).as_numpy()


class _OurLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(9, 6)
        self.lstm = nn.LSTM(6, 7, num_layers=2, batch_first=True)
        self.head = nn.Linear(7, 9)

    def forward(self, idx):
        output, _ = self.lstm(self.embed(idx))
        return self.head(output)


class _TorchLSTM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(9, 6)
        self.lstm = torch.nn.LSTM(6, 7, num_layers=2, batch_first=True)
        self.head = torch.nn.Linear(7, 9)

    def forward(self, idx):
        output, _ = self.lstm(self.embed(idx))
        return self.head(output)


def _lstm_pair():
    return _OurLSTM(), _TorchLSTM(), np.random.default_rng(3).integers(0, 9, (2, 5))


PAIRS = {
    "mlp": _mlp_pair,
    "cnn_batchnorm": _cnn_pair,
    "lstm": _lstm_pair,
    "transformer": _transformer_pair,
}


@pytest.mark.parametrize("kind", sorted(PAIRS))
def test_pytorch_checkpoint_loads_and_gives_pytorch_outputs(tmp_path, kind):
    ours, theirs, inputs = PAIRS[kind]()
    if kind == "cnn_batchnorm":  # non-trivial running statistics
        theirs.train()
        theirs(torch.randn(8, 2, 6, 6))
    path = tmp_path / f"{kind}.safetensors"
    safetensors_torch.save_file(theirs.state_dict(), str(path))
    ours.load_state_dict(load(path))
    expected = _run(theirs, inputs, "torch")
    np.testing.assert_allclose(_run(ours, inputs, "ours"), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", sorted(PAIRS))
def test_autocompyute_checkpoint_loads_into_pytorch(tmp_path, kind):
    ours, theirs, inputs = PAIRS[kind]()
    if kind == "cnn_batchnorm":
        ours.train()
        ours(ac.randn(8, 2, 6, 6))
    path = tmp_path / f"{kind}.safetensors"
    save(ours.state_dict(names="torch"), path)
    theirs.load_state_dict(safetensors_torch.load_file(str(path)))  # strict
    expected = _run(ours, inputs, "ours")
    np.testing.assert_allclose(_run(theirs, inputs, "torch"), expected, rtol=1e-6, atol=1e-6)


def test_original_names_load_and_mismatches_are_listed_together(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2), nn.Batchnorm(2))
    original = model.state_dict(names="autocompyute")
    assert list(original)[:4] == ["0.w", "0.b", "1.w", "1.b"]
    fresh = nn.Sequential(nn.Linear(3, 2), nn.Batchnorm(2))
    fresh.load_state_dict(original)
    np.testing.assert_array_equal(fresh[0].weight.data, model[0].weight.data)
    bad = dict(model.state_dict())
    bad["0.weight"] = np.zeros((5, 5), np.float32)
    bad["0.w"] = np.zeros((2, 3), np.float32)
    del bad["1.running_var"]
    bad["extra"] = np.zeros(1, np.float32)
    with pytest.raises(ValueError) as error:
        fresh.load_state_dict(bad)
    message = str(error.value)
    for part in ("given twice", "missing key '1.running_var'", "unexpected key 'extra'"):
        assert part in message
    np.testing.assert_array_equal(fresh[0].weight.data, model[0].weight.data)  # untouched


# ------------------------------------------------------------------ dtypes


def test_half_precision_and_bfloat16_from_pytorch(tmp_path):
    path = tmp_path / "half.safetensors"
    values = torch.tensor([1.5, -2.25, 3.0e-3])
    safetensors_torch.save_file(
        {"h": values.half(), "bf": values.bfloat16(), "i": torch.arange(3)}, str(path)
    )
    with pytest.warns(UserWarning, match=r"bfloat16 .* float32.*bf"):
        loaded = load(path)
    assert loaded["h"].dtype == np.float16
    np.testing.assert_array_equal(loaded["h"].as_numpy(), values.half().numpy())
    assert loaded["bf"].dtype == np.float32
    np.testing.assert_array_equal(loaded["bf"].as_numpy(), values.bfloat16().float().numpy())
    assert loaded["i"].dtype == np.int64


def test_unknown_dtype_names_the_tensor(tmp_path):
    path = tmp_path / "f8.safetensors"
    _write_raw(path, {"odd": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [0, 2]}}, b"ab")
    with pytest.raises(ValueError, match=r"f8.safetensors.*'odd' has dtype 'F8_E4M3'"):
        load(path)


# ------------------------------------------------------------------ malformed files


@pytest.mark.parametrize(
    "damage",
    [
        "truncated_header",
        "truncated_data",
        "bad_json",
        "json_list",
        "bad_offsets",
        "wrong_size",
        "huge_header",
        "bad_metadata",
        "bad_structure",
        "empty",
    ],
)
def test_malformed_file_gives_the_documented_error(tmp_path, damage):
    path = tmp_path / "bad.safetensors"
    save({"w": np.arange(4, dtype=np.float32), "n": 3}, path)
    raw = path.read_bytes()
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + size])
    if damage == "truncated_header":
        path.write_bytes(raw[: 8 + size // 2])
    elif damage == "truncated_data":
        path.write_bytes(raw[:-3])
    elif damage == "bad_json":
        path.write_bytes(raw[:8] + b"{" * size + raw[8 + size :])
    elif damage == "json_list":
        _write_raw(path, [1, 2])
    elif damage == "bad_offsets":
        header["w"]["data_offsets"] = [0, 10**9]
        _write_raw(path, header, raw[8 + size :])
    elif damage == "wrong_size":
        header["w"]["shape"] = [5]
        _write_raw(path, header, raw[8 + size :])
    elif damage == "huge_header":
        path.write_bytes(struct.pack("<Q", 2**60) + raw[8:])
    elif damage == "bad_metadata":
        header["__metadata__"]["__autocompyute__"] = "[1, 2"
        _write_raw(path, header, raw[8 + size :])
    elif damage == "bad_structure":
        header["__metadata__"]["__autocompyute__"] = json.dumps(
            {"format": "autocompyute", "version": 1, "structure": {"type": "dict", "items": 5}}
        )
        _write_raw(path, header, raw[8 + size :])
    else:
        path.write_bytes(b"")
    with pytest.raises(ValueError, match=r"load: '.*bad.safetensors' is not a valid"):
        load(path)


def test_failed_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "keep.safetensors"
    save({"w": np.ones(3, np.float32)}, path)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(safetensors_numpy, "save_file", crash)
    with pytest.raises(OSError, match="disk full"):
        save({"w": np.zeros(3, np.float32)}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["keep.safetensors"]
    np.testing.assert_array_equal(load(path)["w"], 1)


@pytest.mark.slow
def test_process_killed_mid_write_leaves_a_complete_checkpoint(tmp_path):
    path = tmp_path / "live.safetensors"
    child = textwrap.dedent(
        f"""
        import numpy as np, sys
        from autocompyute import save
        path = {str(path)!r}
        for step in range(10**6):
            save({{"w": np.full(2_000_000, step, np.float32), "step": step}}, path)
            if step == 0:
                print("ready", flush=True)
        """
    )
    for delay in (0.05, 0.2, 0.45):
        process = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE)
        assert process.stdout is not None
        while process.stdout.readline().strip() != b"ready":  # (an editable build may print)
            assert process.poll() is None, "the saving process died"
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
        process.stdout.close()
        state = load(path)
        assert state["w"].shape == (2_000_000,)
        np.testing.assert_array_equal(state["w"], state["step"])


# ------------------------------------------------------------------ lazy mapping


def test_mmap_gives_copy_on_write_views_of_the_file(tmp_path):
    path = tmp_path / "big.safetensors"
    save({"a": np.arange(1000, dtype=np.float64), "b": np.zeros((0, 3), np.float32)}, path)
    before = path.read_bytes()
    state = load(path, mmap=True)
    assert type(state["a"]) is np.ndarray and state["a"].base is not None
    np.testing.assert_array_equal(state["a"], np.arange(1000))
    state["a"][0] = 42.0  # copy-on-write: the file is never written
    assert path.read_bytes() == before
    assert state["b"].shape == (0, 3)


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads /proc (Linux)")
def test_mmap_load_of_a_large_checkpoint_does_not_read_it_all(tmp_path):
    path = tmp_path / "large.safetensors"
    save({f"layer{i}": np.ones(16_000_000, np.float32) for i in range(8)}, path)  # 512 MB
    code = textwrap.dedent(
        f"""
        from autocompyute import load
        state = load({str(path)!r}, mmap=True)
        total = sum(array.nbytes for array in state.values())
        # VmHWM: this process's peak resident memory (ru_maxrss would include the parent's)
        status = open("/proc/self/status").read().split("VmHWM:")[1].split()
        print(total, int(status[0]) * 1024)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    total, peak = map(int, result.stdout.split()[-2:])
    assert total == 512_000_000
    assert peak < total // 2, f"peak RSS {peak / 1e6:.0f} MB for a {total / 1e6:.0f} MB file"
