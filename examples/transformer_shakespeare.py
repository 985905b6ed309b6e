"""A small character-level GPT trained on Shakespeare, which then writes some "Shakespeare".

What it shows:

- a decoder-only transformer assembled from `nn` layers: token `Embedding` plus a learned
  positional `Embedding`, a stack of pre-norm blocks (`LayerNorm` -> causal
  `MultiHeadSelfAttention` -> residual, `LayerNorm` -> `Linear`/`GELU`/`Linear` -> residual),
  a final `LayerNorm` and a `Linear` layer that scores every character of the vocabulary;
- the causal mask, which lets position t attend only to positions <= t, so that one forward
  pass trains all T next-character predictions of a sequence at once without peeking ahead;
- `F.cross_entropy_loss` on (B, T, vocabulary) logits, `nn.optimizers.AdamW`, and
  gradient clipping with `nn.utils.clip_grad_norm`;
- sampling from the trained model with a temperature, under `ac.no_autograd_tracking()`.

Data: Tiny Shakespeare (1.1 MB, downloaded once into `--data-dir`). Without a network the
script says so and uses the bundled text of *Coriolanus* (165 KB) instead. The last 10% of the
text is held out for validation.

An "epoch" here is `--steps-per-epoch` mini-batches of random windows of the text, followed by
a validation estimate: a true pass over every window would be a million windows.

Run it::

    python examples/transformer_shakespeare.py           # a few minutes on a CPU
    python examples/transformer_shakespeare.py --epochs 30 --n-layers 4 --d-model 128 \\
        --device cuda                                    # a longer run for better text
    python examples/transformer_shakespeare.py --smoke   # a few steps, to check it runs
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from data_parallel import DataParallel
from datasets import load_shakespeare
from tqdm import tqdm

import autocompyute as ac
import autocompyute.nn.functional as F
from autocompyute import nn


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=6, help="rounds of training + validation")
    parser.add_argument("--steps-per-epoch", type=int, default=200, help="mini-batches per epoch")
    parser.add_argument("--batch-size", type=int, default=32, help="windows per mini-batch")
    parser.add_argument("--context", type=int, default=64, help="characters per window (T)")
    parser.add_argument("--d-model", type=int, default=96, help="embedding size")
    parser.add_argument("--n-heads", type=int, default=4, help="attention heads per block")
    parser.add_argument("--n-layers", type=int, default=3, help="transformer blocks")
    parser.add_argument("--dropout", type=float, default=0.1, help="dropout probability")
    parser.add_argument("--lr", type=float, default=3e-3, help="peak learning rate")
    parser.add_argument(
        "--temperature",
        type=float,
        default=0.8,
        help="sampling temperature: < 1 safer, > 1 more adventurous",
    )
    parser.add_argument("--sample-length", type=int, default=300, help="characters to generate")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument(
        "--data-dir",
        default=None,
        help="cache folder for the download (default examples/data_cache)",
    )
    parser.add_argument(
        "--distributed",
        action="store_true",
        help="data-parallel over the processes of mpiexec -n N (see examples/data_parallel.py)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a tiny model for a few steps: a quick check that everything runs",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.epochs, args.steps_per_epoch, args.batch_size = 1, 5, 8
        args.context, args.d_model, args.n_layers, args.sample_length = 32, 32, 1, 40
    return args


# ----------------------------------------------------------------------------------------------
# data: characters <-> integers, random windows


class CharacterCodec:
    """Maps each distinct character of the text to an integer id and back."""

    def __init__(self, text: str) -> None:
        self.characters = sorted(set(text))
        self.ids = {character: i for i, character in enumerate(self.characters)}

    def encode(self, text: str) -> np.ndarray:
        return np.array([self.ids[character] for character in text], dtype=np.int64)

    def decode(self, ids: np.ndarray) -> str:
        return "".join(self.characters[i] for i in ids)


def random_windows(
    data: np.ndarray, batch_size: int, context: int, rng: np.random.Generator
) -> tuple[ac.Tensor, ac.Tensor]:
    """Draws `batch_size` windows of the text; targets are the inputs shifted by one.

    Returns:
        (inputs, targets), both int64 (batch_size, context): targets[b, t] is the character
        that follows inputs[b, :t + 1].
    """
    starts = rng.integers(0, len(data) - context - 1, size=batch_size)
    offsets = starts[:, None] + np.arange(context + 1)
    windows = data[offsets]
    return ac.tensor(windows[:, :-1]), ac.tensor(windows[:, 1:])


# ----------------------------------------------------------------------------------------------
# the model


class Block(nn.Module):
    """One transformer block: attention then a feed-forward network, each added to a residual.

    Normalizing *before* each sublayer (pre-norm, as GPT-2) keeps the residual path an identity,
    which makes deep stacks train stably without a careful learning-rate warm-up.
    """

    def __init__(self, d_model: int, n_heads: int, mask: ac.Tensor, dropout: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.attention = nn.MultiHeadSelfAttention(d_model, n_heads, mask=mask, dropout=dropout)
        self.norm2 = nn.LayerNorm(d_model)
        self.feed_forward = nn.Sequential(
            nn.Linear(d_model, 4 * d_model),  # widen, as in the original transformer
            nn.GELU(),
            nn.Linear(4 * d_model, d_model),
            nn.Dropout(dropout),
        )

    def forward(self, x: ac.Tensor) -> ac.Tensor:
        x = x + self.attention(self.norm1(x))
        return x + self.feed_forward(self.norm2(x))


class GPT(nn.Module):
    """Decoder-only transformer over characters.

    Shapes:
        input ids (B, T) with T <= context -> logits (B, T, vocabulary_size).
    """

    def __init__(
        self,
        vocabulary_size: int,
        context: int,
        d_model: int,
        n_heads: int,
        n_layers: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.context = context
        self.token_embedding = nn.Embedding(vocabulary_size, d_model)
        # Attention itself ignores order; a learned vector per position tells the blocks where
        # each character stands.
        self.position_embedding = nn.Embedding(context, d_model)
        self.dropout = nn.Dropout(dropout)
        causal_mask = ac.ones(context, context).tril() == 1  # True where attending is allowed
        self.blocks = nn.Sequential(
            *(Block(d_model, n_heads, causal_mask, dropout) for _ in range(n_layers))
        )
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocabulary_size)

    def forward(self, ids: ac.Tensor) -> ac.Tensor:
        positions = ac.arange(ids.shape[1], device=ids.device)
        x = self.dropout(self.token_embedding(ids) + self.position_embedding(positions))
        return self.head(self.norm(self.blocks(x)))


# ----------------------------------------------------------------------------------------------
# evaluation and generation


def validation_loss(
    model: GPT, data: np.ndarray, args: argparse.Namespace, n_batches: int = 10
) -> float:
    """Mean loss on `n_batches` windows of the validation text, drawn with a fixed seed so that
    every epoch is scored on the same windows."""
    model.eval()
    rng = np.random.default_rng(1234)
    total = 0.0
    with ac.no_autograd_tracking():
        for _ in range(n_batches):
            x, y = random_windows(data, args.batch_size, args.context, rng)
            total += F.cross_entropy_loss(model(x.to(args.device)), y.to(args.device)).item()
    model.train()
    return total / n_batches


def generate(
    model: GPT,
    codec: CharacterCodec,
    prompt: str,
    length: int,
    temperature: float,
    rng: np.random.Generator,
) -> str:
    """Continues `prompt` by `length` characters, sampling one character at a time.

    Each step feeds the last `context` characters, takes the scores for the next one, divides
    them by the temperature (below 1 sharpens the distribution towards likely characters,
    above 1 flattens it), turns them into probabilities with a softmax and draws from them.
    """
    model.eval()  # no dropout while generating
    ids = list(codec.encode(prompt))
    with ac.no_autograd_tracking():  # no backward pass follows: skip building the graph
        for _ in range(length):
            window = ac.tensor(np.array(ids[-model.context :])[None], device=model_device(model))
            logits = model(window)[0, -1]  # scores for the character after the window
            probabilities = F.softmax(logits / temperature).as_numpy().astype(np.float64)
            ids.append(int(rng.choice(len(probabilities), p=probabilities / probabilities.sum())))
    return codec.decode(np.array(ids))


def model_device(model: nn.Module) -> ac.Device:
    return next(model.parameters()).device


# ----------------------------------------------------------------------------------------------
# training


def main(argv: list[str] | None = None) -> float:
    """Trains the GPT, prints a sample and returns the final validation loss (nats/character)."""
    args = parse_args(argv)
    ac.set_random_seed(args.seed)
    parallel = DataParallel.setup(args.distributed)
    log = print if parallel.is_main else lambda *_: None
    # For the windows and for sampling; each process draws its own windows.
    rng = np.random.default_rng(args.seed + parallel.rank)
    start = time.perf_counter()

    text = load_shakespeare(cache_dir=args.data_dir, fallback=True)
    codec = CharacterCodec(text)
    data = codec.encode(text)
    split = int(0.9 * len(data))
    train_data, validation_data = data[:split], data[split:]

    model = GPT(
        len(codec.characters), args.context, args.d_model, args.n_heads, args.n_layers, args.dropout
    ).to(args.device)
    trained = parallel.wrap(model)  # averages the gradients over the processes
    # AdamW's decoupled weight decay is the usual choice for transformers.
    optimizer = nn.optimizers.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    total_steps = args.epochs * args.steps_per_epoch
    # Ramp the learning rate up over the first steps (large early updates through freshly
    # initialized attention are unstable), then decay it along a cosine to the end.
    schedule = nn.lr_schedulers.linear_warmup_cosine(
        optimizer, warmup_steps=max(1, total_steps // 20), total_steps=total_steps
    )
    log(
        f"{len(text)} characters, vocabulary of {len(codec.characters)}; "
        f"model has {model.n_params} parameters"
    )
    log(
        f"before training: validation loss {validation_loss(model, validation_data, args):.3f} "
        f"(uniform guessing: ln {len(codec.characters)} = "
        f"{math.log(len(codec.characters)):.3f})"
    )

    model.train()
    for epoch in range(1, args.epochs + 1):
        running_loss = 0.0
        progress = tqdm(
            range(args.steps_per_epoch),
            desc=f"epoch {epoch}/{args.epochs}",
            leave=False,
            disable=not parallel.is_main,
        )
        for step in progress:
            x, y = random_windows(train_data, args.batch_size, args.context, rng)
            logits = trained(x.to(args.device))
            loss = F.cross_entropy_loss(logits, y.to(args.device))
            optimizer.zero_grad()
            loss.backward()
            # Caps the update size when a batch produces an unusually large gradient.
            nn.utils.clip_grad_norm(model.parameters(), max_norm=1.0)
            optimizer.step()
            schedule.step()
            running_loss += loss.item()
            progress.set_postfix(loss=f"{running_loss / (step + 1):.3f}", refresh=False)
        loss_now = validation_loss(model, validation_data, args)
        log(
            f"epoch {epoch:3d}/{args.epochs}  train loss "
            f"{parallel.mean(running_loss / args.steps_per_epoch):.3f}  "
            f"validation loss {loss_now:.3f}"
        )

    sample = generate(model, codec, "\n", args.sample_length, args.temperature, rng)
    log(f"--- sample (temperature {args.temperature}) ---{sample}\n---")
    log(f"validation loss: {loss_now:.3f} nats per character ({time.perf_counter() - start:.0f} s)")
    return loss_now


if __name__ == "__main__":
    main()
