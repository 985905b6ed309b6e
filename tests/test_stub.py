"""The hand-written stub of the compiled engine matches the built module (mypy.stubtest)."""

import subprocess
import sys

import pytest


def test_engine_stub_matches_compiled_module(tmp_path):
    pytest.importorskip("mypy.stubtest")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy.stubtest",
            "autocompyute._engine",
            "--mypy-config-file",
            str(tmp_path / "none.ini"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
