"""``gradcheck``: compare autograd's gradients with central finite differences (float64).

The check projects everything on random directions, as Chainer's
``check_backward`` does: with a random output weighting ``w`` and a random input
direction ``d``, ``sum(grad * d)`` must equal
``(L(x + eps d) - L(x - eps d)) / (2 eps)`` where ``L = sum(w * f(x))``.
Two function evaluations per direction check every element at once.
"""
from __future__ import annotations

import numpy

from ..core.device import device_of, to_device
from ..core.engine import grad
from ..core.grad_mode import enable_grad, no_grad
from ..core.tensor import Tensor


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              directions=3, seed=0):
    """True when the gradients of ``func`` at ``inputs`` match finite differences."""
    inputs = tuple(inputs) if isinstance(inputs, (list, tuple)) else (inputs,)
    checked = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    for x in checked:
        if x.array.dtype != numpy.float64:
            raise ValueError(f"gradcheck needs float64 inputs for accuracy, got {x.dtype}")
    rng = numpy.random.default_rng(seed)
    outputs = _as_list(func(*inputs))
    # the random weights and directions live where the arrays do (NumPy or CuPy)
    weights = [to_device(rng.standard_normal(out.array.shape), device_of(out.array)) for out in outputs]

    def weighted_sum(values):
        return sum(float((out.array * w).sum()) for out, w in zip(values, weights))

    total = None
    for out, w in zip(outputs, weights):
        term = (out * Tensor._wrap(w.astype(out.array.dtype))).sum()
        total = term if total is None else total + term
    analytic = grad(total, checked, allow_unused=True)
    originals = [x.array.copy() for x in checked]
    for _ in range(directions):
        moves = [to_device(rng.standard_normal(x.array.shape), device_of(x.array)) for x in checked]
        with no_grad():
            for x, original, move in zip(checked, originals, moves):
                x.array[...] = original + eps * move
            plus = weighted_sum(_as_list(func(*inputs)))
            for x, original, move in zip(checked, originals, moves):
                x.array[...] = original - eps * move
            minus = weighted_sum(_as_list(func(*inputs)))
            for x, original in zip(checked, originals):
                x.array[...] = original          # exactly as given, not x + eps - 2 eps + eps
        numeric = (plus - minus) / (2 * eps)
        predicted = sum(float((g.array * move).sum()) for g, move in zip(analytic, moves) if g is not None)
        if abs(numeric - predicted) > atol + rtol * abs(numeric):
            if raise_exception:
                raise RuntimeError(f"Jacobian mismatch: finite differences give {numeric!r}, "
                                   f"autograd gives {predicted!r} along a random direction")
            return False
    return True


def _as_list(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, directions=3, seed=0):
    """True when the second derivatives of ``func`` match finite differences of its first ones.

    As torch's: ``gradcheck`` of ``(inputs, grad_outputs) -> autograd.grad(func(inputs), inputs,
    grad_outputs, create_graph=True)``, so the double backward is checked with respect to the
    inputs and to the output weighting.  ``grad_outputs`` default to random float64 tensors.
    """
    inputs = tuple(inputs) if isinstance(inputs, (list, tuple)) else (inputs,)
    if grad_outputs is None:
        rng = numpy.random.default_rng(seed + 1)
        outputs = [out for out in _as_list(func(*inputs)) if out.requires_grad]
        grad_outputs = [Tensor._wrap(to_device(rng.standard_normal(out.array.shape), device_of(out.array)),
                                     requires_grad=True) for out in outputs]
    grad_outputs = tuple(_as_list(grad_outputs))
    count = len(inputs)

    def first_derivatives(*arguments):
        with enable_grad():      # gradcheck evaluates under no_grad; this needs a graph
            xs, weights = arguments[:count], arguments[count:]
            outputs = [out for out in _as_list(func(*xs)) if out.requires_grad]
            wrt = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
            grads = grad(outputs, wrt, list(weights), create_graph=True, allow_unused=True)
            return tuple(g for g in grads if g is not None and g.requires_grad)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, directions=directions, seed=seed)
