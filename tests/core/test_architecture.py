"""The package is built in floors: a module imports only modules of its own floor or below.

Read statically with ``ast`` (nothing is executed), function-local imports
included.  The table below is the architecture (docs/architecture.md draws it);
a module that is in no floor fails the test too, so a new file has to be placed.
"""
import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "minigrad"

# lowest first; a module belongs to the floor of its longest matching prefix (a package's
# name covers its modules); the facade floor lists whole module names, not prefixes
FLOORS = [
    ("core", ["minigrad.core", "minigrad.backends", "minigrad.threads", "minigrad.processes", "minigrad.memory", "minigrad._type_info"]),
    ("ops", ["minigrad.ops", "minigrad.linalg", "minigrad.special"]),
    ("autograd, devices", ["minigrad.autograd", "minigrad.cuda", "minigrad.accelerator"]),
    ("nn", ["minigrad.nn", "minigrad.distributions"]),
    ("optim", ["minigrad.optim"]),
    ("io", ["minigrad.serialization", "minigrad._weights_only_unpickler", "minigrad.interop"]),
    ("data", ["minigrad.data", "minigrad.utils"]),        # datasets read files: on io
    ("tools", ["minigrad.tolerances", "minigrad.testing", "minigrad._assert_close", "minigrad.viz",
               "minigrad.viz_html", "minigrad.divergence", "minigrad.profiler", "minigrad.course",
               "minigrad.jit", "minigrad.onnx"]),
    ("package", ["minigrad", "minigrad.torch_alias", "minigrad.__main__"]),   # the facade, and running as torch
]
FACADE = len(FLOORS) - 1


def _modules():
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return modules


def _imports(modules):
    """{module: {imported minigrad module, ...}} from every import statement in the file."""
    graph = {}
    for name, (path, is_package) in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            candidates = []
            if isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[:len(base) - (node.level - 1)]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                candidates = [f"{module}.{alias.name}" if f"{module}.{alias.name}" in modules else module
                              for alias in node.names]
            for candidate in candidates:
                while candidate not in modules and "." in candidate:
                    candidate = candidate.rsplit(".", 1)[0]
                if candidate in modules and candidate != name:
                    targets.add(candidate)
        graph[name] = targets
    return graph


def _floor(module):
    best = None
    for level, (_, prefixes) in enumerate(FLOORS):
        for prefix in prefixes:
            if module == prefix or (level != FACADE and module.startswith(prefix + ".")):
                if best is None or len(prefix) > len(best[1]):
                    best = (level, prefix)
    return None if best is None else best[0]


MODULES = _modules()
GRAPH = _imports(MODULES)


def test_every_module_has_a_floor():
    unplaced = sorted(module for module in MODULES if _floor(module) is None)
    assert not unplaced, f"modules in no floor of tests/core/test_architecture.py FLOORS: {unplaced}"


def test_no_module_imports_a_floor_above_its_own():
    upward = [f"{module} ({FLOORS[_floor(module)][0]}) imports {target} ({FLOORS[_floor(target)][0]})"
              for module, targets in sorted(GRAPH.items()) for target in sorted(targets)
              if _floor(target) is not None and _floor(module) is not None and _floor(target) > _floor(module)]
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_the_package_facade_is_imported_by_no_module():
    importers = sorted(module for module, targets in GRAPH.items()
                       if "minigrad" in targets and _floor(module) != FACADE)
    assert not importers, f"modules that import the package minigrad itself: {importers}"


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]; counter[0] += 1
        stack.append(root); on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]; counter[0] += 1
                    stack.append(child); on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop(); on_stack.discard(member); component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_there_are_no_import_cycles():
    cycles = _cycles(GRAPH)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(cycle) for cycle in cycles)


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b"}, "b": {"a"}, "c": set()}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
])
def test_the_cycle_finder_finds_cycles(graph, expected):
    assert _cycles(graph) == expected


def test_no_module_reads_a_generator_s_private_state():
    readers = sorted(str(path.relative_to(PACKAGE.parent)) for path, _ in MODULES.values()
                     if "._generator" in path.read_text() and path.name != "random.py")
    assert not readers, f"read Generator._generator outside core/random.py: {readers}"


# NumPy names CuPy lacks: asked of the array module (``xp``) they break device 'cuda' only, so the
# CPU suite cannot see it (``xp.errstate`` failed 8 of the 92 GPU tests on the first GPU run).
NUMPY_ONLY = {"errstate", "seterr", "geterr"}


def _numpy_only_calls(source):
    return [f"line {node.lineno}: {node.value.id}.{node.attr}" for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Attribute) and node.attr in NUMPY_ONLY
            and not (isinstance(node.value, ast.Name) and node.value.id in ("numpy", "np"))]


def test_numpy_only_functions_are_asked_of_numpy_not_of_the_array_module():
    found = {str(path.relative_to(PACKAGE.parent)): calls for path, _ in MODULES.values()
             if (calls := _numpy_only_calls(path.read_text()))}
    assert not found, f"CuPy has no errstate/seterr: call numpy's (harmless on CuPy arrays): {found}"


def test_the_numpy_only_finder_finds_them():
    assert _numpy_only_calls("with xp.errstate(over='ignore'):\n    pass\n") == ["line 1: xp.errstate"]
    assert _numpy_only_calls("with numpy.errstate(over='ignore'):\n    pass\n") == []
