"""Chapter 10: higher-order gradients (docs/course/10_higher_order.md).

With ``create_graph=True`` minigrad differentiates a gradient again exactly;
here you build the oracle that checks it: second derivatives from finite
differences of gradients, each gradient a plain value.  ``f``
below maps a minigrad tensor (n,) to a scalar tensor; ``x`` and ``v`` are
float64 NumPy arrays (n,).  Write the bodies marked "Exercise"; check them
with ``python -m minigrad.course check 10``.
"""
import numpy

import minigrad


def gradient(f, x):
    """Exercise 10.1: the gradient of f at x, as a NumPy array (n,).

    Make a fresh leaf from x that requires grad, run f, backward, and return
    the leaf's ``.grad`` as an array.
    """
    raise NotImplementedError("exercise 10.1: the gradient of f at x, as a NumPy array (n,)")


def hessian_vector_product(f, x, v, eps=1e-5):
    """Exercise 10.2: H(x) @ v, the derivative of the gradient along v, by a central difference.

    (grad f(x + eps v) - grad f(x - eps v)) / (2 eps): exact for a quadratic f,
    and accurate to O(eps^2) otherwise.  Returns an array (n,).
    """
    raise NotImplementedError("exercise 10.2: H(x) @ v, the derivative of the gradient along v, by a central difference")


def hessian(f, x, eps=1e-5):
    """Exercise 10.3: the Hessian (n, n) of f at x: column j is H @ e_j (e_j: the j-th unit vector).

    Finite differences make it slightly asymmetric; return (H + H.T) / 2.
    """
    raise NotImplementedError("exercise 10.3: the Hessian (n, n) of f at x: column j is H @ e_j (e_j: the j-th unit vector)")
