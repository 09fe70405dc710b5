"""torch.special's functions of the normal distribution and of entropy: ``ndtr``, ``log_ndtr``,
``erfcx``, ``entr``, ``xlog1py``, each an op with torch's formula and backward.

* ``ndtr(x)``, the standard normal CDF: ``0.5 + 0.5 erf(x / sqrt 2)`` near 0, ``0.5 erfc(|x| / sqrt 2)``
  (or 1 minus it) beyond, exact in the left tail where torch's composite ``(1 + erf(x / sqrt 2)) *
  0.5`` cancels (2% off at -8, 0 from -8.3 down: a deliberate difference; its ``grad_fn`` is
  torch's last node, ``MulBackward1``); d/dx = exp(-x^2 / 2) / sqrt(2 pi).
* ``erfcx(x) = exp(x^2) erfc(x)``: Cody's rational function past 4 (no exp, no underflow), the
  product below (torch's is Steven G. Johnson's; the two agree to a few ulps).
* ``log_ndtr(x)``: ``log1p(-erfc(x / sqrt 2) / 2)`` from -1 up, ``log(erfcx(-t) / 2) - t^2`` (t = x /
  sqrt 2) below, as torch's ``calc_log_ndtr``: finite for any x (-804.6 at -40, where ndtr is 0).
* ``entr(x) = -x log x`` (0 at 0, -inf below); ``xlog1py(x, y) = x log1p(y)`` (0 where x is 0).

float16 and float32 run in float64 and are rounded once.
"""
from __future__ import annotations

import math

import numpy

from ..core.device import array_module
from ..core.function import Function
from . import special
from .arithmetic import as_operands
from .broadcast import sum_to
from .unary import _floating

__all__ = []      # minigrad.special's (minigrad/special.py)

_SQRT_HALF = 0.70710678118654752440
_INVERSE_SQRT_2PI = 0.39894228040143267794


def _ndtr_array(x):
    xp, wide = array_module(x), special.float64_of(x)
    t = wide * _SQRT_HALF
    z = xp.abs(t)
    with numpy.errstate(invalid="ignore"):
        tail = 0.5 * special.erfc(z)
        return xp.where(z < _SQRT_HALF, 0.5 + 0.5 * special.erf(t), xp.where(t > 0, 1 - tail, tail)).astype(x.dtype)


def erfcx_array(x):
    """``exp(x^2) erfc(x)`` of a NumPy array, in its dtype."""
    xp, wide = array_module(x), special.float64_of(x)
    with numpy.errstate(over="ignore", invalid="ignore", under="ignore"):
        y = xp.maximum(wide, 4.0)
        inverse_square = 1 / (y * y)
        tail = (special._ONE_OVER_SQRT_PI - inverse_square * special._rational(
            special._ERFC_P, special._ERFC_Q, inverse_square, 4)) / y
        product = special.erfc(wide) * xp.exp(wide * wide)
        result = xp.where(wide > 4.0, tail, product)
        result = xp.where(wide < -26.7, xp.inf, result)          # (exp(x^2) past the range: erfcx is 2 exp(x^2))
    return result.astype(x.dtype)


def _log_ndtr_array(x):
    xp, wide = array_module(x), special.float64_of(x)
    t = wide * _SQRT_HALF
    with numpy.errstate(divide="ignore", invalid="ignore", over="ignore"):
        below = xp.log(erfcx_array(-t) / 2) - t * t
        above = xp.log1p(-special.erfc(t) / 2)
        return xp.where(wide < -1.0, below, above).astype(x.dtype)


class Ndtr(Function):
    elementwise = True
    differentiable_backward = True

    def name(self):
        return "MulBackward1"       # (torch's ndtr is a composite, (1 + erf(x / sqrt 2)) * 0.5: its last node)

    def forward(self, x):
        self.save_for_backward(x)
        return _ndtr_array(x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output * (array_module(x).exp(-(x * x) * 0.5) * _INVERSE_SQRT_2PI)


class LogNdtr(Function):
    elementwise = True
    differentiable_backward = True

    def name(self):
        return "SpecialLogNdtrBackward0"

    def forward(self, x):
        result = _log_ndtr_array(x)
        self.save_for_backward(x, result)
        return result

    def backward(self, grad_output):
        x, result = self.saved_tensors       # torch's: grad / sqrt(2 pi) * exp(-(x^2 / 2) - log_ndtr(x))
        return grad_output * _INVERSE_SQRT_2PI * array_module(x).exp(-(x * x) * 0.5 - result)


class Erfcx(Function):
    elementwise = True
    differentiable_backward = True

    def name(self):
        return "SpecialErfcxBackward0"

    def forward(self, x):
        result = erfcx_array(x)
        self.save_for_backward(x, result)
        return result

    def backward(self, grad_output):
        x, result = self.saved_tensors       # d/dx erfcx = 2 x erfcx(x) - 2 / sqrt(pi)
        return grad_output * (2 * x * result - 2 / math.sqrt(math.pi))


class Entr(Function):
    elementwise = True
    differentiable_backward = True

    def name(self):
        return "SpecialEntrBackward0"

    def forward(self, x):
        xp = array_module(x)
        self.save_for_backward(x)
        with numpy.errstate(divide="ignore", invalid="ignore"):
            result = xp.where(x > 0, -x * xp.log(xp.where(x > 0, x, 1)), xp.where(x == 0, 0, -xp.inf))
        return xp.where(xp.isnan(x), x, result).astype(x.dtype)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output * -(1 + array_module(x).log(x))


def _xlog1py(xp, x, y):
    """``x * log1p(y)``, 0 where x is 0 (and y not NaN)."""
    with numpy.errstate(divide="ignore", invalid="ignore"):
        product = x * xp.log1p(y)
    return xp.where((x == 0) & ~xp.isnan(y), 0, product)


class Xlog1py(Function):
    elementwise = True
    differentiable_backward = True

    def name(self):
        return "SpecialXlog1pyBackward0"

    def forward(self, x, y):
        self.shapes = x.shape, y.shape
        self.save_for_backward(x, y)
        return _xlog1py(array_module(x), x, y)

    def backward(self, grad_output):
        x, y = self.saved_tensors
        xp = array_module(x)
        needs_x, needs_y = self.needs_input_grad
        grad_x = grad_y = None
        if needs_x:    # torch's: xlog1py(grad, other), 0 where x = 0 and other <= -1
            grad_x = xp.where((x == 0) & (y <= -1), 0, _xlog1py(xp, grad_output, y))
            grad_x = sum_to(grad_x, self.shapes[0])
        if needs_y:
            grad_y = sum_to(grad_output * x / (y + 1), self.shapes[1])
        return grad_x, grad_y


def ndtr(input):
    return Ndtr.apply(_floating(input, "special_ndtr"))


def log_ndtr(input):
    return LogNdtr.apply(_floating(input, "special_log_ndtr"))


def erfcx(input):
    return Erfcx.apply(_floating(input, "special_erfcx"))


def entr(input):
    return Entr.apply(_floating(input, "special_entr"))


def xlog1py(input, other):
    return Xlog1py.apply(*as_operands(input, other, true_division=True))
