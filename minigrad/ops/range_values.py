"""The values of ``arange`` and ``linspace`` on floating dtypes as torch's CPU kernels compute them.

NumPy's ``arange`` adds ``i * (start + step - start)`` (the step rounded once more) and its
``linspace`` works in float64 whatever the dtype, so their results sat ulps away from torch's at
most places (``arange(1.5, 1000.3, 0.7)``: 1,399 of 1,428 float64 values).  torch's kernels
(``RangeFactoriesKernel.cpp``, compiled with fused multiply-adds, 32-byte vectors on AVX-512 too):

* ``arange``: ``start + step * i`` in the accumulation type (double for float32 and float64, float
  for float16), fused, at the first index of each vector, rounded to the dtype; lane ``k`` of the
  vector is ``base + k * step``, fused, in the accumulation type.  Two vectors a step; the rest (the
  scalar tail, ``vector_loop``) takes the formula at each index.
* ``linspace``: element by element in the dtype, ``step = (end - start) / (steps - 1)``; below
  ``steps // 2`` ``start + step * i``, from there ``end - step * (steps - i - 1)``, both fused
  (float16 rounds each operation, as c10::Half, and fuses nothing).

Seen to the bit on torch 2.13 for 1 to 100,000 elements.  On CUDA torch computes each element by
the formula; there this runs without vectors.
"""
from __future__ import annotations

import os

import numpy

from .conversion import scalar_as

_GRAIN = 32768        # at::internal::GRAIN_SIZE


def _split(a):
    """Veltkamp's split of float64 ``a`` into two halves of 26 bits whose sum is ``a``."""
    scaled = 134217729.0 * a          # 2^27 + 1
    high = scaled - (scaled - a)
    return high, a - high


def _fused_multiply_add(a, b, c):
    """``a * b + c`` rounded once, in float64 (float32 operands: their product is exact in float64,
    rounded to float32 after; a double rounding, as rare as 1 in 2^29): Dekker's exact product and
    Knuth's exact sum, their errors added last."""
    dtype = numpy.result_type(a, b, c)
    a, b, c = (numpy.asarray(x, numpy.float64) for x in (a, b, c))
    with numpy.errstate(over="ignore", invalid="ignore"):
        product = a * b
        (a_high, a_low), (b_high, b_low) = _split(a), _split(b)
        product_error = ((a_high * b_high - product) + a_high * b_low + a_low * b_high) + a_low * b_low
        total = product + c
        virtual = total - product
        sum_error = (product - (total - virtual)) + (c - virtual)
        exact = total + (sum_error + product_error)
        # where the sum overflows (or the split does, past 2^996) the error terms are not finite:
        # the plain sum is the result there
        result = numpy.where(numpy.isfinite(exact), exact, total)
        return result.astype(dtype, copy=False)


def _torch_threads():
    """The threads torch's ``parallel_for`` splits a range among by default: ``OMP_NUM_THREADS``, else
    the CPUs this process may run on (torch counts physical cores: the same without hyperthreads)."""
    chosen = os.environ.get("OMP_NUM_THREADS", "")
    if chosen.isdigit() and int(chosen) > 0:
        return int(chosen)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _bases_and_lanes(count, itemsize, vectors):
    """For each of ``count`` elements: the index its vector starts at and its lane there (the
    scalar tail, and every element without ``vectors``, is its own base at lane 0).  torch's
    ``parallel_for`` hands a range past its grain (32,768) to up to one thread per 32,768 elements,
    in equal chunks, and each chunk runs its own vector loop."""
    index = numpy.arange(count)
    if not vectors:
        return index, numpy.zeros(count, numpy.int64)
    lanes = 32 // itemsize            # (these kernels run 32-byte vectors on AVX-512 too)
    chunks = min(_torch_threads(), -(-count // _GRAIN)) if count > _GRAIN else 1
    chunk = -(-count // chunks) if count else 1
    first = index - index % chunk
    local = index - first
    length = numpy.minimum(chunk, count - first)
    vectorized = length - length % (2 * lanes)
    bases = numpy.where(local < vectorized, index - local % lanes, index)
    return bases, index - bases


def arange_values(start, step, count, dtype, vectors=True):
    """torch's ``arange`` of ``count`` elements of the floating NumPy ``dtype``."""
    accumulate = numpy.dtype(numpy.float32 if dtype.itemsize == 2 else numpy.float64)
    start, step = (scalar_as(x, accumulate)[()] for x in (start, step))
    bases, lanes = _bases_and_lanes(count, dtype.itemsize, vectors)
    with numpy.errstate(over="ignore"):          # (past float16's range: inf, as torch's)
        base_values = _fused_multiply_add(step, bases.astype(accumulate), start).astype(dtype)
        in_lanes = _fused_multiply_add(lanes.astype(accumulate), step, base_values.astype(accumulate))
        return numpy.where(lanes == 0, base_values, in_lanes.astype(dtype))


def linspace_values(start, end, steps, dtype):
    """torch's ``linspace`` of ``steps`` elements of the NumPy ``dtype`` (an integer dtype: start and
    end truncated to it, the step and the values in double, each value truncated)."""
    start, end = (scalar_as(x, dtype)[()] for x in (start, end))      # (torch's checked Scalar.to<T>())
    if steps == 1:
        return numpy.full(1, start, dtype)
    working = dtype if dtype.kind == "f" else numpy.dtype(numpy.float64)
    kind = working.type
    start, end = kind(start), kind(end)
    index = numpy.arange(steps)
    counted_down = (steps - index - 1).astype(working)
    with numpy.errstate(over="ignore", invalid="ignore", divide="ignore"):
        step = (end - start) / kind(steps - 1)
        if working.itemsize == 2:
            up, down = start + step * index.astype(working), end - step * counted_down
        else:
            up = _fused_multiply_add(step, index.astype(working), start)
            down = _fused_multiply_add(-step, counted_down, end)
        values = numpy.where(index < steps // 2, up, down)
    return (values if dtype.kind == "f" else numpy.trunc(values)).astype(dtype, copy=False)
