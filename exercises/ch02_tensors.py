"""Chapter 2: tensors, broadcasting and sum_to (docs/course/02_tensors.md).

Write the bodies marked "Exercise"; check them with ``python -m minigrad.course check 2``.
"""
import numpy

from minigrad.core.function import Function


def sum_to(grad, shape):
    """Exercise 2.1: sum the array ``grad`` down to ``shape``, undoing a broadcast.

    ``shape`` broadcast to ``grad.shape`` by prepending dimensions and
    stretching size-1 ones, so: sum over the prepended leading dimensions, and
    over every dimension that is 1 in ``shape`` but not in ``grad`` (keeping it).
    (2, 3, 4) -> (3, 1): sum axis 0, then axis 2 with keepdims.  Returns an
    array of exactly ``shape``.
    """
    raise NotImplementedError("exercise 2.1: sum the array grad down to shape, undoing a broadcast")


class Add(Function):
    """Exercise 2.2 is the two backwards below: ``a + b`` with broadcasting."""

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, grad_output):
        """Exercise 2.2: the gradients of ``a`` and ``b``, each of its input's shape.

        ``grad_output`` has the broadcast shape; d(a + b)/da = 1, so a's gradient
        is ``grad_output`` summed back to a's shape (sum_to), and b's likewise.
        """
        raise NotImplementedError("exercise 2.2: the gradients of a and b, each of its input's shape")


class Mul(Function):
    """``a * b`` with broadcasting."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, grad_output):
        """Exercise 2.2: the gradients of ``a`` (b * grad_output) and ``b``, summed to their shapes."""
        raise NotImplementedError("exercise 2.2: the gradients of a (b * grad_output) and b, summed to their shapes")


def add(a, b):
    """``a + b`` for minigrad tensors, through your Add."""
    return Add.apply(a, b)


def mul(a, b):
    """``a * b`` for minigrad tensors, through your Mul."""
    return Mul.apply(a, b)
