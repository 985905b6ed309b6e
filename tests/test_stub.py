"""The hand-written stubs of the compiled modules match the built modules (mypy.stubtest)."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module", ["autocompyute._engine", "autocompyute._recurrent", "autocompyute._kernels"]
)
def test_stub_matches_compiled_module(module, tmp_path):
    pytest.importorskip("mypy.stubtest")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy.stubtest",
            module,
            "--mypy-config-file",
            str(tmp_path / "none.ini"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
