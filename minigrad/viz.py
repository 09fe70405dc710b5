"""Drawing the autograd graph: Graphviz DOT text from any output tensor.

``to_dot(loss)`` walks the graph backwards from ``loss.grad_fn`` (the same
edges backward follows) and writes one box per op node, labelled with the op
name and the shape and dtype of what it produced, and one ellipse per leaf.
``render(loss, "graph.svg")`` runs Graphviz's ``dot`` program where it exists.
"""
from __future__ import annotations

import pathlib
import shutil
import subprocess

from .core.function import AccumulateGrad
from .viz_html import to_html  # noqa: F401  (the steppable HTML page lives in viz_html.py)

__all__ = ["to_dot", "render", "to_html"]


def _shape_text(shape, dtype):
    return f"({', '.join(str(size) for size in shape)}) {dtype}"


def _label(node):
    if isinstance(node, AccumulateGrad):
        leaf = node.leaf
        name = "Parameter" if type(leaf).__name__ == "Parameter" else "leaf"
        return name, _shape_text(leaf.array.shape, leaf.array.dtype), "ellipse"
    outputs = "\\n".join(_shape_text(shape, dtype) for shape, dtype, _ in node.output_meta)
    return node.name(), outputs, "box"


def to_dot(tensor, name="minigrad") -> str:
    """The graph that made ``tensor`` as Graphviz DOT text."""
    if tensor.grad_fn is None:
        raise ValueError("this tensor has no graph (it is a leaf or was made under no_grad)")
    lines = [f"digraph {name} {{", "  rankdir=BT;", '  node [fontname="Helvetica", fontsize=10];']
    ids, stack = {}, [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node in ids:
            continue
        ids[node] = f"n{len(ids)}"
        op, shapes, shape = _label(node)
        lines.append(f'  {ids[node]} [label="{op}\\n{shapes}", shape={shape}];')
        stack.extend(edge[0] for edge in node.next_edges if edge is not None)
    for node, node_id in ids.items():
        for edge in node.next_edges:
            if edge is not None:
                lines.append(f"  {ids[edge[0]]} -> {node_id};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(tensor, path, format=None) -> pathlib.Path:
    """Write the graph of ``tensor`` to ``path`` (``.svg``, ``.png``, ``.pdf`` or ``.dot``)."""
    path = pathlib.Path(path)
    dot_text = to_dot(tensor)
    format = format or path.suffix.lstrip(".") or "svg"
    if format == "dot":
        path.write_text(dot_text)
        return path
    dot_program = shutil.which("dot")
    if dot_program is None:
        raise RuntimeError("Graphviz's 'dot' program was not found on PATH: install Graphviz "
                           "(e.g. apt-get install graphviz) to render images, or save the DOT "
                           "text with render(tensor, 'graph.dot') / to_dot(tensor)")
    subprocess.run([dot_program, f"-T{format}", "-o", str(path)], input=dot_text.encode(), check=True)
    return path
