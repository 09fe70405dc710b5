"""The newcomer's first hour: what README.md and docs/*.md show must exist and run.

* the README's first command runs its example exactly as written;
* CI runs the README's test command, word for word;
* every ``import`` / ``from ... import`` shown in the Markdown (code blocks and
  inline code) imports, and every name it imports exists;
* every ``python examples/...`` / ``python benchmarks/...`` command shown (in the
  Markdown and in the examples' own docstrings) names a script that exists, with
  options its ``--help`` lists;
* no install advice points at PyPI's ``minigrad``, an unrelated project;
* the tour's blocks that do not import torch run without torch.
"""
import ast
import importlib
import importlib.util
import os
import pathlib
import re
import shlex
import subprocess
import sys

import pytest

from _markdown import python_blocks

REPO = pathlib.Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
INLINE_CODE = re.compile(r"`([^`\n]+)`")
IMPORT_LINE = re.compile(r"^\s*(?:from\s+(\S+)\s+import\s+(.+)|import\s+(.+))$")
COMMAND = re.compile(r"python3?\s+((?:examples|benchmarks)/[\w./-]+\.py)([^`\n#]*)")
OPTIONAL = {"matplotlib", "cupy", "graphviz"}     # extras a page may mention without needing them here


def bash_blocks(page):
    return [code for language, code in FENCE.findall(page.read_text()) if language in ("bash", "sh", "")]


def environment():
    return dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))


# ---- the two commands ---------------------------------------------------------------------------
def test_readme_first_command_runs_its_example_as_written(tmp_path):
    first_command = bash_blocks(REPO / "README.md")[0].strip()
    assert first_command.startswith("python3 -m venv .venv") and "pip install -q -e '.[examples]'" in first_command
    example = first_command.split("&&")[-1].strip()          # the part after the install
    assert example == "python examples/ohlol.py"
    words = shlex.split(example)
    result = subprocess.run([sys.executable, *words[1:]], cwd=REPO, capture_output=True, text=True,
                            timeout=300, env=environment())
    assert result.returncode == 0, result.stderr
    finals = [line for line in result.stdout.splitlines() if "'hello' -> " in line]
    assert len(finals) == 3 and all("'hello' -> 'ohlol'" in line for line in finals), result.stdout
    # the README's examples table: reaches "ohlol" in 4 / 4 / 5 epochs
    claimed = re.search(r'reaches "ohlol" in (\d+) / (\d+) / (\d+) epochs', (REPO / "README.md").read_text())
    reached = re.findall(r"first at epoch (\d+)", result.stdout)
    assert claimed and list(claimed.groups()) == reached, (claimed, reached)


