"""Profiles three training steps of the Shakespeare transformer: a table by op, one by layer,
and a Chrome trace.

What it shows:

- `ac.profiler.profile` with a `schedule`: step 0 is skipped, step 1 warms up, steps 2-4 are
  recorded; `prof.step()` marks the end of each training step;
- `record_function` scopes around the phases of a step ("forward", "backward", "optimizer");
  every module call is a scope too, named by its path in the model ("blocks.1.attention"),
  and backward ops count in the layer whose forward made them;
- `key_averages().table(...)` sorted by self time, the same grouped by scope, `summary()`,
  and `export_chrome_trace` (open the file in https://ui.perfetto.dev or chrome://tracing:
  forward and backward ops are on separate tracks, scopes are nested slices around them).

The model is the one of `transformer_shakespeare.py` (defaults from there); the data are
random windows of the bundled text, so nothing is downloaded.

Run it::

    python examples/profile_transformer.py                  # writes profile_trace.json
    python examples/profile_transformer.py --trace-path /tmp/trace.json --rows 15
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from datasets import load_shakespeare
from transformer_shakespeare import GPT, CharacterCodec, random_windows

import autocompyute as ac
import autocompyute.nn.functional as F
from autocompyute import nn
from autocompyute.profiler import profile, record_function, schedule


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trace-path", type=Path, default=Path("profile_trace.json"))
    parser.add_argument("--rows", type=int, default=12, help="rows of each table")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--context", type=int, default=64)
    parser.add_argument("--d-model", type=int, default=96)
    parser.add_argument("--n-heads", type=int, default=4)
    parser.add_argument("--n-layers", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--smoke", action="store_true", help="a tiny model, to check it runs")
    args = parser.parse_args(argv)
    if args.smoke:
        args.batch_size, args.context, args.d_model, args.n_layers = 2, 16, 16, 1
    return args


def main(argv: list[str] | None = None) -> profile:
    """Profiles the steps, prints the tables and writes the trace; returns the profiler."""
    args = parse_args(argv)
    ac.set_random_seed(0)
    rng = np.random.default_rng(0)
    codec = CharacterCodec(load_shakespeare(cache_dir=args.data_dir, fallback=True))
    data = codec.encode("".join(codec.characters) * 64)
    model = GPT(len(codec.characters), args.context, args.d_model, args.n_heads, args.n_layers, 0.1)
    optimizer = nn.optimizers.AdamW(model.parameters(), lr=1e-3)
    plan = schedule(skip_first=1, wait=0, warmup=1, active=3, repeat=1)
    with profile(schedule=plan, record_shapes=True, profile_memory=True) as prof:
        for _ in range(5):
            x, y = random_windows(data, args.batch_size, args.context, rng)
            with record_function("forward"):
                loss = F.cross_entropy_loss(model(x), y)
            optimizer.zero_grad()
            with record_function("backward"):
                loss.backward()
            with record_function("optimizer"):
                optimizer.step()
            prof.step()
    print(prof.key_averages().table(sort_by="self_time", row_limit=args.rows))
    print()
    by_layer = prof.key_averages(group_by_scope=True)
    print(by_layer.table(sort_by="self_time", row_limit=args.rows))
    print()
    print(prof.summary())
    path = prof.export_chrome_trace(args.trace_path)
    print(f"Chrome trace written to {path} (open it in https://ui.perfetto.dev)")
    return prof


if __name__ == "__main__":
    main()
