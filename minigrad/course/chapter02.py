"""Chapter 2's checks: ``sum_to`` and broadcasting Add/Mul backwards, against torch."""
from __future__ import annotations

import numpy
import torch

from ..ops.factories import tensor
from .checker import Exercise

MODULE = "ch02_tensors"

# tinygrad's broadcasting matrix: a stretched column, prepended and stretched dims, a scalar
BROADCAST_CASES = [((4, 1), (4, 5)), ((1, 3, 1, 7, 1), (2, 1, 5, 1, 8)), ((), (3, 4)), ((5,), (3, 5)),
                   ((2, 3), (2, 3)), ((1,), (1,))]


def check_sum_to(module, grader):
    rng = numpy.random.default_rng(0)
    cases = [((4, 5), (4, 1)), ((4, 5), (5,)), ((4, 5), ()), ((2, 3, 5, 7, 8), (1, 3, 1, 7, 1)),
             ((2, 3, 4), (3, 1)), ((3,), (3,)), ((1, 1), (1,)), ((6, 1, 2), (1, 2))]
    for grad_shape, shape in cases:
        grader.case_is(f"sum_to(grad of shape {grad_shape}, {shape})")
        grad = rng.standard_normal(grad_shape)
        got = module.sum_to(grad.copy(), shape)
        expected = torch.from_numpy(grad).sum_to_size(shape) if shape else torch.from_numpy(grad).sum()
        leading = len(grad_shape) - len(shape)
        only_leading = grad.sum(axis=tuple(range(leading))) if leading else grad
        grader.compare("result", got, expected, mistakes={
            "keepdims": lambda got_array: got_array is not None and got_array.size == expected.numel()
            and got_array.shape != tuple(expected.shape),
            "leading_only": only_leading})


def check_add_mul(module, grader):
    rng = numpy.random.default_rng(1)
    for name, op in (("add", torch.add), ("mul", torch.mul)):
        for shape_a, shape_b in BROADCAST_CASES:
            for dtype in ("float64", "float32"):
                grader.case_is(f"{name}(a {shape_a}, b {shape_b}), {dtype}")
                a = numpy.asarray(rng.standard_normal(shape_a)).astype(dtype)
                b = numpy.asarray(rng.standard_normal(shape_b)).astype(dtype)
                ours = [tensor(a.copy(), requires_grad=True), tensor(b.copy(), requires_grad=True)]
                theirs = [torch.from_numpy(a.copy()).requires_grad_(), torch.from_numpy(b.copy()).requires_grad_()]
                expected = op(*theirs)
                weights = numpy.asarray(rng.standard_normal(tuple(expected.shape))).astype(dtype)
                (expected * torch.from_numpy(weights)).sum().backward()

                # the backward on its own first: a wrong shape is named, not an engine error
                node = getattr(module, name.capitalize())()
                node.forward(a.copy(), b.copy())
                grads = node.backward(weights.copy())
                grader.expect(isinstance(grads, tuple) and len(grads) == 2,
                              f"{name.capitalize()}.backward returned {type(grads).__name__}, "
                              "expected a tuple (grad of a, grad of b)")
                broadcast = tuple(expected.shape)
                for which, got, reference, shape in (("a", grads[0], theirs[0], shape_a),
                                                     ("b", grads[1], theirs[1], shape_b)):
                    grader.compare(f"{name.capitalize()}.backward: gradient of {which}", got, reference.grad,
                                   dtype=False, mistakes={"missing_sum_to": lambda got_array, shape=shape:
                                                          got_array is not None and got_array.shape == broadcast
                                                          and shape != broadcast},
                                   )

                # then through the graph: values, dtypes, gradients
                output = getattr(module, name)(*ours)
                grader.compare("output", output, expected)
                (output * tensor(weights)).sum().backward()
                grader.compare("gradient of a", ours[0].grad, theirs[0].grad)
                grader.compare("gradient of b", ours[1].grad, theirs[1].grad)


EXERCISES = [
    Exercise("2.1", "sum_to: undo a broadcast", MODULE, check_sum_to,
             # summing only the prepended dims leaves too many elements for the reshape
             error_hints=[(r"cannot reshape array of size", "leading_only")]),
    Exercise("2.2", "Add and Mul backward with broadcasting", MODULE, check_add_mul, uses=('2.1',)),
]
