"""``gradcheck``: compare autograd's gradients with central finite differences (float64).

The check projects everything on random directions, as Chainer's
``check_backward`` does: with a random output weighting ``w`` and a random input
direction ``d``, ``sum(grad * d)`` must equal
``(L(x + eps d) - L(x - eps d)) / (2 eps)`` where ``L = sum(w * f(x))``.
Two function evaluations per direction check every element at once.

When a direction disagrees, the check is repeated for each output and each
input alone, so that the error names the pair whose gradient is wrong (as
torch's does: "Jacobian mismatch for output 0 with respect to input 1") and,
for inputs of up to ``ELEMENTWISE_LIMIT`` elements, the element whose
gradient differs most from its finite difference.
"""
from __future__ import annotations

import numpy

from ..core.device import device_of, to_device
from ..core.engine import grad
from ..core.grad_mode import enable_grad, no_grad
from ..core.tensor import Tensor


ELEMENTWISE_LIMIT = 1024     # inputs up to this size get a per-element report on failure


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              directions=3, seed=0):
    """True when the gradients of ``func`` at ``inputs`` match finite differences.

    On a mismatch, raises ``RuntimeError`` naming the output and the input whose
    gradient is wrong and the largest difference (or returns False when
    ``raise_exception=False``).
    """
    inputs = tuple(inputs) if isinstance(inputs, (list, tuple)) else (inputs,)
    checked = [index for index, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of them have requires_grad=True.")
    for index in checked:
        if inputs[index].array.dtype != numpy.float64:
            raise ValueError(f"gradcheck needs float64 inputs for accuracy, got {inputs[index].dtype} "
                             f"for input {index}")
    check = _DirectionalCheck(func, inputs, checked, eps, seed)
    rng = numpy.random.default_rng(seed + 1)
    for _ in range(directions):
        moves = {index: check.random_like(inputs[index], rng) for index in checked}
        numeric, analytic = check.projected(moves)
        if abs(numeric - analytic) > atol + rtol * abs(numeric):
            if raise_exception:
                raise RuntimeError(check.explain(rng, atol, rtol))
            return False
    return True


class _DirectionalCheck:
    """Finite differences and autograd's gradients of ``L = sum_o w_o * f(x)_o``, projected on directions."""

    def __init__(self, func, inputs, checked, eps, seed):
        self.func, self.inputs, self.checked, self.eps = func, inputs, checked, eps
        rng = numpy.random.default_rng(seed)
        outputs = _as_list(func(*inputs))
        # the random weights and directions live where the arrays do (NumPy or CuPy)
        self.weights = [self.random_like(out, rng) for out in outputs]
        self.analytic = []                      # [output][checked input]: autograd's gradient arrays
        for out, weight in zip(outputs, self.weights):
            term = (out * Tensor._wrap(weight.astype(out.array.dtype))).sum()
            if not term.requires_grad:          # an output that no checked input reaches
                self.analytic.append([None] * len(checked))
                continue
            grads = grad(term, [inputs[index] for index in checked], allow_unused=True, retain_graph=True)
            self.analytic.append([None if g is None else g.array for g in grads])

    @staticmethod
    def random_like(tensor, rng):
        return to_device(rng.standard_normal(tensor.array.shape), device_of(tensor.array))

    def weighted_outputs(self, which):
        """``sum_o w_o * f(x)_o`` over the outputs in ``which``, as a float."""
        outputs = _as_list(self.func(*self.inputs))
        return sum(float((outputs[o].array * self.weights[o]).sum()) for o in which)

    def projected(self, moves, which=None):
        """(finite difference, autograd) of the outputs ``which`` (all) along ``moves`` {input: direction}."""
        which = range(len(self.weights)) if which is None else which
        originals = {index: self.inputs[index].array.copy() for index in moves}
        with no_grad():
            try:
                for index, move in moves.items():
                    self.inputs[index].array[...] = originals[index] + self.eps * move
                plus = self.weighted_outputs(which)
                for index, move in moves.items():
                    self.inputs[index].array[...] = originals[index] - self.eps * move
                minus = self.weighted_outputs(which)
            finally:
                for index, original in originals.items():
                    self.inputs[index].array[...] = original   # exactly as given, not x + eps - eps
        analytic = 0.0
        for o in which:
            for position, index in enumerate(self.checked):
                gradient = self.analytic[o][position]
                if index in moves and gradient is not None:
                    analytic += float((gradient * moves[index]).sum())
        return (plus - minus) / (2 * self.eps), analytic

    def explain(self, rng, atol, rtol):
        """The message for a mismatch: the first (output, input) pair that disagrees, and by how much."""
        for o in range(len(self.weights)):
            for position, index in enumerate(self.checked):
                move = {index: self.random_like(self.inputs[index], rng)}
                numeric, analytic = self.projected(move, which=[o])
                if abs(numeric - analytic) > atol + rtol * abs(numeric):
                    return (f"Jacobian mismatch for output {o} with respect to input {index},\n"
                            f"numerical: {numeric!r}\nanalytical: {analytic!r}\n"
                            f"(the weighted output projected on a random direction of the input)"
                            + self.largest_difference(o, position, index))
        return ("Jacobian mismatch: finite differences and autograd disagree along a random direction "
                "of all inputs together, but no single output and input disagree alone")

    def largest_difference(self, o, position, index):
        """Per element of a small input: where autograd's gradient is farthest from the finite difference."""
        x = self.inputs[index]
        if x.array.size > ELEMENTWISE_LIMIT:
            return ""
        gradient = self.analytic[o][position]
        xp_gradient = numpy.zeros(x.array.shape) if gradient is None else _to_numpy(gradient)
        numeric = numpy.zeros(x.array.shape)
        for element in numpy.ndindex(*x.array.shape):
            unit = numpy.zeros(x.array.shape)
            unit[element] = 1.0
            numeric[element] = self.projected({index: to_device(unit, device_of(x.array))}, which=[o])[0]
        difference = numpy.abs(numeric - xp_gradient)
        worst = numpy.unravel_index(int(difference.argmax()), difference.shape) if difference.size else ()
        return (f"\nThe max per-element difference is: {float(difference.max()) if difference.size else 0.0!r}"
                f", at input {index}[{', '.join(str(int(i)) for i in worst)}] "
                f"(numerical {float(numeric[worst])!r}, analytical {float(xp_gradient[worst])!r})")


def _to_numpy(array):
    return array.get() if hasattr(array, "get") else numpy.asarray(array)


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
