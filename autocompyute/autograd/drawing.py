"""Drawing the compute graph of a tensor as a Mermaid flowchart (or Graphviz DOT)."""

from __future__ import annotations

import functools
import html
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autocompyute import _engine
from autocompyute.autograd.op import op_name

__all__ = ["GraphDrawing", "draw_graph"]

# Node kinds and their (fill, stroke) colours, as in the README pictures.
COLOURS = {
    "leaf": ("#c6ecc9", "#5aa15f"),  # leaf tensors that require grad
    "const": ("#cfe8fc", "#5b8fd6"),  # tensors that do not require grad, scalar operands
    "op": ("#f0f0f0", "#999999"),  # operations (shape and dtype of their output)
}
MERMAID_JS = "https://cdn.jsdelivr.net/npm/mermaid@11/dist/mermaid.esm.min.mjs"
_SCALAR_TYPES = (bool, int, float)
_MAX_VALUE_CHARS = 40
_IMAGE_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}


@dataclass(frozen=True)
class GraphNode:
    """One box of the drawing: its kind (a key of `COLOURS`), bold title and detail lines."""

    kind: str
    title: str
    lines: tuple[str, ...]


def draw_graph(tensor: Any) -> GraphDrawing:
    """Describes the compute graph that produced `tensor`, for display or saving.

    Leaf tensors that require grad are green, constants (tensors without grad and Python scalar
    operands) blue and ops grey; an op's box shows the shape and dtype of its output. Each node
    is drawn once, however many consumers it has, and the order is deterministic. The graph is
    walked with an explicit stack, so graphs of any depth work.

    `backward()` (without `retain_graph=True`) frees the graph as it goes: drawn afterwards, an
    op shows no inputs, so draw before calling backward if you want the whole graph.

    Args:
        tensor: the tensor whose history to draw (any shape).

    Returns:
        A `GraphDrawing`: renders inline in Jupyter, `.mermaid` holds the Mermaid source, `.dot`
        the Graphviz source and `.save(path)` writes .md, .html, .mmd, .dot, or .svg/.png/.pdf
        (the latter through Graphviz's `dot`, without network).

    >>> import autocompyute as ac
    >>> x = ac.ones(2, 3, req_grad=True)
    >>> drawing = ac.autograd.draw_graph(x**2 + 1)
    >>> [node.title for node in drawing.nodes]
    ['Tensor', 'Pow', 'Tensor', 'Add']
    >>> drawing.edges
    [(0, 1), (1, 3), (2, 3)]
    """
    if not isinstance(tensor, _engine.TensorCore):
        raise TypeError(f"draw_graph: expected a Tensor, got {type(tensor).__name__}")
    nodes, edges = _collect(tensor)
    return GraphDrawing(nodes, edges)


def _collect(root: Any) -> tuple[list[GraphNode], list[tuple[int, int]]]:
    """Lists the nodes inputs-first (post-order) and the edges from each input to its consumer."""
    nodes: list[GraphNode] = []
    edges: list[tuple[int, int]] = []
    index_of: dict[int, int] = {}  # id of an op (or of a leaf tensor) -> node index
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        tensor, inputs_done = stack.pop()
        op = tensor.ctx
        key = id(tensor) if op is None else id(op)
        if inputs_done:
            sources = []
            for parent in op.parents or ():
                if isinstance(parent, _engine.TensorCore):
                    sources.append(index_of[id(parent) if parent.ctx is None else id(parent.ctx)])
                else:
                    constant = _constant_node(parent, tensor)
                    if constant is not None:
                        sources.append(_append(nodes, constant))
            index = index_of[key] = _append(nodes, _op_node(op, tensor))
            edges.extend((source, index) for source in sources)
            continue
        if key in index_of:
            continue
        if op is None:
            index_of[key] = _append(nodes, _tensor_node(tensor))
            continue
        stack.append((tensor, True))
        # Reversed, so that the first input is expanded (and listed) first.
        for parent in reversed(op.parents or ()):
            if isinstance(parent, _engine.TensorCore):
                stack.append((parent, False))
    return nodes, edges


def _append(nodes: list[GraphNode], node: GraphNode) -> int:
    nodes.append(node)
    return len(nodes) - 1


