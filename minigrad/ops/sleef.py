"""SLEEF's functions as torch's CPU vectors compute them, to the bit, where NumPy's are an ulp off.

``exp``: SLEEF's ``exp_u10``, ``Vectorized<float|double>::exp()`` (AVX2 and AVX-512 alike, with
FMA), where the C library's exp (a kernel's scalar tail, and ``ops.unary.exp_rounded_once``) is
the rounded exp and SLEEF's is an ulp off in some results
(about 6% of float64, 9% of float32 ones): exp(0.276) is 1.3178478640273035 in torch's vectors,
...033 rounded, which shows in softplus's gradient.  Checked against torch 2.13's vectors (through
elu_backward, an AVX2 AMD EPYC) on 256,000 values of each dtype, its limits and infinities included.
``log1p``: SLEEF's AVX2 float64 ``xlog1p`` (``ops.unary._log1p``), where NumPy's is the C library's.

SLEEF's FMAs are ``ops.fused.fma``'s.
"""
from __future__ import annotations

import numpy

from .fused import fma

__all__ = ["exp", "log1p"]


def _ldexp2(u, q):
    """``u * 2**(q >> 1) * 2**(q - (q >> 1))``, each product rounded (SLEEF's ``vldexp2``)."""
    q = numpy.clip(q, -2000, 2000)     # (beyond, the result is set to 0 or inf after)
    half = q >> 1
    one = numpy.ones((), u.dtype)
    return u * numpy.ldexp(one, half).astype(u.dtype) * numpy.ldexp(one, q - half).astype(u.dtype)


_LN2_HIGH, _LN2_LOW = 0.69314718055966295651160180568695068359375, 0.28235290563031577122588448175013436025525412068e-12
_LOG_DBL_MAX = float.fromhex("0x1.62e42fefa39efp+9")
_DOUBLE_COEFFICIENTS = (0.2081276378237164457e-8, 0.2511210703042288022e-7, 0.2755762628169491192e-6,
                        0.2755723402025388239e-5, 0.2480158687479686264e-4, 0.1984126989855865850e-3,
                        0.1388888888914497797e-2, 0.8333333333314938210e-2, 0.4166666666666602598e-1,
                        0.1666666666666669072e+0)
_FLOAT_LN2_HIGH, _FLOAT_LN2_LOW = numpy.float32(0.693145751953125), numpy.float32(1.428606765330187045e-06)
_FLOAT_COEFFICIENTS = tuple(numpy.float32(c) for c in (
    0.000198527617612853646278381, 0.00139304355252534151077271, 0.00833336077630519866943359,
    0.0416664853692054748535156, 0.166666671633720397949219, 0.5))


def _exp_double(d):
    """SLEEF's ``xexp``: ``d = q ln2 + s``, a degree-10 polynomial of s in Estrin's scheme, scaled by 2**q."""
    u = numpy.rint(d * 1.4426950408889634)
    q = numpy.where(numpy.isfinite(u), u, 0).astype(numpy.int64)
    s = fma(u, -_LN2_LOW, fma(u, -_LN2_HIGH, d))
    s2 = s * s
    s4 = s2 * s2
    c9, c8, c7, c6, c5, c4, c3, c2, c1, c0 = _DOUBLE_COEFFICIENTS
    def estrin4(c3, c2, c1, c0):
        return fma(s2, fma(s, c3, c2), fma(s, c1, c0))
    u = fma(s4 * s4, fma(s, c9, c8), fma(s4, estrin4(c7, c6, c5, c4), estrin4(c3, c2, c1, c0)))
    for c in (0.5, 1.0, 1.0):
        u = fma(u, s, c)
    u = _ldexp2(u, q)
    return numpy.where(d < -1000, 0.0, numpy.where(d > _LOG_DBL_MAX, numpy.inf, u))


