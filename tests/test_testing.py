"""autocompyute.testing: the PyTorch stand-in that lets PyTorch-free tests run without it."""

import sys

import pytest

from autocompyute.testing import import_torch, torch_or_skip


def test_without_pytorch_the_stand_in_skips_at_first_use(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    torch = torch_or_skip()
    functional = torch.nn.functional  # attribute chains are fine at module level

    class Net(torch.nn.Module):  # and so is subclassing
        pass

    assert isinstance(Net(), object) and "torch.nn.functional" in repr(functional)
    with pytest.raises(pytest.skip.Exception, match=r"needs PyTorch \(torch.tensor\)"):
        torch.tensor([1.0])
    with pytest.raises(pytest.skip.Exception, match="needs PyTorch"), torch.no_grad:
        pass
    with pytest.raises(pytest.skip.Exception, match="could not import 'torch'"):
        import_torch()


def test_with_pytorch_both_give_the_module():
    torch = import_torch()  # skips without PyTorch
    assert torch_or_skip() is torch and torch.__name__ == "torch"
