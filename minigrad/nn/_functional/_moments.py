"""torch's CPU row moments (``RowwiseMoments`` in ATen's ``moments_utils.h``), step by step.

``layer_norm`` takes the mean and variance of each row with Welford's algorithm: each
vector lane runs its own Welford over the row's full vectors (chunks of 16, merged in a
cascade), the elements past the last full vector run a scalar Welford, and the lanes are
then merged into that scalar one by one.  Where no intermediate overflows this is the
plain mean and variance up to rounding, and NumPy's two-pass formula stands in for it;
where one does (a delta squared, a lane mean squared) the order decides between a finite
result, inf (rstd 0) and NaN, so those rows are recomputed here in torch's order.

The kernel is dispatched at AVX2 width (PyTorch registers no AVX-512 version of it): 32-byte
vectors, 8 float32 or 4 float64 lanes; a float16/bfloat16 vector holds 16 values, widened
to two float32 vectors.  ``fmadd`` is fused for float32 (exactly, through float64) and for float64
(through the exact errors of its product and sum).
"""
from __future__ import annotations

import numpy

from ...core.device import on_host
from ...ops.fused import fmadd

__all__ = ["row_moments", "fmadd", "unfused_madd", "cancelling", "lane_sums"]

_VECTOR_BYTES = 32     # AVX2
_CHUNK = 16            # kChunkSize: vectors per Welford run before a cascade merge


def unfused_madd(a, b, c, dtype):
    """``a * b + c`` rounded twice, as NumPy computes it: within an ulp of ``fmadd``, at a fraction of
    its cost; the normalizations take ``fmadd`` only where that ulp decides the result.  Where the
    result is not finite it is ``fmadd``'s: a product past the float maximum is inf here, exact in
    the FMA (with an infinite ``c`` of the other sign: NaN here, ``c`` there)."""
    with numpy.errstate(over="ignore", invalid="ignore"):
        result = a * b + c
    if dtype in (numpy.float32, numpy.float64):
        not_finite = ~numpy.isfinite(result)
        if not_finite.any():
            result = numpy.where(not_finite, fmadd(a, b, c, dtype), result)
    return result


def cancelling(mean, var, xp):
    """Where a row's (or channel's) spread is within the rounding of its mean: there ``x - mean``
    is that rounding, and only torch's exact order of operations gives torch's digits."""
    with numpy.errstate(over="ignore"):      # a mean past 1e154 squares to inf: cancelling
        return var <= mean * mean * xp.finfo(mean.dtype).eps


def _add_moments(m0_add, m1_add, m2_add, m0, m1, m2, dtype):
    """``AddMoments``: merge a partial (count, mean, M2) into another, scalar form."""
    n = m0 + m0_add
    c = dtype.type(0) if n == 0 else dtype.type(m0_add) / dtype.type(n)
    delta = m1_add - m1
    # the compiled kernel contracts ``m1 += c * delta`` and ``m2_add + (delta * delta * c) * m0`` into
    # fused multiply-adds (seen on torch 2.13: a zero-mean row's mean is 2**-52 / 60, not 0)
    return n, fmadd(c, delta, m1, dtype), m2 + fmadd(delta * delta * c, dtype.type(m0), m2_add, dtype)


def _add_moments_vec(m0_add, m1_add, m2_add, m0, m1, m2, dtype):
    """``AddMomentsVec``: the same for vectors, with its own order and a fused multiply-add."""
    n = m0 + m0_add
    c = dtype.type(0) if n == 0 else dtype.type(m0_add) / dtype.type(n)
    delta = m1_add - m1
    c_delta = c * delta
    return n, m1 + c_delta, fmadd(delta * dtype.type(m0), c_delta, m2 + m2_add, dtype)


