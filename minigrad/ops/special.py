"""Special functions on raw arrays: ``erf`` and ``erfc`` to float64 accuracy (torch's ``erf`` and GELU
use it), torch's float32 vector formula for erf (its float16 ``erf``), and ``erfinv`` as torch's
``calc_erfinv`` computes it.

NumPy has no ``erf``; CuPy has one (``cupyx.scipy.special.erf``).  On NumPy this is
W. J. Cody's rational Chebyshev approximation, which matches torch to a few ulps, and past
|x| = 2, where erf is ``1 - erfc`` rounded once, bit for bit (99.9%: torch's is correctly
rounded, and so is ``1 - erfc`` once erfc is small; Cody's ``(0.5 - erfc) + 0.5`` rounds twice,
and GELU's ``1 + erf`` cancels that ulp into 1.8e-4 of its value at x = -7.2).
"""
from __future__ import annotations

import numpy

from ..core.device import array_module
from ..core.layout import dense_strides, relayout
from ..core.tensor import Tensor
from .fused import fmadd

# W. J. Cody, "Rational Chebyshev approximations for the error function",
# Math. Comp. 23 (1969) 631-638, as in his netlib SPECFUN routine CALERF:
# erf on |x| <= 0.46875, erfc on (0.46875, 4] and on (4, inf); float64 accuracy.
_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
          2.84423683343917062e03)
_ERFC_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
           2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
           2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_ERFC_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
           1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
           3.43936767414372164e03, 1.23033935480374942e03)
_ERFC_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
           1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_ERFC_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
           6.05183413124413191e-2, 2.33520497626869185e-3)
_ONE_OVER_SQRT_PI = 5.6418958354775628695e-1
_ERFC_ZERO = 27.3            # erfc(x) rounds to 0, below the smallest subnormal double, from here on


def _rational(coefficients_num, coefficients_den, z, degree):
    """Cody's nested evaluation of ``num(z) / den(z)`` (leading coefficient of ``num`` last)."""
    numerator, denominator = z * coefficients_num[degree + 1], z.copy()
    for i in range(degree):          # in place: these are fresh arrays, and erf runs on big ones (GELU)
        numerator += coefficients_num[i]
        numerator *= z
        denominator += coefficients_den[i]
        denominator *= z
    numerator += coefficients_num[degree]
    denominator += coefficients_den[degree]
    numerator /= denominator
    return numerator


def _exp_minus_square(y):
    """``exp(-y^2)`` with ``y^2`` split so that its rounding error is not amplified (Cody)."""
    xp = array_module(y)
    head = xp.trunc(y * 16)
    head /= 16
    rest = (head - y) * (y + head)          # -(y^2 - head^2), exact enough to exponentiate
    head *= head
    head *= -1
    return xp.exp(head, out=head) * xp.exp(rest, out=rest)


def erf(x):
    """erf of an array (NumPy or CuPy), to float64 precision; GELU calls it too."""
    if isinstance(x, Tensor):          # a backward recorded as a graph (create_graph=True)
        return x.erf()
    xp = array_module(x)
    if xp.__name__ == "cupy":         # CuPy ships an erf kernel (no host-side branching needed)
        import cupyx.scipy.special
        return cupyx.scipy.special.erf(x)
    if x.dtype.itemsize < 4:          # float16: torch's float32 vectors
        return erf_of_torchs_float_vectors(x.astype("float32")).astype(x.dtype)
    if x.dtype == numpy.float32:      # in float64, rounded once: Cody's steps in float32 round twice
        return _erf_cody(x.astype(numpy.float64)).astype(numpy.float32)     # (fuzz seed 1562269)
    return _erf_cody(x)


# Abramowitz and Stegun 7.1.26, the coefficients of torch's ``Vectorized<float>::erf``
_AS_P = 0.3275911
_AS_COEFFICIENTS = (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)


