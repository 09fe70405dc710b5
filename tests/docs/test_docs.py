"""Every ```python block in docs/*.md and README.md runs: the blocks of one page in order, in one namespace.

A page whose samples stop working fails here, so the docs cannot drift from the
code.  Blocks run in a temporary working directory (samples may write files).
"""
import pathlib
import re

import pytest

from _markdown import python_blocks

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs"


PAGES = sorted(page for page in [*DOCS.glob("*.md"), DOCS.parent / "README.md"] if python_blocks(page))


def test_block_extraction_finds_fenced_python_only(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("text\n```python\na = 1\n```\n```\nnot python\n```\n```python\nb = a + 1\n```\n")
    assert python_blocks(page) == [(3, "a = 1\n"), (9, "b = a + 1\n")]


def test_pages_with_code_exist():
    assert {page.name for page in PAGES} >= {"tour.md", "autograd.md", "fused_lstm.md", "rnn_shapes.md",
                                             "parity_testing.md", "README.md"}


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_doc_page_runs(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # a plain script's namespace: a block must run as a reader would paste it
    namespace = {"__name__": f"docs_{page.stem}"}
    for line, code in python_blocks(page):
        # compile with the page's name and line numbers so a failure points into the .md file
        compiled = compile("\n" * (line - 1) + code, str(page), "exec")
        exec(compiled, namespace)
