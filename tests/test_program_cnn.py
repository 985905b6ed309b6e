"""Whole-program parity: a PyTorch CNN trainer (MNIST-example style) runs under autocompyute by
switching imports: DataLoader(TensorDataset), nll_loss, Adadelta and StepLR.

tests/programs/cnn.py is plain PyTorch code, executed as written and with only its import lines
replaced; both runs start from the same weights and must give the same losses and accuracies.
Dropout is set to 0 for the comparison (the two libraries draw different random masks).
"""

from pathlib import Path

import numpy as np

from autocompyute.testing import TORCH_IMPORTS, load_torch_program, torch_or_skip

torch = torch_or_skip()

PROGRAM = Path(__file__).parent / "programs" / "cnn.py"

# The program's import lines, each switched to autocompyute for the second run.
IMPORT_LINES = {
    "import torch\n",
    "import torch.nn as nn\n",
    "import torch.nn.functional as F\n",
    "from torch.optim.lr_scheduler import StepLR\n",
    "from torch.utils.data import DataLoader, TensorDataset\n",
}


def _program(library):
    return load_torch_program(PROGRAM, library)


def test_only_the_import_lines_differ():
    source = PROGRAM.read_text()
    switched = {line + "\n" for line in source.splitlines()} & set(TORCH_IMPORTS)
    assert switched == IMPORT_LINES
    _program("autocompyute")  # checks that nothing else mentions autocompyute


def _data():
    rng = np.random.default_rng(0)
    images = rng.standard_normal((80, 1, 12, 12)).astype(np.float32)
    labels = np.arange(80) % 3
    for index, label in enumerate(labels):  # a learnable pattern: a bright row per class
        images[index, 0, 2 + 3 * label] += 2.0
    return images, labels


def test_cnn_training_matches_torch(one_thread):
    theirs_program, ours_program = _program("torch"), _program("autocompyute")
    torch.manual_seed(0)
    theirs = theirs_program.Net(0.0, 0.0)
    ours = ours_program.Net(0.0, 0.0)
    pairs = list(zip(theirs.parameters(), ours.parameters(), strict=True))
    for reference, parameter in pairs:
        assert tuple(reference.shape) == parameter.shape
        parameter.data = reference.detach().numpy().copy()
    images, labels = _data()
    losses_torch, evaluations_torch = theirs_program.run(theirs, images, labels)
    losses_ours, evaluations_ours = ours_program.run(ours, images, labels)
    assert len(losses_ours) == len(losses_torch) == 15
    np.testing.assert_allclose(losses_ours, losses_torch, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(evaluations_ours, evaluations_torch, rtol=1e-4)
    assert evaluations_ours[-1][1] > evaluations_ours[0][1] or evaluations_ours[-1][1] == 1.0
    for reference, parameter in pairs:
        np.testing.assert_allclose(parameter.data, reference.detach().numpy(), atol=1e-4)
