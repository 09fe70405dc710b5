"""Drawing the autograd graph: Graphviz DOT text from any output tensor.

``to_dot(loss)`` walks the graph backwards from ``loss.grad_fn`` (the same
edges backward follows) and writes one box per op node, labelled with the op
name and the shape and dtype of what it produced, and one ellipse per leaf.
``params`` names the leaves, as torchviz's ``make_dot(loss, params=...)``: a
dict ``{name: tensor}`` or a module, whose ``named_parameters()`` are used, so
that a weight reads ``fc.weight`` instead of ``Parameter``.

``make_dot(loss, params=model)`` returns a ``Graph``: its ``.source`` is the DOT
text, and in Jupyter it displays itself as an SVG where Graphviz's ``dot``
program is installed.  ``render(loss, "graph.svg")`` writes an image (any
format ``dot`` knows) or, with a ``.dot`` suffix, the text itself.
"""
from __future__ import annotations

import pathlib
import shutil
import subprocess

from .core.function import AccumulateGrad
from .viz_html import to_html  # noqa: F401  (the steppable HTML page lives in viz_html.py)

__all__ = ["to_dot", "make_dot", "render", "Graph", "to_html"]


def _shape_text(shape, dtype):
    """``(3,) float64``, ``(3, 2) float32``, ``() int64``: Python's tuple notation."""
    return f"{tuple(int(size) for size in shape)} {dtype}"


def _parameter_names(params):
    """``{id(tensor): name}`` from a dict of tensors or a module (its named_parameters)."""
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        params = dict(params.named_parameters())
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict {{name: tensor}} or a Module, not {type(params).__name__}")
    return {id(tensor): name for name, tensor in params.items()}


def _label(node, names):
    if isinstance(node, AccumulateGrad):
        leaf = node.leaf
        unnamed = "Parameter" if type(leaf).__name__ == "Parameter" else "leaf"
        return names.get(id(leaf), unnamed), _shape_text(leaf.array.shape, leaf.array.dtype), "ellipse"
    outputs = "\\n".join(_shape_text(shape, dtype) for shape, dtype, _ in node.output_meta)
    return node.name(), outputs, "box"


def _quoted(text):
    return text.replace('"', '\\"')        # a name is inside a "..." label


def to_dot(tensor, name="minigrad", params=None) -> str:
    """The graph that made ``tensor`` as Graphviz DOT text; ``params`` names the leaves."""
    if tensor.grad_fn is None:
        raise ValueError("this tensor has no graph (it is a leaf or was made under no_grad)")
    names = _parameter_names(params)
    lines = [f"digraph {name} {{", "  rankdir=BT;", '  node [fontname="Helvetica", fontsize=10];']
    ids, stack = {}, [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node in ids:
            continue
        ids[node] = f"n{len(ids)}"
        op, shapes, shape = _label(node, names)
        lines.append(f'  {ids[node]} [label="{_quoted(op)}\\n{shapes}", shape={shape}];')
        stack.extend(edge[0] for edge in node.next_edges if edge is not None)
    for node, node_id in ids.items():
        for edge in node.next_edges:
            if edge is not None:
                lines.append(f"  {ids[edge[0]]} -> {node_id};")
    lines.append("}")
    return "\n".join(lines) + "\n"


class Graph:
    """DOT text that Jupyter displays as an SVG (where Graphviz is installed) and ``render`` writes."""

    def __init__(self, source):
        self.source = source

    def __str__(self):
        return self.source

    def __repr__(self):
        return f"<minigrad.viz.Graph: {self.source.count('->')} edges; .source is the DOT text>"

    def pipe(self, format="svg") -> bytes:
        """The image bytes from Graphviz's ``dot`` (RuntimeError when it is not installed)."""
        return _run_dot(self.source, format)

    def _repr_svg_(self):
        """Jupyter's inline display; None (a plain repr) where Graphviz is not installed."""
        if shutil.which("dot") is None:
            return None
        return self.pipe("svg").decode()

    def render(self, path, format=None) -> pathlib.Path:
        return _write(self.source, path, format)


def make_dot(tensor, params=None) -> Graph:
    """The graph of ``tensor`` as a ``Graph`` (torchviz's name): shows itself in Jupyter."""
    return Graph(to_dot(tensor, params=params))


def render(tensor, path, format=None, params=None) -> pathlib.Path:
    """Write the graph of ``tensor`` to ``path`` (``.svg``, ``.png``, ``.pdf`` or ``.dot``)."""
    return _write(to_dot(tensor, params=params), path, format)


def _write(dot_text, path, format):
    path = pathlib.Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {path.parent} does not exist "
                                f"(create it first, e.g. os.makedirs({str(path.parent)!r}))")
    format = format or path.suffix.lstrip(".") or "svg"
    if format == "dot":
        path.write_text(dot_text)
        return path
    path.write_bytes(_run_dot(dot_text, format))
    return path


def _run_dot(dot_text, format):
    dot_program = shutil.which("dot")
    if dot_program is None:
        raise RuntimeError("Graphviz's 'dot' program was not found on PATH: install Graphviz "
                           "(e.g. apt-get install graphviz) to render images, or save the DOT "
                           "text with render(tensor, 'graph.dot') / to_dot(tensor)")
    result = subprocess.run([dot_program, f"-T{format}"], input=dot_text.encode(), capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"Graphviz's dot failed to draw the graph as {format!r}: "
                           f"{result.stderr.decode(errors='replace').strip()}")
    return result.stdout
