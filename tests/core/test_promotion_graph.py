"""An op over operands of several dtypes promotes them inside its kernel, as torch does.

torch's ``x32 * y64`` has no node that casts ``x32``: its MulBackward0 links to ``x32``'s own node,
and the engine casts the gradient back to float32 (``validate_outputs``).  minigrad's cast was a
node of its own (``ToCopyBackward0``), which showed in ``next_functions`` and changed the order the
engine runs nodes in (fuzz seed 7711038: the error of a missing derivative named another op).
Each case walks the whole graph in both libraries and compares the nodes' names, edge by edge,
then the leaves' gradients under a random output weighting.
"""
import random

import numpy
import pytest
import torch

import minigrad


def _graph(root):
    """The names of the nodes reachable from ``root``, depth first, edge by edge (None: no edge)."""
    names, stack, seen = [], [root], set()
    while stack:
        node = stack.pop()
        if node is None:
            names.append(None)
            continue
        names.append(node.name())
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(reversed([edge for edge, _ in node.next_functions]))
    return names


# name: (expression on a library and its leaves, the leaves' dtypes)
CASES = {
    "mul": (lambda L, a, b: a * b, ("float32", "float64")),
    "add of a half": (lambda L, a, b: a + b, ("float16", "float32")),
    "fmin": (lambda L, a, b: L.fmin(a.exp(), b), ("float32", "float64")),
    "where": (lambda L, a, b: L.where(a > 0, a, b), ("float32", "float64")),
    "addcmul": (lambda L, a, b, c: L.addcmul(a, b, c), ("float32", "float64", "float16")),
    "cat": (lambda L, a, b: L.cat([a, b]), ("float32", "float64")),
    "stack": (lambda L, a, b: L.stack([a.sin(), b]), ("float16", "float64")),
    "hstack": (lambda L, a, b: L.hstack([a, b]), ("float32", "float64")),
    "outer": (lambda L, a, b: L.outer(a[0], b[1]), ("float32", "float64")),
    "mean with a dtype": (lambda L, a: a.mean(dtype=L.float64), ("float32",)),
    "prod with a dtype": (lambda L, a: a.prod(1, dtype=L.float64), ("float32",)),
    "norm with a dtype": (lambda L, a: L.norm(a, dtype=L.float64), ("float32",)),
    "masked_fill by a tensor": (lambda L, a, b: a.masked_fill(a > 0, b.sum()), ("float32", "float64")),
    "masked_fill by a constant": (lambda L, a: a.masked_fill(a > 0, L.tensor(2.0, dtype=L.float64)), ("float32",)),
    "setitem": (lambda L, a, b: _written(a.clone(), b[0]), ("float32", "float64")),
    "in place": (lambda L, a, b: a.clone().mul_(b), ("float32", "float64")),
    "a cast of one's own stays a node": (lambda L, a, b: a.double() * b, ("float32", "float64")),
}


def _written(target, value):
    target[0] = value
    return target


def _leaves(lib, dtypes, seed):
    generator = numpy.random.default_rng(seed)
    return [lib.tensor(generator.standard_normal((2, 3)), dtype=getattr(lib, dtype), requires_grad=True)
            for dtype in dtypes]


@pytest.mark.parametrize("case", CASES)
def test_the_graph_of_an_op_with_promoted_operands_is_torchs(case):
    expression, dtypes = CASES[case]
    results = {}
    for lib in (torch, minigrad):
        leaves = _leaves(lib, dtypes, seed=5)
        output = expression(lib, *leaves)
        weights = lib.tensor(numpy.random.default_rng(6).standard_normal(tuple(output.shape)), dtype=output.dtype)
        graph = _graph(output.grad_fn)
        (output * weights).sum().backward()
        results[lib] = graph, output.dtype, [leaf.grad for leaf in leaves]
    (torch_graph, torch_dtype, torch_grads), (graph, dtype, grads) = results[torch], results[minigrad]
    assert graph == torch_graph
    assert str(dtype).split(".")[-1] == str(torch_dtype).split(".")[-1]
    for grad, expected in zip(grads, torch_grads):
        assert str(grad.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]
        tolerance = {torch.float16: 1e-2, torch.float32: 1e-5, torch.float64: 1e-12}[expected.dtype]
        numpy.testing.assert_allclose(grad.numpy(), expected.numpy(), rtol=tolerance, atol=tolerance)