def erf_of_torchs_float_vectors(x):
    """erf of a float32 NumPy array as torch's ``Vectorized<float>::erf`` (AVX2 and AVX-512)
    computes it: ``sign(x) * (1 - r(t) * t * exp(-x^2))`` with ``t = 1 / (1 + p |x|)`` and ``r`` a
    quartic, by fused multiply-adds.  torch's float16 erf runs it on every element, its tail too
    (``vml::verf`` maps whole vectors, MKL taking only float32 and float64): within 1.5e-7 of erf,
    so a float16 erf of 6e-08 is 0, and ``log`` of it -inf (fuzz seed 369172)."""
    single = numpy.float32
    magnitude = numpy.abs(x)
    t = single(1) / fmadd(single(_AS_P), magnitude, single(1), single)
    r = numpy.full_like(x, _AS_COEFFICIENTS[0])
    for coefficient in _AS_COEFFICIENTS[1:]:
        r = fmadd(r, t, single(coefficient), single)
    with numpy.errstate(over="ignore", under="ignore"):
        decay = numpy.exp(-(x * x).astype(numpy.float64)).astype(numpy.float32)
        result = fmadd(-decay * t, r, single(1), single)
    return numpy.where(numpy.signbit(x), -result, result)


def _erf_cody(x):
    """erf on NumPy arrays by Cody's three approximations (each run only where it has elements)."""
    return _cody(x, complement=False)


def erfc(x):
    """erfc of an array (NumPy or CuPy), to float64 precision: Cody's erfc directly where ``x`` is
    past 0.46875 (no ``1 - erf`` cancellation), ``2 - erfc(-x)`` for negative ``x``."""
    if isinstance(x, Tensor):          # a backward recorded as a graph (create_graph=True)
        return x.erfc()
    xp = array_module(x)
    if xp.__name__ == "cupy":
        import cupyx.scipy.special
        return cupyx.scipy.special.erfc(x)
    if x.dtype.itemsize < 4:          # half precision: torch computes it in float32
        return erfc(x.astype(numpy.float32)).astype(x.dtype)
    if x.dtype == numpy.float32:      # in float64, rounded once
        return _erfc_cody(x.astype(numpy.float64)).astype(numpy.float32)
    return _erfc_cody(x)


def _erfc_cody(x):
    """erfc on NumPy float64 arrays by Cody's three approximations (CALERF with JINT = 1)."""
    return _cody(x, complement=True)


def _cody(x, complement):
    """erf (or with ``complement`` erfc) by Cody's three ranges: a rational function of x^2 up to
    0.46875, and past it erfc(|x|) (``_erfc_of_magnitude``) with erf = sign(x) (1 - erfc(|x|)) and
    erfc(x) = 2 - erfc(|x|) for negative x (no 1 - erf cancellation).  Each range runs on its own
    elements only, picked by their positions (``_positions``)."""
    xp = array_module(x)
    flat = x.reshape(-1)                 # (a copy only where x is not row-major)
    y = xp.abs(flat)
    small, large = y <= 0.46875, y > 4.0
    middle = ~(small | large)            # NaN lands here and stays NaN
    values = xp.empty_like(flat)
    if small.any():
        at = _positions(small)
        x_small = flat[at]
        erf = x_small * _rational(_ERF_A, _ERF_B, x_small * x_small, 3)
        values[at] = 1 - erf if complement else erf
    for part, is_large in ((middle, False), (large, True)):
        if part.any():
            at = _positions(part)
            tail, x_part = _erfc_of_magnitude(xp, y[at], is_large), flat[at]
            values[at] = xp.where(x_part < 0, 2 - tail, tail) if complement else xp.copysign(1 - tail, x_part)
    return relayout(values.reshape(x.shape), dense_strides(x))     # (x's layout)


def float64_of(x):
    """``x`` in float64, where the special functions compute (a float64 array or a Tensor of a
    recorded backward as it is)."""
    return x.astype(numpy.float64) if type(x) is numpy.ndarray and x.dtype != numpy.float64 else x


def _positions(mask):
    """The positions where a 1-D ``mask`` holds, to index with: NumPy's boolean indexing branches
    on each element, 1.3 ms to take or to write 262,144 float64 values under a mask with no pattern
    (GELU's on a layer's activations: 5 such steps made erf 10.8 ms), where finding the positions
    once takes 0.13 ms and each step by them 0.08-0.15 ms.  The same elements in the same order."""
    return array_module(mask).flatnonzero(mask)


