"""Checkpoints under abuse: stale temporaries of killed saves, and malformed files on load."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

from autocompyute import serialization
from autocompyute.serialization import load, save

HANGING_SAVE = """
import sys, time
import numpy
from autocompyute import serialization

def hang(file, **arrays):
    file.write(b"partial checkpoint")
    file.flush()
    print("writing", flush=True)
    time.sleep(60)

numpy.savez = hang
serialization.save({"w": numpy.ones(3)}, sys.argv[1])
"""


def temporaries(directory) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.endswith(".tmp"))


def start_hanging_save(path) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", HANGING_SAVE, str(path)], stdout=subprocess.PIPE, text=True
    )
    while child.stdout.readline().strip() != "writing":
        assert child.poll() is None, "the child save died before writing"
    return child


@pytest.mark.skipif(os.name != "posix", reason="stale temporaries are only recognised on POSIX")
def test_save_removes_the_temporary_of_a_killed_save_but_not_of_a_live_one(tmp_path):
    path = tmp_path / "model.pt"
    killed = start_hanging_save(path)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    killed.stdout.close()
    stale = temporaries(tmp_path)
    assert len(stale) == 1 and f"-{killed.pid}." in stale[0]

    live = start_hanging_save(path)
    try:
        in_progress = [name for name in temporaries(tmp_path) if f"-{live.pid}." in name]
        save({"w": np.zeros(2)}, path)
        remaining = temporaries(tmp_path)
        assert stale[0] not in remaining  # the dead process's file is gone
        assert in_progress[0] in remaining  # the live process's file is untouched
    finally:
        live.kill()
        live.wait()
        live.stdout.close()
    np.testing.assert_array_equal(load(path)["w"], np.zeros(2))


@pytest.mark.skipif(os.name != "posix", reason="stale temporaries are only recognised on POSIX")
def test_cleanup_touches_only_our_pattern_for_this_path(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    host = serialization._host_tag()
    keep = [
        f".model.pt.otherhost-{dead_pid}.abcdefgh.tmp",  # another host sharing the directory
        f".other.pt.{host}-{dead_pid}.abcdefgh.tmp",  # another checkpoint's temporary
        f".model.pt.{host}-{dead_pid}.abc.tmp",  # not what mkstemp writes
        f"model.pt.{host}-{dead_pid}.abcdefgh.tmp",  # not hidden: not ours
        f".model.pt.{host}-{os.getpid()}.abcdefgh.tmp",  # this process (another thread's save)
    ]
    remove = f".model.pt.{host}-{dead_pid}.abcdefgh.tmp"
    for name in [*keep, remove]:
        (tmp_path / name).write_bytes(b"x")
    time.sleep(0.01)
    save({"step": 1}, tmp_path / "model.pt")
    assert temporaries(tmp_path) == sorted(keep)


def npz_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def metadata_entry(metadata_text: str) -> bytes:
    return npy_bytes(np.array(metadata_text))


def broken_header(header: bytes) -> bytes:
    """A .npy entry (format 1.0) with the given header text."""
    header = header + b" " * (-(len(header) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header


MALFORMED = {
    # metadata that is JSON but a list, not an object (used to raise AttributeError)
    "json list": {"__autocompyute__.npy": metadata_entry("[1, 2, 3]")},
    # nesting deep enough to exhaust the JSON decoder's recursion (RecursionError)
    "deep json": {"__autocompyute__.npy": metadata_entry("[" * 100_000 + "]" * 100_000)},
    # a .npy header NumPy's parser cannot tokenize (tokenize.TokenError / SyntaxError)
    "bad npy header": {"__autocompyute__.npy": broken_header(b"{'descr': '<f4', 'fortran_order")},
    # a header describing a dtype NumPy refuses (NotImplementedError / TypeError / ValueError)
    "unsupported dtype": {
        "__autocompyute__.npy": broken_header(
            b"{'descr': [('a', '<f4', (-1,))], 'fortran_order': False, 'shape': (1,), }"
        )
    },
    "structure of the wrong kind": {
        "__autocompyute__.npy": metadata_entry(
            json.dumps({"format": "autocompyute", "version": 1, "structure": [1, 2]})
        )
    },
    "array entry missing": {
        "__autocompyute__.npy": metadata_entry(
            json.dumps(
                {
                    "format": "autocompyute",
                    "version": 1,
                    "structure": {"type": "array", "key": "a0"},
                }
            )
        )
    },
    "not a zip at all": None,
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_every_malformed_file_is_a_value_error_naming_the_path(tmp_path, case):
    path = tmp_path / "broken.pt"
    entries = MALFORMED[case]
    path.write_bytes(b"garbage that is no archive" if entries is None else npz_bytes(entries))
    with pytest.raises(ValueError, match=r"broken\.pt.*not a valid autocompyute checkpoint"):
        load(path)
