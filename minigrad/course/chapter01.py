"""Chapter 1's checks: a scalar ``Value`` with +, *, tanh and backward, against torch scalars."""
from __future__ import annotations

import math

import torch

from .checker import Exercise

MODULE = "ch01_value"


def _scalars(*numbers):
    return [torch.tensor(float(number), dtype=torch.float64, requires_grad=True) for number in numbers]


def _push(out):
    """Run ``_backward`` of the nodes of a small expression in a valid order (exercise 1.3 not needed)."""
    order, seen = [], set()

    def visit(node):
        if id(node) not in seen:
            seen.add(id(node))
            for child in node._prev:
                visit(child)
            order.append(node)
    visit(out)
    out.grad = 1.0
    for node in reversed(order):
        node._backward()


def check_add_mul(module, grader):
    Value = module.Value
    cases = [
        ("a * b + a", lambda a, b: a * b + a, (2.0, -3.0)),
        ("x * x (one value used twice)", lambda a, b: a * a, (1.5, 0.0)),
        ("(a + 1) * (2 * b) with numbers on either side", lambda a, b: (a + 1) * (2 * b), (0.5, 4.0)),
        ("a - b * a", lambda a, b: a - b * a, (-1.25, 3.0)),
    ]
    for description, expression, numbers in cases:
        grader.case_is(f"{description}, a = {numbers[0]}, b = {numbers[1]}")
        a, b = Value(numbers[0]), Value(numbers[1])
        out = expression(a, b)
        grader.expect(isinstance(out, Value), f"the result is a {type(out).__name__}, not a Value")
        ta, tb = _scalars(*numbers)
        expected = expression(ta, tb)
        grader.compare("value", out.data, expected)
        _push(out)
        expected.backward()
        grad_a = ta.grad if ta.grad is not None else torch.zeros((), dtype=torch.float64)
        grad_b = tb.grad if tb.grad is not None else torch.zeros((), dtype=torch.float64)
        # assigning instead of adding keeps only the last contribution: x * x gives x, not 2x;
        # a * b + a gives b (the product's backward runs last and overwrites the 1 from +)
        overwritten = {"x * x (one value used twice)": numbers[0], "a * b + a": numbers[1]}
        alternative = overwritten.get(description)
        grader.compare("gradient of a", a.grad, grad_a,
                       mistakes={"accumulate": alternative} if alternative is not None else None)
        if "twice" not in description:
            grader.compare("gradient of b", b.grad, grad_b)


def check_tanh(module, grader):
    Value = module.Value
    for number in (0.0, 0.7, -2.5, 20.0, -1000.0):
        grader.case_is(f"tanh(x), x = {number}")
        x = Value(number)
        out = x.tanh()
        tx, = _scalars(number)
        expected = tx.tanh()
        grader.compare("value", out.data, expected)
        _push(out)
        expected.backward()
        grader.compare("gradient of x", x.grad, tx.grad,
                       mistakes={"tanh_grad_of_input": 1 - number ** 2})


def check_backward(module, grader):
    Value = module.Value
    grader.case_is("a neuron: tanh(x1 * w1 + x2 * w2 + b)")
    values = (2.0, 0.0, -3.0, 1.0, 6.8813735870195432)
    x1, x2, w1, w2, b = (Value(v) for v in values)
    out = (x1 * w1 + x2 * w2 + b).tanh()
    out.backward()
    tx1, tx2, tw1, tw2, tb = _scalars(*values)
    (tx1 * tw1 + tx2 * tw2 + tb).tanh().backward()
    grader.compare("gradient of out itself", out.grad, 1.0)
    for name, mine, theirs in (("x1", x1, tx1), ("x2", x2, tx2), ("w1", w1, tw1), ("w2", w2, tw2), ("b", b, tb)):
        grader.compare(f"gradient of {name}", mine.grad, theirs.grad)

    grader.case_is("a shared node: y = a * b; out = y * y + y.tanh() + a")
    a, b = Value(0.8), Value(-1.3)
    y = a * b
    out = y * y + y.tanh() + a
    out.backward()
    ta, tb = _scalars(0.8, -1.3)
    ty = ta * tb
    (ty * ty + ty.tanh() + ta).backward()
    ran_early = {"topological_order": lambda got: True}
    grader.compare("gradient of a", a.grad, ta.grad, mistakes=ran_early)
    grader.compare("gradient of b", b.grad, tb.grad, mistakes=ran_early)

    depth = 3000
    grader.case_is(f"a chain of {depth} nodes: x * 1.0001 * 1.0001 * ...")
    x = Value(0.5)
    out = x
    for _ in range(depth):
        out = out * 1.0001
    out.backward()
    grader.compare("gradient of x", x.grad, math.pow(1.0001, depth), rtol=1e-9)


EXERCISES = [
    Exercise("1.1", "Value: + and * with their backward", MODULE, check_add_mul),
    Exercise("1.2", "Value.tanh", MODULE, check_tanh),
    Exercise("1.3", "Value.backward: reverse topological order", MODULE, check_backward, uses=('1.1', '1.2')),
]