@on_host
def row_moments(rows, input_dtype):
    """(mean, biased variance) of each row of the 2-d float array ``rows`` (already in the
    accumulation dtype), as torch's kernel computes them for an input of ``input_dtype``."""
    dtype = rows.dtype
    count, length = rows.shape
    lanes = _VECTOR_BYTES // dtype.itemsize
    load = _VECTOR_BYTES // numpy.dtype(input_dtype).itemsize      # values per loaded vector
    vectors = length // load
    chunks = -(-vectors // _CHUNK)
    depth = max((chunks - 1).bit_length(), 1)
    zero = numpy.zeros((count, lanes), dtype)
    stack = [[0, zero, zero] for _ in range(depth)]
    reciprocals = [dtype.type(1) / dtype.type(j + 1) for j in range(_CHUNK)]
    with numpy.errstate(over="ignore", invalid="ignore"):
        for chunk in range(chunks):
            run = min(_CHUNK, vectors - chunk * _CHUNK)
            for half in range(load // lanes):          # a float16 vector widens to two float32 ones
                m1, m2 = zero, zero
                for j in range(run):
                    start = (chunk * _CHUNK + j) * load + half * lanes
                    x = rows[:, start:start + lanes]
                    delta = x - m1
                    m1 = fmadd(reciprocals[j], delta, m1, dtype)
                    m2 = fmadd(delta, x - m1, m2, dtype)
                stack[0] = list(_add_moments_vec(run, m1, m2, *stack[0], dtype))
            mask, level = chunk + 1, 1
            while level < depth and mask & 1 == 0:     # the cascade: merge level - 1 into level
                stack[level] = list(_add_moments_vec(*stack[level - 1], *stack[level], dtype))
                stack[level - 1] = [0, zero, zero]
                mask >>= 1
                level += 1
        for level in range(1, depth):
            stack[0] = list(_add_moments_vec(*stack[level], *stack[0], dtype))
        m0, m1, m2 = 0, numpy.zeros(count, dtype), numpy.zeros(count, dtype)
        for column in range(vectors * load, length):    # the scalar tail
            x = rows[:, column]
            delta = x - m1
            m0 += 1
            m1 = m1 + delta / dtype.type(m0)
            m2 = m2 + delta * (x - m1)
        lane_count = vectors * load // lanes
        # every lane, even one that saw nothing (empty lanes are alike: after one, the others change nothing)
        for lane in range(lanes if lane_count else 1):
            m0, m1, m2 = _add_moments(lane_count, stack[0][1][:, lane], stack[0][2][:, lane], m0, m1, m2, dtype)
        return m1, m2 / dtype.type(length)


@on_host
def lane_sums(a, b=None, fused_tail=True):
    """Each row's sum of the 2-d float32/float64 array ``a`` (of ``a * b`` where ``b`` is given, of
    ``a``'s shape) in the order of torch's ``vec::map_reduce_all`` at AVX2 width (layer_norm's
    backward ``ds`` and ``db``): a row shorter than a vector adds its products one after another; a
    longer one adds vector after vector of products into lanes, the tail's into the first lanes
    with a fused multiply-add (the compiled kernel contracts that product into its sum; seen on
    torch 2.13: a tail product past the float maximum leaves a finite sum, one in a full vector
    gives inf), then merges the lanes (float64: one after another; float32: ``VecReduceAllSIMD``'s
    halves, then quarters, then pairs).  Where a product or a partial sum overflows, this order
    decides between a finite sum and an infinite one.  ``fused_tail=False``: the tail's products
    rounded before they are added (group_norm's float32 kernel, compiled so: ``_group_norm_kernel``)."""
    count, length = a.shape
    dtype = a.dtype
    lanes = _VECTOR_BYTES // dtype.itemsize

    def add(acc, start, stop, fused):
        if b is None:
            return acc + a[:, start:stop]
        if fused:
            return fmadd(a[:, start:stop], b[:, start:stop], acc, dtype)
        return acc + a[:, start:stop] * b[:, start:stop]
    with numpy.errstate(over="ignore", invalid="ignore"):
        if length < lanes:
            values = a if b is None else a * b          # one after another from 0 (``+ 0``: -0.0s give 0.0)
            return numpy.cumsum(values, axis=1)[:, -1] + dtype.type(0) if length else numpy.zeros(count, dtype)
        acc = a[:, :lanes] if b is None else a[:, :lanes] * b[:, :lanes]
        full = length - length % lanes
        for start in range(lanes, full, lanes):
            acc = add(acc, start, start + lanes, False)
        if full < length:
            acc = acc.copy()
            acc[:, :length - full] = add(acc[:, :length - full], full, length, fused_tail)
        if dtype == numpy.float32:
            acc = acc[:, :4] + acc[:, 4:]
            acc = acc[:, :2] + acc[:, 2:]
            return acc[:, 0] + acc[:, 1]
        return numpy.cumsum(acc, axis=1)[:, -1]      # the lanes one after another