def _exp_float(d):
    """SLEEF's ``xexpf``: ``d = q ln2 + s``, a degree-5 polynomial of s in Horner's, scaled by 2**q."""
    u = numpy.rint(d * numpy.float32(1.4426950408889634))
    q = numpy.where(numpy.isfinite(u), u, 0).astype(numpy.int64)
    s = fma(u, -_FLOAT_LN2_LOW, fma(u, -_FLOAT_LN2_HIGH, d))
    poly = numpy.full_like(s, _FLOAT_COEFFICIENTS[0])
    for c in _FLOAT_COEFFICIENTS[1:]:
        poly = fma(poly, s, c)
    u = _ldexp2(numpy.float32(1) + fma(s * s, poly, s), q)
    return numpy.where(d < -104, numpy.float32(0), numpy.where(d > 100, numpy.float32(numpy.inf), u))


def exp(x):
    """``exp(x)`` of a float32 or float64 NumPy array as SLEEF's ``exp_u10`` computes it (NaN stays NaN)."""
    with numpy.errstate(all="ignore"):
        result = _exp_float(x) if x.dtype == numpy.float32 else _exp_double(x)
    return numpy.where(numpy.isnan(x), x, result)


_LOG1P_CORE_BOUND = float.fromhex("0x1.c7b1f3cac7433p+1019")     # 1e307: above it SLEEF takes log(x)


def log1p(x):
    """float64 ``log1p`` as SLEEF's AVX2 ``xlog1p`` computes it, bit for bit (checked against
    ``Sleef_log1pd4_u10avx2`` on 19 million values): ``1 + x = 2^e (1 + m)`` with ``(1 + x) / 0.75``
    setting ``e``, then ``e log 2 + 2 atanh(m / (2 + m))`` in double-double, its FMAs one rounding
    each (``fused.fma``).  Above 1e307 SLEEF's ``log(x)`` (NumPy's agrees there); NaN (+NaN) below
    -1 and for a NaN, -inf at -1, -0.0 at -0.0."""
    with numpy.errstate(all="ignore"):
        e = (((x + 1) * (1 / 0.75)).view(numpy.int64) >> 52 & 0x7ff) - 0x3ff
        scale = numpy.ldexp(1.0, -e)
        m = x * scale + (scale - 1)      # (SLEEF's FMA: the product, by a power of two, is exact)
        e = e.astype(numpy.float64)
        log2_high = 0.693147180559945286226764 * e
        log2_low = fma(2.319046813846299558417771e-17, e, fma(0.693147180559945286226764, e, -log2_high))
        divisor = 2 + m
        divisor_low = (2 - divisor) + m
        reciprocal = 1 / divisor
        ratio = m * reciprocal           # m / (2 + m) in double-double: ratio + ratio_low
        ratio_low = fma(ratio, fma(-divisor_low, reciprocal, fma(-divisor, reciprocal, 1.0)),
                         fma(reciprocal, m, -ratio))
        r2 = ratio * ratio
        r4 = r2 * r2
        series = fma(r4 * r4, fma(r4, 0.1532076988502701353, fma(r2, 0.1525629051003428716, 0.1818605932937785996)),
                      fma(r4, fma(r2, 0.2222214519839380009, 0.2857142932794299317),
                           fma(r2, 0.3999999999635251990, 0.6666666666667333541)))
        high = log2_high + 2 * ratio
        low = (((log2_high - high) + 2 * ratio) + log2_low) + 2 * ratio_low
        term = r2 * ratio * series
        total = high + term
        result = numpy.where(x == 0, x, total + (((high - total) + term) + low))     # (-0.0 stays -0.0)
        beyond = ~((x > -1) & (x <= _LOG1P_CORE_BOUND))      # -1 and below, NaN, above 1e307
        if beyond.any():
            result = numpy.where(x > _LOG1P_CORE_BOUND, numpy.log(x),
                                 numpy.where(x == -1, -numpy.inf, numpy.where(beyond, numpy.nan, result)))
        return result