def _erfc_of_magnitude(xp, y, large):
    """erfc(y) for y past 0.46875: Cody's rational function of y to 4, of 1 / y^2 past it.  Past
    Cody's XBIG (26.543) erfc is subnormal, as the C library's (torch's) gives it, and 0 from 27.3
    on (every step in float64: its rounding shows only below 1e-308; erf is 1 there either way)."""
    if not large:
        return _rational(_ERFC_C, _ERFC_D, y, 7) * _exp_minus_square(y)
    y = xp.minimum(y, _ERFC_ZERO)
    inverse_square = 1 / (y * y)
    tail = (_ONE_OVER_SQRT_PI - inverse_square * _rational(_ERFC_P, _ERFC_Q, inverse_square, 4)) / y
    with numpy.errstate(under="ignore"):
        return tail * _exp_minus_square(y)


# The first guess of torch's calc_erfinv (ATen/native/Math.h, after G. L. Pavlis's erfinv.m): a
# rational function of y, central for |y| <= 0.7, and of sqrt(-log((1 - |y|) / 2)) in the tails
_ERFINV_A = (0.886226899, -1.645349621, 0.914624893, -0.140543331)
_ERFINV_B = (-2.118377725, 1.442710462, -0.329097515, 0.012229801)
_ERFINV_C = (-1.970840454, -1.624906493, 3.429567803, 1.641345311)
_ERFINV_D = (3.543889200, 1.637067800)
_TWO_OVER_SQRT_PI = 1.1283791670955126


def erfinv(x):
    """The inverse error function of an array to float64 precision, as torch's CPU kernel (MKL's
    vdErfInv) gives it: NaN outside [-1, 1], +-inf at +-1 (a Tensor, in a backward recorded as a
    graph, takes the op itself).  Pavlis's first guess, then Newton steps: two on erf(x) = y in the
    centre, three on erfc(x) = 1 - |y| in the tails, where 1 - |y| is exact and erfc keeps its relative
    precision (Newton on erf there meets erf's rounding to 1: erfinv(1 - 2^-53) was 5.86395 for
    5.86358; fuzz seed 50305491).  float32 runs in float64 and rounds once."""
    if isinstance(x, Tensor):
        return x.erfinv()
    if x.dtype != numpy.float64:          # half precision and float32: in float64, rounded once
        return erfinv(x.astype(numpy.float64)).astype(x.dtype)
    xp = array_module(x)
    flat = x.reshape(-1)
    magnitude = xp.abs(flat)
    central, tails = magnitude <= 0.7, (magnitude > 0.7) & (magnitude < 1)
    values = xp.where(magnitude == 1, xp.copysign(numpy.inf, flat), numpy.nan)     # NaN past 1 and for NaN
    with numpy.errstate(all="ignore"):
        if central.any():       # each branch only on its elements, as _cody
            at = _positions(central)
            y = flat[at]
            z = y * y
            numerator = ((_ERFINV_A[3] * z + _ERFINV_A[2]) * z + _ERFINV_A[1]) * z + _ERFINV_A[0]
            centre = y * numerator / ((((_ERFINV_B[3] * z + _ERFINV_B[2]) * z + _ERFINV_B[1]) * z + _ERFINV_B[0]) * z + 1)
            for _ in range(2):
                centre = centre - (erf(centre) - y) / (_TWO_OVER_SQRT_PI * xp.exp(-centre * centre))
            values[at] = centre
        if tails.any():
            at = _positions(tails)
            complement = 1 - magnitude[at]        # exact for |y| >= 0.5
            w = xp.sqrt(-xp.log(complement / 2))
            numerator = ((_ERFINV_C[3] * w + _ERFINV_C[2]) * w + _ERFINV_C[1]) * w + _ERFINV_C[0]
            tail = numerator / ((_ERFINV_D[1] * w + _ERFINV_D[0]) * w + 1)
            for _ in range(3):        # (the guess is 6e-5 off at 1 - 2^-53: two steps leave 6e-13)
                tail = tail + (erfc(tail) - complement) / (_TWO_OVER_SQRT_PI * xp.exp(-tail * tail))
            values[at] = xp.copysign(tail, flat[at])
    return relayout(values.reshape(x.shape), dense_strides(x))     # (x's layout)