def load_example(name, monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "examples"))
    spec = importlib.util.spec_from_file_location(f"newcomer_{name}", REPO / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_timeseries_result(monkeypatch, capsys):
    claimed = re.search(r"test error (0\.\d+) \(noise floor (0\.\d+)\)", (REPO / "README.md").read_text())
    results = load_example("timeseries", monkeypatch).main([])
    assert f"{results['test_mse']:.4f}" == claimed.group(1)
    assert f"{results['noise_mse']:.3f}" == claimed.group(2)


def test_readme_transformer_reverse_result(monkeypatch, capsys):
    claimed = re.search(r"(\d+) % sequence accuracy after (\d+) epochs", (REPO / "README.md").read_text())
    results = load_example("transformer_reverse", monkeypatch).main([])
    assert round(100 * results["sequence_accuracy"]) == int(claimed.group(1))
    assert results["epochs"] == int(claimed.group(2))


def test_ci_runs_the_readme_test_command():
    readme_command = bash_blocks(REPO / "README.md")[1].strip()
    ci_lines = (REPO / ".ci" / "run").read_text().strip().splitlines()
    assert ci_lines[-1] == readme_command
    assert readme_command.endswith("python -m pytest -n auto")


# ---- imports shown in the Markdown --------------------------------------------------------------
def shown_imports():
    """(page, module, [names]) for every absolute import in the pages' code blocks and inline code."""
    found = []
    for page in PAGES:
        text = page.read_text()
        for _, code in python_blocks(page):
            for node in ast.walk(ast.parse(code)):
                if isinstance(node, ast.Import):
                    found += [(page.name, alias.name, []) for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    found.append((page.name, node.module, [alias.name for alias in node.names]))
        snippets = [span for span in INLINE_CODE.findall(text)]
        snippets += [line.split("#")[0].rstrip() for _, block in FENCE.findall(text) for line in block.splitlines()]
        for snippet in snippets:
            match = IMPORT_LINE.match(snippet)
            if not match or (match.group(1) or "").startswith("."):
                continue        # relative imports are quoted from inside the package, as such
            if match.group(1):
                names = [name.split(" as ")[0].strip(" ()") for name in match.group(2).split(",")]
                found.append((page.name, match.group(1), [name for name in names if name.isidentifier()]))
            else:
                found += [(page.name, name.split(" as ")[0].strip(), []) for name in match.group(3).split(",")]
    return found


def test_the_pages_show_imports():
    modules = {module for _, module, _ in shown_imports()}
    assert {"minigrad", "minigrad.interop", "minigrad.testing"} <= modules


@pytest.mark.parametrize("page, module, names", sorted(set((page, module, tuple(names))
                                                           for page, module, names in shown_imports())),
                         ids=lambda value: value if isinstance(value, str) else ",".join(value))
def test_shown_import_exists(page, module, names):
    if module.split(".")[0] in OPTIONAL and importlib.util.find_spec(module.split(".")[0]) is None:
        pytest.skip(f"{module} is an optional extra, not installed here")
    imported = importlib.import_module(module)
    for name in names:
        assert hasattr(imported, name) or importlib.util.find_spec(f"{module}.{name}") is not None, \
            f"{page} shows 'from {module} import {name}', which does not exist"


def test_from_minigrad_utils_data_import_mnist():
    """The README and the tour say MNIST is at minigrad.utils.data (torch's path to the data tools)."""
    from minigrad.utils.data import MNIST
    from minigrad.data import MNIST as same
    assert MNIST is same


# ---- commands shown ------------------------------------------------------------------------------
def shown_commands():
    """(where, script, options) for every `python examples/...` or `python benchmarks/...` shown."""
    sources = PAGES + sorted((REPO / "examples").glob("*.py"))
    found = []
    for source in sources:
        for script, rest in COMMAND.findall(source.read_text()):
            found.append((source.name, script, tuple(re.findall(r"--[\w-]+", rest))))
    return found


def test_the_pages_show_commands():
    scripts = {script for _, script, _ in shown_commands()}
    assert {"examples/ohlol.py", "examples/mnist_lstm.py", "benchmarks/bench_rnn.py"} <= scripts


_help_texts = {}


def help_text(script):
    if script not in _help_texts:
        result = subprocess.run([sys.executable, script, "--help"], cwd=REPO, capture_output=True, text=True,
                                timeout=300, env=environment())
        assert result.returncode == 0, f"{script} --help failed: {result.stderr}"
        _help_texts[script] = result.stdout
    return _help_texts[script]


@pytest.mark.parametrize("where, script, options", sorted(set(shown_commands())),
                         ids=lambda value: value if isinstance(value, str) else " ".join(value))
def test_shown_command_exists_with_its_options(where, script, options):
    assert (REPO / script).is_file(), f"{where} shows 'python {script}', which does not exist"
    usage = help_text(script)
    for option in options:
        assert re.search(rf"{re.escape(option)}\b", usage), \
            f"{where} shows 'python {script} ... {option}', which its --help does not list"


# ---- install advice and licence ------------------------------------------------------------------
def test_no_install_advice_points_at_pypis_minigrad():
    """``pip install minigrad`` / ``'minigrad[...]'`` installs PyPI's unrelated minigrad 0.0.6."""
    wrong = re.compile(r"pip install\s+(?:-\w+\s+)*['\"]?minigrad\b")
    files = [*PAGES, REPO / "pyproject.toml", REPO / ".ci" / "run",
             *REPO.glob("minigrad/**/*.py"), *REPO.glob("examples/*.py"), *REPO.glob("benchmarks/*.py")]
    offenders = [f"{path.relative_to(REPO)}: {match.group(0)}" for path in files
                 for match in wrong.finditer(path.read_text())]
    assert not offenders, offenders
    # the advice that is there installs from the checkout
    assert "pip install -e '.[plot]'" in (REPO / "examples" / "mnist_lstm.py").read_text()


def test_license_file_matches_pyproject():
    license_text = (REPO / "LICENSE").read_text()
    assert license_text.startswith("MIT License") and "Copyright (c) 2026 the minigrad authors" in license_text
    assert 'license = { text = "MIT" }' in (REPO / "pyproject.toml").read_text()


# ---- the tour without torch ----------------------------------------------------------------------
def test_tour_blocks_without_torch_run_without_torch(tmp_path, monkeypatch):
    """The tour says which block needs torch; every other block must run where torch is not installed."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "torch", None)          # `import torch` raises ImportError
    page = REPO / "docs" / "tour.md"
    namespace = {"__name__": "tour_without_torch"}
    skipped = 0
    for line, code in python_blocks(page):
        if re.search(r"^\s*import torch|^\s*from torch", code, re.MULTILINE):
            skipped += 1
            continue
        exec(compile("\n" * (line - 1) + code, str(page), "exec"), namespace)
    assert skipped == 1
