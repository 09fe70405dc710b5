"""Second derivatives against torch: the gradient of a random weighting of the gradient.

For ``outputs = fn(*inputs)`` both libraries compute, in float64,

    grads  = autograd.grad(outputs, inputs, grad_outputs=v, create_graph=True)
    second = autograd.grad(sum(u_i * grads_i), inputs + v)

with random ``v`` (which require grad themselves) and ``u``: that is a
Hessian-vector product with respect to the inputs and the Jacobian with respect
to the output weighting, so every term of a double backward is checked.
"""
import numpy
import torch

import minigrad

RTOL, ATOL = 1e-9, 1e-10


def _as_list(value):
    return list(value) if isinstance(value, (tuple, list)) else [value]


def _run(library, fn, arrays, grad_mask, seed):
    rng = numpy.random.default_rng(seed)
    inputs = [library.tensor(array.copy(), requires_grad=needs) for array, needs in zip(arrays, grad_mask)]
    outputs = [out for out in _as_list(fn(library, *inputs)) if out.requires_grad]
    weights = [library.tensor(rng.standard_normal(tuple(out.shape)), requires_grad=True) for out in outputs]
    wrt = [x for x in inputs if x.requires_grad]
    grads = library.autograd.grad(outputs, wrt, weights, create_graph=True, allow_unused=True)
    probes = [rng.standard_normal(tuple(x.shape)) for x in wrt]
    total = sum((grad * library.tensor(probe)).sum() for grad, probe in zip(grads, probes)
                if grad is not None and grad.requires_grad)
    if not isinstance(total, (library.Tensor,)):
        second = [None] * (len(wrt) + len(weights))
    else:
        second = library.autograd.grad(total, wrt + weights, allow_unused=True)
    as_numpy = lambda t, like: numpy.zeros(tuple(like.shape)) if t is None else t.detach().numpy(force=True)  # noqa: E731
    return ([as_numpy(g, x) for g, x in zip(grads, wrt)],
            [as_numpy(s, x) for s, x in zip(second, wrt + weights)])


def assert_second_order_matches_torch(fn, shapes, low=-2.0, high=2.0, seed=0, grad_mask=None, arrays=None):
    """``fn(library, *tensors)`` in both libraries: first and second derivatives equal (float64)."""
    rng = numpy.random.default_rng(seed)
    if arrays is None:
        arrays = [rng.uniform(low, high, size=shape) for shape in shapes]
    grad_mask = grad_mask or [True] * len(arrays)
    ours = _run(minigrad, fn, arrays, grad_mask, seed + 1)
    theirs = _run(torch, fn, arrays, grad_mask, seed + 1)
    for kind, mine, reference in zip(("gradient", "second derivative"), ours, theirs):
        assert len(mine) == len(reference)
        for index, (a, b) in enumerate(zip(mine, reference)):
            numpy.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL, err_msg=f"{kind} {index}")
