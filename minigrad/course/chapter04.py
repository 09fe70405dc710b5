"""Chapter 4's checks: matmul, softmax, log_softmax and row indexing backwards, against torch."""
from __future__ import annotations

import numpy
import torch

from ..ops.factories import tensor
from .checker import Exercise

MODULE = "ch04_ops"


def _run(grader, function, torch_function, arrays, *, grad_mistakes=None, value_mistakes=None,
         options=None, rtol=1e-9, atol=1e-10):
    """Forward and gradients (of a random weighting of the output) in both libraries, compared."""
    options = options or {}
    ours = [tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
    output, expected = function(*ours, **options), torch_function(*theirs)
    grader.compare("output", output, expected, rtol=rtol, atol=atol, mistakes=value_mistakes)
    weights = numpy.random.default_rng(len(arrays)).standard_normal(tuple(expected.shape))
    (expected * torch.from_numpy(weights)).sum().backward()
    (output * tensor(weights)).sum().backward()
    for index, (mine, reference) in enumerate(zip(ours, theirs)):
        mistakes = (grad_mistakes or (lambda i, g: None))(index, weights)
        grader.compare(f"gradient of input {index}", mine.grad, reference.grad, rtol=rtol, atol=atol,
                       mistakes=mistakes)


def check_matmul(module, grader):
    rng = numpy.random.default_rng(40)
    for shape_a, shape_b in (((4, 4), (4, 4)), ((3, 4), (4, 5)), ((1, 4), (4, 1)), ((2, 1), (1, 3))):
        grader.case_is(f"a {shape_a} @ b {shape_b}")
        a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)

        def transposed(index, weights, a=a, b=b):
            # the usual slips: a transpose forgotten (g @ b, a @ g) or the whole product transposed
            pairs = ({"grad_output @ b": (weights, b), "b @ grad_output.T": (b, weights.T)} if index == 0
                     else {"a @ grad_output": (a, weights), "grad_output.T @ a": (weights.T, a)})
            return {"transposed": {name: left @ right for name, (left, right) in pairs.items()
                                   if left.shape[1] == right.shape[0]}}
        _run(grader, module.matmul, torch.matmul, [a, b], grad_mistakes=transposed)


def check_softmax(module, grader):
    rng = numpy.random.default_rng(41)
    cases = [("x (4, 5)", rng.standard_normal((4, 5))), ("x (2, 3, 6)", rng.standard_normal((2, 3, 6))),
             ("one class: x (3, 1)", rng.standard_normal((3, 1))),
             ("large inputs (x * 1000)", rng.standard_normal((3, 4)) * 1000)]
    for description, x in cases:
        grader.case_is(f"softmax(x, dim=-1), {description}")
        y = torch.softmax(torch.from_numpy(x), -1).numpy()

        def diagonal(index, weights, y=y):
            return {"softmax_diagonal": weights * y * (1 - y)}
        _run(grader, module.softmax, lambda t: torch.softmax(t, -1), [x], grad_mistakes=diagonal,
             value_mistakes={"softmax_not_stable": lambda got: got is not None and numpy.isnan(got).any()})


def check_log_softmax(module, grader):
    rng = numpy.random.default_rng(42)
    cases = [("x (4, 5)", rng.standard_normal((4, 5))), ("x (2, 3, 6)", rng.standard_normal((2, 3, 6))),
             ("large inputs (x * 1000)", rng.standard_normal((3, 4)) * 1000)]
    for description, x in cases:
        grader.case_is(f"log_softmax(x, dim=-1), {description}")
        softmax = torch.softmax(torch.from_numpy(x), -1).numpy()

        def wrong(index, weights, softmax=softmax):
            return {"log_softmax_grad": weights - softmax * weights,      # the sum forgotten
                    "softmax_diagonal": weights * (1 - softmax)}
        _run(grader, module.log_softmax, lambda t: torch.log_softmax(t, -1), [x], grad_mistakes=wrong,
             value_mistakes={"softmax_not_stable": lambda got: got is not None and not numpy.isfinite(got).all()})


def check_index_rows(module, grader):
    rng = numpy.random.default_rng(43)
    cases = [("distinct rows", (5, 3), numpy.array([4, 0, 2])),
             ("repeated rows", (5, 3), numpy.array([1, 3, 1, 1, 0])),
             ("one row", (1, 4), numpy.array([0])),
             ("negative indices", (4, 2), numpy.array([-1, 0, -1]))]
    for description, shape, index in cases:
        grader.case_is(f"x {shape}[index {index.tolist()}], {description}")
        x = rng.standard_normal(shape)

        def overwrite(i, weights, index=index, shape=shape):
            grad = numpy.zeros(shape)
            grad[index] += weights                   # keeps one repeat only
            return {"repeated_index": grad}
        _run(grader, lambda t: module.index_rows(t, index), lambda t: t[torch.from_numpy(index)], [x],
             grad_mistakes=overwrite)


EXERCISES = [
    Exercise("4.1", "MatMul backward", MODULE, check_matmul),
    Exercise("4.2", "Softmax forward and backward", MODULE, check_softmax),
    Exercise("4.3", "LogSoftmax forward and backward", MODULE, check_log_softmax),
    Exercise("4.4", "IndexRows backward with repeated indices", MODULE, check_index_rows),
]