def _shape_lines(data: Any) -> tuple[str, str]:
    return _format_shape_lines(tuple(data.shape), data.dtype)


@functools.lru_cache(maxsize=1024)
def _format_shape_lines(shape: tuple[int, ...], dtype: Any) -> tuple[str, str]:
    # Cached: formatting a dtype is slow next to everything else done per node.
    return f"shape: {shape}", f"dtype: {dtype}"


def _tensor_node(tensor: Any) -> GraphNode:
    kind = "leaf" if tensor.req_grad else "const"
    title = "Tensor" if tensor.label is None else str(tensor.label).replace("\n", " ")
    return GraphNode(kind, title, _shape_lines(tensor.data))


def _op_node(op: Any, output: Any) -> GraphNode:
    lines: tuple[str, ...] = _shape_lines(output.data)
    if op.kwargs:
        arguments = ", ".join(f"{name}={_short(value)}" for name, value in op.kwargs.items())
        lines = (f"kwargs: {arguments}", *lines)
    return GraphNode("op", op_name(op), lines)


def _constant_node(value: Any, output: Any) -> GraphNode | None:
    """A node for a non-tensor input; None for inputs that are not values (shapes, None)."""
    if isinstance(value, _SCALAR_TYPES):
        # The op computes with the scalar in the output's dtype.
        return GraphNode("const", "Tensor", _format_shape_lines((), output.data.dtype))
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return GraphNode("const", "Tensor", _shape_lines(value))
    return None


def _short(value: Any) -> str:
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"array(shape={tuple(value.shape)}, dtype={value.dtype})"
    text = repr(value).replace("\n", " ")  # labels are line-based
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 3] + "..."
    return text


