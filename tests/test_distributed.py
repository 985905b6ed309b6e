"""autocompyute.distributed: data-parallel training under mpiexec equals single-process training
on the combined batch; failures end the job instead of hanging it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import autocompyute as ac
import autocompyute.nn as nn
from autocompyute.testing import import_torch
from autocompyute.utils.data import DataLoader, DistributedSampler, TensorDataset

PROGRAM = Path(__file__).resolve().parent / "programs" / "ddp_training.py"


def _mpiexec() -> str:
    pytest.importorskip("mpi4py", reason='mpi4py missing: pip install "autocompyute[distributed]"')
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which("mpiexec", path=search)
    if found is None:
        pytest.skip('no mpiexec: pip install "autocompyute[distributed]" (the mpich wheel)')
    return found


def _run(ranks: int, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    command = [_mpiexec(), "-n", str(ranks), sys.executable, str(PROGRAM), *args]
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=environment)


def _single(kind: str, steps: int, tmp_path: Path, scenario: str = "single") -> np.ndarray:
    out = tmp_path / f"{scenario}-{kind}.npy"
    result = subprocess.run(
        [sys.executable, str(PROGRAM), kind, str(steps), str(out), scenario],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return np.load(out)


@pytest.mark.slow
@pytest.mark.parametrize("ranks", [2, 3])
@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_data_parallel_training_equals_single_process_training(tmp_path, kind, ranks):
    out = tmp_path / f"ddp-{kind}-{ranks}.npy"
    result = _run(ranks, kind, "10", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    expected = _single(kind, 10, tmp_path)
    np.testing.assert_allclose(np.load(out), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["train", "accumulate"])
def test_unused_parameters_and_no_sync_accumulation(tmp_path, scenario):
    # On 2 ranks, rank 1 never uses head_b; head_c is unused everywhere (its grad stays None).
    out = tmp_path / f"branches-{scenario}.npy"
    result = _run(2, "branches", "5", str(out), scenario)
    assert result.returncode == 0, result.stdout + result.stderr
    reference = "single" if scenario == "train" else "single-accumulate"
    expected = _single("branches", 5, tmp_path, reference)
    np.testing.assert_allclose(np.load(out), expected, rtol=1e-10, atol=1e-12)
    assert list(np.load(out)[-8:]) == [1, 1, 1, 1, 1, 1, 0, 0]  # head_c: no gradient


@pytest.mark.slow
def test_an_exception_on_one_rank_aborts_the_job(tmp_path):
    started = time.monotonic()
    result = _run(2, "mlp", "1", str(tmp_path / "x.npy"), "raise", timeout=60)
    assert result.returncode != 0
    assert "[rank 1/2]" in result.stderr and "rank 1 fails on purpose" in result.stderr
    assert time.monotonic() - started < 30


@pytest.mark.slow
def test_mismatched_parameters_are_named(tmp_path):
    result = _run(2, "mlp", "1", str(tmp_path / "x.npy"), "mismatch", timeout=60)
    assert result.returncode != 0
    assert "parameter 'weight' differs across ranks" in result.stderr


def test_single_process_world(tmp_path):
    pytest.importorskip("mpi4py")
    import autocompyute.distributed as dist

    dist.init(abort_on_exception=False)
    assert dist.is_initialized() and dist.world_size() >= 1
    t = ac.tensor([1.0, 2.0])
    np.testing.assert_array_equal(dist.all_reduce(t, op="sum").data, [1.0, 2.0])
    assert dist.all_gather(t).shape == (dist.world_size(), 2)
    assert dist.mean_across_ranks(3.0) == 3.0
    with pytest.raises(ValueError, match="op must be one of"):
        dist.all_reduce(t, op="prod")
    model = nn.Linear(3, 2)
    ddp = dist.DistributedDataParallel(model)
    assert next(iter(ddp.state_dict())) == "module.weight"
    (ddp(ac.randn(4, 3)) ** 2).sum().backward()
    assert model.weight.grad is not None


def test_init_without_mpi_says_how_to_install():
    code = (
        "import sys; sys.modules['mpi4py'] = None\n"
        "import autocompyute.distributed as dist\n"
        "try:\n    dist.init()\nexcept RuntimeError as e:\n    print('ERR', e)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert 'pip install "autocompyute[distributed]"' in result.stdout


def test_distributed_sampler_splits_like_pytorch():
    dataset = list(range(10))
    shards = [list(DistributedSampler(dataset, 3, r, shuffle=False)) for r in range(3)]
    assert shards == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]  # padded from the start
    dropped = [list(DistributedSampler(dataset, 3, r, shuffle=False, drop_last=True))
               for r in range(3)]  # fmt: skip
    assert dropped == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    import_torch()  # skips without PyTorch
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    for drop_last in (False, True):
        for r in range(3):
            theirs = list(TorchSampler(dataset, 3, r, shuffle=False, drop_last=drop_last))
            ours = list(DistributedSampler(dataset, 3, r, shuffle=False, drop_last=drop_last))
            assert ours == theirs


def test_distributed_sampler_shuffles_per_epoch_and_agrees_across_ranks():
    dataset = list(range(12))
    samplers = [DistributedSampler(dataset, 2, r, seed=5) for r in range(2)]
    first = [list(s) for s in samplers]
    assert sorted(first[0] + first[1]) == dataset
    for s in samplers:
        s.set_epoch(1)
    second = [list(s) for s in samplers]
    assert second != first and sorted(second[0] + second[1]) == dataset
    loader = DataLoader(TensorDataset(ac.arange(12)), batch_size=3, sampler=samplers[0])
    assert sum(len(x) for (x,) in loader) == 6
    with pytest.raises(ValueError, match="rank must be in"):
        DistributedSampler(dataset, 2, 2)


@pytest.mark.slow
def test_an_example_trains_distributed_and_only_rank_0_prints(tmp_path):
    examples = Path(__file__).resolve().parent.parent / "examples"
    if not (examples / "cnn_mnist.py").exists():
        pytest.skip("examples/ not beside the tests")
    command = [_mpiexec(), "-n", "2", sys.executable, "cnn_mnist.py", "--dataset", "digits",
               "--distributed", "--smoke"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=examples)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("test accuracy:") == 1
