"""The log-gamma function and its derivatives: ``lgamma``, ``digamma``, ``polygamma``, as torch's.

NumPy has none of them, so they are written here, in float64 (float16/float32 rounded once):

* ``lgamma``: Lanczos' approximation (g = 7, 9 terms; about 1e-15 relative, 1e-16 absolute near
  its zeros at 1 and 2), the reflection ``log(pi / |sin(pi x)|) - lgamma(1 - x)`` below 0.5, and
  inf at 0 and the negative integers (its poles), as torch's;
* ``digamma``: the recurrence ``psi(x) = psi(x + 1) - 1 / x`` up to 10, then the asymptotic series
  in Bernoulli numbers; the reflection ``psi(1 - x) - pi / tan(pi x)`` below 0; -inf at 0 and NaN at
  the negative integers, as torch's;
* ``polygamma(n, x)``: for n = 1 torch's own trigamma series (whose 1e-9 is torch's numbers), for
  n >= 2 ``(-1)^(n+1) n! zeta(n + 1, x)``, the Hurwitz zeta by ten terms of its sum and the
  Euler-Maclaurin tail (about 1e-15 relative for x > 0).

Each one's derivative is the next: lgamma' = digamma, digamma' = polygamma(1), polygamma(n)' =
polygamma(n + 1), so every order of derivative is there.
"""
from __future__ import annotations

import math
import operator

import numpy

from ..core.function import Function
from ..core.tensor import Tensor
from .special import float64_of
from .unary import _floating

__all__ = ["lgamma", "digamma", "polygamma"]

_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7)
_HALF_LOG_2PI = 0.91893853320467274178
# Bernoulli numbers B_2k / (2k) for digamma's series, and B_2k / (2k)! for the zeta tail
_DIGAMMA_SERIES = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12)
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)


def _lgamma_positive(x):
    """Lanczos' log-gamma for x >= 0.5 (float64)."""
    z = x - 1
    total = numpy.full_like(z, _LANCZOS[0])
    for k, coefficient in enumerate(_LANCZOS[1:], start=1):
        total += coefficient / (z + k)
    t = z + _LANCZOS_G + 0.5
    return _HALF_LOG_2PI + (z + 0.5) * numpy.log(t) - t + numpy.log(total)


def lgamma_array(x):
    """``log |Gamma(x)|`` of a NumPy array, in its dtype."""
    wide = float64_of(x)
    with numpy.errstate(all="ignore"):
        below = wide < 0.5
        reflected = numpy.log(numpy.pi / numpy.abs(numpy.sin(numpy.pi * wide))) - _lgamma_positive(1 - wide)
        result = numpy.where(below, reflected, _lgamma_positive(numpy.where(below, 1.0, wide)))
        poles = (wide <= 0) & (wide == numpy.floor(wide))
        result = numpy.where(poles | numpy.isinf(wide), numpy.inf, result)
        result = numpy.where(numpy.isnan(wide), numpy.nan, result)
        result = numpy.where((wide == 1) | (wide == 2), 0.0, result)      # (its zeros, exactly)
    return result.astype(x.dtype)


def _digamma_positive(x):
    """psi(x) for x > 0 (float64): the recurrence up to 10, then the asymptotic series."""
    shift = numpy.zeros_like(x)
    x = x.copy()
    for _ in range(10):
        small = x < 10
        if not small.any():
            break
        shift -= numpy.where(small, 1 / x, 0)
        x = numpy.where(small, x + 1, x)
    inverse_square = 1 / (x * x)
    series = numpy.zeros_like(x)
    for coefficient in reversed(_DIGAMMA_SERIES):
        series = (series + coefficient) * inverse_square
    return shift + numpy.log(x) - 0.5 / x - series