def test_a_missing_derivative_behind_a_promoted_operand_is_reached_in_torchs_order():
    """fuzz seed 7711038: ``fmin(v, w)`` with ``v //= v`` (float32) and ``w = x64 // 1``: torch's engine
    meets floor_divide_'s missing derivative first; a cast node before ``v``'s made it floor_divide's."""
    messages = []
    for lib in (torch, minigrad):
        x = lib.tensor([2.5], requires_grad=True)
        y = lib.tensor([[0.875]], dtype=lib.float64, requires_grad=True)
        v = x * 3
        v //= v
        w = lib.floor_divide(y, 1)
        with pytest.raises(RuntimeError) as error:
            lib.fmin(v, w).sum().backward()
        messages.append(str(error.value))
    assert messages[1] == messages[0] == "derivative for aten::floor_divide_ is not implemented"


def test_second_derivatives_through_a_promoted_leaf_are_torchs():
    """A saved operand promoted from a leaf stands for the leaf in a recorded backward, cast."""
    grads = []
    for lib in (torch, minigrad):
        a, b = _leaves(lib, ("float32", "float64"), seed=7)
        (first,) = lib.autograd.grad((a * b * b).sum(), (b,), create_graph=True)
        (second,) = lib.autograd.grad((first * first).sum(), (a,))
        grads.append(second.numpy())
    numpy.testing.assert_allclose(grads[1], grads[0], rtol=1e-6)
    assert grads[1].dtype == grads[0].dtype == numpy.float32


@pytest.mark.parametrize("dtypes", [("float64", "float32"), ("int64", "float32"), ("float32", "int64"),
                                    ("float16", "float32"), ("float32", "float16"), ("float32", "float64")])
def test_norm_refuses_a_narrowing_or_integer_dtype_as_torch(dtypes):
    outcomes = []
    for lib in (torch, minigrad):
        source, target = (getattr(lib, name) for name in dtypes)
        try:
            outcomes.append(str(lib.norm(lib.ones(3, dtype=source), dtype=target).dtype).split(".")[-1])
        except RuntimeError as error:
            outcomes.append(str(error))
    assert outcomes[1] == outcomes[0]


EINSUM_EQUATIONS = ["ij,jk,kl->il", "ij,jk,kl->ik", "i,i,i->", "ij,j,i->", "ab,bc,ca->", "ii,i,j->ij",
                    "i,j,k->ijk", "...i,...i,i->...", "ij,ij,ij->i", "bij,bjk,bk->bi", "i,i->", "ij,jk",
                    "i,->i", "i,j->ij", "bij,bjk->bik", "...i,...i->..."]


def _einsum_outcome(lib, equation, shapes, dtypes):
    operands = [lib.ones(shape, dtype=getattr(lib, dtype)) for shape, dtype in zip(shapes, dtypes)]
    try:
        result = lib.einsum(equation, *operands)
    except RuntimeError as error:
        return str(error)
    return str(result.dtype).split(".")[-1], tuple(result.shape)


@pytest.mark.parametrize("equation", EINSUM_EQUATIONS)
def test_einsum_over_operands_of_several_dtypes_is_torchs(equation):
    """torch contracts left to right: a pair with a letter summed away goes through bmm, which refuses
    two dtypes (unless it is empty: then the right one's); any other pair promotes.  Random sizes
    (0 to 3, some 1 to broadcast) and dtypes; dtypes, shapes and errors compared."""
    generator = random.Random(equation)
    inputs = equation.split("->")[0].split(",")
    for _ in range(40):
        size = {letter: generator.choice([0, 1, 2, 3]) for letter in "abcdijklx"}
        shapes = []
        for subscripts in inputs:
            spelled = subscripts.replace("...", "x" if generator.random() < 0.5 else "")
            shapes.append(tuple(size[letter] if generator.random() < 0.8 else 1 for letter in spelled))
        dtypes = [generator.choice(["float16", "float32", "float64", "int64"]) for _ in inputs]
        expected = _einsum_outcome(torch, equation, shapes, dtypes)
        assert _einsum_outcome(minigrad, equation, shapes, dtypes) == expected, (shapes, dtypes)


@pytest.mark.parametrize("equation, shapes", [
    ("ii->i", [(2, 3)]),
    ("ii,i->i", [(1, 3), (3,)]),
    ("...i,...i->...", [(2, 3), (4, 3)]),
    ("i...,i...->i", [(3, 2), (3, 4)]),
    ("ij,jk->ik", [(2, 3), (4, 5)]),
])
def test_einsum_size_errors_are_torchs(equation, shapes):
    messages = []
    for lib in (torch, minigrad):
        with pytest.raises(RuntimeError) as error:
            lib.einsum(equation, *[lib.ones(shape) for shape in shapes])
        messages.append(str(error.value))
    assert messages[1] == messages[0]
