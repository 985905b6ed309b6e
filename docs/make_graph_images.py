"""Regenerates the compute-graph pictures of the README with the library itself.

Needs Graphviz's `dot` program (`apt-get install graphviz`). Run from anywhere:

    python docs/make_graph_images.py
"""

from pathlib import Path

import autocompyute as ac

IMAGES = Path(__file__).resolve().parent / "images"


def expression_graph() -> ac.Tensor:
    """The README's first example: `x1 ** 2 + 4 * x2 + x3 + 10`."""
    x1 = ac.randn(2, 3, req_grad=True)
    x2 = ac.randn(2, 3, req_grad=True)
    x3 = ac.randn(2, 3, req_grad=True)
    return x1**2 + 4 * x2 + x3 + 10


def mlp_graph() -> ac.Tensor:
    """The README's second example: a 4-5-3 network, `lin1 -> relu -> lin2`."""
    x = ac.randn(1, 4)
    try:
        from autocompyute import nn

        lin1, lin2 = nn.Linear(4, 5), nn.Linear(5, 3)
    except (ImportError, AttributeError):
        pass
    else:
        return lin2(lin1(x).relu())

    # Before the nn layers exist: the same network from raw tensors and tensor ops.
    def linear(inputs: ac.Tensor, in_dim: int, out_dim: int) -> ac.Tensor:
        weights = ac.randn(out_dim, in_dim, req_grad=True)
        weights.label = "Weights"
        biases = ac.randn(out_dim, req_grad=True)
        biases.label = "Biases"
        return inputs @ weights.T + biases

    return linear(linear(x, 4, 5).relu(), 5, 3)


def main() -> None:
    ac.set_random_seed(0)
    IMAGES.mkdir(parents=True, exist_ok=True)
    for name, make in (("compute_graph_1", expression_graph), ("compute_graph_2", mlp_graph)):
        path = ac.autograd.draw_graph(make()).save(IMAGES / f"{name}.png")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
