"""Chapter 10's checks: gradients as values, and second derivatives from finite differences of gradients.

torch computes the exact Hessian (it differentiates its own backward); the
learner's finite differences must agree with it to about 1e-6.
"""
from __future__ import annotations

import numpy
import torch

from .checker import Exercise

MODULE = "ch10_higher_order"


def _functions():
    """(description, f, x, v): f written with methods both libraries have."""
    rng = numpy.random.default_rng(100)
    a = rng.standard_normal((4, 4))
    a_sym = a + a.T

    def quadratic(x):                    # finite differences are exact here
        lib_a = torch.from_numpy(a_sym) if isinstance(x, torch.Tensor) else _tensor(a_sym)
        return (x * (lib_a @ x)).sum() / 2

    def smooth(x):
        return (x.tanh() ** 2).sum() + (x[:-1] * x[1:]).sum() + x.exp().sum().log()

    def cubic(x):
        return (x ** 3).sum() + (x[0] * x[1] * x[2])
    return [("f(x) = x . A x / 2", quadratic, rng.standard_normal(4), rng.standard_normal(4)),
            ("f(x) = sum tanh(x)^2 + sum x_i x_(i+1) + logsumexp(x)", smooth, rng.standard_normal(5),
             rng.standard_normal(5)),
            ("f(x) = sum x^3 + x0 x1 x2", cubic, rng.standard_normal(3), rng.standard_normal(3))]


def _tensor(array):
    from ..ops.factories import tensor
    return tensor(array)


def _torch_gradient(f, x):
    leaf = torch.from_numpy(x.copy()).requires_grad_()
    f(leaf).backward()
    return leaf.grad.numpy()


def check_gradient(module, grader):
    for description, f, x, _ in _functions():
        grader.case_is(f"gradient of {description} at x = {numpy.round(x, 3).tolist()}")
        got = module.gradient(f, x.copy())
        grader.expect(isinstance(got, numpy.ndarray), f"gradient returned {type(got).__name__}, expected a "
                      "NumPy array (a value: .grad.numpy())")
        grader.compare("gradient", got, _torch_gradient(f, x), rtol=1e-10, atol=1e-12)


def check_hvp(module, grader):
    eps = 1e-5
    for description, f, x, v in _functions():
        grader.case_is(f"hessian_vector_product of {description}, eps={eps}")
        got = module.hessian_vector_product(f, x.copy(), v.copy(), eps=eps)
        _, expected = torch.autograd.functional.hvp(f, torch.from_numpy(x), torch.from_numpy(v))
        one_sided = (_torch_gradient(f, x + eps * v) - _torch_gradient(f, x)) / eps
        central = (_torch_gradient(f, x + eps * v) - _torch_gradient(f, x - eps * v)) / eps
        grader.compare("H @ v", got, expected, rtol=1e-6, atol=1e-7,
                       mistakes={"one_sided_difference": one_sided, "half_difference": central}, dtype=False)


def check_hessian(module, grader):
    for description, f, x, _ in _functions():
        grader.case_is(f"hessian of {description}")
        got = module.hessian(f, x.copy(), eps=1e-5)
        expected = torch.autograd.functional.hessian(f, torch.from_numpy(x))
        grader.compare("Hessian", got, expected, rtol=1e-6, atol=1e-7, dtype=False)


EXERCISES = [
    Exercise("10.1", "gradient: a gradient is a value", MODULE, check_gradient),
    Exercise("10.2", "hessian_vector_product by central differences", MODULE, check_hvp, uses=('10.1',)),
    Exercise("10.3", "hessian from Hessian-vector products", MODULE, check_hessian, uses=('10.2',)),
]
