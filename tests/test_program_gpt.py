"""Whole-program parity: a small PyTorch GPT runs under autocompyute by switching imports.

tests/programs/gpt.py is plain PyTorch code. It is executed once as written and once with only
its import lines replaced; both runs start from the same weights (copied from the PyTorch
model) and must give the same loss curve; greedy generation (top_k=1, so multinomial sampling
has one choice) must give the same tokens, and sampled generation valid ones.
"""

from pathlib import Path

import numpy as np

import autocompyute as ac
from autocompyute.testing import TORCH_IMPORTS, load_torch_program, torch_or_skip

torch = torch_or_skip()

PROGRAM = Path(__file__).parent / "programs" / "gpt.py"
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


def _models():
    text = TEXT.read_text()[:4000]
    vocab = sorted(set(text))
    ids = [vocab.index(character) for character in text]
    theirs_program, ours_program = _program("torch"), _program("autocompyute")
    torch.manual_seed(0)
    theirs = theirs_program.GPT(len(vocab), block_size=16)
    ours = ours_program.GPT(len(vocab), block_size=16)
    assert ours.lm_head.weight is ours.transformer.wte.weight  # tied, as in PyTorch
    pairs = list(zip(theirs.parameters(), ours.parameters(), strict=True))
    for reference, parameter in pairs:
        assert tuple(reference.shape) == parameter.shape
        parameter.data = reference.detach().numpy().copy()
    return theirs_program, ours_program, theirs, ours, pairs, ids, len(vocab)


def test_gpt_loss_curve_matches_torch(one_thread):
    theirs_program, ours_program, theirs, ours, pairs, ids, _ = _models()
    losses_torch = theirs_program.train(theirs, ids)
    losses_ours = ours_program.train(ours, ids)
    assert len(losses_ours) == len(losses_torch) == 30
    np.testing.assert_allclose(losses_ours, losses_torch, rtol=1e-4)
    assert losses_ours[-1] < 0.9 * losses_ours[0]  # it learns (30 steps)
    for reference, parameter in pairs:
        np.testing.assert_allclose(parameter.data, reference.detach().numpy(), atol=1e-4)


def test_gpt_generation(one_thread):
    _, _, theirs, ours, _, _, vocab_size = _models()
    start = [[1, 2, 3]]
    greedy_torch = theirs.generate(torch.tensor(start), 12, top_k=1)
    greedy_ours = ours.generate(ac.tensor(start), 12, top_k=1)
    assert greedy_ours.data.tolist() == greedy_torch.tolist()
    ac.manual_seed(0)
    sampled = ours.generate(ac.tensor(start), 20, temperature=0.8, top_k=5)
    assert sampled.shape == (1, 23) and sampled.dtype == "int64"
    assert sampled.data[0, :3].tolist() == [1, 2, 3]
    assert sampled.data.min() >= 0 and sampled.data.max() < vocab_size
