"""minigrad.viz: the DOT text names each op, its output shape and dtype, and the leaves."""
import shutil
import sys

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


# ---- names, shapes, folders, Jupyter ----------------------------------------------------------
def test_params_name_the_leaves_from_a_module_or_a_dict():
    model = minigrad.nn.Sequential(minigrad.nn.Linear(3, 2), minigrad.nn.Tanh())
    x = minigrad.ones(3, requires_grad=True)
    loss = model(x).sum()
    for params in (model, dict(model.named_parameters())):
        text = viz.to_dot(loss, params=params)
        assert 'label="0.weight\\n(2, 3) float32", shape=ellipse' in text
        assert 'label="0.bias\\n(2,) float32", shape=ellipse' in text
        assert 'label="leaf\\n(3,) float32", shape=ellipse' in text      # x is not a parameter
    assert 'label="Parameter\\n(2, 3) float32"' in viz.to_dot(loss)    # no params: no names
    with pytest.raises(TypeError, match="params must be a dict"):
        viz.to_dot(loss, params=["0.weight"])


def test_shapes_print_as_python_tuples():
    x = minigrad.ones(3, dtype=minigrad.float64, requires_grad=True)
    text = viz.to_dot((x * 2.0).sum())
    assert "MulBackward0\\n(3,) float64" in text and "SumBackward0\\n() float64" in text


@pytest.mark.parametrize("suffix", ["dot", "svg"])
def test_render_into_a_missing_folder_says_so(suffix, tmp_path):
    hidden, _ = _small_graph()
    with pytest.raises(FileNotFoundError, match="the folder .*missing does not exist"):
        viz.render(hidden, tmp_path / "missing" / f"graph.{suffix}")


@pytest.fixture
def fake_dot(tmp_path, monkeypatch):
    """A stand-in for Graphviz's dot: SVG for -Tsvg, an error on stderr for any other format."""
    program = tmp_path / "dot"
    program.write_text(f"#!{sys.executable}\n"
                       "import sys\n"
                       "source = sys.stdin.read()\n"
                       "if sys.argv[1] != '-Tsvg':\n"
                       "    sys.exit(print('Format: \"' + sys.argv[1][2:] + '\" not recognized', file=sys.stderr) or 1)\n"
                       "sys.stdout.write('<svg><!-- ' + str(source.count('->')) + ' edges --></svg>')\n")
    program.chmod(0o755)
    monkeypatch.setattr(shutil, "which", lambda name: str(program) if name == "dot" else None)
    return program


def test_make_dot_displays_as_svg_in_jupyter(fake_dot):
    hidden, weight = _small_graph()
    graph = viz.make_dot(hidden, params={"weight": weight})
    assert graph.source == viz.to_dot(hidden, params={"weight": weight}) == str(graph)
    assert "weight\\n(3, 2)" in graph.source
    assert graph._repr_svg_() == f"<svg><!-- {graph.source.count('->')} edges --></svg>"


def test_render_passes_graphviz_errors_on(fake_dot, tmp_path):
    hidden, _ = _small_graph()
    assert viz.render(hidden, tmp_path / "graph.svg").read_text().startswith("<svg>")
    with pytest.raises(RuntimeError, match='Format: "nope" not recognized'):
        viz.render(hidden, tmp_path / "graph.nope")


def test_without_graphviz_jupyter_falls_back_to_text(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    graph = viz.make_dot(_small_graph()[0])
    assert graph._repr_svg_() is None
    assert "edges" in repr(graph)
