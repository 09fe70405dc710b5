"""minigrad.viz: the DOT text names each op, its output shape and dtype, and the leaves."""
import shutil

import pytest

import minigrad
from minigrad import viz


def _small_graph():
    weight = minigrad.ones(3, 2, dtype=minigrad.float64, requires_grad=True)
    x = minigrad.ones(2, dtype=minigrad.float64)
    hidden = (weight * x + 1.0) * 2.0
    return hidden, weight


def test_dot_text_lists_ops_shapes_and_leaves():
    hidden, _ = _small_graph()
    text = viz.to_dot(hidden)
    assert text.startswith("digraph minigrad {")
    assert "MulBackward0\\n(3, 2) float64" in text
    assert "AddBackward0\\n(3, 2) float64" in text
    assert 'label="leaf\\n(3, 2) float64", shape=ellipse' in text
    # mul(weight, x) -> add -> mul(., 2): three op nodes and one leaf, joined by edges
    assert text.count("shape=box") == 3
    assert text.count("->") >= 3


def test_dot_of_a_leaf_is_an_error():
    with pytest.raises(ValueError, match="no graph"):
        viz.to_dot(minigrad.ones(2, requires_grad=True))


def test_render_dot_file_needs_no_graphviz(tmp_path):
    hidden, _ = _small_graph()
    path = viz.render(hidden, tmp_path / "graph.dot")
    assert path.read_text() == viz.to_dot(hidden)


def test_render_image_without_dot_program_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    hidden, _ = _small_graph()
    with pytest.raises(RuntimeError, match="Graphviz"):
        viz.render(hidden, tmp_path / "graph.svg")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")
def test_render_svg_with_graphviz(tmp_path):
    hidden, _ = _small_graph()
    assert b"<svg" in viz.render(hidden, tmp_path / "graph.svg").read_bytes()