class GraphDrawing:
    """A drawn compute graph: nodes, edges, and their Mermaid and Graphviz sources.

    Attributes:
        nodes: the `GraphNode`s, inputs before the ops that consume them.
        edges: (input index, consumer index) pairs into `nodes`, one per op input.
    """

    def __init__(self, nodes: list[GraphNode], edges: list[tuple[int, int]]) -> None:
        self.nodes = nodes
        self.edges = edges
        self._mermaid: str | None = None
        self._dot: str | None = None

    def __repr__(self) -> str:
        return f"GraphDrawing({len(self.nodes)} nodes, {len(self.edges)} edges)"

    @property
    def mermaid(self) -> str:
        """The Mermaid flowchart source (left to right)."""
        if self._mermaid is None:
            self._mermaid = _to_mermaid(self.nodes, self.edges)
        return self._mermaid

    @property
    def dot(self) -> str:
        """The same graph as Graphviz DOT source, with the same colours and labels."""
        if self._dot is None:
            self._dot = _to_dot(self.nodes, self.edges)
        return self._dot

    def _repr_markdown_(self) -> str:
        return f"```mermaid\n{self.mermaid}\n```\n"

    def _repr_html_(self) -> str:
        return _mermaid_html(self.mermaid, f"autocompyute-graph-{uuid.uuid4().hex}")

    def to_html(self) -> str:
        """A standalone HTML page that renders the graph with mermaid.js (loaded from a CDN)."""
        body = _mermaid_html(self.mermaid, "autocompyute-graph")
        return (
            '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
            "<title>autocompyute compute graph</title>\n</head>\n<body>\n"
            f"{body}\n</body>\n</html>\n"
        )

    def save(self, path: str | Path) -> Path:
        """Writes the drawing to `path`; the file suffix picks the format.

        `.md` (a mermaid code block), `.mmd` (Mermaid source), `.html` (a page using mermaid.js
        from a CDN), `.dot`/`.gv` (Graphviz source), `.svg`/`.png`/`.pdf` (rendered offline by
        Graphviz's `dot` program, which must be installed).

        Args:
            path: where to write.

        Returns:
            The path written.
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".md":
            path.write_text(self._repr_markdown_(), encoding="utf-8")
        elif suffix == ".mmd":
            path.write_text(self.mermaid + "\n", encoding="utf-8")
        elif suffix == ".html":
            path.write_text(self.to_html(), encoding="utf-8")
        elif suffix in (".dot", ".gv"):
            path.write_text(self.dot, encoding="utf-8")
        elif suffix in _IMAGE_FORMATS:
            _render_with_dot(self.dot, _IMAGE_FORMATS[suffix], path)
        else:
            raise ValueError(
                f"GraphDrawing.save: unsupported file type {path.suffix!r}; use .md, .mmd, "
                ".html, .dot, .gv, .svg, .png or .pdf"
            )
        return path


# ----------------------------------------------------------------------------------------------
# Mermaid


# Characters that would end or change a quoted Mermaid label, as Mermaid's own #entity; codes.
_MERMAID_ESCAPES = str.maketrans(
    {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;"}
)
_DOT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _to_mermaid(nodes: list[GraphNode], edges: list[tuple[int, int]]) -> str:
    out = ["flowchart LR"]
    for kind, (fill, stroke) in COLOURS.items():
        out.append(f"    classDef {kind} fill:{fill},stroke:{stroke},color:#222")
    members: dict[str, list[str]] = {kind: [] for kind in COLOURS}
    for index, node in enumerate(nodes):
        text = "\n".join((node.title, *node.lines)).translate(_MERMAID_ESCAPES)
        title, _, lines = text.partition("\n")
        label = f"<b>{title}</b><br>" + lines.replace("\n", "<br>")
        out.append(f'    n{index}["{label}"]')
        members[node.kind].append(f"n{index}")
    out.extend(f"    n{source} --> n{target}" for source, target in edges)
    out.extend(f"    class {','.join(ids)} {kind}" for kind, ids in members.items() if ids)
    return "\n".join(out)


def _mermaid_html(source: str, element_id: str) -> str:
    # Mermaid refuses big diagrams by default; these limits can only be raised here, not in the
    # diagram text. Very big graphs render faster with .save("graph.svg") (Graphviz).
    return (
        f'<pre class="mermaid" id="{element_id}">\n{html.escape(source)}\n</pre>\n'
        '<script type="module">\n'
        f'import mermaid from "{MERMAID_JS}";\n'
        "mermaid.initialize({startOnLoad: false, maxTextSize: 10000000, maxEdges: 100000});\n"
        f'await mermaid.run({{nodes: [document.getElementById("{element_id}")]}});\n'
        "</script>"
    )


# ----------------------------------------------------------------------------------------------
# Graphviz


def _to_dot(nodes: list[GraphNode], edges: list[tuple[int, int]]) -> str:
    out = [
        "digraph compute_graph {",
        '    graph [rankdir=LR, bgcolor="white", nodesep=0.35, ranksep=0.55];',
        '    node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=12, '
        'margin="0.15,0.08", penwidth=1.2];',
        '    edge [color="#333333", arrowsize=0.7, penwidth=1.2];',
    ]
    for index, node in enumerate(nodes):
        fill, stroke = COLOURS[node.kind]
        text = "\n".join((node.title, *node.lines)).translate(_DOT_ESCAPES)
        title, _, lines = text.partition("\n")
        title = f'<FONT POINT-SIZE="14"><B>{title}</B></FONT>'
        label = f"{title}<BR/>" + lines.replace("\n", "<BR/>")
        out.append(f'    n{index} [label=<{label}>, fillcolor="{fill}", color="{stroke}"];')
    out.extend(f"    n{source} -> n{target};" for source, target in edges)
    out.append("}")
    return "\n".join(out) + "\n"


def _render_with_dot(source: str, image_format: str, path: Path) -> None:
    dot_program = shutil.which("dot")
    if dot_program is None:
        raise RuntimeError(
            f"GraphDrawing.save: writing .{image_format} needs Graphviz's `dot` program, which "
            "was not found; install graphviz (e.g. `apt-get install graphviz`, `brew install "
            "graphviz` or `conda install graphviz`), or save as .md, .html or .mmd instead"
        )
    command = [dot_program, f"-T{image_format}", "-o", str(path)]
    if image_format == "png":
        command.insert(1, "-Gdpi=144")  # crisp text on high-density screens
    result = subprocess.run(command, input=source.encode(), capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"GraphDrawing.save: dot failed (exit code {result.returncode}): "
            f"{result.stderr.decode(errors='replace').strip()}"
        )
