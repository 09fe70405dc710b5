"""Make an exercise stub from a reference solution: the bodies of "Exercise N.M" functions become a raise.

``python tests/course/stubs.py`` rewrites exercises/ from tests/course/solutions/;
test_course.py checks that the committed stubs are exactly what this makes, so
the stubs' signatures and docstrings never drift from the solutions'.
"""
import ast
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOLUTIONS = pathlib.Path(__file__).resolve().parent / "solutions"
EXERCISES = ROOT / "exercises"
EXERCISE_DOC = re.compile(r"^Exercise (\d+\.\d+): (.*)$", re.MULTILINE)     # the docstring's first line


def stub_source(solution):
    """The solution's text with each exercise body (after its docstring) replaced by a raise."""
    lines = solution.splitlines(keepends=True)
    replacements = []
    for node in ast.walk(ast.parse(solution)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        docstring = ast.get_docstring(node)
        match = EXERCISE_DOC.match(docstring or "")
        if not match or len(node.body) < 2:
            continue
        first, last = node.body[1].lineno, node.end_lineno
        indent = " " * node.body[0].col_offset
        key, summary = match.group(1), match.group(2).rstrip(".").replace("``", "").replace('"', "'")
        raise_line = f'{indent}raise NotImplementedError("exercise {key}: {summary}")\n'
        replacements.append((first, last, raise_line))
    for first, last, raise_line in sorted(replacements, reverse=True):
        lines[first - 1:last] = [raise_line]
    return "".join(lines)


def write_stubs():
    EXERCISES.mkdir(exist_ok=True)
    for solution in sorted(SOLUTIONS.glob("ch*.py")):
        (EXERCISES / solution.name).write_text(stub_source(solution.read_text()))


if __name__ == "__main__":
    write_stubs()
