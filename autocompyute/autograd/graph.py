"""The old import path of the graph drawing code, which now lives in `autograd.drawing`."""

from autocompyute.autograd import drawing
from autocompyute.deprecation import deprecated_aliases

__all__: list[str] = []

__getattr__ = deprecated_aliases(
    __name__, {"GraphDrawing": drawing.GraphDrawing, "draw_graph": drawing.draw_graph}
)
