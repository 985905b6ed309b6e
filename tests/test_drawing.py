"""Tests of the compute-graph drawing (autocompyute.autograd.draw_graph)."""

import shutil
import time

import numpy as np
import pytest

import autocompyute as ac
from autocompyute.autograd import GraphDrawing, Op, draw_graph
from autocompyute.autograd import drawing as graph_module

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


def spec_expression():
    x1 = ac.randn(2, 3, req_grad=True)
    x2 = ac.randn(2, 3, req_grad=True)
    x3 = ac.randn(2, 3, req_grad=True)
    return x1**2 + 4 * x2 + x3 + 10


def titles_and_kinds(drawing):
    return [(node.title, node.kind) for node in drawing.nodes]


def test_spec_expression_nodes_edges_and_colours():
    drawing = draw_graph(spec_expression())
    assert isinstance(drawing, GraphDrawing)
    assert titles_and_kinds(drawing) == [
        ("Tensor", "leaf"),
        ("Pow", "op"),
        ("Tensor", "leaf"),
        ("Tensor", "const"),
        ("Mul", "op"),  # 4 * x2 is Mul(4, x2)
        ("Add", "op"),
        ("Tensor", "leaf"),
        ("Add", "op"),
        ("Tensor", "const"),
        ("Add", "op"),
    ]
    assert drawing.edges == [(0, 1), (3, 4), (2, 4), (1, 5), (4, 5), (5, 7), (6, 7), (7, 9), (8, 9)]
    assert drawing.nodes[1].lines == ("kwargs: exp=2", "shape: (2, 3)", "dtype: float32")
    assert drawing.nodes[3].lines == ("shape: ()", "dtype: float32")
    assert drawing.nodes[9].lines == ("shape: (2, 3)", "dtype: float32")
    source = drawing.mermaid
    assert source.startswith("flowchart LR\n")
    assert "classDef leaf fill:#c6ecc9,stroke:#5aa15f" in source
    assert "classDef const fill:#cfe8fc,stroke:#5b8fd6" in source
    assert "classDef op fill:#f0f0f0,stroke:#999999" in source
    assert 'n1["<b>Pow</b><br>kwargs: exp=2<br>shape: (2, 3)<br>dtype: float32"]' in source
    assert "    n0 --> n1\n" in source
    assert "class n0,n2,n6 leaf" in source and "class n3,n8 const" in source


def test_scalar_constant_takes_output_dtype():
    x = ac.ones(3, dtype="float64", req_grad=True)
    drawing = draw_graph(x * 2.5)
    assert drawing.nodes[1] == graph_module.GraphNode(
        "const", "Tensor", ("shape: ()", "dtype: float64")
    )


def test_labels_and_tensors_without_grad():
    x = ac.randn(1, 4)
    weights = ac.Tensor(np.ones((5, 4), dtype=np.float32), req_grad=True, label="Weights")
    biases = ac.randn(5, req_grad=True)
    biases.label = "Biases"
    drawing = draw_graph((x @ weights.T + biases).relu())
    assert titles_and_kinds(drawing) == [
        ("Tensor", "const"),
        ("Weights", "leaf"),
        ("Permute", "op"),
        ("MatMul", "op"),
        ("Biases", "leaf"),
        ("Add", "op"),
        ("ReLU", "op"),
    ]
    assert drawing.nodes[2].lines[0] == "kwargs: dims=(1, 0)"
    assert drawing.nodes[4].lines == ("shape: (5,)", "dtype: float32")


def test_shared_subgraph_drawn_once():
    x = ac.randn(3, req_grad=True)
    shared = x.exp()
    y = shared * shared + shared
    drawing = draw_graph(y)
    assert [node.title for node in drawing.nodes] == ["Tensor", "Exp", "Mul", "Add"]
    # One edge per op input, so both inputs of shared * shared are drawn.
    assert drawing.edges == [(0, 1), (1, 2), (1, 2), (2, 3), (1, 3)]


def test_diamond_and_deterministic_order():
    def build():
        ac.set_random_seed(1)
        a = ac.randn(2, req_grad=True)
        b = ac.randn(2, req_grad=True)
        left = a * b
        right = (a + b).exp()
        return (left - right).sum()

    first, second = draw_graph(build()), draw_graph(build())
    assert first.mermaid == second.mermaid
    assert first.dot == second.dot
    titles = [node.title for node in first.nodes]
    assert titles == ["Tensor", "Tensor", "Mul", "Add", "Exp", "Sub", "Sum"]
    assert len(first.nodes) == 7 and len(first.edges) == 8


