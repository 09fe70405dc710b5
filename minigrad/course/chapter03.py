"""Chapter 3's checks: dependency counting and a hand-written backward over minigrad's graph."""
from __future__ import annotations

import numpy
import torch

from ..ops.factories import tensor
from .checker import Exercise

MODULE = "ch03_engine"


def _graphs():
    """(description, function of (x, w), shapes): the same code builds minigrad's graph and torch's."""
    def diamond(x, w):
        y = x.tanh()
        return (y * y + y.exp()).sum()

    def shared_weight(x, w):
        hidden = (x @ w).tanh()
        return (hidden @ w.T * x).sum()           # w used at two depths

    def square(x, w):
        return (x * x).sum() + (w * w * w).sum()  # one op with the same input twice

    def chain(x, w):
        out = x
        for _ in range(2000):                     # deeper than Python's recursion limit allows
            out = out * 1.0001
        return (out * w).sum()

    def leaf_twice(x, w):
        return ((x + w) * x).sum() + x.sum()

    return [("a diamond: y = tanh(x); sum(y * y + exp(y))", diamond, ((3, 4), (4, 4))),
            ("w at two depths: sum(tanh(x @ w) @ w.T * x)", shared_weight, ((3, 4), (4, 4))),
            ("the same input twice in one op: sum(x * x) + sum(w * w * w)", square, ((3, 4), (4, 4))),
            ("a chain of 2000 multiplications", chain, ((3, 4), (3, 4))),
            ("x at three places: sum((x + w) * x) + sum(x)", leaf_twice, ((3, 4), (3, 4)))]


def _reference_counts(root):
    counts, stack, seen = {}, [root], {root}
    while stack:
        node = stack.pop()
        for child, _ in node.next_functions:
            if child is None:
                continue
            counts[child] = counts.get(child, 0) + 1
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return counts


def _torch_counts(root):
    """torch's graph counted the same way: the multiset of counts must be the same."""
    return sorted(_reference_counts(root).values())


def check_count_dependencies(module, grader):
    rng = numpy.random.default_rng(3)
    for description, function, shapes in _graphs():
        grader.case_is(description)
        arrays = [rng.standard_normal(shape) for shape in shapes]
        loss = function(*[tensor(a, requires_grad=True) for a in arrays])
        their_loss = function(*[torch.from_numpy(a).requires_grad_() for a in arrays])
        got = module.count_dependencies(loss.grad_fn)
        grader.expect(isinstance(got, dict), f"count_dependencies returned {type(got).__name__}, expected a dict")
        expected = _reference_counts(loss.grad_fn)
        grader.expect(sorted(expected.values()) == _torch_counts(their_loss.grad_fn),
                      "minigrad's graph differs from torch's here (please report this)")
        missing = [node.name() for node in expected if node not in got]
        grader.expect(not missing, f"nodes missing from the counts: {missing[:5]}")
        extra = [node.name() for node in got if node not in expected]
        grader.expect(not extra, f"nodes that do not receive a gradient from this graph: {extra[:5]}")
        for node, count in expected.items():
            if got[node] != count:
                parents = len({id(parent) for parent in _parents(loss.grad_fn, node)})
                grader.fail(f"count of {node.name()}: expected {count} edges into it, got {got[node]}",
                            "count_edges" if got[node] == parents else None)


def _parents(root, target):
    stack, seen, parents = [root], {root}, []
    while stack:
        node = stack.pop()
        for child, _ in node.next_functions:
            if child is target:
                parents.append(node)
            if child is not None and child not in seen:
                seen.add(child)
                stack.append(child)
    return parents


def check_backward(module, grader):
    rng = numpy.random.default_rng(4)
    for description, function, shapes in _graphs():
        grader.case_is(description)
        arrays = [rng.standard_normal(shape) for shape in shapes]
        ours = [tensor(a, requires_grad=True) for a in arrays]
        theirs = [torch.from_numpy(a).requires_grad_() for a in arrays]
        module.backward(function(*ours))
        function(*theirs).backward()
        shared = "chain" not in description
        for name, mine, reference in (("x", ours[0], theirs[0]), ("w", ours[1], theirs[1])):
            grader.compare(f"gradient of {name}", mine.grad, reference.grad,
                           mistakes={"ran_early": (lambda got: shared) if shared else None})

    grader.case_is("a leaf whose .grad already holds a gradient (backward adds to it)")
    x = tensor(numpy.ones(3), requires_grad=True)
    module.backward((x * 2).sum())
    module.backward((x * 3).sum())
    grader.compare("gradient of x after two backward calls", x.grad, numpy.full(3, 5.0),
                   mistakes={"accumulate": numpy.full(3, 3.0)})


EXERCISES = [
    Exercise("3.1", "count_dependencies: edges into each node", MODULE, check_count_dependencies),
    Exercise("3.2", "backward: run each node once all its gradients arrived", MODULE, check_backward,
             uses=("3.1",)),
]
