"""Fused multiply-adds: ``a * b + c`` rounded once, as torch's compiled kernels get it.

torch's CPU kernels are built with FMA instructions, and the compiler fuses a product into
the sum or difference that takes it (``x - y.exp() * sum``: one rounding, not two).  Where
the sum cancels the product, that one rounding is the whole result.  NumPy has no FMA:
float32 is fused exactly through float64's exact product, float64 through the exact errors
of its product and sum.
"""
from __future__ import annotations

import numpy

__all__ = ["fmadd"]


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


_SPLITTER = 2.0 ** 27 + 1      # Veltkamp's: splits a float64 into two halves of 26 bits
_SPLIT_LIMIT = 2.0 ** 995      # a float64 past this overflows the split (times _SPLITTER)
_SCALE_DOWN = 2.0 ** -64       # brings such an operand well under it, exactly


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
        product = a * b
        a_split, b_split = a * _SPLITTER, b * _SPLITTER
        a_high = a_split - (a_split - a)
        b_high = b_split - (b_split - b)
        a_low, b_low = a - a_high, b - b_high
        product_error = ((a_high * b_high - product) + a_high * b_low + a_low * b_high) + a_low * b_low
        total = product + c
        virtual = total - product
        sum_error = (product - (total - virtual)) + (c - virtual)
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
