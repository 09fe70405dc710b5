"""Every ```python block of docs/course/*.md runs: a page's blocks in order, in one namespace.

The same rule as tests/docs/test_docs.py for the other pages; here so the course's
pages are covered without touching that file's page list.
"""
import pathlib
import re

import pytest

COURSE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "course"
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
LINK = re.compile(r"\]\((?!https?:)([^)#]+)")


def python_blocks(page):
    text = page.read_text()
    return [(text.count("\n", 0, match.start()) + 2, match.group(1)) for match in PYTHON_BLOCK.finditer(text)]


PAGES = sorted(COURSE.glob("*.md"))


def test_every_chapter_has_a_page_with_code_and_exercises():
    chapters = [page for page in PAGES if page.name[:2].isdigit()]
    assert [page.name[:2] for page in chapters] == [f"{n:02d}" for n in range(1, 11)]
    for page in chapters:
        text = page.read_text()
        assert python_blocks(page), f"{page.name} has no code"
        assert "## Exercises" in text and f"python -m minigrad.course check {int(page.name[:2])}" in text


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_links_point_at_files_that_exist(page):
    for target in LINK.findall(page.read_text()):
        assert (page.parent / target).resolve().exists(), f"{page.name} links to a missing {target}"


@pytest.mark.parametrize("page", [page for page in PAGES if python_blocks(page)], ids=lambda page: page.name)
def test_course_page_runs(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": f"course_{page.stem}"}
    for line, code in python_blocks(page):
        exec(compile("\n" * (line - 1) + code, str(page), "exec"), namespace)