def test_leaf_root_and_non_tensor_input():
    drawing = draw_graph(ac.Tensor([1.0, 2.0], label="Input"))
    assert titles_and_kinds(drawing) == [("Input", "const")]
    assert drawing.edges == []
    assert draw_graph(ac.Tensor(1.0, label="two\nlines")).nodes[0].title == "two lines"
    with pytest.raises(TypeError, match="draw_graph: expected a Tensor, got ndarray"):
        draw_graph(np.ones(2))


def test_after_backward_only_what_remains():
    x = ac.randn(2, 3, req_grad=True)
    y = (x * 2).sum()
    assert len(draw_graph(y).nodes) == 4
    y.backward()
    # backward freed the graph: the root op no longer knows its inputs.
    drawing = draw_graph(y)
    assert [node.title for node in drawing.nodes] == ["Sum"]
    assert drawing.edges == []

    z = (x * 2).sum()
    z.backward(retain_graph=True)
    assert len(draw_graph(z).nodes) == 4


def test_long_chain_is_fast_and_iterative():
    x = ac.randn(4, req_grad=True)
    y = x
    for _ in range(1000):
        y = y * 1.0001
    start = time.perf_counter()
    drawing = draw_graph(y)
    source, dot_source = drawing.mermaid, drawing.dot
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5
    assert len(drawing.nodes) == 2001 and len(drawing.edges) == 2000
    assert source.count("-->") == 2000 and dot_source.count("->") == 2000

    for _ in range(9000):  # far beyond the recursion limit
        y = y + 1
    assert len(draw_graph(y).nodes) == 2001 + 2 * 9000


class Annotate(Op):
    def forward(self, x, mode, weights=None):
        return x * 1.0

    def backward(self, grad):
        return grad


def test_kwargs_are_shortened_and_escaped():
    x = ac.randn(2, req_grad=True)
    weights = np.zeros((3, 4), dtype=np.float32)
    y = Annotate.apply(x, mode='a"<b>&#c', weights=weights)
    drawing = draw_graph(y)
    line = drawing.nodes[1].lines[0]
    assert line == "kwargs: mode='a\"<b>&#c', weights=array(shape=(3, 4), dtype=float32)"
    assert "mode='a#quot;#lt;b#gt;#amp;#35;c'" in drawing.mermaid
    assert "mode='a\"&lt;b&gt;&amp;#c'" in drawing.dot
    long_value = Annotate.apply(x, mode="x" * 100)
    text = draw_graph(long_value).nodes[1].lines[0]
    assert text.endswith("...'") is False and text.endswith("...")
    assert len(text) < 60


def test_raw_array_and_skipped_inputs():
    x = ac.randn(3, req_grad=True)
    y = Annotate.apply(x, np.ones((3,), dtype=np.float16), None)
    drawing = draw_graph(y)
    assert titles_and_kinds(drawing) == [
        ("Tensor", "leaf"),
        ("Tensor", "const"),
        ("Annotate", "op"),
    ]
    assert drawing.nodes[1].lines == ("shape: (3,)", "dtype: float16")


def test_notebook_reprs():
    drawing = draw_graph(spec_expression())
    markdown = drawing._repr_markdown_()
    assert markdown == f"```mermaid\n{drawing.mermaid}\n```\n"
    page = drawing._repr_html_()
    assert graph_module.MERMAID_JS in page and "&lt;b&gt;Pow&lt;/b&gt;" in page
    assert page != drawing._repr_html_()  # a fresh element id per display
    assert repr(drawing) == "GraphDrawing(10 nodes, 9 edges)"


def test_save_text_formats(tmp_path):
    drawing = draw_graph(spec_expression())
    assert drawing.save(tmp_path / "g.md").read_text() == drawing._repr_markdown_()
    assert drawing.save(tmp_path / "g.mmd").read_text() == drawing.mermaid + "\n"
    assert drawing.save(tmp_path / "g.dot").read_text() == drawing.dot
    page = drawing.save(str(tmp_path / "g.html")).read_text()
    assert page.startswith("<!DOCTYPE html>") and "mermaid.run" in page
    with pytest.raises(ValueError, match=r"unsupported file type '\.jpg'"):
        drawing.save(tmp_path / "g.jpg")


@needs_dot
def test_save_svg_and_png(tmp_path):
    drawing = draw_graph(spec_expression())
    svg = drawing.save(tmp_path / "g.svg").read_text()
    assert "<svg" in svg and "#c6ecc9" in svg and "Pow" in svg and "kwargs: exp=2" in svg
    png = drawing.save(tmp_path / "g.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_image_without_dot_says_install_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(graph_module.shutil, "which", lambda name: None)
    drawing = draw_graph(spec_expression())
    with pytest.raises(RuntimeError, match="install graphviz"):
        drawing.save(tmp_path / "g.svg")
    assert not (tmp_path / "g.svg").exists()


def test_exported_from_package():
    assert ac.autograd.draw_graph is draw_graph
