"""Whole-program parity: a PyTorch LSTM language model runs under autocompyute by switching imports.

tests/programs/lstm_language_model.py is plain PyTorch code. It is executed once as written and
once with only its import lines replaced; both runs start from the same weights (copied from
the PyTorch model) and must give the same loss curve.
"""

from pathlib import Path

import numpy as np

from autocompyute.testing import TORCH_IMPORTS, import_torch, load_torch_program, torch_or_skip

torch = torch_or_skip()

PROGRAM = Path(__file__).parent / "programs" / "lstm_language_model.py"
TEXT = Path(__file__).parent.parent / "examples" / "data" / "shakespeare-coriolanus.txt"

# The program's import lines, each switched to autocompyute for the second run.
IMPORT_LINES = {
    "import torch\n",
    "import torch.nn as nn\n",
    "import torch.nn.functional as F\n",
}


def _program(library):
    return load_torch_program(PROGRAM, library)


def test_only_the_import_lines_differ():
    source = PROGRAM.read_text()
    switched = {line + "\n" for line in source.splitlines()} & set(TORCH_IMPORTS)
    assert switched == IMPORT_LINES
    _program("autocompyute")  # checks that nothing else mentions autocompyute


def test_lstm_language_model_loss_curve_matches_torch(one_thread):
    import_torch()  # skips without PyTorch: the program itself imports it
    text = TEXT.read_text()[2000:5000]
    vocab = sorted(set(text))
    ids = [vocab.index(character) for character in text]
    theirs_program, ours_program = _program("torch"), _program("autocompyute")
    torch.manual_seed(0)
    theirs = theirs_program.RNNModel(len(vocab), 16, 32, 2)
    ours = ours_program.RNNModel(len(vocab), 16, 32, 2)
    pairs = list(zip(theirs.parameters(), ours.parameters(), strict=True))
    for reference, parameter in pairs:
        assert tuple(reference.shape) == parameter.shape
        parameter.data = reference.detach().numpy().copy()
    losses_torch = theirs_program.train(theirs, ids)
    losses_ours = ours_program.train(ours, ids)
    assert len(losses_ours) == len(losses_torch) > 40
    np.testing.assert_allclose(losses_ours, losses_torch, rtol=2e-4)
    assert losses_ours[-1] < 0.8 * losses_ours[0]  # it learns
    for reference, parameter in pairs:
        np.testing.assert_allclose(parameter.data, reference.detach().numpy(), atol=2e-4)
