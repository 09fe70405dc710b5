"""Chapter 1: a scalar autograd value (docs/course/01_value.md).

Write the bodies of the methods marked "Exercise"; check them with
``python -m minigrad.course check 1``.  Everything else is given.
"""
import math


class Value:
    """One number, its gradient, and how it was made.

    ``data``: the number; ``grad``: d(output)/d(this), filled by ``backward``;
    ``_prev``: the Values it was computed from; ``_backward``: a function that
    pushes ``self.grad`` into the ``grad`` of each of ``_prev``.
    """

    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)
        self._op = _op

    def __repr__(self):
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"

    def __radd__(self, other):              # 2 + value
        return self + other

    def __rmul__(self, other):              # 2 * value
        return self * other

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def __add__(self, other):
        """Exercise 1.1: ``self + other`` (a Value or a number) and its ``_backward``.

        d(a + b)/da = 1 and d(a + b)/db = 1: each input's grad gets ``out.grad``
        added (+=, since an input may be used more than once).
        """
        raise NotImplementedError("exercise 1.1: self + other (a Value or a number) and its _backward")

    def __mul__(self, other):
        """Exercise 1.1: ``self * other`` (a Value or a number) and its ``_backward``.

        d(a * b)/da = b and d(a * b)/db = a.
        """
        raise NotImplementedError("exercise 1.1: self * other (a Value or a number) and its _backward")

    def tanh(self):
        """Exercise 1.2: ``tanh(self)`` and its ``_backward``.

        d tanh(x)/dx = 1 - tanh(x)**2.  Must work for any x (x = 1000 too).
        """
        raise NotImplementedError("exercise 1.2: tanh(self) and its _backward")

    def backward(self):
        """Exercise 1.3: fill ``grad`` of every Value this one was computed from.

        Set ``self.grad = 1`` (d self / d self), then call each node's
        ``_backward`` after every node that uses it: reverse topological order.
        Build the order with a loop (a graph can be thousands of nodes deep).
        """
        raise NotImplementedError("exercise 1.3: fill grad of every Value this one was computed from")