def digamma_array(x):
    """``psi(x)``, the derivative of lgamma, of a NumPy array, in its dtype."""
    wide = float64_of(x)
    with numpy.errstate(all="ignore"):
        negative = wide < 0
        reflected = _digamma_positive(numpy.where(negative, 1 - wide, 1.0)) - numpy.pi / numpy.tan(numpy.pi * wide)
        result = numpy.where(negative, reflected, _digamma_positive(numpy.where(negative | (wide == 0), 1.0, wide)))
        result = numpy.where(negative & (wide == numpy.floor(wide)), numpy.nan, result)
        result = numpy.where(wide == 0, -numpy.inf, result)
        result = numpy.where(wide == numpy.inf, numpy.inf, result)
        result = numpy.where(numpy.isnan(wide), numpy.nan, result)
    return result.astype(x.dtype)


def _trigamma(x):
    """polygamma(1, x) as torch's ``calc_trigamma``: the reflection below 0.5, six steps of the
    recurrence, then four terms of the asymptotic series (float64; about 1e-9 relative near 1)."""
    with numpy.errstate(all="ignore"):
        reflect = x < 0.5
        sine = numpy.sin(numpy.pi * x)
        result = numpy.where(reflect, -(numpy.pi * numpy.pi) / (sine * sine), 0.0)
        x = numpy.where(reflect, 1 - x, x)
        for _ in range(6):
            result = result + 1 / (x * x)
            x = x + 1
        square = 1 / (x * x)
        result = result + (1 + 1 / (2 * x) + square * (1 / 6 - square * (1 / 30 - square * (1 / 42)))) / x
        return numpy.where(reflect, -result, result)


def polygamma_array(n, x):
    """``polygamma(n, x)`` for n >= 1 of a NumPy array, in its dtype: torch's trigamma for n = 1, else
    ``(-1)^(n+1) n! zeta(n+1, x)``."""
    if n == 1:
        return _trigamma(float64_of(x)).astype(x.dtype)
    wide, s = float64_of(x), n + 1.0
    with numpy.errstate(all="ignore"):
        total = numpy.zeros_like(wide)
        for k in range(10):
            total += (wide + k) ** -s
        a = wide + 10
        total += a ** (1 - s) / (s - 1) + 0.5 * a ** -s
        rising, power = s, a ** (-s - 1)          # (s)_(2j-1) and a^(-s-2j+1), from j = 1
        factorial = 2.0
        for j, bernoulli in enumerate(_BERNOULLI, start=1):
            total += bernoulli / factorial * rising * power
            rising *= (s + 2 * j - 1) * (s + 2 * j)
            power /= a * a
            factorial *= (2 * j + 1) * (2 * j + 2)
        result = (-1) ** (n + 1) * math.factorial(n) * total
        result = numpy.where(wide == 0, numpy.inf if n % 2 else -numpy.inf, result)
    return result.astype(x.dtype)


class Lgamma(Function):
    elementwise = True
    differentiable_backward = True

    def forward(self, x):
        self.save_for_backward(x)
        return lgamma_array(x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output * (Digamma.apply(x) if isinstance(x, Tensor) else digamma_array(x))


class Digamma(Function):
    elementwise = True
    differentiable_backward = True

    def forward(self, x):
        self.save_for_backward(x)
        return digamma_array(x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output * (Polygamma.apply(x, n=1) if isinstance(x, Tensor) else polygamma_array(1, x))


class Polygamma(Function):
    elementwise = True
    differentiable_backward = True

    def forward(self, x, n):
        self.n = n
        self.save_for_backward(x)
        return polygamma_array(n, x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        n = self.n + 1
        return grad_output * (Polygamma.apply(x, n=n) if isinstance(x, Tensor) else polygamma_array(n, x))


def lgamma(input):
    """``log |Gamma(input)|``: the log of the factorial's continuation (``lgamma(n + 1) = log n!``)."""
    return Lgamma.apply(_floating(input, "lgamma"))


def digamma(input):
    """``d/dx lgamma(x)``."""
    return Digamma.apply(_floating(input, "digamma"))


def polygamma(n, input):
    """The n-th derivative of digamma (``n >= 0``; 0 is digamma)."""
    n = operator.index(n)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    input = _floating(input, "polygamma")
    return Digamma.apply(input) if n == 0 else Polygamma.apply(input, n=n)


def polygamma_method(input, n):
    """``Tensor.polygamma(n)``: the tensor comes first, as torch's method takes it."""
    return polygamma(n, input)

