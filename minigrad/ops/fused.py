"""Fused multiply-adds: ``a * b + c`` rounded once, as torch's compiled kernels get it.

torch's CPU kernels are built with FMA instructions, and the compiler fuses a product into
the sum or difference that takes it (``x - y.exp() * sum``: one rounding, not two).  Where
the sum cancels the product, that one rounding is the whole result.  NumPy has no FMA:
float32 is fused exactly through float64's exact product, float64 through the exact errors
of its product and sum (``two_product``, ``two_sum``).  ``fma``, for SLEEF's code (``sleef``),
leaves out ``fmadd``'s guards for huge operands and rounds float32 once where float64's sum
falls on a float32 midpoint too (that sum rounded to odd, after Boldo and Melquiond).
"""
from __future__ import annotations

import numpy

__all__ = ["fma", "fma_in_range", "fmadd", "two_product", "two_sum"]


def fmadd(a, b, c, dtype):
    """``a * b + c`` as torch's compiled kernels get it, rounded once: float32 through float64's
    exact product, float64 through the exact error of its product (``_fused_float64``)."""
    if dtype == numpy.float32:
        wide = numpy.multiply(a, b, dtype=numpy.float64)   # exact, and a fresh array to add into
        wide += c
        return wide.astype(numpy.float32)
    if dtype == numpy.float64:
        return _fused_float64(a, b, c)
    return a * b + c


_SPLIT = 2.0 ** 27 + 1      # Veltkamp's: splits a float64 into two halves of 26 bits
_SPLIT_LIMIT = 2.0 ** 995      # a float64 past this overflows the split (times _SPLIT)
_SCALE_DOWN = 2.0 ** -64       # brings such an operand well under it, exactly
_FLOAT32_TINY = 2.0 ** -126     # float32's smallest normal number


def _fused_float64(a, b, c, halve=True):
    """float64 ``a * b + c`` rounded once, as an FMA instruction: the product's rounding error
    (Dekker's TwoProduct) and the sum's (Knuth's TwoSum) are added back before the last rounding
    (exact where the sum cancels, as in ``x * alpha - mean * alpha``: torch's 1.36e285 for a
    batch of 1e300s, not 0).  An operand past 2^995, which would overflow the split, is scaled
    down by 2^64 with ``c``, and the result back up (``_scaled_down``).  Where an error term is
    still not finite (a value is inf or NaN) the plain ``a * b + c`` stands."""
    scaled = _scaled_down(a, b, c, halve)
    if scaled is not None:
        return scaled
    with numpy.errstate(over="ignore", invalid="ignore"):
        product, product_error = two_product(a, b)
        total, sum_error = two_sum(product, c)
        error = sum_error + product_error
        result = numpy.where(numpy.isfinite(error), total + error, total)
        overflowed = numpy.isinf(product) & numpy.isfinite(a) & numpy.isfinite(b) if halve else False
        if numpy.any(overflowed):
            # the FMA's product is exact, never inf: a * b + c = 2 (a/2 * b + c/2), so an infinite
            # c wins (-inf, not the NaN of inf - inf) and a c that brings the sum back keeps it finite
            # (where a/2 * b still overflows, no finite c brings it back: inf, or c if infinite)
            halved = 2 * _fused_float64(numpy.where(overflowed, a * 0.5, 0.0), b, c * 0.5, halve=False)
            result = numpy.where(overflowed, numpy.where(numpy.isfinite(c), halved, c), result)
        return result


def _scaled_down(a, b, c, halve):
    """``a * b + c`` where a finite ``a`` or ``b`` is too large to split (fuzz seed 54992: a
    batch of 2.6e301s, whose ``x * alpha - mean * alpha`` is torch's -4.8e287, not 0):
    ``2^64 * (a / 2^64 * b + c / 2^64)``, every scaling exact (but for a ``c`` under 2^-958,
    whose last bits drop: far below the product's rounding); None where neither is."""
    with numpy.errstate(invalid="ignore"):
        large_a = numpy.isfinite(a) & (numpy.abs(a) > _SPLIT_LIMIT)
        large_b = ~large_a & numpy.isfinite(b) & (numpy.abs(b) > _SPLIT_LIMIT)
    if not (numpy.any(large_a) or numpy.any(large_b)):
        return None
    down = numpy.where(large_a | large_b, _SCALE_DOWN, 1.0)
    with numpy.errstate(over="ignore", under="ignore"):
        result = _fused_float64(numpy.where(large_a, a * _SCALE_DOWN, a), numpy.where(large_b, b * _SCALE_DOWN, b),
                                c * down, halve)
        return result / down


def two_sum(a, b):
    """``a + b`` and its rounding error, exactly (Knuth)."""
    s = a + b
    b_part = s - a
    return s, (a - (s - b_part)) + (b - b_part)


def two_product(a, b):
    """``a * b`` and its rounding error, exactly (Dekker's, on Veltkamp's halves of 26 bits)."""
    p = a * b
    a_split, b_split = a * _SPLIT, b * _SPLIT
    a_high, b_high = a_split - (a_split - a), b_split - (b_split - b)
    a_low, b_low = a - a_high, b - b_high
    return p, ((a_high * b_high - p) + a_high * b_low + a_low * b_high) + a_low * b_low


def _sum_rounded_to_odd(a, b):
    """``a + b`` (float64) rounded to odd: of the two doubles around an inexact sum, the one whose
    last bit is odd (a step of the bits away from 0 where the sum lies further out than its rounding)."""
    s, error = two_sum(a, b)
    bits = s.view(numpy.int64)
    even_and_inexact = ((bits & 1) == 0) & (numpy.abs(error) > 0)      # (an infinite sum's error is NaN)
    return (bits + even_and_inexact * numpy.where((error > 0) == (s > 0), 1, -1)).view(numpy.float64)


def fma(a, b, c):
    """``a * b + c`` rounded once: float32 where all three are float32, else float64
    (``fma_in_range``).  A float32 product is exact in float64, so the float64 sum is the only
    rounding before float32's; two roundings differ from one only where the first lands on a
    float32 midpoint (its 29 low bits ``1 << 28``) or below float32's normal range: there, and
    only there if any, the sum is rounded to odd first, which float32's rounding then keeps right."""
    if not all(numpy.asarray(v).dtype == numpy.float32 for v in (a, b, c)):
        return fma_in_range(a, b, c)
    product = numpy.multiply(a, b, dtype=numpy.float64)
    total = product + c
    bits = numpy.asarray(total).view(numpy.int64)
    if numpy.any(((bits & 0x1FFFFFFF) == 0x10000000) | (numpy.abs(total) < _FLOAT32_TINY)):
        total = _sum_rounded_to_odd(product, c)
    return total.astype(numpy.float32)


def fma_in_range(a, b, c):
    """float64 ``a * b + c``: the exact product and sum as pairs (``two_product``, ``two_sum``), their
    low parts added, then the high part: rounded once but where the low parts' sum is inexact and
    brings the whole within its rounding error of a midpoint between doubles (a chance of about
    2**-52 for an operand not built for it).  For operands far from overflow (the split's): SLEEF's."""
    product, product_error = two_product(a, b)
    high, low = two_sum(c, product)
    return high + (low + product_error)
