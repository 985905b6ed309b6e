"""One training step of a small GPT: autocompyute vs PyTorch in one process, 1 and 2 threads.

Model (nanoGPT-style, pre-norm, no dropout): token + position embeddings, `layers` x
[layernorm, causal self-attention with one fused q/k/v projection, residual; layernorm, linear
4x, GELU (tanh), linear, residual], final layernorm, linear head without bias. Step:
cross-entropy over all positions, backward, gradient clipping to norm 1, AdamW (lr 1e-3,
weight decay 0.1). Both libraries get identical initial weights (the first losses are printed)
and run interleaved; the table shows median step times and their ratio to PyTorch.

    python benchmarks/gpt_step.py [--batch 16] [--context 64] [--repeats 20] [--threads 1 2]
"""

from __future__ import annotations

import timing  # first: it pins NumPy's and PyTorch's thread pools to one thread

# isort: split

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy

import autocompyute as ac
import autocompyute.nn as nn
import autocompyute.nn.functional as F
from autocompyute import optim


@dataclass
class Sizes:
    vocab: int = 65
    context: int = 64
    embedding: int = 128
    heads: int = 4
    layers: int = 4
    batch: int = 16


class Block(nn.Module):
    def __init__(self, sizes: Sizes) -> None:
        super().__init__()
        width = sizes.embedding
        self.heads = sizes.heads
        self.norm1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.norm2 = nn.LayerNorm(width)
        self.up = nn.Linear(width, 4 * width)
        self.down = nn.Linear(4 * width, width)

    def forward(self, x: ac.Tensor) -> ac.Tensor:
        batch, length, width = x.shape
        qkv = self.qkv(self.norm1(x)).view(batch, length, 3, self.heads, -1)
        qkv = qkv.permute(2, 0, 3, 1, 4)  # (3, B, H, T, head size)
        heads = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], is_causal=True)
        x = x + self.proj(heads.transpose(1, 2).reshape(batch, length, width))
        return x + self.down(F.gelu(self.up(self.norm2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, sizes: Sizes) -> None:
        super().__init__()
        self.tokens = nn.Embedding(sizes.vocab, sizes.embedding)
        self.positions = nn.Embedding(sizes.context, sizes.embedding)
        self.blocks = nn.Sequential(*(Block(sizes) for _ in range(sizes.layers)))
        self.norm = nn.LayerNorm(sizes.embedding)
        self.head = nn.Linear(sizes.embedding, sizes.vocab, bias=False)
        self.position_ids = nn.Buffer(ac.arange(sizes.context))

    def forward(self, x: ac.Tensor) -> ac.Tensor:
        x = self.tokens(x) + self.positions(self.position_ids[: x.shape[1]])
        return self.head(self.norm(self.blocks(x)))


def autocompyute_step(model: GPT, tokens: numpy.ndarray, targets: numpy.ndarray) -> Callable:
    x, y = ac.tensor(tokens), ac.tensor(targets)
    parameters = list(model.parameters())
    optimizer = optim.AdamW(parameters, lr=1e-3, weight_decay=0.1)
    return timing.training_step(
        optimizer,
        lambda: F.cross_entropy_loss(model(x), y),
        lambda: nn.utils.clip_grad_norm_(parameters, 1.0),
    )


def torch_model(sizes: Sizes, source: GPT) -> Any:
    """The same model in PyTorch, with the weights of `source` copied in."""
    import torch

    functional = torch.nn.functional

    class TorchBlock(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            width = sizes.embedding
            self.norm1 = torch.nn.LayerNorm(width)
            self.qkv = torch.nn.Linear(width, 3 * width)
            self.proj = torch.nn.Linear(width, width)
            self.norm2 = torch.nn.LayerNorm(width)
            self.up = torch.nn.Linear(width, 4 * width)
            self.down = torch.nn.Linear(4 * width, width)

        def forward(self, x: Any) -> Any:
            batch, length, width = x.shape
            qkv = self.qkv(self.norm1(x)).view(batch, length, 3, sizes.heads, -1)
            q, k, v = qkv.permute(2, 0, 3, 1, 4)
            heads = functional.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.proj(heads.transpose(1, 2).reshape(batch, length, width))
            return x + self.down(functional.gelu(self.up(self.norm2(x)), approximate="tanh"))

    class TorchGPT(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tokens = torch.nn.Embedding(sizes.vocab, sizes.embedding)
            self.positions = torch.nn.Embedding(sizes.context, sizes.embedding)
            self.blocks = torch.nn.Sequential(*(TorchBlock() for _ in range(sizes.layers)))
            self.norm = torch.nn.LayerNorm(sizes.embedding)
            self.head = torch.nn.Linear(sizes.embedding, sizes.vocab, bias=False)

        def forward(self, x: Any) -> Any:
            x = self.tokens(x) + self.positions(torch.arange(x.shape[1]))
            return self.head(self.norm(self.blocks(x)))

    model = TorchGPT()
    timing.copy_weights(torch, source, model)
    return model


def torch_step(model: Any, tokens: numpy.ndarray, targets: numpy.ndarray) -> Callable:
    import torch

    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.1)
    x, y = torch.from_numpy(tokens), torch.from_numpy(targets).ravel()
    return timing.training_step(
        optimizer,
        lambda: torch.nn.functional.cross_entropy(model(x).reshape(y.shape[0], -1), y),
        lambda: torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = Sizes()
    for field in ("batch", "context", "embedding", "heads", "layers"):
        parser.add_argument(f"--{field}", type=int, default=getattr(defaults, field))
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--profile", action="store_true", help="cProfile autocompyute's step")
    args = parser.parse_args()
    fields = ("batch", "context", "embedding", "heads", "layers")
    sizes = Sizes(**{field: getattr(args, field) for field in fields})

    ac.set_random_seed(0)
    generator = numpy.random.default_rng(0)
    tokens = generator.integers(0, sizes.vocab, (sizes.batch, sizes.context))
    targets = generator.integers(0, sizes.vocab, (sizes.batch, sizes.context))
    model = GPT(sizes)
    torch: Any
    try:
        import torch
    except ImportError:
        torch = None
    steps = {}
    if torch is not None:
        torch.set_num_threads(1)
        steps["pytorch"] = torch_step(torch_model(sizes, model), tokens, targets)
    steps["autocompyute"] = autocompyute_step(model, tokens, targets)  # after the weight copy
    if args.profile:
        timing.print_profile(steps["autocompyute"], calls=5, lines=25)
        return

    first_losses = {name: step() for name, step in steps.items()}
    print(
        f"GPT training step (AdamW, clipping): {sizes.layers} layers, {sizes.heads} heads, "
        f"embedding {sizes.embedding}, context {sizes.context}, batch {sizes.batch}, vocab "
        f"{sizes.vocab}; {args.repeats} repeats"
    )
    print("first losses: " + ", ".join(f"{n} {v:.5f}" for n, v in first_losses.items()))
    timing.print_tables_per_thread_count(steps, args.threads, args.repeats, torch)


if __name__ == "__main__":
    main()
