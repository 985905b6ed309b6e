"""One training step of a character-level transformer: autocompyute vs PyTorch, 1 and 2 threads.

Model (GPT-style, pre-norm): token + position embeddings, `blocks` x [layernorm, causal
multi-head self-attention, residual; layernorm, linear 4x, GELU, linear, dropout, residual],
final layernorm, linear head; cross-entropy over all positions, backward, plain SGD update.
Both libraries get identical initial weights (the first losses are compared) and run
interleaved; the table shows median step times and their ratio.

Sizes: the original AutoCompyute transformer example trains on Shakespeare characters (a
vocabulary of 65) with context 256 and a 384-wide, 6-head, 6-block model; we did not have its
exact batch size. With context 256 one single-threaded step takes many seconds, so the defaults
keep the model (embedding 384, 6 heads, 6 blocks, vocabulary 65, dropout 0.1) but use context 64
and batch 8: a step then takes about 1.3 s on the shared 2-core development machine (batch 16
took about 2.5 s there). Pass larger sizes on the command line for a heavier run.

    python benchmarks/transformer_step.py [--batch 8] [--context 64] [--repeats 10] [--threads 1 2]
        [--profile]
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
from autocompyute.nn.functional.losses import cross_entropy_loss

LEARNING_RATE = 0.01


@dataclass
class Sizes:
    vocab: int = 65
    context: int = 64
    embedding: int = 384
    heads: int = 6
    blocks: int = 6
    batch: int = 8
    dropout: float = 0.1


class Block(nn.Module):
    """Pre-norm transformer block: attention and MLP, each with a residual connection."""

    def __init__(self, sizes: Sizes, mask: ac.Tensor) -> None:
        super().__init__()
        width = sizes.embedding
        self.norm1 = nn.LayerNorm(width)
        self.attention = nn.MultiHeadSelfAttention(width, sizes.heads, mask, sizes.dropout)
        self.norm2 = nn.LayerNorm(width)
        self.up = nn.Linear(width, 4 * width)
        self.activation = nn.GELU(approximate="tanh")
        self.down = nn.Linear(4 * width, width)
        self.dropout = nn.Dropout(sizes.dropout)

    def forward(self, x: ac.Tensor) -> ac.Tensor:
        x = x + self.attention(self.norm1(x))
        return x + self.dropout(self.down(self.activation(self.up(self.norm2(x)))))


class Transformer(nn.Module):
    """Character-level language model written with autocompyute layers."""

    def __init__(self, sizes: Sizes) -> None:
        super().__init__()
        mask = ac.ones(sizes.context, sizes.context).tril() == 1  # causal
        self.tokens = nn.Embedding(sizes.vocab, sizes.embedding)
        self.positions = nn.Embedding(sizes.context, sizes.embedding)
        self.blocks = nn.Sequential(*(Block(sizes, mask) for _ in range(sizes.blocks)))
        self.norm = nn.LayerNorm(sizes.embedding)
        self.head = nn.Linear(sizes.embedding, sizes.vocab)
        self.position_ids = nn.Buffer(ac.arange(sizes.context))

    def forward(self, x: ac.Tensor) -> ac.Tensor:
        x = self.tokens(x) + self.positions(self.position_ids[: x.shape[1]])
        return self.head(self.norm(self.blocks(x)))


def autocompyute_step(
    model: Transformer, tokens: numpy.ndarray, targets: numpy.ndarray
) -> Callable[[], float]:
    x, y = ac.tensor(tokens), ac.tensor(targets)
    parameters = list(model.parameters())

    def step() -> float:
        for parameter in parameters:
            parameter.grad = None
        loss = cross_entropy_loss(model(x), y)
        loss.backward()
        for parameter in parameters:
            parameter.data -= LEARNING_RATE * parameter.grad
        return float(loss.item())

    return step


def torch_model(sizes: Sizes, source: Transformer) -> Any:
    """The same model in PyTorch, with the weights of `source` copied in."""
    import torch

    functional = torch.nn.functional

    class TorchBlock(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            width = sizes.embedding
            self.norm1 = torch.nn.LayerNorm(width)
            self.q, self.k, self.v, self.out = (torch.nn.Linear(width, width) for _ in range(4))
            self.norm2 = torch.nn.LayerNorm(width)
            self.up = torch.nn.Linear(width, 4 * width)
            self.down = torch.nn.Linear(4 * width, width)

        def forward(self, x: Any) -> Any:
            batch, length, width = x.shape
            h = self.norm1(x)
            q, k, v = (
                p(h).view(batch, length, sizes.heads, -1).transpose(1, 2)
                for p in (self.q, self.k, self.v)
            )
            attended = functional.scaled_dot_product_attention(
                q, k, v, dropout_p=sizes.dropout if self.training else 0.0, is_causal=True
            )
            x = x + self.out(attended.transpose(1, 2).reshape(batch, length, width))
            h = functional.gelu(self.up(self.norm2(x)), approximate="tanh")
            return x + functional.dropout(self.down(h), sizes.dropout, self.training)

    class TorchTransformer(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tokens = torch.nn.Embedding(sizes.vocab, sizes.embedding)
            self.positions = torch.nn.Embedding(sizes.context, sizes.embedding)
            self.blocks = torch.nn.Sequential(*(TorchBlock() for _ in range(sizes.blocks)))
            self.norm = torch.nn.LayerNorm(sizes.embedding)
            self.head = torch.nn.Linear(sizes.embedding, sizes.vocab)

        def forward(self, x: Any) -> Any:
            positions = torch.arange(x.shape[1])
            x = self.tokens(x) + self.positions(positions)
            return self.head(self.norm(self.blocks(x)))

    model = TorchTransformer()
    ours = dict(source.named_parameters())
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            key = (
                name.replace(".q.", ".attention.q.")
                .replace(".k.", ".attention.k.")
                .replace(".v.", ".attention.v.")
                .replace(".out.", ".attention.out.")
            )
            parameter.copy_(torch.from_numpy(ours[key].as_numpy()))
    return model


def torch_step(model: Any, tokens: numpy.ndarray, targets: numpy.ndarray) -> Callable[[], float]:
    import torch

    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    x, y = torch.from_numpy(tokens), torch.from_numpy(targets)

    def step() -> float:
        optimizer.zero_grad(set_to_none=True)
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), y.reshape(-1)
        )
        loss.backward()
        optimizer.step()
        return float(loss.item())

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = Sizes()
    for field in ("batch", "context", "embedding", "heads", "blocks"):
        parser.add_argument(f"--{field}", type=int, default=getattr(defaults, field))
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--profile", action="store_true", help="cProfile autocompyute's step")
    args = parser.parse_args()
    sizes = Sizes(
        **{f: getattr(args, f) for f in ("batch", "context", "embedding", "heads", "blocks")}
    )

    ac.set_random_seed(0)
    generator = numpy.random.default_rng(0)
    tokens = generator.integers(0, sizes.vocab, (sizes.batch, sizes.context))
    targets = generator.integers(0, sizes.vocab, (sizes.batch, sizes.context))
    model = Transformer(sizes)
    steps = {"autocompyute": autocompyute_step(model, tokens, targets)}
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(1)
        reference = torch_model(sizes, model)
        model.eval()
        reference.eval()
        with ac.no_autograd_tracking(), torch.no_grad():
            ours = cross_entropy_loss(model(ac.tensor(tokens)), ac.tensor(targets)).item()
            logits = reference(torch.from_numpy(tokens))
            theirs = torch.nn.functional.cross_entropy(
                logits.reshape(-1, sizes.vocab), torch.from_numpy(targets).reshape(-1)
            ).item()
        print(f"initial loss (eval mode): autocompyute {ours:.6f}, pytorch {theirs:.6f}")
        model.train()
        reference.train()
        steps["pytorch"] = torch_step(reference, tokens, targets)
    if args.profile:
        timing.print_profile(steps["autocompyute"], calls=3, lines=20)
        return

    print(
        f"transformer training step: vocab {sizes.vocab}, context {sizes.context}, embedding "
        f"{sizes.embedding}, {sizes.heads} heads, {sizes.blocks} blocks, batch {sizes.batch}, "
        f"dropout {sizes.dropout}; {args.repeats} repeats"
    )
    timing.print_tables_per_thread_count(steps, args.threads, args.repeats, torch)


if __name__ == "__main__":
    main()
